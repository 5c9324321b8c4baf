"""Generative tests: the DuckDB indicators against the slow pure-Python reference.

Worlds are small and crowded on the definitions' boundaries (see
``_strategies``). They run on an in-memory stand-in for the Extract, because
validating an extract costs half a second; one test checks that the worlds pass
the real validation untouched.
"""

from __future__ import annotations

import math
import sys
import tempfile
import warnings
from pathlib import Path

import _indicators_reference as ref
import pandas as pd
import pytest
from _indicators_build import ADDRESSES, BV, GL, VP, MemoryExtract, frame, read, write
from _indicators_strategies import dense_world, worlds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.exceptions import DataQualityWarning
from cohort.indicators import (
    ALL_INDICATORS,
    IndicatorParams,
    VulnerableAreaParams,
    regions,
    social_balance,
    vulnerable_area,
)

UNITS = [VP, BV, GL, "municipality:101"]
ORACLE = sys.modules.get("_indicators_oracle")  # tests/oracles/social_balance.py


def oracle_values(world, year) -> dict[tuple[str, str], tuple[int, int]]:
    """The pandas oracle's (numerator, denominator) for the default parameters."""
    tables = {t: frame(t, rows) for t, rows in {"addresses": ADDRESSES, **world}.items()}
    out = {}
    for u in UNITS:
        kind, _, value = u.partition(":")
        unit = (kind, int(value) if kind == "municipality" else value)  # area / district
        for key, fn in ORACLE.INDICATORS.items():
            out[(key, u)] = tuple(int(x) for x in fn(tables, unit, year))
    return out
_HEALTH = [HealthCheck.too_slow, HealthCheck.filter_too_much]

params = st.builds(
    IndicatorParams,
    support_on=st.sampled_from([(1, 1), (2, 28), (3, 1), (12, 31)]),
    youth_ages=st.sampled_from([(18, 29), (15, 24), (0, 17)]),
    adult_ages=st.sampled_from([(18, 67), (25, 64)]),
    absence_days=st.integers(0, 8),
    grade_average=st.sampled_from([4.0, 2.0, 7.0]),
    placement_ages=st.sampled_from([(0, 22), (0, 17)]),
    labour_on=st.sampled_from([(11, 30), (12, 1), (12, 31)]),
    labour_ages=st.sampled_from([(16, 29), (18, 24)]),
    in_work_or_education=st.sampled_from([("employed", "self_employed", "student"),
                                          ("employed",)]),
    enrolled_levels=st.sampled_from([("primary", "preparatory", "youth_general",
                                      "youth_vocational", "short_cycle", "bachelor", "master",
                                      "phd"), ("youth_general", "youth_vocational")]),
    conviction_on=st.sampled_from([(12, 31), (12, 30), (1, 1)]),
    conviction_ages=st.sampled_from([(15, 29), (15, 17), (18, 64)]),
    conviction_offences=st.sampled_from([("penal_code", "weapons", "drugs"), ("traffic",)]),
)


def check_social_balance(world, year, p, ex=None):
    own = ex is None
    ex = ex or MemoryExtract(world)
    try:
        got = social_balance(ex, units=UNITS, year=year, params=p,
                             indicators=list(ALL_INDICATORS))
    finally:
        if own:
            ex.close()
    want = ref.social_balance(world, ADDRESSES, UNITS, year, p)
    if p is None and ORACLE is not None:
        assert oracle_values(world, year) == want  # the two references agree
    assert len(got) == len(ALL_INDICATORS) * len(UNITS)
    for row in got.itertuples():
        assert (row.numerator, row.denominator) == want[(row.indicator, row.unit)], (
            row.indicator, row.unit)
        if row.denominator:
            assert row.share == row.numerator / row.denominator
        else:
            assert math.isnan(row.share)


@settings(max_examples=12, deadline=None, suppress_health_check=_HEALTH)
@given(world=worlds(), year=st.sampled_from([2017, 2018]), p=st.one_of(st.none(), params))
def test_social_balance_matches_reference(world, year, p):
    check_social_balance(world, year, p)


HOVEDSTADEN = frozenset(regions().query("region_code == 1084").municipality.tolist())


def check_vulnerable(world, list_year, ex=None):
    p = VulnerableAreaParams(min_residents=3)
    own = ex is None
    ex = ex or MemoryExtract(world)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            got = vulnerable_area(ex, areas="vaerebro_park", list_year=list_year, params=p)
    finally:
        if own:
            ex.close()
    want = ref.vulnerable(world, ADDRESSES, "vaerebro_park", list_year, p, region=HOVEDSTADEN)
    for row in got.itertuples():
        num, den, missing, value = want[row.criterion]
        assert (None if pd.isna(row.numerator) else int(row.numerator)) == num, row.criterion
        assert (row.denominator, row.missing) == (den, missing), row.criterion
        assert row.value == pytest.approx(value, nan_ok=True), row.criterion
    by = got.set_index("criterion")
    assert by.loc["convictions", "reference"] == pytest.approx(want["national_share"], nan_ok=True)
    assert by.loc["low_income", "reference"] == pytest.approx(want["regional_mean"], nan_ok=True)
    assert set(got.residents) == {want["residents"]}
    # the classification follows from the rows
    assert set(got.criteria_met) == {int(got.met.sum())}
    assert set(got.vulnerable) == {want["residents"] >= 3 and int(got.met.sum()) >= 2}


@settings(max_examples=10, deadline=None, suppress_health_check=_HEALTH)
@given(world=worlds(), list_year=st.sampled_from([2019, 2020]))
def test_vulnerable_area_matches_reference(world, list_year):
    check_vulnerable(world, list_year)


@pytest.mark.parametrize("seed", [1, 2])
def test_dense_worlds_match_reference(seed):
    # Hypothesis keeps its worlds small; a seeded world of 300 persons fills every cell.
    world = dense_world(seed)
    ex = MemoryExtract(world)
    try:
        for year in (2017, 2018):
            check_social_balance(world, year, None, ex)
        check_social_balance(world, 2018, IndicatorParams(youth_ages=(16, 24), absence_days=3,
                                                          support_on=(3, 1)), ex)
        for list_year in (2019, 2020):
            check_vulnerable(world, list_year, ex)
    finally:
        ex.close()


def test_dense_world_through_the_real_reader(tmp_path):
    world = dense_world(7, n=150)
    ex = read(write(world, tmp_path / "x"))  # a DataQualityWarning would be an error
    try:
        assert sum(r.rows_quarantined for r in ex.report.tables.values()) == 0
        check_social_balance(world, 2018, None, ex)
        check_vulnerable(world, 2019, ex)
    finally:
        ex.close()


@settings(max_examples=3, deadline=None, suppress_health_check=_HEALTH)
@given(world=worlds(max_persons=6))
def test_generated_worlds_pass_validation(world):
    with tempfile.TemporaryDirectory() as tmp:
        ex = read(write(world, Path(tmp) / "x"))  # a DataQualityWarning would be an error
        try:
            assert sum(r.rows_quarantined for r in ex.report.tables.values()) == 0
        finally:
            ex.close()


def test_the_pandas_oracle_is_used_where_it_exists():
    oracle_file = Path(__file__).resolve().parents[1] / "oracles" / "social_balance.py"
    assert (ORACLE is not None) == oracle_file.is_file()
