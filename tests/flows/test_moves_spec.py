"""Spec tests of moves(): each a tiny residence history and the moves it gives
(definitions.md §4). Addresses (conftest.ADDRESSES): e1, e2 in the estate
(municipality 159); g1 elsewhere in 159; c1 in the area "comparison" of 159;
k1 in municipality 101; f1 in the area "far" of 101."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.engine.units import Unit
from cohort.exceptions import MissingTableError, ParameterError
from cohort.flows import ResourceDefinition, moves


def rows(df: pd.DataFrame) -> list[tuple]:
    return [
        (r.pid, r.date.date().isoformat(), r.direction, r.counterpart)
        for r in df.itertuples()
    ]


def test_address_change_inside_the_area_is_not_a_move(make_extract):
    ex = make_extract([("p", "g1", "2014-01-01", "2015-01-01"),
                       ("p", "e1", "2015-01-01", "2016-05-01"),
                       ("p", "e2", "2016-05-01", None)])
    assert rows(moves(ex, area="estate")) == [("p", "2015-01-01", "in", "same_municipality")]


def test_move_on_1_january_is_dated_1_january(make_extract):
    ex = make_extract([("p", "e1", "2014-03-01", "2016-01-01"),
                       ("p", "k1", "2016-01-01", None)])
    assert rows(moves(ex, area="estate")) == [
        ("p", "2014-03-01", "in", "abroad"),
        ("p", "2016-01-01", "out", "other_municipality"),
    ]


def test_gap_abroad_between_two_spells_is_out_then_in(make_extract):
    ex = make_extract([("p", "e1", "2014-03-01", "2015-03-01"),
                       ("p", "e2", "2015-06-01", None)])
    assert rows(moves(ex, area="estate")) == [
        ("p", "2014-03-01", "in", "abroad"),
        ("p", "2015-03-01", "out", "abroad"),
        ("p", "2015-06-01", "in", "abroad"),
    ]


def test_birth_into_the_area(make_extract):
    ex = make_extract([("b", "e1", "2015-04-04", None)],
                      persons=[("b", "2015-04-04", None)])
    mv = moves(ex, area="estate")
    assert rows(mv) == [("b", "2015-04-04", "in", "birth")]
    assert mv["resource_status"].tolist() == ["not_adult"]


def test_first_spell_of_a_person_not_born_that_day_is_from_abroad(make_extract):
    ex = make_extract([("b", "e1", "2015-05-04", None)],
                      persons=[("b", "2015-04-04", None)])
    assert rows(moves(ex, area="estate")) == [("b", "2015-05-04", "in", "abroad")]


def test_death_in_the_area(make_extract):
    # open spell, death inside it; closed spell ending on the death date
    ex = make_extract([("p", "e1", "2014-03-01", None),
                       ("q", "e1", "2014-03-01", "2017-02-02")],
                      persons=[("p", "1970-01-01", "2016-02-02"),
                               ("q", "1970-01-01", "2017-02-02")])
    assert rows(moves(ex, area="estate")) == [
        ("p", "2014-03-01", "in", "abroad"),
        ("p", "2016-02-02", "out", "death"),
        ("q", "2014-03-01", "in", "abroad"),
        ("q", "2017-02-02", "out", "death"),
    ]


def test_death_after_leaving_is_not_a_move_of_the_area(make_extract):
    ex = make_extract([("p", "e1", "2014-03-01", "2015-01-01"),
                       ("p", "k1", "2015-01-01", None)],
                      persons=[("p", "1970-01-01", "2016-02-02")])
    assert rows(moves(ex, area="estate"))[-1] == ("p", "2015-01-01", "out",
                                                  "other_municipality")


def test_spell_open_or_ending_after_the_extract_end(make_extract):
    ex = make_extract([("p", "e1", "2018-03-01", None),
                       ("q", "e1", "2018-03-01", "2020-02-01"),
                       ("r", "e1", "2018-03-01", "2019-12-31"),
                       ("s", "e1", "2020-01-05", None)],
                      extract_end="2019-12-31")
    assert rows(moves(ex, area="estate")) == [
        ("p", "2018-03-01", "in", "abroad"),
        ("q", "2018-03-01", "in", "abroad"),
        ("r", "2018-03-01", "in", "abroad"),
        ("r", "2019-12-31", "out", "abroad"),  # d <= extract_end
    ]


def test_same_municipality_versus_other_municipality(make_extract):
    ex = make_extract([("a", "g1", "2014-01-01", "2015-01-01"),   # rest of 159
                       ("a", "e1", "2015-01-01", "2016-01-01"),
                       ("a", "c1", "2016-01-01", None),           # comparison area of 159
                       ("b", "k1", "2014-01-01", "2015-02-01"),   # municipality 101
                       ("b", "e1", "2015-02-01", "2016-02-01"),
                       ("b", "f1", "2016-02-01", None)])          # an area of 101
    assert rows(moves(ex, area="estate")) == [
        ("a", "2015-01-01", "in", "same_municipality"),
        ("a", "2016-01-01", "out", "same_municipality"),
        ("b", "2015-02-01", "in", "other_municipality"),
        ("b", "2016-02-01", "out", "other_municipality"),
    ]


def test_adjacent_spells_with_no_gap_are_not_abroad(make_extract):
    ex = make_extract([("p", "k1", "2014-01-01", "2015-07-01"),
                       ("p", "e1", "2015-07-01", "2015-08-01"),
                       ("p", "g1", "2015-08-01", None)])
    assert rows(moves(ex, area="estate")) == [
        ("p", "2015-07-01", "in", "other_municipality"),
        ("p", "2015-08-01", "out", "same_municipality"),
    ]


def test_every_area_at_once_has_an_area_column(make_extract):
    ex = make_extract([("a", "g1", "2014-01-01", "2015-01-01"),
                       ("a", "e1", "2015-01-01", "2016-01-01"),
                       ("a", "c1", "2016-01-01", None)])
    mv = moves(ex, area=None)
    assert list(mv.columns) == ["area", "pid", "date", "direction", "counterpart",
                                "resource_status"]
    assert [(r.area, r.direction) for r in mv.itertuples()] == [
        ("comparison", "in"), ("estate", "in"), ("estate", "out")]
    two = moves(ex, area=["estate", Unit("municipality", "159")])
    assert [(r.area, r.direction, r.counterpart) for r in two.itertuples()] == [
        ("estate", "in", "same_municipality"), ("estate", "out", "same_municipality"),
        ("municipality:159", "in", "abroad")]


# --- resource status at the boundaries -----------------------------------------

LABOUR_OK = [("p", y, "employed") for y in range(2010, 2020)]
EDU_OK = [("p", "youth_vocational", "2005-06-30", "completed")]


def status_at(make_extract, move_in, *, birth="1980-06-15", labour=LABOUR_OK, education=EDU_OK,
              definition=None):
    ex = make_extract([("p", "e1", move_in, None)], persons=[("p", birth, None)],
                      labour=labour, education=education)
    return moves(ex, area="estate", definition=definition)["resource_status"].tolist()[0]


@pytest.mark.parametrize(
    ("birth", "move_in", "expected"),
    [
        ("1990-03-10", "2015-03-10", "resource_strong"),  # 25 on the move date
        ("1990-03-10", "2015-03-09", "not_adult"),        # 24 the day before
        ("1951-05-05", "2016-05-04", "resource_strong"),  # 64 the day before 65
        ("1951-05-05", "2016-05-05", "not_adult"),        # 65
        ("1988-02-29", "2013-02-28", "not_adult"),        # 29 Feb: 25 on 1 March
        ("1988-02-29", "2013-03-01", "resource_strong"),
    ],
)
def test_age_boundaries(make_extract, birth, move_in, expected):
    assert status_at(make_extract, move_in, birth=birth) == expected


def test_labour_of_the_year_before_the_moves_year(make_extract):
    lab = [("p", 2014, "unemployed"), ("p", 2015, "employed")]
    assert status_at(make_extract, "2015-12-31", labour=lab) == "not_resource_strong"
    assert status_at(make_extract, "2016-01-01", labour=lab) == "resource_strong"
    # by default the labour year before the move's year only (a lookback of one year)
    assert status_at(make_extract, "2019-06-01", labour=lab) == "not_resource_strong"
    # labour_max_lag=None: the latest labour year before the move's year, however old
    unlimited = ResourceDefinition(labour_max_lag=None)
    assert status_at(make_extract, "2019-06-01", labour=lab, definition=unlimited) == (
        "resource_strong")


@pytest.mark.parametrize(
    ("move_in", "lag", "expected"),
    [
        # the only employed labour year is 2015 (status at the end of November 2015)
        ("2016-01-01", 1, "resource_strong"),      # 2015 = the year before: lag 1 is enough
        ("2016-12-31", 1, "resource_strong"),      # the whole of 2016 looks back to 2015
        ("2017-01-01", 1, "not_resource_strong"),  # 2015 is two years back: too old for 1
        ("2017-01-01", 2, "resource_strong"),      # ... but not for 2
        ("2017-12-31", 2, "resource_strong"),
        ("2018-01-01", 2, "not_resource_strong"),  # three years back
        ("2018-01-01", None, "resource_strong"),   # unlimited
        ("2015-12-31", 5, "not_resource_strong"),  # the move's own year never counts
    ],
)
def test_labour_lookback_boundaries(make_extract, move_in, lag, expected):
    lab = [("p", 2015, "employed")]
    d = ResourceDefinition(labour_max_lag=lag)
    assert status_at(make_extract, move_in, labour=lab, definition=d) == expected


def test_labour_lookback_is_one_year_by_default():
    assert ResourceDefinition().labour_max_lag == 1
    with pytest.raises(ParameterError, match="labour_max_lag"):
        ResourceDefinition(labour_max_lag=0)


def test_self_employed_counts_student_does_not(make_extract):
    assert status_at(make_extract, "2016-01-01",
                     labour=[("p", 2015, "self_employed")]) == "resource_strong"
    assert status_at(make_extract, "2016-01-01",
                     labour=[("p", 2015, "student")]) == "not_resource_strong"
    assert status_at(make_extract, "2016-01-01", labour=[]) == "not_resource_strong"


def test_highest_completed_level_on_the_date(make_extract):
    done = [("p", "youth_general", "2016-06-30", "completed")]
    assert status_at(make_extract, "2016-06-30", education=done) == "resource_strong"
    assert status_at(make_extract, "2016-06-29", education=done) == "not_resource_strong"
    dropped = [("p", "master", "2010-06-30", "dropped")]
    assert status_at(make_extract, "2016-06-30", education=dropped) == "not_resource_strong"
    prep = [("p", "preparatory", "2010-06-30", "completed")]
    assert status_at(make_extract, "2016-06-30", education=prep) == "not_resource_strong"


def test_bad_area_argument(make_extract):
    ex = make_extract([("p", "e1", "2015-01-01", None)])
    with pytest.raises(ParameterError, match="area"):
        moves(ex, area=[])
    with pytest.raises(ParameterError, match="municipality"):
        moves(ex, area="municipality:abc")


def test_needs_labour_and_education(tmp_path):
    import warnings

    from cohort.extract import read_extract, write_extract

    frames = {
        "persons": pd.DataFrame({"pid": ["p"], "birth_date": pd.to_datetime(["1980-01-01"]),
                                 "sex": ["F"]}),
        "residence": pd.DataFrame({"pid": ["p"], "address_id": ["a"],
                                   "moved_in": pd.to_datetime(["2015-01-01"]),
                                   "moved_out": pd.to_datetime([None])}),
        "addresses": pd.DataFrame({"address_id": ["a"], "municipality": [159],
                                   "area": ["estate"]}),
    }
    path = write_extract(frames, tmp_path / "x", extract_end="2019-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = read_extract(path)
    with ex, pytest.raises(MissingTableError, match="labour"):
        moves(ex, area="estate")
