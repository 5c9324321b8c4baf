"""Children's education careers: time to youth education, estate against comparison."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cohort.cohorts import EXIT_REASONS
from cohort.disclosure import CellRef, Counts, Curve, ModelOutput, Relation, RiskTableRef
from cohort.exceptions import ModelError, StudyFileError
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
from cohort.study.analyses._matched import add_matched_tables, check_matched, matched_outputs

__all__ = ["Survival"]


_DAYS_PER_MONTH = 365.25 / 12
_GROUPS = ("exposed", "comparison")
_ADJUST = ("sex", "origin", "birth_year", "mother_education", "parent_employed")


class Survival(Analysis):
    """Kaplan-Meier by group and a family-clustered Cox model (definitions §3)."""

    key = "survival"
    title = "Time to youth education after 9th grade"
    description = (
        "Children of the birth cohorts who grew up in the estate (exposed) against children "
        "living elsewhere in the municipality on the same birthday (comparison), followed from "
        "the end of 9th grade (30 June of the exams year) to the first start of a youth "
        "education, censored at emigration, death, the end of the data and the maximum "
        "follow-up. Kaplan-Meier curves with a risk table, and a Cox model (Efron ties) "
        "stratified by birth year and adjusted for sex, origin, the mother's education and "
        "parents' employment at age 14, with standard errors clustered on the mother "
        "(siblings are not independent)."
    )
    params = (
        Param("birth_years", list, [1990, 2003], "first and last birth year"),
        Param("exposure", str, "resident_at_age", allowed=("resident_at_age", "years_in_area")),
        Param(
            "outcome",
            str,
            "youth_education_start",
            allowed=("youth_education_start", "youth_education_completion", "employment"),
        ),
        Param("max_follow_up_years", int, 10),
        Param("risk_table_months", int, 6, "spacing of the risk table under the curves"),
        Param("horizon_months", int, 36, "the curves and the risk table end here"),
        Param("adjust", list, list(_ADJUST), "covariates of the Cox model"),
        Param("matched", dict, {}, "a matched comparison: {k, on, method, caliper, replace} "
              "(docs/cohorts.md, 'Matched comparison children'); {} = none"),
    )

    def latest_year(self, facts: ExtractFacts, param: str) -> int:
        if param == "birth_years":  # the last cohort whose 9th grade ends (30 June, age 16)
            end = facts.extract_end
            return end.year - 16 if end >= dt.date(end.year, 6, 30) else end.year - 17
        return super().latest_year(facts, param)

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        first = year_range(params["birth_years"], where="survival", name="birth_years")[0]
        # the follow-up starts at the end of 9th grade, about the year a child turns 16
        if dt.date(first + 16, 6, 30) > facts.extract_end:
            return [f"birth_years start in {first}: no child of them finishes 9th grade "
                    f"before the extract's end ({facts.extract_end.isoformat()})"]
        return []

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "survival.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "survival.description")

    def check(self, params: dict[str, Any], *, where: str) -> None:
        year_range(params["birth_years"], where=where, name="birth_years")
        if params["exposure"] == "years_in_area":
            # the group is known on the 16th birthday, after the end of 9th grade (30 June
            # of the year a child turns 16) for every child born after 30 June: events
            # before it would be credited to a group not yet assigned (immortal time)
            msg = (f"{where}: exposure 'years_in_area' assigns the group on the 16th "
                   "birthday, after the time origin (the end of 9th grade, 30 June) for "
                   "the children born in the second half of the year, so their events "
                   "before it would count for a group not yet known (immortal time); use "
                   "exposure = 'resident_at_age' (the 15th birthday, before the origin)")
            raise StudyFileError(msg)
        bad = [a for a in params["adjust"] if a not in _ADJUST]
        if bad:
            msg = f"{where}: adjust must list covariates among {list(_ADJUST)}; got {bad}"
            raise StudyFileError(msg)
        check_matched(params["matched"], where=where)

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.cohorts import CensoringSpec, CohortSpec, ExposureSpec, build_cohort
        from cohort.survival import aalen_johansen

        u = ctx.spec.units
        spec = CohortSpec(
            birth_years=tuple(params["birth_years"]),
            target_area=u.target,
            exposure=ExposureSpec(form=params["exposure"]),
            censoring=CensoringSpec(max_follow_up_years=params["max_follow_up_years"]),
        )
        built = build_cohort(ctx.extract, spec)
        out = params["outcome"]
        d = built.data.dropna(subset=[f"{out}_time"]).copy()
        d, flow = _assigned_by_origin(d, built.exclusions, out)
        d["months"] = d[f"{out}_time"].astype(float) / _DAYS_PER_MONTH
        d["event"] = d[f"{out}_event"].astype(int)
        d["cause"] = _causes(d[f"{out}_exit"])
        tables: dict[str, pd.DataFrame] = {
            "flow": flow[["criterion", "n", "excluded"]]
            .fillna({"excluded": 0})
            .astype({"n": "int64", "excluded": "int64"}),
            "flow_groups": flow.dropna(subset=["exposed"])[
                ["criterion", "exposed", "comparison", "neither"]
            ].astype({"exposed": "int64", "comparison": "int64", "neither": "int64"}),
        }
        for group in ("exposed", "comparison"):
            g = d[d["group"] == group]
            if not len(g) or not (g["cause"] > 0).any():
                continue
            tables[f"cif_{group}"] = _cif(aalen_johansen(g, time="months", event="cause"),
                                          n=len(g))
        tables["risk_table"] = _risk_table(d, params["risk_table_months"], params["horizon_months"])
        tables["exits"] = (
            d.groupby(["group", f"{out}_exit"])
            .size()
            .rename("n")
            .reset_index()
            .rename(columns={f"{out}_exit": "exit"})
        )
        mothers = ctx.extract.to_pandas("persons", columns=["pid", "mother_pid"])
        d = d.merge(mothers, on="pid", how="left")
        d["family"] = d["mother_pid"].fillna(d["pid"])
        try:
            fitted = _cox_tables(d, params["adjust"])
        except ModelError as err:  # the curves are released without it
            left_out(tables, f"the Cox model: {err}")
        else:
            tables.update(fitted)
        start = ctx.spec.intervention.start
        if start is not None:
            by_period = _cox_by_period(d, params["adjust"], start, out)
            if by_period is None:
                left_out(tables, "the hazard ratio by period: a period has too little data "
                                 "for the Cox model")
            else:
                tables.update(by_period)
        if params["matched"]:  # the Cox model on matched comparison children, with balance
            add_matched_tables(tables, ctx, d, check_matched(params["matched"], where="survival"))
        return tables

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        horizon = params["horizon_months"]
        spec = ctx.spec
        figure = released_figure(ctx, lambda _r, others: _plot_km(others, horizon=horizon,
                                                                  spec=spec))

        # the flow in the order of its steps, groups and exits as declared
        steps = list(tables["flow"]["criterion"])
        flow = ordered(tables["flow"], "criterion", steps)
        groups = ordered(tables["flow_groups"], "criterion", steps)
        exits = ordered(ordered(tables["exits"], "group", _GROUPS), "exit", EXIT_REASONS)
        risk = ordered(tables["risk_table"], "group", _GROUPS)
        curve = {g: Curve(risk_table=RiskTableRef("risk_table", time="months",
                                                  where={"group": g}))
                 for g in ("exposed", "comparison")}
        empty = pd.DataFrame(columns=["time", "n_risk", "n_event", "estimate", "conf_low",
                                      "conf_high"])
        outputs = [
            TableOutput(
                "survival_flow",
                _t(spec, "survival.flow.title"),
                flow,
                Counts(count_cols=("n", "excluded"), by=("criterion",),
                       relations=_flow_relations(flow)),
                caption=_t(spec, "survival.flow.caption"),
            ),
            TableOutput(
                "survival_flow_groups",
                _t(spec, "survival.flow_groups.title"),
                groups,
                Counts(count_cols=("exposed", "comparison", "neither"), by=("criterion",),
                       relations=_group_relations(groups)),
            ),
            TableOutput(
                "survival_intervals", "", _intervals(risk, exits),
                Counts(count_cols=_RISK_COUNTS[1:], by=("group", "interval")),
                written=False, latent=True,
            ),
            TableOutput(
                "survival_exits",
                _t(spec, "survival.exits.title"),
                exits,
                Counts(count_cols=("n",), by=("group", "exit"),
                       relations=_exit_relations(exits, groups)),
            ),
            TableOutput(
                "risk_table",
                _t(spec, "survival.risk.title"),
                risk,
                Counts(count_cols=_RISK_COUNTS, by=("group", "months"),
                       separate=("months",), relations=_risk_relations(risk, exits)),
                caption=_t(spec, "survival.risk.caption"),
            ),
            TableOutput(
                "cif_comparison",
                _t(spec, "survival.cif_comparison.title"),
                tables.get("cif_comparison", empty),
                curve["comparison"],
            ),
            TableOutput(
                "cif_exposed",
                _t(spec, "survival.cif_exposed.title"),
                tables.get("cif_exposed", empty),
                curve["exposed"],
                figure=figure,
                caption=_t(spec, "survival.cif_exposed.caption"),
            ),
        ]
        # the Cox model and its PH check are released on the model's support; both
        # are left out (with a note) when the data cannot identify the model
        for name, table, text in (("cox_model", "cox", "survival.cox"),
                                  ("cox_zph", "cox_zph", "survival.zph")):
            if table in tables:
                outputs.append(TableOutput(
                    name, _t(spec, f"{text}.title"), tables[table],
                    ModelOutput(support=tables["cox_support"], persons="n_persons",
                                events="n_events", complement=False),
                    caption=_t(spec, f"{text}.caption"),
                ))
        if "cox_by_period" in tables:
            start = ctx.spec.intervention.start
            outputs.append(TableOutput(
                "cox_by_period",
                _t(spec, "survival.cox_period.title"),
                ordered(tables["cox_by_period"], "period", list(_PERIODS)),
                ModelOutput(support=tables["cox_by_period_support"], persons="n_persons",
                            events="n_events", on=("period",), complement=False),
                caption=_t(spec, "survival.cox_period.caption",
                           start=start.isoformat() if start else ""),
            ))
        if params["matched"]:
            outputs += matched_outputs(
                tables, prefix="survival", matched=check_matched(params["matched"],
                                                                 where="survival"),
                spec=spec, eligible={  # a group's eligible children are its analysed ones
                    g: [CellRef("survival_exits", {"group": g, "exit": e}, "n")
                        for e in exits.loc[exits["group"] == g, "exit"]]
                    for g in ("exposed", "comparison")})
        return outputs


def _flow_relations(flow: pd.DataFrame) -> tuple[Relation, ...]:
    """Each step of the flow: the persons before it = the persons after it + the excluded."""
    rows = list(flow.itertuples(index=False))
    return tuple(
        Relation(CellRef("survival_flow", {"criterion": prev.criterion}, "n"),
                 [CellRef("survival_flow", {"criterion": cur.criterion}, "n"),
                  CellRef("survival_flow", {"criterion": cur.criterion}, "excluded")])
        for prev, cur in zip(rows, rows[1:], strict=False)
    )


def _group_relations(groups: pd.DataFrame) -> tuple[Relation, ...]:
    """At each step the persons of the flow are those of the three groups."""
    return tuple(
        Relation(CellRef("survival_flow", {"criterion": c}, "n"),
                 [CellRef("survival_flow_groups", {"criterion": c}, g)
                  for g in ("exposed", "comparison", "neither")])
        for c in groups["criterion"]
    )


def _exit_relations(exits: pd.DataFrame, groups: pd.DataFrame) -> tuple[Relation, ...]:
    """The exits of a group add up to the group at the last step of the flow."""
    last = groups["criterion"].iloc[-1]
    return tuple(
        Relation(CellRef("survival_flow_groups", {"criterion": last}, g),
                 [CellRef("survival_exits", {"group": g, "exit": e}, "n")
                  for e in exits.loc[exits["group"] == g, "exit"]])
        for g in ("exposed", "comparison") if (exits["group"] == g).any()
    )


def _risk_relations(risk: pd.DataFrame, exits: pd.DataFrame) -> tuple[Relation, ...]:
    """How the risk table adds up, and what its differences are.

    At risk at the start = at risk + events + competing + censored at any later
    time = the group's exits; the events (competing events, censorings) before a
    time = those before the time before it + those in between (the latent
    ``survival_intervals``), and all the events (competing events, censorings) of
    the exits = those before the last time + those after.
    """
    out = []

    def cell(table: str, key: dict, col: str) -> CellRef:
        return CellRef(table, key, col)

    for g, part in risk.groupby("group", sort=False, observed=True):
        months = [int(m) for m in part["months"]]
        start = cell("risk_table", {"group": g, "months": months[0]}, "at_risk")
        for m in months[1:]:
            at = {"group": g, "months": m}
            out.append(Relation(start, [cell("risk_table", at, c) for c in _RISK_COUNTS]))
        for a, b in zip(months, months[1:], strict=False):
            iv = {"group": g, "interval": _interval(a, b)}
            for col in _RISK_COUNTS[1:]:
                out.append(Relation(cell("risk_table", {"group": g, "months": b}, col),
                                    [cell("risk_table", {"group": g, "months": a}, col),
                                     cell("survival_intervals", iv, col)]))
        mine = list(exits.loc[exits["group"] == g, "exit"])
        if mine:
            ex = [cell("survival_exits", {"group": g, "exit": e}, "n") for e in mine]
            out.append(Relation(start, ex))
            last = {"group": g, "months": months[-1]}
            after = {"group": g, "interval": _interval(months[-1], None)}
            for col in _RISK_COUNTS[1:]:
                left = [x for x, e in zip(ex, mine, strict=True) if _EXIT_COLUMN[e] == col]
                if left:
                    out.append(Relation(left, [cell("risk_table", last, col),
                                               cell("survival_intervals", after, col)]))
    return tuple(out)


_EVENT = "event"
#: The counts of the risk table, and which column each exit reason is counted in.
_RISK_COUNTS = ("at_risk", "events", "competing", "censored")
_EXIT_COLUMN = {"event": "events", "emigration": "competing", "death": "competing",
                "extract_end": "censored", "max_follow_up": "censored"}
#: The periods of the hazard ratio by period, relative to [intervention] start.
_PERIODS = ("before", "after")


def _interval(a: int, b: int | None) -> str:
    return f"{a}-{b}" if b is not None else f"after {a}"


def _intervals(risk: pd.DataFrame, exits: pd.DataFrame) -> pd.DataFrame:
    """Events, competing events and censorings between the risk table's times, and after.

    Nothing shows them, but the risk table's cumulative counts (and the exits)
    give each as a difference: they must not be small where those are published.
    """
    cols = list(_RISK_COUNTS[1:])
    rows = []
    for g, part in risk.groupby("group", sort=False, observed=True):
        part = part.sort_values("months")
        m = part["months"].astype(int).tolist()
        for k in range(1, len(m)):
            row = {"group": g, "interval": _interval(m[k - 1], m[k])}
            for c in cols:
                row[c] = int(part[c].iloc[k]) - int(part[c].iloc[k - 1])
            rows.append(row)
        mine = exits[exits["group"] == g]
        if len(mine):
            row = {"group": g, "interval": _interval(m[-1], None)}
            for c in cols:
                total = int(mine.loc[mine["exit"].map(_EXIT_COLUMN) == c, "n"].sum())
                row[c] = total - int(part[c].iloc[-1])
            rows.append(row)
    return pd.DataFrame(rows, columns=["group", "interval", *cols])


def _risk_table(d: pd.DataFrame, step: int, horizon: int) -> pd.DataFrame:
    """At risk at each time, and events, competing events and censorings before it."""
    rows = []
    for group in ("exposed", "comparison"):
        g = d[d["group"] == group]
        before = g["months"].to_numpy()
        cause = g["cause"].to_numpy()
        for m in range(0, horizon + 1, step):
            rows.append(
                {
                    "group": group,
                    "months": m,
                    "at_risk": int((before >= m).sum()),
                    "events": int(((before < m) & (cause == 1)).sum()),
                    "competing": int(((before < m) & (cause > 1)).sum()),
                    "censored": int(((before < m) & (cause == 0)).sum()),
                }
            )
    return pd.DataFrame(rows)


def _assigned_by_origin(d: pd.DataFrame, flow: pd.DataFrame,
                        outcome: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the children whose group is known on the outcome's time origin.

    A child whose reference date (the birthday that assigns the group) falls
    after the origin would have its events before that date credited to a group
    not yet known (immortal time). Such children are left out, as a last step of
    the flow of exclusions (``assigned_by_origin``), so that no event before the
    assignment date counts for a group.
    """
    origin = f"{outcome}_origin_date" if f"{outcome}_origin_date" in d else "origin_date"
    keep = (pd.to_datetime(d["reference_date"]) <= pd.to_datetime(d[origin])).to_numpy()
    kept = d[keep].copy()
    groups = kept["group"].value_counts()
    row = {"step": "assigned_by_origin",
           "criterion": "group assigned on or before the time origin",
           "n": int(len(kept)), "excluded": int((~keep).sum()),
           "exposed": int(groups.get("exposed", 0)),
           "comparison": int(groups.get("comparison", 0)), "neither": 0}
    flow = pd.concat([flow, pd.DataFrame([{c: row.get(c) for c in flow.columns}])],
                     ignore_index=True)
    return kept, flow


def _causes(exits: pd.Series) -> pd.Series:
    """Competing-risk codes: 1 the event, 2 emigration, 3 death, 0 censored."""
    codes = {"event": 1, "emigration": 2, "death": 3}
    return exits.astype(str).map(codes).fillna(0).astype("int64")


def _cif(aj: Any, *, n: int) -> pd.DataFrame:
    """The cumulative incidence of the event (cause 1) as a curve table from time 0.

    A first row at time 0 with no events (estimate 0) starts the curve, so that a
    curve whose first steps are pooled away still starts at 0, not at 1.
    """
    c = aj.tidy()
    c = c[c["cause"] == 1][["time", "n_risk", "n_event", "estimate", "conf_low", "conf_high"]]
    first = pd.DataFrame([{"time": 0.0, "n_risk": float(n), "n_event": 0.0, "estimate": 0.0,
                           "conf_low": 0.0, "conf_high": 0.0}])
    return pd.concat([first, c], ignore_index=True).astype("float64")


def _design(d: pd.DataFrame, adjust: list[str]) -> tuple[pd.DataFrame, list[str], str | None]:
    """The Cox model's data: exposed and the adjustment covariates, with months, event."""
    x = pd.DataFrame({"exposed": (d["group"] == "exposed").astype(float)}, index=d.index)
    for a in adjust:
        col = d[a]
        if a == "birth_year":
            continue  # a stratum of its own: each cohort its own baseline hazard
        if a in ("parent_employed",):
            x[a] = col.astype("Float64").astype(float)
        else:
            levels = col.fillna("unknown").astype(str)
            dummies = pd.get_dummies(levels, prefix=a, prefix_sep="=", dtype=float)
            base = levels.value_counts().idxmax()
            x = pd.concat([x, dummies.drop(columns=[f"{a}={base}"])], axis=1)
    x = x.loc[:, x.std() > 0]
    data = pd.concat([x, d[["months", "event", "family", "birth_year"]]], axis=1).dropna()
    strata = "birth_year" if "birth_year" in adjust else None
    return data, list(x.columns), strata


def _cox_tables(d: pd.DataFrame, adjust: list[str]) -> dict[str, pd.DataFrame]:
    """The Cox model (``cox``), its support and its PH test (``cox_zph``).

    ``d``: the analysis data with ``group, months, event, family, birth_year``
    and the covariates. The PH test is R's ``cox.zph`` (survival >= 3.0) with
    g(t) = 1 - KM, on the same rows as the model.
    """
    from cohort.survival import cox, cox_zph

    if d["group"].nunique() < 2 or not d["event"].any():
        msg = "both groups and at least one event are needed"
        raise ModelError(msg)
    data, covs, strata = _design(d, adjust)
    if "exposed" not in covs:
        msg = "exposed does not vary: one group has no children"
        raise ModelError(msg)
    fit = cox(data, time="months", event="event", covariates=covs, cluster="family",
              strata=strata, concordance=False)
    tidy = fit.tidy()[_TIDY].reset_index(drop=True)
    # as tidy columns: statistic = the chi-square (1 df per term; GLOBAL: one per term)
    zph = (cox_zph(fit, data, transform="km").table
           .rename(columns={"chisq": "statistic", "p": "p_value"})[["term", "statistic",
                                                                     "p_value"]])
    kept = d.loc[data.index]
    support = (kept.groupby("group").agg(n_persons=("pid", "size"), n_events=("event", "sum"))
               .reset_index())
    return {"cox": tidy, "cox_support": support,
            "cox_zph": zph.reset_index(drop=True)}


def _cox_by_period(d: pd.DataFrame, adjust: list[str], start: Any,
                   outcome: str) -> dict[str, pd.DataFrame] | None:
    """The exposed hazard ratio among children whose origin is before / on or after start.

    The period of a child is that of its time origin (the end of 9th grade for
    the education outcomes), before ``[intervention] start`` or not: the children
    who finished 9th grade under the intervention against those who did not.
    Returns ``None`` when a period's model cannot be fitted.
    """
    origin = f"{outcome}_origin_date" if f"{outcome}_origin_date" in d else "origin_date"
    after = pd.to_datetime(d[origin]) >= pd.Timestamp(start)
    rows, support = [], []
    for name, part in (("before", d[~after.to_numpy()]), ("after", d[after.to_numpy()])):
        try:
            fitted = _cox_tables(part, adjust)
        except ModelError:
            return None
        ex = fitted["cox"][fitted["cox"]["term"] == "exposed"]
        rows.append(ex.assign(period=name))
        support.append(fitted["cox_support"].assign(period=name))
    table = pd.concat(rows, ignore_index=True)[["period", *_TIDY]]
    return {"cox_by_period": table,
            "cox_by_period_support": pd.concat(support, ignore_index=True)}


_TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


#: How the study draws its cumulative-incidence figure (docs/methods/survival.md, "Figures").
_KM_LABELS = {"exposed": "survival.fig.exposed", "comparison": "survival.fig.comparison"}
_KM_COLOURS = {"exposed": "#b2182b", "comparison": "#2166ac"}


def _plot_km(released: Mapping[str, pd.DataFrame], *, horizon: int, spec: Any = None):
    """Both groups' released incidence curves on one plot, the released risk table under."""
    from cohort.survival import plot_km

    curves = {g: released[f"cif_{g}"] for g in _GROUPS if f"cif_{g}" in released}
    return plot_km(curves, risk_table=released.get("risk_table"), risk_time="months",
                   labels={g: _t(spec, key) for g, key in _KM_LABELS.items()},
                   colours=_KM_COLOURS, scale="incidence", percent=True,
                   horizon=horizon, xlabel=_t(spec, "survival.fig.x"),
                   ylabel=_t(spec, "survival.fig.y"), title=_t(spec, "survival.fig.title"))
