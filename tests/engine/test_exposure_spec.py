"""Spec tests: years lived in an area between two birthdays or two dates; living there on
a birthday."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cohort.exceptions import ParameterError
from cohort.exposure import resident_at_age, years_in_area

D = dt.date.fromisoformat


def test_window_is_half_open_between_birthdays(make_extract):
    ex = make_extract({
        "persons": [("a", "2000-05-10", "F"), ("b", "2000-05-10", "M")],
        # a moves into the estate on the 6th birthday and out on the 7th: exactly 365 days
        # b moves out on the 6th birthday: nothing in the window
        "residence": [("a", "G1", "2000-05-10", "2006-05-10"), ("a", "E1", "2006-05-10",
                                                                 "2007-05-10"),
                      ("a", "G1", "2007-05-10", None),
                      ("b", "E1", "2000-05-10", "2006-05-10"), ("b", "G1", "2006-05-10", None)],
    })
    got = years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)
    assert got.name == "years_in_area"
    assert got.index.name == "pid"
    assert got["a"] == pytest.approx(365 / 365.25)
    assert got["b"] == 0.0


def test_29_february_birth_has_birthdays_on_1_march_in_common_years(make_extract):
    ex = make_extract({
        "persons": [("f", "2000-02-29", "F")],
        "residence": [("f", "E1", "2000-02-29", None)],
    })
    # window [2006-03-01, 2016-02-29): 2016 is a leap year
    got = years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)
    days = (D("2016-02-29") - D("2006-03-01")).days
    assert got["f"] == pytest.approx(days / 365.25)
    r = resident_at_age(ex, area="vaerebro_park", age=15)  # 2015-03-01
    assert bool(r["f"])


def test_birthday_on_the_moving_date(make_extract):
    ex = make_extract({
        "persons": [("a", "2000-05-10", "F"), ("b", "2000-05-10", "M")],
        "residence": [("a", "E1", "2000-05-10", "2015-05-10"), ("a", "G1", "2015-05-10", None),
                      ("b", "G1", "2000-05-10", "2015-05-10"), ("b", "E2", "2015-05-10", None)],
    })
    r = resident_at_age(ex, area="vaerebro_park", age=15)
    assert not r["a"]
    assert r["b"]


def test_a_gap_abroad_does_not_count(make_extract):
    ex = make_extract({
        "persons": [("a", "2000-01-01", "F")],
        "residence": [("a", "E1", "2000-01-01", "2008-01-01"), ("a", "E1", "2009-01-01", None)],
    })
    got = years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)
    days = (D("2016-01-01") - D("2006-01-01")).days - (D("2009-01-01") - D("2008-01-01")).days
    assert got["a"] == pytest.approx(days / 365.25)
    r = resident_at_age(ex, area="vaerebro_park", age=8)
    assert not r["a"]


def test_a_window_after_extract_end_is_missing(make_extract):
    ex = make_extract({
        "persons": [("a", "2004-01-01", "F"), ("b", "2003-12-31", "F")],
        "residence": [("a", "E1", "2004-01-01", None), ("b", "E1", "2003-12-31", None)],
    }, extract_end="2019-12-31")
    got = years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)
    # b's window [2009-12-31, 2019-12-31) is observed; a's 16th birthday 2020-01-01 is the
    # day after extract_end, so its window [2010-01-01, 2020-01-01) is observed too
    assert got["a"] == pytest.approx((D("2020-01-01") - D("2010-01-01")).days / 365.25)
    assert got["b"] == pytest.approx((D("2019-12-31") - D("2009-12-31")).days / 365.25)
    got = years_in_area(ex, area="vaerebro_park", from_age=6, to_age=17)
    assert got.isna().all()
    r = resident_at_age(ex, area="vaerebro_park", age=16)
    assert r.isna()["a"]
    assert r["b"]


def test_municipality_unit_and_pids(make_extract):
    ex = make_extract({
        "persons": [("a", "2000-01-01", "F"), ("b", "2000-01-01", "F")],
        "residence": [("a", "E1", "2000-01-01", "2008-01-01"), ("a", "G1", "2008-01-01", None),
                      ("b", "K1", "2000-01-01", None)],
    })
    got = years_in_area(ex, area="municipality:159", from_age=6, to_age=16, pids=["a"])
    assert list(got.index) == ["a"]
    assert got["a"] == pytest.approx((D("2016-01-01") - D("2006-01-01")).days / 365.25)


def test_ages_are_checked(make_extract):
    ex = make_extract({"persons": [("a", "2000-01-01", "F")], "residence": []})
    with pytest.raises(ParameterError, match="to_age must be greater than from_age"):
        years_in_area(ex, area="vaerebro_park", from_age=16, to_age=6)
    with pytest.raises(ParameterError, match="area must be"):
        years_in_area(ex, area="", from_age=6, to_age=16)


def test_years_between_counts_days_of_a_half_open_window(make_extract):
    from cohort.exposure import years_between

    ex = make_extract({
        "persons": [("a", "2000-05-10", "F"), ("b", "2000-05-10", "M"), ("c", "2000-05-10", "M")],
        # a: in the estate until 2016-03-01, then in Gladsaxe; b: moves in on the window's end
        # day (not counted); c: abroad for a year inside the window
        "residence": [("a", "E1", "2000-05-10", "2016-03-01"), ("a", "G1", "2016-03-01", None),
                      ("b", "G1", "2000-05-10", "2016-06-30"), ("b", "E1", "2016-06-30", None),
                      ("c", "E1", "2000-05-10", "2016-02-01"), ("c", "E2", "2016-04-01", None)],
    })
    keys = pd.DataFrame({"pid": ["a", "b", "c", "c"],
                         "start": [D("2016-01-01")] * 4,
                         "end": [D("2016-06-30")] * 3 + [D("2016-01-01")]})
    got = years_between(ex, area="vaerebro_park", keys=keys)
    assert list(got.columns) == ["pid", "start", "end", "years_in_area"]
    by = {(r.pid, r.end): r.years_in_area for r in got.itertuples()}
    assert by[("a", D("2016-06-30"))] == pytest.approx(60 / 365.25)   # Jan + Feb 2016
    assert by[("b", D("2016-06-30"))] == 0.0
    days_c = 31 + (D("2016-06-30") - D("2016-04-01")).days
    assert by[("c", D("2016-06-30"))] == pytest.approx(days_c / 365.25)
    assert by[("c", D("2016-01-01"))] == 0.0  # an empty window


def test_years_between_window_past_extract_end_and_bad_windows(make_extract):
    from cohort.exposure import years_between

    ex = make_extract({
        "persons": [("a", "2004-01-01", "F")],
        "residence": [("a", "E1", "2004-01-01", None)],
    }, extract_end="2019-12-31")
    keys = pd.DataFrame({"pid": ["a", "a"], "start": [D("2019-01-01")] * 2,
                         "end": [D("2020-01-01"), D("2020-01-02")]})
    got = years_between(ex, area="vaerebro_park", keys=keys)
    assert got["years_in_area"].iloc[0] == pytest.approx(365 / 365.25)
    assert np.isnan(got["years_in_area"].iloc[1])
    bad = pd.DataFrame({"pid": ["a"], "start": [D("2019-01-01")], "end": [D("2018-01-01")]})
    with pytest.raises(ParameterError, match="end before the start"):
        years_between(ex, area="vaerebro_park", keys=bad)
    with pytest.raises(ParameterError, match="columns"):
        years_between(ex, area="vaerebro_park", keys=bad.drop(columns="end"))
