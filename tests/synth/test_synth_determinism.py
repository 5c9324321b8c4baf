"""Same seed, same bytes; another seed, other data."""

from __future__ import annotations

from cohort.extract.schema import TABLES
from cohort.synth import synthesise


def _files(path):
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_same_seed_gives_identical_files(tmp_path):
    synthesise(tmp_path / "a", persons=3_000, seed=11)
    synthesise(tmp_path / "b", persons=3_000, seed=11)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(a) == {f"{t}.parquet" for t in TABLES} | {"extract.toml"}
    for name in a:
        assert a[name] == b[name], name


def test_another_seed_gives_other_data(tmp_path):
    synthesise(tmp_path / "a", persons=3_000, seed=11)
    synthesise(tmp_path / "c", persons=3_000, seed=12)
    a, c = _files(tmp_path / "a"), _files(tmp_path / "c")
    for name in ("persons.parquet", "residence.parquet", "labour.parquet"):
        assert a[name] != c[name], name
