"""Spec tests: ``district:<name>`` units wherever a unit is accepted (definitions §7).

A district ("bydel") comes from the optional column ``addresses.district``. The
units are parsed in one place (:func:`cohort.engine.parse_unit`); the engine's
residence and exposure primitives, Lexis states and the flows take them, and an
extract without the column stops with an error that names it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cohort.cohorts import area_states
from cohort.engine import (
    UNIT_KINDS,
    Unit,
    address_on,
    lives_in,
    parse_unit,
    resident_at_age,
    residents,
    years_between,
    years_in_area,
)
from cohort.exceptions import MissingTableError, ParameterError
from cohort.flows import moves, yearly

D = dt.date.fromisoformat
BV = "district:bagsvaerd"

#: The estate and G1 lie in the district Bagsværd; G2 is Gladsaxe outside it.
ADDRESSES = [
    ("E1", 159, "vaerebro_park", "bagsvaerd"),
    ("E2", 159, "vaerebro_park", "bagsvaerd"),
    ("G1", 159, None, "bagsvaerd"),
    ("G2", 159, None, None),
    ("K1", 101, None, None),
    ("K2", 101, "other_estate", None),
]
PERSONS = [("a", "2000-03-01", "F"), ("b", "2000-01-01", "M"), ("c", "2000-01-01", "F")]
# a: the estate from birth, G1 (the district, outside the estate) from 8, G2 from 12.
# b: Copenhagen, abroad in 2010, G1 from 2011. c: G2 all along.
RESIDENCE = [
    ("a", "E1", "2000-03-01", "2008-03-01"),
    ("a", "G1", "2008-03-01", "2012-03-01"),
    ("a", "G2", "2012-03-01", None),
    ("b", "K1", "2000-01-01", "2010-01-01"),
    ("b", "G1", "2011-01-01", None),
    ("c", "G2", "2000-01-01", None),
]
LABOUR = [("a", 2011, "student")]
EDUCATION = [("a", "primary", None, "2006-08-01", None, "ongoing")]


@pytest.fixture
def ex(make_extract):
    return make_extract({"persons": PERSONS, "residence": RESIDENCE, "addresses": ADDRESSES,
                         "labour": LABOUR, "education": EDUCATION})


@pytest.fixture
def ex_without(make_extract):
    """The same registers, with addresses that have no column ``district``."""
    return make_extract({"persons": PERSONS, "residence": RESIDENCE,
                         "addresses": [r[:3] for r in ADDRESSES],
                         "labour": LABOUR, "education": EDUCATION})


def _keys(*pairs):
    return pd.DataFrame({"pid": [p for p, _ in pairs], "date": [D(d) for _, d in pairs]})


# -- parsing ------------------------------------------------------------------------------

def test_parse_a_district_unit():
    u = parse_unit(BV)
    assert u == Unit("district", "bagsvaerd")
    assert u.label == BV and str(u) == BV
    assert u.predicate("a") == "(a.district = 'bagsvaerd')"
    assert parse_unit("district:o'hara").predicate("x") == "(x.district = 'o''hara')"
    assert UNIT_KINDS == ("area", "district", "municipality")


@pytest.mark.parametrize("text", ["district:", "district", "bydel:bagsvaerd", "District:x"])
def test_malformed_units_name_the_three_forms(text):
    with pytest.raises(ParameterError, match="'area:<name>', 'district:<name>' or "
                                             "'municipality:<code>'"):
        parse_unit(text)


# -- residence ----------------------------------------------------------------------------

def test_residents_of_a_district(ex):
    got = residents(ex, BV, ["2009-01-01", "2010-06-01", "2012-02-29", "2012-03-01"]).df()
    got = sorted(zip(got["date"].astype(str), got["pid"], strict=True))
    # a leaves the district for G2 on 2012-03-01; b is abroad in 2010, in G1 from 2011
    assert got == [("2009-01-01", "a"), ("2010-06-01", "a"), ("2012-02-29", "a"),
                   ("2012-02-29", "b"), ("2012-03-01", "b")]


def test_lives_in_a_district(ex):
    got = lives_in(ex, BV, _keys(("a", "2008-02-29"), ("a", "2012-02-29"), ("a", "2012-03-01"),
                                 ("b", "2010-06-01"), ("c", "2012-01-01"))).df()
    keys = zip(got["pid"], got["date"].astype(str), strict=True)
    got = dict(zip(keys, got["lives_in"], strict=True))
    assert got == {("a", "2008-02-29"): True, ("a", "2012-02-29"): True,
                   ("a", "2012-03-01"): False, ("b", "2010-06-01"): False,
                   ("c", "2012-01-01"): False}


def test_address_on_carries_the_district(ex, ex_without):
    keys = _keys(("a", "2005-01-01"), ("a", "2010-01-01"), ("a", "2013-01-01"))
    got = address_on(ex, keys).df().sort_values("date")
    assert list(got.columns) == ["pid", "date", "address_id", "municipality", "area",
                                 "district"]
    assert got["district"].fillna("-").tolist() == ["bagsvaerd", "bagsvaerd", "-"]
    assert address_on(ex_without, keys).df()["district"].isna().all()


# -- exposure -----------------------------------------------------------------------------

def test_years_in_a_district_and_resident_at_age(ex):
    # a: in the district from birth to the 12th birthday, so [6th, 16th) holds 6 years
    got = years_in_area(ex, area=BV, from_age=6, to_age=16)
    assert got["a"] == pytest.approx((D("2012-03-01") - D("2006-03-01")).days / 365.25)
    assert got["c"] == 0.0
    # b: G1 from 2011-01-01, the 11th birthday
    assert got["b"] == pytest.approx((D("2016-01-01") - D("2011-01-01")).days / 365.25)
    at = resident_at_age(ex, area=BV, age=11)
    assert at.to_dict() == {"a": True, "b": True, "c": False}
    at = resident_at_age(ex, area=BV, age=12)
    assert at.to_dict() == {"a": False, "b": True, "c": False}


def test_years_between_in_a_district(ex):
    keys = pd.DataFrame({"pid": ["a", "b"], "start": [D("2010-01-01")] * 2,
                         "end": [D("2013-01-01")] * 2})
    got = years_between(ex, area=BV, keys=keys).set_index("pid")["years_in_area"]
    assert got["a"] == pytest.approx((D("2012-03-01") - D("2010-01-01")).days / 365.25)
    assert got["b"] == pytest.approx((D("2013-01-01") - D("2011-01-01")).days / 365.25)


def test_lexis_states_in_a_district(ex):
    got = area_states(ex, pd.DataFrame({"pid": ["a", "b"]}), area=BV)
    got = list(zip(got["pid"], got["date"].astype(str), got["in_area"], strict=True))
    # (b's open spell ends with the registers, the day after extract_end)
    assert got == [("a", "2000-03-01", 1), ("a", "2012-03-01", 0),
                   ("b", "2000-01-01", 0), ("b", "2011-01-01", 1), ("b", "2020-01-01", 0)]


# -- flows --------------------------------------------------------------------------------

def test_moves_of_a_district(ex):
    got = moves(ex, area=BV)
    rows = [(r.pid, str(r.date.date()), r.direction, r.counterpart) for r in got.itertuples()]
    # a's change of address from the estate to G1 stays inside the district: no move
    assert rows == [("a", "2000-03-01", "in", "birth"),
                    ("a", "2012-03-01", "out", "same_municipality"),
                    ("b", "2011-01-01", "in", "abroad")]
    both = moves(ex, area=["vaerebro_park", BV])
    assert sorted(set(both["area"])) == ["district:bagsvaerd", "vaerebro_park"]
    estate = both[both["area"] == "vaerebro_park"]
    assert [(r.pid, str(r.date.date()), r.direction) for r in estate.itertuples()] == [
        ("a", "2000-03-01", "in"), ("a", "2008-03-01", "out")]


def test_yearly_flows_of_a_district(ex):
    got = yearly(ex, area=[BV, "municipality:159"], years=[2012])
    total = got[(got["breakdown"] == "total")].set_index("area")
    assert total.loc[BV, "population"] == 2                  # a and b on 1 January 2012
    assert total.loc[BV, "out_moves"] == 1                   # a to G2
    assert total.loc["municipality:159", "population"] == 3  # + c
    assert total.loc["municipality:159", "out_moves"] == 0


# -- an extract without the column --------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda x: residents(x, BV, "2010-01-01"),
    lambda x: lives_in(x, BV, _keys(("a", "2010-01-01"))),
    lambda x: years_in_area(x, area=BV, from_age=6, to_age=16),
    lambda x: resident_at_age(x, area=BV, age=15),
    lambda x: years_between(x, area=BV, keys=pd.DataFrame(
        {"pid": ["a"], "start": [D("2010-01-01")], "end": [D("2011-01-01")]})),
    lambda x: area_states(x, pd.DataFrame({"pid": ["a"]}), area=BV),
    lambda x: moves(x, area=BV),
    lambda x: yearly(x, area=["vaerebro_park", BV], years=[2012]),
])
def test_a_district_needs_the_column(ex_without, call):
    with pytest.raises(MissingTableError, match="the unit 'district:bagsvaerd' needs the "
                                                "column 'district' of the table 'addresses'"):
        call(ex_without)


def test_areas_and_municipalities_need_no_district(ex_without):
    assert sorted(residents(ex_without, "area:vaerebro_park", "2005-01-01").df()["pid"]) == ["a"]
    assert sorted(residents(ex_without, "municipality:159", "2013-01-01").df()["pid"]) == [
        "a", "b", "c"]
    assert len(moves(ex_without, area="vaerebro_park")) == 2
