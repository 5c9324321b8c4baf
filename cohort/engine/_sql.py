"""SQL fragments for the contract's definitions, shared by every query.

Each function returns a DuckDB SQL expression over column expressions it is
given, so the definitions are written once (data-contract.md, "Conventions").
Values in them (dates, codes) are SQL text only through :mod:`cohort._sql`.
"""

from __future__ import annotations

import datetime as dt

from cohort._sql import sql_date, sql_list, sql_str
from cohort.extract.schema import EDUCATION_LEVELS, PUBLIC_SUPPORT_BENEFITS

__all__ = [
    "age_sql",
    "birthday_sql",
    "covers_sql",
    "days_between_sql",
    "effective_end_sql",
    "is_leap_sql",
    "level_rank_sql",
    "overlap_days_sql",
    "public_support_benefits_sql",
]


def is_leap_sql(year: str) -> str:
    """True when the year expression is a leap year."""
    return f"(({year}) % 4 = 0 AND (({year}) % 100 <> 0 OR ({year}) % 400 = 0))"


def _birthday_mmdd(birth: str, year: str) -> str:
    """Month*100+day of the birthday in ``year``.

    29 February falls on 1 March in years that are not leap years.
    """
    return (
        f"(CASE WHEN month({birth}) = 2 AND day({birth}) = 29 AND NOT {is_leap_sql(year)} "
        f"THEN 301 ELSE month({birth}) * 100 + day({birth}) END)"
    )


def age_sql(birth: str, on: str) -> str:
    """Age in completed years on date ``on`` for birth date ``birth``.

    A person born on 29 February has the birthday on 1 March in years that are
    not leap years.
    """
    return (
        f"(year({on}) - year({birth}) - CASE WHEN month({on}) * 100 + day({on}) < "
        f"{_birthday_mmdd(birth, f'year({on})')} THEN 1 ELSE 0 END)"
    )


def birthday_sql(birth: str, age: str) -> str:
    """The date of the ``age``-th birthday (29 February -> 1 March in common years)."""
    y = f"(year({birth}) + ({age}))"
    return (
        f"(CASE WHEN month({birth}) = 2 AND day({birth}) = 29 AND NOT {is_leap_sql(y)} "
        f"THEN make_date(CAST({y} AS BIGINT), 3, 1) "
        f"ELSE make_date(CAST({y} AS BIGINT), month({birth}), day({birth})) END)"
    )


def covers_sql(start: str, end: str, on: str) -> str:
    """True when the half-open spell ``[start, end)`` covers date ``on``.

    An empty end means the spell is still open.
    """
    return f"({start} <= {on} AND ({end} IS NULL OR {on} < {end}))"


def public_support_benefits_sql(column: str = "benefit") -> str:
    """True when the benefit counts as public support.

    That is every benefit but student grants and parental leave.
    """
    return f"({column} IN ({sql_list(PUBLIC_SUPPORT_BENEFITS)}))"


def level_rank_sql(column: str = "level") -> str:
    """The rank of an education level (0 = primary ... 7 = phd)."""
    whens = " ".join(f"WHEN {sql_str(lv)} THEN {i}" for i, lv in enumerate(EDUCATION_LEVELS))
    return f"(CASE {column} {whens} END)"


def effective_end_sql(end: str, extract_end: dt.date) -> str:
    """The exclusive end of a spell, an open spell running through ``extract_end``.

    So an open spell ends on the day after ``extract_end``. Equivalent to
    :func:`covers_sql` on every date up to ``extract_end``, and usable in range
    joins (no ``OR``).
    """
    return f"COALESCE({end}, {sql_date(extract_end + dt.timedelta(days=1))})"


def days_between_sql(start: str, end: str) -> str:
    """Whole days from ``start`` to ``end`` (``end - start``)."""
    return f"date_diff('day', {start}, {end})"


def overlap_days_sql(start1: str, end1: str, start2: str, end2: str) -> str:
    """Days in common between the half-open intervals ``[start1, end1)`` and ``[start2, end2)``.

    Zero when they do not meet. No argument may be NULL: DuckDB's
    ``greatest``/``least`` skip NULLs, so guard outer-joined rows.
    """
    days = days_between_sql(f"greatest({start1}, {start2})", f"least({end1}, {end2})")
    return f"greatest(0, {days})"
