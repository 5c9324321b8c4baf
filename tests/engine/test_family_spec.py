"""Spec tests: parents, siblings and the parents' attributes as of a child's age."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.engine import parent_attributes, parents, siblings
from cohort.exceptions import ParameterError

PERSONS = [
    ("m", "1970-01-01", "F"), ("f", "1968-01-01", "M"), ("f2", "1969-01-01", "M"),
    ("c1", "2000-02-29", "F", "m", "f"),
    ("c2", "2002-07-01", "M", "m", "f"),
    ("c3", "2004-01-01", "M", "m", "f2"),
    ("c4", "2004-01-01", "F", None, "f"),
    ("c5", "2001-06-01", "F", "x", None),  # the mother is not in the extract
]


@pytest.fixture
def ex(make_extract):
    return make_extract({
        "persons": PERSONS,
        "residence": [],
        "education": [("m", "bachelor", None, "1990-09-01", "2014-03-01", "completed"),
                      ("m", "master", None, "2014-09-01", "2016-06-30", "completed")],
        # c1 turns 14 on 2014-03-01 (2014 is not a leap year); c2 on 2016-07-01
        "labour": [("m", 2014, "unemployed"), ("f", 2014, "employed"),
                   ("m", 2016, "unemployed"), ("f2", 2018, "student")],
        "income": [("m", 2014, 100.0, 150.0), ("f", 2014, 200.0, 300.0),
                   ("f", 2016, 50.0, 60.0)],
    })


def test_parents(ex):
    got = parents(ex, pids=["c3"]).df()
    assert got.to_dict("records") == [{"pid": "c3", "mother_pid": "m", "father_pid": "f2"}]


def test_siblings_maternal_and_full(ex):
    mat = siblings(ex).df()
    assert sorted(zip(mat["pid"], mat["sibling_pid"], strict=True)) == [
        ("c1", "c2"), ("c1", "c3"), ("c2", "c1"), ("c2", "c3"), ("c3", "c1"), ("c3", "c2")]
    full = siblings(ex, kind="full").df()
    assert sorted(zip(full["pid"], full["sibling_pid"], strict=True)) == [("c1", "c2"),
                                                                          ("c2", "c1")]
    with pytest.raises(ParameterError, match="kind must be one of 'maternal', 'full'"):
        siblings(ex, kind="half")


def test_parent_attributes_at_age_14(ex):
    got = parent_attributes(ex, age=14, pids=["c1", "c2", "c3", "c4", "c5"]).df()
    got = got.set_index("pid")
    # the mother's bachelor ends on c1's 14th birthday (1 March 2014): it counts
    assert got.loc["c1", "mother_education"] == "bachelor"
    assert got.loc["c2", "mother_education"] == "master"
    assert got.loc["c4", "mother_education"] is None
    assert got.loc["c5", "mother_education"] == "primary"
    assert got.loc["c1", "parent_employed"] == 1
    assert got.loc["c2", "parent_employed"] == 0
    assert got.loc["c3", "parent_employed"] == 0  # the father's 2018 row: a student
    assert pd.isna(got.loc["c4", "parent_employed"])  # the father has no row in 2018
    assert got.loc["c1", "household_income"] == 300.0
    assert got.loc["c2", "household_income"] == 50.0
    assert pd.isna(got.loc["c3", "household_income"])
