"""The strategy's indicators of social balance and the vulnerable-area criteria.

:data:`INDICATORS` are the strategy's six (the default of :func:`social_balance`);
:data:`GOAL_INDICATORS` the two that definitions §7 adds for its goals
(``not_in_education_or_work``, ``youth_convictions``); :data:`ALL_INDICATORS` both.
Units are ``"area:<name>"``, ``"district:<name>"`` or ``"municipality:<code>"``.

>>> from cohort.indicators import social_balance, vulnerable_area
>>> social_balance(ex, units=["area:vaerebro_park", "municipality:159"],
...                year=2018)                                  # doctest: +SKIP
>>> vulnerable_area(ex, areas=["vaerebro_park"], list_year=2018)  # doctest: +SKIP

Every function returns raw counts; disclosure control (:mod:`cohort.disclosure`)
is applied on the way out of the library.
"""

from cohort.indicators._names import INDICATOR_NAMES
from cohort.indicators._params import IndicatorParams, VulnerableAreaParams
from cohort.indicators._regions import regions
from cohort.indicators._social_balance import (
    ALL_INDICATORS,
    COLUMNS,
    GOAL_INDICATORS,
    INDICATORS,
    SERIES_COLUMNS,
    social_balance,
    social_balance_series,
)
from cohort.indicators._vulnerable import CRITERIA, VULNERABLE_COLUMNS, vulnerable_area
from cohort.indicators.plots import plot_goals, plot_social_balance

__all__ = [
    "ALL_INDICATORS",
    "COLUMNS",
    "CRITERIA",
    "GOAL_INDICATORS",
    "INDICATORS",
    "INDICATOR_NAMES",
    "SERIES_COLUMNS",
    "VULNERABLE_COLUMNS",
    "IndicatorParams",
    "VulnerableAreaParams",
    "plot_goals",
    "plot_social_balance",
    "regions",
    "social_balance",
    "social_balance_series",
    "vulnerable_area",
]
