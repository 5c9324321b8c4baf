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
from cohort.study.analyses._figures import released_figure

__all__ = ["Survival"]


def _t(spec: Any, key: str, **fmt: Any) -> str:
    """The catalog's text of ``key`` in the study's report language."""
    from cohort.report._text import text

    return text(key, getattr(spec, "language", "en"), **fmt)

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
        bad = [a for a in params["adjust"] if a not in _ADJUST]
        if bad:
            msg = f"{where}: adjust must list covariates among {list(_ADJUST)}; got {bad}"
            raise StudyFileError(msg)

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.cohorts import CensoringSpec, CohortSpec, ExposureSpec, build_cohort
        from cohort.survival import cox, kaplan_meier

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
        d["months"] = d[f"{out}_time"].astype(float) / _DAYS_PER_MONTH
        d["event"] = d[f"{out}_event"].astype(int)
        flow = built.exclusions
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
            km = kaplan_meier(g, time="months", event="event")
            curve = km.tidy()
            tables[f"km_{group}"] = curve[
                ["time", "n_risk", "n_event", "estimate", "conf_low", "conf_high"]
            ]
        tables["risk_table"] = _risk_table(d, params["risk_table_months"], params["horizon_months"])
        tables["exits"] = (
            d.groupby(["group", f"{out}_exit"])
            .size()
            .rename("n")
            .reset_index()
            .rename(columns={f"{out}_exit": "exit"})
        )
        try:
            model, support = _cox(ctx, d, params["adjust"], cox)
        except ModelError as err:  # the curves are released without it
            left_out(tables, f"the Cox model: {err}")
        else:
            tables["cox"] = model
            tables["cox_support"] = support
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
                Counts(count_cols=("events", "censored"), by=("group", "interval")),
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
                Counts(count_cols=("at_risk", "events", "censored"), by=("group", "months"),
                       separate=("months",), relations=_risk_relations(risk, exits)),
                caption=_t(spec, "survival.risk.caption"),
            ),
            TableOutput(
                "km_comparison",
                _t(spec, "survival.km_comparison.title"),
                tables["km_comparison"],
                curve["comparison"],
            ),
            TableOutput(
                "km_exposed",
                _t(spec, "survival.km_exposed.title"),
                tables["km_exposed"],
                curve["exposed"],
                figure=figure,
                caption=_t(spec, "survival.km_exposed.caption"),
            ),
        ]
        if "cox" in tables:  # left out (with a note) when the data cannot identify it
            outputs.append(TableOutput(
                "cox_model",
                _t(spec, "survival.cox.title"),
                tables["cox"],
                ModelOutput(support=tables["cox_support"], persons="n_persons",
                            events="n_events", complement=False),
                caption=_t(spec, "survival.cox.caption"),
            ))
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

    At risk at the start = at risk + events + censored at any later time = the
    group's exits; the events (censorings) before a time = those before the time
    before it + those in between (the latent ``survival_intervals``), and all the
    events (censorings) of the exits = those before the last time + those after.
    """
    out = []

    def cell(table: str, key: dict, col: str) -> CellRef:
        return CellRef(table, key, col)

    for g, part in risk.groupby("group", sort=False, observed=True):
        months = [int(m) for m in part["months"]]
        start = cell("risk_table", {"group": g, "months": months[0]}, "at_risk")
        for m in months[1:]:
            at = {"group": g, "months": m}
            out.append(Relation(start, [cell("risk_table", at, c)
                                        for c in ("at_risk", "events", "censored")]))
        for a, b in zip(months, months[1:], strict=False):
            iv = {"group": g, "interval": _interval(a, b)}
            for col in ("events", "censored"):
                out.append(Relation(cell("risk_table", {"group": g, "months": b}, col),
                                    [cell("risk_table", {"group": g, "months": a}, col),
                                     cell("survival_intervals", iv, col)]))
        mine = list(exits.loc[exits["group"] == g, "exit"])
        if mine:
            ex = [cell("survival_exits", {"group": g, "exit": e}, "n") for e in mine]
            out.append(Relation(start, ex))
            last = {"group": g, "months": months[-1]}
            after = {"group": g, "interval": _interval(months[-1], None)}
            for col, which in (("events", [e == _EVENT for e in mine]),
                               ("censored", [e != _EVENT for e in mine])):
                left = [x for x, keep in zip(ex, which, strict=True) if keep]
                if left:
                    out.append(Relation(left, [cell("risk_table", last, col),
                                               cell("survival_intervals", after, col)]))
    return tuple(out)


_EVENT = "event"


def _interval(a: int, b: int | None) -> str:
    return f"{a}-{b}" if b is not None else f"after {a}"


def _intervals(risk: pd.DataFrame, exits: pd.DataFrame) -> pd.DataFrame:
    """Events and censorings between the risk table's times, and after the last one.

    Nothing shows them, but the risk table's cumulative counts (and the exits)
    give each as a difference: they must not be small where those are published.
    """
    rows = []
    for g, part in risk.groupby("group", sort=False, observed=True):
        part = part.sort_values("months")
        m = part["months"].astype(int).tolist()
        e, c = part["events"].tolist(), part["censored"].tolist()
        for k in range(1, len(m)):
            rows.append({"group": g, "interval": _interval(m[k - 1], m[k]),
                         "events": e[k] - e[k - 1], "censored": c[k] - c[k - 1]})
        mine = exits[exits["group"] == g]
        if len(mine):
            n_event = int(mine.loc[mine["exit"] == _EVENT, "n"].sum())
            n_cens = int(mine.loc[mine["exit"] != _EVENT, "n"].sum())
            rows.append({"group": g, "interval": _interval(m[-1], None),
                         "events": n_event - e[-1], "censored": n_cens - c[-1]})
    return pd.DataFrame(rows, columns=["group", "interval", "events", "censored"])


def _risk_table(d: pd.DataFrame, step: int, horizon: int) -> pd.DataFrame:
    rows = []
    for group in ("exposed", "comparison"):
        g = d[d["group"] == group]
        for m in range(0, horizon + 1, step):
            rows.append(
                {
                    "group": group,
                    "months": m,
                    "at_risk": int((g["months"] >= m).sum()),
                    "events": int(((g["months"] < m) & (g["event"] == 1)).sum()),
                    "censored": int(((g["months"] < m) & (g["event"] == 0)).sum()),
                }
            )
    return pd.DataFrame(rows)


def _cox(
    ctx: Context, d: pd.DataFrame, adjust: list[str], cox
) -> tuple[pd.DataFrame, pd.DataFrame]:
    mothers = ctx.extract.to_pandas("persons", columns=["pid", "mother_pid"])
    d = d.merge(mothers, on="pid", how="left")
    d["family"] = d["mother_pid"].fillna(d["pid"])
    x = pd.DataFrame({"exposed": (d["group"] == "exposed").astype(float)})
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
    fit = cox(
        data,
        time="months",
        event="event",
        covariates=list(x.columns),
        cluster="family",
        strata=strata,
        concordance=False,
    )
    tidy = fit.tidy()
    tidy = tidy[["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]]
    kept = d.loc[data.index]
    support = (
        kept.groupby("group")
        .agg(n_persons=("pid", "size"), n_events=("event", "sum"))
        .reset_index()
    )
    return tidy.reset_index(drop=True), support


#: How the study draws its Kaplan-Meier figure (docs/methods/survival.md, "Figures").
_KM_LABELS = {"exposed": "survival.fig.exposed", "comparison": "survival.fig.comparison"}
_KM_COLOURS = {"exposed": "#b2182b", "comparison": "#2166ac"}


def _plot_km(released: Mapping[str, pd.DataFrame], *, horizon: int, spec: Any = None):
    """Both groups' released curves on one plot, the released risk table under them."""
    from cohort.survival import plot_km

    curves = {g: released[f"km_{g}"] for g in _GROUPS if f"km_{g}" in released}
    return plot_km(curves, risk_table=released.get("risk_table"), risk_time="months",
                   labels={g: _t(spec, key) for g, key in _KM_LABELS.items()},
                   colours=_KM_COLOURS, scale="failure", percent=True,
                   horizon=horizon, xlabel=_t(spec, "survival.fig.x"),
                   ylabel=_t(spec, "survival.fig.y"), title=_t(spec, "survival.fig.title"))
