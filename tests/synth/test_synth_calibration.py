"""On the default size and seed, the six indicators of the estate and of Gladsaxe
lie in the 95 % Wilson intervals around the strategy's published figures.

The interval is the one a binomial share with the realised denominator would have
around the target: |realised - target| within the Wilson bounds for (target, n).
"""

from __future__ import annotations

import math

import pytest

from cohort.synth import truth
from cohort.synth.calibration import (
    GLADSAXE_CHILD_SHARE_VP,
    REFERENCE_YEAR,
    TARGETS,
    cloglog,
    inv_cloglog,
)

UNITS = {"vaerebro_park": ("area", "vaerebro_park"), "gladsaxe": ("municipality", 159)}
NEEDED = (
    "persons",
    "residence",
    "addresses",
    "benefits",
    "exams",
    "education",
    "absence",
    "placements",
)


def wilson(p: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a share p observed on n."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def default_tables(synth_default_extract, load_tables):
    return load_tables(synth_default_extract, NEEDED)


CASES = [(ind, unit) for ind in TARGETS for unit in UNITS]


@pytest.mark.parametrize(("indicator", "unit"), CASES)
def test_published_figure_within_the_95_percent_interval(default_tables, oracle, indicator, unit):
    target = TARGETS[indicator][0 if unit == "vaerebro_park" else 1]
    num, den = oracle.INDICATORS[indicator](default_tables, UNITS[unit], REFERENCE_YEAR[indicator])
    assert den >= 40  # the estate at full size: intervals are meaningful
    lo, hi = wilson(target, den)
    assert lo <= num / den <= hi, (indicator, unit, num, den, target)


def test_estate_is_the_size_of_vaerebro_park(default_tables, oracle):
    residents = oracle.lives_in(default_tables, UNITS["vaerebro_park"], "2018-01-01")
    gladsaxe = oracle.lives_in(default_tables, UNITS["gladsaxe"], "2018-01-01")
    assert 2_200 <= len(residents) <= 2_900
    assert 65_000 <= len(gladsaxe) <= 75_000


def test_truth_is_consistent_with_the_calibration():
    vp, g = TARGETS["youth_education_15m"]
    assert truth.enrolment_share("estate", 2017) == pytest.approx(vp)
    w = GLADSAXE_CHILD_SHARE_VP
    mix = w * vp + (1 - w) * truth.enrolment_share("rest", 2017)
    assert mix == pytest.approx(g)
    for y in (2010, 2013, 2015):
        hr = math.exp(
            cloglog(truth.enrolment_share("estate", y)) - cloglog(truth.enrolment_share("rest", y))
        )
        assert hr == pytest.approx(truth.HR_ESTATE)
        gap = truth.enrolment_share("estate_untreated", y) - truth.enrolment_share("comparison", y)
        assert gap == pytest.approx(truth.COMPARISON_GAP)
    for y, att in truth.ATT.items():
        assert truth.enrolment_share("estate", y) - truth.enrolment_share(
            "estate_untreated", y
        ) == pytest.approx(att)
    assert inv_cloglog(cloglog(0.3)) == pytest.approx(0.3)
