"""Spec tests: education, public support, labour, income, youth enrolment."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cohort.engine import (
    enrolled_youth,
    highest_level,
    income,
    labour_status,
    on_public_support,
)
from cohort.exceptions import MissingTableError

D = dt.date.fromisoformat
PERSONS = [("a", "1990-01-01", "F"), ("b", "1990-01-01", "M")]


def _keys(*pairs):
    return pd.DataFrame({"pid": [p for p, _ in pairs], "date": [D(d) for _, d in pairs]})


def _years(*pairs):
    return pd.DataFrame({"pid": [p for p, _ in pairs], "year": [y for _, y in pairs]})


@pytest.fixture
def ex(make_extract):
    return make_extract({
        "persons": PERSONS,
        "residence": [],
        "education": [
            ("a", "youth_general", "stx", "2006-08-15", "2009-06-20", "completed"),
            ("a", "bachelor", None, "2010-09-01", "2012-01-31", "dropped"),
            ("a", "short_cycle", None, "2012-09-01", "2014-06-30", "completed"),
            ("b", "youth_vocational", None, "2007-08-01", None, "ongoing"),
        ],
        "benefits": [
            ("a", "cash_assistance", "2015-01-01", "2015-03-01"),
            ("a", "student_grant", "2016-01-01", None),
            ("b", "parental_leave", "2015-01-01", "2015-06-01"),
            ("b", "sickness", "2015-02-01", None),
        ],
        "labour": [("a", 2014, "employed"), ("b", 2014, "student")],
        "income": [("a", 2014, 150000.0, 200000.0)],
    })


def test_highest_level_counts_a_spell_ending_on_the_date(ex):
    got = highest_level(ex, _keys(("a", "2009-06-19"), ("a", "2009-06-20"), ("a", "2013-01-01"),
                                  ("a", "2014-06-30"), ("b", "2019-01-01"))).df()
    got = got.sort_values(["pid", "date"])
    assert list(got["level"]) == ["primary", "youth_general", "youth_general", "short_cycle",
                                  "primary"]


def test_on_public_support_excludes_grants_and_leave_and_is_half_open(ex):
    got = on_public_support(ex, _keys(("a", "2015-01-01"), ("a", "2015-03-01"),
                                      ("a", "2016-06-01"), ("b", "2015-01-15"),
                                      ("b", "2015-02-01"))).df()
    got = got.sort_values(["pid", "date"])
    assert list(got["on_public_support"]) == [True, False, False, False, True]


def test_labour_and_income_one_row_per_key(ex):
    got = labour_status(ex, _years(("a", 2014), ("b", 2014), ("b", 2015))).df()
    got = got.sort_values(["pid", "year"])
    assert list(got["status"].fillna("-")) == ["employed", "student", "-"]
    got = income(ex, _years(("a", 2014), ("a", 2015))).df().sort_values("year")
    assert list(got["disposable_income"].fillna(-1)) == [150000.0, -1]
    assert list(got["gross_income"].fillna(-1)) == [200000.0, -1]


def test_enrolled_youth_covers_start_not_end_and_ignores_outcome(ex):
    got = enrolled_youth(ex, _keys(("a", "2006-08-15"), ("a", "2009-06-19"),
                                   ("a", "2009-06-20"), ("a", "2011-01-01"),
                                   ("b", "2018-09-30"))).df()
    got = got.sort_values(["pid", "date"])
    assert list(got["enrolled_youth"]) == [True, True, False, False, True]


def test_a_missing_table_is_named(make_extract):
    ex = make_extract({"persons": PERSONS, "residence": []})
    with pytest.raises(MissingTableError, match="'benefits'"):
        on_public_support(ex, _keys(("a", "2015-01-01")))
