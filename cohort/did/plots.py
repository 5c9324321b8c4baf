"""Figures for the DiD results, drawn on the Agg backend without pyplot state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cohort.exceptions import ParameterError

__all__ = ["plot_att_gt", "plot_event_study", "plot_null_distribution"]

_PRE, _POST = "#1f77b4", "#d62728"


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_att_gt(result: Any, *, title: str | None = None) -> Figure:
    """One panel per treated group: ATT(g,t) by period with intervals.

    Pre-treatment cells are blue, post-treatment red; the intervals use the
    result's critical value (simultaneous if ``cband``).
    """
    tidy = result.tidy()
    groups = np.unique(tidy["group"])
    fig = _figure(6.5, 1.8 + 1.6 * len(groups))
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, g in zip(axes, groups, strict=True):
        sub = tidy[tidy["group"] == g]
        for post, colour, label in ((False, _PRE, "pre"), (True, _POST, "post")):
            s = sub[sub["post"] == post]
            if s.empty:
                continue
            est = s["estimate"].to_numpy()
            ax.errorbar(s["time"].to_numpy(), est,
                        yerr=[est - s["conf_low"].to_numpy(), s["conf_high"].to_numpy() - est],
                        fmt="o", color=colour, capsize=3, label=label)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_ylabel(f"group {g:g}")
    axes[0].legend(loc="best", frameon=False)
    axes[-1].set_xlabel("period")
    fig.suptitle(title or "Group-time average treatment effects")
    return fig


def plot_event_study(
    result: Any,
    *,
    intervention_dates: Sequence[float] = (),
    intervention_labels: Sequence[str] | None = None,
    reference: float | None = -1,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "estimate",
    simultaneous: bool = True,
) -> Figure:
    """Event-study figure: coefficients with pointwise and (if available) simultaneous bands.

    Parameters
    ----------
    result : AggteResult or ModelResult
        An aggregation (any type but ``simple``) or a regression with event
        times.
    intervention_dates : sequence of float
        x positions (event times, or periods for calendar aggregations) where
        a dashed vertical line marks an intervention.
    intervention_labels : sequence of str, optional
        One label per line.
    reference : float, optional
        The omitted reference period, drawn as a hollow point at 0
        (regressions only; ``None`` to skip).
    title, xlabel, ylabel : str, optional
        Axis texts.
    simultaneous : bool
        Draw the simultaneous band: the bootstrap band of an aggregation made
        with ``cband=True``, or a regression's sup-t band
        (:meth:`ModelResult.sup_t_critical`).

    """
    from cohort.did.results import AggteResult, ModelResult

    band_crit = None
    if isinstance(result, AggteResult):
        if result.egt is None:
            msg = "plot needs an aggregation with elements; type='simple' has none"
            raise ParameterError(msg)
        x = np.asarray(result.egt, dtype=float)
        est = np.asarray(result.att_egt)
        se = np.asarray(result.se_egt)
        from scipy.stats import norm

        z = norm.ppf(1 - result.alp / 2)
        if result.cband:
            band_crit = result.crit_val_egt
        default_x = {"dynamic": "event time", "calendar": "period", "group": "group"}[result.type]
        ref_point = None
    elif isinstance(result, ModelResult):
        if result.event_time is None:
            x = np.arange(len(result.terms), dtype=float)
        else:
            x = np.asarray(result.event_time, dtype=float)
        est, se = np.asarray(result.estimate), np.asarray(result.std_error)
        tidy = result.tidy()
        z = float(((tidy["conf_high"] - tidy["estimate"]) / tidy["std_error"]).iloc[0])
        default_x = "event time"
        ref_point = reference if result.event_time is not None else None
        if result.event_time is not None and len(est) > 1:
            band_crit = result.sup_t_critical()
    else:
        msg = f"cannot plot a {type(result).__name__}"
        raise ParameterError(msg)
    if intervention_labels is not None and len(intervention_labels) != len(intervention_dates):
        msg = "intervention_labels must have one label per intervention date"
        raise ParameterError(msg)

    fig = _figure(7, 4)
    ax = fig.add_subplot()
    pre = x < 0
    if band_crit is not None and simultaneous:
        ax.fill_between(x, est - band_crit * se, est + band_crit * se, color="0.85",
                        step="mid", label=f"simultaneous band (c = {band_crit:.2f})")
    for mask, colour, label in ((pre, _PRE, "pre-period"), (~pre, _POST, "post-period")):
        if mask.any():
            ax.errorbar(x[mask], est[mask], yerr=z * se[mask], fmt="o", color=colour,
                        capsize=3, label=label)
    if ref_point is not None:
        ax.plot([ref_point], [0], marker="o", mfc="white", color="0.3", ls="",
                label="reference period")
    ax.axhline(0, color="0.4", lw=0.8)
    labels = intervention_labels or [None] * len(intervention_dates)
    for date, lab in zip(intervention_dates, labels, strict=True):
        ax.axvline(float(date), color="0.2", ls="--", lw=1)
        if lab:
            ax.annotate(lab, xy=(float(date), 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_xlabel(xlabel or default_x)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_null_distribution(result: Any, *, title: str | None = None) -> Figure:
    """Histogram of placebo / bootstrap estimates with the observed estimate marked."""
    fig = _figure(6, 3.5)
    ax = fig.add_subplot()
    null = np.asarray(result.null_distribution)
    null = null[np.isfinite(null)]
    ax.hist(null, bins=min(30, max(5, len(null) // 3)), color="0.75", edgecolor="0.4")
    ax.axvline(result.estimate, color=_POST, lw=2, label="estimate")
    ax.set_xlabel("placebo / bootstrap statistic")
    ax.set_ylabel("count")
    ax.legend(frameon=False)
    ax.set_title(title or f"{result.method}: p = {result.p_value:.3f}")
    return fig
