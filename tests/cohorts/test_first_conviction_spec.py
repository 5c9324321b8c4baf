"""Spec tests: time to the first conviction as a cohort outcome (definitions §7, goal 4).

The outcome ``first_conviction``: from the 15th birthday (the age of criminal
responsibility; ``outcomes.conviction_age``) to the first ``decision_date`` of a
conviction for penal code, weapons or drugs on or after it, censored as the other
outcomes are (emigration, death, extract_end, max_follow_up); missing for a child
not at risk on its 15th birthday.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest
from _tiny_extracts import build

from cohort.cohorts import (
    DEFAULT_OUTCOMES,
    OUTCOMES,
    CensoringSpec,
    CohortSpec,
    ExposureSpec,
    OutcomeSpec,
    build_cohort,
)
from cohort.exceptions import MissingTableError, ParameterError

D = dt.date.fromisoformat
B15 = D("2016-04-01")  # the 15th birthday of the children born 2001-04-01
ALL = OutcomeSpec(names=OUTCOMES)
SPEC = CohortSpec(birth_years=(2000, 2002), covariates=("sex",), outcomes=ALL)


def _row(cohort, pid):
    rows = cohort.data[cohort.data["pid"] == pid]
    assert len(rows) == 1, f"{pid} not in the cohort"
    return rows.iloc[0]


def _fc(cohort, pid):
    r = _row(cohort, pid)
    return r["first_conviction_time"], r["first_conviction_event"], r["first_conviction_exit"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    born = "2001-04-01"
    persons = [
        ("on_birthday", born, "M"),   # convicted on the 15th birthday: event at time 0
        ("day_before", born, "M"),    # convicted the day before (ignored), and at 17
        ("traffic", born, "F"),       # only traffic and 'other' offences: no event
        ("gap", born, "M"),           # abroad 2018-01-01 .. 2018-06-01, convicted after
        ("gap_day", born, "F"),       # convicted on the first day abroad: an event
        ("dies", born, "M", None, None, None, "2018-03-01"),  # dies at 16
        ("away15", born, "F"),        # abroad on the 15th birthday, back before 16
        ("feb29", "2000-02-29", "M"),  # 15th birthday 1 March 2015
        ("twice", born, "M"),         # two convictions: the first one counts
    ]
    residence = [
        ("on_birthday", "E1", born, None),
        ("day_before", "G1", born, None),
        ("traffic", "E2", born, None),
        ("gap", "G1", born, "2018-01-01"), ("gap", "G1", "2018-06-01", None),
        ("gap_day", "E1", born, "2018-01-01"), ("gap_day", "E1", "2018-06-01", None),
        ("dies", "E2", born, "2018-03-01"),
        ("away15", "G1", born, "2016-01-01"), ("away15", "G1", "2016-06-01", None),
        ("feb29", "E1", "2000-02-29", None),
        ("twice", "G1", born, None),
    ]
    convictions = [
        ("on_birthday", "2016-04-01", "penal_code"),
        ("day_before", "2016-03-31", "penal_code"),
        ("day_before", "2018-05-01", "drugs"),
        ("traffic", "2017-02-01", "traffic"),
        ("traffic", "2018-02-01", "other"),
        ("gap", "2018-09-01", "weapons"),
        ("gap_day", "2018-01-01", "weapons"),
        ("away15", "2017-01-10", "penal_code"),
        ("feb29", "2015-03-01", "drugs"),
        ("twice", "2019-02-01", "penal_code"),
        ("twice", "2017-11-30", "weapons"),
    ]
    ex = build({"persons": persons, "residence": residence, "convictions": convictions,
                "education": [], "labour": []}, tmp_path_factory.mktemp("conv"))
    yield ex
    ex.close()


@pytest.fixture(scope="module")
def cohort(world):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no exams table: the fallback origin
        return build_cohort(world, SPEC)


def test_origin_is_the_15th_birthday(cohort):
    r = _row(cohort, "day_before")
    assert r["first_conviction_origin_date"].date() == B15
    assert _row(cohort, "feb29")["first_conviction_origin_date"].date() == D("2015-03-01")
    cols = list(cohort.data.columns)
    i = cols.index("first_conviction_origin_date")
    assert cols[i + 1:i + 4] == ["first_conviction_time", "first_conviction_event",
                                 "first_conviction_exit"]


def test_conviction_on_the_birthday_is_an_event_at_time_zero(cohort):
    assert _fc(cohort, "on_birthday") == (0, 1, "event")
    assert _fc(cohort, "feb29") == (0, 1, "event")  # on 1 March 2015


def test_a_conviction_before_the_origin_is_not_counted(cohort):
    assert _fc(cohort, "day_before") == ((D("2018-05-01") - B15).days, 1, "event")


def test_the_first_of_several_convictions(cohort):
    assert _fc(cohort, "twice") == ((D("2017-11-30") - B15).days, 1, "event")


def test_offences_outside_the_set_are_no_event(cohort):
    assert _fc(cohort, "traffic") == ((D("2019-12-31") - B15).days, 0, "extract_end")


def test_emigration_censors_and_an_event_on_that_day_counts(cohort):
    assert _fc(cohort, "gap") == ((D("2018-01-01") - B15).days, 0, "emigration")
    assert _fc(cohort, "gap_day") == ((D("2018-01-01") - B15).days, 1, "event")


def test_death_censors(cohort):
    assert _fc(cohort, "dies") == ((D("2018-03-01") - B15).days, 0, "death")


def test_not_at_risk_on_the_15th_birthday_is_missing(world):
    # away15 is abroad on its 15th birthday: no group by resident_at_age(15); with
    # years_in_area (group on the 16th birthday) it is in the comparison group
    spec = CohortSpec(birth_years=(2000, 2002), covariates=("sex",), outcomes=ALL,
                      exposure=ExposureSpec(form="years_in_area", from_age=6, to_age=16,
                                            threshold_years=5.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = build_cohort(world, spec)
    r = _row(c, "away15")
    assert r["group"] == "comparison"
    assert pd.isna(r["first_conviction_time"]) and pd.isna(r["first_conviction_event"])
    assert r["first_conviction_exit"] is None
    assert r["youth_education_start_exit"] == "extract_end"  # at risk at 30 June 2017


def test_parameters_age_offences_and_max_follow_up(world):
    def build_with(**kw):
        spec = CohortSpec(birth_years=(2000, 2002), covariates=("sex",),
                          outcomes=OutcomeSpec(names=("first_conviction",),
                                               **{k: v for k, v in kw.items()
                                                  if k.startswith("conviction")}),
                          censoring=CensoringSpec(
                              max_follow_up_years=kw.get("max_follow_up_years", 10)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return build_cohort(world, spec)

    c = build_with(conviction_offences=("traffic",))
    assert _fc(c, "traffic") == ((D("2017-02-01") - B15).days, 1, "event")
    assert _fc(c, "on_birthday")[1:] == (0, "extract_end")
    c = build_with(conviction_age=17)  # from 1 April 2018
    b17 = D("2018-04-01")
    assert _row(c, "day_before")["first_conviction_origin_date"].date() == b17
    assert _fc(c, "day_before") == ((D("2018-05-01") - b17).days, 1, "event")
    assert _fc(c, "twice") == ((D("2019-02-01") - b17).days, 1, "event")
    assert pd.isna(_row(c, "dies")["first_conviction_time"])  # died before 17
    c = build_with(max_follow_up_years=2)
    assert _fc(c, "day_before") == ((D("2018-04-01") - B15).days, 0, "max_follow_up")
    assert _fc(c, "twice") == ((D("2017-11-30") - B15).days, 1, "event")


def test_default_outcomes_leave_convictions_out(world, make_extract):
    assert DEFAULT_OUTCOMES == ("youth_education_start", "youth_education_completion",
                                "employment")
    assert OutcomeSpec().names == DEFAULT_OUTCOMES
    assert OUTCOMES == (*DEFAULT_OUTCOMES, "first_conviction")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = build_cohort(world, CohortSpec(birth_years=(2000, 2002), covariates=("sex",)))
    assert not [col for col in c.data.columns if "conviction" in col]
    ex = make_extract({"persons": [("a", "2001-04-01", "F")],
                       "residence": [("a", "E1", "2001-04-01", None)],
                       "education": [], "labour": []})
    with pytest.raises(MissingTableError, match="the outcome 'first_conviction' of a cohort "
                                                "needs the table 'convictions'"):
        build_cohort(ex, SPEC)


def test_the_spec_keys_of_first_conviction():
    spec = CohortSpec(outcomes=OutcomeSpec(names=("first_conviction", "employment"),
                                           conviction_age=16,
                                           conviction_offences=("drugs", "weapons")))
    assert CohortSpec.from_toml(spec.to_toml("cohort")) == spec
    text = spec.to_toml()
    assert 'conviction_offences = ["drugs", "weapons"]' in text
    assert "conviction_age = 16" in text
    got = CohortSpec.from_toml("[outcomes]\nnames = ['first_conviction']\n"
                               "conviction_offences = ['penal_code']")
    assert got.outcomes.conviction_offences == ("penal_code",)
    with pytest.raises(ParameterError, match="outcomes.conviction_offences must be one of "
                                             "'penal_code'"):
        OutcomeSpec(conviction_offences=("theft",))
    with pytest.raises(ParameterError, match="outcomes.conviction_offences must name distinct"):
        OutcomeSpec(conviction_offences=())
    with pytest.raises(ParameterError, match="outcomes.conviction_age"):
        OutcomeSpec(conviction_age=5)


def test_lexis_split_of_first_conviction_uses_its_own_origin(cohort):
    from cohort.cohorts import lexis_split

    d = cohort.data[cohort.data["pid"].isin(["day_before", "dies"])]
    got = lexis_split(d, outcome="first_conviction", age_breaks=[16, 17])
    by = {pid: g for pid, g in got.groupby("pid")}
    # day_before: from the 15th birthday (2016-04-01) to the conviction on 2018-05-01,
    # cut at the 16th and 17th birthdays (365 and 730 days in)
    assert by["day_before"][["start", "stop", "event"]].values.tolist() == [
        [0, 365, 0], [365, 730, 0], [730, (D("2018-05-01") - B15).days, 1]]
    assert by["day_before"]["age_band"].astype(str).tolist() == ["<16", "[16,17)", ">=17"]
    assert int(got["event"].sum()) == 1
    assert by["dies"]["person_time"].sum() == (D("2018-03-01") - B15).days
