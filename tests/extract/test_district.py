"""The optional column ``addresses.district`` (data-contract.md, "addresses").

Read by the canonical preset like ``area`` (text, trimmed, empty = none), passed
through by the DST preset from the study's area map, and absent without harm.
"""

from __future__ import annotations

import warnings
from datetime import date

import duckdb
import pandas as pd
import pytest

from cohort.exceptions import DataQualityWarning
from cohort.extract import read_extract, write_extract
from cohort.extract.presets.base import RawTable
from cohort.extract.presets.dst import PRESET as DST
from cohort.extract.schema import TABLES


def test_the_schema_lists_district_as_an_optional_string():
    col = TABLES["addresses"].column("district")
    assert (col.type, col.required, col.categories) == ("string", False, None)
    assert TABLES["addresses"].column_names == ("address_id", "municipality", "area", "district")


def _read_quietly(frames, tmp_path, **kw):
    path = write_extract(frames, tmp_path, extract_end="2019-12-31", **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # no unknown-column warning
        return read_extract(path)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_canonical_preset_reads_district_like_area(frames, tmp_path, fmt):
    frames["addresses"] = pd.DataFrame({
        "address_id": ["A1", "A2", "A3", "A4"],
        "municipality": [159, 159, 159, 101],
        "area": ["vaerebro_park", None, "", None],
        "district": ["bagsvaerd", "  bagsvaerd ", "", None],
    })
    ex = _read_quietly(frames, tmp_path / "x", format=fmt)
    try:
        got = ex.to_pandas("addresses")
        assert got["district"].tolist() == ["bagsvaerd", "bagsvaerd", None, None]
        assert got["area"].tolist() == ["vaerebro_park", None, None, None]
        assert ex.report["addresses"].rows_quarantined == 0
    finally:
        ex.close()


def test_an_extract_without_district_reads_as_before(frames, tmp_path):
    assert "district" not in frames["addresses"].columns
    ex = _read_quietly(frames, tmp_path / "x")
    try:
        got = ex.to_pandas("addresses")
        assert got["district"].isna().all()
        assert ex.report["addresses"].rows_accepted == 2
    finally:
        ex.close()


def test_a_numeric_district_code_is_text(frames, tmp_path):
    frames["addresses"] = frames["addresses"].assign(district=[12, None])
    ex = _read_quietly(frames, tmp_path / "x")
    try:
        assert ex.to_pandas("addresses")["district"].tolist() == ["12", None]
    finally:
        ex.close()


# -- the DST preset: district (or BYDEL) in the study's area map -------------------------

class _Raw:
    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.raw: dict[str, RawTable] = {}

    def add(self, stem: str, data: dict[str, list]) -> None:
        df = pd.DataFrame(data)
        df.columns = [c.lower() for c in df.columns]
        df["_source_row"] = range(1, len(df) + 1)
        df["_source_file"] = f"{stem}.csv"
        self.con.register(f"df_{stem}", df)
        self.con.execute(f"CREATE OR REPLACE VIEW raw_{stem} AS SELECT * FROM df_{stem}")
        cols = tuple(c for c in df.columns if not c.startswith("_source_"))
        self.raw[stem] = RawTable(stem, f"raw_{stem}", f"{stem}.csv", len(df), cols)

    def addresses(self) -> list[tuple]:
        src = DST.to_canonical(self.con, self.raw, extract_end=date(2019, 12, 31),
                               options={})["addresses"]
        cols = [r[0] for r in self.con.execute(f"DESCRIBE {src.view}").fetchall()]
        wanted = [c for c in ("address_id", "municipality", "area", "district") if c in cols]
        return [tuple(wanted), *self.con.execute(
            f"SELECT {', '.join(wanted)} FROM {src.view} ORDER BY address_id").fetchall()]


@pytest.mark.parametrize("name", ["district", "BYDEL"])
def test_dst_area_map_passes_district_through(name):
    x = _Raw()
    x.add("befadr", {"ADRESSE_ID": ["x1", "x2", "x3"], "KOM": ["0159", "159", "101"]})
    x.add("area_map", {"address_id": ["x1", "x2"], "area": ["vaerebro_park", None],
                       name: ["bagsvaerd", " bagsvaerd "]})
    assert x.addresses() == [
        ("address_id", "municipality", "area", "district"),
        ("x1", "159", "vaerebro_park", "bagsvaerd"),
        ("x2", "159", None, "bagsvaerd"),
        ("x3", "101", None, None),
    ]


def test_dst_area_map_without_district_gives_no_column():
    x = _Raw()
    x.add("befadr", {"ADRESSE_ID": ["x1", "x2"], "KOM": ["159", "101"]})
    x.add("area_map", {"address_id": ["x1"], "area": ["vaerebro_park"]})
    assert x.addresses()[0] == ("address_id", "municipality", "area")
