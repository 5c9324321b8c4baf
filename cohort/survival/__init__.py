"""Survival analysis on DataFrames.

Kaplan-Meier, log-rank, Cox, competing risks, the proportional-hazards test and
Poisson rate models.

The functions take pandas DataFrames and column names; they know nothing about
registers. See ``docs/methods/survival.md`` for what each computes.
"""

from __future__ import annotations

from cohort.survival._competing import aalen_johansen, fine_gray
from cohort.survival._cox import cox
from cohort.survival._km import kaplan_meier, logrank_test
from cohort.survival._poisson import poisson_rates
from cohort.survival._zph import cox_zph

__all__ = [
    "aalen_johansen",
    "cox",
    "cox_zph",
    "fine_gray",
    "kaplan_meier",
    "logrank_test",
    "poisson_rates",
]
