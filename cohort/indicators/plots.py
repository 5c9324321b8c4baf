"""Figures of the indicators: the estate next to its municipality, one panel each."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from cohort.engine.units import parse_unit
from cohort.exceptions import ParameterError
from cohort.indicators._params import IndicatorParams
from cohort.indicators._published import indicator_label, period_axis
from cohort.indicators._regions import regions
from cohort.indicators._social_balance import INDICATORS, SERIES_COLUMNS

__all__ = ["plot_goals", "plot_social_balance", "unit_name"]

_COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")


def unit_name(unit: str) -> str:
    """A unit's display name when the study gives none.

    A municipality by the shipped municipality table; an area or district by its
    code made readable (a study's ``[units.names]`` gives the real name, with æøå).

    Examples
    --------
    >>> unit_name("municipality:159"), unit_name("area:vaerebro_park")
    ('Gladsaxe Kommune', 'Vaerebro Park')

    """
    u = parse_unit(unit)
    if u.kind == "municipality":
        r = regions()
        hit = r.loc[r.municipality == int(u.value), "name"]
        return f"{hit.iloc[0]} Kommune" if len(hit) else f"Municipality {u.value}"
    return u.value.replace("_", " ").title()


def plot_social_balance(
    series: pd.DataFrame,
    *,
    published: pd.DataFrame | None = None,
    unit_labels: Mapping[str, str] | None = None,
    params: IndicatorParams | None = None,
    note: str | None = None,
) -> Figure:
    """One panel per indicator: each unit's share (%) over the years.

    Parameters
    ----------
    series
        The output of :func:`social_balance_series` (or a disclosure-controlled
        copy of it: suppressed shares are simply not drawn).
    published
        Values published elsewhere (a strategy's own table), drawn as open markers
        in their unit's colour: columns ``unit, indicator, year`` and ``percent``
        (or ``share``), optionally ``source`` (named in the legend). Only units of
        ``series`` are drawn; without it nothing is marked.
    unit_labels
        Display names of units; by default from the shipped municipality table
        and the area's name.
    params
        The parameters the series was computed with (for the panel titles).
    note
        A line added to the legend, e.g. ``"No point: suppressed (fewer than 5
        persons)"`` for a disclosure-controlled series.

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot (Agg when saved).

    """
    missing = [c for c in SERIES_COLUMNS if c not in series.columns]
    if missing:
        msg = f"series must be the output of social_balance_series; missing columns {missing}"
        raise ParameterError(msg)
    if published is not None and not isinstance(published, pd.DataFrame):
        msg = ("published must be a table of unit, indicator, year and percent (a study's "
               f"[[published]] values) or None; got {type(published).__name__}")
        raise ParameterError(msg)
    pub = _published_percent(published)
    labels = dict(unit_labels or {})
    units = list(dict.fromkeys(series["unit"]))
    keys = [k for k in INDICATORS if k in set(series["indicator"])]
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, 3, squeeze=False).ravel()
    handles: dict[str, object] = {}
    for ax, key in zip(axes, keys, strict=False):
        part = series[series["indicator"] == key]
        for i, u in enumerate(units):
            s = part[part["unit"] == u].sort_values("year")
            colour = _COLOURS[i % len(_COLOURS)]
            name = labels.get(u) or unit_name(u)
            (line,) = ax.plot(s["year"], pd.to_numeric(s["share"], errors="coerce") * 100,
                              marker="o", markersize=4, color=colour, label=name)
            handles.setdefault(name, line)
            mine = pub[(pub["unit"] == u) & (pub["indicator"] == key)]
            if len(mine):
                label = f"{name}, {mine['source'].iloc[0] or 'published'}"
                (pt,) = ax.plot(mine["year"], mine["percent"], linestyle="none", marker="D",
                                markersize=8, markerfacecolor="white", markeredgewidth=1.8,
                                color=colour, label=label)
                handles.setdefault(label, pt)
        ax.set_title(indicator_label(key, params), fontsize=10)
        ax.set_xlabel(period_axis(key))
        ax.set_ylabel("Share (%)")
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.grid(visible=True, alpha=0.3)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    if note:
        handles[note] = Line2D([], [], linestyle="none")
    names = " and ".join(labels.get(u) or unit_name(u) for u in units)
    fig.suptitle(f"Indicators of social balance: {names}")
    # One column per unit (its line above its published marker), the note last.
    ncol = max(1, min(len(handles), len(units) + (1 if note else 0)))
    fig.legend(list(handles.values()), list(handles), loc="outside lower center",
               ncol=ncol, frameon=False)
    return fig


def _published_percent(published: pd.DataFrame | None) -> pd.DataFrame:
    """The published values as ``unit, indicator, year, percent, source``."""
    cols = ["unit", "indicator", "year", "percent", "source"]
    if published is None or published.empty:
        return pd.DataFrame(columns=cols)
    p = published.copy()
    if "percent" not in p.columns:
        if "share" not in p.columns:
            msg = "published needs a column percent (or share)"
            raise ParameterError(msg)
        p["percent"] = 100 * p["share"].astype(float)
    missing = [c for c in ("unit", "indicator", "year") if c not in p.columns]
    if missing:
        msg = f"published lacks the columns {missing}"
        raise ParameterError(msg)
    p["source"] = p["source"].fillna("") if "source" in p.columns else ""
    return p[cols]


def plot_goals(
    goals: pd.DataFrame,
    *,
    unit_labels: Mapping[str, str] | None = None,
    indicator_labels: Mapping[str, str] | None = None,
    goal_labels: Mapping[int, str] | None = None,
    baseline_year: int | None = None,
    ylabel: str = "Share (%)",
    baseline_label: str = "baseline",
    no_values: str = "no released values",
) -> Figure:
    """The goal dashboard: a row of panels per goal, a panel per indicator.

    Each panel draws every unit's share (%) over the years, with the baseline
    year marked by a dashed line.

    Parameters
    ----------
    goals
        A table with columns ``goal, indicator, unit, year, share`` (a study's
        released ``goals.csv``: suppressed shares are simply not drawn).
    unit_labels
        Display names of the units to draw, in drawing order; by default every
        unit of ``goals`` under :func:`unit_name`.
    indicator_labels, goal_labels
        Panel titles by indicator and row titles by goal number (default: the
        codes).
    baseline_year
        The year marked (default: the column ``baseline_year`` where present).
    ylabel, baseline_label, no_values
        The y axis's label, the baseline's legend entry and the note in a panel
        with nothing to draw (a report in another language passes its own).

    Returns
    -------
    matplotlib.figure.Figure
        Drawn without pyplot (Agg when saved).

    """
    missing = [c for c in ("goal", "indicator", "unit", "year", "share") if c not in goals]
    if missing:
        msg = f"goals must have the columns goal, indicator, unit, year, share; missing {missing}"
        raise ParameterError(msg)
    if baseline_year is None and "baseline_year" in goals:
        years = pd.to_numeric(goals["baseline_year"], errors="coerce").dropna()
        baseline_year = int(years.iloc[0]) if len(years) else None
    units = list(unit_labels) if unit_labels else list(dict.fromkeys(goals["unit"]))
    labels = {u: (unit_labels or {}).get(u) or _readable(u) for u in units}
    ind_labels = dict(indicator_labels or {})
    rows = [int(g) for g in sorted(set(pd.to_numeric(goals["goal"]).astype(int)))]
    per_goal = {g: list(dict.fromkeys(goals.loc[goals["goal"].astype(int) == g, "indicator"]
                                      .astype(str))) for g in rows}
    ncol = max((len(v) for v in per_goal.values()), default=1)
    n = max(1, len(rows))
    fig = Figure(figsize=(3.4 * ncol + 0.6, 2.9 * n + 1.1), layout="constrained")
    # a row per goal and a last, low row for the legend (constrained layout does not
    # make room for a figure legend outside subfigures)
    *subs, legend_row = fig.subfigures(n + 1, 1, squeeze=False,
                                       height_ratios=[2.9] * n + [0.5]).ravel()
    all_years = pd.to_numeric(goals["year"], errors="coerce").dropna()
    span = ((int(all_years.min()) - 0.5, int(all_years.max()) + 0.5) if len(all_years)
            else None)
    handles: dict[str, object] = {}
    for sub, g in zip(subs, rows, strict=False):
        goal = (goal_labels or {}).get(g)
        sub.suptitle(f"{g}. {goal}" if goal else f"Goal {g}", fontsize=10, x=0.01, ha="left")
        axes = sub.subplots(1, ncol, squeeze=False).ravel()
        for j, ax in enumerate(axes):
            if j >= len(per_goal[g]):
                ax.set_visible(False)
                continue
            key = per_goal[g][j]
            part = goals[(goals["goal"].astype(int) == g) & (goals["indicator"].astype(str) == key)]
            drawn = 0
            for k, u in enumerate(units):
                s = part[part["unit"].astype(str) == u].sort_values("year")
                if pd.to_numeric(s["share"], errors="coerce").isna().all():
                    continue
                # a suppressed year stays a gap in the line (NaN), not a bridge over it
                drawn += 1
                (line,) = ax.plot(s["year"].astype(int),
                                  pd.to_numeric(s["share"], errors="coerce") * 100,
                                  marker="o", markersize=3, color=_COLOURS[k % len(_COLOURS)],
                                  label=labels[u])
                handles.setdefault(labels[u], line)
            if baseline_year is not None:
                vline = ax.axvline(baseline_year, color="0.4", linestyle="--", linewidth=1)
                handles.setdefault(f"{baseline_label} {baseline_year}", vline)
            ax.set_title("\n".join(textwrap.wrap(ind_labels.get(key, key), 42)), fontsize=8.5)
            ax.set_ylim(bottom=0)
            if span is not None:
                ax.set_xlim(*span)
            if not drawn:
                ax.text(0.5, 0.5, no_values, transform=ax.transAxes, ha="center",
                        va="center", fontsize=8, color="0.4")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
            ax.grid(visible=True, alpha=0.3)
            if j == 0:
                ax.set_ylabel(ylabel, fontsize=8)
    legend_row.legend(list(handles.values()), list(handles), loc="center",
                      ncol=max(1, len(handles)), frameon=False, fontsize=8)
    return fig


def _readable(unit: str) -> str:
    return unit_name(unit) if ":" in str(unit) else str(unit).replace("_", " ").capitalize()
