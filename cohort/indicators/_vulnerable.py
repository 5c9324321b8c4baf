"""The legal criteria for a vulnerable housing area (definitions §2), in DuckDB."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from cohort._sql import sql_date, sql_int, sql_list
from cohort.engine._sql import level_rank_sql
from cohort.engine.units import Unit, parse_unit
from cohort.exceptions import DataQualityWarning, ParameterError
from cohort.extract.schema import EDUCATION_LEVELS
from cohort.indicators._params import VulnerableAreaParams, day_in_year
from cohort.indicators._population import residents_sql
from cohort.indicators._regions import regions
from cohort.indicators._social_balance import _year

if TYPE_CHECKING:
    from cohort.extract import Extract

__all__ = ["CRITERIA", "VULNERABLE_COLUMNS", "vulnerable_area"]

#: The four criteria, in the law's order.
CRITERIA = ("outside_work_education", "convictions", "basic_education_only", "low_income")
#: The columns of :func:`vulnerable_area`.
VULNERABLE_COLUMNS = (
    "area", "list_year", "municipality", "region_code", "criterion",
    "numerator", "denominator", "missing", "value", "reference", "reference_source",
    "threshold", "cutoff", "met", "residents", "criteria_met", "vulnerable",
)
_TABLES = ("labour", "convictions", "education", "income")


def _areas(areas: str | Unit | Sequence[str | Unit]) -> list[str]:
    items = [areas] if isinstance(areas, str | Unit) else list(areas)
    if not items:
        msg = "areas must name at least one area, e.g. ['vaerebro_park']"
        raise ParameterError(msg)
    out: list[str] = []
    for a in items:
        u = parse_unit(a) if isinstance(a, Unit) or ":" in str(a) else Unit("area", str(a))
        if u.kind != "area":
            msg = f"areas takes area names ('vaerebro_park' or 'area:vaerebro_park'); got {a!r}"
            raise ParameterError(msg)
        if u.value not in out:
            out.append(u.value)
    return out


def _scalar(con, sql: str) -> tuple:
    return con.execute(sql).fetchone()


def _conviction_sql(where: str, years: tuple[int, int], p: VulnerableAreaParams) -> str:
    parts = []
    for y in years:
        d = sql_date(day_in_year(y, p.conviction_on, name="conviction_on"))
        y0, y1 = sql_date(dt.date(y, 1, 1)), sql_date(dt.date(y + 1, 1, 1))
        pop = residents_sql(d, where=where, min_age=p.conviction_min_age)
        parts.append(
            f"SELECT EXISTS (SELECT 1 FROM convictions c WHERE c.pid = pop.pid "
            f"AND c.offence IN ({sql_list(p.conviction_offences)}) "
            f"AND c.decision_date >= {y0} AND c.decision_date < {y1}) AS num FROM ({pop}) pop"
        )
    return (
        "SELECT count(*) FILTER (WHERE num) AS numerator, count(*) AS denominator FROM ("
        + " UNION ALL ".join(parts) + ")"
    )


def _outside_sql(where: str, years: tuple[int, int], p: VulnerableAreaParams) -> str:
    parts = []
    for y in years:
        d = sql_date(day_in_year(y, p.labour_on, name="labour_on"))
        pop = residents_sql(d, where=where, ages=p.labour_ages)
        parts.append(f"SELECT pop.pid, {sql_int(int(y))} AS year FROM ({pop}) pop")
    inside = sql_list(p.in_work_or_education)
    return (
        "SELECT count(*) FILTER (WHERE l.status IS NOT NULL "
        f"AND l.status NOT IN ({inside})) AS numerator, "
        "count(l.status) AS denominator, count(*) - count(l.status) AS missing "
        f"FROM ({' UNION ALL '.join(parts)}) pop "
        "LEFT JOIN labour l ON l.pid = pop.pid AND l.year = pop.year"
    )


def _basic_sql(where: str, year: int, p: VulnerableAreaParams) -> str:
    d = sql_date(day_in_year(year, p.education_on, name="education_on"))
    ranks = ", ".join(sql_int(EDUCATION_LEVELS.index(lv)) for lv in p.basic_levels)
    pop = residents_sql(d, where=where, ages=p.education_ages)
    # Highest completed level on d; a person with none has primary (rank 0) at most.
    return (
        f"SELECT count(*) FILTER (WHERE COALESCE(hl, 0) IN ({ranks})) AS numerator, "
        "count(*) AS denominator "
        f"FROM (SELECT pop.pid, (SELECT max({level_rank_sql('e.level')}) FROM education e "
        f"WHERE e.pid = pop.pid AND e.outcome = 'completed' AND e.end_date <= {d}) AS hl "
        f"FROM ({pop}) pop)"
    )


def _income_sql(where: str, year: int, p: VulnerableAreaParams) -> str:
    d = sql_date(day_in_year(year, p.income_on, name="income_on"))
    pop = residents_sql(d, where=where, ages=p.income_ages)
    excluded = sql_list(p.income_excluded_statuses)
    return (
        "SELECT count(i.gross_income) AS denominator, "
        "count(*) - count(i.gross_income) AS missing, avg(i.gross_income) AS value "
        f"FROM ({pop}) pop LEFT JOIN income i ON i.pid = pop.pid "
        f"AND i.year = {sql_int(int(year))} "
        f"WHERE NOT EXISTS (SELECT 1 FROM labour l WHERE l.pid = pop.pid "
        f"AND l.year = {sql_int(int(year))} AND l.status IN ({excluded}))"
    )


def _check_share(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        msg = f"{name} must be a proportion in [0, 1] (e.g. 0.012 for 1.2 %); got {value!r}"
        raise ParameterError(msg)
    return float(value)


def _check_income(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        msg = f"{name} must be a positive amount in DKK; got {value!r}"
        raise ParameterError(msg)
    return float(value)


def _area_municipality(con, area: str) -> int:
    # An area lies in one municipality; should its addresses straddle two, the
    # municipality holding most of them is the area's.
    row = con.execute(
        "SELECT municipality FROM addresses WHERE area = ? "
        "GROUP BY municipality ORDER BY count(*) DESC, municipality LIMIT 1",
        [area],
    ).fetchone()
    if row is None:
        msg = f"the area {area!r} has no addresses in this extract (addresses.area)"
        raise ParameterError(msg)
    return int(row[0])


def _coverage_warning(what: str, present: set[int], needed: set[int], fix: str) -> None:
    missing = needed - present
    if missing:
        warnings.warn(
            f"{what} is computed from the extract, which has addresses in "
            f"{len(needed) - len(missing)} of its {len(needed)} municipalities; "
            f"pass {fix} to use the published reference value",
            DataQualityWarning,
            stacklevel=3,
        )


def vulnerable_area(
    extract: Extract,
    *,
    areas: str | Unit | Sequence[str | Unit],
    list_year: int,
    params: VulnerableAreaParams | None = None,
    national_conviction_share: float | None = None,
    regional_mean_income: float | Mapping[int, float] | None = None,
) -> pd.DataFrame:
    """The four criteria for a vulnerable housing area, and the classification.

    Parameters
    ----------
    extract
        A :class:`cohort.extract.Extract` with ``labour``, ``convictions``,
        ``education`` and ``income``.
    areas
        Area names (``"vaerebro_park"`` or ``"area:vaerebro_park"``).
    list_year
        The list year L (the list of 1 December L); the criteria use L-2 and L-1.
    params
        The definitions' numbers (:class:`VulnerableAreaParams`).
    national_conviction_share
        The share of the whole country's residents aged 18+ with a conviction
        (pooled over L-2 and L-1), as a proportion. Computed from the extract
        when not given (a :class:`~cohort.exceptions.DataQualityWarning` says
        when the extract does not cover every municipality).
    regional_mean_income
        The mean gross income (DKK) of the comparison group in the area's
        region: one number for every area, or ``{region_code: mean}``.
        Computed from the extract when not given (with the same warning).

    Returns
    -------
    pandas.DataFrame
        Four rows per area (criteria in the law's order), columns
        ``area, list_year, municipality, region_code, criterion, numerator,
        denominator, missing, value, reference, reference_source, threshold,
        cutoff, met, residents, criteria_met, vulnerable``. ``value`` is a
        proportion (a mean in DKK for ``low_income``), ``cutoff`` the value the
        criterion compares with (``threshold`` times ``reference`` for the
        relative criteria), ``missing`` the persons of the population without
        the register value the criterion needs (no labour row / no income).
        Raw counts: apply disclosure control before they leave the library.

    Examples
    --------
    >>> vulnerable_area(ex, areas=["vaerebro_park"], list_year=2018)  # doctest: +SKIP

    """
    p = params if params is not None else VulnerableAreaParams()
    if not isinstance(p, VulnerableAreaParams):
        msg = f"params must be a VulnerableAreaParams; got {type(p).__name__}"
        raise ParameterError(msg)
    L = _year("list_year", list_year)
    names = _areas(areas)
    extract.require(*_TABLES, purpose="the vulnerable-area criteria")
    last = max(day_in_year(L - 1, md, name="dates") for md in (
        p.labour_on, p.conviction_on, p.education_on, p.income_on, p.residents_on,
        (12, 31)))
    if last > extract.extract_end:
        msg = (f"the list year {L} reads the registers up to {last.isoformat()}, after the "
               f"extract's end ({extract.extract_end.isoformat()}); choose an earlier list year")
        raise ParameterError(msg)
    con = extract.con
    years = (L - 2, L - 1)
    reg = regions()
    present = {int(r[0]) for r in
               con.execute("SELECT DISTINCT municipality FROM addresses").fetchall()}

    located = [(area, _area_municipality(con, area)) for area in names]

    if national_conviction_share is None:
        _coverage_warning("the national conviction share", present,
                          set(reg.municipality.tolist()), "national_conviction_share=")
        n_num, n_den = _scalar(con, _conviction_sql("TRUE", years, p))
        national, national_src = (n_num / n_den if n_den else math.nan), "extract"
    else:
        national = _check_share("national_conviction_share", national_conviction_share)
        national_src = "parameter"

    region_mean: dict[int, float] = {}
    rows = []
    for area, mun in located:
        where = Unit("area", area).predicate("a")
        match = reg.loc[reg.municipality == mun, "region_code"]
        region = int(match.iloc[0]) if len(match) else None
        d_res = sql_date(day_in_year(L - 1, p.residents_on, name="residents_on"))
        (residents,) = _scalar(con, f"SELECT count(*) FROM ({residents_sql(d_res, where=where)})")

        # low income reference: the region's mean, passed in or computed
        if isinstance(regional_mean_income, Mapping):
            if region not in regional_mean_income:
                msg = (f"regional_mean_income has no value for region {region} "
                       f"(the region of the area {area!r})")
                raise ParameterError(msg)
            inc_ref = _check_income("regional_mean_income", regional_mean_income[region])
            inc_src = "parameter"
        elif regional_mean_income is not None:
            inc_ref = _check_income("regional_mean_income", regional_mean_income)
            inc_src = "parameter"
        else:
            if region is None:
                msg = (f"the municipality {mun} of the area {area!r} is not in the shipped "
                       "municipality table; pass regional_mean_income=")
                raise ParameterError(msg)
            if region not in region_mean:
                codes = reg.loc[reg.region_code == region, "municipality"].tolist()
                _coverage_warning(f"the mean income of region {region}", present, set(codes),
                                  "regional_mean_income=")
                in_region = f"(a.municipality IN ({', '.join(sql_int(int(c)) for c in codes)}))"
                _, _, mean = _scalar(con, _income_sql(in_region, L - 1, p))
                region_mean[region] = math.nan if mean is None else float(mean)
            inc_ref, inc_src = region_mean[region], "extract"

        o_num, o_den, o_mis = _scalar(con, _outside_sql(where, years, p))
        c_num, c_den = _scalar(con, _conviction_sql(where, years, p))
        b_num, b_den = _scalar(con, _basic_sql(where, L - 1, p))
        i_den, i_mis, i_mean = _scalar(con, _income_sql(where, L - 1, p))

        def share(n: int, d: int) -> float:
            return n / d if d else math.nan

        crit = [
            ("outside_work_education", o_num, o_den, o_mis, share(o_num, o_den), math.nan, None,
             p.outside_work_threshold, p.outside_work_threshold, ">"),
            ("convictions", c_num, c_den, 0, share(c_num, c_den), national, national_src,
             p.conviction_multiple, p.conviction_multiple * national, ">="),
            ("basic_education_only", b_num, b_den, 0, share(b_num, b_den), math.nan, None,
             p.basic_education_threshold, p.basic_education_threshold, ">"),
            ("low_income", None, i_den, i_mis, math.nan if i_mean is None else float(i_mean),
             inc_ref, inc_src, p.income_fraction, p.income_fraction * inc_ref, "<"),
        ]
        for key, num, den, mis, value, ref, src, thr, cut, op in crit:
            if math.isnan(value) or math.isnan(cut):
                met = False
            elif op == ">":
                met = value > cut
            elif op == ">=":
                # An area without a single conviction never meets the criterion,
                # even against a national share of 0.
                met = value >= cut and value > 0
            else:
                met = value < cut
            rows.append({
                "area": area, "list_year": L, "municipality": mun, "region_code": region,
                "criterion": key, "numerator": num, "denominator": den, "missing": mis,
                "value": value, "reference": ref, "reference_source": src, "threshold": thr,
                "cutoff": cut, "met": bool(met), "residents": int(residents),
            })
    out = pd.DataFrame(rows)
    n_met = out.groupby("area", sort=False)["met"].transform("sum").astype("int64")
    out["criteria_met"] = n_met
    out["vulnerable"] = (out["residents"] >= p.min_residents) & (n_met >= p.min_criteria)
    out = out.astype({
        "list_year": "int64", "municipality": "int64", "region_code": "Int64",
        "numerator": "Int64", "denominator": "int64", "missing": "int64",
        "value": "float64", "reference": "float64", "cutoff": "float64", "threshold": "float64",
        "residents": "int64", "met": "bool", "vulnerable": "bool",
    })
    out["reference_source"] = out["reference_source"].astype(object).where(
        out["reference_source"].notna(), None)
    return out.loc[:, list(VULNERABLE_COLUMNS)]
