"""On the synthetic registers the strategy's published values are the expected
values of the indicators in their reference period (cohort.synth.calibration);
the computed counts must lie in the targets' 95 % binomial intervals.

The intervals are exact (binomial tails, not the normal approximation: the
estate has a handful of 9th-graders at this size) and hold jointly for the 12
cells (Bonferroni: each cell at 1 - 0.05 / 12), so the test does not fail one
run in two by chance alone.
"""

from __future__ import annotations

import warnings

import pytest
from _indicators_published_study import published
from scipy.stats import binom

from cohort.exceptions import DataQualityWarning
from cohort.indicators import social_balance, vulnerable_area

PUBLISHED = published()

synth = pytest.importorskip("cohort.synth")
calibration = pytest.importorskip("cohort.synth.calibration")

UNITS = ("area:vaerebro_park", "municipality:159")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from cohort.extract import read_extract

    path = synth.synthesise(tmp_path_factory.mktemp("synth") / "x", persons=20_000, seed=1).path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        ex = read_extract(path)
    yield ex
    ex.close()


@pytest.mark.slow
def test_reference_periods_agree_with_the_calibration():
    assert {k: y for k, (y, _, _) in PUBLISHED.items()} == calibration.REFERENCE_YEAR
    for k, (_, est, mun) in PUBLISHED.items():
        assert calibration.TARGETS[k] == pytest.approx((est / 100, mun / 100))


@pytest.mark.slow
def test_published_values_within_95_percent_binomial_intervals(synthetic):
    alpha = 0.05 / (len(PUBLISHED) * len(UNITS))
    outside = []
    for k, (year, *_) in PUBLISHED.items():
        df = social_balance(synthetic, units=list(UNITS), year=year, indicators=[k])
        for (_, row), target in zip(df.iterrows(), calibration.TARGETS[k], strict=True):
            x, n = int(row.numerator), int(row.denominator)
            assert n > 0, (k, row.unit)
            low_tail, high_tail = binom.cdf(x, n, target), binom.sf(x - 1, n, target)
            if min(low_tail, high_tail) <= alpha / 2:
                outside.append((k, row.unit, x, n, target))
    assert outside == []


@pytest.mark.slow
def test_vulnerable_area_runs_on_the_synthetic_registers(synthetic):
    df = vulnerable_area(synthetic, areas=["vaerebro_park"], list_year=2019)
    assert len(df) == 4
    assert (df.denominator > 0).all()
    # the synthetic registers cover the whole country: references come from the extract
    assert set(df.reference_source.dropna()) == {"extract"}
    assert df.region_code.iloc[0] == 1084
