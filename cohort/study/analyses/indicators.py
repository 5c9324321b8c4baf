"""The strategy's indicators of social balance and the vulnerable-area criteria."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

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

__all__ = ["Indicators", "VulnerableArea"]


class Indicators(Analysis):
    """definitions.md §1 for the estate next to its municipality, year by year."""

    key = "indicators"
    title = "Indicators of social balance"
    description = (
        "The six indicators of social balance (definitions §1) for {target} next to "
        "{municipality}, year by year{marked}."
    )
    params = (
        Param("years", list, [2010, 2019], "first and last year"),
        Param("table_year", int, 2018, "the year of the strategy's table (public support on "
              "1 January of this year; school indicators of the school year before)"),
    )

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "indicators.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        u = spec.units
        marked = _t(spec, "indicators.marked") if spec.published else ""
        return _t(spec, "indicators.description", target=u.name(u.target_unit),
                  municipality=u.name(u.municipality_unit), marked=marked)

    def check(self, params: dict[str, Any], *, where: str) -> None:
        years = year_range(params["years"], where=where)
        t = params["table_year"]
        if not (years[0] < t <= years[-1]):
            msg = (f"{where}: table_year must lie in years, after the first (its school "
                   f"indicators are those of the year before); got {t}")
            raise StudyFileError(msg)

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        last = year_range(params["years"], where="indicators")[-1]
        if dt.date(last, 1, 1) > facts.extract_end:
            return [f"years end in {last}, after the extract's end "
                    f"({facts.extract_end.isoformat()})"]
        return []

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.indicators import social_balance_series

        u = ctx.spec.units
        units = [u.target_unit, u.municipality_unit]
        years = year_range(params["years"], where="indicators")
        series = social_balance_series(ctx.extract, units=units, years=years)
        return {"indicators_series": series}

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        from cohort.indicators import INDICATORS, plot_social_balance

        u = ctx.spec.units
        series = _with_rest(tables["indicators_series"], u)
        units = [u.target_unit, _rest_label(u), u.municipality_unit]
        series = ordered(ordered(series, "unit", units), "indicator", INDICATORS)
        table = _strategy_table(series, params["table_year"])

        published = pd.DataFrame(list(ctx.spec.published),
                                 columns=["unit", "indicator", "year", "percent", "period",
                                          "source"])
        drawn = [u.target_unit, u.municipality_unit]

        def draw(released: pd.DataFrame, _others: Mapping[str, pd.DataFrame]):
            shown = released[released["unit"].isin(drawn)]
            return plot_social_balance(
                shown, published=published[published["unit"].isin(drawn)],
                unit_labels={x: u.name(x) for x in drawn})

        figure = released_figure(ctx, draw)
        spec = ctx.spec

        # The municipality contains the estate: "municipality minus estate" is
        # published as its own unit and declared as such, so secondary suppression
        # sees that any two of the three give the third.
        rest = _rest_label(u)
        counts = Counts(
            count_cols=("numerator", "denominator"),
            by=("year", "unit", "indicator", "period"),
            shares={"share": ("numerator", "denominator")},
            totals={"unit": {u.municipality_unit: [u.target_unit, rest]}},
            separate=("year", "indicator", "period"),
        )
        # the strategy's table repeats cells of the series: the same cells, so a
        # cell hidden in one stays hidden in the other
        keys = ["indicator", "period", "unit"]
        same = tuple(
            Relation(CellRef("strategy_table", dict(zip(keys, row[:3], strict=True)), col),
                     [CellRef("indicators_series",
                              {**dict(zip(keys, row[:3], strict=True)), "year": row[3]}, col)])
            for row in table[[*keys, "year"]].itertuples(index=False, name=None)
            for col in ("numerator", "denominator")
        )
        table = table.drop(columns="year")
        return [
            TableOutput(
                "indicators_series",
                _t(spec, "indicators.series.title"),
                series,
                counts,
                figure=figure,
                caption=_t(spec, "indicators.series.caption")
                + (_t(spec, "indicators.series.published") if len(spec.published) else ""),
            ),
            TableOutput(
                "strategy_table",
                _t(spec, "indicators.table.title"),
                table,
                replace(counts, by=tuple(keys), separate=("indicator", "period"),
                        relations=same),
                caption=_t(spec, "indicators.table.caption"),
            ),
        ]


def _rest_label(u) -> str:
    return f"{u.municipality_unit} without {u.target_unit}"


def _with_rest(series: pd.DataFrame, u) -> pd.DataFrame:
    """Add the municipality without the estate as a unit of its own."""
    keys = ["year", "indicator", "period"]
    est = series[series["unit"] == u.target_unit].set_index(keys)[["numerator", "denominator"]]
    mun = series[series["unit"] == u.municipality_unit].set_index(keys)[
        ["numerator", "denominator"]
    ]
    rest = (mun - est).dropna().astype("int64").reset_index()
    rest["unit"] = _rest_label(u)
    rest["share"] = rest["numerator"] / rest["denominator"].where(rest["denominator"] > 0)
    out = pd.concat([series, rest[series.columns]], ignore_index=True)
    order = {u.target_unit: 0, _rest_label(u): 1, u.municipality_unit: 2}
    out["_o"] = out["unit"].map(order)
    return out.sort_values(["year", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _strategy_table(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per indicator and unit, for the strategy's reference periods.

    Public support on 1 January ``year``, the others for the year before.
    """
    support = series["indicator"].str.endswith("public_support")
    want = series["year"].where(support, series["year"] + 1) == year
    out = series.loc[want, ["indicator", "period", "unit", "numerator", "denominator", "share",
                            "year"]]
    return out.reset_index(drop=True)


class VulnerableArea(Analysis):
    """definitions.md §2: the four criteria per area and list year."""

    key = "vulnerable_area"
    title = "Criteria for a vulnerable housing area"
    description = (
        "The four criteria of almenboligloven § 61 a (definitions §2) for the estate and "
        "the comparison estates, per list year, with the national and regional references."
    )
    params = (Param("list_years", list, [2012, 2019], "first and last list year"),)

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "vulnerable.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        return _t(spec, "vulnerable.description")

    def check(self, params: dict[str, Any], *, where: str) -> None:
        year_range(params["list_years"], where=where, name="list_years")

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,
                      spec: Any) -> list[str]:
        last = year_range(params["list_years"], where="vulnerable_area", name="list_years")[-1]
        if dt.date(last - 1, 12, 31) > facts.extract_end:
            return [f"list_years end in {last}, whose residents are counted on 31 December "
                    f"{last - 1}, after the extract's end ({facts.extract_end.isoformat()})"]
        return []

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        from cohort.indicators import vulnerable_area

        u = ctx.spec.units
        areas = [u.target, *u.comparison]
        frames = [
            vulnerable_area(ctx.extract, areas=areas, list_year=y)
            for y in year_range(params["list_years"], where="vulnerable_area", name="list_years")
        ]
        return {"vulnerable_area": pd.concat(frames, ignore_index=True)}

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        df = tables["vulnerable_area"].copy()
        df["reference_source"] = df["reference_source"].fillna("none")
        # verdicts as words: they are not counts of persons
        for c in ("met", "vulnerable"):
            df[c] = df[c].map({True: "yes", False: "no"})
        df["criteria_met"] = df["criteria_met"].map(lambda k: f"{int(k)} of 4")
        keys = ["area", "list_year", "criterion"]
        verdict = ["value", "reference", "reference_source", "threshold", "cutoff", "met"]
        shares = df[df["numerator"].notna()]
        income = df[df["numerator"].isna()]
        status = df.drop_duplicates(["area", "list_year"])[
            ["area", "list_year", "municipality", "residents", "criteria_met", "vulnerable"]
        ]
        tie = {c: "denominator" for c in verdict if c != "reference_source"}
        spec = ctx.spec
        return [
            TableOutput(
                "vulnerable_area_status",
                _t(spec, "vulnerable.status.title"),
                status.reset_index(drop=True),
                Counts(count_cols=("residents",), by=("area", "list_year", "municipality"),
                       values={"criteria_met": "residents", "vulnerable": "residents"}),
                caption=_t(spec, "vulnerable.status.caption"),
            ),
            TableOutput(
                "vulnerable_area_criteria",
                _t(spec, "vulnerable.criteria.title"),
                shares[[*keys, "numerator", "denominator", "missing", *verdict]]
                .astype({"numerator": "int64"}).reset_index(drop=True),
                Counts(count_cols=("numerator", "denominator", "missing"),
                       by=(*keys, "reference_source"), values=tie),
                caption=_t(spec, "vulnerable.criteria.caption"),
            ),
            TableOutput(
                "vulnerable_area_income",
                _t(spec, "vulnerable.income.title"),
                income[[*keys, "denominator", "missing", *verdict]].reset_index(drop=True),
                Counts(count_cols=("denominator", "missing"), by=(*keys, "reference_source"),
                       values=tie),
                caption=_t(spec, "vulnerable.income.caption"),
            ),
        ]
