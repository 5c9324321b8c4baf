"""Values reach DuckDB as parameters or through cohort._sql, never spliced in by hand.

Paths with an apostrophe, a double quote, a semicolon, a space and non-ASCII letters
(the extract folder, --out, TMPDIR) and an area name with an apostrophe work end to
end through the command line: synth, validate and run.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cohort._sql import sql_date, sql_float, sql_ident, sql_int, sql_list, sql_str
from cohort.cli import main
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK
from cohort.extract import write_extract
from cohort.extract._meta import read_meta

from .conftest import base_frames

ROOT = Path(__file__).resolve().parents[2]
#: every character that broke SQL built by string formatting, and some that might
NASTY = "it's \"q\"; -- ø Å\\ x"

_text = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(_text)
def test_a_string_literal_reads_back_exactly(value):
    con = duckdb.connect()
    assert con.execute(f"SELECT {sql_str(value)}").fetchall() == [(value,)]


@given(_text.filter(lambda s: s.strip() != ""))
def test_an_identifier_reads_back_exactly(name):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({sql_ident(name)} INTEGER)")
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == [name]


def test_the_other_quoters():
    con = duckdb.connect()
    listed = sql_list(["a", NASTY, "b'c"])
    row = con.execute(
        f"SELECT {sql_date('2020-02-29')}, {sql_int(159)}, {sql_float(0.1)}, "
        f"'b''c' IN ({listed})"
    ).fetchall()[0]
    assert [str(row[0]), row[1], float(row[2]), row[3]] == ["2020-02-29", 159, 0.1, True]
    for bad, quoter in ((True, sql_int), (1.5, sql_int), (float("inf"), sql_float),
                        (3, sql_str), ("x", sql_list)):
        with pytest.raises((TypeError, ValueError)):
            quoter(bad)


def test_one_quoting_helper_and_no_copies():
    """The idioms of hand-made quoting appear nowhere in the package but cohort/_sql.py."""
    idioms = [
        re.compile(r"""replace\(\s*"'"\s*,\s*"''"\s*\)"""),  # .replace("'", "''")
        re.compile(r"""replace\(\s*'"'\s*,\s*'""'\s*\)"""),  # .replace('"', '""')
        re.compile(r"""\bDATE '\{"""),  # f"DATE '{d}'"
        re.compile(r"""^def (date_lit|_q|_quote|_lit|_sql_list|lit|q)\(""", re.MULTILINE),
        re.compile(r"""SET \w+ = '\{"""),  # f"SET memory_limit = '{x}'"
        re.compile(r"""TO '\{"""),  # f"COPY ... TO '{path}'"
    ]
    found = []
    for path in sorted((ROOT / "cohort").rglob("*.py")):
        if path.name == "_sql.py" and path.parent.name == "cohort":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {rx.pattern}" for rx in idioms if rx.search(text)]
    assert found == []


# -- end to end, through the command line -----------------------------------------


@pytest.fixture
def nasty(tmp_path, monkeypatch) -> Path:
    """A folder whose name holds NASTY, with TMPDIR inside another such folder."""
    folder = tmp_path / NASTY
    tmpdir = tmp_path / f"tmp {NASTY}"
    folder.mkdir()
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    assert tempfile.gettempdir() == str(tmpdir)
    return folder


def _quarantining_frames() -> dict[str, pd.DataFrame]:
    frames = base_frames()
    frames["persons"].loc[3] = ["P4", pd.Timestamp("1990-01-01").date(), "X", None, None]
    frames["addresses"].loc[1, "area"] = NASTY  # an area name with an apostrophe
    return frames


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_validate_with_nasty_paths(nasty, capsys, fmt):
    extract = write_extract(_quarantining_frames(), nasty / f"extract {NASTY}",
                            extract_end="2019-12-31", format=fmt)
    out = nasty / f"val {NASTY}"
    assert main(["validate", str(extract), "--out", str(out)]) == EXIT_FINDINGS
    report = json.loads((out / "validation_report.json").read_text(encoding="utf-8"))
    assert report["status"] == "quarantined"
    assert report["tables"]["persons"]["rules"] == {"invalid_code": 1}
    quarantine = pd.read_csv(out / "quarantine" / "persons.csv")
    assert quarantine["_source_file"].tolist() == [f"persons.{fmt}"]
    assert sorted(p.name for p in out.iterdir()) == [
        "quarantine", "validation_report.json", "validation_report.txt"]
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # the working folder is gone


def test_conversion_errors_with_nasty_paths(nasty, capsys):
    frames = base_frames()
    frames["addresses"]["municipality"] = ["159", "1,5"]
    extract = write_extract(frames, nasty / "extract", extract_end="2019-12-31", format="csv")
    out = nasty / f"val {NASTY}"
    assert main(["validate", str(extract), "--out", str(out)]) == 2
    target = out / "conversion_errors" / "addresses.municipality.csv"
    assert pd.read_csv(target, dtype=str)["municipality"].tolist() == ["1,5"]
    report = json.loads((out / "validation_report.json").read_text(encoding="utf-8"))
    assert str(target) in report["error"]  # the final path, not the staging folder's


def test_synth_dst_with_nasty_paths(nasty, capsys):
    """The DST writer reads the canonical extract from TMPDIR and writes with DuckDB.

    (Validating a DST extract takes a quarter of a minute: test_dst_roundtrip does.)
    """
    extract = nasty / f"dst {NASTY}"
    assert main(["synth", str(extract), "--persons", "2000", "--seed", "1",
                 "--format", "dst"]) == EXIT_OK
    assert read_meta(extract).preset == "dst"
    assert pq.read_table(extract / "bef2019.parquet").num_rows == 2000
    assert list(Path(tempfile.gettempdir()).iterdir()) == []  # the canonical copy is gone


def test_run_with_nasty_paths_and_area_name(small_extract, nasty, tmp_path, capsys):
    """`cohort run` of the indicators on an area whose name holds NASTY.

    The same counts as for the area under its own name (the released tables, the
    unit's label aside).
    """
    extract = nasty / f"extract {NASTY}"
    shutil.copytree(small_extract, extract)
    table = pq.read_table(extract / "addresses.parquet")
    area = table["area"]
    renamed = pc.if_else(pc.equal(area, "vaerebro_park"), pa.scalar(NASTY), area)
    pq.write_table(table.set_column(table.schema.get_field_index("area"), "area", renamed),
                   extract / "addresses.parquet")
    study = """
[study]
name = "test study"
seed = 7

[units]
target = {target}
municipality = 159
comparison = ["tingbjerg", "gellerup"]

[analyses.indicators]
years = [2016, 2018]
"""
    releases = {}
    for name, folder, target in (("nasty", extract, NASTY), ("plain", small_extract,
                                                             "vaerebro_park")):
        spec = tmp_path / f"{name}.toml"
        spec.write_text(study.format(target=json.dumps(target)), encoding="utf-8")
        out = nasty / f"release {name} {NASTY}"
        assert main(["run", str(spec), "--extract", str(folder), "--out", str(out)]) == EXIT_OK
        releases[name] = pd.read_csv(out / "strategy_table.csv")
    nasty_t, plain = releases["nasty"], releases["plain"]
    assert f"area:{NASTY}" in set(nasty_t["unit"])
    plain["unit"] = plain["unit"].str.replace("vaerebro_park", NASTY, regex=False)
    pd.testing.assert_frame_equal(nasty_t, plain)
