"""Exposure to an area in childhood (definitions.md §3).

Days lived there between two birthdays, and living there on a birthday.

Birthdays follow the contract: a person born on 29 February has the birthday on
1 March in years that are not leap years.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from cohort._params import check_int_range
from cohort._sql import sql_date, sql_float, sql_int
from cohort.engine._keys import keys_view, persons_sql
from cohort.engine._sql import birthday_sql, overlap_days_sql
from cohort.engine.residence import residence_sql
from cohort.engine.units import Unit, check_unit_columns, parse_unit
from cohort.exceptions import ParameterError
from cohort.extract import Extract

__all__ = [
    "as_unit",
    "resident_at_age",
    "resident_at_age_sql",
    "years_between",
    "years_in_area",
    "years_in_area_sql",
]

#: Days per year in ``years_in_area``.
DAYS_PER_YEAR = 365.25


def as_unit(area: str | Unit) -> Unit:
    """An area name or a unit as a :class:`Unit`.

    ``"vaerebro_park"``, ``"area:..."``, ``"district:..."``, ``"municipality:159"``
    or a :class:`Unit`.
    """
    if isinstance(area, Unit):
        return area
    if not isinstance(area, str) or not area:
        msg = ("area must be an area name or 'area:<name>' / 'district:<name>' / "
               f"'municipality:<code>'; got {area!r}")
        raise ParameterError(msg)
    if ":" in area:
        return parse_unit(area)
    return Unit("area", area)


def _spells(extract: Extract, persons: str, residence: str | None) -> str:
    if residence is not None:
        return residence
    return f"({residence_sql(extract, None if persons == 'persons' else persons)})"


def years_in_area_sql(extract: Extract, unit: Unit, from_age: int, to_age: int,
                      persons: str = "persons", residence: str | None = None) -> str:
    """SQL with columns ``pid, years_in_area``.

    Days lived in ``unit`` from the ``from_age``-th to the ``to_age``-th birthday
    (``[b_from, b_to)``) divided by 365.25; NULL when the window ends after
    ``extract_end`` (not fully observed). ``persons`` is SQL for the persons rows
    to compute it for; ``residence`` optional SQL for their spells in the shape of
    :func:`residence_sql` (e.g. a table made from it once).
    """
    ee = extract.extract_end
    after_end = sql_date(ee + dt.timedelta(days=1))
    ba = birthday_sql("p.birth_date", sql_int(from_age))
    bb = birthday_sql("p.birth_date", sql_int(to_age))
    overlap = overlap_days_sql("a.moved_in", "a.end_", "p.ba", "p.bb")
    return (
        "SELECT p.pid, CASE WHEN p.bb > " + after_end + " THEN NULL ELSE "
        f"COALESCE(sum(CASE WHEN a.pid IS NOT NULL THEN {overlap} END), 0) / "
        f"{sql_float(DAYS_PER_YEAR)} END AS years_in_area "
        f"FROM (SELECT p.pid, {ba} AS ba, {bb} AS bb FROM {persons} p) p "
        f"LEFT JOIN {_spells(extract, persons, residence)} a ON a.pid = p.pid "
        f"AND {unit.predicate('a')} AND a.moved_in < p.bb AND a.end_ > p.ba "
        "GROUP BY p.pid, p.bb"
    )


def resident_at_age_sql(extract: Extract, unit: Unit, age: int,
                        persons: str = "persons", residence: str | None = None) -> str:
    """SQL with columns ``pid, resident_at_age``.

    Lives in ``unit`` on the ``age``-th birthday; NULL when that birthday is after
    ``extract_end``. ``persons`` and ``residence`` as in :func:`years_in_area_sql`.
    """
    b = birthday_sql("p.birth_date", sql_int(age))
    return (
        f"SELECT p.pid, CASE WHEN p.b > {sql_date(extract.extract_end)} THEN NULL "
        "ELSE a.pid IS NOT NULL END AS resident_at_age "
        f"FROM (SELECT p.pid, {b} AS b FROM {persons} p) p "
        f"LEFT JOIN {_spells(extract, persons, residence)} a ON a.pid = p.pid "
        f"AND {unit.predicate('a')} AND a.moved_in <= p.b AND p.b < a.end_"
    )


def _check_ages(from_age: int, to_age: int) -> None:
    check_int_range("from_age", from_age, low=0, high=120)
    check_int_range("to_age", to_age, low=0, high=120)
    if to_age <= from_age:
        msg = f"to_age must be greater than from_age; got from_age={from_age}, to_age={to_age}"
        raise ParameterError(msg)


def years_in_area(extract: Extract, *, area: str | Unit, from_age: int, to_age: int,
                  pids: Any = None) -> pd.Series:
    """Years lived in ``area`` from the ``from_age``-th to the ``to_age``-th birthday.

    The days of ``[birthday(from_age), birthday(to_age))`` on which the person
    lives in the area (half-open spells), divided by 365.25.

    Parameters
    ----------
    extract
        The register extract.
    area
        An area name (``"vaerebro_park"``), or ``"area:<name>"`` /
        ``"district:<name>"`` / ``"municipality:<code>"``.
    from_age, to_age
        The window, in completed years of age.
    pids
        Optional: the persons to compute it for (a list, or a DataFrame/relation
        with a ``pid`` column). Default: every person in ``persons``.

    Returns
    -------
    pandas.Series
        ``float`` indexed by ``pid`` (sorted), named ``years_in_area``; NaN where
        the ``to_age``-th birthday falls after the day after ``extract_end`` (the
        window is not fully observed).

    Examples
    --------
    >>> years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)  # doctest: +SKIP

    """
    _check_ages(from_age, to_age)
    unit = as_unit(area)
    check_unit_columns(extract, unit)
    persons = persons_sql(extract.con, pids)
    sql = years_in_area_sql(extract, unit, from_age, to_age, persons)
    df = extract.con.sql(f"SELECT * FROM ({sql}) ORDER BY pid").df()
    return pd.Series(df["years_in_area"].to_numpy(dtype=float), index=pd.Index(
        df["pid"].astype(object), name="pid"), name="years_in_area")


def resident_at_age(extract: Extract, *, area: str | Unit, age: int,
                    pids: Any = None) -> pd.Series:
    """Whether each person lives in ``area`` on the ``age``-th birthday.

    Returns
    -------
    pandas.Series
        Nullable ``boolean`` indexed by ``pid`` (sorted), named
        ``resident_at_age``; NA where the birthday falls after ``extract_end``.

    """
    check_int_range("age", age, low=0, high=120)
    unit = as_unit(area)
    check_unit_columns(extract, unit)
    sql = resident_at_age_sql(extract, unit, age, persons_sql(extract.con, pids))
    df = extract.con.sql(f"SELECT * FROM ({sql}) ORDER BY pid").df()
    return pd.Series(df["resident_at_age"].astype("boolean").to_numpy(), index=pd.Index(
        df["pid"].astype(object), name="pid"), name="resident_at_age", dtype="boolean")


def years_between(extract: Extract, *, area: str | Unit, keys: Any) -> pd.DataFrame:
    """Years lived in ``area`` between two dates, one window per key row.

    The days of ``[start, end)`` on which the person lives in the area (half-open
    spells, as :func:`years_in_area`), divided by 365.25. Used for the dose of an
    intervention: the years of childhood lived in the target area after it began.

    Parameters
    ----------
    extract
        The register extract.
    area
        An area name, or ``"area:<name>"`` / ``"district:<name>"`` /
        ``"municipality:<code>"``.
    keys
        A DataFrame (or DuckDB relation) with columns ``pid, start, end``
        (dates); ``end`` must not be before ``start``.

    Returns
    -------
    pandas.DataFrame
        Columns ``pid, start, end, years_in_area``, one row per distinct key,
        ordered by ``pid, start, end``; NaN where ``end`` falls after the day
        after ``extract_end`` (the window is not fully observed).

    Examples
    --------
    >>> years_between(ex, area="vaerebro_park", keys=windows)  # doctest: +SKIP

    """
    unit = as_unit(area)
    check_unit_columns(extract, unit)
    con = extract.con
    k = keys_view(con, keys, ("pid", "start", "end"), "keys")
    bad = con.sql(f'SELECT count(*) FROM {k} WHERE "end" < "start" '
                  'OR "start" IS NULL OR "end" IS NULL').fetchall()[0][0]
    if bad:
        msg = f"keys: {bad} window(s) with a missing date or an end before the start"
        raise ParameterError(msg)
    after_end = sql_date(extract.extract_end + dt.timedelta(days=1))
    overlap = overlap_days_sql("a.moved_in", "a.end_", 'k."start"', 'k."end"')
    sql = (
        f'SELECT k.pid, k."start", k."end", CASE WHEN k."end" > {after_end} THEN NULL ELSE '
        f"COALESCE(sum(CASE WHEN a.pid IS NOT NULL THEN {overlap} END), 0) / "
        f"{sql_float(DAYS_PER_YEAR)} END AS years_in_area FROM {k} k "
        f"LEFT JOIN ({residence_sql(extract, k)}) a ON a.pid = k.pid "
        f'AND {unit.predicate("a")} AND a.moved_in < k."end" AND a.end_ > k."start" '
        'GROUP BY k.pid, k."start", k."end" ORDER BY k.pid, k."start", k."end"'
    )
    df = con.sql(sql).df()
    df["pid"] = df["pid"].astype(object)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c]).dt.date
    df["years_in_area"] = df["years_in_area"].astype(float)
    return df
