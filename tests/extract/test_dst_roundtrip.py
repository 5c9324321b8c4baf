"""Round trip: canonical extract -> write_dst_extract -> DST preset -> canonical again."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cohort.exceptions import DataError
from cohort.extract.presets.base import RawTable
from cohort.extract.presets.dst import PRESET
from cohort.extract.presets.dst_write import SYNTHETIC_PROGRAMMES, write_dst_extract
from cohort.extract.schema import TABLES

END = date(2019, 12, 31)
D = date


def _canonical() -> dict[str, pd.DataFrame]:
    return {
        "persons": pd.DataFrame(
            {
                "pid": ["a", "b", "c", "d", "e"],
                "birth_date": [
                    D(1980, 1, 2),
                    D(1990, 2, 3),
                    D(2001, 3, 4),
                    D(1950, 4, 5),
                    D(1985, 5, 6),
                ],
                "sex": ["F", "M", "F", "M", "F"],
                "mother_pid": [None, None, "a", None, None],
                "father_pid": [None, None, "b", None, None],
                "origin": [
                    "danish",
                    "immigrant_western",
                    "descendant_nonwestern",
                    "immigrant_nonwestern",
                    None,
                ],
                "death_date": [None, None, None, D(2018, 7, 1), None],
            }
        ),
        "residence": pd.DataFrame(
            {
                "pid": ["a", "a", "b", "c"],
                "address_id": ["x1", "x2", "x2", "x3"],
                "moved_in": [D(2000, 1, 1), D(2010, 5, 5), D(2012, 1, 1), D(2001, 3, 4)],
                "moved_out": [D(2010, 5, 5), None, None, None],
            }
        ),
        "addresses": pd.DataFrame(
            {
                "address_id": ["x1", "x2", "x3"],
                "municipality": [159, 101, 159],
                "area": ["vaerebro_park", None, "vaerebro_park"],
            }
        ),
        "education": pd.DataFrame(
            {
                "pid": ["a", "a", "b", "c", "c", "e"],
                "level": [
                    "youth_general",
                    "bachelor",
                    "master",
                    "primary",
                    "youth_vocational",
                    "phd",
                ],
                "program": ["stx", "ba", "ma", "gs", "eud", "phd"],
                "start_date": [
                    D(1996, 8, 1),
                    D(1999, 9, 1),
                    D(2015, 9, 1),
                    D(2007, 8, 1),
                    D(2017, 8, 1),
                    D(2016, 2, 1),
                ],
                "end_date": [
                    D(1999, 6, 30),
                    D(2002, 6, 30),
                    D(2016, 1, 31),
                    D(2017, 6, 30),
                    None,
                    D(2019, 1, 31),
                ],
                "outcome": [
                    "completed",
                    "completed",
                    "dropped",
                    "completed",
                    "ongoing",
                    "completed",
                ],
            }
        ),
        "labour": pd.DataFrame(
            {
                "pid": ["a", "a", "a", "b", "b", "d"],
                "year": [2001, 2010, 2015, 2010, 2015, 2015],
                "status": [
                    "student",
                    "employed",
                    "self_employed",
                    "unemployed",
                    "public_support",
                    "retired",
                ],
            }
        ),
        "income": pd.DataFrame(
            {
                "pid": ["a", "a", "b"],
                "year": [1998, 2015, 2015],
                "disposable_income": [100000.5, 250000.0, None],
                "gross_income": [150000.0, 400000.25, 12.0],
            }
        ),
        "benefits": pd.DataFrame(
            {
                "pid": ["a", "a", "b", "b", "d", "e"],
                "benefit": [
                    "unemployment_insurance",
                    "sickness",
                    "cash_assistance",
                    "parental_leave",
                    "old_age_pension",
                    "student_grant",
                ],
                # Monday-aligned spells come back exactly; e's spell is not aligned.
                "start_date": [
                    D(2015, 12, 21),
                    D(2016, 1, 11),
                    D(2017, 3, 6),
                    D(2017, 3, 20),
                    D(2015, 5, 4),
                    D(2018, 2, 7),
                ],
                "end_date": [
                    D(2016, 1, 4),
                    D(2016, 2, 1),
                    D(2017, 3, 20),
                    D(2017, 6, 5),
                    None,
                    D(2018, 3, 2),
                ],
            }
        ),
        "migrations": pd.DataFrame(
            {
                "pid": ["b", "d"],
                "date": [D(2011, 12, 1), D(2016, 1, 1)],
                "direction": ["in", "out"],
            }
        ),
        "placements": pd.DataFrame(
            {
                "pid": ["c", "c"],
                "start_date": [D(2008, 1, 1), D(2010, 1, 1)],
                "end_date": [D(2009, 1, 1), None],
                "kind": ["foster_family", "institution"],
            }
        ),
        "convictions": pd.DataFrame(
            {
                "pid": ["b"] * 5,
                "decision_date": [D(2016, 1, 1 + k) for k in range(5)],
                "offence": ["penal_code", "weapons", "drugs", "traffic", "other"],
            }
        ),
        "exams": pd.DataFrame({"pid": ["c"], "year": [2017], "danish": [7.0], "math": [4.5]}),
        "absence": pd.DataFrame({"pid": ["c"], "year": [2017], "unauthorised_days": [6]}),
    }


def _write_canonical(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir()
    for name, df in tables.items():
        if name == "residence":  # a table as a folder of parquet files
            (folder / name).mkdir()
            df.iloc[:2].to_parquet(folder / name / "part-0.parquet")
            df.iloc[2:].to_parquet(folder / name / "part-1.parquet")
        else:
            df.to_parquet(folder / f"{name}.parquet")
    (folder / "extract.toml").write_text(
        'name = "tiny"\nextract_end = 2019-12-31\npreset = "canonical"\n', encoding="utf-8"
    )


def _read(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, RawTable]:
    """A stand-in for the reader: one view per file, lower-cased names, source columns."""
    raw = {}
    for p in sorted(folder.iterdir()):
        if p.suffix == ".parquet":
            src = f"read_parquet('{p}')"
        elif p.suffix == ".csv":
            src = f"read_csv('{p}', all_varchar = true, header = true)"
        else:
            continue
        cols = [d[0] for d in con.execute(f"SELECT * FROM {src} LIMIT 0").description]
        sel = ", ".join(f'"{c}" AS "{c.lower()}"' for c in cols)
        stem = p.stem.lower()
        con.execute(
            f"CREATE VIEW raw_{stem} AS SELECT {sel}, CAST(row_number() OVER () AS "
            f"BIGINT) AS _source_row, '{p.name}' AS _source_file FROM {src}"
        )
        n = con.execute(f"SELECT count(*) FROM raw_{stem}").fetchall()[0][0]
        raw[stem] = RawTable(stem, f"raw_{stem}", p.name, n, tuple(c.lower() for c in cols))
    return raw


_CAST = {
    "string": "VARCHAR",
    "date": "DATE",
    "int": "BIGINT",
    "float": "DOUBLE",
    "category": "VARCHAR",
}


def _typed(con: duckdb.DuckDBPyConnection, view: str, table: str) -> pd.DataFrame:
    have = {d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description}
    exprs = [
        (
            f'try_cast("{c.name}" AS {_CAST[c.type]})'
            if c.name in have
            else f"CAST(NULL AS {_CAST[c.type]})"
        )
        + f' AS "{c.name}"'
        for c in TABLES[table].columns
    ]
    df = con.execute(f"SELECT {', '.join(exprs)} FROM {view}").df()
    return df.sort_values(list(df.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    base = tmp_path_factory.mktemp("rt")
    tables = _canonical()
    _write_canonical(base / "canonical", tables)
    out = write_dst_extract(base / "canonical", base / "dst", seed=3)
    con = duckdb.connect()
    raw = _read(con, out)
    meta = tomllib.loads((out / "extract.toml").read_text(encoding="utf-8"))
    opts = dict(meta.get("dst", {}))
    got = PRESET.to_canonical(con, raw, extract_end=meta["extract_end"], options=opts)
    orig = duckdb.connect()
    expected = {}
    for name, df in tables.items():
        orig.register(f"o_{name}", df)
        expected[name] = _typed(orig, f"o_{name}", name)
    actual = {name: _typed(con, src.view, name) for name, src in got.items()}
    return out, meta, raw, got, expected, actual


def test_writer_layout(roundtrip):
    out, meta, raw, got, _, _ = roundtrip
    assert meta["preset"] == "dst" and meta["extract_end"] == END
    assert meta["dst"] == {"education_catalogue": "udd_formats.csv"}
    assert set(raw) == {
        "bef2019",
        "dod",
        "befbop",
        "befadr",
        "area_map",
        "kotre",
        "udd_formats",
        "akm2001",
        "akm2010",
        "akm2015",
        "ind1998",
        "ind2015",
        "dream",
        "vnds",
        "bua",
        "kraf",
        "exams",
        "absence",
    }
    assert "socio02" in raw["akm2010"].columns and "socio13" in raw["akm2015"].columns
    assert "socio13" in raw["akm2001"].columns
    assert "dispon_ny" in raw["ind1998"].columns and "dispon_13" in raw["ind2015"].columns
    weeks = [c for c in raw["dream"].columns if c.startswith("y_")]
    assert weeks[0] == "y_1519" and weeks[-1] == "y_2001"  # 2015-W19 .. ISO 2020-W01
    assert "y_1553" in weeks  # ISO 2015 has 53 weeks
    claimed = {n for s in got.values() for n in s.raw_names}
    assert claimed == set(raw)


@pytest.mark.parametrize(
    "table",
    [
        "persons",
        "residence",
        "addresses",
        "labour",
        "income",
        "migrations",
        "placements",
        "convictions",
        "exams",
        "absence",
    ],
)
def test_exact_tables(roundtrip, table):
    _, _, _, _, expected, actual = roundtrip
    pd.testing.assert_frame_equal(actual[table], expected[table])


def test_education_up_to_programme_codes_and_ongoing_end(roundtrip):
    _, _, _, _, expected, actual = roundtrip
    exp = expected["education"].drop(columns="program")
    got = actual["education"]
    pd.testing.assert_frame_equal(got.drop(columns="program"), exp)
    by_level = {
        "youth_general": ("H20",),
        "bachelor": ("H50", "H60"),
        "master": ("H70",),
        "primary": ("H10",),
        "youth_vocational": ("H30",),
        "phd": ("H80",),
    }
    for level, program in zip(got["level"], got["program"], strict=True):
        assert any(program in SYNTHETIC_PROGRAMMES[a] for a in by_level[level])


def test_benefits_rounded_to_iso_weeks(roundtrip):
    _, _, _, _, expected, actual = roundtrip
    exp = expected["benefits"].copy()
    # e's spell 2018-02-07 (Wed) .. 2018-03-02 (Fri, exclusive; last day Thu 03-01):
    # start -> Monday of its week, end -> Monday after the week of the last day.
    exp.loc[exp["pid"] == "e", ["start_date", "end_date"]] = [
        pd.Timestamp(2018, 2, 5),
        pd.Timestamp(2018, 3, 5),
    ]
    exp = exp.sort_values(list(exp.columns)).reset_index(drop=True)
    pd.testing.assert_frame_equal(actual["benefits"], exp)


def test_writer_is_deterministic_and_seeded(tmp_path):
    _write_canonical(tmp_path / "c", _canonical())
    a = write_dst_extract(tmp_path / "c", tmp_path / "a", seed=1)
    b = write_dst_extract(tmp_path / "c", tmp_path / "b", seed=1)
    c = write_dst_extract(tmp_path / "c", tmp_path / "x", seed=2)
    read = lambda p: pd.read_parquet(p / "kotre.parquet")  # noqa: E731
    pd.testing.assert_frame_equal(read(a), read(b))
    akm = lambda p: pd.read_parquet(p / "akm2010.parquet")  # noqa: E731
    pd.testing.assert_frame_equal(akm(a), akm(b))
    assert not (read(a).equals(read(c)) and akm(a).equals(akm(c)))


def test_writer_needs_extract_toml(tmp_path):
    (tmp_path / "c").mkdir()
    with pytest.raises(DataError, match="extract.toml"):
        write_dst_extract(tmp_path / "c", tmp_path / "o")


def test_through_the_reader(roundtrip):
    """The written folder through the library's own reader and validation."""
    from cohort.extract import read_extract

    out, _, _, _, expected, _ = roundtrip
    ex = read_extract(out)
    assert ex.report.status == "valid" and ex.report.ignored_files == ()
    for name, t in ex.report.tables.items():
        assert t.rows_quarantined == 0, name
        assert t.rows_accepted == len(expected[name]), name


def test_dream_yearly_layout_reads_back_the_same(tmp_path, roundtrip):
    _, _, _, _, _, actual = roundtrip
    _write_canonical(tmp_path / "c", _canonical())
    out = write_dst_extract(tmp_path / "c", tmp_path / "y", seed=3, dream_layout="yearly")
    names = sorted(p.name for p in out.glob("dream*"))
    assert names == [f"dream{y}.parquet" for y in range(2015, 2021)]
    assert "y_53" in pd.read_parquet(out / "dream2015.parquet").columns.str.lower()
    con = duckdb.connect()
    raw = _read(con, out)
    got = PRESET.to_canonical(
        con, raw, extract_end=END, options={"education_catalogue": "udd_formats.csv"}
    )
    pd.testing.assert_frame_equal(_typed(con, got["benefits"].view, "benefits"), actual["benefits"])


def test_writer_rejects_unknown_layout(tmp_path):
    from cohort.exceptions import ParameterError

    with pytest.raises(ParameterError, match="dream_layout"):
        write_dst_extract(tmp_path, tmp_path / "o", dream_layout="long")
