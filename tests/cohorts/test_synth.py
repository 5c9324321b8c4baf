"""The planted cohort structure of the synthetic registers is recovered
(cohort.synth.truth: school stability, exposure on the 15th birthday)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

synth = pytest.importorskip("cohort.synth")

from cohort.cohorts import CohortSpec, build_cohort  # noqa: E402
from cohort.exposure import resident_at_age  # noqa: E402
from cohort.extract import read_extract  # noqa: E402


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "extract"
    synth.synthesise(path, persons=6000, seed=5)
    ex = read_extract(path, threads=2)
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def cohort(extract):
    return build_cohort(extract, CohortSpec())


def _bday15(b: pd.Timestamp) -> dt.date:
    d = b.date()
    try:
        return d.replace(year=d.year + 15)
    except ValueError:
        return dt.date(d.year + 15, 3, 1)


def test_resident_at_15_matches_a_plain_pandas_count(extract):
    persons = pd.read_parquet(extract.path / "persons.parquet")
    res = pd.read_parquet(extract.path / "residence.parquet")
    adr = pd.read_parquet(extract.path / "addresses.parquet")
    kids = persons[pd.to_datetime(persons["birth_date"]).dt.year.between(1990, 2004)].copy()
    kids["b15"] = pd.to_datetime([_bday15(pd.Timestamp(b)) for b in kids["birth_date"]])
    m = res.merge(kids[["pid", "b15"]], on="pid").merge(adr, on="address_id")
    moved_in = pd.to_datetime(m["moved_in"])
    moved_out = pd.to_datetime(m["moved_out"]).fillna(pd.Timestamp("2020-01-01"))
    cover = (moved_in <= m["b15"]) & (m["b15"] < moved_out) & (m["area"] == "vaerebro_park")
    want = set(m.loc[cover, "pid"])
    got = resident_at_age(extract, area="vaerebro_park", age=15, pids=kids["pid"])
    assert set(got[got.fillna(False)].index) == want
    assert len(want) > 0


def test_school_stability_every_child_with_exams_is_at_risk(extract, cohort):
    exams = extract.to_pandas("exams")
    kids = extract.con.sql(
        "SELECT pid FROM persons WHERE year(birth_date) BETWEEN 1990 AND 2005").df()
    with_exams = set(exams.loc[exams["year"] <= 2019, "pid"]) & set(kids["pid"])
    d = cohort.data
    in_cohort = set(d["pid"])
    # every child of the exposed group or the rest of Gladsaxe with an exams row is in
    # the cohort, and its time origin is its exams year's 30 June
    r15 = resident_at_age(extract, area="municipality:159", age=15, pids=sorted(with_exams))
    gladsaxe = set(r15[r15.fillna(False)].index)
    assert gladsaxe <= in_cohort
    sub = d[d["pid"].isin(with_exams)]
    assert (sub["origin_date"].dt.year == sub["exam_year"]).all()
    flow = cohort.exclusions.set_index("step")
    assert flow.loc["in_group", "exposed"] == (d["group"] == "exposed").sum() > 0


def test_exit_reasons_are_plausible(cohort):
    d = cohort.data
    for o in ("youth_education_start", "youth_education_completion", "employment"):
        exits = d[f"{o}_exit"].dropna()
        assert set(exits) <= {"event", "emigration", "death", "extract_end", "max_follow_up"}
        assert (exits == "emigration").mean() < 0.1
        events = d[f"{o}_event"].dropna()
        assert ((exits == "event").to_numpy() == (events == 1).to_numpy()).all()
    # no child aged 1-17 dies: deaths come after the 18th birthday
    dead = d[d["youth_education_completion_exit"] == "death"]
    end = dead["origin_date"] + pd.to_timedelta(dead["youth_education_completion_time"], "D")
    assert (end >= dead["employment_origin_date"]).all()
    # youth education starts for most children within 15 months of 9th grade
    start = d["youth_education_start_event"].astype(bool) & (
        d["youth_education_start_time"] <= 457)
    assert start.mean() > 0.75
