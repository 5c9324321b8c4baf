"""The 2016 intervention: difference in differences, estate against comparison estates.

Children are assigned by where they lived on a baseline date before the
intervention (intention to treat, definitions §5): 30 June of their exam year
minus ``baseline_years_before``. The outcome is the strategy's indicator
"enrolled in youth education 15 months after 9th grade" (30 September of the exam
year + 1). With one treated estate, cluster-robust standard errors by area are
not valid; inference comes from the comparison estates as placebos
(randomization inference) and from Conley-Taber intervals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from cohort.disclosure import CellRef, Counts, ModelOutput, Relation, RestsOn
from cohort.exceptions import ModelError, ParameterError, StudyFileError
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
from cohort.study.analyses._matched import check_matched, matched_outputs

__all__ = ["DiD"]


class DiD(Analysis):
    """Intention-to-treat difference in differences with one treated estate."""

    key = "did"
    title = "Effect of the intervention on youth education"
    description = (
        "Share of children enrolled in youth education 15 months after 9th grade, by the "
        "area they lived in {k} years before their exam (intention to treat). {target} is "
        "treated from exam year {g}, the comparison areas are not. Two-way fixed "
        "effects (area and exam year) on the children, an event study by exam year, and "
        "inference that is honest with one treated area: randomization inference over "
        "the comparison areas as placebos and Conley-Taber intervals. Cluster-robust "
        "standard errors by area assume many treated areas and are not reported."
    )
    params = (
        Param("exam_years", list, [2008, 2018], "first and last exam year"),
        Param("first_treated_exam_year", (int, type(None)), None,
              "default: the first exam year whose end of 9th grade (30 June) is on or after "
              "[intervention] start"),
        Param(
            "baseline_years_before",
            int,
            3,
            "baseline date: 30 June of the exam year minus this many years",
        ),
        Param("strategy_exam_year", (int, type(None)), None,
              "an exam year to mark in the event-study figure besides the intervention's "
              "phases"),
        Param("honest_mbar", list, [0, 0.5, 1, 1.5, 2],
              "relative magnitudes M of the Honest DiD sensitivity analysis"),
        Param("dose_bins", list, [0, 1, 2, 3],
              "edges of the dose bins (years in the estate after the start, by end of 9th grade)"),
        Param("support_years", list, [2010, 2019],
              "first and last year of youth public support on 1 January, by area"),
        Param("support_first_treated_year", (int, type(None)), None,
              "first 1 January counted as treated; default: the first 1 January after "
              "[intervention] start"),
        Param("earlier_phases", str, "mark",
              "exam years of an [intervention] phase that began before the first treated "
              "exam year: 'mark' keeps them in the pre-period and marks them in the "
              "tables (with a placebo start at each phase), 'exclude' leaves them out",
              allowed=("mark", "exclude")),
        Param("matched", dict, {}, "a matched comparison: {k, on, method, caliper}: each "
              "estate child matched to comparison-estate children of its exam year on "
              "characteristics at the baseline date, and the TWFE on the matched children "
              "(docs/cohorts.md, 'Matched comparison children'); {} = none"),
    )

    def defaults(self, params: Mapping[str, Any], intervention: Any, *,
                 where: str) -> dict[str, Any]:
        start = getattr(intervention, "start", None)
        if start is None:
            return {}
        return {"first_treated_exam_year": _exam_year(start),
                "support_first_treated_year": start.year + 1}

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:
        name = spec.intervention.name
        if name == "the intervention":  # the study names none: the language's words
            name = _t(spec, "did.intervention")
        return _t(spec, "did.heading", intervention=name)

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        from cohort.did import one_treated_limits

        g = params["first_treated_exam_year"]
        text = _t(spec, "did.description", k=params["baseline_years_before"],
                  target=spec.units.name(spec.units.target), g=g)
        j = len(spec.units.comparison)
        if j:  # what the one-treated methods can deliver with these areas, said plainly
            lim = one_treated_limits(j)
            text += _t(spec, "did.inferential" if lim["interval"] else "did.descriptive", j=j,
                       p=f"{lim['smallest_p']:.3f}", level=f"{lim['level']:.3f}")
        earlier = [y for y in _phase_years(spec) if y < g]
        if earlier:
            text += _t(spec, "did.phases", years=f"{min(earlier)}-{g - 1}",
                       how=_t(spec, f"did.phases.{params['earlier_phases']}"))
        return text

    def check(self, params: dict[str, Any], *, where: str) -> None:
        years = year_range(params["exam_years"], where=where, name="exam_years")
        for key in ("first_treated_exam_year", "support_first_treated_year"):
            if params[key] is None:
                msg = (f"{where}: {key} is not set and the study names no [intervention] "
                       "start to take it from; add [intervention] start = 2016-01-01 (say)")
                raise StudyFileError(msg)
        matched = check_matched(params["matched"], where=where)
        if matched and matched["replace"]:
            msg = (f"{where}: matched.replace = true is not available for the "
                   "difference-in-differences: each child enters its area and exam-year "
                   "cell once")
            raise StudyFileError(msg)
        g = params["first_treated_exam_year"]
        if not (years[0] < g <= years[-1]):
            msg = (
                f"{where}: first_treated_exam_year must lie after the first and not after "
                f"the last exam year; got {g}"
            )
            raise StudyFileError(msg)
        mb = params["honest_mbar"]
        if not mb or not all(isinstance(m, (int, float)) and not isinstance(m, bool) and m >= 0
                             for m in mb):
            msg = f"{where}: honest_mbar must be numbers >= 0, e.g. [0, 0.5, 1]; got {mb!r}"
            raise StudyFileError(msg)
        edges = params["dose_bins"]
        if (len(edges) < 2 or not all(isinstance(e, (int, float)) and not isinstance(e, bool)
                                      for e in edges)
                or any(b <= a for a, b in zip(edges, edges[1:], strict=False)) or edges[0] < 0):
            msg = (f"{where}: dose_bins must be increasing years from 0, e.g. [0, 1, 2, 3]; "
                   f"got {edges!r}")
            raise StudyFileError(msg)
        k = params["baseline_years_before"]
        if years[-1] - k >= g:
            msg = (f"{where}: the baseline of exam year {years[-1]} (30 June {years[-1] - k}, "
                   f"baseline_years_before = {k}) is not before the intervention's start "
                   f"(1 January {g}); end exam_years before {g + k} or raise "
                   "baseline_years_before")
            raise StudyFileError(msg)
        # the dose of an exam year E: from 1 January g to 30 June E (child_panel's dose_itt)
        doses = [(dt.date(e, 6, 30) - dt.date(g, 1, 1)).days / 365.25 for e in years if e >= g]
        empty = [f"({a:g},{b:g}]" for a, b in zip(edges, edges[1:], strict=False)
                 if not any(a < d <= b for d in doses)]
        if empty:
            msg = (f"{where}: dose_bins {empty} hold no child: the doses of exam years "
                   f"{g}-{years[-1]} are {', '.join(f'{d:.2f}' for d in doses)} years")
            raise StudyFileError(msg)
        sy = year_range(params["support_years"], where=where, name="support_years")
        if not (sy[0] < params["support_first_treated_year"] <= sy[-1]):
            msg = (f"{where}: support_first_treated_year must lie after the first and not "
                   f"after the last of support_years; got {params['support_first_treated_year']}")
            raise StudyFileError(msg)

    def latest_year(self, facts: ExtractFacts, param: str) -> int:
        if param == "exam_years":  # the outcome: 30 September of the year after the exam
            end = facts.extract_end
            return end.year - 1 if end >= dt.date(end.year, 9, 30) else end.year - 2
        return super().latest_year(facts, param)

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        end, out = facts.extract_end, []
        if not spec.units.comparison:
            out.append("needs [units] comparison areas")
        last = year_range(params["exam_years"], where="did", name="exam_years")[-1]
        if dt.date(last + 1, 9, 30) > end:
            out.append(f"exam_years end in {last}, whose outcome (30 September {last + 1}) "
                       f"lies after the extract's end ({end.isoformat()})")
        s_last = year_range(params["support_years"], where="did", name="support_years")[-1]
        if dt.date(s_last, 1, 1) > end:
            out.append(f"support_years end in {s_last}, after the extract's end "
                       f"({end.isoformat()})")
        return out

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.did import event_study, twfe
        from cohort.panels import area_year_panel, child_panel

        u = ctx.spec.units
        if not u.comparison:
            msg = "the difference-in-differences analysis needs [units] comparison areas"
            raise StudyFileError(msg)
        years = year_range(params["exam_years"], where="did", name="exam_years")
        g = params["first_treated_exam_year"]
        kids = child_panel(
            ctx.extract,
            target=u.target,
            comparison=list(u.comparison),
            exam_years=years,
            baseline_years_before=params["baseline_years_before"],
            start=dt.date(g, 1, 1),
        )
        # an exam year enters only when every estate has children in it (small
        # extracts can leave a year empty, and the one-treated methods need them all)
        areas = [u.target, *u.comparison]
        full = kids.groupby("exam_year")["area"].nunique()
        kept = sorted(full[full == len(areas)].index)
        if sum(y < g for y in kept) < 2 or not any(y >= g for y in kept):
            msg = (
                "the difference-in-differences analysis needs children in every estate in at "
                "least two exam years before and one after the intervention; this extract has "
                f"{len(kept)} exam years with children in all {len(areas)} estates"
            )
            raise ModelError(msg)  # the data cannot support it: left out, not a broken extract
        kids = kids[kids["exam_year"].isin(kept)].copy()
        phases = _phase_years(ctx.spec)
        earlier = [y for y in phases if y < g]
        if earlier and params["earlier_phases"] == "exclude":
            # the exam years of an earlier phase are neither untreated nor the
            # intervention's: left out of every estimate
            kids = kids[~kids["exam_year"].between(min(earlier), g - 1)].copy()
            kept = [y for y in kept if not min(earlier) <= y < g]
            if sum(y < g for y in kept) < 2:
                msg = ("the difference-in-differences analysis needs at least two exam years "
                       "before the first phase of the intervention when earlier_phases = "
                       "'exclude'")
                raise ModelError(msg)
        pre_years = f"{min(y for y in kept if y < g)}-{max(y for y in kept if y < g)}"
        reference = max(y for y in kept if y < g) - g  # the last pre-period present
        panel = (
            kids.groupby(["area", "exam_year"])
            .agg(children=("pid", "size"), enrolled=("enrolled", "sum"))
            .reset_index()
        )
        panel["share"] = panel["enrolled"] / panel["children"]
        kids["first_treated"] = (kids["area"] == u.target).astype(int) * g
        # area and exam-year fixed effects; SEs robust at the child level (clustering by
        # area would assume many treated areas, see the one-treated inference)
        # the children of an area and exam year share its shocks: standard errors
        # from the area x exam-year cells (cohort.did._area_year), t with the
        # cells' degrees of freedom; child-level ones would treat every child as
        # a new draw
        fit = twfe(
            kids,
            yname="enrolled",
            idname="area",
            tname="exam_year",
            treatname="treated",
            cluster="pid",
            inference="area_year",
        )
        model = fit.tidy()
        model = model[model["term"] == "treated"].assign(term="att_twfe",
                                                         pre_exam_years=pre_years)
        area_panel = panel.rename(columns={"share": "y"})
        one_treated = {"yname": "y", "idname": "area", "tname": "exam_year",
                       "treated_unit": u.target, "treat_start": g}
        es = event_study(
            kids,
            yname="enrolled",
            idname="area",
            tname="exam_year",
            gname="first_treated",
            cluster="pid",
            reference=reference,
            inference="area_year",
        )
        inference = _one_treated_table(area_panel, one_treated, "children", pre_years)
        tidy_cols = [
            "term",
            "estimate",
            "std_error",
            "statistic",
            "p_value",
            "conf_low",
            "conf_high",
        ]
        events = _mark_phases(es.tidy(), g, phases)
        # the critical value of a simultaneous (sup-t) band over the event-time
        # coefficients: one number, drawn around the released coefficients
        band = pd.DataFrame({"crit": [es.sup_t_critical(seed=0)]})
        honest = _honest_table(es, reference=reference,
                               mbars=params["honest_mbar"])  # None: exam years missing
        if honest is not None:  # relative to the reference exam year alone, not the pre-mean
            honest["reference_exam_year"] = g + reference
        placebo = _placebo_table(kids, g, phases, tidy_cols)
        support = (
            kids.assign(period=(kids["exam_year"] >= g).map({True: "post", False: "pre"}))
            .groupby(["area", "period"])
            .agg(n_persons=("pid", "size"), n_events=("enrolled", "sum"))
            .reset_index()
        )
        dose, dose_support = _dose_tables(kids, params["dose_bins"], support, tidy_cols)
        s_first = params["support_first_treated_year"]
        s_years = year_range(params["support_years"], where="did", name="support_years")
        if params["earlier_phases"] == "exclude":
            # a phase that began on day d is in force from the first 1 January after d
            s_earlier = [ph.start.year + 1 for ph in ctx.spec.intervention.phases
                         if ph.start.year + 1 < s_first]
            if s_earlier:
                s_years = [y for y in s_years if not min(s_earlier) <= y < s_first]
        youth = area_year_panel(
            ctx.extract,
            indicator="youth_public_support",
            target=u.target,
            comparison=list(u.comparison),
            years=s_years,
            first_treated_year=s_first,
        )
        matched = {}
        if params["matched"]:
            matched = _matched_tables(ctx, kids, u.target, check_matched(
                params["matched"], where="did"), tidy_cols, pre_years)
        return {
            **matched,
            "panel": panel,
            "twfe": model[[*tidy_cols, "pre_exam_years"]].reset_index(drop=True),
            "event_study": events[[*tidy_cols, *_PHASE_COLS]],
            "event_study_band": band,
            **({"honest": honest} if honest is not None else {}),
            **({"placebo": placebo} if placebo is not None else {}),
            "one_treated": inference,
            "support": support,
            "dose": dose,
            "dose_support": dose_support,
            **_support_tables(youth, u.target, s_first, tidy_cols),
        }

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        u = ctx.spec.units
        g = params["first_treated_exam_year"]
        panel = ordered(tables["panel"], "area", [u.target, *u.comparison])

        spec = ctx.spec
        figure = released_figure(ctx, lambda released, _o: _plot_panel(
            released, target=u.target, first=g, spec=spec))

        # every estimate is an exact function of the panel's cells (a regression on
        # area and exam-year dummies is one on the cell means): an estimate resting
        # on a suppressed cell would give it back, and is withheld
        events = pd.concat([tables["event_study"], _band_row(tables["event_study_band"])],
                           ignore_index=True)
        youth_cells = tables["youth_support_cells"].assign(
            share=lambda d: d["n_events"] / d["n_persons"].where(d["n_persons"] > 0))
        return [
            TableOutput(
                "did_panel",
                _t(spec, "did.panel.title"),
                panel,
                Counts(count_cols=("children", "enrolled"), by=("area", "exam_year"),
                       shares={"share": ("enrolled", "children")}, separate=("exam_year",)),
                figure=figure,
                caption=_t(spec, "did.panel.caption"),
            ),
            TableOutput(
                "did_twfe",
                _t(spec, "did.twfe.title"),
                tables["twfe"],
                ModelOutput(on=("pre_exam_years",), rests_on=(RestsOn("did_panel"),)),
                caption=_t(spec, "did.twfe.caption"),
            ),
            TableOutput(
                "did_one_treated",
                _t(spec, "did.one_treated.title"),
                tables["one_treated"],
                ModelOutput(on=("pre_exam_years", *_LIMIT_COLS),
                            rests_on=(RestsOn("did_panel"),)),
                caption=_t(spec, "did.one_treated.caption"),
            ),
            *([TableOutput(
                "did_placebo",
                _t(spec, "did.placebo.title"),
                tables["placebo"],
                ModelOutput(on=("start_exam_year", "phase_start"),
                            rests_on=(RestsOn("did_panel"),)),
                caption=_t(spec, "did.placebo.caption"),
            )] if "placebo" in tables else []),
            *([TableOutput(
                "did_honest",
                _t(spec, "did.honest.title"),
                tables["honest"],
                ModelOutput(on=("mbar", "reference_exam_year"),
                            rests_on=(RestsOn("did_panel"),)),
                figure=released_figure(ctx, lambda released, _o: _plot_honest(released,
                                                                              spec)),
                caption=_t(spec, "did.honest.caption"),
            )] if "honest" in tables else []),
            TableOutput(
                "did_dose",
                _t(spec, "did.dose.title"),
                tables["dose"],
                ModelOutput(support=tables["dose_support"], persons="n_persons",
                            on=("dose_years", "exam_years"), rests_on=(RestsOn("did_panel"),)),
                figure=released_figure(ctx, lambda released, _o: _plot_dose(released, first=g,
                                                                            spec=spec)),
                caption=_t(spec, "did.dose.caption"),
            ),
            TableOutput(
                "did_youth_support_cells", "", youth_cells,
                Counts(count_cols=("n_persons", "n_events"), by=("area", "year"),
                       shares={"share": ("n_events", "n_persons")}, separate=("year",),
                       relations=_youth_relations(youth_cells, ctx, u)),
                written=False,
            ),
            TableOutput(
                "did_youth_support",
                _t(spec, "did.youth.title"),
                tables["youth_support"],
                ModelOutput(on=("pre_years", *_LIMIT_COLS),
                            rests_on=(RestsOn("did_youth_support_cells"),)),
                caption=_t(spec, "did.youth.caption"),
            ),
            *self._matched_outputs(tables, spec, params),
            TableOutput(
                "did_event_study",
                _t(spec, "did.event.title"),
                events,
                ModelOutput(on=("term", *_PHASE_COLS), rests_on=(
                    RestsOn("did_panel", cells=_event_cells(events, panel, u.target, g)),)),
                figure=released_figure(ctx, lambda released, _o: _plot_event_study(
                    released, first=g,
                    strategy=params["strategy_exam_year"] or _later_phase(ctx.spec, g),
                    spec=spec)),
                caption=_t(spec, "did.event.caption"),
            ),
        ]


    @staticmethod
    def _matched_outputs(tables: Mapping[str, pd.DataFrame], spec: Any,
                         params: Mapping[str, Any]) -> list[TableOutput]:
        """The matching's counts and balance, the matched cells, the TWFE on them."""
        if not params["matched"] or "matching_counts" not in tables:
            return []
        # a group's eligible children are its children of the panel, cell by cell
        u = spec.units
        panel = tables["panel"]
        cells = {g: [CellRef("did_panel", {"area": a, "exam_year": y}, "children")
                     for a, y in zip(panel["area"], panel["exam_year"], strict=True)
                     if (a == u.target) == (g == "exposed")]
                 for g in ("exposed", "comparison")}
        out = matched_outputs(tables, prefix="did", spec=spec, eligible=cells,
                              matched=check_matched(params["matched"], where="did"))
        if "twfe_matched" in tables:
            cells = tables["matched_panel"]
            out += [
                TableOutput(
                    "did_matched_panel", "", cells,
                    Counts(count_cols=("children", "enrolled"), by=("area", "exam_year"),
                           separate=("exam_year",)),
                    written=False,
                ),
                TableOutput(
                    "did_twfe_matched",
                    _t(spec, "did.twfe_matched.title"),
                    tables["twfe_matched"],
                    ModelOutput(on=("pre_exam_years",),
                                rests_on=(RestsOn("did_matched_panel"),)),
                    caption=_t(spec, "did.twfe_matched.caption"),
                ),
            ]
        return out


_BAND = "sup_t_critical"

#: What the DiD may match on (the exam year is always matched exactly: it fixes
#: the birth year); ``birth_year`` in ``on`` is therefore redundant and dropped.
_DID_MATCH_ON = ("sex", "origin", "mother_education", "parent_employed", "household_income")


def _matched_tables(ctx: Context, kids: pd.DataFrame, target: str, matched: Mapping[str, Any],
                    tidy_cols: list[str], pre_years: str) -> dict[str, pd.DataFrame]:
    """Match the estate's children to comparison-estate children, and the TWFE on them.

    Each child of the estate (by residence at the baseline date) is matched to up
    to ``k`` children of the comparison estates of its own exam year on its
    characteristics before the baseline date (sex, origin; the parents' attributes
    on its 12th birthday, which always precedes the baseline date, 30 June of the
    year it turns 13); exact matching adds the exam year to the cells, propensity
    matching enters it by its levels. The TWFE on the matched children (every
    matched child once, area-year inference as the main estimate) compares the
    estate's children with comparison children like them. Returns the raw tables
    (``matching_counts``, ``matching_balance``, ``matching_balance_support``,
    ``matched_panel``, ``twfe_matched``); a matching or model the data cannot
    support is left out with a note.
    """
    from cohort.cohorts import match_controls
    from cohort.did import twfe
    from cohort.engine.family import parent_attributes

    on = [c for c in matched["on"] if c != "birth_year"]
    tables: dict[str, pd.DataFrame] = {}
    ex = ctx.extract
    people = ex.to_pandas("persons", columns=["pid", "sex", "origin"])
    data = kids.merge(people, on="pid", how="left")
    parents = [c for c in on if c in ("mother_education", "parent_employed",
                                      "household_income")]
    if parents:
        attrs = parent_attributes(ex, age=12, pids=kids[["pid"]],
                                  attributes=parents).df()
        data = data.merge(attrs, on="pid", how="left")
    data["exam_year_level"] = data["exam_year"].astype(str)
    data["exposed"] = (data["area"] == target).astype(int)
    try:
        m = match_controls(data, k=matched["k"], on=[*on, "exam_year_level"],
                           method=matched["method"], caliper=matched["caliper"],
                           replace=False, seed=int(getattr(ctx.spec, "seed", 0)))
    except (ModelError, ParameterError) as err:
        left_out(tables, f"the matched comparison: {err}")
        return tables
    tables["matching_counts"] = m.counts
    tables["matching_balance"] = m.tidy()
    tables["matching_balance_support"] = m.balance_support
    mk = kids[kids["pid"].isin(set(m.data["pid"]))]
    cells = (mk.groupby(["area", "exam_year"]).agg(children=("pid", "size"),
                                                   enrolled=("enrolled", "sum"))
             .reset_index())
    tables["matched_panel"] = cells
    try:
        fit = twfe(mk, yname="enrolled", idname="area", tname="exam_year",
                   treatname="treated", cluster="pid", inference="area_year")
    except ModelError as err:
        left_out(tables, f"the TWFE on the matched children: {err}")
        return tables
    t = fit.tidy()
    t = t[t["term"] == "treated"].assign(term="att_twfe_matched", pre_exam_years=pre_years)
    tables["twfe_matched"] = t[[*tidy_cols, "pre_exam_years"]].reset_index(drop=True)
    return tables


def _exam_year(day: dt.date) -> int:
    """The first exam year whose end of 9th grade (30 June) is on or after ``day``."""
    return day.year if dt.date(day.year, 6, 30) >= day else day.year + 1


def _later_phase(spec: Any, first: int) -> int:
    """The first exam year of the next phase after the first treated one (or ``first``)."""
    later = [_exam_year(p.start) for p in spec.intervention.phases
             if _exam_year(p.start) > first]
    return min(later) if later else first


#: Columns the event study carries about the intervention's phases.
#: (Not "exam_year": that is a key of did_panel, and a key shared with the cells an
#: event-study row rests on would match each row to its own year's cells only.)
_PHASE_COLS = ("event_exam_year", "phase_exam_year", "phase_event_time")

#: Columns of did_one_treated (and the one-treated rows of did_youth_support) that say
#: what the method can deliver with the areas it has; keys, so never withheld.
_LIMIT_COLS = ("comparison_areas", "smallest_p_value", "interval_level", "interval", "note")


def _phase_years(spec: Any) -> list[int]:
    """The first exam year of each phase of ``[intervention] phases`` (sorted, distinct)."""
    return sorted({_exam_year(p.start) for p in spec.intervention.phases})


def _mark_phases(events: pd.DataFrame, first: int, phases: list[int]) -> pd.DataFrame:
    """Each event-study row's exam year, its phase's first exam year and the years since.

    ``event_exam_year`` is the row's exam year, ``phase_exam_year`` the first exam
    year of the phase in force (missing before the first phase), ``phase_event_time``
    the exam years since it began.
    """
    out = events.copy()
    et = pd.to_numeric(out["term"].str.removeprefix("e="), errors="coerce")
    out["event_exam_year"] = (first + et).astype("Int64")
    starts = [max((p for p in phases if p <= y), default=None) if pd.notna(y) else None
              for y in out["event_exam_year"]]
    out["phase_exam_year"] = pd.array(starts, dtype="Int64")
    out["phase_event_time"] = out["event_exam_year"] - out["phase_exam_year"]
    return out


def _one_treated_table(area_panel: pd.DataFrame, one: dict, size: str,
                       pre_years: str) -> pd.DataFrame:
    """Randomization inference and Conley-Taber (plain and size-corrected), with limits.

    Each row says what its method can deliver with the comparison areas at hand
    (``_LIMIT_COLS``).
    """
    from cohort.did import conley_taber, randomization_inference

    rows = [_one(randomization_inference(area_panel, **one), "randomization_inference"),
            _one(conley_taber(area_panel, **one), "conley_taber"),
            _one(conley_taber(area_panel, **one, sizename=size), "conley_taber_size_corrected")]
    out = pd.DataFrame(rows)
    out["pre_exam_years"] = pre_years
    return out


def _placebo_table(kids: pd.DataFrame, first: int, phases: list[int], tidy_cols
                   ) -> pd.DataFrame | None:
    """Placebo start dates: the TWFE on the pre-period with an earlier, false start.

    The exam years before ``first``, as if the intervention had begun in an
    earlier exam year (area-year inference).

    Every pre-period exam year with at least two before it is a placebo start;
    those where a phase of the intervention began are marked (``phase_start``):
    there the "placebo" is the earlier phase's own effect (or a pre-trend). None
    with fewer than four pre-period exam years.
    """
    from cohort.did import twfe

    pre = kids[kids["exam_year"] < first]
    years = sorted(set(pre["exam_year"]))
    if len(years) < 4:
        return None
    rows = []
    for s in years[2:]:
        d = pre.assign(placebo=((pre["area"] == kids.loc[kids["first_treated"] > 0, "area"]
                                 .iloc[0]) & (pre["exam_year"] >= s)).astype(int))
        t = twfe(d, yname="enrolled", idname="area", tname="exam_year", treatname="placebo",
                 cluster="pid", inference="area_year").tidy().iloc[0]
        rows.append({"term": "placebo_start", **{c: float(t[c]) for c in tidy_cols[1:]},
                     "start_exam_year": int(s), "phase_start": s in phases})
    return pd.DataFrame(rows)[["term", *tidy_cols[1:], "start_exam_year", "phase_start"]]


def _band_row(band: pd.DataFrame) -> pd.DataFrame:
    """The sup-t critical value as a row of the event-study table (it rests on every cell)."""
    return pd.DataFrame({"term": [_BAND], "estimate": [float(band["crit"].iloc[0])]})


def _event_cells(events: pd.DataFrame, panel: pd.DataFrame, target: str, first: int
                 ) -> pd.DataFrame:
    """The panel cells each event-study row is a function of.

    With a dummy for every event time but the reference, the estate's cell of an
    exam year enters only its own coefficient (and, through the estate's fixed
    effect, every one via the reference year); the comparison estates' cells
    enter every coefficient through the exam-year effects. The band's critical
    value rests on all cells.
    """
    years = sorted(set(panel["exam_year"]))
    coef_years = {first + int(t.removeprefix("e=")) for t in events["term"] if t != _BAND}
    ref = [y for y in years if y not in coef_years and y < first]
    comparison = panel.loc[panel["area"] != target, ["area", "exam_year"]]
    rows = []
    for term in events["term"]:
        if term == _BAND:
            own = panel[["area", "exam_year"]]
        else:
            y = first + int(term.removeprefix("e="))
            own = pd.concat([comparison, pd.DataFrame({"area": target,
                                                       "exam_year": [y, *ref[-1:]]})])
        rows.append(own.assign(term=term))
    return pd.concat(rows, ignore_index=True)


def _youth_relations(cells: pd.DataFrame, ctx: Context, u) -> tuple[Relation, ...]:
    """The estate's youth-support cells are those of the indicators series, if released."""
    series = ctx.released.get("indicators_series")
    if series is None:
        return ()
    mine = series[(series["unit"] == u.target_unit)
                  & (series["indicator"] == "youth_public_support")]
    periods = dict(zip(mine["year"], mine["period"], strict=True))
    out = []
    for y in cells.loc[cells["area"] == u.target, "year"]:
        if y not in periods:
            continue
        key = {"year": y, "unit": u.target_unit, "indicator": "youth_public_support",
               "period": periods[y]}
        for mine_col, theirs in (("n_persons", "denominator"), ("n_events", "numerator")):
            out.append(Relation(CellRef("did_youth_support_cells",
                                        {"area": u.target, "year": y}, mine_col),
                                [CellRef("indicators_series", key, theirs)]))
    return tuple(out)


def _dose_tables(kids, edges, support, tidy_cols):
    """Effects per dose bin, their average, the change per year of dose, and their support.

    The intention-to-treat dose is one value per exam year (the years from the
    start to the end of 9th grade), so a dose bin is a set of exam years: its
    effect is an event-time effect (relative to the pre-period mean), and
    ``exam_years`` says which. The change per year of dose is the slope of the
    affine basis (a jump at the start and a slope; never a line forced through
    zero), the same as a linear trend in event time. Standard errors from the
    area x exam-year cells. Each effect rests on every area x period cell and on
    the children of its own dose bin (all children with a dose for the overall
    effect and the slope).
    """
    from cohort.did import dose_response

    fit = {"yname": "enrolled", "dname": "dose_itt", "idname": "area", "tname": "exam_year",
           "inference": "area_year"}
    binned = dose_response(kids, basis="bins", bins=edges, **fit)
    affine = dose_response(kids, basis="affine", **fit)
    dose = kids["dose_itt"]
    floor = int(support["n_persons"].min())
    rows, sup = [], []

    def years_of(mask) -> str:
        ys = sorted(set(kids.loc[mask, "exam_year"]))
        return str(ys[0]) if len(ys) == 1 else f"{ys[0]}-{ys[-1]}"

    for (lo, hi), att, se in zip(binned.bins, binned.att, binned.att_se, strict=True):
        label = f"({lo:g},{hi:g}]"
        inside = (dose > lo) & (dose <= hi)
        rows.append({"term": "att_dose", "dose_years": label, "exam_years": years_of(inside),
                     "estimate": att, "std_error": se, "df": binned.df_resid})
        sup.append({"dose_years": label, "exam_years": years_of(inside),
                    "n_persons": min(int(inside.sum()), floor)})
    everyone = years_of(dose > 0)
    for name, res, term in (("att_overall", binned, "ATT_o"),
                            ("slope_per_year", affine, "ACRT_o")):
        t = res.tidy().set_index("term").loc[term]
        rows.append({"term": name, "dose_years": "all", "exam_years": everyone,
                     "estimate": t["estimate"], "std_error": t["std_error"], "df": res.df_resid})
    sup.append({"dose_years": "all", "exam_years": everyone,
                "n_persons": min(int((dose > 0).sum()), floor)})
    out = pd.DataFrame(rows)
    q = student_t.ppf(0.975, out["df"])
    out["statistic"] = out["estimate"] / out["std_error"]
    out["p_value"] = 2 * student_t.sf(np.abs(out["statistic"]), out["df"])
    out["conf_low"] = out["estimate"] - q * out["std_error"]
    out["conf_high"] = out["estimate"] + q * out["std_error"]
    return out[["term", "dose_years", "exam_years", *tidy_cols[1:]]], pd.DataFrame(sup)


def _honest_table(es, *, reference: int, mbars) -> pd.DataFrame | None:
    """Honest DiD of the average post-period effect, one row per M (and the original).

    None when the exam years around the reference are not consecutive (a small
    extract can lack children of an estate in some year): the relative-magnitudes
    bounds compare changes between consecutive periods.
    """
    from cohort.did import honest_did

    et = np.asarray(es.event_time, dtype=float)
    pre, post = np.sort(et[et < reference]), np.sort(et[et > reference])
    if not (np.array_equal(pre, np.arange(reference - len(pre), reference))
            and np.array_equal(post, np.arange(reference + 1, reference + 1 + len(post)))
            and len(pre) and len(post)):
        return None

    t = honest_did(es, reference=reference, l_vec="average",
                   mbar=tuple(float(m) for m in mbars)).tidy()
    est = float(t["lb"].iloc[0])  # the original row: the point estimate
    return pd.DataFrame({
        "term": "att_average_post",
        "mbar": ["none"] + [f"{m:g}" for m in t["mbar"].iloc[1:]],
        "estimate": est, "lb": t["lb"], "ub": t["ub"],
        "conf_low": t["conf_low"], "conf_high": t["conf_high"],
    })


def _plot_honest(released: pd.DataFrame, spec: Any = None):
    from cohort.did import plot_honest_did

    return plot_honest_did(released, original_label=_t(spec, "did.fig.parallel"),
                           xlabel=_t(spec, "did.fig.honest_x"),
                           ylabel=_t(spec, "did.fig.honest_y"),
                           title=_t(spec, "did.fig.honest_title"))


def _support_tables(youth, target, first, tidy_cols):
    """The youth-support DiD on area x year shares, and the cells it rests on."""
    from cohort.did import twfe

    panel = youth[youth["denominator"] > 0]
    # one row per area-year cell: the classical variance on the cells (one error
    # variance for every cell), t with the cells' degrees of freedom
    fit = twfe(panel, yname="share", idname="area", tname="year", treatname="treated",
               inference="area_year").tidy()
    fit = fit[fit["term"] == "treated"].assign(
        term="att_twfe", comparison_areas=panel["area"].nunique() - 1, smallest_p_value=0.0,
        interval_level=0.95, interval="95 %",
        note="classical standard error on the area-year cells, t with their degrees of freedom")
    one = {"yname": "share", "idname": "area", "tname": "year", "treated_unit": target,
           "treat_start": first}
    pre = panel.loc[panel["year"] < first, "year"]
    rows = _one_treated_table(panel, one, "denominator", f"{pre.min()}-{pre.max()}")
    fit["pre_exam_years"] = rows["pre_exam_years"].iloc[0]
    table = pd.concat([fit[[*tidy_cols, "pre_exam_years", *_LIMIT_COLS]], rows],
                      ignore_index=True)
    table = table.rename(columns={"pre_exam_years": "pre_years"})
    cells = youth.rename(columns={"denominator": "n_persons", "numerator": "n_events"})[
        ["area", "year", "n_persons", "n_events"]]
    return {"youth_support": table.reset_index(drop=True), "youth_support_cells": cells}


def _plot_dose(released: pd.DataFrame, *, first: int, spec: Any = None):
    from cohort.did import plot_dose

    return plot_dose(released, dose="dose_years", term="att_dose",
                     xlabel=_t(spec, "did.fig.dose_x"), ylabel=_t(spec, "did.fig.effect"),
                     title=_t(spec, "did.fig.dose_title", year=first))


def _one(result: Any, method: str) -> dict[str, Any]:
    """A one-treated result as a row, with what the method can deliver (``_LIMIT_COLS``).

    The note is a key column of the released table: withholding the row's numbers
    (it rests on a suppressed cell) keeps the words that say how to read them.
    """
    from cohort.did import one_treated_limits

    t = result.tidy().iloc[0]
    row: dict[str, Any] = {"term": method}
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        value = t[col] if col in t.index else None
        row[col] = float(value) if value is not None and pd.notna(value) else float("nan")
    lim = one_treated_limits(result.n_controls, alp=result.alp)
    level = f"{100 * (1 - result.alp):g} %"
    row["comparison_areas"] = int(result.n_controls)
    row["smallest_p_value"] = float(lim["smallest_p"])
    row["interval_level"] = float(lim["level"])  # 1 for the whole line
    row["interval"] = level if lim["interval"] else "descriptive"
    if lim["interval"]:
        row["note"] = (f"exact under exchangeable areas: smallest attainable p-value "
                       f"{lim['smallest_p']:.3f}, interval coverage {lim['level']:.3f}"
                       + ("; corrected for areas of unequal size" if "size" in method else
                          "; areas of unequal size are not exchangeable, see "
                          "conley_taber_size_corrected"))
    else:
        row["note"] = (f"descriptive: with these comparison areas the smallest attainable "
                       f"p-value is {lim['smallest_p']:.3f}, above {result.alp:g}, so no "
                       f"{level} interval exists (it is the whole line); at least "
                       f"{int(np.ceil(1 / result.alp)) - 1} comparison areas are needed")
    return row


def _plot_event_study(released: pd.DataFrame, *, first: int, strategy: int, spec: Any = None):
    """The released coefficients, and the sup-t band from the released critical value."""
    from cohort.did import plot_event_study

    dates, labels = [-0.5], [_t(spec, "did.fig.intervention", year=first)]
    shown = set(pd.to_numeric(released.get("event_exam_year", pd.Series(dtype=float)),
                              errors="coerce").dropna().astype(int))
    for year in (_phase_years(spec) if spec is not None else []):
        if year < first and (year in shown or year - 1 in shown):  # an earlier phase
            dates.insert(0, year - first - 0.5)
            labels.insert(0, _t(spec, "did.fig.earlier_phase", year=year))
    if strategy > first:
        dates.append(strategy - first - 0.5)
        labels.append(_t(spec, "did.fig.later_phase", year=strategy))
    return plot_event_study(released, intervention_dates=dates, intervention_labels=labels,
                            period_labels=(_t(spec, "did.fig.before"), _t(spec, "did.fig.after")),
                            xlabel=_t(spec, "did.fig.event_x", year=first),
                            ylabel=_t(spec, "did.fig.effect"),
                            title=_t(spec, "did.fig.event_title"))


def _plot_panel(panel: pd.DataFrame, *, target: str, first: int, spec: Any = None):
    """The panel with the areas by their display names (the table keeps the codes)."""
    from cohort.did import plot_panel

    units = getattr(spec, "units", None)
    name = units.name if units is not None else str
    shown = panel.assign(area=panel["area"].astype(str).map(name))
    return plot_panel(shown, unit="area", time="exam_year", outcome="share",
                      treated=name(target), treat_start=first, percent=True,
                      xlabel=_t(spec, "did.fig.panel_x"), ylabel=_t(spec, "did.fig.panel_y"),
                      title=_t(spec, "did.fig.panel_title"))
