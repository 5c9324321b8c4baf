"""Yearly flows of an area, with rates per 1,000 and migration indices.

Yearly flows of an area: population on 1 January, births, deaths, in- and
out-moves, net, rates per 1,000 and the migration indices (definitions.md §4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from cohort._params import check_int_range, check_literal
from cohort._sql import sql_int
from cohort.engine.units import Unit
from cohort.exceptions import ParameterError
from cohort.extract import Extract
from cohort.flows._moves import AreaSpec, moves_sql, resolve_areas, unit_name
from cohort.flows._population import residents_sql
from cohort.flows._status import RESOURCE_STATUSES, ResourceDefinition

__all__ = ["MIGRATION_COUNTERPARTS", "check_years", "unit_names", "yearly"]

#: Origins / destinations that in- and out-moves share (births and deaths apart).
MIGRATION_COUNTERPARTS = ("same_municipality", "other_municipality", "abroad")
PERIODS = ("calendar", "between_populations")
COUNT_COLUMNS = ("population", "group_population", "births", "deaths", "in_moves", "out_moves")


def check_years(years: Iterable[int], extract_end: dt.date) -> tuple[int, ...]:
    """The years as sorted unique ints; each must start on or before extract_end."""
    ys = tuple(sorted({check_int_range("years", y, low=1800, high=2200) for y in years}))
    if not ys:
        msg = "years must name at least one calendar year; got none"
        raise ParameterError(msg)
    late = [y for y in ys if dt.date(y, 1, 1) > extract_end]
    if late:
        msg = (
            f"years must start on or before extract_end ({extract_end.isoformat()}); "
            f"got {late}"
        )
        raise ParameterError(msg)
    return ys


def unit_names(extract: Extract, spec: AreaSpec) -> list[str]:
    """The values of the ``area`` column the tables have rows for."""
    if spec.all_areas:
        df = extract.con.execute(
            "SELECT DISTINCT area FROM addresses WHERE area IS NOT NULL ORDER BY area"
        ).df()
        return [str(a) for a in df["area"]]
    return [unit_name(u) for u in spec.units]


def _float(x: pd.Series) -> np.ndarray:
    return pd.Series(x).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _rate(num: pd.Series, den: pd.Series, scale: float = 1000.0) -> np.ndarray:
    """Scale * num / den, NaN where den is 0 or missing."""
    n, d = _float(num), _float(den)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, scale * n / d, np.nan)


def yearly(
    extract: Extract,
    *,
    area: str | Unit | Sequence[str | Unit] | None,
    years: Iterable[int],
    definition: ResourceDefinition | None = None,
    period: str = "calendar",
) -> pd.DataFrame:
    """Population, births, deaths, in- and out-moves of an area per year.

    Per calendar year: population on 1 January, births, deaths, in- and
    out-moves, net, rates per 1,000 and the migration indices.

    In- and out-moves exclude births and deaths, which have their own columns.

    Parameters
    ----------
    extract
        A read extract (``persons``, ``residence``, ``addresses``, ``labour``,
        ``education``).
    area
        As in :func:`cohort.flows.moves`.
    years
        Calendar years; each must start on or before ``extract_end``. A year that
        ends after ``extract_end`` is counted up to it and marked
        ``complete = False``.
    definition
        What counts as resource-strong.
    period
        Which moves belong to year Y. ``"calendar"`` (default, §4 as written):
        those dated in Y. ``"between_populations"``: those dated 2 January Y to
        1 January Y+1, the changes between the 1 January populations of Y and
        Y+1, so that ``population(Y+1) = population(Y) + births - deaths + in -
        out`` holds exactly. The two differ only by moves dated 1 January: "lives
        in A on 1 January" already counts a person who moves in that day, so
        under ``"calendar"`` such a move is both in the population and among the
        year's in-moves (see docs/flows.md).

    Returns
    -------
    DataFrame
        One row per (``area``,) ``year``, ``breakdown`` and ``group``:

        - ``breakdown = "total"``, ``group = "all"``;
        - ``breakdown = "resource_status"``: one row per resource status (of the
          person on 1 January for the population, at the move for moves);
        - ``breakdown = "counterpart"``: ``same_municipality``,
          ``other_municipality``, ``abroad`` (in-moves by origin, out-moves by
          destination; ``births``/``deaths`` empty).

        Counts: ``population`` (the unit's whole population on 1 January),
        ``group_population`` (the group's, for resource status), ``births,
        deaths, in_moves, out_moves``; ``net = in_moves - out_moves``. Rates per
        1,000 of ``population``: ``births_per_1000, deaths_per_1000,
        in_per_1000, out_per_1000, net_per_1000``; ``turnover_per_1000 =
        1000 (in + out) / population``; ``effectiveness = 100 (in - out) / (in +
        out)``. For resource status also ``in_per_1000_group`` and
        ``out_per_1000_group`` per 1,000 of ``group_population`` (the
        group-specific rates). ``complete``: the year lies within the data.

    Examples
    --------
    >>> yearly(ex, area="vaerebro_park", years=range(2010, 2020))  # doctest: +SKIP

    """
    check_literal("period", period, PERIODS)
    spec = resolve_areas(area)
    definition = definition or ResourceDefinition()
    ys = check_years(years, extract.extract_end)
    year = "year(date)" if period == "calendar" else "year(date - INTERVAL 1 DAY)"
    mv = extract.con.execute(
        f"SELECT unit, CAST({year} AS BIGINT) AS year, direction, counterpart, "
        f"resource_status, count(*) AS n FROM ({moves_sql(extract, spec, definition=definition)}) "
        f"WHERE {year} IN ({', '.join(map(sql_int, ys))}) "
        "GROUP BY ALL"
    ).df()
    jan1 = [dt.date(y, 1, 1) for y in ys]
    pop = extract.con.execute(
        f"SELECT unit, CAST(year(date) AS BIGINT) AS year, resource_status, count(*) AS n "
        f"FROM ({residents_sql(extract, spec, jan1, definition=definition)}) GROUP BY ALL"
    ).df()
    last_day = (
        extract.extract_end if period == "calendar"
        else extract.extract_end - dt.timedelta(days=1)
    )
    table = _assemble(mv, pop, unit_names(extract, spec), ys, last_day)
    if spec.single:
        table = table.drop(columns="area")
    return table


def _assemble(
    mv: pd.DataFrame, pop: pd.DataFrame, units: list[str], ys: tuple[int, ...],
    last_day: dt.date,
) -> pd.DataFrame:
    """Build the yearly table from the counts.

    The table from the counts; a year is complete when its 31 December is
    on or before ``last_day``.
    """
    mv = mv.rename(columns={"unit": "area"})
    pop = pop.rename(columns={"unit": "area"})
    grid = pd.MultiIndex.from_product([units, ys], names=["area", "year"])

    def count(frame: pd.DataFrame, by: list[str], mask: pd.Series | None = None) -> pd.Series:
        f = frame if mask is None else frame[mask]
        return f.groupby(by)["n"].sum()

    is_in, is_out = mv["direction"] == "in", mv["direction"] == "out"
    birth, death = mv["counterpart"] == "birth", mv["counterpart"] == "death"
    total_pop = count(pop, ["area", "year"]).reindex(grid, fill_value=0)

    def block(by_extra: str | None, groups: Sequence[str], breakdown: str) -> pd.DataFrame:
        keys = ["area", "year"] + ([by_extra] if by_extra else [])
        idx = (
            pd.MultiIndex.from_product([units, ys, list(groups)], names=keys)
            if by_extra
            else grid
        )

        def c(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.Series:
            return count(frame, keys, mask).reindex(idx, fill_value=0)

        out = pd.DataFrame(index=idx)
        out["births"] = c(mv, is_in & birth)
        out["deaths"] = c(mv, is_out & death)
        out["in_moves"] = c(mv, is_in & ~birth)
        out["out_moves"] = c(mv, is_out & ~death)
        if by_extra == "resource_status":
            out["group_population"] = c(pop)
        out = out.reset_index()
        if by_extra:
            out = out.rename(columns={by_extra: "group"})
        else:
            out["group"] = "all"
        out["breakdown"] = breakdown
        return out

    total = block(None, ["all"], "total")
    status = block("resource_status", RESOURCE_STATUSES, "resource_status")
    cp = mv.assign(counterpart=mv["counterpart"].astype(str))
    cp_block = pd.DataFrame(
        index=pd.MultiIndex.from_product(
            [units, ys, list(MIGRATION_COUNTERPARTS)], names=["area", "year", "group"]
        )
    )
    for col, mask in (("in_moves", is_in & ~birth), ("out_moves", is_out & ~death)):
        cp_block[col] = (
            cp[mask].groupby(["area", "year", "counterpart"])["n"].sum()
            .rename_axis(["area", "year", "group"]).reindex(cp_block.index, fill_value=0)
        )
    cp_block = cp_block.reset_index()
    cp_block["breakdown"] = "counterpart"

    table = pd.concat([total, status, cp_block], ignore_index=True)
    table["population"] = total_pop.reindex(
        pd.MultiIndex.from_frame(table[["area", "year"]])
    ).to_numpy()
    for col in COUNT_COLUMNS:
        if col not in table:
            table[col] = pd.NA
        table[col] = table[col].astype("Int64")
    table["net"] = table["in_moves"] - table["out_moves"]
    p = table["population"]
    for col, name in (("births", "births_per_1000"), ("deaths", "deaths_per_1000"),
                      ("in_moves", "in_per_1000"), ("out_moves", "out_per_1000"),
                      ("net", "net_per_1000")):
        table[name] = _rate(table[col], p)
    gross = table["in_moves"] + table["out_moves"]
    table["turnover_per_1000"] = _rate(gross, p)
    table["effectiveness"] = _rate(table["net"], gross, scale=100.0)
    table["in_per_1000_group"] = _rate(table["in_moves"], table["group_population"])
    table["out_per_1000_group"] = _rate(table["out_moves"], table["group_population"])
    table["complete"] = [dt.date(int(y), 12, 31) <= last_day for y in table["year"]]
    order = {"total": 0, "resource_status": 1, "counterpart": 2}
    rank = {g: i for i, g in enumerate(("all", *RESOURCE_STATUSES, *MIGRATION_COUNTERPARTS))}
    table = table.assign(_b=table["breakdown"].map(order), _g=table["group"].map(rank))
    table = table.sort_values(["area", "year", "_b", "_g"]).drop(columns=["_b", "_g"])
    cols = ["area", "year", "breakdown", "group", "population", "group_population", "births",
            "deaths", "in_moves", "out_moves", "net", "births_per_1000", "deaths_per_1000",
            "in_per_1000", "out_per_1000", "net_per_1000", "turnover_per_1000",
            "effectiveness", "in_per_1000_group", "out_per_1000_group", "complete"]
    return table[cols].reset_index(drop=True)
