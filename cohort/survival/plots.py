"""Figures of the survival results, drawn from their tables on the Agg canvas.

Every function takes tables (a result's ``tidy()``, or the same table as a
release wrote it) and returns a :class:`matplotlib.figure.Figure` that no pyplot
state knows about. The results objects' ``plot()`` call these functions on their
own tables, and the study draws its released figures with them, so a figure
redrawn from a released table is the released figure. Nothing here imports the
results module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from cohort._params import check_literal
from cohort.exceptions import ParameterError
from cohort.figures import SUPPRESSED, new_figure

__all__ = ["plot_cif", "plot_forest", "plot_km", "zph_plot"]

_PALETTE = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d")
_RISK_ROWS = {"at_risk": "at risk", "events": "events", "competing": "competing events",
              "censored": "censored"}


def _need(table: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        msg = f"{what} needs the columns {list(cols)}; missing: {missing}"
        raise ParameterError(msg)


def _count(value: Any) -> str:
    """A count as text: a suppressed (missing) one as the suppression mark, never a number."""
    if value is None or pd.isna(value):
        return SUPPRESSED
    v = float(value)
    return f"{int(round(v)):,}" if v.is_integer() else f"{v:.3g}"


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()


def _curve_groups(curves: pd.DataFrame | Mapping[Any, pd.DataFrame],
                  by: tuple[str, ...]) -> list[tuple[Any, dict[str, str], pd.DataFrame]]:
    """(key, {column: value as text}, rows) per curve, in the order of the table."""
    if isinstance(curves, Mapping):
        col = by[0] if by else "group"
        return [(k, {col: str(k)}, c) for k, c in curves.items()]
    if not by:
        return [("all", {}, curves)]
    _need(curves, by, "plot_km")
    keys = curves[list(by)].astype(str).drop_duplicates()
    out = []
    for rec in keys.itertuples(index=False, name=None):
        m = np.ones(len(curves), dtype=bool)
        for c, v in zip(by, rec, strict=True):
            m &= (curves[c].astype(str) == v).to_numpy()
        key = rec[0] if len(rec) == 1 else rec
        out.append((key, dict(zip(by, rec, strict=True)), curves.loc[m]))
    return out


def _rows_of(table: pd.DataFrame, where: Mapping[str, str]) -> pd.DataFrame:
    m = np.ones(len(table), dtype=bool)
    for c, v in where.items():
        m &= (table[c].astype(str) == v).to_numpy()
    return table.loc[m]


def plot_km(
    curves: pd.DataFrame | Mapping[Any, pd.DataFrame],
    *,
    risk_table: pd.DataFrame | None = None,
    by: str | Sequence[str] | None = None,
    time: str = "time",
    risk_time: str | None = None,
    labels: Mapping[Any, str] | None = None,
    colours: Mapping[Any, str] | None = None,
    scale: Literal["survival", "failure", "incidence"] = "survival",
    percent: bool = False,
    horizon: float | None = None,
    conf_int: bool = True,
    xlabel: str = "time",
    ylabel: str | None = None,
    title: str | None = None,
    legend_loc: str | None = None,
    ax: Any = None,
) -> Figure:
    """Kaplan-Meier curves with a KMunicate-style table of numbers at risk under them.

    Parameters
    ----------
    curves : DataFrame or mapping of DataFrames
        The curve table: ``time`` and ``estimate`` (the survival probability
        just after the time), optionally ``conf_low`` and ``conf_high``; one
        curve per value of the ``by`` columns (``KaplanMeierResult.tidy()``), or
        a mapping from group to its curve (curves released one per table, as
        :func:`cohort.disclosure.km_release` gives them). A curve starts at 1 at
        time 0 and is drawn as released: pooled steps stay pooled, and a cut
        curve ends where it was cut.
    risk_table : DataFrame, optional
        Numbers at chosen times, per group (the ``by`` column, ``"group"`` for a
        mapping of curves): ``at_risk`` and, where present, the cumulative
        ``events``, ``competing`` (competing events) and ``censored``. Drawn
        under the curves (Morris et al. 2019, KMunicate) at its times, which
        are also the x ticks; a suppressed (missing) cell is shown as ``·``,
        never as a number.
    by : str or list of str, optional
        The group columns of ``curves`` (and of ``risk_table``).
    time, risk_time : str
        The time columns of the curves and of the risk table (``risk_time``
        defaults to ``time``).
    labels, colours : mapping, optional
        Per group (its value; a tuple for several ``by`` columns): the legend
        label (default ``column=value``, or the key of a mapping) and colour.
    scale : {"survival", "failure", "incidence"}
        Draw the survival probability, or its complement (the share with the
        event: ``1 - estimate``, with the interval turned over); or, for a
        cumulative incidence (``AalenJohansenResult`` of one cause, which starts
        at 0), the estimate as it is.
    percent : bool
        Draw the y axis in per cent.
    horizon : float, optional
        End of the x axis; curves and risk-table times after it are not drawn.
    conf_int : bool
        Draw the pointwise confidence band.
    xlabel, ylabel, title : str, optional
        Axis texts.
    legend_loc : str, optional
        Legend location (default: the corner the curves leave empty).
    ax : matplotlib Axes, optional
        Draw the curves into these axes (one panel of a larger figure); only
        without a risk table, which needs axes of its own.

    Returns
    -------
    matplotlib.figure.Figure

    """
    check_literal("scale", scale, ("survival", "failure", "incidence"))
    if ax is not None and risk_table is not None:
        msg = "plot_km draws a risk table into a figure of its own: pass ax=None with it"
        raise ParameterError(msg)
    by_cols: tuple[str, ...] = (by,) if isinstance(by, str) else tuple(by or ())
    risk_time = risk_time or time
    groups = _curve_groups(curves, by_cols)
    if risk_table is not None:
        _need(risk_table, [risk_time, "at_risk"], "plot_km's risk_table")
        risk_by = tuple(c for g in groups for c in g[1])
        _need(risk_table, list(dict.fromkeys(risk_by)), "plot_km's risk_table")
    labels = dict(labels or {})
    colours = dict(colours or {})
    top = 100.0 if percent else 1.0

    risk_times: np.ndarray = np.array([])
    rows: list[tuple[int, str, str, Any]] = []  # group index, kind, label, rows of the table
    if risk_table is not None:
        risk_times = np.unique(_floats(risk_table[risk_time]))
        risk_times = risk_times[np.isfinite(risk_times)]
        if horizon is not None:
            risk_times = risk_times[risk_times <= horizon]
        shown = [c for c in _RISK_ROWS if c in risk_table.columns]
        for i, (_key, where, _c) in enumerate(groups):
            part = _rows_of(risk_table, where)
            rows.append((i, "header", "", part))
            rows += [(i, c, _RISK_ROWS[c], part) for c in shown]

    if ax is None:
        width, curve_h, row_h = 7.5, 3.4, 0.17
        left, right, gap = (1.45 if rows else 0.9), 0.35, 0.55
        top_m = 0.45 if title else 0.2
        table_h = len(rows) * row_h + 0.3 if rows else 0.0
        bottom = 0.1 if rows else 0.55
        height = top_m + curve_h + (gap + table_h if rows else 0.0) + bottom
        fig = new_figure(width, height)
        ax = fig.add_axes((left / width, (height - top_m - curve_h) / height,
                           (width - left - right) / width, curve_h / height))
        tab = None
        if rows:
            tab = fig.add_axes((left / width, bottom / height,
                                (width - left - right) / width, (table_h - 0.3) / height))
    else:
        fig, tab = ax.figure, None

    x_end = 0.0
    for i, (key, where, c) in enumerate(groups):
        colour = colours.get(key, _PALETTE[i % len(_PALETTE)])
        label = labels.get(key, ", ".join(f"{k}={v}" for k, v in where.items())
                           if not isinstance(curves, Mapping) else str(key)) or "all"
        if c is None or not len(c):  # released empty: said, not drawn
            ax.plot([], [], color=colour, ls=":", label=f"{label}: curve suppressed")
            continue
        _need(c, [time, "estimate"], "plot_km")
        c = c.sort_values(time, kind="stable")
        t = _floats(c[time])
        s = _floats(c["estimate"])
        has_ci = conf_int and {"conf_low", "conf_high"} <= set(c.columns)
        lo = _floats(c["conf_low"]) if has_ci else s
        hi = _floats(c["conf_high"]) if has_ci else s
        if not len(t) or t[0] > 0:
            s0 = 0.0 if scale == "incidence" else 1.0
            t, s, lo, hi = (np.r_[0.0, t], np.r_[s0, s], np.r_[s0, lo], np.r_[s0, hi])
        if horizon is not None:
            beyond = t > horizon
            if beyond.any():
                keep = ~beyond
                t, s, lo, hi = (np.r_[t[keep], horizon], np.r_[s[keep], s[keep][-1]],
                                np.r_[lo[keep], lo[keep][-1]], np.r_[hi[keep], hi[keep][-1]])
        if scale == "failure":
            s, lo, hi = 1 - s, 1 - hi, 1 - lo
        (line,) = ax.step(t, top * s, where="post", color=colour, label=label, lw=1.6)
        if has_ci:
            ax.fill_between(t, top * lo, top * hi, step="post", alpha=0.15, color=colour, lw=0)
        x_end = max(x_end, float(np.nanmax(t)))
    if len(risk_times):
        x_end = max(x_end, float(risk_times.max()))
    x_max = float(horizon) if horizon is not None else (x_end or 1.0)
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, top * 1.02)
    if len(risk_times):
        ax.set_xticks(risk_times, [f"{v:g}" for v in risk_times])
    ax.set_xlabel(xlabel)
    default_y = "survival probability" if scale == "survival" else "cumulative incidence"
    ax.set_ylabel(ylabel or (default_y + (" (%)" if percent else "")))
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=legend_loc or ("lower left" if scale == "survival" else "lower right"),
                  frameon=False, fontsize=8)
    if tab is not None:
        _risk_rows(tab, rows, groups, risk_times, risk_time, x_max, colours, labels,
                   mapping=isinstance(curves, Mapping))
    return fig


def _risk_rows(tab: Any, rows: list, groups: list, times: np.ndarray, risk_time: str,
               x_max: float, colours: Mapping, labels: Mapping, *, mapping: bool) -> None:
    """The KMunicate table: per group a header, then its numbers at each time."""
    tab.set_xlim(0, x_max)
    tab.set_ylim(len(rows) - 0.5, -0.5)
    tab.axis("off")
    tab.set_title("Number at risk; events and censored (cumulative)", loc="left",
                  fontsize=8)
    label_tf = blended_transform_factory(tab.transAxes, tab.transData)
    head_tf = blended_transform_factory(tab.figure.transFigure, tab.transData)
    for y, (i, kind, text, part) in enumerate(rows):
        key, where, _c = groups[i]
        colour = colours.get(key, _PALETTE[i % len(_PALETTE)])
        if kind == "header":
            name = labels.get(key, ", ".join(f"{k}={v}" for k, v in where.items())
                              if not mapping else str(key)) or "all"
            tab.text(0.015, y, name, ha="left", va="center", fontsize=7.5,
                     weight="bold", color=colour, transform=head_tf)
            continue
        tab.text(-0.05, y, text, ha="right", va="center", fontsize=7, transform=label_tf)
        at = dict(zip(_floats(part[risk_time]), part[kind].tolist(), strict=True))
        for t in times:
            if t not in at:
                continue
            text = _count(at[t])
            tab.text(t, y, text, ha="center", va="center",
                     **({"fontsize": 11, "weight": "bold"} if text == SUPPRESSED
                        else {"fontsize": 7}))


def plot_cif(table: pd.DataFrame, *, by: str | Sequence[str] = (), cause: str = "cause",
             time: str = "time", ax: Any = None) -> Figure:
    """Cumulative incidence step curves, one line per cause (and group).

    ``table``: ``AalenJohansenResult.tidy()`` (``time``, ``estimate``, the
    ``cause`` and the group columns ``by``).
    """
    keys = [*((by,) if isinstance(by, str) else tuple(by)), cause]
    _need(table, [time, "estimate", *keys], "plot_cif")
    if ax is None:
        fig = new_figure(6, 4)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for key, part in table.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, key, strict=True))
        t = np.concatenate([[0.0], _floats(part[time])])
        y = np.concatenate([[0.0], _floats(part["estimate"])])
        ax.step(t, y, where="post", label=label)
    ax.set_xlabel("time")
    ax.set_ylabel("cumulative incidence")
    ax.set_ylim(0, None)
    ax.legend(frameon=False)
    return fig


def plot_forest(table: pd.DataFrame, *, xlabel: str, log: bool = True,
                reference: float | None = None, ax: Any = None) -> Figure:
    """Estimates with confidence intervals, one row per term.

    ``table``: ``term, estimate, conf_low, conf_high`` (hazard or rate ratios
    from ``tidy(exponentiate=True)``); a withheld (missing) row keeps its
    label and draws nothing. ``log`` draws a log x axis with the reference line
    at 1 (``reference`` overrides it).
    """
    _need(table, ["term", "estimate", "conf_low", "conf_high"], "plot_forest")
    own = ax is None
    if own:
        fig = new_figure(6, 0.9 + 0.4 * len(table))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    y = np.arange(len(table))[::-1]
    est, low, high = (_floats(table[c]) for c in ("estimate", "conf_low", "conf_high"))
    ok = np.isfinite(est) & np.isfinite(low) & np.isfinite(high)
    ax.errorbar(est[ok], y[ok], xerr=[est[ok] - low[ok], high[ok] - est[ok]], fmt="o",
                color="black", capsize=3)
    ax.axvline(reference if reference is not None else (1.0 if log else 0.0), color="grey",
               lw=0.8, ls="--")
    if log:
        ax.set_xscale("log")
    ax.set_yticks(y, [str(t) for t in table["term"]])
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.set_xlabel(xlabel)
    if own:
        fig.tight_layout()
    return fig


def zph_plot(result: Any, *, term: str | None = None, points: bool = True) -> Figure:
    """Scaled Schoenfeld residuals against transformed time (``ZphResult.plot``).

    With a lowess smooth, and the fitted (constant) coefficient dashed.
    ``points=False`` draws only the smooth: the points are one per event
    (a person's event time and residual), which disclosure rules may forbid.
    Not a release figure: its points are per person.
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    terms = list(result.terms) if term is None else [term]
    if term is not None and term not in result.terms:
        msg = f"term must be one of {', '.join(map(repr, result.terms))}; got {term!r}"
        raise ParameterError(msg)
    fig = new_figure(5 * min(len(terms), 3), 3.5 * int(np.ceil(len(terms) / 3)))
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
