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

import pandas as pd

from cohort.exceptions import DataError, StudyFileError
from cohort.study.analyses._base import Analysis, Context, Param, TableOutput, year_range

__all__ = ["DiD", "itt_panel"]


def itt_panel(
    extract,
    *,
    target: str,
    comparison: list[str],
    exam_years: list[int],
    baseline_years_before: int,
) -> pd.DataFrame:
    """Children with an exams row, their baseline area and their outcome.

    Returns one row per child: ``pid, exam_year, area, enrolled`` (children whose
    baseline address is in none of the areas are left out).
    """
    from cohort.engine import address_on, enrolled_youth

    extract.require("exams", "education", purpose="the difference-in-differences analysis")
    ex = extract.to_pandas("exams", columns=["pid", "year"])
    ex = (
        ex[ex["year"].isin(exam_years)].drop_duplicates("pid").rename(columns={"year": "exam_year"})
    )
    ex["exam_year"] = ex["exam_year"].astype(int)
    base = pd.DataFrame(
        {
            "pid": ex["pid"].to_numpy(),
            "date": [dt.date(y - baseline_years_before, 6, 30) for y in ex["exam_year"]],
        }
    )
    where = address_on(extract, base).df()[["pid", "area"]]
    out = pd.DataFrame(
        {
            "pid": ex["pid"].to_numpy(),
            "date": [dt.date(y + 1, 9, 30) for y in ex["exam_year"]],
        }
    )
    enrolled = enrolled_youth(extract, out).df()[["pid", "enrolled_youth"]]
    d = ex.merge(where, on="pid", how="left").merge(enrolled, on="pid", how="left")
    d = d[d["area"].isin([target, *comparison])].copy()
    d["enrolled"] = d["enrolled_youth"].fillna(value=False).astype(int)
    return d[["pid", "exam_year", "area", "enrolled"]].reset_index(drop=True)


class DiD(Analysis):
    """Intention-to-treat difference in differences with one treated estate."""

    key = "did"
    title = "Effect of the 2016 social master plan on youth education"
    description = (
        "Share of children enrolled in youth education 15 months after 9th grade, by the "
        "estate they lived in three years before their exam (intention to treat). The estate "
        "is treated from exam year 2016, the comparison estates are not. Two-way fixed "
        "effects (area and exam year) on the children, an event study by exam year, and "
        "inference that is honest with one treated estate: randomization inference over "
        "the comparison estates as placebos and Conley-Taber intervals. Cluster-robust "
        "standard errors by area assume many treated areas and are not reported."
    )
    params = (
        Param("exam_years", list, [2008, 2018], "first and last exam year"),
        Param("first_treated_exam_year", int, 2016),
        Param(
            "baseline_years_before",
            int,
            3,
            "baseline date: 30 June of the exam year minus this many years",
        ),
    )

    def check(self, params: dict[str, Any], *, where: str) -> None:
        years = year_range(params["exam_years"], where=where, name="exam_years")
        g = params["first_treated_exam_year"]
        if not (years[0] < g <= years[-1]):
            msg = (
                f"{where}: first_treated_exam_year must lie after the first and not after "
                f"the last exam year; got {g}"
            )
            raise StudyFileError(msg)

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.did import conley_taber, event_study, randomization_inference, twfe

        u = ctx.spec.units
        if not u.comparison:
            msg = "the difference-in-differences analysis needs [units] comparison areas"
            raise StudyFileError(msg)
        years = year_range(params["exam_years"], where="did", name="exam_years")
        g = params["first_treated_exam_year"]
        kids = itt_panel(
            ctx.extract,
            target=u.target,
            comparison=list(u.comparison),
            exam_years=years,
            baseline_years_before=params["baseline_years_before"],
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
            raise DataError(msg)
        kids = kids[kids["exam_year"].isin(kept)].copy()
        panel = (
            kids.groupby(["area", "exam_year"])
            .agg(children=("pid", "size"), enrolled=("enrolled", "sum"))
            .reset_index()
        )
        panel["share"] = panel["enrolled"] / panel["children"]
        kids["treated"] = ((kids["area"] == u.target) & (kids["exam_year"] >= g)).astype(float)
        kids["first_treated"] = (kids["area"] == u.target).astype(int) * g
        # area and exam-year fixed effects; SEs robust at the child level (clustering by
        # area would assume many treated areas, see the one-treated inference)
        fit = twfe(
            kids,
            yname="enrolled",
            idname="area",
            tname="exam_year",
            treatname="treated",
            cluster="pid",
        )
        model = fit.tidy()
        model = model[model["term"] == "treated"].assign(term="att_twfe")
        area_panel = panel.rename(columns={"share": "y"})
        one_treated = {"yname": "y", "idname": "area", "tname": "exam_year",
                       "treated_unit": u.target, "treat_start": g}
        ri = randomization_inference(area_panel, **one_treated)
        ct = conley_taber(area_panel, **one_treated)
        es = event_study(
            kids,
            yname="enrolled",
            idname="area",
            tname="exam_year",
            gname="first_treated",
            cluster="pid",
            reference=max(y for y in kept if y < g) - g,  # the last pre-period present
        )
        inference = pd.DataFrame(
            [
                _one(ri, "randomization_inference"),
                _one(ct, "conley_taber"),
            ]
        )
        tidy_cols = [
            "term",
            "estimate",
            "std_error",
            "statistic",
            "p_value",
            "conf_low",
            "conf_high",
        ]
        events = es.tidy()
        support = (
            kids.assign(period=(kids["exam_year"] >= g).map({True: "post", False: "pre"}))
            .groupby(["area", "period"])
            .agg(n_persons=("pid", "size"), n_events=("enrolled", "sum"))
            .reset_index()
        )
        return {
            "panel": panel,
            "twfe": model[tidy_cols].reset_index(drop=True),
            "event_study": events[[c for c in tidy_cols if c in events.columns]],
            "one_treated": inference,
            "support": support,
        }

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        u = ctx.spec.units
        g = params["first_treated_exam_year"]
        support = tables["support"]

        def figure(released: pd.DataFrame, _others: Mapping[str, pd.DataFrame]):
            return _plot_panel(released, target=u.target, first=g)

        model_release = {"kind": "model", "support": support, "persons": "n_persons"}
        return [
            TableOutput(
                "did_panel",
                "Enrolled 15 months after 9th grade, by baseline estate",
                tables["panel"],
                {
                    "count_cols": ["children", "enrolled"],
                    "by": ["area", "exam_year"],
                    "shares": {"share": ("enrolled", "children")},
                    "separate": ["exam_year"],
                },
                figure=figure,
                caption="Children by the estate they lived in three years before their exam "
                "(intention to treat); the vertical line marks the first treated exam year.",
            ),
            TableOutput(
                "did_twfe",
                "Two-way fixed effects estimate (children)",
                tables["twfe"],
                model_release,
                caption="Effect on the probability of being enrolled (share scale). "
                "Its standard error treats children as independent and is shown for "
                "reference only; see the one-treated-area inference below.",
            ),
            TableOutput(
                "did_one_treated",
                "Inference with one treated estate",
                tables["one_treated"],
                model_release,
                caption="Randomization inference: the estate's estimate against the "
                "placebo estimates of the comparison estates (exact p-value); "
                "Conley-Taber: interval from the comparison estates' residuals.",
            ),
            TableOutput(
                "did_event_study",
                "Event study by exam year",
                tables["event_study"],
                model_release,
                figure=lambda released, _o: _plot_event_study(released, first=g),
                caption="Coefficients relative to the last exam year before the "
                "intervention, with 95 % confidence intervals (children-level robust); "
                "pre-period coefficients test parallel trends. The dashed line marks the "
                "first treated exam year.",
            ),
        ]


def _one(result: Any, method: str) -> dict[str, Any]:
    t = result.tidy().iloc[0]
    row: dict[str, Any] = {"term": method}
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        value = t[col] if col in t.index else None
        row[col] = float(value) if value is not None and pd.notna(value) else float("nan")
    return row


def _plot_event_study(released: pd.DataFrame, *, first: int):
    import matplotlib.pyplot as plt

    d = released.copy()
    d["e"] = d["term"].str.removeprefix("e=").astype(int)
    d = d.sort_values("e")
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    pre = d["e"] < 0
    for mask, colour, label in ((pre, "#4d4d4d", "before"), (~pre, "#b2182b", "after")):
        part = d[mask]
        ax.errorbar(
            part["e"],
            part["estimate"],
            yerr=[part["estimate"] - part["conf_low"], part["conf_high"] - part["estimate"]],
            fmt="o",
            color=colour,
            capsize=3,
            label=f"{label} the intervention",
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(f"exam years since {first}")
    ax.set_ylabel("effect on the share enrolled")
    ax.set_title("Event study: estate against comparison estates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _plot_panel(panel: pd.DataFrame, *, target: str, first: int):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for area, part in panel.groupby("area", sort=True):
        part = part.sort_values("exam_year")
        style = (
            {"color": "#b2182b", "linewidth": 2.2}
            if area == target
            else {"linewidth": 1.2, "alpha": 0.8}
        )
        ax.plot(part["exam_year"], 100 * part["share"], marker="o", label=area, **style)
    ax.axvline(first - 0.5, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel("exam year (end of 9th grade)")
    ax.set_ylabel("enrolled 15 months later (%)")
    ax.set_title("Youth education by baseline estate (intention to treat)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
