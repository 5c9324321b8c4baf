"""The corrupt-input suite: every fatal breach stops with one exact message that
names the file, the column and the rule, and never quotes a pid."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from cohort.exceptions import EXIT_DATA, EXIT_FINDINGS, EXIT_OK, EXIT_USER, ContractError, UserError
from cohort.extract import read_extract, validate_extract, write_extract

from .conftest import base_frames


def _write(tmp_path, frames=None, **kw):
    return write_extract(frames or base_frames(), tmp_path / "ex", extract_end="2019-12-31", **kw)


def test_missing_extract_toml(tmp_path):
    path = _write(tmp_path)
    (path / "extract.toml").unlink()
    with pytest.raises(ContractError, match="extract.toml is missing"):
        read_extract(path)


def test_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        read_extract(tmp_path / "nowhere")


def test_bad_extract_end(tmp_path):
    path = _write(tmp_path)
    (path / "extract.toml").write_text('extract_end = "31-12-2019"\n')
    with pytest.raises(ContractError, match="extract_end must be a date"):
        read_extract(path)


def test_missing_required_table(tmp_path):
    path = _write(tmp_path)
    (path / "addresses.parquet").unlink()
    with pytest.raises(ContractError, match="the extract has no table 'addresses'"):
        read_extract(path)


def test_missing_required_column(tmp_path):
    frames = base_frames()
    frames["residence"] = frames["residence"].drop(columns="moved_in")
    with pytest.raises(
        ContractError,
        match=re.escape("residence.parquet: required column(s) 'moved_in' missing from table "
                        "'residence' (rule required_column)"),
    ):
        read_extract(_write(tmp_path, frames))


def test_unreadable_parquet(tmp_path):
    path = _write(tmp_path)
    (path / "residence.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ContractError, match=r"^residence.parquet: the file cannot be read as Parquet$"):
        read_extract(path)


def test_unreadable_sas(tmp_path):
    path = _write(tmp_path)
    (path / "exams.sas7bdat").write_bytes(b"\x00" * 2048)
    with pytest.raises(ContractError, match=r"^exams.sas7bdat: the file cannot be read as SAS7BDAT$"):
        read_extract(path)


def test_wrong_encoding_names_the_fix_and_quotes_nothing(tmp_path):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Gellerupparken Århus"
    path = _write(tmp_path, frames, format="csv", encoding="latin-1")
    (path / "extract.toml").write_text(
        (path / "extract.toml").read_text().replace('"latin-1"', '"utf-8"')
    )
    with pytest.raises(ContractError) as info:
        read_extract(path)
    msg = str(info.value)
    assert msg.startswith("addresses.csv: the file is not valid utf-8 text")
    assert 'encoding = "latin-1"' in msg
    assert "Gellerup" not in msg


def test_ragged_csv_quotes_no_line(tmp_path):
    path = _write(tmp_path, format="csv")
    (path / "persons.csv").write_text("pid,birth_date,sex\nP1,2000-01-01,F,EXTRA\n")
    with pytest.raises(ContractError) as info:
        read_extract(path)
    assert str(info.value).startswith("persons.csv: the file cannot be read as CSV")
    assert "P1" not in str(info.value)


def test_unconvertible_number_column_names_the_shapes_never_the_values(tmp_path):
    frames = base_frames()
    frames["labour"] = pd.DataFrame(
        {"pid": ["P1"] * 7, "year": ["2010", "x1", "x2", "x3", "x4", "x5", "6 x"],
         "status": ["employed"] * 7}
    )
    with pytest.raises(ContractError) as info:
        read_extract(_write(tmp_path, frames, format="csv"))
    assert str(info.value) == (
        "labour.csv, column 'year': 6 value(s) cannot be read as whole numbers "
        "(rule type_conversion); their shapes: letters followed by digits (5), "
        "digits followed by text (1). No rows of the table are used; the values are not "
        "shown; `cohort validate` with `--out DIR` writes them to "
        "DIR/conversion_errors/labour.year.csv."
    )


def test_date_column_with_no_date_at_all_is_fatal(tmp_path):
    frames = base_frames()
    frames["migrations"] = pd.DataFrame(
        {"pid": ["P1", "P2"], "date": ["soon", "later"], "direction": ["out", "in"]}
    )
    with pytest.raises(ContractError, match="column 'date': 2 value\\(s\\) cannot be read as dates"):
        read_extract(_write(tmp_path, frames, format="csv"))


def test_two_files_for_one_table(tmp_path):
    path = _write(tmp_path)
    base_frames()["persons"].to_csv(path / "persons.csv", index=False)
    with pytest.raises(ContractError, match="two files for one table: persons.csv and persons.parquet"):
        read_extract(path)


def test_validate_writes_report_even_when_stopped(tmp_path):
    path = _write(tmp_path)
    (path / "residence.parquet").write_bytes(b"garbage")
    report = validate_extract(path, out=tmp_path / "val")
    assert report.status == "stopped"
    data = json.loads((tmp_path / "val" / "validation_report.json").read_text())
    assert data["status"] == "stopped"
    assert "residence.parquet" in data["error"]
    assert not (tmp_path / "val" / "quarantine").exists()


def test_validate_never_writes_into_the_extract(tmp_path):
    path = _write(tmp_path)
    with pytest.raises(UserError, match="inside the extract"):
        validate_extract(path, out=path / "validation")


@pytest.mark.parametrize(
    ("breach", "code"), [("none", EXIT_OK), ("row", EXIT_FINDINGS), ("fatal", EXIT_DATA)]
)
def test_cli_validate_exit_codes_and_files(tmp_path, capsys, breach, code):
    from cohort.cli import main

    frames = base_frames()
    if breach == "row":
        frames["persons"].loc[0, "sex"] = "X"
    path = _write(tmp_path, frames)
    if breach == "fatal":
        (path / "addresses.parquet").write_bytes(b"garbage")
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == code
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    for pid in ("P1", "P2", "P3"):
        assert pid not in printed.out + printed.err
        assert pid not in (out / "validation_report.txt").read_text()
        assert pid not in (out / "validation_report.json").read_text()
    if breach == "row":
        q = pd.read_csv(out / "quarantine" / "persons.csv")
        assert list(q["rule"]) == ["invalid_code"]
        assert list(q["_source_row"]) == [1]
        assert "persons" in printed.out and "invalid_code 1" in printed.out


def test_cli_user_error_exit_code(tmp_path, capsys):
    from cohort.cli import main

    assert main(["validate", str(tmp_path / "nowhere"), "--out", str(tmp_path / "v")]) == EXIT_USER
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["validate"])
    assert info.value.code == EXIT_USER
