"""The CPR stop holds on every storage type and in every place of an extract folder.

Each case plants CPR numbers the way a delivery could carry them and checks, as a
user would see it, that validation stops with exit code 2 (never 4), and that
neither the numbers nor a CPR-shaped name reach the terminal, the report or a log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import warnings
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_DATA, EXIT_OK, ContractError, CprDetectedError
from cohort.extract import read_extract, write_extract
from cohort.extract._cpr import check_cpr
from cohort.extract.presets.base import RawTable

from .conftest import base_frames


def cprs(n: int = 40) -> list[str]:
    """``n`` CPR numbers; about half have a day below 10 (a leading zero)."""
    base = dt.date(1990, 1, 1)
    return [
        (base + dt.timedelta(days=i)).strftime("%d%m%y") + f"{(1234 + 7 * i) % 10000:04d}"
        for i in range(n)
    ]


CPR = cprs()
#: What must never be printed: the numbers as text and as numbers (no leading zero).
SECRETS = sorted({s for c in CPR[:12] for s in (c, c.lstrip("0"), f"{c[:6]}-{c[6:]}")})


def _extract(tmp_path: Path, name: str = "ex") -> Path:
    return write_extract(base_frames(), tmp_path / name, extract_end="2019-12-31")


def _persons(pid: pa.Array) -> pa.Table:
    n = len(pid)
    return pa.table(
        {"pid": pid, "birth_date": pa.array([dt.date(1990, 1, 1)] * n), "sex": ["F"] * n}
    )


def _put_persons(path: Path, pid: pa.Array) -> Path:
    pq.write_table(_persons(pid), path / "persons.parquet")
    return path


def _no_secret(text: str, secrets: list[str] = SECRETS) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"leaked {len(leaked)} CPR number(s)"


def assert_cpr_stop(path: Path, tmp_path: Path, capsys, caplog, secrets=SECRETS) -> str:
    """Library, CLI, report and log: a CprDetectedError, exit 2, nothing leaked."""
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CprDetectedError) as info:
            read_extract(path)
    msg = str(info.value)
    _no_secret(msg, secrets)
    for w in caught:
        _no_secret(str(w.message), secrets)
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == EXIT_DATA
    printed = capsys.readouterr()
    assert "internal error" not in printed.err and "Traceback" not in printed.err
    _no_secret(printed.out + printed.err, secrets)
    report = json.loads((out / "validation_report.json").read_text())
    assert report["status"] == "stopped"
    assert sorted(p.name for p in out.iterdir()) == [
        "validation_report.json",
        "validation_report.txt",
    ]
    _no_secret((out / "validation_report.json").read_text(), secrets)
    _no_secret((out / "validation_report.txt").read_text(), secrets)
    _no_secret(caplog.text, secrets)
    return msg


# ---------------------------------------------------------------- storage types

STORED = {
    "decimal(10,0)": lambda: pa.array([Decimal(c) for c in CPR], pa.decimal128(10, 0)),
    "decimal(12,2)": lambda: pa.array([Decimal(c + ".00") for c in CPR], pa.decimal128(12, 2)),
    "decimal(18,0)": lambda: pa.array([Decimal(c) for c in CPR], pa.decimal128(18, 0)),
    "decimal(38,0)": lambda: pa.array([Decimal(c) for c in CPR], pa.decimal128(38, 0)),
    "binary": lambda: pa.array([c.encode() for c in CPR], pa.binary()),
    "large_binary": lambda: pa.array([c.encode() for c in CPR], pa.large_binary()),
    "fixed_size_binary": lambda: pa.array([c.encode() for c in CPR], pa.binary(10)),
    "dictionary": lambda: pa.array(CPR).dictionary_encode(),
    "dictionary_of_int": lambda: pa.array([int(c) for c in CPR]).dictionary_encode(),
    "large_string": lambda: pa.array(CPR, pa.large_string()),
    "whitespace": lambda: pa.array([f"  {c}\t" if i % 2 else f"\u00a0{c} " for i, c in
                                    enumerate(CPR)]),
    "spreadsheet_text": lambda: pa.array([f"'{c}" if i % 2 else f'="{c}"' for i, c in
                                          enumerate(CPR)]),
    "int64": lambda: pa.array([int(c) for c in CPR], pa.int64()),
    "uint32": lambda: pa.array([int(c) for c in CPR], pa.uint32()),
    "uint64": lambda: pa.array([int(c) for c in CPR], pa.uint64()),
    "float64": lambda: pa.array([float(c) for c in CPR], pa.float64()),
    "float32": lambda: pa.array([float(c) for c in CPR], pa.float32()),
    "list": lambda: pa.array([[c] for c in CPR]),
    "list_with_empties": lambda: pa.array([[c, c] if i % 3 else [] for i, c in enumerate(CPR)]),
    "large_list": lambda: pa.array([[c] for c in CPR], pa.large_list(pa.string())),
    "fixed_size_list": lambda: pa.array([[c, c] for c in CPR], pa.list_(pa.string(), 2)),
    "list_of_list": lambda: pa.array([[[c]] for c in CPR]),
    "list_of_int": lambda: pa.array([[int(c)] for c in CPR]),
    "struct": lambda: pa.array([{"nr": c, "n": 1} for c in CPR]),
    "struct_of_decimal": lambda: pa.array(
        [{"nr": Decimal(c)} for c in CPR], pa.struct([("nr", pa.decimal128(10, 0))])
    ),
    "list_of_struct": lambda: pa.array([[{"nr": c}] for c in CPR]),
    "struct_of_list": lambda: pa.array([{"nrs": [c]} for c in CPR]),
    "map_key": lambda: pa.array([[(c, 1)] for c in CPR], pa.map_(pa.string(), pa.int64())),
    "map_value": lambda: pa.array([[("k", c)] for c in CPR], pa.map_(pa.string(), pa.string())),
}


@pytest.mark.parametrize("kind", sorted(STORED))
def test_cpr_numbers_stop_in_every_parquet_storage_type(tmp_path, capsys, caplog, kind):
    path = _put_persons(_extract(tmp_path), STORED[kind]())
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("persons.parquet, column 'pid")
    assert "rule cpr_shaped" in msg


def test_hyphenated_cpr_inside_a_list_and_a_blob(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    notes = pa.array([[f"note {CPR[0][:6]}-{CPR[0][6:]}"], ["fine"], []])
    addresses = pa.table({"address_id": ["A1", "A2", "A3"], "municipality": [159, 101, 101],
                          "notes": notes})
    pq.write_table(addresses, path / "addresses.parquet")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("addresses.parquet, column 'notes")
    assert "cpr_hyphenated" in msg
    addresses = addresses.set_column(
        2, "notes", pa.array([b"x", f"see {CPR[1][:6]}-{CPR[1][6:]}".encode(), None])
    )
    pq.write_table(addresses, path / "addresses.parquet")
    assert "cpr_hyphenated" in assert_cpr_stop(path, tmp_path, capsys, caplog)


@pytest.mark.parametrize("dash", ["\u2013", "\u2014", "\u2212", "\u2011"])
def test_a_cpr_number_written_with_another_dash(tmp_path, capsys, caplog, dash):
    # word processors and spreadsheets write the hyphen as an en dash, a minus sign...
    path = _extract(tmp_path)
    addresses = pa.table({"address_id": ["A1", "A2", "A3"], "municipality": [159, 101, 101],
                          "notes": [f"ring {CPR[0][:6]}{dash}{CPR[0][6:]}", "fine", None]})
    pq.write_table(addresses, path / "addresses.parquet")
    secrets = [*SECRETS, f"{CPR[0][:6]}{dash}{CPR[0][6:]}"]
    assert "cpr_hyphenated" in assert_cpr_stop(path, tmp_path, capsys, caplog, secrets=secrets)


def test_nested_columns_without_cpr_numbers_do_not_crash(tmp_path, capsys):
    path = _extract(tmp_path)
    addresses = pa.table(
        {
            "address_id": ["A1", "A2"],
            "municipality": [159, 101],
            "tags": pa.array([["a", "b"], None]),
            "info": pa.array([{"x": 1, "y": [1.5]}, None]),
            "m": pa.array([[("k", 1)], []], pa.map_(pa.string(), pa.int64())),
        }
    )
    pq.write_table(addresses, path / "addresses.parquet")
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == EXIT_OK
    assert "internal error" not in capsys.readouterr().err


def test_a_column_nested_too_deep_is_refused_by_name(tmp_path, capsys):
    path = _extract(tmp_path)
    value: object = "x"
    for _ in range(10):
        value = [value]
    pq.write_table(
        pa.table({"address_id": ["A1", "A2"], "municipality": [159, 101],
                  "deep": pa.array([value, None])}),
        path / "addresses.parquet",
    )
    with pytest.raises(ContractError, match=r"^addresses.parquet, column 'deep': nested more"):
        read_extract(path)
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == EXIT_DATA
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("dtype", ["HUGEINT", "UHUGEINT", "UBIGINT", "DECIMAL(38,0)"])
def test_cpr_numbers_in_wide_integer_types(dtype):
    con = duckdb.connect()
    values = ", ".join(f"({int(c)})" for c in CPR)
    con.execute(
        f"CREATE VIEW raw_x AS SELECT CAST(v AS {dtype}) AS ref, 1 AS _source_row, "
        f"'x.parquet' AS _source_file FROM (VALUES {values}) t(v)"
    )
    raw = RawTable(name="x", view="raw_x", file="x.parquet", rows=len(CPR), columns=("ref",))
    with pytest.raises(CprDetectedError, match="x.parquet, column 'ref'"):
        check_cpr(con, raw)


def test_eleven_digit_numbers_are_not_cut_to_ten(tmp_path):
    # lpad() cuts longer text: a CPR number followed by a digit is no CPR number
    eleven = [int(c + "5") for c in CPR if not c.startswith("0")]
    path = _put_persons(_extract(tmp_path), pa.array(eleven))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with read_extract(path) as ex:
            assert ex.report["persons"].rows_read == len(eleven)


def test_two_columns_with_one_pid_like_name_are_named_by_position(tmp_path):
    path = _extract(tmp_path)
    (path / "extra.csv").write_text("X000004711,x000004711\n1,2\n")
    with pytest.raises(ContractError) as info:
        read_extract(path)
    assert str(info.value) == (
        "extra.csv: columns 1 and 2 have the same name when case is ignored"
    )


# ------------------------------------------------------------------- missing values

@pytest.mark.parametrize("marker", [".", ".A", ".Z", "._", "", "   ", "NA", None])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_sas_missing_markers_do_not_dilute_the_share(tmp_path, capsys, caplog, marker, fmt):
    values = [marker if i % 16 == 0 else c for i, c in enumerate(cprs(160))]
    frames = base_frames()
    frames["addresses"] = pd.DataFrame(
        {"address_id": [f"A{i}" for i in range(160)], "municipality": [159] * 160,
         "owner": values}
    )
    path = write_extract(frames, tmp_path / "ex", extract_end="2019-12-31", format=fmt)
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert "column 'owner': 150 of 150 non-missing values" in msg


def test_missing_markers_alone_are_not_cpr(tmp_path):
    frames = base_frames()
    frames["addresses"]["area"] = ["."] * 2
    with read_extract(write_extract(frames, tmp_path / "ex", extract_end="2019-12-31")) as ex:
        assert ex.report.status == "valid"


# ---------------------------------------------------------------------- CSV as text

@pytest.mark.parametrize(
    "form",
    ["number", "number_with_decimal", "quoted"],
)
def test_cpr_numbers_in_csv_text_that_went_through_a_number(tmp_path, capsys, caplog, form):
    """A spreadsheet drops the leading zero (a third of all CPR numbers); pandas
    writes a float column with missing values as 101901234.0."""
    path = write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31", format="csv")
    if form == "number":
        pids = [str(int(c)) for c in CPR]
    elif form == "number_with_decimal":
        pids = [f"{int(c)}.0" for c in CPR]
    else:
        pids = [f'"{c}"' for c in CPR]
    lines = ["pid,birth_date,sex"] + [f"{p},1990-01-01,F" for p in pids]
    (path / "persons.csv").write_text("\n".join(lines) + "\n")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("persons.csv, column 'pid'")


def test_stata_file_with_cpr_numbers_as_text_and_as_numbers(tmp_path, capsys, caplog):
    import pyreadstat

    path = _extract(tmp_path)
    (path / "persons.parquet").unlink()
    df = pd.DataFrame({"pid": CPR, "birth_date": [dt.datetime(1990, 1, 1)] * len(CPR),
                       "sex": ["F"] * len(CPR)})
    pyreadstat.write_dta(df, str(path / "persons.dta"))
    assert_cpr_stop(path, tmp_path, capsys, caplog)
    df["pid"] = [float(c) for c in CPR]
    pyreadstat.write_dta(df, str(path / "persons.dta"))
    assert_cpr_stop(path, tmp_path, capsys, caplog)


def test_dst_preset_files(tmp_path, capsys, caplog):
    path = tmp_path / "dst"
    path.mkdir()
    (path / "extract.toml").write_text('extract_end = 2019-12-31\npreset = "dst"\n')
    (path / "bef2018.csv").write_text(
        "PNR,FOED_DAG,KOEN\n" + "".join(f"{c},1990-01-01,1\n" for c in CPR)
    )
    (path / "befbop2018.csv").write_text("PNR,ADRESSE_ID,BOP_VFRA,BOP_VTIL\n")
    (path / "befadr2018.csv").write_text("ADRESSE_ID,KOM\n")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("bef2018.csv, column 'pnr'")


# ------------------------------------------------------------------- column names

def test_a_column_named_like_a_cpr_number(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    table = _persons(pa.array(["P1", "P2", "P3"])).append_column(CPR[0], pa.array([1, 2, 3]))
    pq.write_table(table, path / "persons.parquet")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("column 4 of persons.parquet has a name shaped like a CPR number")


@pytest.mark.parametrize("name", [CPR[1], f"{CPR[2][:6]}-{CPR[2][6:]}", f"x_{CPR[3]}",
                                  str(int(CPR[4]))])
def test_a_wide_csv_whose_headers_are_cpr_numbers(tmp_path, capsys, caplog, name):
    path = _extract(tmp_path)
    (path / "matrix.csv").write_text(f"id,{name},other\nx,1,2\n")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert msg.startswith("column 2 of matrix.csv has a name shaped like a CPR number")


def test_a_struct_field_named_like_a_cpr_number(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    info = pa.array([{CPR[5]: 1}, {CPR[5]: 2}])
    pq.write_table(
        pa.table({"address_id": ["A1", "A2"], "municipality": [159, 101], "info": info}),
        path / "addresses.parquet",
    )
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert "addresses.parquet" in msg and "shaped like a CPR number" in msg


def test_a_column_named_like_a_pid_is_given_by_position(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    pq.write_table(pa.table({"id": ["a"] * len(CPR), "X000004711": CPR}), path / "wide.parquet")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog, secrets=[*SECRETS, "000004711"])
    assert msg.startswith("wide.parquet, column 2: 40 of 40 non-missing values")


# --------------------------------------------------------------------- file names

@pytest.mark.parametrize(
    "rel",
    [
        f"{CPR[0]}.csv",
        f"{int(CPR[7])}.parquet",
        f"persons_{CPR[1][:6]}-{CPR[1][6:]}.csv",
        f".{CPR[2]}.csv",
        f"notes_{CPR[3]}.txt",
        f"backup_{CPR[4]}/persons.csv",
        f"residence/pid={CPR[5]}/part-0.parquet",
    ],
)
def test_a_file_named_like_a_cpr_number_stops_and_is_never_echoed(tmp_path, capsys, caplog, rel):
    path = _extract(tmp_path)
    target = path / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if rel.startswith("residence/"):
        (path / "residence.parquet").rename(target)
    else:
        target.write_text("a,b\n1,2\n")
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert "name" in msg and "CPR number" in msg


# ------------------------------------------------------------ hidden and other files

def _persons_csv(pids: list[str]) -> str:
    return "pid,birth_date,sex\n" + "".join(f"{p},1990-01-01,F\n" for p in pids)


@pytest.mark.parametrize(
    "rel", [".persons_backup.csv", "backup/persons.csv", ".old/persons.csv",
            "residence_parts/.tmp.csv"]
)
def test_hidden_and_nested_files_are_scanned(tmp_path, capsys, caplog, rel):
    path = _extract(tmp_path)
    target = path / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_persons_csv(CPR))
    msg = assert_cpr_stop(path, tmp_path, capsys, caplog)
    assert "column 'pid'" in msg


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), (",", "latin-1"),
                                                     (";", "latin-1")])
def test_a_hidden_backup_in_another_dialect_is_scanned(tmp_path, capsys, caplog, delimiter,
                                                       encoding):
    path = _extract(tmp_path)  # extract.toml: no [csv], so UTF-8 and ','
    text = "pid;name;sex\n" + "".join(f"{c};Søren Ærø;F\n" for c in CPR)
    (path / ".persons_backup.csv").write_bytes(text.replace(";", delimiter).encode(encoding))
    assert "column 'pid'" in assert_cpr_stop(path, tmp_path, capsys, caplog)


def test_hidden_files_are_listed_as_ignored(tmp_path, capsys):
    path = _extract(tmp_path)
    (path / ".persons_backup.csv").write_text(_persons_csv(["X1", "X2"]))
    (path / "._persons.csv").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X\xff\xfe")
    (path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00")
    (path / "notes.txt").write_text("delivered 2020\n")
    (path / "backup").mkdir()
    (path / "backup" / "persons.csv").write_text(_persons_csv(["X1"]))
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == EXIT_OK
    printed = capsys.readouterr()
    assert "internal error" not in printed.err
    report = json.loads((tmp_path / "v" / "validation_report.json").read_text())
    assert report["ignored_files"] == [
        ".DS_Store",
        "._persons.csv",
        ".persons_backup.csv",
        "backup/",
        "notes.txt",
    ]
    assert ".persons_backup.csv" in printed.out


def test_hidden_parquet_holding_cpr_numbers(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    pq.write_table(_persons(pa.array(CPR)), path / ".persons.parquet")
    assert_cpr_stop(path, tmp_path, capsys, caplog)


def test_extract_toml_name_with_a_cpr_number_is_never_echoed(tmp_path, capsys, caplog):
    path = _extract(tmp_path)
    text = (path / "extract.toml").read_text().replace('name = "extract"',
                                                       f'name = "data of {CPR[0]}"')
    (path / "extract.toml").write_text(text)
    assert_cpr_stop(path, tmp_path, capsys, caplog)


def test_the_extract_folder_named_like_a_cpr_number_is_not_echoed(tmp_path, capsys):
    src = _extract(tmp_path)
    path = tmp_path / CPR[6]
    shutil.copytree(src, path)
    text = (path / "extract.toml").read_text().replace('name = "extract"\n', "")
    (path / "extract.toml").write_text(text)
    assert main(["validate", str(path), "--out", str(tmp_path / "v")]) == EXIT_OK
    _no_secret((tmp_path / "v" / "validation_report.json").read_text())
    _no_secret((tmp_path / "v" / "validation_report.txt").read_text())
