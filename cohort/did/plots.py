"""Figures of the DiD results, drawn from their tables on the Agg canvas.

Every function takes a table (a result's ``tidy()``, or the same table as a
release wrote it: a withheld row is missing and is not drawn) and returns a
:class:`matplotlib.figure.Figure` that no pyplot state knows about. The results
objects' ``plot()`` call these functions on their own tables, and the study
draws its released figures with them, so a figure redrawn from a released table
is the released figure. Nothing here imports the results modules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cohort._params import check_literal
from cohort.exceptions import ParameterError
from cohort.figures import SUPPRESSED, new_figure

__all__ = [
    "SUP_T_TERM",
    "plot_att_gt",
    "plot_dose",
    "plot_event_study",
    "plot_honest_did",
    "plot_null_distribution",
    "plot_panel",
]

_PRE, _POST = "#1f77b4", "#d62728"
_TREATED = "#b2182b"
_OTHERS = ("#2166ac", "#5aae61", "#762a83", "#e08214", "#4393c3", "#8c510a", "#4d4d4d")
#: The row of an event-study table holding the sup-t critical value (its ``estimate``).
SUP_T_TERM = "sup_t_critical"
_NUMBER = re.compile(r"=\s*([-+]?\d+(?:\.\d+)?)\s*$")


def _figure(width: float, height: float) -> Figure:
    return new_figure(width, height, layout="constrained")


def _axes(ax: Any, width: float, height: float) -> tuple[Figure, Any]:
    if ax is not None:
        return ax.figure, ax
    fig = _figure(width, height)
    return fig, fig.add_subplot()


def _need(table: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        msg = f"{what} needs the columns {list(cols)}; missing: {missing}"
        raise ParameterError(msg)


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()


def plot_att_gt(tidy: pd.DataFrame, *, title: str | None = None) -> Figure:
    """One panel per treated group: ATT(g,t) by period with intervals.

    ``tidy``: ``AttGtResult.tidy()`` (``group, time, post, estimate,
    conf_low, conf_high``). Pre-treatment cells are blue, post-treatment red;
    the intervals are the table's (simultaneous if the result has ``cband``).
    """
    _need(tidy, ["group", "time", "post", "estimate", "conf_low", "conf_high"], "plot_att_gt")
    groups = list(pd.unique(tidy["group"]))
    fig = _figure(6.5, 1.8 + 1.6 * len(groups))
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for ax, g in zip(axes, groups, strict=True):
        sub = tidy[tidy["group"] == g]
        for post, colour, label in ((False, _PRE, "pre"), (True, _POST, "post")):
            s = sub[sub["post"].astype(bool) == post]
            if s.empty:
                continue
            est = _floats(s["estimate"])
            ax.errorbar(_floats(s["time"]), est,
                        yerr=[est - _floats(s["conf_low"]), _floats(s["conf_high"]) - est],
                        fmt="o", color=colour, capsize=3, label=label)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_ylabel(f"group {g:g}" if isinstance(g, int | float | np.number) else f"group {g}")
    axes[0].legend(loc="best", frameon=False)
    axes[-1].set_xlabel("period")
    fig.suptitle(title or "Group-time average treatment effects")
    return fig


def _mark_withheld(ax: Any, xs: np.ndarray) -> None:
    """A withheld estimate: the suppression mark at 0, never a drawn value."""
    for xi in xs:
        ax.annotate(SUPPRESSED, xy=(float(xi), 0), ha="center", va="center", fontsize=20,
                    weight="bold", color="0.3")


def _event_x(d: pd.DataFrame) -> np.ndarray:
    """The x of each row: ``event_time`` or ``element``, else the number after ``=`` in the term."""
    for col in ("event_time", "element"):
        if col in d.columns:
            return _floats(d[col])
    out = []
    for term in d["term"].astype(str):
        m = _NUMBER.search(term)
        out.append(float(m.group(1)) if m else np.nan)
    return np.asarray(out, dtype=float)


def plot_event_study(
    tidy: pd.DataFrame,
    *,
    crit: float | None = None,
    reference: float | None = None,
    intervention_dates: Sequence[float] = (),
    intervention_labels: Sequence[str] | None = None,
    period_labels: tuple[str, str] = ("pre-period", "post-period"),
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str = "estimate",
    simultaneous: bool = True,
    ax: Any = None,
) -> Figure:
    """Event-study figure: coefficients with pointwise intervals and a simultaneous band.

    Parameters
    ----------
    tidy : DataFrame
        One row per coefficient: ``term, estimate, conf_low, conf_high`` (the
        pointwise interval) and ``std_error``; its x is the column
        ``event_time`` (``ModelResult.tidy()``) or ``element``
        (``AggteResult.tidy()``), else the number after ``=`` in the term
        (``e=-2``, ``e>=3``). A row ``term == "sup_t_critical"`` holds the
        critical value of the simultaneous band in ``estimate`` (as the study
        releases it). Rows with a missing estimate (withheld) are not drawn;
        rows without an x (``overall``) are left out.
    crit : float, optional
        The band's critical value; default the ``sup_t_critical`` row, if any.
        The band is ``estimate +- crit * std_error``.
    reference : float, optional
        The omitted reference period, drawn as a hollow point at 0.
    intervention_dates : sequence of float
        x positions where a dashed vertical line marks an intervention.
    intervention_labels : sequence of str, optional
        One label per line.
    period_labels : (str, str)
        Legend labels of the coefficients before (x < 0) and after.
    title, xlabel, ylabel : str, optional
        Axis texts.
    simultaneous : bool
        Draw the simultaneous band (when there is a critical value).
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.

    """
    _need(tidy, ["term", "estimate", "conf_low", "conf_high"], "plot_event_study")
    if intervention_labels is not None and len(intervention_labels) != len(intervention_dates):
        msg = "intervention_labels must have one label per intervention date"
        raise ParameterError(msg)
    is_band = tidy["term"].astype(str) == SUP_T_TERM
    if crit is None and is_band.any():
        crit = float(_floats(tidy.loc[is_band, "estimate"])[0])
    d = tidy[~is_band]
    x = _event_x(d)
    ticks = None
    if len(d) and np.isnan(x).all():  # coefficients without event times: one slot each
        x = np.arange(len(d), dtype=float)
        ticks = [str(t) for t in d["term"]]
    keep = np.isfinite(x)
    d, x = d[keep], x[keep]
    order = np.argsort(x, kind="stable")
    d, x = d.iloc[order], x[order]
    est, low, high = (_floats(d[c]) for c in ("estimate", "conf_low", "conf_high"))
    se = _floats(d["std_error"]) if "std_error" in d.columns else np.full(len(d), np.nan)
    fig, ax = _axes(ax, 7.5, 4.2)
    shown = np.isfinite(est)
    if simultaneous and crit is not None and np.isfinite(crit):
        ok = shown & np.isfinite(se)
        if ok.any():
            width = float(np.min(np.diff(np.unique(x)))) if len(np.unique(x)) > 1 else 1.0
            ax.bar(x[ok], 2 * crit * se[ok], bottom=est[ok] - crit * se[ok], width=width,
                   color="0.87", lw=0, zorder=0, label=f"simultaneous band (c = {crit:.2f})")
    pre = x < 0
    for mask, colour, label in ((pre, _PRE, period_labels[0]), (~pre, _POST, period_labels[1])):
        m = mask & shown
        if m.any():
            ax.errorbar(x[m], est[m], yerr=[est[m] - low[m], high[m] - est[m]], fmt="o",
                        color=colour, capsize=3, label=label)
    _mark_withheld(ax, x[~shown])
    if reference is not None:
        ax.plot([reference], [0], marker="o", mfc="white", color="0.3", ls="",
                label="reference period")
    ax.axhline(0, color="0.4", lw=0.8)
    labels = intervention_labels or [None] * len(intervention_dates)
    for k, (date, lab) in enumerate(zip(intervention_dates, labels, strict=True)):
        ax.axvline(float(date), color="0.2", ls="--", lw=1)
        if lab:
            ax.annotate(lab, xy=(float(date), 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -12 * (k + 1)), textcoords="offset points", fontsize=8)
    if ticks is not None:
        ax.set_xticks(x, ticks)
    elif len(x):  # every row has its slot, shown or withheld
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        span = [*x, *map(float, intervention_dates), *([reference] if reference is not None
                                                        else [])]
        ax.set_xlim(min(span) - 0.6, max(span) + 0.6)
    if not shown.any():
        ax.set_ylim(-1, 1)
    ax.set_xlabel(xlabel or ("event time" if ticks is None else "term"))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_honest_did(
    tidy: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "M (post-period change relative to the largest pre-period change)",
    ylabel: str = "theta",
    original_label: str = "orig.",
    show_identified_set: bool = True,
    ax: Any = None,
) -> Figure:
    """Honest DiD: intervals against M, the original one first (HonestDiD's sensitivity plot).

    ``tidy``: ``HonestResult.tidy()`` or the study's ``did_honest``: one row per
    ``mbar`` with ``lb, ub`` (the identified set) and ``conf_low, conf_high``
    (its confidence interval); the original row (parallel trends exactly) has
    ``mbar`` missing or ``"none"`` and is drawn one M-step left of the smallest
    M. A withheld (missing) row keeps its tick and draws nothing. The legend
    names the original interval "Original" and the others by the table's
    ``method`` (e.g. ``C-LF``), else "confidence interval".
    """
    _need(tidy, ["mbar", "lb", "ub", "conf_low", "conf_high"], "plot_honest_did")
    m_all = _floats(tidy["mbar"])
    orig = tidy[np.isnan(m_all)]
    rest = tidy[~np.isnan(m_all)]
    m = m_all[~np.isnan(m_all)]
    order = np.argsort(m, kind="stable")
    rest, m = rest.iloc[order], m[order]
    steps = np.diff(np.unique(m))
    gap = float(steps.min()) if len(steps) else 0.5
    x0 = (float(m[0]) if len(m) else 0.0) - gap
    fig, ax = _axes(ax, 6.5, 4.0)
    if len(orig):
        lo, hi = _floats(orig["conf_low"])[:1], _floats(orig["conf_high"])[:1]
        if np.isfinite(lo).all() and np.isfinite(hi).all():
            mid = (lo + hi) / 2
            ax.errorbar([x0], mid, yerr=[mid - lo, hi - mid], fmt="none", color=_POST,
                        capsize=6, lw=1.5, label="Original")
    method = (str(rest["method"].iloc[0]) if "method" in rest.columns and len(rest)
              else "confidence interval")
    lo, hi = _floats(rest["conf_low"]), _floats(rest["conf_high"])
    ok = np.isfinite(lo) & np.isfinite(hi)
    mid = (lo + hi) / 2
    if ok.any():
        ax.errorbar(m[ok], mid[ok], yerr=[mid[ok] - lo[ok], hi[ok] - mid[ok]], fmt="none",
                    color=_PRE, capsize=6, lw=1.5, label=method)
    lb, ub = _floats(rest["lb"]), _floats(rest["ub"])
    if show_identified_set:
        ok_set = np.isfinite(lb) & np.isfinite(ub)
        if ok_set.any():
            ax.vlines(m[ok_set], lb[ok_set], ub[ok_set], color="0.3", lw=4,
                      label="identified set")
    gone = m[~ok & ~(np.isfinite(lb) & np.isfinite(ub))]  # withheld rows: marked
    if len(orig) and not np.isfinite(_floats(orig["conf_low"])[:1]).all():
        gone = np.r_[x0, gone]
    _mark_withheld(ax, gone)
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlim(x0 - gap / 2, (float(m[-1]) if len(m) else x0) + gap / 2)
    ax.set_xticks([x0, *m.tolist()], [original_label, *[f"{v:g}" for v in m]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.set_title(title or "Sensitivity to violations of parallel trends")
    return fig


def plot_dose(
    table: pd.DataFrame,
    *,
    dose: str = "dose",
    term: str | None = "att_dose",
    style: Literal["points", "line"] | None = None,
    title: str | None = None,
    xlabel: str = "dose",
    ylabel: str = "ATT(d)",
    ax: Any = None,
) -> Figure:
    """Dose-response: the effect at each dose (or dose bin) with its interval.

    ``table``: ``dose`` (numbers, or labels of dose bins such as ``(0,1]``),
    ``estimate, conf_low, conf_high``; with a ``term`` column only the rows of
    ``term`` (the study's ``did_dose`` also holds its overall effect and slope).
    ``style``: ``"points"`` (intervals as error bars; the default for bins and
    few doses) or ``"line"`` (a curve with a band). Withheld rows are not drawn.
    """
    check_literal("style", style, ("points", "line", None))
    _need(table, [dose, "estimate", "conf_low", "conf_high"], "plot_dose")
    d = table
    if term is not None and "term" in d.columns:
        d = d[d["term"].astype(str) == term]
    xs = pd.to_numeric(d[dose], errors="coerce")
    numeric = bool(len(d)) and xs.notna().all()
    x = xs.astype("float64").to_numpy() if numeric else np.arange(len(d), dtype=float)
    if style is None:
        style = "line" if numeric and len(d) > 8 else "points"
    est, lo, hi = (_floats(d[c]) for c in ("estimate", "conf_low", "conf_high"))
    ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)
    fig, ax = _axes(ax, 6.5, 4.0)
    if style == "points":
        ax.errorbar(x[ok], est[ok], yerr=[est[ok] - lo[ok], hi[ok] - est[ok]], fmt="o",
                    color=_TREATED, capsize=3)
    else:
        ax.fill_between(x, np.where(ok, lo, np.nan), np.where(ok, hi, np.nan), color=_TREATED,
                        alpha=0.2, lw=0)
        ax.plot(x, np.where(ok, est, np.nan), color=_TREATED)
    if not numeric:
        ax.set_xticks(x, [str(v) for v in d[dose]])
        _mark_withheld(ax, x[~ok])
    ax.axhline(0, color="0.4", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.set_title(title or "Dose-response")
    return fig


def plot_panel(
    table: pd.DataFrame,
    *,
    unit: str = "area",
    time: str = "period",
    outcome: str = "share",
    treated: Any = None,
    treat_start: float | None = None,
    percent: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    ax: Any = None,
) -> Figure:
    """The outcome of each unit by period: the raw data of a DiD.

    ``table``: one row per ``unit`` and ``time`` with ``outcome`` (the study's
    ``did_panel``: area, exam year, share enrolled); units in the order of the
    table, the ``treated`` one drawn thick and red; a suppressed (missing) cell
    leaves a gap. A dashed line half a period before ``treat_start`` separates
    the periods before and after. ``percent`` draws the outcome times 100.
    """
    _need(table, [unit, time, outcome], "plot_panel")
    fig, ax = _axes(ax, 7.5, 4.5)
    k = 0
    for name in pd.unique(table[unit].astype(str)):
        part = table[table[unit].astype(str) == name]
        part = part.iloc[np.argsort(_floats(part[time]), kind="stable")]
        y = _floats(part[outcome]) * (100.0 if percent else 1.0)
        if treated is not None and name == str(treated):
            style = {"color": _TREATED, "lw": 2.2, "zorder": 3}
        else:
            style = {"color": _OTHERS[k % len(_OTHERS)], "lw": 1.2, "alpha": 0.85}
            k += 1
        ax.plot(_floats(part[time]), y, marker="o", ms=4, label=name.replace("_", " "), **style)
    if treat_start is not None:
        ax.axvline(float(treat_start) - 0.5, color="grey", ls="--", lw=1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel or time.replace("_", " "))
    ax.set_ylabel(ylabel or (outcome + (" (%)" if percent else "")))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return fig


def plot_null_distribution(null: Any, *, estimate: float, title: str | None = None) -> Figure:
    """Histogram of placebo / bootstrap estimates with the observed estimate marked.

    ``null``: the placebo or bootstrap statistics (``OneTreatedResult.null_distribution``).
    Not a release figure: with few comparison areas each bar may be one area.
    """
    fig = _figure(6, 3.5)
    ax = fig.add_subplot()
    null = np.asarray(null, dtype=float)
    null = null[np.isfinite(null)]
    ax.hist(null, bins=min(30, max(5, len(null) // 3)), color="0.75", edgecolor="0.4")
    ax.axvline(estimate, color=_POST, lw=2, label="estimate")
    ax.set_xlabel("placebo / bootstrap statistic")
    ax.set_ylabel("count")
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return fig
