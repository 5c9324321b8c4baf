"""Where persons live: on a date, in a unit, and the unbroken stays in the country.

Definitions (data-contract.md, "Conventions"): a residence spell is the half-open
interval ``[moved_in, moved_out)``; a person lives at an address on date ``d`` when
a spell has ``moved_in <= d < moved_out``. An open spell (empty ``moved_out``) runs
through ``extract_end``: the registers say nothing after it, so nobody lives
anywhere after ``extract_end`` in these primitives.

Every function returns a lazy DuckDB relation on the extract's connection; call
``.df()`` for a DataFrame, or pass it on to another primitive as keys.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from cohort.engine._keys import Keys, dates_view, keys_view
from cohort.engine._sql import effective_end_sql
from cohort.engine.units import Unit, check_unit_columns, parse_unit
from cohort.extract import Extract

__all__ = [
    "address_on",
    "in_country",
    "lives_in",
    "residence_sql",
    "residents",
    "stays_sql",
]


def _residence_of(persons: str | None, spells: str) -> str:
    if persons is None:
        return spells
    return (f"(SELECT r.* FROM {spells} r SEMI JOIN (SELECT pid FROM {persons}) p "
            "ON p.pid = r.pid)")


def residence_sql(extract: Extract, persons: str | None = None,
                  addresses_where: str | None = None, *, spells: str = "residence") -> str:
    """SQL for the residence spells with where each address lies.

    Columns: ``pid, address_id, moved_in, moved_out`` (the contract's value,
    NULL when open), ``end_`` (the exclusive end, an open spell running through
    ``extract_end``), ``municipality, area, district``.

    Parameters
    ----------
    extract
        The register extract.
    persons
        Optional SQL (a view name or a subquery) with a ``pid`` column: only their
        spells (restricting before the join with ``addresses`` saves most of the
        work when they are few).
    addresses_where
        Optional SQL predicate over ``a`` (the addresses), e.g.
        ``Unit.predicate("a")``: only spells at those addresses.
    spells
        The residence rows to start from: the table ``residence`` or a temporary
        table of some of its rows.

    """
    end = effective_end_sql("r.moved_out", extract.extract_end)
    adr = ("addresses" if addresses_where is None
           else f"(SELECT * FROM addresses a WHERE {addresses_where})")
    return (
        "SELECT r.pid, r.address_id, r.moved_in, r.moved_out, "
        f"{end} AS end_, a.municipality, a.area, a.district "
        f"FROM {_residence_of(persons, spells)} r JOIN {adr} a USING (address_id)"
    )


def _is_keys(at: Any) -> bool:
    return isinstance(at, (duckdb.DuckDBPyRelation, pd.DataFrame))


def address_on(extract: Extract, at: Keys | Any) -> duckdb.DuckDBPyRelation:
    """Where each person lives on each date.

    Parameters
    ----------
    extract
        The register extract.
    at
        Either a table of keys with columns ``pid, date`` (a DataFrame or a DuckDB
        relation): then the result has one row per key, with NULL address where the
        person lives nowhere in the country on that date; or a date or a list of
        dates: then one row per person living in the country on each date.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, address_id, municipality, area, district`` (``district``
        NULL where the extract has no ``addresses.district``).

    """
    con = extract.con
    if _is_keys(at):
        k = keys_view(con, at, ("pid", "date"), "at")
        sql = (
            "SELECT k.pid, k.date, r.address_id, r.municipality, r.area, r.district "
            f"FROM {k} k LEFT JOIN ({residence_sql(extract, k)}) r "
            "ON r.pid = k.pid AND r.moved_in <= k.date AND k.date < r.end_"
        )
    else:
        d = dates_view(con, at, "at")
        sql = (
            "SELECT r.pid, d.date, r.address_id, r.municipality, r.area, r.district "
            f"FROM {d} d JOIN ({residence_sql(extract)}) r "
            "ON r.moved_in <= d.date AND d.date < r.end_"
        )
    return con.sql(sql)


def residents(extract: Extract, unit: str | Unit, on: Any) -> duckdb.DuckDBPyRelation:
    """Who lives in ``unit`` on each date of ``on``.

    Parameters
    ----------
    extract
        The register extract.
    unit
        ``"area:<name>"``, ``"district:<name>"`` or ``"municipality:<code>"``
        (or a :class:`Unit`). A district needs ``addresses.district``
        (:class:`~cohort.exceptions.MissingTableError` when the extract has none).
    on
        A date, an ISO date string or a list of them, e.g. the 1 January of each
        year of a study.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date``: one row per person living in the unit on the date.

    """
    u = parse_unit(unit)
    check_unit_columns(extract, u)
    con = extract.con
    d = dates_view(con, on, "on")
    sql = (
        f"SELECT a.pid, d.date FROM {d} d JOIN ({residence_sql(extract)}) a "
        f"ON a.moved_in <= d.date AND d.date < a.end_ WHERE {u.predicate('a')}"
    )
    return con.sql(sql)


def lives_in(extract: Extract, unit: str | Unit, keys: Keys) -> duckdb.DuckDBPyRelation:
    """Whether each person lives in ``unit`` on the key's date.

    Parameters
    ----------
    extract
        The register extract.
    unit
        ``"area:<name>"``, ``"district:<name>"`` or ``"municipality:<code>"``
        (or a :class:`Unit`). A district needs ``addresses.district``
        (:class:`~cohort.exceptions.MissingTableError` when the extract has none).
    keys
        A DataFrame or relation with columns ``pid, date``.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, lives_in`` (boolean, never NULL): one row per key.

    """
    u = parse_unit(unit)
    check_unit_columns(extract, u)
    con = extract.con
    k = keys_view(con, keys, ("pid", "date"), "keys")
    sql = (
        f"SELECT k.pid, k.date, COALESCE({u.predicate('a')}, false) AS lives_in "
        f"FROM {k} k LEFT JOIN ({residence_sql(extract, k)}) a "
        "ON a.pid = k.pid AND a.moved_in <= k.date AND k.date < a.end_"
    )
    return con.sql(sql)


def in_country(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """Whether each person lives anywhere in the country on the key's date.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, in_country`` (boolean): one row per key.

    """
    con = extract.con
    k = keys_view(con, keys, ("pid", "date"), "keys")
    end = effective_end_sql("a.moved_out", extract.extract_end)
    sql = (
        "SELECT k.pid, k.date, a.pid IS NOT NULL AS in_country "
        f"FROM {k} k LEFT JOIN residence a "
        f"ON a.pid = k.pid AND a.moved_in <= k.date AND k.date < {end}"
    )
    return con.sql(sql)


def stays_sql(extract: Extract, persons: str | None = None, *,
              spells: str = "residence") -> str:
    """SQL for unbroken stays in the country.

    A stay is a run of residence spells where each starts on the day the one
    before ends (a change of address is not a break).

    Columns ``pid, stay_start, stay_end``: the stay is ``[stay_start, stay_end)``;
    ``stay_end`` is the first day of a gap in ``residence`` (emigration, or death
    where residence ends at death), and NULL when the stay runs through
    ``extract_end``.

    Parameters
    ----------
    extract
        The register extract.
    persons
        Optional SQL (a view name or a subquery) with a ``pid`` column to restrict
        the work to.

    spells
        The residence rows to start from (see :func:`residence_sql`).

    """
    src = _residence_of(persons, spells)
    return (
        "SELECT pid, min(moved_in) AS stay_start, "
        "CASE WHEN bool_or(moved_out IS NULL) THEN NULL ELSE max(moved_out) END AS stay_end "
        "FROM (SELECT pid, moved_in, moved_out, sum(brk) OVER (PARTITION BY pid ORDER BY moved_in "
        "ROWS UNBOUNDED PRECEDING) AS stay FROM (SELECT pid, moved_in, moved_out, "
        "CASE WHEN lag(moved_out) OVER (PARTITION BY pid ORDER BY moved_in) = moved_in "
        f"THEN 0 ELSE 1 END AS brk FROM {src})) GROUP BY pid, stay"
    )
