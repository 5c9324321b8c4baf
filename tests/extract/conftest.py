"""Fixtures for the extract layer: tiny hand-written extracts."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from cohort.extract import Extract, read_extract, write_extract

D = dt.date.fromisoformat


def base_frames() -> dict[str, pd.DataFrame]:
    """Three persons, two addresses, clean spells: a valid minimal extract."""
    return {
        "persons": pd.DataFrame(
            {
                "pid": ["P1", "P2", "P3"],
                "birth_date": [D("2000-02-29"), D("1985-06-15"), D("1970-01-01")],
                "sex": ["F", "M", "F"],
                "mother_pid": ["P3", None, None],
                "origin": ["danish", "immigrant_western", None],
            }
        ),
        "addresses": pd.DataFrame(
            {"address_id": ["A1", "A2"], "municipality": [159, 101],
             "area": ["vaerebro_park", None]}
        ),
        "residence": pd.DataFrame(
            {
                "pid": ["P1", "P1", "P2", "P3"],
                "address_id": ["A1", "A2", "A2", "A1"],
                "moved_in": [D("2000-02-29"), D("2010-01-01"), D("1985-06-15"), D("1995-01-01")],
                "moved_out": [D("2010-01-01"), None, None, None],
            }
        ),
    }


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    return base_frames()


@pytest.fixture
def make_extract(tmp_path: Path) -> Callable[..., Extract]:
    """Write frames as an extract and read it (quarantine warnings silenced)."""
    made: list[Extract] = []
    counter = iter(range(10_000))

    def _make(frames: dict[str, pd.DataFrame], **kw) -> Extract:
        path = write_extract(frames, tmp_path / f"ex{next(counter)}", extract_end="2019-12-31", **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ex = read_extract(path)
        made.append(ex)
        return ex

    yield _make
    for ex in made:
        ex.close()
