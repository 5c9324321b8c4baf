"""Tiny hand-made extracts for the spec tests of the engine and the cohorts.

Imported by tests/engine/conftest.py and tests/cohorts/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest

from cohort.extract import read_extract, write_extract

_COUNT = itertools.count()

#: Column order per table; missing optional columns are filled with None. An
#: ``addresses`` row of four values adds the optional column ``district``; without
#: one the file has no such column.
_COLUMNS = {
    "persons": ["pid", "birth_date", "sex", "mother_pid", "father_pid", "origin", "death_date"],
    "residence": ["pid", "address_id", "moved_in", "moved_out"],
    "addresses": ["address_id", "municipality", "area"],
    "education": ["pid", "level", "program", "start_date", "end_date", "outcome"],
    "labour": ["pid", "year", "status"],
    "benefits": ["pid", "benefit", "start_date", "end_date"],
    "income": ["pid", "year", "disposable_income", "gross_income"],
    "exams": ["pid", "year", "danish", "math"],
    "convictions": ["pid", "decision_date", "offence"],
}
_DATES = {"birth_date", "death_date", "moved_in", "moved_out", "start_date", "end_date",
          "decision_date"}

#: The standard map: two addresses in the estate, one elsewhere in Gladsaxe (159),
#: one in Copenhagen (101).
ADDRESSES = [
    ("E1", 159, "vaerebro_park"),
    ("E2", 159, "vaerebro_park"),
    ("G1", 159, None),
    ("K1", 101, None),
    ("K2", 101, "other_estate"),
]


def D(s: str | None) -> dt.date | None:  # noqa: N802 - reads as a literal
    return None if s is None else dt.date.fromisoformat(s)


def frame(table: str, rows: list[tuple]) -> pd.DataFrame:
    cols = _COLUMNS[table]
    if table == "addresses" and any(len(r) > len(cols) for r in rows):
        cols = [*cols, "district"]
    out = []
    for r in rows:
        r = tuple(r) + (None,) * (len(cols) - len(r))
        out.append(r)
    df = pd.DataFrame(out, columns=cols, dtype=object)
    for c in cols:
        if c in _DATES:
            df[c] = pd.to_datetime(df[c].astype("string"), errors="raise").dt.date
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    for c in ("municipality", "year"):
        if c in df:
            df[c] = df[c].astype("Int64")
    for c in ("disposable_income", "gross_income", "danish", "math"):
        if c in df:
            df[c] = df[c].astype("Float64")
    return df


def build(tables: dict[str, list[tuple]], folder: Path, *, extract_end: str = "2019-12-31"):
    """Write rows per table (tuples in column order; the standard addresses unless
    given) as an extract under ``folder`` and read it."""
    tables = dict(tables)
    tables.setdefault("addresses", ADDRESSES)
    frames = {t: frame(t, rows) for t, rows in tables.items()}
    path = write_extract(frames, folder / f"x{next(_COUNT)}", extract_end=extract_end)
    return read_extract(path, threads=1)


@pytest.fixture
def make_extract(tmp_path: Path):
    """Build and read an extract from rows per table (tuples in column order)."""
    opened = []

    def _make(tables: dict[str, list[tuple]], *, extract_end: str = "2019-12-31"):
        ex = build(tables, tmp_path, extract_end=extract_end)
        opened.append(ex)
        return ex

    yield _make
    for ex in opened:
        ex.close()
