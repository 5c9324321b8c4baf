"""Read once, reuse: the validated working copy of a delivery (issues 17 and 21)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from cohort.exceptions import CohortWarning, ParameterError
from cohort.extract import read_extract, validate_extract, write_extract
from tests.extract.conftest import D, base_frames


def _frames_with_breaches() -> dict[str, pd.DataFrame]:
    f = base_frames()
    # a spell of an unknown person and one that ends before it starts: set aside
    f["residence"] = pd.concat([f["residence"], pd.DataFrame({
        "pid": ["P9", "P2"], "address_id": ["A1", "A1"],
        "moved_in": [D("2001-01-01"), D("2005-01-01")],
        "moved_out": [None, D("2004-01-01")]})], ignore_index=True)
    return f


def _read(path, wc, fmt_warnings="ignore"):
    with warnings.catch_warnings():
        warnings.simplefilter(fmt_warnings)
        return read_extract(path, working_copy=wc)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_reused_copy_gives_the_same_tables_quarantine_and_report(tmp_path, fmt):
    path = write_extract(_frames_with_breaches(), tmp_path / "ex", extract_end="2019-12-31",
                         format=fmt)
    wc = tmp_path / "wc"
    with _read(path, wc) as first, _read(path, wc) as again, _read(path, None) as plain:
        assert not first.reused and again.reused and plain.working_copy is None
        assert first.working_copy.folder == again.working_copy.folder
        assert again.report == first.report == plain.report
        assert again.report["residence"].rows_quarantined == 2
        for t in first.tables:
            pd.testing.assert_frame_equal(again.to_pandas(t), plain.to_pandas(t))
            assert again.relation(t).types == plain.relation(t).types
            pd.testing.assert_frame_equal(again.quarantine(t), plain.quarantine(t))


def test_a_changed_delivery_is_validated_again(tmp_path):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    wc = tmp_path / "wc"
    with _read(path, wc) as first:
        key = first.working_copy.key
    f = base_frames()
    f["persons"].loc[0, "sex"] = "M"  # one value changed: another delivery
    write_extract(f, tmp_path / "ex2", extract_end="2019-12-31")
    for p in (path / "persons.parquet",):
        p.write_bytes((tmp_path / "ex2" / "persons.parquet").read_bytes())
    with _read(path, wc) as again:
        assert not again.reused and again.working_copy.key != key
        assert again.to_pandas("persons").loc[0, "sex"] == "M"
    assert sorted(p.name for p in wc.iterdir()) == sorted([key, again.working_copy.key])


def test_a_damaged_copy_is_not_used_and_is_written_again(tmp_path):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    wc = tmp_path / "wc"
    with _read(path, wc) as first:
        folder = first.working_copy.folder
    (folder / "residence.parquet").write_bytes(b"PAR1 broken")
    with _read(path, wc) as again:
        assert not again.reused  # its size no longer matches the manifest
        assert len(again.to_pandas("residence")) == 4
    with _read(path, wc) as third:
        assert third.reused and len(third.to_pandas("residence")) == 4
    (folder / "working_copy.json").unlink()  # half-written: no manifest, no copy
    with _read(path, wc) as fourth:
        assert not fourth.reused


def test_the_copy_never_goes_into_the_extract(tmp_path):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    with pytest.raises(ParameterError, match=r"working-copy folder .* inside the extract.*"
                                              r"another --working-copy"):
        _read(path, path / "wc")
    assert sorted(p.name for p in path.iterdir()) == ["addresses.parquet", "extract.toml",
                                                      "persons.parquet", "residence.parquet"]


def test_a_copy_that_cannot_be_written_is_a_warning_not_a_failure(tmp_path):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with pytest.warns(CohortWarning, match="could not write the validated working copy"):
        ex = read_extract(path, working_copy=blocked / "wc")
    with ex:
        assert ex.working_copy is None and len(ex.to_pandas("persons")) == 3
    assert blocked.read_text() == "not a folder"


def test_validate_writes_the_copy_and_a_run_reuses_it(tmp_path):
    path = write_extract(_frames_with_breaches(), tmp_path / "ex", extract_end="2019-12-31")
    out = tmp_path / "validation"
    rep = validate_extract(path, out=out, working_copy=out / "working-copy")
    assert rep.status == "quarantined"
    (copy,) = (out / "working-copy").iterdir()
    manifest = json.loads((copy / "working_copy.json").read_text())
    assert manifest["status"] == "quarantined" and "residence.parquet" in manifest["files"]
    again = validate_extract(path, out=tmp_path / "v2", working_copy=out / "working-copy")
    assert again == rep
    assert (tmp_path / "v2" / "quarantine" / "residence.csv").read_text() == \
        (out / "quarantine" / "residence.csv").read_text()
    with _read(path, out / "working-copy") as ex:
        assert ex.reused


def test_the_cli_validate_switch(tmp_path, capsys):
    from cohort.cli import main

    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == 0
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == [
        "validation_report.json", "validation_report.txt"]  # no copy unless asked
    assert main(["validate", str(path), "--out", str(tmp_path / "v"),
                 "--working-copy", str(tmp_path / "wc")]) == 0
    assert len(list((tmp_path / "wc").iterdir())) == 1
    assert "Validated working copy" in capsys.readouterr().out


def test_a_study_run_reuses_the_copy_and_releases_the_same_bytes(tmp_path):
    from cohort.study import parse_study, run_study
    from cohort.synth import synthesise

    ex = synthesise(tmp_path / "extract", persons=2_000, seed=5).path
    spec = parse_study({"units": {"target": "vaerebro_park", "municipality": 159},
                        "analyses": {"indicators": {"years": [2015, 2018],
                                                    "table_year": 2018}}})
    said: list[str] = []
    r1, r2 = tmp_path / "a" / "release", tmp_path / "b" / "release"  # the name is recorded
    run_study(spec, out=r1, extract=ex, use_cache=False, working_copy=tmp_path / "wc")
    run_study(spec, out=r2, extract=ex, use_cache=False, working_copy=tmp_path / "wc",
              progress=said.append)
    assert any("reused the validated working copy" in s for s in said)
    files = sorted(p.name for p in r1.iterdir())
    assert files == sorted(p.name for p in r2.iterdir())
    for name in files:
        if Path(name).suffix in (".csv", ".json", ".html", ".txt"):
            assert (r1 / name).read_bytes() == (r2 / name).read_bytes(), name
