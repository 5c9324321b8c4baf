"""Cohorts of children (definitions.md §3).

The spec, building it, the flow of exclusions, Lexis splitting.

>>> from cohort.cohorts import CohortSpec, build_cohort
>>> cohort = build_cohort(ex, CohortSpec(birth_years=(1995, 2000)))  # doctest: +SKIP
"""

from cohort.cohorts._build import build_cohort
from cohort.cohorts.lexis import area_states, lexis_split, parent_employment_states
from cohort.cohorts.result import Cohort
from cohort.cohorts.spec import (
    COVARIATES,
    DEFAULT_OUTCOMES,
    EXIT_REASONS,
    OUTCOMES,
    CensoringSpec,
    CohortSpec,
    ComparisonSpec,
    ExposureSpec,
    OutcomeSpec,
)

__all__ = [
    "COVARIATES",
    "DEFAULT_OUTCOMES",
    "EXIT_REASONS",
    "OUTCOMES",
    "CensoringSpec",
    "Cohort",
    "CohortSpec",
    "ComparisonSpec",
    "ExposureSpec",
    "OutcomeSpec",
    "area_states",
    "build_cohort",
    "lexis_split",
    "parent_employment_states",
]
