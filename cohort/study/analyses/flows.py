"""Moving flows of the estate: who moves in and out, from and to where, who stays."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cohort.disclosure import (
    CellRef,
    Counts,
    Curve,
    ModelOutput,
    Relation,
    RestsOn,
    same_cells,
)
from cohort.exceptions import ModelError, StudyFileError
from cohort.flows import ENTRANTS, LEAVERS
from cohort.study.analyses._base import (
    Analysis,
    Context,
    ExtractFacts,
    Param,
    TableOutput,
    left_out,
    ordered,
    year_range,
)
from cohort.study.analyses._base import study_text as _t
from cohort.study.analyses._figures import released_figure

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
        "or self-employed in the labour year before the move's year, at least a youth "
        "education) and by origin or destination, births and deaths in their own columns; "
        "the origin-destination matrix between the estate, the rest of the municipality, the "
        "comparison estates, the rest of the region and country, and abroad; and retention: "
        "how long in-movers stay, by resource status at the in-move (Kaplan-Meier); and the "
        "year-to-year change in the share of resource-strong adults split exactly into "
        "in-moves, out-moves, stayers changing status, ageing, births and deaths."
    )
    params = (
        Param("years", list, [2010, 2019], "first and last calendar year"),
        Param("od_periods", list, [[2010, 2014], [2015, 2019]],
              "periods of the OD matrix and of retention by in-move period"),
        Param("labour_max_lag", int, 1,
              "labour years the resource status may look back (1: the year before the "
              "move's year only)"),
    )

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "flows.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "flows.description")

    def check(self, params: dict[str, Any], *, where: str) -> None:
        year_range(params["years"], where=where)
        for p in params["od_periods"]:
            year_range(p, where=where, name="od_periods")
        if not 1 <= params["labour_max_lag"] <= 10:
            msg = f"{where}: labour_max_lag must be 1 ... 10; got {params['labour_max_lag']}"
            raise StudyFileError(msg)

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        end = facts.extract_end
        last = max([year_range(params["years"], where="flows")[-1],
                    *[p[1] for p in params["od_periods"]]])
        if dt.date(last, 1, 1) > end:
            return [f"years and od_periods reach {last}, after the extract's end "
                    f"({end.isoformat()})"]
        return []

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.flows import (
            ResourceDefinition,
            decompose,
            od_matrix,
            retention_cox,
            retention_data,
            retention_km,
            yearly,
        )

        u = ctx.spec.units
        years = year_range(params["years"], where="flows")
        definition = ResourceDefinition(labour_max_lag=params["labour_max_lag"])
        t = yearly(ctx.extract, area=u.target, years=years, definition=definition)
        status = t[t["breakdown"].isin(["total", "resource_status"])].copy()
        status["group_population"] = status["group_population"].fillna(status["population"])
        status = status[["year", "group", "group_population", "births", "deaths", "in_moves",
                         "out_moves"]].rename(columns={"group_population": "population"})
        counterpart = t[t["breakdown"].isin(["total", "counterpart"])][
            ["year", "group", "in_moves", "out_moves"]
        ]
        periods = {f"{a}-{b}": (a, b) for a, b in params["od_periods"]}
        od = od_matrix(ctx.extract, area=u.target, comparison=list(u.comparison),
                       periods=periods, definition=definition)
        od = (od.groupby(["period", "origin", "destination"], observed=True)["moves"].sum()
              .reset_index())
        tables = {
            "status": _ints(status, ["population", "births", "deaths", "in_moves", "out_moves"]),
            "counterpart": _ints(counterpart, ["in_moves", "out_moves"]),
            "od": od[od["moves"] > 0].reset_index(drop=True),
            "od_units": _od_units(ctx, u),
        }
        # the decomposition needs 1 January of the next year inside the data
        end = ctx.extract.extract_end
        dec_years = [y for y in years if dt.date(y + 1, 1, 1) <= end]
        if dec_years:
            tables.update(_decomposition(decompose(ctx.extract, area=u.target, years=dec_years,
                                                   definition=definition)))
        # retention inside the window: in-moves before its first day enter late (left
        # truncation); by status only where the labour register shows the status at
        # the in-move
        every = retention_data(ctx.extract, area=u.target, definition=definition,
                               window_start=dt.date(years[0], 1, 1), periods=periods)
        data = every[every["status_observed"]]
        curves = retention_km(data).tidy()
        adults = data[data["resource_status"] != "not_adult"]
        tables["retention_cox_support"] = (
            adults.groupby("resource_status", observed=True)
            .agg(n_persons=("pid", "nunique"), n_events=("event", "sum")).reset_index()
        )
        if adults["event"].sum() > 0 and adults["resource_status"].nunique() == 2:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # a small extract may not converge
                    hr = retention_cox(data).tidy(exponentiate=True)
            except ModelError as err:  # the curves are released without it
                left_out(tables, f"the retention Cox model: {err}")
            else:
                tables["retention_cox"] = hr[[c for c in _TIDY if c in hr.columns]
                                             ].reset_index(drop=True)
        cols = ["time", "n_risk", "n_event", "estimate", "conf_low", "conf_high"]
        for s in ("resource_strong", "not_resource_strong"):
            c = curves[curves["resource_status"] == s]
            tables[f"retention_{s}"] = c[cols].reset_index(drop=True)
        # retention by in-move period (every in-mover, whatever the status)
        by_period = every[every["period"].notna()]
        if len(by_period) and by_period["event"].sum() > 0:
            pc = retention_km(by_period, by="period").tidy()
            for name in periods:
                c = pc[pc["period"] == name]
                if len(c):
                    tables[_period_table(name)] = c[cols].reset_index(drop=True)
        return tables

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        spec = ctx.spec
        target = spec.units.target
        period_curves = [
            TableOutput(_period_table(name), _t(spec, "flows.retention_period.title",
                                                period=name),
                        _with_steps(tables[_period_table(name)], spec.disclosure), Curve(),
                        caption=_t(spec, "flows.retention_period.caption"))
            for name in (f"{a}-{b}" for a, b in params["od_periods"])
            if _period_table(name) in tables]
        flows_figure = released_figure(ctx, lambda released, _o: _plot_rates(released))
        retention_figure = released_figure(ctx, lambda _r, others: _plot_retention(others,
                                                                                   spec))
        sankey = released_figure(ctx, lambda released, _o: _plot_sankey(released, area=target,
                                                                        spec=spec))

        status = ordered(tables["status"], "group", [*_STATUSES, "all"])
        counterpart = ordered(tables["counterpart"], "group", [*_COUNTERPARTS, "all"])
        od = tables["od"]
        years = set(status["year"])
        periods = {f"{a}-{b}": range(a, b + 1) for a, b in params["od_periods"]
                   if set(range(a, b + 1)) <= years}
        od_rel = _od_relations(od, tables["od_units"], target, periods)
        outputs = [
            TableOutput(
                "flows_by_status", _t(spec, "flows.status.title"),
                status,
                Counts(count_cols=("population", "births", "deaths", "in_moves", "out_moves"),
                       by=("year", "group"), totals={"group": {"all": _STATUSES}},
                       separate=("year",), relations=_balance(years)),
                figure=flows_figure,
                caption=_t(spec, "flows.status.caption"),
            ),
            TableOutput(
                "flows_by_origin", _t(spec, "flows.origin.title"),
                counterpart,
                Counts(count_cols=("in_moves", "out_moves"), by=("year", "group"),
                       totals={"group": {"all": _COUNTERPARTS}}, separate=("year",),
                       # its 'all' rows are those of flows_by_status
                       relations=same_cells(counterpart[counterpart["group"] == "all"],
                                            table="flows_by_origin", other="flows_by_status",
                                            keys=["year", "group"],
                                            columns=["in_moves", "out_moves"])),
            ),
            TableOutput(
                "flows_od", _t(spec, "flows.od.title"), od,
                Counts(count_cols=("moves",), by=("period", "origin", "destination"),
                       separate=("period",), relations=od_rel),
                figure=sankey,
                caption=_t(spec, "flows.od.caption"),
            ),
        ]
        if "decomposition" in tables:
            outputs += _decomposition_outputs(tables, years, ctx)
        if "retention_cox" in tables:
            outputs.append(TableOutput(
                "retention_cox", _t(spec, "flows.cox.title"),
                tables["retention_cox"],
                ModelOutput(support=tables["retention_cox_support"], persons="n_persons",
                            events="n_events", complement=False),
                caption=_t(spec, "flows.cox.caption"),
            ))
        outputs += [
            TableOutput("retention_not_resource_strong", _t(spec, "flows.retention_not.title"),
                        _with_steps(tables["retention_not_resource_strong"], spec.disclosure),
                        Curve()),
            TableOutput("retention_resource_strong", _t(spec, "flows.retention_strong.title"),
                        _with_steps(tables["retention_resource_strong"], spec.disclosure),
                        Curve(),
                        figure=retention_figure,
                        caption=_t(spec, "flows.retention.caption")),
            *period_curves,
        ]
        return outputs


def _with_steps(curve: pd.DataFrame, settings: Any) -> pd.DataFrame:
    """The curve, or no rows when disclosure control would leave it no step.

    A curve pooled flat to its start is a column of 1s: nothing to read, and a
    release check cannot tell it from small counts. Released empty, its figure
    names it as suppressed.
    """
    from cohort.disclosure import km_release

    if not getattr(settings, "enabled", True) or not len(curve):
        return curve
    shown = km_release(curve, threshold=settings.threshold, keep=()).frame
    return curve if bool((shown["estimate"] < 1).any()) else curve.iloc[0:0]


def _period_table(name: str) -> str:
    """The released table of the retention curve of in-moves in a period."""
    return "retention_period_" + name.replace("-", "_")


def _balance(years: set[int]) -> tuple[Relation, ...]:
    """The population on 1 January of the next year, by the year's flows (exact).

    Every change of who lives in the area is an in- or out-move (births and deaths
    among them), so population(Y + 1) + deaths + out-moves = population(Y) +
    births + in-moves, for all residents (not per status: the status changes).
    """
    def cell(y: int, col: str) -> CellRef:
        return CellRef("flows_by_status", {"year": y, "group": "all"}, col)

    return tuple(
        Relation([cell(y + 1, "population"), cell(y, "deaths"), cell(y, "out_moves")],
                 [cell(y, "population"), cell(y, "births"), cell(y, "in_moves")])
        for y in sorted(years) if y + 1 in years
    )


def _od_units(ctx: Context, u) -> pd.DataFrame:
    """Which counterpart of the target each unit of the OD matrix is (definitions §4)."""
    inside = {r[0] for r in ctx.extract.con.execute(
        "SELECT DISTINCT area FROM addresses WHERE area IS NOT NULL AND municipality IN "
        "(SELECT municipality FROM addresses WHERE area = ?)", [u.target]).fetchall()}
    rows = [{"unit": "rest_of_municipality", "counterpart": "same_municipality"},
            {"unit": "rest_of_region", "counterpart": "other_municipality"},
            {"unit": "rest_of_country", "counterpart": "other_municipality"},
            {"unit": "abroad", "counterpart": "abroad"}]
    rows += [{"unit": c, "counterpart": "same_municipality" if c in inside
              else "other_municipality"} for c in u.comparison]
    return pd.DataFrame(rows)


def _od_relations(od: pd.DataFrame, units: pd.DataFrame, target: str,
                  periods: Mapping[str, range]) -> tuple[Relation, ...]:
    """A period's moves of the estate in the OD matrix are the sum of its yearly moves.

    Per period fully inside the yearly tables: moves out to (and in from) each
    counterpart are those of flows_by_origin over the years, deaths and births
    those of flows_by_status. A cell the matrix leaves out is a zero and not
    written, so the relation sums only the cells it has.
    """
    out = []
    have = {tuple(r) for r in od[["period", "origin", "destination"]].itertuples(
        index=False, name=None)}
    sides = [("out_moves", "destination"), ("in_moves", "origin")]
    groups = units.groupby("counterpart", sort=False)["unit"].apply(list).to_dict()
    for period, years in periods.items():
        for col, side in sides:
            def cells(others: list[str], period: str = period, side: str = side) -> list:
                keys = [(period, target, o) if side == "destination" else (period, o, target)
                        for o in others]
                return [CellRef("flows_od", {"period": k[0], "origin": k[1],
                                             "destination": k[2]}, "moves")
                        for k in keys if k in have]
            for group, members in groups.items():
                yearly = [CellRef("flows_by_origin", {"year": y, "group": group}, col)
                          for y in years]
                out.append((yearly, cells(members)))
            extra, own = ("deaths", "death") if side == "destination" else ("births", "birth")
            out.append(([CellRef("flows_by_status", {"year": y, "group": "all"}, extra)
                         for y in years], cells([own])))
    return tuple(Relation(left, right) for left, right in out if right)


def _decomposition_outputs(tables: Mapping[str, pd.DataFrame], years: set[int],
                           ctx: Context | None = None) -> list[TableOutput]:
    """The decomposition's terms, with the counts they reveal declared first.

    A term ``(r - S0 n) / N1`` with its published ``S0`` and ``N1`` gives its
    class's persons ``n`` and resource-strong ``r`` back (they are whole
    numbers), so the classes are declared as counts of the release, related to
    the population on 1 January in flows_by_status: a blanked class stays
    protected against every other term and table, and a term resting on a hidden
    class is withheld.
    """
    classes, status = tables["decomposition_classes"], tables["decomposition_status"]
    spec = ctx.spec if ctx is not None else None
    draw = lambda released, _o: _plot_decomposition(released, spec)  # noqa: E731
    rels = []
    for y in sorted(set(classes["year"])):
        cls = lambda c, col, y=y: CellRef("flows_decomposition_classes",  # noqa: E731
                                          {"year": y, "class": c}, col)
        rels.append(Relation(cls("start", "persons"), [cls(c, "persons") for c in
                                                       ("stayers_start", *LEAVERS)]))
        rels.append(Relation(cls("end", "persons"), [cls(c, "persons") for c in
                                                     ("stayers_end", *ENTRANTS)]))
        rels.append(Relation(cls("stayers_start", "persons"), [cls("stayers_end", "persons")]))
        st = lambda d, y=y: CellRef("flows_decomposition_status",  # noqa: E731
                                    {"year": y, "direction": d}, "persons")
        # movers count by their status at the move, and the status changes in the area
        # (stayers, and movers between the move and 1 January) close the balance:
        # strong at the end + lost + strong leavers = at the start + gained + strong entrants
        rels.append(Relation([cls("end", "strong"), st("lost"),
                              *[cls(c, "strong") for c in LEAVERS]],
                             [cls("start", "strong"), st("gained"),
                              *[cls(c, "strong") for c in ENTRANTS]]))
        for end, yy in (("start", y), ("end", y + 1)):
            if yy not in years:
                continue
            fbs = lambda g, yy=yy: CellRef("flows_by_status",  # noqa: E731
                                           {"year": yy, "group": g}, "population")
            rels.append(Relation(cls(end, "persons"), [fbs("resource_strong"),
                                                       fbs("not_resource_strong")]))
            rels.append(Relation(cls(end, "strong"), [fbs("resource_strong")]))
    terms = tables["decomposition"]
    rests = []
    for r in terms[["year", "term"]].itertuples(index=False):
        if r.term == "change":
            own = ["start", "end"]
        elif r.term == "status_change":
            own = ["end"]
        else:
            own = [r.term, "start", "end"]
        rests += [{"year": r.year, "term": r.term, "class": c} for c in own]
    on_status = pd.DataFrame([{"year": y, "term": "status_change", "direction": d}
                              for y in sorted(set(classes["year"]))
                              for d in ("gained", "lost")])
    share = Counts(count_cols=("persons", "strong"), by=("year", "class"),
                   shares={"share": ("strong", "persons")}, separate=("year",),
                   relations=tuple(rels))
    return [
        TableOutput("flows_decomposition_classes", "", classes, share, written=False),
        TableOutput("flows_decomposition_status", "", status,
                    Counts(count_cols=("persons",), by=("year", "direction"),
                           separate=("year",)), written=False),
        TableOutput(
            "flows_decomposition",
            _t(spec, "flows.decomposition.title"),
            terms,
            ModelOutput(on=("year", "term"), rests_on=(
                RestsOn("flows_decomposition_classes", cells=pd.DataFrame(rests)),
                RestsOn("flows_decomposition_status", cells=on_status))),
            figure=(released_figure(ctx, draw) if ctx is not None else draw),
            caption=_t(spec, "flows.decomposition.caption"),
        ),
    ]


def _decomposition(d: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The decomposition in percentage points, and the counts its terms rest on.

    ``decomposition_classes``: per year the adults and resource-strong adults on
    1 January (``start``) and a year later (``end``), the stayers at both ends,
    and each class of entrants and leavers (movers by their status at the move);
    ``decomposition_status``: the persons who gained and who lost the status while
    living in the area (stayers, and movers between the move and 1 January).
    """
    from cohort.flows import COMPONENTS

    rows, classes, status = [], [], []
    for r in d.itertuples(index=False):
        year = int(r.year)
        for comp in COMPONENTS:
            rows.append({"year": year, "term": comp,
                         "estimate": 100 * float(getattr(r, f"contribution_{comp}"))})
        rows.append({"year": year, "term": "change", "estimate": 100 * float(r.change)})
        counts = {"start": (r.adults_start, r.strong_start), "end": (r.adults_end, r.strong_end),
                  "stayers_start": (r.stayers, r.stayers_strong_start),
                  "stayers_end": (r.stayers, r.stayers_strong_end)}
        counts |= {c: (getattr(r, c), getattr(r, f"{c}_strong")) for c in (*ENTRANTS,
                                                                              *LEAVERS)}
        for c, (n, k) in counts.items():
            classes.append({"year": year, "class": c, "persons": int(n), "strong": int(k)})
        status += [{"year": year, "direction": "gained", "persons": int(r.status_gained)},
                   {"year": year, "direction": "lost", "persons": int(r.status_lost)}]
    cls = pd.DataFrame(classes)
    cls["share"] = cls["strong"] / cls["persons"].where(cls["persons"] > 0)
    return {"decomposition": pd.DataFrame(rows), "decomposition_classes": cls,
            "decomposition_status": pd.DataFrame(status)}


def _plot_decomposition(released: pd.DataFrame, spec: Any = None):
    from cohort.flows import plot_decomposition

    return plot_decomposition(released, title=_t(spec, "flows.fig.decomposition"))


def _plot_sankey(released: pd.DataFrame, *, area: str, spec: Any = None):
    """The flow diagrams with the units by their display names (the table keeps codes)."""
    from cohort.flows import plot_flow_diagrams
    from cohort.report._text import unit_label

    language = getattr(spec, "language", "en")
    units = getattr(spec, "units", None)
    names = {c: unit_label(c, language, units)
             for c in {*released["origin"].astype(str), *released["destination"].astype(str)}}
    shown = released.assign(origin=released["origin"].astype(str).map(names),
                            destination=released["destination"].astype(str).map(names))
    return plot_flow_diagrams(shown, area=names.get(area, unit_label(area, language, units)))


def _ints(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = out[c].fillna(0).astype("int64")
    out["group"] = out["group"].astype(str)
    return out.reset_index(drop=True)


def _plot_rates(released: pd.DataFrame):
    from cohort.flows import plot_flow_rates

    return plot_flow_rates(released, statuses=_STATUSES)


_RETENTION_LABELS = {"resource_strong": "flows.fig.strong",
                     "not_resource_strong": "flows.fig.not_strong"}
_RETENTION_COLOURS = {"resource_strong": "#1b7837", "not_resource_strong": "#762a83"}


def _plot_retention(released: Mapping[str, pd.DataFrame], spec: Any = None):
    """Both released retention curves on one plot (no risk table is released with them)."""
    from cohort.survival import plot_km

    curves = {s: released[f"retention_{s}"] for s in _RETENTION_LABELS
              if f"retention_{s}" in released}
    labels = {s: _t(spec, key) for s, key in _RETENTION_LABELS.items()}
    return plot_km(curves, labels=labels, colours=_RETENTION_COLOURS, percent=True,
                   xlabel=_t(spec, "flows.fig.retention_x"),
                   ylabel=_t(spec, "flows.fig.retention_y"),
                   title=_t(spec, "flows.fig.retention_title"))
