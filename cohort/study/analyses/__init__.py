"""The analyses a study file can name, in the order a study runs them."""

from __future__ import annotations

from cohort.study.analyses._base import (
    NOTES,
    Analysis,
    Context,
    ExtractFacts,
    Param,
    TableOutput,
    left_out,
    ordered,
)
from cohort.study.analyses.checklist import Checklist
from cohort.study.analyses.did import DiD
from cohort.study.analyses.flows import Flows
from cohort.study.analyses.goals import Goals
from cohort.study.analyses.indicators import Indicators, VulnerableArea
from cohort.study.analyses.survival import Survival

__all__ = ["ANALYSES", "NOTES", "Analysis", "Context", "ExtractFacts", "Param", "TableOutput",
           "left_out", "ordered"]

ANALYSES: dict[str, Analysis] = {
    a.key: a
    for a in (
        Indicators(),
        VulnerableArea(),
        Flows(),
        Goals(),
        Survival(),
        DiD(),
        Checklist(),  # last: it reads what the others released
    )
}
