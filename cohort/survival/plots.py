"""Figures of the survival results, drawn with matplotlib's Agg backend.

Every function returns a :class:`matplotlib.figure.Figure` and never shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

if TYPE_CHECKING:
    from cohort.survival.results import AalenJohansenResult, KaplanMeierResult, ZphResult

__all__ = ["cif_plot", "forest_plot", "km_plot", "zph_plot"]


def _label(groups: tuple[str, ...], lev: dict[str, Any]) -> str:
    return ", ".join(f"{c}={lev[c]}" for c in groups) if groups else "all"


def _levels(result: Any):  # noqa: ANN202
    from cohort.survival.results import _group_frames

    return _group_frames(result.table, result.groups, result.levels)


def km_plot(result: KaplanMeierResult, *, times: Any = None, conf_int: bool = True) -> Figure:
    """Kaplan-Meier curves over a KMunicate-style table (Morris et al. 2019).

    Per group, the table gives the number at risk and the cumulative events and
    censored at regular times.
    """
    table = result.table
    if times is None:
        times = np.linspace(0, float(table["time"].max()), 6)
        times = np.unique(np.round(times, 6))
    times = np.asarray(times, dtype=float)
    levels = list(_levels(result))
    nrow_tab = 3 * len(levels)
    fig = Figure(figsize=(7, 4.5 + 0.22 * nrow_tab))
    gs = fig.add_gridspec(2, 1, height_ratios=[4, 0.3 + 0.22 * nrow_tab], hspace=0.25)
    ax = fig.add_subplot(gs[0])
    for lev, part in levels:
        t = np.concatenate([[0.0], part["time"].to_numpy()])
        s = np.concatenate([[1.0], part["survival"].to_numpy()])
        (line,) = ax.step(t, s, where="post", label=_label(result.groups, lev))
        if conf_int:
            lo = np.concatenate([[1.0], part["conf_low"].to_numpy()])
            hi = np.concatenate([[1.0], part["conf_high"].to_numpy()])
            ax.fill_between(t, lo, hi, step="post", alpha=0.2, color=line.get_color(), lw=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(times.min(), times.max())
    ax.set_xticks(times)
    ax.set_ylabel("survival probability")
    ax.legend(loc="lower left", frameon=False)
    tab = fig.add_subplot(gs[1], sharex=ax)
    tab.set_ylim(-0.5, nrow_tab - 0.5)
    tab.axis("off")
    at = result.at(times, extend=True)
    ytick = nrow_tab - 1
    label_tf = blended_transform_factory(tab.transAxes, tab.transData)
    for lev, _part in levels:
        rows = at
        for c in result.groups:
            rows = rows[rows[c] == lev[c]]
        ev = np.cumsum(rows["n_event"].to_numpy())
        ce = np.cumsum(rows["n_censor"].to_numpy())
        name = _label(result.groups, lev)
        for label, vals in (
            ("at risk", rows["n_risk"].to_numpy()),
            ("events", ev),
            ("censored", ce),
        ):
            tab.text(
                -0.04,
                ytick,
                f"{name} {label}",
                ha="right",
                va="center",
                fontsize=7,
                transform=label_tf,
            )
            for t, v in zip(rows["time"].to_numpy(), vals, strict=True):
                tab.text(t, ytick, f"{v:g}", ha="center", va="center", fontsize=7)
            ytick -= 1
    ax.set_xlabel("time")
    fig.subplots_adjust(left=0.25)
    return fig


def cif_plot(result: AalenJohansenResult) -> Figure:
    """Cumulative incidence step curves, one line per cause (and group)."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    keys = [*result.groups, "cause"]
    for key, part in result.table.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
        t = np.concatenate([[0.0], part["time"].to_numpy()])
        y = np.concatenate([[0.0], part["estimate"].to_numpy()])
        ax.step(t, y, where="post", label=label)
    ax.set_xlabel("time")
    ax.set_ylabel("cumulative incidence")
    ax.set_ylim(0, None)
    ax.legend(frameon=False)
    return fig


def forest_plot(table: pd.DataFrame, *, xlabel: str) -> Figure:
    """Estimates with confidence intervals, one row per term (log x axis)."""
    fig = Figure(figsize=(6, 0.5 + 0.4 * len(table)))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    est = table["estimate"].to_numpy(dtype=float)
    low = table["conf_low"].to_numpy(dtype=float)
    high = table["conf_high"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", color="black", capsize=3)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(table["term"])
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def zph_plot(result: ZphResult, *, term: str | None = None, points: bool = True) -> Figure:
    """Scaled Schoenfeld residuals against transformed time.

    With a lowess smooth, and the fitted (constant) coefficient dashed.
    ``points=False`` draws only the smooth: the points are one per event
    (a person's event time and residual), which disclosure rules may forbid.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    terms = list(result.terms) if term is None else [term]
    if term is not None and term not in result.terms:
        from cohort.exceptions import ParameterError

        msg = f"term must be one of {', '.join(map(repr, result.terms))}; got {term!r}"
        raise ParameterError(msg)
    fig = Figure(figsize=(5 * min(len(terms), 3), 3.5 * int(np.ceil(len(terms) / 3))))
    for i, name in enumerate(terms):
        j = result.terms.index(name)
        ax = fig.add_subplot(int(np.ceil(len(terms) / 3)), min(len(terms), 3), i + 1)
        if points:
            ax.scatter(result.x, result.y[:, j], s=6, color="grey")
        sm = lowess(result.y[:, j], result.x, frac=2 / 3, return_sorted=True)
        ax.plot(sm[:, 0], sm[:, 1], color="black")
        ax.axhline(result.coef[j], ls="--", color="tab:blue", lw=0.8)
        ax.set_xlabel(f"time ({result.transform})")
        ax.set_ylabel(f"beta(t) for {name}")
    fig.tight_layout()
    return fig
