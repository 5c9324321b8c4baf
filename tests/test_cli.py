"""End-to-end: `cohort synth` then `cohort validate` is clean, in every format."""

from __future__ import annotations

import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_OK, EXIT_USER


@pytest.mark.parametrize("fmt", ["csv", "dst"])
def test_synth_then_validate_is_clean(tmp_path, capsys, fmt):
    out = tmp_path / "extract"
    assert main(["synth", str(out), "--persons", "3000", "--seed", "5", "--format", fmt]) == EXIT_OK
    assert main(["validate", str(out), "--out", str(tmp_path / "v")]) == EXIT_OK
    text = capsys.readouterr().out
    assert "Status: valid" in text
    assert "quarantined" in text  # the column header; no table has a rule broken
    report = (tmp_path / "v" / "validation_report.json").read_text()
    assert '"rows_quarantined": 0' in report and '"rows_quarantined": 1' not in report


def test_bad_option_is_a_user_error(tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["synth", str(tmp_path / "x"), "--format", "xlsx"])
    assert info.value.code == EXIT_USER
