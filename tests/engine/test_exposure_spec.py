"""Spec tests: years lived in an area between two birthdays; living there on a birthday."""

from __future__ import annotations

import datetime as dt

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
