"""The CPR rule stops everything before anything is written."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cohort.exceptions import CprDetectedError
from cohort.extract import read_extract, validate_extract, write_extract

from .conftest import base_frames


def _write(tmp_path, frames, **kw):
    return write_extract(frames, tmp_path / "ex", extract_end="2019-12-31", **kw)


def test_hyphenated_cpr_anywhere_stops(tmp_path):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "note 010203-1234"
    with pytest.raises(CprDetectedError) as info:
        read_extract(_write(tmp_path, frames))
    msg = str(info.value)
    assert msg.startswith("addresses.parquet, column 'area': 1 value(s) of the form DDMMYY-XXXX")
    assert "010203" not in msg


def test_hyphenated_with_invalid_date_is_not_cpr(tmp_path):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "block 321399-1234"  # day 32 does not exist
    with read_extract(_write(tmp_path, frames)) as ex:
        assert ex.report.status == "valid"


def _pids(n_cpr: int, n_other: int) -> list[str]:
    base = dt.date(1990, 1, 1)
    cpr = [(base + dt.timedelta(days=i)).strftime("%d%m%y") + f"{i % 10000:04d}" for i in range(n_cpr)]
    other = [f"X{i:09d}" for i in range(n_other)]
    return cpr + other


def _persons(pids):
    return pd.DataFrame(
        {"pid": pids, "birth_date": [dt.date(1990, 1, 1)] * len(pids), "sex": ["F"] * len(pids)}
    )


def test_95_percent_cpr_shaped_column_stops(tmp_path):
    frames = base_frames()
    frames["persons"] = _persons(_pids(95, 5))
    with pytest.raises(CprDetectedError, match=r"persons.parquet, column 'pid': 95 of 100 non-missing values"):
        read_extract(_write(tmp_path, frames))


def test_94_percent_is_allowed(tmp_path):
    frames = base_frames()
    frames["persons"] = _persons(_pids(94, 6))
    frames["residence"] = frames["residence"].iloc[0:0]
    with read_extract(_write(tmp_path, frames)) as ex:
        assert ex.report["persons"].rows_accepted == 100


def test_ten_digits_without_a_valid_date_are_not_cpr(tmp_path):
    frames = base_frames()
    pids = [f"99{i:08d}" for i in range(50)]  # day 99 never exists
    frames["persons"] = _persons(pids)
    frames["residence"] = frames["residence"].iloc[0:0]
    with read_extract(_write(tmp_path, frames)) as ex:
        assert ex.report["persons"].rows_accepted == 50


def test_cpr_stored_as_integer_loses_leading_zero_and_is_still_found(tmp_path):
    frames = base_frames()
    frames["income"] = pd.DataFrame(
        {"pid": ["P1", "P2"], "year": [2015, 2015], "gross_income": [1.0, 2.0],
         "disposable_income": [1.0, 2.0], "ref": [101901234, 311289123]}
    )
    with pytest.raises(CprDetectedError, match="income.parquet, column 'ref'"):
        read_extract(_write(tmp_path, frames))


def test_29_february_only_in_leap_years(tmp_path):
    frames = base_frames()
    frames["persons"] = _persons([f"290201{i:04d}" for i in range(20)])  # 2001 is no leap year
    frames["residence"] = frames["residence"].iloc[0:0]
    with read_extract(_write(tmp_path, frames)) as ex:
        assert ex.report.status == "valid"
    frames["persons"] = _persons([f"290204{i:04d}" for i in range(20)])
    with pytest.raises(CprDetectedError):
        read_extract(_write(tmp_path, frames))


def test_cpr_stop_writes_nothing_but_the_report(tmp_path):
    frames = base_frames()
    frames["persons"] = _persons(_pids(100, 0))
    frames["persons"].loc[0, "sex"] = "X"  # a row breach that must not reach a quarantine file
    out = tmp_path / "val"
    report = validate_extract(_write(tmp_path, frames), out=out)
    assert report.status == "stopped"
    assert sorted(p.name for p in out.iterdir()) == ["validation_report.json", "validation_report.txt"]
    text = (out / "validation_report.json").read_text()
    assert "010190" not in text
