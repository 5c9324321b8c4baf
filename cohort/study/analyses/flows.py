"""Moving flows of the estate: who moves in and out, from and to where, who stays."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort.study.analyses._base import Analysis, Context, Param, TableOutput, year_range

__all__ = ["Flows"]

_TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
_STATUSES = ["resource_strong", "not_resource_strong", "not_adult"]
_COUNTERPARTS = ["same_municipality", "other_municipality", "abroad"]


class Flows(Analysis):
    """definitions §4: yearly flows by resource status, origins and destinations, retention."""

    key = "flows"
    title = "Moving flows of resource-strong residents"
    description = (
        "Moves into and out of the estate per calendar year (definitions §4): the population "
        "on 1 January, in- and out-moves by resource status at the move (aged 25-64, employed "
        "or self-employed in the latest labour year before the move, at least a youth "
        "education) and by origin or destination, births and deaths in their own columns; "
        "the origin-destination matrix between the estate, the rest of the municipality, the "
        "comparison estates, the rest of the region and country, and abroad; and retention: "
        "how long in-movers stay, by resource status at the in-move (Kaplan-Meier); and the "
        "year-to-year change in the share of resource-strong adults split exactly into "
        "in-moves, out-moves, stayers changing status, ageing, births and deaths."
    )
    params = (
        Param("years", list, [2010, 2019], "first and last calendar year"),
        Param("od_periods", list, [[2010, 2014], [2015, 2019]], "periods of the OD matrix"),
    )

    def check(self, params: dict[str, Any], *, where: str) -> None:
        year_range(params["years"], where=where)
        for p in params["od_periods"]:
            year_range(p, where=where, name="od_periods")

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.flows import (
            decompose,
            od_matrix,
            retention_cox,
            retention_data,
            retention_km,
            yearly,
        )

        u = ctx.spec.units
        years = year_range(params["years"], where="flows")
        t = yearly(ctx.extract, area=u.target, years=years)
        status = t[t["breakdown"].isin(["total", "resource_status"])].copy()
        status["group_population"] = status["group_population"].fillna(status["population"])
        status = status[["year", "group", "group_population", "births", "deaths", "in_moves",
                         "out_moves"]].rename(columns={"group_population": "population"})
        counterpart = t[t["breakdown"].isin(["total", "counterpart"])][
            ["year", "group", "in_moves", "out_moves"]
        ]
        periods = {f"{a}-{b}": (a, b) for a, b in params["od_periods"]}
        od = od_matrix(ctx.extract, area=u.target, comparison=list(u.comparison),
                       periods=periods)
        od = (od.groupby(["period", "origin", "destination"], observed=True)["moves"].sum()
              .reset_index())
        tables = {
            "status": _ints(status, ["population", "births", "deaths", "in_moves", "out_moves"]),
            "counterpart": _ints(counterpart, ["in_moves", "out_moves"]),
            "od": od[od["moves"] > 0].reset_index(drop=True),
        }
        # the decomposition needs 1 January of the next year inside the data
        end = ctx.extract.extract_end
        dec_years = [y for y in years if dt.date(y + 1, 1, 1) <= end]
        if dec_years:
            tables.update(_decomposition(decompose(ctx.extract, area=u.target, years=dec_years)))
        data = retention_data(ctx.extract, area=u.target)
        curves = retention_km(data).tidy()
        adults = data[data["resource_status"] != "not_adult"]
        tables["retention_cox_support"] = (
            adults.groupby("resource_status", observed=True)
            .agg(n_persons=("pid", "nunique"), n_events=("event", "sum")).reset_index()
        )
        if adults["event"].sum() > 0 and adults["resource_status"].nunique() == 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a small extract may not converge cleanly
                hr = retention_cox(data).tidy(exponentiate=True)
            tables["retention_cox"] = hr[[c for c in _TIDY if c in hr.columns]].reset_index(
                drop=True)
        for s in ("resource_strong", "not_resource_strong"):
            c = curves[curves["resource_status"] == s]
            tables[f"retention_{s}"] = c[
                ["time", "n_risk", "n_event", "estimate", "conf_low", "conf_high"]
            ].reset_index(drop=True)
        return tables

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        def flows_figure(released: pd.DataFrame, _o: Mapping[str, pd.DataFrame]):
            return _plot_rates(released)

        def retention_figure(_r: pd.DataFrame, others: Mapping[str, pd.DataFrame]):
            return _plot_retention(others)

        target = ctx.spec.units.target

        def sankey(released: pd.DataFrame, _o: Mapping[str, pd.DataFrame]):
            return _plot_sankey(released, area=target)

        return [
            TableOutput(
                "flows_by_status", "Population, births, deaths and moves by resource status",
                tables["status"],
                {"count_cols": ["population", "births", "deaths", "in_moves", "out_moves"],
                 "by": ["year", "group"],
                 "totals": {"group": {"all": _STATUSES}}, "separate": ["year"]},
                figure=flows_figure,
                caption="Moves per 1,000 residents of each group on 1 January; resource "
                "status at the move. Suppressed cells are not drawn.",
            ),
            TableOutput(
                "flows_by_origin", "In-moves by origin and out-moves by destination",
                tables["counterpart"],
                {"count_cols": ["in_moves", "out_moves"], "by": ["year", "group"],
                 "totals": {"group": {"all": _COUNTERPARTS}}, "separate": ["year"]},
            ),
            TableOutput(
                "flows_od", "Origin-destination matrix of moves", tables["od"],
                {"count_cols": ["moves"], "by": ["period", "origin", "destination"],
                 "separate": ["period"]},
                figure=sankey,
                caption="Moves into and out of the estate between the study's units: origins "
                "of in-moves on the left, destinations of out-moves on the right, band widths "
                "proportional to moves; suppressed cells are not drawn.",
            ),
            *([TableOutput(
                "flows_decomposition",
                "Change in the share of resource-strong adults, and where it came from",
                tables["decomposition"],
                {"kind": "model", "support": tables["decomposition_support"],
                 "persons": "n_persons", "on": ["year", "term"], "additive": ["year"]},
                figure=lambda released, _o: _plot_decomposition(released),
                caption="The change from 1 January to 1 January of the next year in the "
                "estate's share of resource-strong adults (25-64), in percentage points "
                "(term 'change'), split exactly into the parts that add up to it. A part "
                "resting on fewer persons than the threshold is blanked, and then one more "
                "part of that year, so it cannot be recovered from the total.",
            )] if "decomposition" in tables else []),
            *([TableOutput(
                "retention_cox", "Retention: hazard ratio of moving out (Cox)",
                tables["retention_cox"],
                {"kind": "model", "support": tables["retention_cox_support"],
                 "persons": "n_persons", "events": "n_events"},
                caption="Hazard ratio of moving out of the estate, resource-strong against "
                "not resource-strong adults at the in-move (Cox; episodes of one person "
                "clustered).",
            )] if "retention_cox" in tables else []),
            TableOutput("retention_not_resource_strong", "Retention: not resource-strong",
                        tables["retention_not_resource_strong"], {"kind": "km"}),
            TableOutput("retention_resource_strong", "Retention: resource-strong",
                        tables["retention_resource_strong"], {"kind": "km"},
                        figure=retention_figure,
                        caption="Share of in-movers still living in the estate by years since "
                        "they moved in, by resource status at the in-move (Kaplan-Meier; "
                        "censored at death and the end of the data)."),
        ]


def _decomposition(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The decomposition in percentage points, and the persons each part rests on.

    A part rests on its class's persons, the resource-strong among them and the
    rest (a class of 3 in-movers tells their status mix); the change on the
    adults and resource-strong adults at both ends; the stayers' status change
    on those who gained and those who lost it. ``n_persons`` is the smallest of
    these counts that is not zero (zero persons is no person's value).
    """
    from cohort.flows import COMPONENTS

    def smallest(*counts) -> int:
        pos = [int(c) for c in counts if int(c) >= 1]
        return min(pos) if pos else 10**9

    rows, support = [], []
    for r in d.itertuples(index=False):
        year = int(r.year)
        for comp in COMPONENTS:
            rows.append({"year": year, "term": comp,
                         "estimate": 100 * float(getattr(r, f"contribution_{comp}"))})
            if comp == "status_change":
                n = smallest(r.status_gained, r.status_lost)
            else:
                total, strong = getattr(r, comp), getattr(r, f"{comp}_strong")
                n = smallest(total, strong, total - strong)
            support.append({"year": year, "term": comp, "n_persons": n})
        rows.append({"year": year, "term": "change", "estimate": 100 * float(r.change)})
        support.append({"year": year, "term": "change", "n_persons": smallest(
            r.adults_start, r.strong_start, r.adults_start - r.strong_start,
            r.adults_end, r.strong_end, r.adults_end - r.strong_end)})
    return {"decomposition": pd.DataFrame(rows),
            "decomposition_support": pd.DataFrame(support)}


def _plot_decomposition(released: pd.DataFrame):
    from cohort.flows.plots import plot_decomposition

    d = released.copy()
    d["estimate"] = d["estimate"].astype(float)
    change = d[d["term"] == "change"].set_index("year")["estimate"]
    parts = d[d["term"] != "change"].rename(columns={"term": "component",
                                                     "estimate": "contribution"})
    parts["change"] = parts["year"].map(change)
    return plot_decomposition(parts[["year", "component", "contribution", "change"]],
                              title="Change in the share of resource-strong adults")


def _plot_sankey(released: pd.DataFrame, *, area: str):
    from matplotlib.figure import Figure

    from cohort.flows.plots import flow_diagram_table, plot_flow_diagram

    periods = list(dict.fromkeys(released["period"].astype(str)))
    fig = Figure(figsize=(9, 4.6 * max(len(periods), 1)))
    axes = fig.subplots(max(len(periods), 1), 1, squeeze=False)[:, 0]
    for ax, period in zip(axes, periods, strict=False):
        table = flow_diagram_table(released, area=area, period=period)
        plot_flow_diagram(table, area=area, title=f"Moves {period}", ax=ax)
    fig.tight_layout()
    return fig


def _ints(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = out[c].fillna(0).astype("int64")
    out["group"] = out["group"].astype(str)
    return out.reset_index(drop=True)


def _plot_rates(released: pd.DataFrame):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    colours = {"resource_strong": "#1b7837", "not_resource_strong": "#762a83",
               "not_adult": "#999999"}
    for ax, col, title in ((axes[0], "in_moves", "moving in"), (axes[1], "out_moves",
                                                                 "moving out")):
        for g in _STATUSES:
            part = released[released["group"] == g].sort_values("year")
            rate = 1000 * part[col].astype(float) / part["population"].astype(float)
            ax.plot(part["year"], rate, marker="o", color=colours[g], label=g.replace("_", " "))
        ax.set_title(f"Residents {title}")
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("moves per 1,000 of the group on 1 January")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _plot_retention(released: Mapping[str, pd.DataFrame]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, colour in (("retention_resource_strong", "#1b7837"),
                         ("retention_not_resource_strong", "#762a83")):
        c = released.get(name)
        if c is None or c.empty:
            continue
        t = np.r_[0.0, c["time"].to_numpy(float)]
        y = np.r_[1.0, c["estimate"].to_numpy(float)]
        ax.step(t, 100 * y, where="post", color=colour,
                label=name.removeprefix("retention_").replace("_", " "))
    ax.set_xlabel("years since moving in")
    ax.set_ylabel("still living in the estate (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
