"""Spec tests of the vulnerable-area criteria (definitions §2), list year L = 2019."""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest
from _indicators_build import person, spell

from cohort.exceptions import DataQualityWarning, MissingTableError, ParameterError
from cohort.indicators import (
    CRITERIA,
    VULNERABLE_COLUMNS,
    VulnerableAreaParams,
    regions,
    vulnerable_area,
)

L = 2019
TABLES = ("labour", "convictions", "education", "income")


def world(**tables):
    out = {t: [] for t in TABLES}
    out.update(tables)
    return out


def run(ex, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # the test world is not the country
        return vulnerable_area(ex, areas=["vaerebro_park"], list_year=L, **kw)


def crit(df: pd.DataFrame, key: str) -> pd.Series:
    row = df[df.criterion == key]
    assert len(row) == 1
    return row.iloc[0]


def lab(pid, year, status):
    return {"pid": pid, "year": year, "status": status}


# -- outside work and education, end of November of L-2 and L-1 -------------------------

OUTSIDE = world(
    persons=[person(p, "1980-05-05") for p in ("w1", "w2", "w3", "w6")]
    + [person("w4", "2000-11-30"), person("w5", "1953-11-30")],
    residence=[spell(p, "vp1", "2010-01-01") for p in ("w1", "w2", "w3", "w4", "w5")]
    + [spell("w6", "vp1", "2010-01-01", "2018-11-30"), spell("w6", "gl1", "2018-11-30")],
    labour=[
        lab("w1", 2017, "employed"), lab("w1", 2018, "unemployed"),
        lab("w2", 2017, "student"), lab("w2", 2018, "public_support"),
        lab("w3", 2018, "self_employed"),                      # no row for 2017: missing
        lab("w4", 2017, "unemployed"), lab("w4", 2018, "unemployed"),  # 18 on 30 Nov 2018
        lab("w5", 2017, "retired"), lab("w5", 2018, "retired"),        # 64, then 65
        lab("w6", 2017, "employed"), lab("w6", 2018, "other"),         # left on 30 Nov 2018
        lab("w1", 2019, "unemployed"),                                 # not a criterion year
    ],
)


def test_outside_work_education_pooled_over_two_years(make_extract):
    ex = make_extract(OUTSIDE)
    r = crit(run(ex), "outside_work_education")
    # person-years: w1 2, w2 2, w3 1 (+1 missing), w4 1, w5 1, w6 1 = 8; outside: w1 2018,
    # w2 2018, w4 2018, w5 2017 = 4.
    assert (r.numerator, r.denominator, r.missing) == (4, 8, 1)
    assert r.value == 0.5
    assert r.met
    assert math.isnan(r.reference)
    assert r.cutoff == 0.4


def test_outside_work_threshold_is_strict(make_extract):
    ex = make_extract(OUTSIDE)
    r = crit(run(ex, params=VulnerableAreaParams(outside_work_threshold=0.5)),
             "outside_work_education")
    assert not r.met


# -- convictions, residents on 31 December of L-2 and L-1 ------------------------------

def conv(pid, date, offence):
    return {"pid": pid, "decision_date": date, "offence": offence}


CONVICTIONS = world(
    persons=[person(p, "1980-05-05") for p in ("c1", "c2", "c3", "c6")]
    + [person("c5", "2000-12-31"), person("c8", "1980-05-05", death="2018-12-31")]
    + [person(f"n{i}", "1970-01-01") for i in range(6)],
    residence=[spell(p, "vp1", "2010-01-01") for p in ("c1", "c2", "c3", "c5")]
    + [spell("c6", "gl1", "2010-01-01", "2018-12-31"), spell("c6", "vp2", "2018-12-31"),
       spell("c8", "gl1", "2010-01-01", "2018-12-31")]  # residence ends at death
    + [spell(f"n{i}", "kb1" if i % 2 else "aa1", "2010-01-01") for i in range(6)],
    convictions=[
        conv("c1", "2017-06-01", "penal_code"),
        conv("c2", "2018-01-01", "drugs"),      # calendar year 2018
        conv("c3", "2018-12-31", "weapons"),
        conv("c3", "2018-03-01", "traffic"),    # not a listed offence
        conv("c6", "2017-05-01", "penal_code"), # lived in Gladsaxe outside the estate then
        conv("c1", "2019-01-01", "penal_code"), # after L-1
        conv("n0", "2016-12-31", "penal_code"), # before L-2
    ],
)


def test_convictions_against_the_national_share_computed(make_extract):
    ex = make_extract(CONVICTIONS)
    with pytest.warns(DataQualityWarning, match="national conviction share.*3 of its 98"):
        df = vulnerable_area(ex, areas=["vaerebro_park"], list_year=L,
                             regional_mean_income=300_000.0)
    r = crit(df, "convictions")
    # estate person-years: c1 2, c2 2, c3 2, c5 1 (18 on 31 Dec 2018), c6 1 (moved in on
    # 31 Dec 2018) = 8; convicted in the year: c1 2017, c2 2018, c3 2018 = 3.
    assert (r.numerator, r.denominator) == (3, 8)
    # country: + c6 2017 (convicted), c8 2017 (died 31 Dec 2018), n0-n5 x 2 = 22 years, 4.
    assert r.reference == pytest.approx(4 / 22)
    assert r.reference_source == "extract"
    assert r.cutoff == pytest.approx(3 * 4 / 22)
    assert not r.met


def test_convictions_against_a_national_share_passed_in(make_extract):
    ex = make_extract(CONVICTIONS)
    r = crit(run(ex, national_conviction_share=0.125), "convictions")
    assert (r.reference, r.reference_source, r.cutoff) == (0.125, "parameter", 0.375)
    assert r.value == 0.375
    assert r.met  # >= 3 x the national share: equality meets it
    r = crit(run(ex, national_conviction_share=0.126), "convictions")
    assert not r.met


def test_no_conviction_never_meets_the_criterion(make_extract):
    ex = make_extract(world(persons=[person("a", "1980-01-01")],
                            residence=[spell("a", "vp1", "2010-01-01")]))
    r = crit(run(ex), "convictions")
    assert (r.numerator, r.denominator, r.reference) == (0, 2, 0.0)
    assert not r.met


# -- basic education only, 31 December L-1, aged 30-59 ---------------------------------

def edu(pid, level, start, end, outcome):
    return {"pid": pid, "level": level, "start_date": start, "end_date": end, "outcome": outcome}


BASIC = world(
    persons=[person(f"b{i}", "1970-06-01") for i in range(1, 7)]
    + [person("b7", "1988-12-31"), person("b8", "1989-01-01"),
       person("b9", "1959-01-01"), person("b10", "1958-12-31")],
    residence=[spell(f"b{i}", "vp1", "2010-01-01") for i in range(1, 11)],
    education=[
        edu("b2", "preparatory", "1989-08-01", "1990-06-30", "completed"),
        edu("b3", "youth_vocational", "2016-08-01", "2018-12-31", "completed"),  # ends on d
        edu("b4", "primary", "1977-08-01", "1987-06-30", "completed"),
        edu("b4", "youth_general", "2016-08-01", "2019-01-01", "completed"),     # after d
        edu("b5", "bachelor", "1990-08-01", "1995-06-30", "dropped"),
        edu("b6", "master", "2017-09-01", None, "ongoing"),
        edu("b7", "youth_general", "2004-08-01", "2007-06-30", "completed"),
        edu("b8", "primary", "1996-08-01", "2005-06-30", "completed"),
    ],
)


def test_basic_education_only_among_30_to_59(make_extract):
    ex = make_extract(BASIC)
    r = crit(run(ex), "basic_education_only")
    # aged 30-59 on 31 Dec 2018: b1-b7, b9 (b7 turns 30 that day; b8 is 29, b10 60);
    # highest completed level primary/preparatory: b1, b2, b4, b5, b6, b9.
    assert (r.numerator, r.denominator) == (6, 8)
    assert r.met
    r = crit(run(ex, params=VulnerableAreaParams(basic_education_threshold=0.75)),
             "basic_education_only")
    assert not r.met  # more than 60 %: strict


# -- low income, L-1, 15-64 not students, against the region ----------------------------

def inc(pid, amount, year=2018):
    return {"pid": pid, "year": year, "disposable_income": None, "gross_income": amount}


INCOME = world(
    persons=[person(p, "1980-05-05") for p in ("i1", "i2", "i3", "i4", "i7", "r1", "r2", "r3")]
    + [person("i5", "2003-12-31"), person("i6", "2004-01-01")],
    residence=[spell(p, "vp1", "2010-01-01") for p in ("i1", "i2", "i3", "i4", "i5", "i6", "i7")]
    + [spell("r1", "gl1", "2010-01-01"), spell("r2", "kb1", "2010-01-01"),
       spell("r3", "aa1", "2010-01-01")],
    labour=[lab("i1", 2018, "employed"), lab("i2", 2018, "unemployed"),
            lab("i3", 2018, "student"), lab("i7", 2017, "student"), lab("i7", 2018, "employed")],
    income=[inc("i1", 100_000.0), inc("i2", 200_000.0), inc("i3", 10_000.0),
            inc("i5", 0.0), inc("i6", 5.0), inc("i7", 300_000.0), inc("i1", 1e9, 2017),
            inc("r1", 400_000.0), inc("r2", 500_000.0), inc("r3", 10_000_000.0)],
)


def test_low_income_against_the_region_computed(make_extract):
    ex = make_extract(INCOME)
    with pytest.warns(DataQualityWarning, match="mean income of region 1084.*2 of its 29"):
        df = vulnerable_area(ex, areas=["vaerebro_park"], list_year=L,
                             national_conviction_share=0.01)
    r = crit(df, "low_income")
    # i1, i2, i5 (15 on 31 Dec 2018), i7 (a student only in 2017); i3 is a student,
    # i4 has no income (missing), i6 is 14.
    assert (r.denominator, r.missing) == (4, 1)
    assert pd.isna(r.numerator)
    assert r.value == 150_000.0
    # Region Hovedstaden: the estate's four + r1 (Gladsaxe) + r2 (Copenhagen); not r3 (Aarhus).
    assert r.reference == 250_000.0
    assert (r.reference_source, r.region_code, r.municipality) == ("extract", 1084, 159)
    assert r.cutoff == pytest.approx(137_500.0)
    assert not r.met


@pytest.mark.parametrize("passed", [300_000.0, {1084: 300_000.0}])
def test_low_income_against_a_regional_mean_passed_in(make_extract, passed):
    ex = make_extract(INCOME)
    r = crit(run(ex, regional_mean_income=passed), "low_income")
    assert (r.reference, r.reference_source) == (300_000.0, "parameter")
    assert r.cutoff == pytest.approx(165_000.0)
    assert r.met


def test_regional_mean_for_another_region_is_an_error(make_extract):
    ex = make_extract(INCOME)
    with pytest.raises(ParameterError, match="no value for region 1084"):
        run(ex, regional_mean_income={1081: 1.0})


# -- the classification: >= 1,000 residents on 31 December L-1 and >= 2 of 4 ------------

def big_world(n: int, *, labour_status: str = "unemployed", leaver: bool = False) -> dict:
    pids = [f"p{i:04d}" for i in range(n)]
    res = [spell(p, "vp1", "2010-01-01") for p in pids]
    if leaver:  # the last moves out on 31 December L-1: not a resident that day
        res[-1] = spell(pids[-1], "vp1", "2010-01-01", "2018-12-31")
        res.append(spell(pids[-1], "gl1", "2018-12-31"))
    return world(
        persons=[person(p, "1975-03-03") for p in pids],
        residence=res,
        labour=[lab(p, y, labour_status) for p in pids for y in (2017, 2018)],
    )


def test_vulnerable_at_1000_residents_and_two_criteria(make_extract):
    ex = make_extract(big_world(1000))
    df = run(ex, national_conviction_share=0.01, regional_mean_income=300_000.0)
    assert tuple(df.columns) == VULNERABLE_COLUMNS
    assert df.criterion.tolist() == list(CRITERIA)
    # everyone outside work and with basic education only; no convictions; no income rows.
    assert df.met.tolist() == [True, False, True, False]
    assert set(df.residents) == {1000}
    assert set(df.criteria_met) == {2}
    assert df.vulnerable.all()


def test_999_residents_is_not_vulnerable(make_extract):
    ex = make_extract(big_world(1000, leaver=True))
    df = run(ex, national_conviction_share=0.01, regional_mean_income=300_000.0)
    assert set(df.residents) == {999}
    assert set(df.criteria_met) == {2}
    assert not df.vulnerable.any()


def test_one_criterion_is_not_enough(make_extract):
    ex = make_extract(big_world(1000, labour_status="employed"))
    df = run(ex, national_conviction_share=0.01, regional_mean_income=300_000.0)
    assert set(df.criteria_met) == {1}
    assert not df.vulnerable.any()
    df = run(ex, national_conviction_share=0.01, regional_mean_income=300_000.0,
             params=VulnerableAreaParams(min_criteria=1, min_residents=1000))
    assert df.vulnerable.all()


# -- the API -----------------------------------------------------------------------------

def test_area_names_are_checked(make_extract):
    ex = make_extract(BASIC)
    with pytest.raises(ParameterError, match="'nowhere' has no addresses"):
        vulnerable_area(ex, areas=["nowhere"], list_year=L)
    with pytest.raises(ParameterError, match="areas takes area names"):
        vulnerable_area(ex, areas=["municipality:159"], list_year=L)


def test_area_written_as_a_unit_is_the_same_area(make_extract):
    ex = make_extract(BASIC)
    kw = {"list_year": L, "national_conviction_share": 0.01, "regional_mean_income": 1.0}
    a = vulnerable_area(ex, areas="vaerebro_park", **kw)
    b = vulnerable_area(ex, areas=["area:vaerebro_park", "vaerebro_park"], **kw)
    assert a.equals(b)
    assert a.area.tolist() == ["vaerebro_park"] * 4


def test_missing_table(make_extract):
    w = world(persons=[person("a", "1980-01-01")], residence=[spell("a", "vp1", "2010-01-01")])
    del w["income"]
    ex = make_extract(w)
    with pytest.raises(MissingTableError, match="needs the table 'income'"):
        vulnerable_area(ex, areas=["vaerebro_park"], list_year=L)


def test_reference_shares_are_checked(make_extract):
    ex = make_extract(BASIC)
    with pytest.raises(ParameterError, match="national_conviction_share must be a proportion"):
        run(ex, national_conviction_share=12.0)


def test_regions_table():
    r = regions()
    assert len(r) == 98
    assert r.set_index("municipality").loc[159, "region_code"] == 1084
    assert r.groupby("region_code").size().to_dict() == {1081: 11, 1082: 19, 1083: 22,
                                                        1084: 29, 1085: 17}
