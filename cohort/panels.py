"""Difference-in-differences designs from the registers (definitions.md §5).

Two kinds of panel, both raw (disclosure control applies on the way out):

- :func:`child_panel`: one row per child with a 9th-grade exam, the area it
  lived in on a baseline date before the intervention (intention to treat), its
  outcome (enrolled in youth education 15 months after 9th grade), and its dose:
  the years of childhood it lived (or, by its baseline area, would have lived)
  in the target area after the intervention began.
- :func:`area_year_panel`: one row per area and year of one of the strategy's
  indicators (definitions §1), e.g. the share of 18-29-year-olds on public
  support on 1 January, with the treatment columns the DiD estimators take.

>>> from cohort.panels import area_year_panel, child_panel
>>> kids = child_panel(ex, target="vaerebro_park", comparison=["tingbjerg"],
...                    exam_years=range(2008, 2019))            # doctest: +SKIP
>>> support = area_year_panel(ex, indicator="youth_public_support",
...                           target="vaerebro_park", comparison=["tingbjerg"],
...                           years=range(2010, 2020), first_treated_year=2016)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort._params import check_int_range
from cohort._sql import sql_int
from cohort.exceptions import ParameterError

__all__ = ["CHILD_COLUMNS", "AREA_YEAR_COLUMNS", "area_year_panel", "child_panel"]

#: Columns of :func:`child_panel`.
CHILD_COLUMNS = ("pid", "exam_year", "area", "enrolled", "post", "treated", "dose_itt",
                 "dose_lived")
#: Columns of :func:`area_year_panel`.
AREA_YEAR_COLUMNS = ("area", "year", "numerator", "denominator", "share", "treated",
                     "first_treated")

#: Start of the social master plan (definitions §5).
DEFAULT_START = dt.date(2016, 1, 1)


def _years(name: str, years: Iterable[int]) -> list[int]:
    try:
        out = sorted({int(y) for y in years})
    except (TypeError, ValueError):
        msg = f"{name} must be whole years; got {years!r}"
        raise ParameterError(msg) from None
    if not out:
        msg = f"{name} must hold at least one year"
        raise ParameterError(msg)
    for y in out:
        check_int_range(name, y, low=1900, high=2100)
    return out


def _areas(target: str, comparison: Sequence[str]) -> list[str]:
    if isinstance(comparison, str):
        comparison = [comparison]
    areas = [target, *comparison]
    if not all(isinstance(a, str) and a for a in areas):
        msg = "target and comparison must be area names"
        raise ParameterError(msg)
    if len(set(areas)) != len(areas):
        msg = f"target and comparison areas must differ; got {areas}"
        raise ParameterError(msg)
    if not comparison:
        msg = "comparison must name at least one area"
        raise ParameterError(msg)
    return areas


def child_panel(
    extract,
    *,
    target: str,
    comparison: Sequence[str],
    exam_years: Iterable[int],
    baseline_years_before: int = 3,
    start: dt.date | str = DEFAULT_START,
) -> pd.DataFrame:
    """Children by the area they lived in before the intervention, with outcome and dose.

    A child enters with its first ``exams`` row in ``exam_years`` (exam year
    ``E``) if on the baseline date, 30 June of ``E - baseline_years_before``, it
    lived in ``target`` or a ``comparison`` area (intention to treat: later
    moves do not change its area).

    Parameters
    ----------
    extract
        The register extract (tables ``persons``, ``residence``, ``addresses``,
        ``exams``, ``education``).
    target, comparison
        Area names: the treated area and the comparison areas.
    exam_years
        The exam years to include. The outcome date (30 September of ``E + 1``)
        must not lie after the extract's end, and the baseline date of an exam
        year after the intervention must lie before ``start``: both are checked.
    baseline_years_before
        The baseline date is 30 June of the exam year minus this many years.
    start
        The start of the intervention (definitions §5: 1 January 2016).

    Returns
    -------
    pandas.DataFrame
        One row per child, columns :data:`CHILD_COLUMNS`: ``enrolled`` (0/1:
        a youth-level education spell covers 30 September of ``E + 1``),
        ``post`` (the end of 9th grade, 30 June of ``E``, is on or after
        ``start``), ``treated`` (``post`` and the baseline area is ``target``),
        ``dose_itt`` (for children of ``target``: the years from ``start`` to
        the end of 9th grade, the dose a child who stayed would get; 0 for
        comparison children and before ``start``) and ``dose_lived`` (the years
        the child actually lived in ``target`` between ``start`` and the end of
        9th grade, whatever its baseline area; it depends on moves made after
        the intervention began, so it is not an intention-to-treat dose).
        Ordered by exam year, area and pid.

    """
    from cohort.engine import address_on, enrolled_youth
    from cohort.engine._keys import _as_date
    from cohort.engine.exposure import years_between

    areas = _areas(target, comparison)
    years = _years("exam_years", exam_years)
    check_int_range("baseline_years_before", baseline_years_before, low=0, high=16)
    start_d = _as_date(start, "start")
    late = [y for y in years if dt.date(y + 1, 9, 30) > extract.extract_end]
    if late:
        msg = (f"exam_years {late}: the outcome on 30 September of the following year lies "
               f"after the extract's end ({extract.extract_end})")
        raise ParameterError(msg)
    bad = [y for y in years if dt.date(y, 6, 30) >= start_d
           and dt.date(y - baseline_years_before, 6, 30) >= start_d]
    if bad:
        msg = (f"exam_years {bad}: the baseline date (30 June of the exam year minus "
               f"{baseline_years_before}) is not before the intervention start {start_d}; "
               "intention to treat needs a baseline before it (definitions §5)")
        raise ParameterError(msg)
    extract.require("exams", "education", purpose="a child panel")
    ex = extract.con.sql(
        "SELECT pid, min(year) AS exam_year FROM exams WHERE year IN ("
        + ", ".join(sql_int(y) for y in years) + ") GROUP BY pid"
    ).df()
    ex["pid"] = ex["pid"].astype(object)
    ex["exam_year"] = ex["exam_year"].astype(int)
    base = pd.DataFrame({"pid": ex["pid"], "date": [
        dt.date(y - baseline_years_before, 6, 30) for y in ex["exam_year"]]})
    where = address_on(extract, base).df()[["pid", "area"]]
    d = ex.merge(where, on="pid", how="left")
    d = d[d["area"].isin(areas)].copy()
    outcome = pd.DataFrame({"pid": d["pid"], "date": [
        dt.date(y + 1, 9, 30) for y in d["exam_year"]]})
    enrolled = enrolled_youth(extract, outcome).df()[["pid", "enrolled_youth"]]
    d = d.merge(enrolled, on="pid", how="left")
    d["enrolled"] = d["enrolled_youth"].fillna(value=False).astype(int)
    end = [dt.date(y, 6, 30) for y in d["exam_year"]]
    d["post"] = np.array([e >= start_d for e in end], dtype=bool)
    d["treated"] = (d["post"] & (d["area"] == target)).astype(int)
    years_after = np.array([max(0, (e - start_d).days) for e in end], dtype=float) / 365.25
    d["dose_itt"] = np.where(d["area"] == target, years_after, 0.0)
    windows = pd.DataFrame({"pid": d["pid"], "start": [min(start_d, e) for e in end],
                            "end": end})
    lived = years_between(extract, area=target, keys=windows)[["pid", "years_in_area"]]
    d = d.merge(lived, on="pid", how="left")
    d["dose_lived"] = d["years_in_area"].fillna(0.0).astype(float)
    d["post"] = d["post"].astype(int)
    order = {a: i for i, a in enumerate(areas)}
    d = d.assign(_o=d["area"].map(order)).sort_values(["exam_year", "_o", "pid"])
    return d[list(CHILD_COLUMNS)].reset_index(drop=True)


def area_year_panel(
    extract,
    *,
    indicator: str,
    target: str,
    comparison: Sequence[str],
    years: Iterable[int],
    first_treated_year: int,
    params: Any = None,
) -> pd.DataFrame:
    """One of the strategy's indicators by area and year, as a DiD panel.

    Parameters
    ----------
    extract
        The register extract.
    indicator
        A key of :data:`cohort.indicators.INDICATORS`, e.g.
        ``"youth_public_support"`` (share of 18-29-year-olds living in the area on
        1 January of the year who are on public support).
    target, comparison
        Area names: the treated area and the comparison areas.
    years
        The indicator years; a year the indicator cannot be observed in (it
        looks past the extract's end) is left out, as in
        :func:`cohort.indicators.social_balance_series`.
    first_treated_year
        The first year the target counts as treated (for 1 January indicators,
        2016 puts 1 January 2016 on the treated side).
    params
        :class:`cohort.indicators.IndicatorParams` (the definitions' defaults when
        not given).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AREA_YEAR_COLUMNS`: counts of the indicator, ``share``,
        ``treated`` (0/1: the target from ``first_treated_year``) and
        ``first_treated`` (``first_treated_year`` for the target, 0 for the
        comparison areas), ordered by area (target first) and year. Raw counts:
        disclosure control applies before they leave the library.

    """
    from cohort.indicators import INDICATORS, social_balance_series

    areas = _areas(target, comparison)
    ys = _years("years", years)
    if indicator not in INDICATORS:
        msg = f"indicator must be one of {list(INDICATORS)}; got {indicator!r}"
        raise ParameterError(msg)
    check_int_range("first_treated_year", first_treated_year, low=1900, high=2100)
    units = [f"area:{a}" for a in areas]
    s = social_balance_series(extract, units=units, years=ys, params=params,
                              indicators=[indicator])
    s = s.assign(area=s["unit"].str.removeprefix("area:"))
    s["treated"] = ((s["area"] == target) & (s["year"] >= first_treated_year)).astype(int)
    s["first_treated"] = np.where(s["area"] == target, first_treated_year, 0)
    order = {a: i for i, a in enumerate(areas)}
    s = s.assign(_o=s["area"].map(order)).sort_values(["_o", "year"])
    return s[list(AREA_YEAR_COLUMNS)].reset_index(drop=True)
