"""CSV files: a byte-order mark before a quoted header is read; a file in another
encoding than declared gets a message about the encoding, never about the delimiter."""

from __future__ import annotations

import json

import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_DATA, EXIT_OK, ContractError, CprDetectedError
from cohort.extract import read_extract, write_extract

from .conftest import base_frames

PERSONS = ["pid,birth_date,sex,mother_pid,origin", "P1,2000-02-29,F,P3,danish",
           "P2,1985-06-15,M,,immigrant_western", "P3,1970-01-01,F,,"]


def _extract(tmp_path, *, encoding="utf-8", delimiter=","):
    return write_extract(base_frames(), tmp_path / "ex", extract_end="2019-12-31", format="csv",
                         encoding=encoding, delimiter=delimiter)


def _quoted(lines, delimiter=","):
    return ["".join(delimiter.join(f'"{f}"' for f in ln.split(","))) for ln in lines]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_bom_before_a_quoted_header_is_read(tmp_path, capsys, delimiter):
    path = _extract(tmp_path, delimiter=delimiter)
    text = "\ufeff" + "\n".join(_quoted(PERSONS, delimiter)) + "\n"
    (path / "persons.csv").write_text(text, encoding="utf-8")
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_OK
    report = json.loads((tmp_path / "val" / "validation_report.json").read_text())
    assert report["tables"]["persons"]["rows_accepted"] == 3


def _latin1_persons(extra_rows: int, last: str) -> bytes:
    rows = PERSONS + [f"Q{i},1990-01-01,F,," for i in range(extra_rows)] + [last]
    return ("\n".join(rows) + "\n").encode("cp1252")


@pytest.mark.parametrize("extra_rows", [0, 2000])  # in the header's first block, or far after
def test_a_latin1_file_read_as_utf8_gets_the_encoding_advice(tmp_path, capsys, extra_rows):
    path = _extract(tmp_path)
    (path / "persons.csv").write_bytes(_latin1_persons(extra_rows, "S\u00f8ren,1990-01-01,F,,"))
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_DATA
    msg = json.loads((tmp_path / "val" / "validation_report.json").read_text())["error"]
    assert msg == (
        f"persons.csv: the file is not valid utf-8 text (first at line {extra_rows + 5:,}); "
        'it was probably written as Latin-1 (or cp1252, Excel\'s "CSV" on Windows): set '
        '[csv] encoding = "latin-1" in extract.toml (or save the file as "CSV UTF-8")'
    )
    assert "S\u00f8ren" not in msg
    # and with that setting it reads
    toml = path / "extract.toml"
    toml.write_text(toml.read_text().replace('"utf-8"', '"latin-1"'))
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_OK


@pytest.mark.parametrize("declared", ["utf-8", "latin-1"])
@pytest.mark.parametrize("extra_rows", [0, 2000])
def test_a_cp1252_file_gets_the_encoding_advice(tmp_path, capsys, extra_rows, declared):
    """\u2019 is 0x92 in cp1252 ("ANSI" Excel), no letter in Latin-1: DuckDB refuses it."""
    path = _extract(tmp_path, encoding=declared)
    last = "O\u2019Brien S\u00f8ren,1990-01-01,F,,"
    (path / "persons.csv").write_bytes(_latin1_persons(extra_rows, last))
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_DATA
    msg = json.loads((tmp_path / "val" / "validation_report.json").read_text())["error"]
    assert msg == (
        "persons.csv: the file is neither UTF-8 nor Latin-1 text: it has bytes that cp1252 "
        '("ANSI", Excel\'s "CSV" on Windows) uses for characters such as \u20ac \u2019 '
        f"\u201c \u201d, which Latin-1 does not have (first at line {extra_rows + 5:,}). "
        'Save it as "CSV UTF-8" (or convert it: iconv -f cp1252 -t utf-8) and set [csv] '
        'encoding = "utf-8" in extract.toml'
    )
    assert "delimiter" not in msg and "Brien" not in msg
    (path / "persons.csv").write_text("\n".join(PERSONS + [last]) + "\n", encoding="utf-8")
    toml = path / "extract.toml"
    toml.write_text(toml.read_text().replace(f'"{declared}"', '"utf-8"'))
    assert main(["validate", str(path), "--out", str(tmp_path / "val")]) == EXIT_OK


def test_a_utf16_file_is_named_as_such(tmp_path):
    path = _extract(tmp_path)
    (path / "persons.csv").write_bytes("\n".join(PERSONS).encode("utf-16"))
    for encoding in ("utf-8", "latin-1"):
        toml = path / "extract.toml"
        toml.write_text(toml.read_text().replace('"utf-8"', f'"{encoding}"'))
        with pytest.raises(ContractError, match=r"^persons.csv: the file is UTF-16 text"):
            read_extract(path)


def test_utf8_declared_latin1_is_named(tmp_path):
    path = _extract(tmp_path, encoding="latin-1")
    (path / "persons.csv").write_text("\ufeff" + "\n".join(PERSONS) + "\n", encoding="utf-8")
    with pytest.raises(ContractError) as info:
        read_extract(path)
    assert str(info.value) == (
        "persons.csv: the file is UTF-8 text (it starts with a UTF-8 byte-order mark), but "
        'extract.toml declares [csv] encoding = "latin-1": set [csv] encoding = "utf-8"'
    )


def test_a_hidden_utf8_backup_of_a_latin1_extract_is_still_scanned(tmp_path):
    path = _extract(tmp_path, encoding="latin-1")
    backup = "\ufeffpid,note\n" + "".join(f"{i},010190-123{i}\n" for i in range(5))
    (path / ".persons_backup.csv").write_text(backup, encoding="utf-8")
    with pytest.raises(CprDetectedError, match=r"\.persons_backup\.csv, column 'note'"):
        read_extract(path)


def test_a_field_count_problem_still_names_the_delimiter(tmp_path):
    path = _extract(tmp_path)
    rows = PERSONS + [f"Q{i},1990-01-01,F,," for i in range(2000)] + ["Q,1990-01-01,F"]
    (path / "persons.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ContractError, match="cannot be read as CSV with delimiter ','"):
        read_extract(path)
