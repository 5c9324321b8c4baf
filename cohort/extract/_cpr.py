"""The CPR rule: identifiers copied in by hand stop everything.

From the data contract: validation stops, before anything is written, when any
column of any table

(a) holds a value of the hyphenated form ``DDMMYY-XXXX`` with a valid date, or
(b) has at least 95 % of its non-missing values shaped like CPR numbers: ten
    digits whose first six form a valid date ``DDMMYY``.

Both are checked in DuckDB, in one aggregate pass per file over its columns (a
few dozen columns per query), on every storage type that can hold such a value:

* text (VARCHAR, ENUM/dictionary, BLOB read as its bytes' text, and any type
  without a rule of its own, cast to text): surrounding whitespace, quotes and
  ``=`` (a spreadsheet's ``'0101901234`` or ``="0101901234"``) are removed, and
  ``""``, ``.``, ``.A`` ... ``.Z``, ``._`` (SAS missing values), ``NA``, ``N/A``,
  ``NULL``, ``None`` and ``NaN`` are missing. Nine digits, and ten digits followed
  by ``.0``, are read as the number they are (a number that went through a
  spreadsheet loses its leading zero; pandas writes a float column as ``101901234.0``);
* whole numbers of every width (TINYINT ... UHUGEINT, BIGNUM), integral DECIMALs
  and integral floating-point values (FLOAT, DOUBLE), as their digits padded to
  ten (a CPR number stored as a number loses its leading zero);
* nested values: every leaf of a STRUCT, LIST, ARRAY or MAP (keys and values) is
  checked as a column of its own, the lists unnested in one more pass per nested
  column.

Types that cannot hold a CPR number (dates, times, booleans, UUIDs) are skipped.
Column and field names are checked too; a message never quotes a value or a
CPR-shaped name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import duckdb

from cohort._sql import sql_ident, sql_list, sql_str
from cohort.exceptions import ContractError, CprDetectedError
from cohort.extract._fs import disk_full, spill_error
from cohort.extract._names import has_cpr, listable_names
from cohort.extract._readers import READ_ERRORS
from cohort.extract.presets.base import RawTable

__all__ = ["CPR_SHARE", "check_cpr", "cpr_shaped_sql", "hyphenated_cpr_sql", "missing_sql"]

#: Share of non-missing values shaped like CPR numbers at which a column stops validation.
CPR_SHARE = 0.95

_COLUMNS_PER_QUERY = 24
_MAX_DEPTH = 8
_STOP = (
    "Validation stopped before anything was written; replace identifiers with "
    "pseudonyms (cohort pseudonymise) and deliver the extract again."
)

_INT_IDS = {
    "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
    "uinteger", "ubigint", "uhugeint", "bignum", "varint",
}
_FLOAT_IDS = {"float", "double"}
_SKIP_IDS = {
    "boolean", "date", "time", "time with time zone", "time_ns", "timestamp", "timestamp_s",
    "timestamp_ms", "timestamp_ns", "timestamp with time zone", "interval", "uuid", "bit",
    "null", "sqlnull",
}
# removed around text before the rules: whitespace (space, tab, line breaks, no-break
# spaces, BOM) and the quotes and '=' a spreadsheet puts around a number kept as text
# ('0101901234, "0101901234", ="0101901234")
_WS = sql_str(" \t\n\x0b\x0c\r\u00a0\u2007\u202f\ufeff'\"=")
_MISSING = sorted(
    {"", ".", "._", "na", "n/a", "null", "none", "nan"}
    | {"." + chr(c) for c in range(ord("a"), ord("z") + 1)}
)


def _valid_ddmmyy(expr: str) -> str:
    # %y maps 00-68 to 20xx and 69-99 to 19xx; a 29 February is accepted exactly
    # when it exists in that century, which covers every year CPR can mean.
    return f"try_strptime({expr}, {sql_str('%d%m%y')}) IS NOT NULL"


def cpr_shaped_sql(s: str) -> str:
    """SQL that is true when text ``s`` is shaped like a CPR number.

    Ten digits whose first six form a date, or nine such digits (the leading zero
    lost), optionally followed by ``.0``.
    """
    # Nested CASE, not AND: DuckDB does not short-circuit AND, and the regular
    # expression and the date parse run only on the few values of the right length.
    digits = f"lpad(split_part({s}, '.', 1), 10, '0')"
    return (
        f"(CASE WHEN length({s}) BETWEEN 9 AND 20 THEN "
        f"(CASE WHEN regexp_full_match({s}, '[0-9]{{9,10}}(\\.0+)?') "
        f"THEN {_valid_ddmmyy(f'substr({digits}, 1, 6)')} ELSE false END) ELSE false END)"
    )


# the hyphen as typed, or as a word processor or spreadsheet writes it (non-breaking
# hyphen, figure dash, en and em dash, minus sign)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_HYPH = f"(^|[^0-9])([0-9]{{6}})[{_DASHES}][0-9]{{4}}($|[^0-9])"


def hyphenated_cpr_sql(s: str) -> str:
    """SQL that is true when text ``s`` contains ``DDMMYY-XXXX`` with a valid date.

    Any dash counts as the hyphen (``010190–1234``, as a word processor writes it).
    """
    return (
        f"(CASE WHEN {' OR '.join(f'strpos({s}, {sql_str(d)}) > 0' for d in _DASHES)} "
        f"THEN (CASE WHEN regexp_matches({s}, {sql_str(_HYPH)}) "
        f"THEN {_valid_ddmmyy(f'regexp_extract({s}, {sql_str(_HYPH)}, 2)')} "
        "ELSE false END) ELSE false END)"
    )


def missing_sql(t: str) -> str:
    """SQL that is true when trimmed text ``t`` is NULL or a missing-value marker."""
    listed = sql_list(_MISSING)
    return (
        f"(CASE WHEN {t} IS NULL THEN true WHEN length({t}) > 4 THEN false "
        f"ELSE lower({t}) IN ({listed}) END)"
    )


@dataclass(frozen=True)
class _Leaf:
    """One checked value stream: a column, or a leaf of a nested column."""

    label: str  # the column (and path inside it) for messages: "'pid'", "'info.nr[]'"
    source: str  # what it is selected from: the raw view, or an unnesting subquery
    text: str  # the value as text ready for the rules (NULL when missing or not integral)
    present: str  # SQL true when the value is not missing
    hyphenated: bool  # whether rule (a) applies (text only)
    #: for numbers: the value, whose digits can be CPR-shaped only between 10^8 and
    #: 10^10 (nine or ten digits); a test on it spares the text of every other value
    number: str | None = None
    #: a column of the file itself (not a nested leaf): its quoted name
    column: str | None = None


def _scalar(expr: str, type_id: str, label: str, source: str) -> _Leaf | None:
    if type_id in _SKIP_IDS:
        return None
    if type_id in _INT_IDS:
        return _Leaf(label, source, f"CAST({expr} AS VARCHAR)", f"({expr} IS NOT NULL)",
                     hyphenated=False, number=expr)
    if type_id in _FLOAT_IDS or type_id == "decimal":
        text = (
            f"(CASE WHEN {expr} = trunc({expr}) AND abs({expr}) < 1e10 "
            f"THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) END)"
        )
        present = (
            f"({expr} IS NOT NULL AND NOT isnan({expr}))"
            if type_id in _FLOAT_IDS
            else f"({expr} IS NOT NULL)"
        )
        return _Leaf(label, source, text, present, hyphenated=False, number=expr)
    # VARCHAR, ENUM, BLOB (its bytes as text: ASCII as is, other bytes escaped),
    # and whatever else: every DuckDB type can be cast to text
    text = f"trim(CAST({expr} AS VARCHAR), {_WS})"
    return _Leaf(label, source, text, f"(NOT {missing_sql(text)})", hyphenated=True)


def _name(name: str, position: int, what: str = "") -> str:
    """A column or field for a message: its name, or else its position.

    The position stands in when the name holds a long number (it may be a
    person's identifier).
    """
    return name if listable_names([name])[0] else f"<{what}{position}>"


class _Column:
    """The column being flattened, for messages: ``'info.nr[]'`` or ``4 ('.nr[]')``."""

    def __init__(self, name: str, position: int) -> None:
        self.shown = bool(listable_names([name])[0])
        self.base = name if self.shown else str(position)

    def label(self, path: str) -> str:
        if self.shown:
            return repr(self.base + path)
        return self.base + (f" ({path!r})" if path else "")


def _leaves(
    raw: RawTable,
    column: _Column,
    expr: str,
    ty: duckdb.typing.DuckDBPyType,
    path: str,
    source: str,
    depth: int,
) -> Iterator[_Leaf]:
    type_id = str(ty.id)
    if depth > _MAX_DEPTH:
        msg = (
            f"{raw.file}, column {column.label('')}: nested more than {_MAX_DEPTH} levels "
            "deep, so it cannot be checked for CPR numbers; deliver it flat"
        )
        raise ContractError(msg)
    if type_id == "struct":
        for i, (name, child) in enumerate(ty.children, start=1):
            if has_cpr(str(name)):
                msg = (
                    f"{raw.file}, column {column.label(path)}: field {i} has a name shaped "
                    f"like a CPR number (rule cpr_column_name). {_STOP}"
                )
                raise CprDetectedError(msg)
            yield from _leaves(
                raw, column, f"struct_extract({expr}, {sql_str(str(name))})", child,
                f"{path}.{_name(str(name), i, 'field ')}", source, depth + 1,
            )
    elif type_id in ("list", "array"):
        child = dict(ty.children)["child"]
        alias = f"_e{depth}"
        inner = f"(SELECT unnest({expr}) AS {alias} FROM {source})"
        yield from _leaves(raw, column, alias, child, f"{path}[]", inner, depth + 1)
    elif type_id == "map":
        kids = dict(ty.children)
        for part in ("key", "value"):
            alias = f"_e{depth}"
            inner = f"(SELECT unnest(map_{part}s({expr})) AS {alias} FROM {source})"
            yield from _leaves(
                raw, column, alias, kids[part], f"{path}[{part}]", inner, depth + 1
            )
    else:
        leaf = _scalar(expr, type_id, column.label(path), source)
        if leaf is not None:
            yield leaf if depth else replace(leaf, column=expr)


def _aggregates(leaf: _Leaf, count: str = "count(*)") -> str:
    hyph = hyphenated_cpr_sql(leaf.text) if leaf.hyphenated else "false"
    shaped = cpr_shaped_sql(leaf.text)
    if leaf.number is not None:
        shaped = (f"(CASE WHEN {leaf.number} >= 100000000 AND {leaf.number} < 10000000000 "
                  f"THEN {shaped} ELSE false END)")
    return (
        f"{count} FILTER (WHERE {leaf.present}), "
        f"{count} FILTER (WHERE {shaped}), "
        f"{count} FILTER (WHERE {hyph})"
    )


def check_cpr(con: duckdb.DuckDBPyConnection, raw: RawTable) -> None:
    """Raise :class:`CprDetectedError` if the raw table breaks the CPR rule.

    The message names the file, the column and the counts, never a value.
    """
    rel = con.sql(f"SELECT * FROM {sql_ident(raw.view)}")
    types = dict(zip(rel.columns, rel.types, strict=True))
    view = sql_ident(raw.view)
    by_source: dict[str, list[_Leaf]] = {}
    for position, col in enumerate(raw.columns, start=1):
        if has_cpr(col):  # the readers check names first; this is the last line
            msg = (
                f"column {position} of {raw.file} has a name shaped like a CPR number "
                f"(rule cpr_column_name). {_STOP}"
            )
            raise CprDetectedError(msg)
        column = _Column(col, position)
        for leaf in _leaves(raw, column, sql_ident(col), types[col], "", view, 0):
            by_source.setdefault(leaf.source, []).append(leaf)
    queries: list[tuple[list[_Leaf], str]] = []
    for source, leaves in by_source.items():
        plain = []
        for leaf in leaves:
            if leaf.hyphenated and leaf.column is not None and source == view:
                # text: the rules on each distinct value once, weighted by its rows
                # (trimming every value of a national table cost minutes)
                c = leaf.column
                grouped = f"(SELECT {c}, count(*) AS _n FROM {source} GROUP BY {c})"
                queries.append(([leaf], f"SELECT {_aggregates(leaf, 'sum(_n)')} FROM {grouped}"))
            else:
                plain.append(leaf)
        # a few columns per query: one query over a very wide file (DST's weekly DREAM
        # layout has over a thousand columns) grows faster than linearly
        for lo in range(0, len(plain), _COLUMNS_PER_QUERY):
            chunk = plain[lo : lo + _COLUMNS_PER_QUERY]
            queries.append((chunk, f"SELECT {', '.join(_aggregates(x) for x in chunk)} "
                                   f"FROM {source}"))
    for chunk, sql in queries:
        try:
            row = con.execute(sql).fetchall()[0]
        except READ_ERRORS as err:
            if disk_full(err):  # a spill to a full working folder, not the file
                raise spill_error(con) from None
            # a damaged file, or a value beyond DuckDB's range, found while reading
            # it; DuckDB's text may quote data, so it is not passed on
            msg = (
                f"{raw.file}: the file cannot be read (DuckDB {type(err).__name__}: a "
                "damaged file, or a value beyond the range of its type)"
            )
            raise ContractError(msg) from None
        for i, leaf in enumerate(chunk):
            _judge(raw, leaf.label, *(int(v or 0) for v in row[3 * i : 3 * i + 3]))


def _judge(raw: RawTable, col: str, present: int, shaped: int, hyphenated: int) -> None:
    if hyphenated:
        msg = (
            f"{raw.file}, column {col}: {hyphenated:,} value(s) of the form "
            f"DDMMYY-XXXX with a valid date, i.e. CPR numbers (rule cpr_hyphenated). {_STOP}"
        )
        raise CprDetectedError(msg)
    if present and shaped >= CPR_SHARE * present:
        msg = (
            f"{raw.file}, column {col}: {shaped:,} of {present:,} non-missing values "
            f"({100 * shaped / present:.0f} %) are shaped like CPR numbers "
            f"(ten digits starting with a valid DDMMYY date; rule cpr_shaped, limit 95 %). "
            f"{_STOP}"
        )
        raise CprDetectedError(msg)
