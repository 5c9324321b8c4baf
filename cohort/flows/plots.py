"""Figures of the flows, each drawn from a table a function returns.

The pattern: ``<figure>_table(result)`` returns exactly the numbers the figure
shows (so disclosure control can check and suppress them), and
``plot_<figure>(table)`` draws that table: a suppressed cell (NA) is not drawn
and is marked ``·`` where the figure shows numbers. The study draws its released
figures with the same functions from the released tables (``flows_by_status``,
``flows_od``, ``flows_decomposition``), so a figure redrawn from a released
table is the released figure. Figures are :class:`matplotlib.figure.Figure`
objects on the Agg canvas; nothing touches pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator

from cohort.exceptions import ParameterError
from cohort.figures import SUPPRESSED, new_figure
from cohort.flows._decompose import COMPONENTS, decomposition_long
from cohort.flows._status import RESOURCE_STATUSES

__all__ = [
    "decomposition_table",
    "flow_diagram_table",
    "flows_over_time_table",
    "plot_decomposition",
    "plot_flow_diagram",
    "plot_flow_diagrams",
    "plot_flow_rates",
    "plot_flows_over_time",
]

_STATUS_COLOURS = {"resource_strong": "#1b7837", "not_resource_strong": "#762a83",
                   "not_adult": "#999999"}
_COMPONENT_COLOURS = dict(zip(COMPONENTS, ("#4575b4", "#d73027", "#1a9850", "#91bfdb",
                                            "#fc8d59", "#fee090", "#7f7f7f"), strict=True))


def _figure(width: float, height: float) -> Figure:
    return new_figure(width, height)


def _need(table: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        msg = f"{what} needs the columns {cols}; missing: {missing}"
        raise ParameterError(msg)


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").astype("float64").to_numpy()


def _count(value: Any) -> str:
    """A count as text; a suppressed (missing) one as the suppression mark."""
    if value is None or pd.isna(value):
        return SUPPRESSED
    return f"{int(value):,}"


# -- flows over time, by resource status ------------------------------------------


def flows_over_time_table(yearly_table: pd.DataFrame) -> pd.DataFrame:
    """The table of the flows-over-time figure.

    From :func:`cohort.flows.yearly` (one area): per year and resource status
    the counts ``group_population, in_moves, out_moves`` and the group-specific
    rates ``in_per_1000_group, out_per_1000_group``.
    """
    _need(yearly_table, ["year", "breakdown", "group", "group_population", "in_moves",
                         "out_moves"], "flows_over_time_table")
    if "area" in yearly_table and yearly_table["area"].nunique() > 1:
        msg = "flows_over_time_table takes the yearly table of one area; got several areas"
        raise ParameterError(msg)
    t = yearly_table[yearly_table["breakdown"] == "resource_status"]
    t = t.rename(columns={"group": "resource_status"})
    out = t[["year", "resource_status", "group_population", "in_moves", "out_moves"]].copy()
    for col, src in (("in_per_1000_group", "in_moves"), ("out_per_1000_group", "out_moves")):
        num = out[src].astype("Float64")
        den = out["group_population"].astype("Float64")
        out[col] = (1000 * num / den.where(den > 0)).astype("Float64")
    return out.reset_index(drop=True)


def plot_flows_over_time(table: pd.DataFrame, *, title: str = "") -> Figure:
    """In- and out-moves per 1,000 residents of the same resource status, per year.

    ``table``: :func:`flows_over_time_table`'s (possibly suppressed) table,
    drawn by :func:`plot_flow_rates`.
    """
    _need(table, ["year", "resource_status", "group_population", "in_moves", "out_moves"],
          "plot_flows_over_time")
    return plot_flow_rates(table.rename(columns={"resource_status": "group",
                                                 "group_population": "population"}),
                           title=title)


def plot_flow_rates(table: pd.DataFrame, *, statuses: Sequence[str] = RESOURCE_STATUSES,
                    title: str = "") -> Figure:
    """In- and out-moves per 1,000 of the group on 1 January, per year and resource status.

    ``table``: per ``year`` and ``group`` (the resource statuses; other groups
    such as ``all`` are left out) the counts ``population``, ``in_moves`` and
    ``out_moves``: the study's released ``flows_by_status``. A rate whose count
    or population is suppressed is not drawn (the line has a gap).
    """
    _need(table, ["year", "group", "population", "in_moves", "out_moves"], "plot_flow_rates")
    fig = _figure(10, 4)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, col, label in ((axes[0], "in_moves", "Moving in"),
                           (axes[1], "out_moves", "Moving out")):
        for status in statuses:
            s = table[table["group"].astype(str) == status]
            s = s.iloc[np.argsort(_floats(s["year"]), kind="stable")]
            pop = _floats(s["population"])
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = np.where(pop > 0, 1000 * _floats(s[col]) / pop, np.nan)
            ax.plot(_floats(s["year"]), rate, marker="o", ms=3,
                    color=_STATUS_COLOURS.get(status, "0.3"), label=status.replace("_", " "))
        ax.set_title(label)
        ax.set_xlabel("year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("moves per 1,000 of the group on 1 January")
    axes[1].legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# -- origins and destinations: a simple flow (Sankey-style) diagram ------------------


def flow_diagram_table(od_table: pd.DataFrame, *, area: str, period: str | None = None
                       ) -> pd.DataFrame:
    """The table of the flow diagram: moves in by origin, out by destination.

    From :func:`cohort.flows.od_matrix`: the moves into ``area`` by origin and
    out of it by destination (``side`` = ``in`` / ``out``, ``unit``, ``moves``),
    summed over resource status (and over periods unless ``period`` is given).
    Units keep the order in which the table first names them.
    """
    _need(od_table, ["period", "origin", "destination", "moves"], "flow_diagram_table")
    t = od_table if period is None else od_table[od_table["period"].astype(str) == period]
    origin, dest = t["origin"].astype(str), t["destination"].astype(str)
    into, out_of = (dest == area) & (origin != area), (origin == area) & (dest != area)
    # a unit whose moves were suppressed stays NA (min_count), not a drawn zero
    ins = t[into].groupby(origin[into])["moves"].sum(min_count=1)
    outs = t[out_of].groupby(dest[out_of])["moves"].sum(min_count=1)
    # units in the order of the table (origins, then destinations): the same whether it
    # is the released frame or its CSV read back, so the drawing is the same too
    units = [*od_table["origin"].astype(str), *od_table["destination"].astype(str)]
    order = {u: i for i, u in enumerate(dict.fromkeys(units))}
    df = pd.DataFrame(
        [("in", str(u), None if pd.isna(n) else int(n)) for u, n in ins.items()]
        + [("out", str(u), None if pd.isna(n) else int(n)) for u, n in outs.items()],
        columns=["side", "unit", "moves"],
    )
    df["moves"] = df["moves"].astype("Int64")
    df = df.assign(_o=df["unit"].map(order)).sort_values(["side", "_o"]).drop(columns="_o")
    return df.reset_index(drop=True)


def _band(ax, x0: float, y0: tuple[float, float], x1: float, y1: tuple[float, float],
          colour: str) -> None:
    """A band from the vertical segment y0 at x0 to y1 at x1, with curved edges."""
    xm = (x0 + x1) / 2
    verts = [(x0, y0[0]), (xm, y0[0]), (xm, y1[0]), (x1, y1[0]), (x1, y1[1]),
             (xm, y1[1]), (xm, y0[1]), (x0, y0[1]), (x0, y0[0])]
    codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
             MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
    ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=colour, alpha=0.45, lw=0))


def plot_flow_diagram(table: pd.DataFrame, *, area: str, title: str = "",
                      ax: Any = None) -> Figure:
    """Draw a simple Sankey-style flow diagram of origins and destinations.

    Origins on the left, the area in the middle, destinations on the right;
    band widths proportional to moves, each band labelled with its unit and its
    count. A suppressed flow (NA) is not drawn: it is listed under the drawn
    ones of its side with the mark ``·`` instead of a count (never as a zero).
    ``ax``: draw into these axes (one panel of a larger figure) instead of a new
    figure.
    """
    _need(table, ["side", "unit", "moves"], "plot_flow_diagram")
    if ax is None:
        fig = _figure(9, 5)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.set_axis_off()
    moves = _floats(table["moves"])
    shown = table[np.isfinite(moves) & (moves > 0)]
    hidden = table[np.isnan(moves)]
    gap, slot = 0.03, 0.045  # between bands; the line of a suppressed flow
    palette = ["#4575b4", "#91bfdb", "#fdae61", "#d73027", "#1a9850", "#7f7f7f", "#b15928",
               "#6a3d9a"]
    # one colour per unit, the same on both sides
    colour_of = {u: palette[i % len(palette)]
                 for i, u in enumerate(dict.fromkeys(table["unit"].astype(str)))}
    totals, room = {}, {}
    for side in ("in", "out"):
        n = int((shown["side"] == side).sum())
        totals[side] = float(_floats(shown.loc[shown["side"] == side, "moves"]).sum())
        free = 1.0 - gap * max(n - 1, 0) - slot * int((hidden["side"] == side).sum())
        room[side] = max(free, 0.2)
    scale = max(totals["in"] / room["in"], totals["out"] / room["out"], 1.0)
    mid_h = {side: totals[side] / scale for side in ("in", "out")}
    mid_y0 = {s: 0.5 - h / 2 for s, h in mid_h.items()}
    ax.add_patch(Rectangle((0.47, 0.5 - max(mid_h.values()) / 2), 0.06,
                           max(mid_h.values()), color="#333333"))
    ax.text(0.5, 0.5 - max(mid_h.values()) / 2 - 0.04, area.replace("_", " "), ha="center",
            va="top", fontsize=11, weight="bold")
    for side, x_node, x_mid, ha, x_text in (("in", 0.05, 0.47, "right", 0.035),
                                            ("out", 0.95, 0.53, "left", 0.965)):
        part = shown[shown["side"] == side]
        heights = _floats(part["moves"]) / scale
        lost = hidden[hidden["side"] == side]
        span = heights.sum() + gap * max(len(part) - 1, 0) + slot * len(lost)
        y = 0.5 + span / 2
        y_mid = mid_y0[side] + mid_h[side]
        for unit, n, h in zip(part["unit"].astype(str), part["moves"], heights, strict=True):
            top, bottom = y, y - h
            colour = colour_of[unit]
            ax.add_patch(Rectangle((x_node - 0.01, bottom), 0.02, h, color=colour))
            ax.text(x_text, (top + bottom) / 2, f"{unit.replace('_', ' ')}  {_count(n)}",
                    ha=ha, va="center", fontsize=8)
            if side == "in":
                _band(ax, x_node + 0.01, (top, bottom), x_mid, (y_mid, y_mid - h), colour)
            else:
                _band(ax, x_mid, (y_mid, y_mid - h), x_node - 0.01, (top, bottom), colour)
            y = bottom - gap
            y_mid -= h
        y += gap
        for unit in lost["unit"].astype(str):  # suppressed: named and marked, not drawn
            ax.text(x_text, y - slot / 2, f"{unit.replace('_', ' ')}  {SUPPRESSED}",
                    ha=ha, va="center", fontsize=8, color="0.3", style="italic",
                    weight="bold")
            y -= slot
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.12, 1.12)
    ax.text(0.05, 1.08, "origins of in-moves", ha="center", fontsize=9)
    ax.text(0.95, 1.08, "destinations of out-moves", ha="center", fontsize=9)
    if len(hidden):
        ax.text(0.5, -0.1, f"moves: {SUPPRESSED} suppressed, not drawn", ha="center",
                fontsize=8, style="italic")
    if title:
        ax.set_title(title)
    return fig


def plot_flow_diagrams(od_table: pd.DataFrame, *, area: str,
                       periods: Sequence[str] | None = None) -> Figure:
    """One flow diagram per period of an origin-destination table, one above the other.

    ``od_table``: ``period, origin, destination, moves`` (the study's released
    ``flows_od``; :func:`cohort.flows.od_matrix`). Each panel is
    :func:`plot_flow_diagram` of :func:`flow_diagram_table` for its period, in
    the order of the table (or ``periods``).
    """
    _need(od_table, ["period", "origin", "destination", "moves"], "plot_flow_diagrams")
    if periods is None:
        periods = list(dict.fromkeys(od_table["period"].astype(str)))
    fig = _figure(9, 4.6 * max(len(periods), 1))
    axes = fig.subplots(max(len(periods), 1), 1, squeeze=False)[:, 0]
    for ax, period in zip(axes, periods, strict=False):
        table = flow_diagram_table(od_table, area=area, period=period)
        plot_flow_diagram(table, area=area, title=f"Moves {period}", ax=ax)
    if not periods:
        axes[0].set_axis_off()
    fig.tight_layout()
    return fig


# -- the decomposition as stacked bars ---------------------------------------------


def decomposition_table(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The table of the decomposition figure.

    From :func:`cohort.flows.decompose`: ``year, component, contribution`` (in
    percentage points) and the ``change`` of the share (percentage points) per
    year, the numbers the stacked bars show. The counts they rest on are
    :func:`cohort.flows.decompose`'s columns; check those before release.
    """
    long = decomposition_long(decomposition)
    long["contribution"] = 100 * long["contribution"]
    change = decomposition.set_index("year")["change"] * 100
    long["change"] = long["year"].map(change).astype("float64")
    return long


def _decomposition_long(table: pd.DataFrame) -> pd.DataFrame:
    """The released ``year, term, estimate`` as ``year, component, contribution, change``.

    The study's ``flows_decomposition`` holds the change as ``term == "change"``.
    """
    d = table.assign(estimate=_floats(table["estimate"]), term=table["term"].astype(str))
    change = d[d["term"] == "change"].set_index("year")["estimate"]
    parts = d[d["term"] != "change"].rename(columns={"term": "component",
                                                     "estimate": "contribution"})
    parts = parts.assign(change=parts["year"].map(change).astype("float64"))
    return parts[["year", "component", "contribution", "change"]]


def plot_decomposition(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Draw the decomposition as stacked bars.

    ``table``: :func:`decomposition_table`'s ``year, component, contribution,
    change``, or the study's released ``flows_decomposition`` (``year, term,
    estimate``, the change as ``term == "change"``), in percentage points.
    Stacked bars of the contributions per year (positive parts stacked up,
    negative parts down) with the total change as a black marker. A suppressed
    part is not drawn (never as a zero): its year is marked ``·`` above the bars.
    """
    if {"term", "estimate"} <= set(table.columns) and "component" not in table.columns:
        _need(table, ["year", "term", "estimate"], "plot_decomposition")
        table = _decomposition_long(table)
    _need(table, ["year", "component", "contribution", "change"], "plot_decomposition")
    fig = _figure(9, 4.2)
    ax = fig.add_subplot()
    years = sorted(int(y) for y in pd.unique(table["year"]))
    x = np.arange(len(years))
    pos, neg = np.zeros(len(years)), np.zeros(len(years))
    missing = np.zeros(len(years), dtype=bool)
    for comp in COMPONENTS:
        part = table[table["component"].astype(str) == comp]
        v = pd.Series(_floats(part["contribution"]), index=part["year"].astype(int).to_numpy())
        v = v.reindex(years).to_numpy(dtype=float)
        present = np.isin(years, part["year"].astype(int).to_numpy())
        missing |= present & np.isnan(v)
        v = np.where(np.isnan(v), 0.0, v)  # not drawn: a zero-height bar
        up, down = np.where(v > 0, v, 0.0), np.where(v < 0, v, 0.0)
        ax.bar(x, up, bottom=pos, color=_COMPONENT_COLOURS[comp], label=comp.replace("_", " "),
               width=0.7)
        ax.bar(x, down, bottom=neg, color=_COMPONENT_COLOURS[comp], width=0.7)
        pos, neg = pos + up, neg + down
    first = table.drop_duplicates("year")
    change = pd.Series(_floats(first["change"]), index=first["year"].astype(int).to_numpy())
    change = change.reindex(years).to_numpy(dtype=float)
    ax.plot(x, change, "kD", ms=5, label="change")
    ax.axhline(0, color="black", lw=0.6)
    finite = [v for v in (*pos, *neg, *change) if np.isfinite(v)]
    lo, hi = (min(0.0, *finite), max(0.0, *finite)) if finite else (-1.0, 1.0)
    pad = 0.1 * (hi - lo or 1.0)
    ax.set_ylim(lo - pad, hi + 2 * pad)
    for xi in x[missing]:
        top = max(pos[xi], change[xi] if np.isfinite(change[xi]) else 0.0)
        ax.text(xi, top + pad / 4, SUPPRESSED, ha="center", va="bottom", fontsize=20,
                weight="bold", color="0.3")
    ax.set_xticks(x, [f"{y}-{(y + 1) % 100:02d}" for y in years], fontsize=8)
    ax.set_ylabel("percentage points")
    ax.set_title(title or "Change in the share of resource-strong adults (25-64), 1 January")
    ax.legend(frameon=False, fontsize=8, ncols=4, loc="upper center",
              bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    return fig
