"""Spec tests: where a person lives on a date (data-contract.md, "Conventions")."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cohort.engine import address_on, in_country, lives_in, residents, stays_sql
from cohort.exceptions import ParameterError

D = dt.date.fromisoformat

PERSONS = [("a", "1990-01-01", "F"), ("b", "1990-01-01", "M")]
# a: estate until 2010-01-01, then elsewhere in Gladsaxe until 2012-06-01, abroad until
# 2013-01-01, then Copenhagen, still there. b: Gladsaxe from 2010-01-01, open.
RESIDENCE = [
    ("a", "E1", "1990-01-01", "2010-01-01"),
    ("a", "G1", "2010-01-01", "2012-06-01"),
    ("a", "K1", "2013-01-01", None),
    ("b", "G1", "2010-01-01", None),
]


@pytest.fixture
def ex(make_extract):
    return make_extract({"persons": PERSONS, "residence": RESIDENCE})


def _keys(*pairs):
    return pd.DataFrame({"pid": [p for p, _ in pairs], "date": [D(d) for _, d in pairs]})


def test_a_spell_ending_on_the_date_does_not_cover_it(ex):
    got = address_on(ex, _keys(("a", "2009-12-31"), ("a", "2010-01-01"))).df()
    got = got.sort_values("date")
    assert list(got["address_id"]) == ["E1", "G1"]
    assert list(got["area"].fillna("-")) == ["vaerebro_park", "-"]
    assert list(got["municipality"]) == [159, 159]


def test_a_gap_abroad_is_nowhere(ex):
    got = address_on(ex, _keys(("a", "2012-05-31"), ("a", "2012-06-01"), ("a", "2012-12-31"),
                               ("a", "2013-01-01"))).df().sort_values("date")
    assert list(got["address_id"].fillna("-")) == ["G1", "-", "-", "K1"]


def test_address_on_dates_lists_everyone_living_in_the_country(ex):
    got = address_on(ex, "2012-07-01").df()
    assert list(got["pid"]) == ["b"]
    got = address_on(ex, ["2009-06-01", "2012-07-01"]).df().sort_values(["date", "pid"])
    assert list(zip(got["pid"], got["address_id"], strict=True)) == [("a", "E1"), ("b", "G1")]


def test_open_spell_runs_through_extract_end_and_no_further(ex):
    got = address_on(ex, _keys(("b", "2019-12-31"), ("b", "2020-01-01"))).df().sort_values("date")
    assert list(got["address_id"].fillna("-")) == ["G1", "-"]


def test_residents_of_an_area_and_a_municipality_on_many_dates(ex):
    got = residents(ex, "area:vaerebro_park", ["2009-12-31", "2010-01-01"]).df()
    assert list(zip(got["pid"], got["date"].dt.date, strict=True)) == [("a", D("2009-12-31"))]
    got = residents(ex, "municipality:159", ["2010-01-01", "2012-06-01"]).df()
    pairs = sorted(zip(got["pid"], got["date"].dt.date, strict=True))
    assert pairs == [("a", D("2010-01-01")), ("b", D("2010-01-01")), ("b", D("2012-06-01"))]


def test_lives_in_has_one_row_per_key(ex):
    got = lives_in(ex, "municipality:159", _keys(("a", "2012-05-31"), ("a", "2012-06-01"),
                                                 ("b", "1999-01-01"))).df()
    got = got.sort_values(["pid", "date"])
    assert list(got["lives_in"]) == [True, False, False]


def test_in_country(ex):
    got = in_country(ex, _keys(("a", "2012-06-01"), ("a", "2013-01-01"))).df().sort_values("date")
    assert list(got["in_country"]) == [False, True]


def test_stays_join_contiguous_spells_and_break_at_gaps(ex):
    got = ex.con.sql(stays_sql(ex)).df().sort_values(["pid", "stay_start"])
    rows = [(p, s.date(), None if pd.isna(e) else e.date())
            for p, s, e in zip(got["pid"], got["stay_start"], got["stay_end"], strict=True)]
    assert rows == [("a", D("1990-01-01"), D("2012-06-01")), ("a", D("2013-01-01"), None),
                    ("b", D("2010-01-01"), None)]


def test_keys_must_have_the_columns(ex):
    with pytest.raises(ParameterError, match=r"missing \['date'\]"):
        address_on(ex, pd.DataFrame({"pid": ["a"]}))


def test_keys_may_be_a_relation_on_the_extract(ex):
    keys = residents(ex, "municipality:159", "2011-01-01")
    got = lives_in(ex, "area:vaerebro_park", keys).df()
    assert sorted(got["pid"]) == ["a", "b"]
    assert not got["lives_in"].any()
