"""Spec tests of the two goal indicators (definitions §7) and of district units.

``not_in_education_or_work`` (30 November Y, aged 16-29, a labour row for Y) and
``youth_convictions`` (31 December Y, aged 15-29, a conviction for penal code,
weapons or drugs decided in Y): tiny worlds on every boundary, in the row format
of the six.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from _indicators_build import ADDRESSES, BV, GL, VP, person, spell

from cohort.exceptions import MissingTableError, ParameterError
from cohort.indicators import (
    ALL_INDICATORS,
    COLUMNS,
    GOAL_INDICATORS,
    INDICATORS,
    IndicatorParams,
    social_balance,
    social_balance_series,
)
from cohort.indicators._published import indicator_label, period_axis

KB = "municipality:101"
NEET = "not_in_education_or_work"
CONV = "youth_convictions"


def _cell(df: pd.DataFrame, indicator: str, unit: str) -> tuple[int, int]:
    row = df[(df.indicator == indicator) & (df.unit == unit)]
    assert len(row) == 1
    return int(row.numerator.iloc[0]), int(row.denominator.iloc[0])


def _lab(pid, status, year=2018):
    return {"pid": pid, "year": year, "status": status}


def _edu(pid, level, start, end=None, outcome="ongoing"):
    return {"pid": pid, "level": level, "start_date": start, "end_date": end, "outcome": outcome}


# -- not in education or work on 30 November Y -------------------------------------

_ADULT = "1995-06-01"
NEET_WORLD = {
    "persons": [
        person("unemployed", _ADULT),          # unemployed, no education: counted
        person("employed", _ADULT),            # employed: not
        person("self_employed", _ADULT),       # self-employed: not
        person("student_status", _ADULT),      # status student: not
        person("support_in_edu", _ADULT),      # on public support, a spell covers the date: not
        person("edu_ends_on_d", _ADULT),       # spell ends on 30 November: no cover, counted
        person("edu_starts_on_d", _ADULT),     # spell starts on 30 November: covers, not
        person("edu_dropped_later", _ADULT),   # a spell later dropped still covers: not
        person("primary_school", "2002-05-01"),  # 16, still in primary school: not
        person("no_labour_row", _ADULT),       # no labour row for 2018: out of the population
        person("turns16_on_d", "2002-11-30"),  # 16 on 30 November 2018: in
        person("still15", "2002-12-01"),       # 15: out
        person("turns30_on_d", "1988-11-30"),  # 30: out
        person("still29", "1988-12-01"),       # 29: in
        person("moved_out_on_d", _ADULT),      # leaves the estate for gl1 on 30 November
        person("moved_in_on_d", _ADULT),       # arrives in the estate from gl2 on 30 November
        person("died_on_d", _ADULT, death="2018-11-30"),      # dead on the date: out
        person("died_next_day", _ADULT, death="2018-12-01"),  # alive on the date: in
        person("abroad", _ADULT),              # a gap in residence covers the date: out
        person("gl2_resident", _ADULT),        # Gladsaxe outside the district
        person("copenhagen", _ADULT),          # another municipality
    ],
    "residence": [
        *[spell(p, "vp1", "2010-01-01") for p in (
            "unemployed", "employed", "self_employed", "student_status", "support_in_edu",
            "edu_ends_on_d", "edu_starts_on_d", "edu_dropped_later", "no_labour_row",
            "still15", "turns30_on_d", "still29")],
        spell("primary_school", "vp2", "2002-05-01"),
        spell("turns16_on_d", "vp2", "2002-11-30"),
        spell("moved_out_on_d", "vp1", "2010-01-01", "2018-11-30"),
        spell("moved_out_on_d", "gl1", "2018-11-30"),
        spell("moved_in_on_d", "gl2", "2010-01-01", "2018-11-30"),
        spell("moved_in_on_d", "vp2", "2018-11-30"),
        spell("died_on_d", "vp1", "2010-01-01", "2018-11-30"),
        spell("died_next_day", "vp1", "2010-01-01", "2018-12-01"),
        spell("abroad", "vp1", "2010-01-01", "2018-11-01"),
        spell("abroad", "vp1", "2019-01-01"),
        spell("gl2_resident", "gl2", "2010-01-01"),
        spell("copenhagen", "kb1", "2010-01-01"),
    ],
    "labour": [
        _lab("unemployed", "unemployed"),
        _lab("employed", "employed"),
        _lab("self_employed", "self_employed"),
        _lab("student_status", "student"),
        _lab("support_in_edu", "public_support"),
        _lab("edu_ends_on_d", "other"),
        _lab("edu_starts_on_d", "unemployed"),
        _lab("edu_dropped_later", "unemployed"),
        _lab("primary_school", "other"),
        _lab("no_labour_row", "unemployed", year=2017),
        _lab("no_labour_row", "unemployed", year=2019),
        _lab("turns16_on_d", "other"),
        _lab("still15", "other"),
        _lab("turns30_on_d", "unemployed"),
        _lab("still29", "retired"),
        _lab("moved_out_on_d", "unemployed"),
        _lab("moved_in_on_d", "public_support"),
        _lab("died_on_d", "unemployed"),
        _lab("died_next_day", "unemployed"),
        _lab("abroad", "unemployed"),
        _lab("gl2_resident", "unemployed"),
        _lab("copenhagen", "other"),
        _lab("employed", "unemployed", year=2017),  # another year's status is not read
    ],
    "education": [
        _edu("support_in_edu", "youth_vocational", "2018-08-01"),
        _edu("edu_ends_on_d", "bachelor", "2015-09-01", "2018-11-30", "completed"),
        _edu("edu_starts_on_d", "short_cycle", "2018-11-30"),
        _edu("edu_dropped_later", "youth_general", "2018-08-01", "2019-02-01", "dropped"),
        _edu("primary_school", "primary", "2008-08-01", "2019-06-30", "completed"),
        _edu("unemployed", "youth_general", "2013-08-01", "2016-06-30", "completed"),
    ],
}
# In the estate on 30 November 2018, aged 16-29, with a 2018 labour row:
# unemployed, employed, self_employed, student_status, support_in_edu, edu_ends_on_d,
# edu_starts_on_d, edu_dropped_later, primary_school, turns16_on_d, still29,
# moved_in_on_d, died_next_day (13); counted: unemployed, edu_ends_on_d,
# turns16_on_d, still29, moved_in_on_d, died_next_day (6).
NEET_VP = (6, 13)
# Bagsværd adds gl1: moved_out_on_d (counted).
NEET_BV = (7, 14)
# Gladsaxe adds gl2: gl2_resident (counted).
NEET_GL = (8, 15)


@pytest.fixture
def neet(make_extract):
    ex = make_extract(NEET_WORLD)
    return social_balance(ex, units=[VP, BV, GL, KB], year=2018, indicators=[NEET])


def test_not_in_education_or_work_on_30_november(neet):
    assert _cell(neet, NEET, VP) == NEET_VP
    assert _cell(neet, NEET, BV) == NEET_BV
    assert _cell(neet, NEET, GL) == NEET_GL
    assert _cell(neet, NEET, KB) == (1, 1)


def test_not_in_education_or_work_rows(neet):
    assert tuple(neet.columns) == COLUMNS
    assert neet.unit.tolist() == [VP, BV, GL, KB]
    assert set(neet.indicator) == {NEET}
    assert set(neet.period) == {"2018"}
    assert neet.share.iloc[0] == pytest.approx(6 / 13)
    assert str(neet.denominator.dtype) == "int64"


def test_not_in_education_or_work_parameters(make_extract):
    ex = make_extract(NEET_WORLD)
    # students by status now count as outside; only youth education counts as education
    p = IndicatorParams(in_work_or_education=("employed", "self_employed"),
                        enrolled_levels=("youth_general", "youth_vocational"))
    df = social_balance(ex, units=VP, year=2018, params=p, indicators=[NEET])
    # + student_status, edu_starts_on_d (short_cycle), primary_school
    assert _cell(df, NEET, VP) == (9, 13)
    # aged 16-17 only: primary_school, turns16_on_d
    p = IndicatorParams(labour_ages=(16, 17))
    df = social_balance(ex, units=VP, year=2018, params=p, indicators=[NEET])
    assert _cell(df, NEET, VP) == (1, 2)
    # on 1 December (the status of year Y is still the one read): still15 turns 16
    # (counted), still29 turns 30, died_next_day has died
    p = IndicatorParams(labour_on=(12, 1))
    df = social_balance(ex, units=VP, year=2018, params=p, indicators=[NEET])
    assert _cell(df, NEET, VP) == (5, 12)


# -- convictions in calendar year Y ------------------------------------------------------

def _conv(pid, date, offence="penal_code"):
    return {"pid": pid, "decision_date": date, "offence": offence}


CONVICTION_WORLD = {
    "persons": [
        person("dec31", _ADULT),               # convicted on 31 December 2017: counted
        person("jan1", _ADULT),                # on 1 January 2017 (weapons): counted
        person("prev_dec31", _ADULT),          # on 31 December 2016: not
        person("next_jan1", _ADULT),           # on 1 January 2018: not
        person("traffic", _ADULT),             # a traffic offence: not
        person("other", _ADULT),               # an offence 'other': not
        person("twice", _ADULT),               # two convictions in 2017: counted once
        person("none", _ADULT),                # never convicted
        person("turns15_on_d", "2002-12-31"),  # 15 on 31 December 2017: in, counted (drugs)
        person("still14", "2003-01-01"),       # 14: out
        person("turns30_on_d", "1987-12-31"),  # 30: out
        person("still29", "1988-01-01"),       # 29: in, counted
        person("moved_out_dec31", _ADULT),     # leaves the estate for Copenhagen on 31 December
        person("moved_in_dec31", _ADULT),      # arrives in the estate on 31 December: counted
        person("died_dec31", _ADULT, death="2017-12-31"),  # dead on the date: out
        person("abroad_dec31", _ADULT),        # abroad on the date: out
        person("gl1_resident", _ADULT),        # Bagsværd outside the estate, counted
    ],
    "residence": [
        *[spell(p, "vp1", "2010-01-01") for p in (
            "dec31", "jan1", "prev_dec31", "next_jan1", "traffic", "other", "twice", "none",
            "still14", "turns30_on_d", "still29")],
        spell("turns15_on_d", "vp2", "2002-12-31"),
        spell("moved_out_dec31", "vp1", "2010-01-01", "2017-12-31"),
        spell("moved_out_dec31", "kb1", "2017-12-31"),
        spell("moved_in_dec31", "kb1", "2010-01-01", "2017-12-31"),
        spell("moved_in_dec31", "vp2", "2017-12-31"),
        spell("died_dec31", "vp1", "2010-01-01", "2017-12-31"),
        spell("abroad_dec31", "vp1", "2010-01-01", "2017-12-01"),
        spell("abroad_dec31", "vp1", "2018-01-02"),
        spell("gl1_resident", "gl1", "2010-01-01"),
    ],
    "convictions": [
        _conv("dec31", "2017-12-31"),
        _conv("jan1", "2017-01-01", "weapons"),
        _conv("prev_dec31", "2016-12-31", "drugs"),
        _conv("next_jan1", "2018-01-01"),
        _conv("traffic", "2017-06-01", "traffic"),
        _conv("other", "2017-06-01", "other"),
        _conv("twice", "2017-03-01"),
        _conv("twice", "2017-09-01", "drugs"),
        _conv("turns15_on_d", "2017-12-31", "drugs"),
        _conv("still14", "2017-06-01"),
        _conv("turns30_on_d", "2017-06-01"),
        _conv("still29", "2017-06-01", "weapons"),
        _conv("moved_out_dec31", "2017-03-01"),
        _conv("moved_in_dec31", "2017-03-01"),  # while living in Copenhagen
        _conv("died_dec31", "2017-05-01"),
        _conv("abroad_dec31", "2017-05-01"),
        _conv("gl1_resident", "2017-05-01", "drugs"),
    ],
}
# In the estate on 31 December 2017, aged 15-29: dec31, jan1, prev_dec31, next_jan1,
# traffic, other, twice, none, turns15_on_d, still29, moved_in_dec31 (11); convicted
# in 2017: dec31, jan1, twice, turns15_on_d, still29, moved_in_dec31 (6).
CONV_VP = (6, 11)


@pytest.fixture
def convictions(make_extract):
    ex = make_extract(CONVICTION_WORLD)
    return social_balance(ex, units=[VP, BV, GL, KB], year=2017, indicators=[CONV])


def test_youth_convictions_in_the_calendar_year(convictions):
    assert _cell(convictions, CONV, VP) == CONV_VP
    assert _cell(convictions, CONV, BV) == (7, 12)  # + gl1_resident
    assert _cell(convictions, CONV, GL) == (7, 12)  # nobody at gl2
    assert _cell(convictions, CONV, KB) == (1, 1)   # moved_out_dec31


def test_youth_convictions_rows(convictions):
    assert tuple(convictions.columns) == COLUMNS
    assert set(convictions.period) == {"2017"}
    assert convictions.unit.tolist() == [VP, BV, GL, KB]


def test_youth_convictions_parameters(make_extract):
    ex = make_extract(CONVICTION_WORLD)
    p = IndicatorParams(conviction_offences=("traffic", "other"))
    df = social_balance(ex, units=VP, year=2017, params=p, indicators=[CONV])
    assert _cell(df, CONV, VP) == (2, 11)
    p = IndicatorParams(conviction_ages=(14, 30))  # + still14, turns30_on_d, both convicted
    df = social_balance(ex, units=VP, year=2017, params=p, indicators=[CONV])
    assert _cell(df, CONV, VP) == (8, 13)
    # the population on 30 December: turns15_on_d is still 14, turns30_on_d still 29
    # (counted); moved_out_dec31 and died_dec31 still live there (counted),
    # moved_in_dec31 not yet; the convictions are those of the calendar year
    p = IndicatorParams(conviction_on=(12, 30))
    df = social_balance(ex, units=VP, year=2017, params=p, indicators=[CONV])
    assert _cell(df, CONV, VP) == (7, 12)
    # the year before: in the estate on 31 December 2016, aged 15-29: the 8 adults of
    # vp1, turns30_on_d, still29, moved_out_dec31, died_dec31, abroad_dec31 (13);
    # convicted in 2016: prev_dec31 (on 31 December)
    df = social_balance(ex, units=VP, year=2016, indicators=[CONV])
    assert _cell(df, CONV, VP) == (1, 13)


# -- the API ---------------------------------------------------------------------------

def test_default_is_the_six_and_all_adds_the_goal_indicators(make_extract):
    world = {**NEET_WORLD, "convictions": [_conv("unemployed", "2017-05-01")]}
    ex = make_extract(world)
    assert INDICATORS == ("youth_public_support", "youth_education_15m", "adult_public_support",
                          "school_absence", "exam_grades", "placements")
    assert GOAL_INDICATORS == (NEET, CONV)
    assert ALL_INDICATORS == (*INDICATORS, *GOAL_INDICATORS)
    # asked in another order, they come back in the order of ALL_INDICATORS
    df = social_balance(ex, units=[VP, GL], year=2017, indicators=[CONV, NEET])
    assert df.indicator.tolist() == [NEET, NEET, CONV, CONV]
    with pytest.raises(MissingTableError, match="'youth_public_support' needs the table"):
        social_balance(ex, units=VP, year=2017)


def test_missing_tables_name_the_indicator(make_extract):
    ex = make_extract(CONVICTION_WORLD)
    with pytest.raises(MissingTableError,
                       match="'not_in_education_or_work' needs the table 'labour'"):
        social_balance(ex, units=VP, year=2017, indicators=[NEET])
    ex = make_extract(NEET_WORLD)
    with pytest.raises(MissingTableError, match="'youth_convictions' needs the table"):
        social_balance(ex, units=VP, year=2017, indicators=[CONV])


def test_reading_after_the_extract_end_is_refused_and_left_out_of_a_series(make_extract):
    ex = make_extract(CONVICTION_WORLD, extract_end="2018-12-30")
    with pytest.raises(ParameterError, match="'youth_convictions' for 2018 reads the registers "
                                             "on 2018-12-31"):
        social_balance(ex, units=VP, year=2018, indicators=[CONV])
    series = social_balance_series(ex, units=VP, years=[2016, 2017, 2018], indicators=[CONV])
    assert series.year.tolist() == [2016, 2017]
    world = {**NEET_WORLD}
    ex = make_extract(world, extract_end="2018-11-29")
    with pytest.raises(ParameterError, match="on 2018-11-30, after the extract's end"):
        social_balance(ex, units=VP, year=2018, indicators=[NEET])


def test_params_of_the_goal_indicators_are_validated():
    with pytest.raises(ParameterError, match="labour_ages"):
        IndicatorParams(labour_ages=(29, 16))
    with pytest.raises(ParameterError, match="in_work_or_education"):
        IndicatorParams(in_work_or_education=("working",))
    with pytest.raises(ParameterError, match="enrolled_levels"):
        IndicatorParams(enrolled_levels=())
    with pytest.raises(ParameterError, match="conviction_offences"):
        IndicatorParams(conviction_offences=("theft",))
    with pytest.raises(ParameterError, match="conviction_on"):
        IndicatorParams(conviction_on=(12, 32))


def test_labels_and_axes():
    assert indicator_label(NEET) == "Aged 16-29 neither in education nor in work (30 November)"
    assert indicator_label(CONV) == "Aged 15-29 convicted during the year"
    assert indicator_label(NEET, IndicatorParams(labour_ages=(18, 24), labour_on=(12, 31))) == (
        "Aged 18-24 neither in education nor in work (31 December)")
    assert period_axis(CONV) == "Calendar year"
    assert period_axis(NEET) == "Year (status at the end of November)"


# -- districts ---------------------------------------------------------------------------

def test_district_units_for_the_six(make_extract):
    world = {
        "persons": [person("estate", "2005-01-01"), person("gl1", "2005-01-01"),
                    person("gl2", "2005-01-01"), person("moved", "2005-01-01")],
        "residence": [spell("estate", "vp1", "2005-01-01"), spell("gl1", "gl1", "2005-01-01"),
                      spell("gl2", "gl2", "2005-01-01"),
                      # leaves the district for gl2 on 31 December: not in it that day
                      spell("moved", "gl1", "2005-01-01", "2017-12-31"),
                      spell("moved", "gl2", "2017-12-31")],
        "placements": [{"pid": p, "start_date": "2017-03-01", "end_date": None,
                        "kind": "institution"} for p in ("estate", "gl2", "moved")],
    }
    ex = make_extract(world)
    df = social_balance(ex, units=[BV, VP, GL, "district:elsewhere"], year=2017,
                        indicators=["placements"])
    assert df.unit.tolist() == [BV, VP, GL, "district:elsewhere"]
    assert _cell(df, "placements", BV) == (1, 2)
    assert _cell(df, "placements", VP) == (1, 1)
    assert _cell(df, "placements", GL) == (3, 4)
    assert _cell(df, "placements", "district:elsewhere") == (0, 0)
    assert math.isnan(df.share.iloc[-1])


def test_a_district_unit_needs_the_district_column(make_extract):
    no_district = [{k: v for k, v in a.items() if k != "district"} for a in ADDRESSES]
    world = {"addresses": no_district, **CONVICTION_WORLD}
    ex = make_extract(world)
    # areas and municipalities work as before
    df = social_balance(ex, units=[VP, GL], year=2017, indicators=[CONV])
    assert _cell(df, CONV, VP) == CONV_VP
    with pytest.raises(MissingTableError, match="the unit 'district:bagsvaerd' needs the "
                                                "column 'district' of the table 'addresses'"):
        social_balance(ex, units=[VP, BV], year=2017, indicators=[CONV])
    with pytest.raises(MissingTableError, match="'district'"):
        social_balance_series(ex, units=BV, years=[2017], indicators=[CONV])


@pytest.mark.parametrize("unit", ["district:", "district", "bydel:bagsvaerd"])
def test_malformed_district_units(make_extract, unit):
    ex = make_extract(CONVICTION_WORLD)
    with pytest.raises(ParameterError, match="'district:<name>'"):
        social_balance(ex, units=unit, year=2017, indicators=[CONV])
