"""The indicators of social balance in DuckDB.

The strategy's six (definitions §1) and the two that measure its goals beyond
them (§7: ``not_in_education_or_work``, ``youth_convictions``), one row format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohort._params import check_literals
from cohort._sql import sql_date, sql_float, sql_int, sql_list, sql_str
from cohort.engine._sql import covers_sql, public_support_benefits_sql
from cohort.engine.units import Unit, check_unit_columns, parse_unit
from cohort.exceptions import ParameterError
from cohort.extract.schema import PUBLIC_SUPPORT_BENEFITS
from cohort.indicators._params import IndicatorParams, day_in_year
from cohort.indicators._population import residents_sql

if TYPE_CHECKING:
    from cohort.extract import Extract

__all__ = [
    "ALL_INDICATORS",
    "COLUMNS",
    "GOAL_INDICATORS",
    "INDICATORS",
    "SERIES_COLUMNS",
    "social_balance",
    "social_balance_series",
]

#: The columns of :func:`social_balance`.
COLUMNS = ("unit", "indicator", "period", "numerator", "denominator", "share")
#: The columns of :func:`social_balance_series`.
SERIES_COLUMNS = ("year", *COLUMNS)


@dataclass(frozen=True)
class _Indicator:
    key: str
    tables: tuple[str, ...]
    #: (year, params, unit predicate over ``a``) -> SQL selecting one flag ``num`` per person.
    population: Callable[[int, IndicatorParams, str], str]
    period: Callable[[int, IndicatorParams], str]
    #: The last date the indicator of year Y reads (it must lie within the extract).
    last_date: Callable[[int, IndicatorParams], dt.date]


def _support_sql(column: str, p: IndicatorParams) -> str:
    # The engine's fragment is the contract's definition; a study that changes
    # the set of benefits gets its own list.
    if tuple(sorted(p.support_benefits)) == tuple(sorted(PUBLIC_SUPPORT_BENEFITS)):
        return public_support_benefits_sql(column)
    return f"({column} IN ({sql_list(p.support_benefits)}))"


def _on_support(ages_field: str) -> Callable[[int, IndicatorParams, str], str]:
    def build(year: int, p: IndicatorParams, where: str) -> str:
        d = sql_date(day_in_year(year, p.support_on, name="support_on"))
        pop = residents_sql(d, where=where, ages=getattr(p, ages_field))
        cover = covers_sql("b.start_date", "b.end_date", d)
        return (
            f"SELECT pop.pid, EXISTS (SELECT 1 FROM benefits b WHERE b.pid = pop.pid "
            f"AND {cover} AND {_support_sql('b.benefit', p)}) AS num FROM ({pop}) pop"
        )

    return build


def _school_population(table: str, year: int, p: IndicatorParams, where: str) -> str:
    d = sql_date(day_in_year(year, p.school_on, name="school_on"))
    return (
        f"SELECT t.* FROM {table} t WHERE t.year = {sql_int(int(year))} "
        f"AND t.pid IN (SELECT pid FROM ({residents_sql(d, where=where)}))"
    )


def _youth_education(year: int, p: IndicatorParams, where: str) -> str:
    d2 = sql_date(
        day_in_year(year + p.education_years_after, p.education_on, name="education_on")
    )
    cover = covers_sql("e.start_date", "e.end_date", d2)
    return (
        f"SELECT x.pid, EXISTS (SELECT 1 FROM education e WHERE e.pid = x.pid "
        f"AND e.level IN ({sql_list(p.youth_levels)}) AND {cover}) AS num "
        f"FROM ({_school_population('exams', year, p, where)}) x"
    )


def _absence(year: int, p: IndicatorParams, where: str) -> str:
    return (
        f"SELECT x.pid, x.unauthorised_days >= {sql_int(int(p.absence_days))} AS num "
        f"FROM ({_school_population('absence', year, p, where)}) x"
    )


def _grades(year: int, p: IndicatorParams, where: str) -> str:
    return (
        f"SELECT x.pid, (x.danish + x.math) / 2 >= {sql_float(float(p.grade_average))} AS num "
        f"FROM ({_school_population('exams', year, p, where)}) x "
        "WHERE x.danish IS NOT NULL AND x.math IS NOT NULL"
    )


def _placements(year: int, p: IndicatorParams, where: str) -> str:
    d = sql_date(day_in_year(year, p.placement_on, name="placement_on"))
    y0, y1 = sql_date(dt.date(year, 1, 1)), sql_date(dt.date(year + 1, 1, 1))
    pop = residents_sql(d, where=where, ages=p.placement_ages)
    # [start, end) overlaps [1 January Y, 1 January Y+1).
    return (
        f"SELECT pop.pid, EXISTS (SELECT 1 FROM placements pl WHERE pl.pid = pop.pid "
        f"AND pl.start_date < {y1} AND (pl.end_date IS NULL OR pl.end_date > {y0})) AS num "
        f"FROM ({pop}) pop"
    )


def _not_in_education_or_work(year: int, p: IndicatorParams, where: str) -> str:
    d = sql_date(day_in_year(year, p.labour_on, name="labour_on"))
    pop = residents_sql(d, where=where, ages=p.labour_ages)
    cover = covers_sql("e.start_date", "e.end_date", d)
    # The population needs a labour row for Y (one per pid and year); the inner
    # join drops residents without one.
    return (
        f"SELECT pop.pid, l.status NOT IN ({sql_list(p.in_work_or_education)}) "
        f"AND NOT EXISTS (SELECT 1 FROM education e WHERE e.pid = pop.pid "
        f"AND e.level IN ({sql_list(p.enrolled_levels)}) AND {cover}) AS num "
        f"FROM ({pop}) pop JOIN labour l ON l.pid = pop.pid AND l.year = {sql_int(int(year))}"
    )


def _youth_convictions(year: int, p: IndicatorParams, where: str) -> str:
    d = sql_date(day_in_year(year, p.conviction_on, name="conviction_on"))
    y0, y1 = sql_date(dt.date(year, 1, 1)), sql_date(dt.date(year + 1, 1, 1))
    pop = residents_sql(d, where=where, ages=p.conviction_ages)
    return (
        f"SELECT pop.pid, EXISTS (SELECT 1 FROM convictions c WHERE c.pid = pop.pid "
        f"AND c.offence IN ({sql_list(p.conviction_offences)}) "
        f"AND c.decision_date >= {y0} AND c.decision_date < {y1}) AS num FROM ({pop}) pop"
    )


def _school_year(year: int, p: IndicatorParams) -> str:
    return f"{year - 1}/{year % 100:02d}"


def _support_period(year: int, p: IndicatorParams) -> str:
    return day_in_year(year, p.support_on, name="support_on").isoformat()


def _support_last(year: int, p: IndicatorParams) -> dt.date:
    return day_in_year(year, p.support_on, name="support_on")


def _school_last(year: int, p: IndicatorParams) -> dt.date:
    return day_in_year(year, p.school_on, name="school_on")


def _education_last(year: int, p: IndicatorParams) -> dt.date:
    later = day_in_year(year + p.education_years_after, p.education_on, name="education_on")
    return max(later, _school_last(year, p))


def _placement_last(year: int, p: IndicatorParams) -> dt.date:
    return max(day_in_year(year, p.placement_on, name="placement_on"), dt.date(year, 12, 31))


def _labour_last(year: int, p: IndicatorParams) -> dt.date:
    return day_in_year(year, p.labour_on, name="labour_on")


def _conviction_last(year: int, p: IndicatorParams) -> dt.date:
    return max(day_in_year(year, p.conviction_on, name="conviction_on"), dt.date(year, 12, 31))


_DEFS = (
    _Indicator("youth_public_support", ("benefits",), _on_support("youth_ages"),
               _support_period, _support_last),
    _Indicator("youth_education_15m", ("exams", "education"), _youth_education,
               _school_year, _education_last),
    _Indicator("adult_public_support", ("benefits",), _on_support("adult_ages"),
               _support_period, _support_last),
    _Indicator("school_absence", ("absence",), _absence, _school_year, _school_last),
    _Indicator("exam_grades", ("exams",), _grades, _school_year, _school_last),
    _Indicator("placements", ("placements",), _placements, lambda y, p: str(y),
               _placement_last),
)
_GOAL_DEFS = (
    _Indicator("not_in_education_or_work", ("labour", "education"), _not_in_education_or_work,
               lambda y, p: str(y), _labour_last),
    _Indicator("youth_convictions", ("convictions",), _youth_convictions, lambda y, p: str(y),
               _conviction_last),
)
_BY_KEY = {d.key: d for d in (*_DEFS, *_GOAL_DEFS)}
#: The six indicators' keys, in the order of the strategy's table (the default).
INDICATORS: tuple[str, ...] = tuple(d.key for d in _DEFS)
#: The two indicators definitions §7 adds for the strategy's goals 2 and 4.
GOAL_INDICATORS: tuple[str, ...] = tuple(d.key for d in _GOAL_DEFS)
#: Every indicator :func:`social_balance` computes, in its output order.
ALL_INDICATORS: tuple[str, ...] = (*INDICATORS, *GOAL_INDICATORS)


def _units(units: str | Unit | Sequence[str | Unit]) -> list[Unit]:
    items = [units] if isinstance(units, str | Unit) else list(units)
    if not items:
        msg = ("units must name at least one unit, e.g. ['area:vaerebro_park', "
               "'municipality:159']")
        raise ParameterError(msg)
    out: list[Unit] = []
    for u in items:
        parsed = parse_unit(u)
        if parsed not in out:
            out.append(parsed)
    return out


def _year(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = f"{name} must be an integer year, e.g. 2018; got {value!r}"
        raise ParameterError(msg)
    return int(value)


def _indicator_keys(indicators: Sequence[str] | None) -> tuple[str, ...]:
    if indicators is None:
        return INDICATORS
    if isinstance(indicators, str):
        indicators = [indicators]
    chosen = set(check_literals("indicators", indicators, ALL_INDICATORS))
    return tuple(k for k in ALL_INDICATORS if k in chosen)


def _one(ind: _Indicator, units: list[Unit], year: int, p: IndicatorParams) -> str:
    parts = []
    for i, u in enumerate(units):
        population = ind.population(year, p, u.predicate("a"))
        parts.append(
            f"SELECT {i} AS ord, {sql_str(u.label)} AS unit, count(*) AS denominator, "
            f"count(*) FILTER (WHERE num) AS numerator FROM ({population})"
        )
    # UNION ALL keeps no order of its own: the units come back in the order given.
    return (f"SELECT unit, denominator, numerator FROM ({' UNION ALL '.join(parts)}) "
            "ORDER BY ord")


def social_balance(
    extract: Extract,
    *,
    units: str | Unit | Sequence[str | Unit],
    year: int,
    params: IndicatorParams | None = None,
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The strategy's indicators of social balance for each unit in year ``year``.

    Parameters
    ----------
    extract
        A :class:`cohort.extract.Extract`.
    units
        ``"area:<name>"``, ``"district:<name>"`` and/or ``"municipality:<code>"``,
        e.g. ``["area:vaerebro_park", "district:bagsvaerd", "municipality:159"]``.
        A district needs the extract's ``addresses.district``
        (:class:`~cohort.exceptions.MissingTableError` otherwise).
    year
        The indicators' year Y: 1 January Y for the public-support indicators,
        the school year ending in Y (2017 = 2016/17) for the school indicators,
        calendar year Y for placements and youth convictions, the labour year Y
        (status on 30 November) for ``not_in_education_or_work``.
    params
        The definitions' numbers (:class:`IndicatorParams`); the defaults of
        definitions §1 and §7 when not given.
    indicators
        A subset of :data:`ALL_INDICATORS`; the strategy's six
        (:data:`INDICATORS`) by default, ``list(ALL_INDICATORS)`` adds the two of
        §7 (:data:`GOAL_INDICATORS`). An indicator whose table the extract lacks
        raises :class:`~cohort.exceptions.MissingTableError`.

    Returns
    -------
    pandas.DataFrame
        One row per indicator and unit (indicators in the order of
        :data:`ALL_INDICATORS`, units in the order given), columns ``unit,
        indicator, period, numerator, denominator, share``. Raw counts: disclosure control
        (:mod:`cohort.disclosure`) must be applied before they leave the
        library. ``share`` is ``numerator / denominator`` (a proportion, NaN
        when the denominator is 0).

    Examples
    --------
    >>> social_balance(ex, units=["area:vaerebro_park", "municipality:159"],
    ...                year=2018)  # doctest: +SKIP

    """
    p = params if params is not None else IndicatorParams()
    if not isinstance(p, IndicatorParams):
        msg = f"params must be an IndicatorParams; got {type(p).__name__}"
        raise ParameterError(msg)
    year = _year("year", year)
    us = _units(units)
    check_unit_columns(extract, us)
    keys = _indicator_keys(indicators)
    for k in keys:
        extract.require(*_BY_KEY[k].tables, purpose=f"the indicator {k!r}")
        last = _BY_KEY[k].last_date(year, p)
        if last > extract.extract_end:
            msg = (f"the indicator {k!r} for {year} reads the registers on {last.isoformat()}, "
                   f"after the extract's end ({extract.extract_end.isoformat()}); choose an "
                   "earlier year")
            raise ParameterError(msg)
    frames = []
    for k in keys:
        ind = _BY_KEY[k]
        df = extract.con.execute(_one(ind, us, year, p)).df()
        df["indicator"] = k
        df["period"] = ind.period(year, p)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    for c in ("numerator", "denominator"):
        out[c] = out[c].astype("int64")
    out["share"] = out["numerator"] / out["denominator"].where(out["denominator"] > 0)
    return out.loc[:, list(COLUMNS)]


def social_balance_series(
    extract: Extract,
    *,
    units: str | Unit | Sequence[str | Unit],
    years: Iterable[int],
    params: IndicatorParams | None = None,
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """:func:`social_balance` for each year in ``years``, stacked.

    An indicator-year that reads the registers after the extract's end (youth
    education of the last school year, say: it looks 15 months ahead) is left
    out of the series rather than reported on unobserved data.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, unit, indicator, period, numerator, denominator, share``,
        ordered by year, then as :func:`social_balance`.

    Examples
    --------
    >>> social_balance_series(ex, units=["area:vaerebro_park", "municipality:159"],
    ...                       years=range(2010, 2020))  # doctest: +SKIP

    """
    ys = [_year("years", y) for y in years]
    if not ys:
        msg = "years must hold at least one year, e.g. range(2010, 2020)"
        raise ParameterError(msg)
    p = params if params is not None else IndicatorParams()
    keys = _indicator_keys(indicators)
    frames = []
    for y in ys:
        inside = [k for k in keys if _BY_KEY[k].last_date(y, p) <= extract.extract_end]
        if not inside:
            continue
        df = social_balance(extract, units=units, year=y, params=p, indicators=inside)
        df.insert(0, "year", y)
        frames.append(df)
    if not frames:
        msg = (f"every year asked for lies after the extract's end "
               f"({extract.extract_end.isoformat()})")
        raise ParameterError(msg)
    return pd.concat(frames, ignore_index=True)
