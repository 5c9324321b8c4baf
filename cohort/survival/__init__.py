"""Survival analysis on DataFrames.

Kaplan-Meier, log-rank, Cox, competing risks, the proportional-hazards test and
Poisson rate models.

The functions take pandas DataFrames and column names; they know nothing about
registers. See ``docs/methods/survival.md`` for what each computes. The figures
(``plot_km``, ``plot_forest``, ``plot_cif``) draw from the results' tables.
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
    "plot_cif",
    "plot_forest",
    "plot_km",
    "poisson_rates",
]

_PLOTS = ("plot_cif", "plot_forest", "plot_km")


def __getattr__(name: str):  # noqa: ANN202 - the figures load matplotlib only when used
    if name in _PLOTS:
        from cohort.survival import plots

        return getattr(plots, name)
    msg = f"module 'cohort.survival' has no attribute {name!r}"
    raise AttributeError(msg)
