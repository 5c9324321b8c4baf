"""Resource status on a date, as one SQL query over many events at once.

The engine's primitives answer one question per key (the highest level on a
date, the labour status in a year); resource status needs both, for millions of
moves, so it is one query that reads only the labour and education rows of the
persons concerned and skips the events whose status follows from age and date
alone. It is built on the engine's SQL fragments (:mod:`cohort.engine._sql`:
age, level ranks), so those definitions are shared.

*Resource-strong* on date d (definitions.md §4): aged ``min_age``-``max_age`` on
d, labour status among ``employed_statuses`` in the person's latest labour year
before the calendar year of d, looking back at most ``labour_max_lag`` years
(default 1: the labour year Y - 1 for a date in year Y, the status at the end of
November before d), and highest completed level on d at least ``min_level``.
Persons outside the ages are ``not_adult``; the others ``not_resource_strong``.
A move is classified on its own date, a stock (the residents on 1 January) on
that date: status gained after the date is not credited to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from cohort._params import check_int_range, check_literal, check_literals
from cohort._sql import sql_int, sql_list
from cohort.engine._sql import age_sql, level_rank_sql
from cohort.exceptions import ParameterError
from cohort.extract.schema import EDUCATION_LEVELS, LABOUR_STATUSES

__all__ = ["RESOURCE_STATUSES", "ResourceDefinition", "resource_status_sql"]

#: The three resource statuses, in the order tables show them.
RESOURCE_STATUSES = ("resource_strong", "not_resource_strong", "not_adult")


@dataclass(frozen=True)
class ResourceDefinition:
    """What makes a person resource-strong on a date (defaults: definitions.md §4).

    Parameters
    ----------
    min_age, max_age
        Adult ages, inclusive (completed years on the date): 25 and 64.
    employed_statuses
        Labour statuses that count as in work: employed, self-employed.
    min_level
        The lowest education level that counts (levels rank as in the contract;
        the default ``"youth_general"`` means "youth education or higher").
    labour_max_lag
        How far back the labour status may come from, in labour years: an
        integer k (default 1) keeps only labour years ``>= year - k`` of the
        person's latest labour year before the date's year, so with 1 only the
        year before counts (a person with no row that year is not in work).
        ``None``: the latest labour year before the date's year, however old.

    """

    min_age: int = 25
    max_age: int = 64
    employed_statuses: tuple[str, ...] = ("employed", "self_employed")
    min_level: str = "youth_general"
    labour_max_lag: int | None = 1

    def __post_init__(self) -> None:
        check_int_range("min_age", self.min_age, low=0, high=150)
        check_int_range("max_age", self.max_age, low=self.min_age, high=150)
        check_literals("employed_statuses", self.employed_statuses, LABOUR_STATUSES)
        check_literal("min_level", self.min_level, EDUCATION_LEVELS)
        if self.labour_max_lag is not None:
            check_int_range("labour_max_lag", self.labour_max_lag, low=1)
        if not self.employed_statuses:
            msg = "employed_statuses must name at least one labour status; got ()"
            raise ParameterError(msg)


def resource_status_sql(
    events: str, *, date: str, birth: str, definition: ResourceDefinition
) -> str:
    """Attach age and resource status on a date to a query of events.

    ``events`` (a query with ``pid``, a date column and a birth-date column)
    with the columns ``age`` and ``resource_status`` on that date.

    Needs the tables ``labour`` and ``education`` as views on the connection.
    The CTE ``_ev`` (the events with their age) is materialised once. Only the
    events that could be resource-strong go through the labour (ASOF) and
    education joins: ``not_adult`` follows from the age alone, and an adult
    event in a year no later than the first labour year of the extract has no
    labour year before it, so is ``not_resource_strong``. The labour and
    education rows read are those of the persons of the remaining events.
    """
    d = definition
    statuses = sql_list(d.employed_statuses)
    age = age_sql(f"e.{birth}", f"e.{date}")
    lag = "" if d.labour_max_lag is None else (
        f" AND l.year >= j._status_year - {sql_int(int(d.labour_max_lag))}")
    rank = EDUCATION_LEVELS.index(d.min_level)
    # _class: 0 not adult; 1 adult, no labour year can precede the year; 2 the rest
    # (an unknown age is not "not_adult", as before: it takes the last branch)
    return f"""
    WITH _ev AS MATERIALIZED (
        SELECT *,
            CASE WHEN _age < {sql_int(d.min_age)} OR _age > {sql_int(d.max_age)} THEN 0
                 WHEN year({date}) <= (SELECT min(year) FROM labour) THEN 1
                 ELSE 2 END AS _class
        FROM (SELECT e.*, {age} AS _age FROM ({events}) e)
    ),
    _ad AS (
        SELECT * EXCLUDE (_class), CAST(year({date}) AS BIGINT) AS _status_year
        FROM _ev WHERE _class = 2
    ),
    _pids AS (SELECT DISTINCT pid FROM _ad),
    _lab AS (SELECT l.pid, l.year, l.status FROM labour l SEMI JOIN _pids p ON l.pid = p.pid),
    _q AS (
        SELECT e.pid, min(e.end_date) AS qualified_from FROM education e
        SEMI JOIN _pids p ON e.pid = p.pid
        WHERE e.outcome = 'completed' AND e.end_date IS NOT NULL
          AND {level_rank_sql('e.level')} >= {sql_int(rank)}
        GROUP BY e.pid
    ),
    _j AS (
        SELECT j.*, CASE WHEN l.year IS NOT NULL{lag} THEN l.status END AS _labour_status
        FROM _ad j ASOF LEFT JOIN _lab l ON j.pid = l.pid AND j._status_year > l.year
    )
    SELECT * EXCLUDE (_age, _class), _age AS age,
        CASE WHEN _class = 0 THEN 'not_adult' ELSE 'not_resource_strong' END AS resource_status
    FROM _ev WHERE _class < 2
    UNION ALL
    SELECT j.* EXCLUDE (_age, _status_year, _labour_status), j._age AS age,
        CASE WHEN j._labour_status IN ({statuses}) AND q.qualified_from <= j.{date}
             THEN 'resource_strong' ELSE 'not_resource_strong' END AS resource_status
    FROM _j j LEFT JOIN _q q ON j.pid = q.pid
    """
