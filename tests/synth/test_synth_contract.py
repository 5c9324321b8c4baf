"""The synthetic extract keeps the data contract."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import cohort
from cohort.exceptions import ParameterError
from cohort.extract.schema import TABLES
from cohort.synth import AREA_MUNICIPALITIES, COMPARISON_AREAS, synthesise
from cohort.synth._tables import schema
from cohort.synth._world import municipalities

ALL = tuple(TABLES)
SMALL_PERSONS = 20_000  # conftest: synth_extract


@pytest.fixture(scope="module")
def tables(synth_extract, load_tables):
    return load_tables(synth_extract, ALL)


def test_every_table_has_the_canonical_columns_and_types(synth_extract):
    for name in ALL:
        got = pq.read_schema(synth_extract / f"{name}.parquet")
        assert got.names == list(TABLES[name].column_names)
        assert got == schema(name)


def test_extract_toml(synth_extract):
    meta = tomllib.loads((synth_extract / "extract.toml").read_text())
    assert meta["preset"] == "canonical"
    assert str(meta["extract_end"]) == "2019-12-31"
    assert "csv" not in meta


def test_persons_count_is_exact_and_pids_unique(tables):
    p = tables["persons"]
    assert len(p) == SMALL_PERSONS
    assert p["pid"].is_unique


def test_every_pid_is_a_person(tables):
    pids = set(tables["persons"]["pid"])
    for name in ALL:
        if "pid" in tables[name]:
            assert set(tables[name]["pid"]) <= pids, name
    p = tables["persons"]
    for col in ("mother_pid", "father_pid"):
        assert set(p[col].dropna()) <= pids
    assert p["mother_pid"].notna().mean() > 0.2


def test_ids_are_opaque_and_never_cpr_shaped(tables):
    pid_re = re.compile(r"^P[0-9A-Z]{11}$")
    assert tables["persons"]["pid"].map(lambda s: bool(pid_re.match(s))).all()
    addr = tables["addresses"]["address_id"]
    assert addr.str.match(r"^A[0-9A-Z]{11}$").all()
    assert addr.is_unique
    for col in (tables["persons"]["pid"], addr):
        assert not col.str.fullmatch(r"\d{10}").any()
        assert not col.str.fullmatch(r"\d{6}-\d{4}").any()


def test_residence_spells_are_half_open_and_never_overlap(tables):
    r = tables["residence"].sort_values(["pid", "moved_in"], kind="stable")
    assert (r["moved_out"].isna() | (r["moved_out"] > r["moved_in"])).all()
    nxt = r.groupby("pid")["moved_in"].shift(-1)
    has_next = nxt.notna()
    assert r.loc[has_next, "moved_out"].notna().all()
    assert (r.loc[has_next, "moved_out"] <= nxt[has_next]).all()
    assert set(r["address_id"]) <= set(tables["addresses"]["address_id"])
    assert (r["moved_in"] <= pd.Timestamp("2019-12-31")).all()


def test_spells_end_after_they_start(tables):
    for name, (s, e) in {
        "education": ("start_date", "end_date"),
        "benefits": ("start_date", "end_date"),
        "placements": ("start_date", "end_date"),
    }.items():
        t = tables[name]
        assert (t[e].isna() | (t[e] > t[s])).all(), name
        assert (t[s] <= pd.Timestamp("2019-12-31")).all(), name
    p = tables["persons"]
    assert (p["death_date"].isna() | (p["death_date"] >= p["birth_date"])).all()


def test_categories_are_within_the_contract(tables):
    for name in ALL:
        for col in TABLES[name].columns:
            if col.categories:
                assert set(tables[name][col.name].dropna()) <= set(col.categories), (name, col.name)


def test_grades_and_keys(tables):
    x = tables["exams"]
    for c in ("danish", "math"):
        v = x[c].dropna()
        assert v.between(-3, 12).all()
    assert not x.duplicated(["pid", "year"]).any()
    assert not tables["labour"].duplicated(["pid", "year"]).any()
    assert not tables["income"].duplicated(["pid", "year"]).any()
    assert (tables["absence"]["unauthorised_days"] >= 0).all()


def test_education_outcome_matches_end(tables):
    e = tables["education"]
    assert ((e["outcome"] == "ongoing") == e["end_date"].isna()).all()
    assert {"youth_general", "youth_vocational", "bachelor", "primary"} <= set(e["level"])


def test_addresses_hold_gladsaxe_the_estate_and_the_comparison_estates(tables):
    a = tables["addresses"]
    codes, _ = municipalities()
    assert set(a["municipality"]) <= set(codes.tolist())
    areas = a.dropna(subset=["area"]).groupby("area")["municipality"].unique()
    assert areas["vaerebro_park"].tolist() == [159]
    assert {"tingbjerg", "gellerup", "vollsmose"} <= set(areas.index)
    assert set(areas.index) == {"vaerebro_park", *COMPARISON_AREAS}
    for name, munis in areas.items():
        assert munis.tolist() == [AREA_MUNICIPALITIES[name]], name
    assert set(a["district"].dropna()) == {"bagsvaerd"}


def test_migrations_match_gaps_in_residence(tables):
    r, m = tables["residence"], tables["migrations"]
    out = m[m["direction"] == "out"]
    assert len(out) > 0
    ends = r.merge(out, left_on=["pid", "moved_out"], right_on=["pid", "date"])
    assert len(ends) == len(out)  # every emigration ends a spell on its date
    covering = r.merge(out, on="pid")
    covering = covering[
        (covering["moved_in"] <= covering["date"])
        & (covering["moved_out"].isna() | (covering["date"] < covering["moved_out"]))
    ]
    assert covering.empty  # and the person lives nowhere on that date


def test_the_extract_validates_with_nothing_quarantined(synth_extract):
    ex = cohort.read_extract(synth_extract)
    try:
        report = ex.report
        assert report.status == "valid"
        for t in ALL:
            assert report.tables[t].rows_quarantined == 0, t
            assert report.tables[t].rows_read == report.tables[t].rows_accepted
    finally:
        ex.close()


def test_csv_format_validates(tmp_path):
    res = synthesise(tmp_path / "csv", persons=2_000, seed=3, format="csv")
    assert (tmp_path / "csv" / "persons.csv").exists()
    meta = tomllib.loads((tmp_path / "csv" / "extract.toml").read_text())
    assert meta["csv"] == {"encoding": "utf-8", "delimiter": ","}
    persons = pd.read_csv(tmp_path / "csv" / "persons.csv")
    assert len(persons) == res.rows["persons"] == 2_000
    ex = cohort.read_extract(tmp_path / "csv")
    try:
        assert ex.report.status == "valid"
        assert sum(t.rows_quarantined for t in ex.report.tables.values()) == 0
    finally:
        ex.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"persons": 10}, "persons must lie in"),
        ({"format": "xlsx"}, "format must be one of"),
        ({"seed": -1}, "seed must lie in"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        synthesise(tmp_path / "x", **kwargs)


def test_scaling_rule_keeps_the_estate_proportional(tables):
    a = tables["addresses"]
    r = tables["residence"]
    vp = set(a.loc[a["area"] == "vaerebro_park", "address_id"])
    d = pd.Timestamp("2018-01-01")
    here = (
        r["address_id"].isin(vp)
        & (r["moved_in"] <= d)
        & (r["moved_out"].isna() | (d < r["moved_out"]))
    )
    # 2,500 residents at full scale, scaled by 20,000 / 300,000
    assert 100 <= here.sum() <= 250
    assert np.isclose(len(vp), round(1060 * SMALL_PERSONS / 300_000), atol=1)


def test_synth_never_writes_over_a_folder_it_did_not_write(tmp_path, capsys):
    from cohort.cli import main
    from cohort.exceptions import EXIT_OK, EXIT_USER

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "persons.parquet").write_bytes(b"the user's own file")
    (mine / "notes.txt").write_text("notes")
    assert main(["synth", str(mine), "--persons", "2000"]) == EXIT_USER
    assert "not a synthetic extract" in capsys.readouterr().err
    assert (mine / "persons.parquet").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "persons.parquet"]
    # its own extract it writes again (the demo reruns into the same folder)
    ours = tmp_path / "ours"
    assert main(["synth", str(ours), "--persons", "2000"]) == EXIT_OK
    assert main(["synth", str(ours), "--persons", "2000"]) == EXIT_OK
