"""Figures of the indicators: the estate next to its municipality, one panel each."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from cohort.engine.units import parse_unit
from cohort.exceptions import ParameterError
from cohort.indicators._params import IndicatorParams
from cohort.indicators._published import PUBLISHED, indicator_label, period_axis
from cohort.indicators._regions import regions
from cohort.indicators._social_balance import INDICATORS, SERIES_COLUMNS

__all__ = ["plot_social_balance", "unit_name"]

_KNOWN_AREAS = {"vaerebro_park": "Værebro Park"}
_COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")


def unit_name(unit: str) -> str:
    """A unit's display name: ``"municipality:159"`` -> ``"Gladsaxe Kommune"``.

    Examples
    --------
    >>> unit_name("area:vaerebro_park"), unit_name("municipality:159")
    ('Værebro Park', 'Gladsaxe Kommune')

    """
    u = parse_unit(unit)
    if u.kind == "municipality":
        r = regions()
        hit = r.loc[r.municipality == int(u.value), "name"]
        return f"{hit.iloc[0]} Kommune" if len(hit) else f"Municipality {u.value}"
    return _KNOWN_AREAS.get(u.value, u.value.replace("_", " ").title())


def plot_social_balance(
    series: pd.DataFrame,
    *,
    estate: str = "area:vaerebro_park",
    municipality: str = "municipality:159",
    published: bool = True,
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
    estate, municipality
        The units the strategy's published values belong to (Værebro Park,
        Gladsaxe Kommune); their published 2017/2018 values are drawn as open
        markers in the unit's colour.
    published
        Whether to mark the published values.
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
    if not isinstance(published, bool):
        msg = f"published must be True or False; got {published!r}"
        raise ParameterError(msg)
    labels = dict(unit_labels or {})
    units = list(dict.fromkeys(series["unit"]))
    keys = [k for k in INDICATORS if k in set(series["indicator"])]
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, 3, squeeze=False).ravel()
    roles = {estate: 1, municipality: 2}
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
            if published and u in roles:
                y, *vals = PUBLISHED[key]
                (pt,) = ax.plot([y], [vals[roles[u] - 1]], linestyle="none", marker="D",
                                markersize=8, markerfacecolor="white", markeredgewidth=1.8,
                                color=colour, label=f"{name}, published in the strategy")
                handles.setdefault(f"{name}, published in the strategy", pt)
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
