"""format="dst": canonical parquet converted by the DST preset's writer."""

from __future__ import annotations

import importlib.util

import pytest

from cohort.exceptions import ParameterError
from cohort.synth import synthesise

HAS_DST_WRITER = importlib.util.find_spec("cohort.extract.presets.dst_write") is not None


@pytest.mark.skipif(HAS_DST_WRITER, reason="the DST writer exists")
def test_dst_without_the_writer_is_a_clear_error(tmp_path):
    with pytest.raises(ParameterError, match="write_dst_extract"):
        synthesise(tmp_path / "dst", persons=2_000, seed=1, format="dst")
    assert not (tmp_path / "dst").exists()


@pytest.mark.skipif(not HAS_DST_WRITER, reason="the DST writer is not there yet")
def test_dst_extract_is_written(tmp_path):
    """Reading the DST folder back is the DST preset's round-trip test; here: the
    hook runs, leaves no temporary canonical folder behind, and reports the rows."""
    res = synthesise(tmp_path / "dst", persons=2_000, seed=1, format="dst")
    assert res.format == "dst"
    assert res.rows["persons"] == 2_000
    names = {p.name for p in (tmp_path / "dst").iterdir()}
    assert "extract.toml" in names
    assert {"befbop.parquet", "befadr.parquet"} <= names
    assert 'preset = "dst"' in (tmp_path / "dst" / "extract.toml").read_text()
