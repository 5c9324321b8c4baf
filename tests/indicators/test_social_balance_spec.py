"""Spec tests of the six indicators (definitions §1): tiny worlds on every boundary."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from _indicators_build import GL, VP, person, spell

from cohort.exceptions import MissingTableError, ParameterError
from cohort.indicators import COLUMNS, INDICATORS, IndicatorParams, social_balance


def _cell(df: pd.DataFrame, indicator: str, unit: str) -> tuple[int, int]:
    row = df[(df.indicator == indicator) & (df.unit == unit)]
    assert len(row) == 1
    return int(row.numerator.iloc[0]), int(row.denominator.iloc[0])


def _benefit(pid, benefit, start, end=None):
    return {"pid": pid, "benefit": benefit, "start_date": start, "end_date": end}


# -- public support on 1 January Y ------------------------------------------------

SUPPORT_WORLD = {
    "persons": [
        person("ends_on_d", "1995-06-01"),      # benefit spell ends on 1 January: not covered
        person("starts_on_d", "1995-06-01"),    # benefit spell starts on 1 January: covered
        person("grant", "1995-06-01"),          # student_grant: not public support
        person("leave", "1995-06-01"),          # parental_leave: not public support
        person("turns30", "1988-01-01"),        # 30 on 1 January 2018: adult, not youth
        person("still29", "1988-01-02"),        # 29 on 1 January 2018: youth
        person("turns18", "2000-01-01"),        # 18 on 1 January 2018: youth
        person("turns68", "1950-01-01"),        # 68: outside 18-67
        person("is67", "1950-01-02"),           # 67: adult
        person("moved_out_on_d", "1995-06-01"), # leaves the estate on 1 January for Gladsaxe
        person("moved_in_on_d", "1995-06-01"),  # arrives in the estate on 1 January
        person("died_on_d", "1995-06-01", death="2018-01-01"),  # residence ends at death
        person("abroad", "1995-06-01"),         # a gap in residence on 1 January
        person("copenhagen", "1995-06-01"),     # another municipality
    ],
    "residence": [
        spell("ends_on_d", "vp1", "2010-01-01"),
        spell("starts_on_d", "vp1", "2010-01-01"),
        spell("grant", "vp1", "2010-01-01"),
        spell("leave", "vp2", "2010-01-01"),
        spell("turns30", "vp1", "2010-01-01"),
        spell("still29", "vp1", "2010-01-01"),
        spell("turns18", "vp2", "2010-01-01"),
        spell("turns68", "vp2", "2010-01-01"),
        spell("is67", "vp2", "2010-01-01"),
        spell("moved_out_on_d", "vp1", "2010-01-01", "2018-01-01"),
        spell("moved_out_on_d", "gl1", "2018-01-01"),
        spell("moved_in_on_d", "gl1", "2010-01-01", "2018-01-01"),
        spell("moved_in_on_d", "vp1", "2018-01-01"),
        spell("died_on_d", "vp1", "2010-01-01", "2018-01-01"),
        spell("abroad", "vp1", "2010-01-01", "2017-12-01"),
        spell("abroad", "vp1", "2018-02-01"),
        spell("copenhagen", "kb1", "2010-01-01"),
    ],
    "benefits": [
        _benefit("ends_on_d", "cash_assistance", "2017-06-01", "2018-01-01"),
        _benefit("starts_on_d", "cash_assistance", "2018-01-01"),
        _benefit("grant", "student_grant", "2017-08-01", "2018-07-01"),
        _benefit("leave", "parental_leave", "2017-10-01", "2018-06-01"),
        _benefit("turns30", "cash_assistance", "2017-01-01"),
        _benefit("still29", "sickness", "2017-12-01", "2018-01-02"),
        _benefit("turns68", "old_age_pension", "2015-01-01"),
        _benefit("is67", "disability_pension", "2015-01-01"),
        _benefit("moved_out_on_d", "cash_assistance", "2017-01-01"),
        _benefit("moved_in_on_d", "unemployment_insurance", "2017-01-01"),
        _benefit("died_on_d", "cash_assistance", "2017-01-01"),
        _benefit("abroad", "cash_assistance", "2017-01-01"),
        _benefit("copenhagen", "cash_assistance", "2017-01-01"),
    ],
}


@pytest.fixture
def support(make_extract):
    ex = make_extract(SUPPORT_WORLD)
    return social_balance(ex, units=[VP, GL, "municipality:101"], year=2018,
                          indicators=["youth_public_support", "adult_public_support"])


def test_youth_public_support_on_1_january(support):
    # youth in the estate: ends_on_d, starts_on_d, grant, leave, still29, turns18,
    # moved_in_on_d; on support: starts_on_d, still29, moved_in_on_d.
    assert _cell(support, "youth_public_support", VP) == (3, 7)
    # Gladsaxe adds moved_out_on_d (on support, living at gl1 from 1 January).
    assert _cell(support, "youth_public_support", GL) == (4, 8)
    assert _cell(support, "youth_public_support", "municipality:101") == (1, 1)


def test_adult_public_support_on_1_january(support):
    # adults 18-67 in the estate: the 7 young + turns30 + is67; turns68 is out.
    assert _cell(support, "adult_public_support", VP) == (5, 9)
    assert _cell(support, "adult_public_support", GL) == (6, 10)


def test_support_rows_columns_and_period(support):
    assert tuple(support.columns) == COLUMNS
    assert support.indicator.tolist() == ["youth_public_support"] * 3 + ["adult_public_support"] * 3
    assert support.unit.tolist() == [VP, GL, "municipality:101"] * 2
    assert set(support.period) == {"2018-01-01"}
    assert support.share.iloc[0] == pytest.approx(3 / 7)
    assert str(support.numerator.dtype) == "int64"


def test_29_february_birthday_is_1_march_in_common_years(make_extract):
    world = {
        "persons": [person("leap", "2000-02-29")],
        "residence": [spell("leap", "vp1", "2000-02-29")],
        "benefits": [_benefit("leap", "cash_assistance", "2017-01-01")],
    }
    ex = make_extract(world, extract_end="2020-12-31")

    def youth(month_day):
        p = IndicatorParams(support_on=month_day)
        df = social_balance(ex, units=VP, year=2018, params=p, indicators=["youth_public_support"])
        return _cell(df, "youth_public_support", VP)

    assert youth((2, 28)) == (0, 0)  # still 17 on 28 February 2018
    assert youth((3, 1)) == (1, 1)   # 18 on 1 March 2018
    # In a leap year the birthday is 29 February itself.
    p = IndicatorParams(support_on=(2, 29))
    df = social_balance(ex, units=VP, year=2020, params=p, indicators=["youth_public_support"])
    assert _cell(df, "youth_public_support", VP) == (1, 1)


def test_support_benefits_is_a_parameter(make_extract):
    ex = make_extract(SUPPORT_WORLD)
    p = IndicatorParams(support_benefits=("student_grant",))
    df = social_balance(ex, units=VP, year=2018, params=p, indicators=["youth_public_support"])
    assert _cell(df, "youth_public_support", VP) == (1, 7)


# -- school-year indicators ---------------------------------------------------------

def _edu(pid, level, start, end=None, outcome="ongoing"):
    return {"pid": pid, "level": level, "start_date": start, "end_date": end, "outcome": outcome}


SCHOOL_WORLD = {
    "persons": [person(p, "2001-05-05") for p in
                ("gym", "dropped_on_d", "edu_on_d", "left_on_june30", "arrived_june30",
                 "one_grade", "year_before", "no_exams", "short_cycle", "emigrated")],
    "residence": [
        spell("gym", "vp1", "2005-01-01"),
        spell("dropped_on_d", "vp1", "2005-01-01"),
        spell("edu_on_d", "vp2", "2005-01-01"),
        spell("left_on_june30", "vp1", "2005-01-01", "2017-06-30"),
        spell("left_on_june30", "gl1", "2017-06-30"),
        spell("arrived_june30", "gl1", "2005-01-01", "2017-06-30"),
        spell("arrived_june30", "vp1", "2017-06-30"),
        spell("one_grade", "vp1", "2005-01-01"),
        spell("year_before", "vp1", "2005-01-01"),
        spell("no_exams", "vp1", "2005-01-01"),
        spell("short_cycle", "vp1", "2005-01-01"),
        spell("emigrated", "vp1", "2005-01-01", "2017-07-15"),  # abroad from mid-July: stays in
    ],
    "exams": [
        {"pid": "gym", "year": 2017, "danish": 4.0, "math": 4.0},          # average 4: counts
        {"pid": "dropped_on_d", "year": 2017, "danish": 7.0, "math": 0.0},  # 3.5
        {"pid": "edu_on_d", "year": 2017, "danish": 2.0, "math": 7.0},   # 4.5
        {"pid": "left_on_june30", "year": 2017, "danish": 12.0, "math": 12.0},
        {"pid": "arrived_june30", "year": 2017, "danish": -3.0, "math": 12.0},  # 4.5
        {"pid": "one_grade", "year": 2017, "danish": 12.0, "math": None},
        {"pid": "year_before", "year": 2016, "danish": 12.0, "math": 12.0},
        {"pid": "short_cycle", "year": 2017, "danish": 2.0, "math": 4.0},   # 3
        {"pid": "emigrated", "year": 2017, "danish": 10.0, "math": 10.0},
    ],
    "education": [
        _edu("gym", "youth_general", "2017-08-10"),
        _edu("dropped_on_d", "youth_vocational", "2017-08-10", "2018-09-30", "dropped"),
        _edu("edu_on_d", "youth_vocational", "2018-09-30"),
        _edu("left_on_june30", "youth_general", "2017-08-10"),
        _edu("arrived_june30", "youth_general", "2017-08-10", "2020-06-20", "completed"),
        _edu("one_grade", "youth_general", "2017-08-10"),
        _edu("year_before", "youth_general", "2016-08-10"),
        _edu("no_exams", "youth_general", "2017-08-10"),
        _edu("short_cycle", "short_cycle", "2017-08-10"),
    ],
    "absence": [
        {"pid": "gym", "year": 2017, "unauthorised_days": 5},            # 5: counts
        {"pid": "dropped_on_d", "year": 2017, "unauthorised_days": 4},
        {"pid": "edu_on_d", "year": 2017, "unauthorised_days": 0},
        {"pid": "left_on_june30", "year": 2017, "unauthorised_days": 30},
        {"pid": "arrived_june30", "year": 2017, "unauthorised_days": 12},
        {"pid": "year_before", "year": 2016, "unauthorised_days": 40},
        {"pid": "no_exams", "year": 2018, "unauthorised_days": 40},
    ],
}


@pytest.fixture
def school(make_extract):
    ex = make_extract(SCHOOL_WORLD)
    return social_balance(ex, units=[VP, GL], year=2017,
                          indicators=["youth_education_15m", "school_absence", "exam_grades"])


def test_youth_education_15_months_after_9th_grade(school):
    # exams 2017 and in the estate on 30 June 2017: gym, dropped_on_d, edu_on_d,
    # arrived_june30, one_grade, short_cycle, emigrated (7). In youth education on
    # 30 September 2018: gym, edu_on_d, arrived_june30, one_grade.
    assert _cell(school, "youth_education_15m", VP) == (4, 7)
    assert _cell(school, "youth_education_15m", GL) == (5, 8)


def test_exam_grades_need_both_grades(school):
    # both grades, in the estate: gym (4), dropped_on_d (3.5), edu_on_d (4.5),
    # arrived_june30 (4.5), short_cycle (3), emigrated (10).
    assert _cell(school, "exam_grades", VP) == (4, 6)
    assert _cell(school, "exam_grades", GL) == (5, 7)


def test_school_absence_five_days_or_more(school):
    assert _cell(school, "school_absence", VP) == (2, 4)
    assert _cell(school, "school_absence", GL) == (3, 5)


def test_school_year_period_label(school):
    assert set(school.period) == {"2016/17"}


def test_absence_threshold_and_grade_threshold_are_parameters(make_extract):
    ex = make_extract(SCHOOL_WORLD)
    p = IndicatorParams(absence_days=12, grade_average=4.5)
    df = social_balance(ex, units=VP, year=2017, params=p,
                        indicators=["school_absence", "exam_grades"])
    assert _cell(df, "school_absence", VP) == (1, 4)
    assert _cell(df, "exam_grades", VP) == (3, 6)


# -- placements ----------------------------------------------------------------------

def _pl(pid, start, end=None):
    return {"pid": pid, "start_date": start, "end_date": end, "kind": "foster_family"}


PLACEMENT_WORLD = {
    "persons": [
        person("ended_jan1", "2005-01-01"),   # placement ends on 1 January 2017: no overlap
        person("starts_dec31", "2005-01-01"), # starts on 31 December 2017: overlaps
        person("one_day", "2005-01-01"),      # ends on 2 January 2017: overlaps 1 January
        person("next_year", "2005-01-01"),    # starts 1 January 2018: no
        person("age23", "1994-12-31"),        # 23 on 31 December 2017: out
        person("age22", "1995-01-01"),        # 22 on 31 December 2017: in
        person("baby", "2017-06-01"),         # 0: in
        person("left_dec31", "2005-01-01"),   # leaves the estate on 31 December 2017
    ],
    "residence": [
        spell("ended_jan1", "vp1", "2005-01-01"),
        spell("starts_dec31", "vp1", "2005-01-01"),
        spell("one_day", "vp1", "2005-01-01"),
        spell("next_year", "vp1", "2005-01-01"),
        spell("age23", "vp1", "2005-01-01"),
        spell("age22", "vp1", "2005-01-01"),
        spell("baby", "vp2", "2017-06-01"),
        spell("left_dec31", "vp1", "2005-01-01", "2017-12-31"),
        spell("left_dec31", "kb1", "2017-12-31"),
    ],
    "placements": [
        _pl("ended_jan1", "2015-03-01", "2017-01-01"),
        _pl("starts_dec31", "2017-12-31"),
        _pl("one_day", "2016-05-01", "2017-01-02"),
        _pl("next_year", "2018-01-01"),
        _pl("age23", "2017-02-01"),
        _pl("age22", "2017-02-01", "2017-03-01"),
        _pl("left_dec31", "2017-02-01"),
    ],
}


def test_placements_overlap_calendar_year(make_extract):
    ex = make_extract(PLACEMENT_WORLD)
    df = social_balance(ex, units=[VP, GL, "municipality:101"], year=2017,
                        indicators=["placements"])
    # in the estate on 31 December 2017, aged 0-22: ended_jan1, starts_dec31, one_day,
    # next_year, age22, baby; placed in 2017: starts_dec31, one_day, age22.
    assert _cell(df, "placements", VP) == (3, 6)
    assert _cell(df, "placements", GL) == (3, 6)
    assert _cell(df, "placements", "municipality:101") == (1, 1)
    assert df.period.tolist() == ["2017"] * 3


# -- the API -------------------------------------------------------------------------

def test_all_six_in_the_strategys_order(make_extract):
    world = {**SUPPORT_WORLD, **{k: v for k, v in SCHOOL_WORLD.items() if k not in
                                  ("persons", "residence")},
             "placements": PLACEMENT_WORLD["placements"]}
    world["persons"] = SUPPORT_WORLD["persons"] + SCHOOL_WORLD["persons"] + \
        PLACEMENT_WORLD["persons"]
    world["residence"] = SUPPORT_WORLD["residence"] + SCHOOL_WORLD["residence"] + \
        PLACEMENT_WORLD["residence"]
    ex = make_extract(world)
    df = social_balance(ex, units=["area:vaerebro_park", "municipality:159"], year=2017)
    assert df.indicator.tolist() == [k for k in INDICATORS for _ in range(2)]
    assert len(INDICATORS) == 6


def test_unit_without_residents_has_share_nan(make_extract):
    ex = make_extract(PLACEMENT_WORLD)
    df = social_balance(ex, units="area:nowhere", year=2017, indicators=["placements"])
    assert _cell(df, "placements", "area:nowhere") == (0, 0)
    assert math.isnan(df.share.iloc[0])


def test_missing_table_names_the_indicator(make_extract):
    ex = make_extract(PLACEMENT_WORLD)
    with pytest.raises(MissingTableError,
                       match="'youth_public_support' needs the table 'benefits'"):
        social_balance(ex, units=VP, year=2017)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"units": "estate", "year": 2017}, "a unit must be written"),
        ({"units": VP, "year": "2017"}, "year must be an integer"),
        ({"units": VP, "year": 2017, "indicators": ["placement"]}, "indicators must be one of"),
        ({"units": [], "year": 2017}, "units must name at least one unit"),
    ],
)
def test_parameter_errors(make_extract, kwargs, match):
    ex = make_extract(PLACEMENT_WORLD)
    with pytest.raises(ParameterError, match=match):
        social_balance(ex, **kwargs)


def test_params_are_validated_and_frozen():
    with pytest.raises(ParameterError, match="youth_ages"):
        IndicatorParams(youth_ages=(29, 18))
    with pytest.raises(ParameterError, match="support_on"):
        IndicatorParams(support_on=(2, 30))
    with pytest.raises(ParameterError, match="support_benefits"):
        IndicatorParams(support_benefits=("cash",))
    with pytest.raises(TypeError):
        IndicatorParams((1, 1))  # keyword-only
    with pytest.raises(dataclasses.FrozenInstanceError):
        IndicatorParams().absence_days = 3  # type: ignore[misc]
