"""Helpers for the flows tests: tiny hand-made extracts."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pytest

from cohort.extract import read_extract, write_extract

#: The addresses every hand-made extract has: two in the estate, one elsewhere in
#: its municipality (159), one in a comparison area of the same municipality, one
#: in another municipality (101) and one in an area of that municipality.
ADDRESSES = pd.DataFrame(
    {
        "address_id": ["e1", "e2", "g1", "c1", "k1", "f1"],
        "municipality": [159, 159, 159, 159, 101, 101],
        "area": ["estate", "estate", None, "comparison", None, "far"],
    }
)

_counter = itertools.count()


def _d(x: object) -> object:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return pd.NaT
    return pd.Timestamp(x)


def build_extract(
    residence: Iterable[tuple],
    *,
    persons: Iterable[tuple] | None = None,
    labour: Iterable[tuple] = (),
    education: Iterable[tuple] = (),
    extract_end: str = "2019-12-31",
    root: Path | None = None,
):
    """An Extract from rows.

    residence: (pid, address_id, moved_in, moved_out or None)
    persons: (pid, birth_date, death_date or None); default: every pid of
    residence born 1980-06-15, alive.
    labour: (pid, year, status); education: (pid, level, end_date, outcome).
    """
    res = pd.DataFrame(list(residence), columns=["pid", "address_id", "moved_in", "moved_out"])
    if persons is None:
        persons = [(p, "1980-06-15", None) for p in dict.fromkeys(res["pid"])]
    per = pd.DataFrame(list(persons), columns=["pid", "birth_date", "death_date"])
    per["sex"] = "F"
    for c in ("birth_date", "death_date"):
        per[c] = pd.to_datetime(per[c].map(_d))
    for c in ("moved_in", "moved_out"):
        res[c] = pd.to_datetime(res[c].map(_d))
    lab = pd.DataFrame(list(labour), columns=["pid", "year", "status"]).astype({"year": "int64"})
    edu = pd.DataFrame(list(education), columns=["pid", "level", "end_date", "outcome"])
    edu["end_date"] = pd.to_datetime(edu["end_date"].map(_d))
    edu["start_date"] = edu["end_date"] - pd.Timedelta(days=700)
    frames = {
        "persons": per[["pid", "birth_date", "sex", "death_date"]],
        "residence": res,
        "addresses": ADDRESSES,
        "labour": lab,
        "education": edu[["pid", "level", "start_date", "end_date", "outcome"]],
    }
    root = root or Path(tempfile.mkdtemp(prefix="flows-test-"))
    path = root / f"x{next(_counter)}"
    write_extract(frames, path, extract_end=dt.date.fromisoformat(extract_end))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_extract(path)


@pytest.fixture
def make_extract(tmp_path) -> Callable:
    opened = []

    def make(*args, **kwargs):
        ex = build_extract(*args, root=tmp_path, **kwargs)
        opened.append(ex)
        return ex

    yield make
    for ex in opened:
        ex.close()


def _load_reference():
    spec = importlib.util.spec_from_file_location(
        "flows_reference", Path(__file__).with_name("reference.py")
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


REFERENCE = _load_reference()


@pytest.fixture(scope="session")
def build():
    """build_extract, for tests (Hypothesis) that manage their own folders."""
    return build_extract


@pytest.fixture(scope="session")
def reference():
    """The slow day-by-day reference (tests/flows/reference.py)."""
    return REFERENCE
