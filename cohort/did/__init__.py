"""Difference-in-differences: estimators and inference on pandas DataFrames.

Callaway & Sant'Anna group-time effects and their aggregations (matching R's
``did``; panels, unbalanced panels and repeated cross-sections), two-way fixed
effects and event-study regressions, the canonical 2x2 DiD, inference for a
single treated unit (randomization inference, Conley-Taber, wild cluster
bootstrap), synthetic control and synthetic DiD, and the dose-response of a
continuous treatment, and the sensitivity of an event study to violations of
parallel trends (Honest DiD). Figures are in
:mod:`cohort.did.plots` (``plot_event_study``, ``plot_honest_did``, ``plot_dose``,
``plot_panel`` are re-exported here); they draw tables, so a released table
redraws its released figure. The methods are documented in ``docs/methods/did.md``.
Nothing here knows about registers.
"""

from __future__ import annotations

from cohort.did._aggte import aggte
from cohort.did._att_gt import att_gt
from cohort.did._dose import DoseResult, dose_response
from cohort.did._honest import HonestResult, honest_did
from cohort.did._one_treated import (
    conley_taber,
    one_treated_limits,
    randomization_inference,
    wild_cluster_bootstrap,
)
from cohort.did._synth import SynthResult, synthetic_control, synthetic_did
from cohort.did._twfe import did_2x2, event_study, twfe
from cohort.did.results import AggteResult, AttGtResult, ModelResult, OneTreatedResult

__all__ = [
    "AggteResult",
    "AttGtResult",
    "DoseResult",
    "HonestResult",
    "ModelResult",
    "OneTreatedResult",
    "SynthResult",
    "aggte",
    "att_gt",
    "conley_taber",
    "did_2x2",
    "dose_response",
    "honest_did",
    "event_study",
    "one_treated_limits",
    "randomization_inference",
    "synthetic_control",
    "synthetic_did",
    "plot_dose",
    "plot_event_study",
    "plot_honest_did",
    "plot_panel",
    "twfe",
    "wild_cluster_bootstrap",
]

_PLOTS = ("plot_dose", "plot_event_study", "plot_honest_did", "plot_panel")


def __getattr__(name: str):  # noqa: ANN202 - the figures load matplotlib only when used
    if name in _PLOTS:
        from cohort.did import plots

        return getattr(plots, name)
    msg = f"module 'cohort.did' has no attribute {name!r}"
    raise AttributeError(msg)
