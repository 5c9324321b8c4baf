"""Spec tests: building a cohort of children (definitions.md §3)."""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest
from _tiny_extracts import build

from cohort.cohorts import (
    CensoringSpec,
    CohortSpec,
    ComparisonSpec,
    ExposureSpec,
    area_states,
    build_cohort,
    lexis_split,
    parent_employment_states,
)
from cohort.exceptions import DataQualityWarning, MissingTableError, ParameterError

D = dt.date.fromisoformat
SPEC = CohortSpec(birth_years=(1998, 2002))


def _row(cohort, pid):
    rows = cohort.data[cohort.data["pid"] == pid]
    assert len(rows) == 1, f"{pid} not in the cohort"
    return rows.iloc[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Children born 1998-2002, each showing one rule."""
    persons = [
        ("m", "1970-01-01", "F"),
        # exposed, exams 2016, started gymnasium 2016-08-15, completed 2019-06-20
        ("exams", "2000-03-10", "F", "m", None, "danish"),
        # 29 February birth: 15th birthday 1 March 2015 (moved out of the estate that day)
        ("feb29", "2000-02-29", "M", None, None, "danish"),
        # no exams row: origin 30 June of the year it turns 16 (2017); the enrolment
        # started before the origin and still runs on it -> event at time 0
        ("noexam", "2001-04-01", "F"),
        # enrolment that ended on the origin date: not an event at 0
        ("endsorigin", "2001-04-01", "M"),
        # goes abroad 2018-01-01 (a gap), comes back 2019-01-01
        ("abroad", "2001-04-01", "M"),
        # dies 2018-03-01 (residence ends the same day)
        ("dies", "2001-04-01", "F", None, None, None, "2018-03-01"),
        # not living in the country on the origin date
        ("away", "2001-04-01", "F"),
        # lives in Copenhagen, in another estate: neither group by default
        ("cph", "2001-04-01", "M"),
        # born 1990: outside the birth years
        ("old", "1990-01-01", "M"),
    ]
    residence = [
        ("m", "E1", "1990-01-01", None),
        ("exams", "E1", "2000-03-10", None),
        ("feb29", "E1", "2000-02-29", "2015-03-01"), ("feb29", "G1", "2015-03-01", None),
        ("noexam", "G1", "2001-04-01", None),
        ("endsorigin", "E2", "2001-04-01", None),
        ("abroad", "G1", "2001-04-01", "2018-01-01"), ("abroad", "G1", "2019-01-01", None),
        ("dies", "E1", "2001-04-01", "2018-03-01"),
        ("away", "G1", "2001-04-01", "2017-06-30"), ("away", "G1", "2017-07-01", None),
        ("cph", "K2", "2001-04-01", None),
        ("old", "E1", "1990-01-01", None),
    ]
    education = [
        ("exams", "youth_general", "stx", "2016-08-15", "2019-06-20", "completed"),
        ("noexam", "youth_vocational", None, "2017-01-05", None, "ongoing"),
        ("endsorigin", "youth_vocational", None, "2016-08-01", "2017-06-30", "dropped"),
        ("endsorigin", "youth_general", None, "2018-08-10", None, "ongoing"),
        ("abroad", "youth_general", None, "2019-08-10", None, "ongoing"),
        ("m", "master", None, "1995-09-01", "2000-06-30", "completed"),
    ]
    labour = [("exams", 2018, "student"), ("exams", 2019, "employed"),
              ("feb29", 2017, "employed"), ("feb29", 2018, "employed"),
              ("m", 2014, "employed"), ("m", 2016, "employed")]
    income = [("m", 2014, 250000.0, 300000.0)]
    exams = [("exams", 2016, 7.0, 4.0)]
    ex = build({"persons": persons, "residence": residence, "education": education,
                "labour": labour, "income": income, "exams": exams},
               tmp_path_factory.mktemp("world"))
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def cohort(world):
    return build_cohort(world, SPEC)


def test_groups_on_the_15th_birthday(cohort):
    groups = dict(zip(cohort.data["pid"], cohort.data["group"], strict=True))
    assert groups == {"abroad": "comparison", "dies": "exposed", "endsorigin": "exposed",
                      "exams": "exposed", "feb29": "comparison", "noexam": "comparison"}
    assert _row(cohort, "feb29")["reference_date"].date() == D("2015-03-01")


def test_exams_year_origin_and_education_events(cohort):
    r = _row(cohort, "exams")
    assert r["origin_date"].date() == D("2016-06-30")
    assert r["youth_education_start_time"] == (D("2016-08-15") - D("2016-06-30")).days
    assert r["youth_education_start_event"] == 1
    assert r["youth_education_start_exit"] == "event"
    assert r["youth_education_completion_time"] == (D("2019-06-20") - D("2016-06-30")).days
    assert r["youth_education_completion_event"] == 1


def test_no_exams_row_and_enrolment_before_origin_is_event_at_zero(cohort):
    r = _row(cohort, "noexam")
    assert pd.isna(r["exam_year"])
    assert r["origin_date"].date() == D("2017-06-30")
    assert r["youth_education_start_time"] == 0
    assert r["youth_education_start_event"] == 1
    assert r["youth_education_completion_event"] == 0
    assert r["youth_education_completion_exit"] == "extract_end"
    assert r["youth_education_completion_time"] == (D("2019-12-31") - D("2017-06-30")).days


def test_an_enrolment_ending_on_the_origin_is_no_event(cohort):
    r = _row(cohort, "endsorigin")
    assert r["youth_education_start_time"] == (D("2018-08-10") - D("2017-06-30")).days
    assert r["youth_education_start_event"] == 1


def test_a_gap_abroad_censors_at_its_start(cohort):
    r = _row(cohort, "abroad")
    assert r["youth_education_start_event"] == 0
    assert r["youth_education_start_exit"] == "emigration"
    assert r["youth_education_start_time"] == (D("2018-01-01") - D("2017-06-30")).days


def test_death_censors(cohort):
    r = _row(cohort, "dies")
    assert r["youth_education_start_exit"] == "death"
    assert r["youth_education_start_time"] == (D("2018-03-01") - D("2017-06-30")).days
    assert pd.isna(r["employment_time"])  # dead before the 18th birthday


def test_employment_is_measured_from_the_18th_birthday(cohort):
    r = _row(cohort, "exams")
    assert r["employment_origin_date"].date() == D("2018-03-10")
    assert r["employment_time"] == (D("2019-11-30") - D("2018-03-10")).days
    assert r["employment_event"] == 1
    r = _row(cohort, "feb29")
    # 18th birthday 1 March 2018: the 2017 row (30 Nov 2017) is before it
    assert r["employment_origin_date"].date() == D("2018-03-01")
    assert r["employment_time"] == (D("2018-11-30") - D("2018-03-01")).days
    r = _row(cohort, "noexam")  # turns 18 on 2019-04-01, no labour row
    assert r["employment_exit"] == "extract_end"
    assert r["employment_time"] == (D("2019-12-31") - D("2019-04-01")).days


def test_parental_covariates(cohort):
    r = _row(cohort, "exams")  # turns 14 on 2014-03-10; the mother has a master
    assert r["mother_education"] == "master"
    assert r["parent_employed"] == 1
    assert r["household_income"] == 250000.0
    r = _row(cohort, "noexam")
    assert pd.isna(r["mother_education"])
    assert pd.isna(r["parent_employed"])


def test_max_follow_up(world):
    spec = CohortSpec(birth_years=(1998, 2002), censoring=CensoringSpec(max_follow_up_years=1))
    c = build_cohort(world, spec)
    r = _row(c, "noexam")
    assert r["youth_education_completion_exit"] == "max_follow_up"
    assert r["youth_education_completion_time"] == (D("2018-06-30") - D("2017-06-30")).days


def test_the_flow_of_exclusions(cohort):
    flow = cohort.exclusions.set_index("step")
    assert list(flow.index) == ["extract", "born", "origin_observed", "at_risk",
                                "exposure_observed", "in_group"]
    assert flow.loc["extract", "n"] == 10
    assert flow.loc["born", "n"] == 8
    assert flow.loc["born", "excluded"] == 2
    assert flow.loc["at_risk", "excluded"] == 1  # away
    assert flow.loc["in_group", "excluded"] == 1  # cph
    assert flow.loc["in_group", "n"] == len(cohort.data) == 6
    assert flow.loc["in_group", "exposed"] == 3
    assert flow.loc["in_group", "comparison"] == 3
    assert flow.loc["born", "neither"] == 1
    assert repr(cohort) == "Cohort(born 1998-2002, children=6, exposed=3, comparison=3)"
    assert "in the exposed or the comparison group: 6" in cohort.summary()
    fig = cohort.plot_exclusions()
    assert len(fig.axes) == 1


def test_the_linkage_report(cohort):
    lk = cohort.linkage.set_index(["register", "group"])
    assert lk.loc[("persons", "all"), "matched"] == 6
    assert lk.loc[("exams", "all"), "matched"] == 1
    assert lk.loc[("exams", "all"), "unmatched"] == 5
    assert lk.loc[("education", "exposed"), "matched"] == 2  # "dies" has none
    assert lk.loc[("mother", "all"), "matched"] == 1
    assert "income" in cohort.linkage["register"].to_numpy()
    assert len(cohort.plot_linkage().axes) == 1


def test_years_in_area_form_and_named_comparison_areas(world):
    spec = CohortSpec(birth_years=(1998, 2002),
                      exposure=ExposureSpec(form="years_in_area", threshold_years=5),
                      comparison=ComparisonSpec(kind="areas", areas=("other_estate",)))
    c = build_cohort(world, spec)
    groups = c.data.groupby("group")["pid"].agg(set).to_dict()
    assert groups == {"exposed": {"exams", "dies", "endsorigin", "feb29"},
                      "comparison": {"cph"}}
    exposed = c.data[c.data["group"] == "exposed"]
    assert (exposed["years_in_area"] >= 5).all()


def test_exposure_on_a_moving_day_with_years_in_area(world):
    spec = CohortSpec(birth_years=(1998, 2002),
                      exposure=ExposureSpec(form="years_in_area", threshold_years=9.5))
    c = build_cohort(world, spec)
    # feb29 lived in the estate from the 6th birthday (1 March 2006) to 1 March 2015: 9 years
    r = _row(c, "feb29")
    assert r["group"] == "comparison"
    assert r["years_in_area"] == pytest.approx((D("2015-03-01") - D("2006-03-01")).days / 365.25)


def test_unknown_target_area_and_missing_tables(world, make_extract):
    with pytest.raises(ParameterError, match="target_area 'nowhere'"):
        build_cohort(world, CohortSpec(target_area="nowhere"))
    bare = make_extract({"persons": [("a", "2000-01-01", "F")],
                         "residence": [("a", "E1", "2000-01-01", None)]})
    with pytest.raises(MissingTableError, match="'education'"):
        build_cohort(bare, SPEC)
    spec = CohortSpec(birth_years=(1998, 2002), covariates=("sex",),
                      outcomes=SPEC.outcomes.__class__(names=("employment",)))
    with_labour = make_extract({"persons": [("a", "2000-01-01", "F")],
                                "residence": [("a", "E1", "2000-01-01", None)],
                                "labour": [("a", 2019, "employed")]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = build_cohort(with_labour, spec)
    assert any(issubclass(w.category, DataQualityWarning) for w in caught)
    assert list(c.data["employment_event"]) == [1]
    assert "youth_education_start_time" not in c.data


def test_lexis_split_of_the_cohort_with_living_in_the_estate(world, cohort):
    states = area_states(world, cohort.data, area="vaerebro_park")
    parents = parent_employment_states(world, cohort.data)
    out = lexis_split(cohort.data, outcome="youth_education_start", age_breaks=[17, 18],
                      states=[states, parents])
    d = cohort.data
    kept = d[(d["youth_education_start_time"] > 0) | (d["youth_education_start_event"] == 1)]
    assert out["person_time"].sum() == kept["youth_education_start_time"].sum()
    assert out["event"].sum() == kept["youth_education_start_event"].sum()
    dies = out[out["pid"] == "dies"]
    assert set(dies["in_area"]) == {1}
    feb29 = out[out["pid"] == "feb29"]
    assert set(feb29["in_area"]) == {0}
    # no exams row: origin 30 June 2016; birthdays 1 March 2017 and 1 March 2018
    assert list(feb29["age_band"].astype(str)) == ["<17", "[17,18)", ">=18"]
    assert list(feb29["start"]) == [0, (D("2017-03-01") - D("2016-06-30")).days,
                                    (D("2018-03-01") - D("2016-06-30")).days]
    # the mother of "exams" has labour rows (employed) for 2014 and 2016 only: the state
    # is missing from 30 November 2015, 1 from 30 November 2016, missing a year later
    out = lexis_split(cohort.data, outcome="youth_education_completion", age_breaks=[17, 18],
                      states=[parents])
    ex_rows = out[out["pid"] == "exams"]
    o = D("2016-06-30")
    assert list(ex_rows["start"]) == [0] + [(D(x) - o).days for x in (
        "2016-11-30", "2017-03-10", "2017-11-30", "2018-03-10")]
    assert list(ex_rows["parent_employed"].astype("Float64").fillna(-1)) == [-1, 1, 1, -1, -1]


def test_employment_dated_on_the_18th_birthday_counts_at_time_zero(make_extract):
    ex = make_extract({
        "persons": [("n", "2000-11-30", "F"), ("o", "2000-12-01", "M")],
        "residence": [("n", "E1", "2000-11-30", None), ("o", "E1", "2000-12-01", None)],
        "labour": [("n", 2018, "self_employed"), ("o", 2018, "employed"),
                   ("o", 2019, "unemployed")],
    })
    spec = CohortSpec(birth_years=(2000, 2000), covariates=(),
                      outcomes=SPEC.outcomes.__class__(names=("employment",)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        c = build_cohort(ex, spec)
    n, o = _row(c, "n"), _row(c, "o")
    assert (n["employment_time"], n["employment_event"]) == (0, 1)
    # o turns 18 on 1 December 2018: the 2018 row is dated the day before
    assert (o["employment_event"], o["employment_exit"]) == (0, "extract_end")
    assert o["employment_time"] == (D("2019-12-31") - D("2018-12-01")).days
