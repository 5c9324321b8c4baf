"""Cohorts of children (definitions.md §3).

The spec, building it, the flow of exclusions, Lexis splitting, matched
comparison children.

>>> from cohort.cohorts import CohortSpec, build_cohort
>>> cohort = build_cohort(ex, CohortSpec(birth_years=(1995, 2000)))  # doctest: +SKIP
"""

from cohort.cohorts._build import build_cohort
from cohort.cohorts._matching import MATCH_METHODS, MATCH_ON, MatchedSet, match_controls
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
    "MATCH_METHODS",
    "MATCH_ON",
    "OUTCOMES",
    "CensoringSpec",
    "Cohort",
    "CohortSpec",
    "ComparisonSpec",
    "ExposureSpec",
    "MatchedSet",
    "OutcomeSpec",
    "area_states",
    "build_cohort",
    "lexis_split",
    "match_controls",
    "parent_employment_states",
]
