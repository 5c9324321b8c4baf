"""A person's state on a date or in a year (data-contract.md, the tables).

Education, public support, labour, income.

Each primitive takes keys (a DataFrame or DuckDB relation with ``pid, date`` or
``pid, year``) and returns a lazy DuckDB relation with one row per key.
"""

from __future__ import annotations

import duckdb

from cohort._sql import sql_list
from cohort.engine._keys import Keys, keys_view
from cohort.engine._sql import covers_sql, level_rank_sql, public_support_benefits_sql
from cohort.extract import Extract
from cohort.extract.schema import EDUCATION_LEVELS, YOUTH_LEVELS

__all__ = [
    "enrolled_youth",
    "highest_level",
    "highest_level_sql",
    "income",
    "labour_status",
    "on_public_support",
]


def _levels_array() -> str:
    return "[" + sql_list(EDUCATION_LEVELS) + "]"


def highest_level_sql(keys: str) -> str:
    """SQL with columns ``pid, date, level``.

    The highest completed level on the key's date (``primary`` when none).
    ``keys`` is SQL with ``pid, date``.
    """
    return (
        f"SELECT k.pid, k.date, list_extract({_levels_array()}, "
        f"COALESCE(max({level_rank_sql('e.level')}), 0) + 1) AS level "
        f"FROM {keys} k LEFT JOIN education e ON e.pid = k.pid "
        "AND e.outcome = 'completed' AND e.end_date <= k.date "
        "GROUP BY k.pid, k.date"
    )


def highest_level(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """The highest completed education level on a date.

    The highest ``level`` of a spell with ``outcome = 'completed'`` and
    ``end_date <= date``; a person with none has ``primary``.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, level``: one row per key.

    """
    extract.require("education", purpose="the highest completed level")
    k = keys_view(extract.con, keys, ("pid", "date"))
    return extract.con.sql(highest_level_sql(k))


def on_public_support(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """Whether each person is on public support on the date.

    A benefit spell ``[start_date, end_date)`` covers the date and its benefit is
    any but ``student_grant`` and ``parental_leave``.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, on_public_support`` (boolean): one row per key.

    """
    extract.require("benefits", purpose="'on public support'")
    k = keys_view(extract.con, keys, ("pid", "date"))
    sql = (
        "SELECT k.pid, k.date, count(b.pid) > 0 AS on_public_support "
        f"FROM {k} k LEFT JOIN benefits b ON b.pid = k.pid "
        f"AND {public_support_benefits_sql('b.benefit')} "
        f"AND {covers_sql('b.start_date', 'b.end_date', 'k.date')} "
        "GROUP BY k.pid, k.date"
    )
    return extract.con.sql(sql)


def labour_status(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """The labour-market status at the end of November of the key's year.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, year, status`` (NULL where the person has no row that
        year): one row per key.

    """
    extract.require("labour", purpose="the labour-market status")
    k = keys_view(extract.con, keys, ("pid", "year"))
    sql = (
        f"SELECT k.pid, k.year, l.status FROM {k} k "
        "LEFT JOIN labour l ON l.pid = k.pid AND l.year = k.year"
    )
    return extract.con.sql(sql)


def income(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """Yearly income.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, year, disposable_income, gross_income`` (NULL where the
        person has no row that year): one row per key.

    """
    extract.require("income", purpose="income")
    k = keys_view(extract.con, keys, ("pid", "year"))
    sql = (
        "SELECT k.pid, k.year, i.disposable_income, i.gross_income FROM "
        f"{k} k LEFT JOIN income i ON i.pid = k.pid AND i.year = k.year"
    )
    return extract.con.sql(sql)


def enrolled_youth(extract: Extract, keys: Keys) -> duckdb.DuckDBPyRelation:
    """Whether each person is enrolled in youth education on the date.

    A spell of level ``youth_general`` or ``youth_vocational`` covers the date
    (``start_date <= date < end_date``, or ``end_date`` empty), whatever its
    outcome.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, date, enrolled_youth`` (boolean): one row per key.

    """
    extract.require("education", purpose="enrolment in youth education")
    k = keys_view(extract.con, keys, ("pid", "date"))
    youth = sql_list(YOUTH_LEVELS)
    sql = (
        "SELECT k.pid, k.date, count(e.pid) > 0 AS enrolled_youth "
        f"FROM {k} k LEFT JOIN education e ON e.pid = k.pid AND e.level IN ({youth}) "
        f"AND {covers_sql('e.start_date', 'e.end_date', 'k.date')} "
        "GROUP BY k.pid, k.date"
    )
    return extract.con.sql(sql)
