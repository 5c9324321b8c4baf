"""The strategy's four goals from its baseline year (definitions §7, docs/indicators.md).

For each goal, its effect indicators for the target area, its district, the
municipality and the comparison areas pooled, year by year,
with the baseline year's share and the change since it (``goals.csv``), drawn as
the goal dashboard: per goal, its indicators for the target, the district, the
municipality and the pooled comparison areas, with the baseline year marked.

Every row has the indicators' format: ``numerator``, ``denominator``, ``share``.
Goals 1, 2 and 4 are indicators of :mod:`cohort.indicators`; goal 3 (the area
attracts and keeps resource-strong residents) is read from the moves
(:mod:`cohort.flows`), with resource status as there (at the move for moves, on
1 January for residents; the labour status of the year before the date's year,
looking back at most ``labour_max_lag`` years, default 1):

- ``resource_strong_share``: resource-strong adults among the adults living in the
  unit on 1 January;
- ``resource_strong_in_moves`` / ``resource_strong_out_moves``: resource-strong
  persons among the adults moving in / out during the year; the column ``net`` of
  both rows is resource-strong in-moves minus out-moves (the goal's "net moves"),
  computed from the two released numerators;
- ``resource_strong_retention``: of the resource-strong adults who moved in during
  the year and whose next ``retention_years`` are observed, those still living in
  the unit ``retention_years`` after the move (a move out within the time ends it;
  death, emigration or the end of the data before it leave the person out).

The baseline share and the change are computed from the table as released, so
they show nothing its cells do not; the cells repeat cells of ``indicators_series``
and ``flows_by_status`` where those are released, and are declared so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort.disclosure import CellRef, Counts, Relation
from cohort.exceptions import StudyFileError
from cohort.study.analyses._base import (
    Analysis,
    Context,
    ExtractFacts,
    Param,
    TableOutput,
    ordered,
    year_range,
)
from cohort.study.analyses._base import study_text as _t
from cohort.study.analyses._figures import released_figure

__all__ = ["COMPARISON", "GOALS", "Goals", "MOVE_INDICATORS"]

#: The goals and their effect indicators, in the strategy's order (definitions §7).
GOALS: dict[int, tuple[str, ...]] = {
    1: ("youth_education_15m", "exam_grades", "school_absence", "placements"),
    2: ("youth_public_support", "not_in_education_or_work"),
    3: ("resource_strong_share", "resource_strong_in_moves", "resource_strong_out_moves",
        "resource_strong_retention"),
    4: ("youth_convictions",),
}
#: Goal 3's indicators, read from the moves.
MOVE_INDICATORS = GOALS[3]
#: The unit label of the comparison areas pooled.
COMPARISON = "comparison"

_COLUMNS = ["goal", "indicator", "unit", "year", "period", "numerator", "denominator", "share"]


def move_indicator_label(key: str, retention_years: int = 2) -> str:
    """A readable title for one of goal 3's indicators."""
    return {
        "resource_strong_share": "Resource-strong adults among adult residents (1 January)",
        "resource_strong_in_moves": "Resource-strong among adult in-movers",
        "resource_strong_out_moves": "Resource-strong among adult out-movers",
        "resource_strong_retention": (f"Resource-strong in-movers still living there "
                                      f"{retention_years} years later"),
    }[key]


class Goals(Analysis):
    """definitions.md §7: the four goals' indicators from the baseline year."""

    key = "goals"
    title = "The strategy's four goals"  # the report's heading and prose: the catalog
    params = (
        Param("years", list, [2014, 2019], "first and last year"),
        Param("baseline_year", int, 2018, "the strategy's baseline ('nulpunkt')"),
        Param("goals", list, [1, 2, 3, 4], "the goals to report"),
        Param("retention_years", int, 2, "years after the in-move for goal 3's retention"),
        Param("labour_max_lag", int, 1, "labour years goal 3's resource status may look back"),
    )

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:  # noqa: ARG002
        return _t(spec, "goals.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        u = spec.units
        names = [u.name(x) for x in _main_units(u) if x != COMPARISON]
        if u.comparison:
            names.append(_t(spec, "goals.the_comparison"))
        return _t(spec, "goals.description", units=", ".join(names),
                  baseline=params["baseline_year"])

    def check(self, params: dict[str, Any], *, where: str) -> None:
        years = year_range(params["years"], where=where)
        if params["baseline_year"] not in years:
            msg = (f"{where}: baseline_year must lie in years {params['years']}; "
                   f"got {params['baseline_year']}")
            raise StudyFileError(msg)
        goals = params["goals"]
        if (not goals or len(set(goals)) != len(goals)
                or not all(isinstance(g, int) and not isinstance(g, bool) and g in GOALS
                           for g in goals)):
            msg = f"{where}: goals must be distinct goal numbers of {sorted(GOALS)}; got {goals!r}"
            raise StudyFileError(msg)
        if not 1 <= params["retention_years"] <= 10:
            msg = f"{where}: retention_years must be 1 ... 10; got {params['retention_years']}"
            raise StudyFileError(msg)
        if not 1 <= params["labour_max_lag"] <= 10:
            msg = f"{where}: labour_max_lag must be 1 ... 10; got {params['labour_max_lag']}"
            raise StudyFileError(msg)

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        problems = []
        last = year_range(params["years"], where="goals")[-1]
        if dt.date(last, 1, 1) > facts.extract_end:
            problems.append(f"years end in {last}, after the extract's end "
                            f"({facts.extract_end.isoformat()})")
        if dt.date(params["baseline_year"], 1, 1) > facts.extract_end:
            problems.append(f"baseline_year {params['baseline_year']} is after the extract's "
                            f"end ({facts.extract_end.isoformat()})")
        return problems

    # -- the heavy half ---------------------------------------------------------------
    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        u = ctx.spec.units
        units = _units(u)
        years = year_range(params["years"], where="goals")
        wanted = [k for g in params["goals"] for k in GOALS[g]]
        frames = []
        register = [k for k in wanted if k not in MOVE_INDICATORS]
        if register:
            from cohort.indicators import social_balance_series

            s = social_balance_series(ctx.extract, units=units, years=years,
                                      indicators=register)
            frames.append(s[_COLUMNS[1:-1]])
        moving = [k for k in wanted if k in MOVE_INDICATORS]
        if moving:
            frames.append(_moves(ctx.extract, units, years, moving, params["retention_years"],
                                 params["labour_max_lag"]))
        rows = pd.concat(frames, ignore_index=True)
        goal_of = {k: g for g, ks in GOALS.items() for k in ks}
        rows.insert(0, "goal", rows["indicator"].map(goal_of).astype("int64"))
        rows = _pooled(rows, [f"area:{a}" for a in u.comparison])
        # the comparison areas are released pooled only: one area's rows would add
        # little to the goals and much to protect (the areas are small)
        rows = rows[rows["unit"].isin(_main_units(u))]
        rows["share"] = rows["numerator"] / rows["denominator"].where(rows["denominator"] > 0)
        return {"goals": rows[_COLUMNS].reset_index(drop=True)}

    # -- the cheap half ---------------------------------------------------------------
    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        u = ctx.spec.units
        baseline = params["baseline_year"]
        goals = tables["goals"]
        order = [k for g in sorted(GOALS) for k in GOALS[g]]
        goals = ordered(ordered(goals, "indicator", order), "unit", _main_units(u))
        keys = ("goal", "indicator", "unit", "year", "period")
        counts = Counts(
            count_cols=("numerator", "denominator"), by=keys,
            shares={"share": ("numerator", "denominator")},
            separate=("goal", "indicator", "year", "period"),
            relations=_relations(goals, ctx),
            derived={"baseline_year": lambda df: _baseline(df, baseline)[0],
                     "baseline_share": lambda df: _baseline(df, baseline)[1],
                     "change": lambda df: _baseline(df, baseline)[2],
                     "net": _net},
        )
        spec = ctx.spec
        labels = {x: u.name(x) for x in _main_units(u) if x != COMPARISON}
        labels[COMPARISON] = _t(spec, "unit.comparison")
        retention = params["retention_years"]
        language = getattr(spec, "language", "en")

        def figure(released: pd.DataFrame, _others: Mapping[str, pd.DataFrame]):
            from cohort.indicators import plot_goals

            return plot_goals(released, unit_labels=labels, baseline_year=baseline,
                              goal_labels={g: _t(spec, f"goal.{g}") for g in GOALS},
                              indicator_labels=_indicator_labels(retention, language),
                              ylabel=_t(spec, "fig.share_percent"),
                              baseline_label=_t(spec, "goal.baseline"),
                              no_values=_t(spec, "goals.no_values"))

        return [
            TableOutput(
                "goals", _t(spec, "goals.table"), goals, counts,
                figure=released_figure(ctx, figure),
                caption=_t(spec, "goals.caption", baseline=baseline),
            ),
        ]


def _main_units(u) -> list[str]:
    main = [u.target_unit]
    if u.district_unit:
        main.append(u.district_unit)
    main.append(u.municipality_unit)
    if u.comparison:
        main.append(COMPARISON)
    return main


def _units(u) -> list[str]:
    out = [u.target_unit]
    if u.district_unit:
        out.append(u.district_unit)
    return [*out, u.municipality_unit, *[f"area:{a}" for a in u.comparison]]


def _indicator_labels(retention_years: int, language: str = "en") -> dict[str, str]:
    from cohort.report._text import indicator_title

    labels = {k: indicator_title(k, language) for g in (1, 2, 4) for k in GOALS[g]}
    if language == "en":
        labels.update({k: move_indicator_label(k, retention_years) for k in MOVE_INDICATORS})
    else:
        from cohort.indicators._names import INDICATOR_NAMES

        labels.update({k: INDICATOR_NAMES[language].get(k, k) for k in MOVE_INDICATORS})
    return labels


def _moves(extract: Any, units: list[str], years: list[int], wanted: list[str],
           retention_years: int, labour_max_lag: int = 1) -> pd.DataFrame:
    """Goal 3's rows for every unit and year (definitions §7)."""
    from cohort.flows import ResourceDefinition, yearly

    end = extract.extract_end
    definition = ResourceDefinition(labour_max_lag=labour_max_lag)
    t = yearly(extract, area=units, years=years, definition=definition)
    t = t[t["breakdown"] == "resource_status"].copy()
    t["unit"] = [a if ":" in str(a) else f"area:{a}" for a in t["area"]]
    adult = t[t["group"] != "not_adult"]
    strong = adult[adult["group"] == "resource_strong"].set_index(["unit", "year"])
    total = adult.groupby(["unit", "year"])[["group_population", "in_moves", "out_moves"]].sum()
    complete = t.groupby(["unit", "year"])["complete"].all()
    frames = []
    for key, col, whole_year in (("resource_strong_share", "group_population", False),
                                 ("resource_strong_in_moves", "in_moves", True),
                                 ("resource_strong_out_moves", "out_moves", True)):
        if key not in wanted:
            continue
        f = pd.DataFrame({"numerator": strong[col], "denominator": total[col]})
        if whole_year:
            f = f[complete.reindex(f.index, fill_value=False).to_numpy(bool)]
        f = f.reset_index()
        f["indicator"] = key
        f["period"] = (f["year"].map(lambda y: f"1 January {y}") if not whole_year
                       else f["year"].astype(str))
        frames.append(f)
    if "resource_strong_retention" in wanted:
        frames.append(_retention(extract, units, years, retention_years, end, definition))
    out = pd.concat(frames, ignore_index=True)
    out[["numerator", "denominator"]] = out[["numerator", "denominator"]].fillna(0)
    return out.astype({"numerator": "int64", "denominator": "int64", "year": "int64"})[
        _COLUMNS[1:-1]]


def _retention(extract: Any, units: list[str], years: list[int], k: int,
               end: dt.date, definition: Any = None) -> pd.DataFrame:
    from cohort.flows import retention_data

    last = max((y for y in years if dt.date(y + k, 12, 31) <= end), default=None)
    rows = []
    for unit in units:
        d = retention_data(extract, area=unit, definition=definition)
        d = d[d["resource_status"] == "resource_strong"]
        entry = pd.to_datetime(d["entry_date"])
        d = d.assign(year=entry.dt.year)
        horizon = 365.25 * k
        moved = (d["event"] == 1) & (d["days"] < horizon)
        observed = moved | (d["days"] >= horizon)
        for y in years:
            if last is None or y > last:
                continue
            mine = d["year"] == y
            rows.append({"unit": unit, "year": y, "indicator": "resource_strong_retention",
                         "period": f"in-moves {y}, {k} years",
                         "numerator": int((mine & observed & ~moved).sum()),
                         "denominator": int((mine & observed).sum())})
    return pd.DataFrame(rows, columns=["unit", "year", "indicator", "period", "numerator",
                                       "denominator"])


def _pooled(rows: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """Add the comparison areas pooled, as the unit ``comparison``."""
    if not areas:
        return rows
    part = rows[rows["unit"].isin(areas)]
    pooled = (part.groupby(["goal", "indicator", "year", "period"], sort=False)
              [["numerator", "denominator"]].sum().reset_index())
    pooled["unit"] = COMPARISON
    return pd.concat([rows, pooled[rows.columns]], ignore_index=True)


def _baseline(df: pd.DataFrame, baseline: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The baseline year, its share and the change, per row (from the released shares)."""
    keys = ["goal", "indicator", "unit"]
    base = df[df["year"] == baseline].set_index(keys)["share"].astype(float)
    idx = pd.MultiIndex.from_frame(df[keys].astype(object))
    base.index = pd.MultiIndex.from_frame(base.index.to_frame(index=False).astype(object))
    shares = (base.reindex(idx).to_numpy(dtype=float) if len(base)
              else np.full(len(df), np.nan))
    has = idx.isin(base.index)
    year = pd.Series(pd.array(np.where(has, baseline, 0), dtype="Int64")).where(has)
    base_share = pd.Series(shares)
    change = pd.to_numeric(df["share"], errors="coerce").to_numpy(float) - shares
    return year, base_share, pd.Series(change)


def _net(df: pd.DataFrame) -> pd.Series:
    """Resource-strong in-moves minus out-moves, on both move rows (else empty)."""
    keys = ["unit", "year"]
    num = pd.to_numeric(df["numerator"], errors="coerce")
    ins = df.assign(n=num)[df["indicator"] == "resource_strong_in_moves"].set_index(keys)["n"]
    outs = df.assign(n=num)[df["indicator"] == "resource_strong_out_moves"].set_index(keys)["n"]
    net = ins - outs
    net.index = pd.MultiIndex.from_frame(net.index.to_frame(index=False).astype(object))
    idx = pd.MultiIndex.from_frame(df[keys].astype(object))
    values = net.reindex(idx).to_numpy(dtype=float) if len(net) else np.full(len(df), np.nan)
    on = df["indicator"].isin(["resource_strong_in_moves", "resource_strong_out_moves"])
    return pd.Series(np.where(on.to_numpy(), values, np.nan)).astype("Int64")


def _relations(goals: pd.DataFrame, ctx: Context) -> tuple[Relation, ...]:
    """Cells of goals that other tables of the release publish too."""
    rels: list[Relation] = []
    series = ctx.released.get("indicators_series")
    if series is not None:
        have = {(int(y), str(u), str(i), str(p)) for y, u, i, p in
                series[["year", "unit", "indicator", "period"]].itertuples(index=False)}
        for r in goals[["goal", "indicator", "unit", "year", "period"]].itertuples(index=False):
            key = (int(r.year), str(r.unit), str(r.indicator), str(r.period))
            if key not in have:
                continue
            mine = {"goal": int(r.goal), "indicator": key[2], "unit": key[1], "year": key[0],
                    "period": key[3]}
            theirs = {"year": key[0], "unit": key[1], "indicator": key[2], "period": key[3]}
            for col in ("numerator", "denominator"):
                rels.append(Relation(CellRef("goals", mine, col),
                                     [CellRef("indicators_series", theirs, col)]))
    status = ctx.released.get("flows_by_status")
    if status is not None:
        target = ctx.spec.units.target_unit
        years = {int(y) for y in status["year"]}
        mine_rows = goals[(goals["unit"] == target) & goals["indicator"].isin(MOVE_INDICATORS[:3])]
        for r in mine_rows[["goal", "indicator", "year", "period"]].itertuples(index=False):
            if int(r.year) not in years:
                continue
            col = {"resource_strong_share": "population", "resource_strong_in_moves": "in_moves",
                   "resource_strong_out_moves": "out_moves"}[str(r.indicator)]
            mine = {"goal": int(r.goal), "indicator": str(r.indicator), "unit": target,
                    "year": int(r.year), "period": str(r.period)}
            fbs = lambda g, y=int(r.year), c=col: CellRef("flows_by_status",  # noqa: E731
                                                          {"year": y, "group": g}, c)
            rels.append(Relation(CellRef("goals", mine, "numerator"), [fbs("resource_strong")]))
            rels.append(Relation(CellRef("goals", mine, "denominator"),
                                 [fbs("resource_strong"), fbs("not_resource_strong")]))
    return tuple(rels)
