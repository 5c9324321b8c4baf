"""No person's value in a message, a log line or the report.

A column that cannot be converted to its type stops validation with the file, the
column, the count and the *shapes* of the values (``DD/MM/YYYY``, ``digits
followed by text``); the values themselves go to
``<out>/conversion_errors/<table>.<column>.csv``, which stays on the server.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_DATA, EXIT_OK, ContractError, DataQualityWarning
from cohort.extract import read_extract, validate_extract, write_extract
from cohort.extract._shapes import shape_counts

from .conftest import base_frames

D = dt.date.fromisoformat


def _frames_with(table: str, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frames = base_frames()
    frames[table] = df
    return frames


# Each case: table, column, DataFrame (CSV text), the values that must never be
# printed, what the message must say instead, and the rows of the values file.
CASES = {
    "birth_dates": (
        "persons",
        "birth_date",
        pd.DataFrame({"pid": ["P1", "P2", "P3"],
                      "birth_date": ["01/01/1891", "15/06/1985", "29/02/2000"],
                      "sex": ["F", "M", "F"]}),
        ["01/01/1891", "15/06/1985", "29/02/2000"],
        ["3 value(s) cannot be read as dates", "DD/MM/YYYY (3)"],
    ),
    "migration_dates": (
        "migrations",
        "date",
        pd.DataFrame({"pid": ["P1", "P2"], "date": ["15.03.2004", "1.12.10"],
                      "direction": ["out", "in"]}),
        ["15.03.2004", "1.12.10"],
        ["2 value(s) cannot be read as dates", "DD.MM.YYYY (1)", "DD.MM.YY (1)"],
    ),
    "incomes": (
        "income",
        "gross_income",
        pd.DataFrame({"pid": ["P1", "P2", "P3"], "year": [2015] * 3,
                      "gross_income": ["123456 kr", "98765 DKK", "250000"],
                      "disposable_income": [1.0, 2.0, 3.0]}),
        ["123456", "98765"],
        ["2 value(s) cannot be read as numbers", "digits followed by text (2)"],
    ),
    "grades": (
        "exams",
        "danish",
        pd.DataFrame({"pid": ["P1", "P2"], "year": [2017, 2017], "danish": ["7,3", "11,5"],
                      "math": [7.0, 4.0]}),
        ["7,3", "11,5"],
        ["2 value(s) cannot be read as numbers", "digits with ',' decimal mark (2)",
         '[csv] decimal = ","'],
    ),
    "absence_days": (
        "absence",
        "unauthorised_days",
        pd.DataFrame({"pid": ["P1", "P2", "P3"], "year": [2017] * 3,
                      "unauthorised_days": ["treogtyve", "4 dage", "2.5"]}),
        ["treogtyve", "4 dage", "2.5"],
        ["3 value(s) cannot be read as whole numbers", "letters (1)",
         "digits followed by text (1)", "decimal number (1)"],
    ),
}


def _path(tmp_path: Path, case: str) -> Path:
    table, _, df, _, _ = CASES[case]
    return write_extract(_frames_with(table, df), tmp_path / "ex", extract_end="2019-12-31",
                         format="csv")


def _clean(text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"leaked {leaked}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_read_extract_names_shapes_and_how_to_get_the_values(tmp_path, caplog, case):
    table, column, _, secrets, said = CASES[case]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ContractError) as info:
        read_extract(_path(tmp_path, case))
    msg = str(info.value)
    assert msg.startswith(f"{table}.csv, column {column!r}: ")
    for s in said:
        assert s in msg
    assert "cohort validate" in msg and f"conversion_errors/{table}.{column}.csv" in msg
    _clean(msg, secrets)
    _clean(caplog.text, secrets)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_validate_writes_the_values_only_to_the_output_folder(tmp_path, capsys, caplog,
                                                                  case):
    table, column, df, secrets, said = CASES[case]
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "val"
    assert main(["validate", str(_path(tmp_path, case)), "--out", str(out)]) == EXIT_DATA
    printed = capsys.readouterr()
    _clean(printed.out + printed.err, secrets)
    _clean(caplog.text, secrets)
    for name in ("validation_report.json", "validation_report.txt"):
        _clean((out / name).read_text(), secrets)
    report = json.loads((out / "validation_report.json").read_text())
    assert report["status"] == "stopped"
    for s in said:
        assert s in report["error"]
    values_file = out / "conversion_errors" / f"{table}.{column}.csv"
    assert str(values_file) in report["error"]
    assert str(values_file) in printed.out
    got = pd.read_csv(values_file, dtype=str, keep_default_na=False)
    assert list(got.columns) == ["_source_file", "_source_row", "pid", column]
    assert set(got["pid"]) <= {"P1", "P2", "P3"}
    assert set(got["_source_file"]) == {f"{table}.csv"}
    failing = [(i + 1, v) for i, v in enumerate(df[column].astype(str))
               if any(s in v for s in secrets)]
    assert [(int(r), v) for r, v in zip(got["_source_row"], got[column], strict=True)] == failing
    assert not (out / "quarantine").exists()


def test_cohort_run_prints_shapes_not_values(tmp_path, capsys, study_file):
    _, _, _, secrets, said = CASES["incomes"]
    path = _path(tmp_path, "incomes")
    assert main(["run", str(study_file), "--extract", str(path),
                 "--out", str(tmp_path / "r")]) == EXIT_DATA
    printed = capsys.readouterr()
    _clean(printed.out + printed.err, secrets)
    assert said[1] in printed.err
    assert "cohort validate" in printed.err


def test_a_second_validation_removes_old_value_files(tmp_path):
    path = _path(tmp_path, "incomes")
    out = tmp_path / "val"
    assert validate_extract(path, out=out).status == "stopped"
    assert (out / "conversion_errors" / "income.gross_income.csv").is_file()
    (path / "income.csv").unlink()
    assert validate_extract(path, out=out).status == "valid"
    assert not (out / "conversion_errors").exists()


def test_sas_special_missing_values_in_a_number_column_are_missing(tmp_path):
    frames = base_frames()
    frames["income"] = pd.DataFrame(
        {"pid": ["P1", "P2", "P3"], "year": [2015] * 3, "gross_income": [".A", "._", "1.5"],
         "disposable_income": [".", "NA", "2"]}
    )
    path = write_extract(frames, tmp_path / "ex", extract_end="2019-12-31", format="csv")
    with read_extract(path) as ex:
        got = ex.to_pandas("income")
    assert got["gross_income"].isna().tolist() == [True, True, False]
    assert got["disposable_income"].isna().tolist() == [True, True, False]


# ----------------------------------------------------------------- typed columns

def _parquet_absence(tmp_path: Path, values: pa.Array) -> Path:
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    n = len(values)
    pq.write_table(
        pa.table({"pid": ["P1", "P2", "P3"][:n], "year": [2017, 2018, 2019][:n],
                  "unauthorised_days": values}),
        path / "absence.parquet",
    )
    return path


@pytest.mark.parametrize(
    ("values", "shape", "secrets"),
    [
        (pa.array([Decimal("3.5"), Decimal("2.0")], pa.decimal128(4, 1)), "decimal number (1)",
         ["3.5"]),
        (pa.array([2.5, 3.0]), "decimal number (1)", ["2.5"]),
        (pa.array([2**64 - 1, 3], pa.uint64()), "digits (1)", [str(2**64 - 1)]),
        (pa.array([1e300, 3.0]), "number in exponent notation (1)", ["1e+300", "1e300"]),
    ],
    ids=["decimal", "float", "uint64_overflow", "float_overflow"],
)
def test_typed_number_columns_that_are_not_whole_numbers(tmp_path, capsys, values, shape,
                                                         secrets):
    """A DECIMAL 3.5 used to be rounded to 4; a UBIGINT or a huge float crashed (exit 4)."""
    path = _parquet_absence(tmp_path, values)
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == EXIT_DATA
    printed = capsys.readouterr()
    assert "internal error" not in printed.err
    assert "column 'unauthorised_days': 1 value(s) cannot be read as whole numbers" in printed.out
    assert shape in printed.out
    _clean(printed.out + printed.err + (out / "validation_report.json").read_text(), secrets)


def test_typed_whole_numbers_still_pass(tmp_path):
    path = _parquet_absence(tmp_path, pa.array([Decimal("3"), Decimal("2.0")],
                                               pa.decimal128(4, 1)))
    with read_extract(path) as ex:
        assert list(ex.to_pandas("absence")["unauthorised_days"]) == [3, 2]


def test_a_timestamp_beyond_duckdbs_range_is_a_data_error(tmp_path, capsys):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31")
    pq.write_table(
        pa.table({"pid": ["P1", "P2", "P3"],
                  "birth_date": pa.array([10**13, 0, 0], pa.timestamp("s")),
                  "sex": ["F", "M", "F"]}),
        path / "persons.parquet",
    )
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == EXIT_DATA
    printed = capsys.readouterr()
    assert "internal error" not in printed.err
    assert "persons.parquet: the file cannot be read (DuckDB ConversionException" in printed.out


# -------------------------------------------------------------------- the shapes

@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("01/01/1891", "DD/MM/YYYY"),
        ("1/1/1891", "DD/MM/YYYY"),
        ("15.03.2004", "DD.MM.YYYY"),
        ("15-03-2004", "DD-MM-YYYY"),
        ("15.03.04", "DD.MM.YY"),
        ("2004/03/15", "YYYY/MM/DD"),
        ("2004-13-45", "YYYY-MM-DD"),
        ("2004-03-15 12:00:00", "YYYY-MM-DD with a time"),
        ("20040315", "8 digits"),
        ("15MAR04", "DDMONYY"),
        ("15 marts 2004", "day, month name, year"),
        ("123456 kr", "digits followed by text"),
        ("1,5", "digits with ',' decimal mark"),
        ("-1,5", "digits with ',' decimal mark"),
        ("1.234.567", "digits with '.' thousands separators"),
        ("1,234,567", "digits with ',' thousands separators"),
        ("1.234,50", "digits with '.' thousands separators"),
        ("2.5", "decimal number"),
        ("1e300", "number in exponent notation"),
        ("99999999999999999999", "digits"),
        ("abc", "letters"),
        ("Åse Ørsted", "words"),
        ("ca. 12", "letters followed by digits"),
        ("12%", "other: 9%"),
        ("(12)", "other: (9)"),
        ("a-b-c", "other: a-a-a"),
    ],
)
def test_shape_vocabulary(value, shape):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT ? AS v", [value])
    assert shape_counts(con, "SELECT v FROM t") == [(shape, 1)]


def test_shapes_are_few_and_counted(tmp_path):
    import duckdb

    con = duckdb.connect()
    vals = ["1/1/1990"] * 5 + ["x"] * 3 + ["1,5"] * 2 + [f"{i}{'%' * i}" for i in range(1, 9)]
    con.execute("CREATE TABLE t AS SELECT unnest(?) AS v", [vals])
    got = shape_counts(con, "SELECT v FROM t", limit=3)
    assert got[:3] == [("DD/MM/YYYY", 5), ("letters", 3), ("digits with ',' decimal mark", 2)]
    assert got[3] == ("other shapes", 8)


# ----------------------------------------------------------- other messages

def test_csv_error_quoting_a_line_is_rephrased(tmp_path, capsys):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31", format="csv")
    (path / "persons.csv").write_text(
        'pid,birth_date,sex\nSECRETPID1,"1990-01-01,F\nSECRETPID2,1990-01-01,F\n'
    )
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == EXIT_DATA
    printed = capsys.readouterr()
    assert "persons.csv: the file cannot be read as CSV" in printed.out
    _clean(printed.out + printed.err + (out / "validation_report.json").read_text(),
           ["SECRETPID", "1990-01-01"])


def test_nul_bytes_in_a_csv_header_are_a_data_error(tmp_path, capsys):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31", format="csv")
    (path / "persons.csv").write_bytes(b"pid,birth\x00_date,sex\nP1,1990-01-01,F\n")
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_DATA
    assert "internal error" not in capsys.readouterr().err


def test_unknown_columns_named_like_pids_are_not_listed(tmp_path):
    frames = base_frames()
    frames["persons"]["X000004711"] = [1, 2, 3]
    frames["persons"]["note"] = ["a", "b", "c"]
    path = write_extract(frames, tmp_path / "ex", extract_end="2019-12-31")
    with pytest.warns(DataQualityWarning) as caught:
        read_extract(path).close()
    text = " ".join(str(w.message) for w in caught)
    assert "X000004711" not in text
    assert "'note'" in text and "1 column with a name holding a long number" in text


def test_dst_codes_that_are_not_known_stay_in_the_quarantine(tmp_path, capsys):
    path = tmp_path / "dst"
    path.mkdir()
    (path / "extract.toml").write_text('extract_end = 2019-12-31\npreset = "dst"\n')
    (path / "bef2018.csv").write_text("PNR,FOED_DAG,KOEN\nP1,1990-01-01,7\nP2,1990-01-01,1\n")
    (path / "befbop2018.csv").write_text("PNR,ADRESSE_ID,BOP_VFRA,BOP_VTIL\n")
    (path / "befadr2018.csv").write_text("ADRESSE_ID,KOM\n")
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    text = printed.out + printed.err + (out / "validation_report.json").read_text()
    assert "KOEN=7" not in text and "P1" not in text
    assert "KOEN=7" in (out / "quarantine" / "persons.csv").read_text()


def test_valid_extract_is_untouched(tmp_path):
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31", format="csv")
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == EXIT_OK
    assert not (tmp_path / "v" / "conversion_errors").exists()
