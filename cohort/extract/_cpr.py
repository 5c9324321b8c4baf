"""The CPR rule: identifiers copied in by hand stop everything.

From the data contract: validation stops, before anything is written, when any
column of any table

(a) holds a value of the hyphenated form ``DDMMYY-XXXX`` with a valid date, or
(b) has at least 95 % of its non-empty values shaped like CPR numbers: ten
    digits whose first six form a valid date ``DDMMYY``.

Both are checked in DuckDB in one pass per file over every column that can hold
such a value: text columns, and integer-valued numeric columns (a CPR number
stored as a number loses its leading zero, so nine-digit numbers are padded).
"""

from __future__ import annotations

import duckdb

from cohort.exceptions import CprDetectedError
from cohort.extract._readers import sql_ident
from cohort.extract.presets.base import RawTable

__all__ = ["CPR_SHARE", "check_cpr", "cpr_shaped_sql", "hyphenated_cpr_sql"]

#: Share of non-empty values shaped like CPR numbers at which a column stops validation.
CPR_SHARE = 0.95

_COLUMNS_PER_QUERY = 24
_TEXT_TYPES = ("VARCHAR",)
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


def _valid_ddmmyy(expr: str) -> str:
    # %y maps 00-68 to 20xx and 69-99 to 19xx; a 29 February is accepted exactly
    # when it exists in that century, which covers every year CPR can mean.
    return f"try_strptime({expr}, '%d%m%y') IS NOT NULL"


def cpr_shaped_sql(s: str) -> str:
    """SQL that is true when text ``s`` is ten digits whose first six form a date."""
    # CASE, not AND: DuckDB does not short-circuit AND, and the date parse is the
    # expensive part; it runs only on the rare values that are ten digits.
    return (
        f"(CASE WHEN length({s}) = 10 AND regexp_full_match({s}, '[0-9]{{10}}') "
        f"THEN {_valid_ddmmyy(f'substr({s}, 1, 6)')} ELSE false END)"
    )


_HYPH = "(^|[^0-9])([0-9]{6})-[0-9]{4}($|[^0-9])"


def hyphenated_cpr_sql(s: str) -> str:
    """SQL that is true when text ``s`` contains ``DDMMYY-XXXX`` with a valid date."""
    return (
        f"(CASE WHEN strpos({s}, '-') > 0 AND regexp_matches({s}, '{_HYPH}') "
        f"THEN {_valid_ddmmyy(f'regexp_extract({s}, {chr(39)}{_HYPH}{chr(39)}, 2)')} "
        "ELSE false END)"
    )


def _as_text(col: str, dtype: str) -> str | None:
    c = sql_ident(col)
    if dtype.startswith(_TEXT_TYPES):
        return f"trim({c})"
    if dtype in _INT_TYPES:
        return f"lpad(CAST({c} AS VARCHAR), 10, '0')"
    if dtype in _FLOAT_TYPES:
        return (
            f"CASE WHEN {c} = trunc({c}) AND abs({c}) < 1e10 "
            f"THEN lpad(CAST(CAST({c} AS BIGINT) AS VARCHAR), 10, '0') END"
        )
    return None


def check_cpr(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Raise :class:`CprDetectedError` if the raw table breaks the CPR rule.

    The message names the file, the column and the counts, never a value.
    """
    types = dict(
        (r[0], r[1]) for r in con.execute(f"DESCRIBE {raw.view}").fetchall()
    )
    parts: list[str] = []
    checked: list[str] = []
    for col in raw.columns:
        text = _as_text(col, types[col])
        if text is None:
            continue
        hyph = "false" if not types[col].startswith(_TEXT_TYPES) else hyphenated_cpr_sql(text)
        parts.append(
            f"count(*) FILTER (WHERE {text} IS NOT NULL AND {text} <> ''), "
            f"count(*) FILTER (WHERE {cpr_shaped_sql(text)}), "
            f"count(*) FILTER (WHERE {hyph})"
        )
        checked.append(col)
    # a few columns per query: one query over a very wide file (DST's weekly DREAM
    # layout has over a thousand columns) grows faster than linearly
    for lo in range(0, len(parts), _COLUMNS_PER_QUERY):
        chunk = parts[lo : lo + _COLUMNS_PER_QUERY]
        row = con.execute(f"SELECT {', '.join(chunk)} FROM {raw.view}").fetchall()[0]
        for i, col in enumerate(checked[lo : lo + _COLUMNS_PER_QUERY]):
            _judge(raw, col, *row[3 * i : 3 * i + 3])


def _judge(raw: RawTable, col: str, nonempty: int, shaped: int, hyphenated: int) -> None:
    if hyphenated:
        msg = (
            f"{raw.file}, column {col!r}: {hyphenated:,} value(s) of the form "
            "DDMMYY-XXXX with a valid date, i.e. CPR numbers (rule cpr_hyphenated). "
            "Validation stopped before anything was written; replace identifiers with "
            "pseudonyms (cohort pseudonymise) and deliver the extract again."
        )
        raise CprDetectedError(msg)
    if nonempty and shaped >= CPR_SHARE * nonempty:
        msg = (
            f"{raw.file}, column {col!r}: {shaped:,} of {nonempty:,} non-empty values "
            f"({100 * shaped / nonempty:.0f} %) are shaped like CPR numbers "
            "(ten digits starting with a valid DDMMYY date; rule cpr_shaped, limit 95 %). "
            "Validation stopped before anything was written; replace identifiers with "
            "pseudonyms (cohort pseudonymise) and deliver the extract again."
        )
        raise CprDetectedError(msg)
