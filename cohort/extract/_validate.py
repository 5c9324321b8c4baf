"""Typing and row rules, in DuckDB.

For each canonical table, one statement types every column, evaluates the row
rules of :data:`cohort.extract.schema.RULES` in their fixed order, and
materialises the result as ``_checked_<table>``: the typed columns, the first rule
the row broke (``_rule``, NULL when accepted), the row's origin
(``_source_file``, ``_source_row``) and, for quarantined rows only, the values as
read. The accepted table is the view ``<table>`` over it; the quarantine is
``_quarantine_<table>``. Nothing is dropped: every row read is in exactly one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cohort._sql import sql_date, sql_ident, sql_list, sql_str
from cohort.exceptions import ContractError
from cohort.extract._fs import duckdb_write_error
from cohort.extract._output import CONVERSION_ERRORS, NOTE
from cohort.extract._shapes import describe_shapes, shape_counts
from cohort.extract.presets.base import CanonicalSource
from cohort.extract.schema import RULES, Column, Table

__all__ = ["CONVERSION_ERRORS", "TableCheck", "check_table"]

# missing in a date or number column read from text: empty, NA, and SAS's missing
# values as a SAS export writes them (., .A ... .Z, ._)
_NULL_TOKENS = (
    "(" + sql_list(["", "NA", ".", "._", *(f".{chr(c)}" for c in range(ord("A"), ord("Z") + 1))])
    + ")"
)
_INT_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "BIGNUM",
)
# whole numbers that always fit a BIGINT
_SMALL_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT",
                    "UINTEGER")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
_SQL_TYPES = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "date": "DATE",
    "int": "BIGINT",
    "float": "DOUBLE",
}
_FAR_FUTURE = sql_date(dt.date(9999, 12, 31))


@dataclass(frozen=True)
class TableCheck:
    """Counts for one table after validation."""

    table: str
    file: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rules: dict[str, int]


def _is_text(dtype: str) -> bool:
    return dtype.startswith("VARCHAR")


def _typed(col: Column, src: str | None, dtype: str | None, decimal: str) -> tuple[str, str]:
    """SQL for the typed value and for "a value is present" (before typing)."""
    sql_type = _SQL_TYPES[col.type]
    if src is None:
        return f"CAST(NULL AS {sql_type})", "false"
    c = sql_ident(src)
    dtype = dtype or "VARCHAR"
    if _is_text(dtype):
        if col.type in ("string", "category"):
            v = f"NULLIF(trim({c}), '')"
            return v, f"({v} IS NOT NULL)"
        v = f"(CASE WHEN trim({c}) IN {_NULL_TOKENS} THEN NULL ELSE trim({c}) END)"
        present = f"({v} IS NOT NULL)"
        num = f"replace({v}, ',', '.')" if decimal == "," else v
        if col.type == "date":
            return f"CAST(try_strptime({v}, ['%Y-%m-%d', '%d%b%Y']) AS DATE)", present
        if col.type == "int":
            # DuckDB's cast from text rounds ('2.5' -> 3) and reads hexadecimal ('0x1F'):
            # only text whose number is whole is a whole number
            dbl = f"try_cast({num} AS DOUBLE)"
            return (
                f"(CASE WHEN {dbl} = trunc({dbl}) THEN COALESCE(try_cast({num} AS BIGINT), "
                f"CASE WHEN abs({dbl}) < 9e15 THEN CAST({dbl} AS BIGINT) END) END)",
                present,
            )
        return f"try_cast({num} AS DOUBLE)", present
    # typed source columns
    if dtype in _FLOAT_TYPES:
        ok = f"({c} IS NOT NULL AND NOT isnan({c}) AND NOT isinf({c}))"
        if col.type == "float":
            return f"CASE WHEN {ok} THEN CAST({c} AS DOUBLE) END", ok
        if col.type == "int":
            # try_cast: a whole number beyond BIGINT (1e300) fails instead of raising
            return f"CASE WHEN {ok} AND {c} = trunc({c}) THEN try_cast({c} AS BIGINT) END", ok
        if col.type in ("string", "category"):
            return (
                f"CASE WHEN {ok} AND {c} = trunc({c}) AND abs({c}) < 9e15 "
                f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) "
                f"WHEN {ok} THEN CAST({c} AS VARCHAR) END",
                ok,
            )
        return "CAST(NULL AS DATE)", ok  # a number is not a date
    present = f"({c} IS NOT NULL)"
    if col.type in ("string", "category"):
        return f"NULLIF(CAST({c} AS VARCHAR), '')", present
    if col.type == "date":
        if dtype == "DATE" or dtype.startswith("TIMESTAMP"):
            return f"CAST({c} AS DATE)", present
        return "CAST(NULL AS DATE)", present
    if col.type == "int":
        if dtype in _SMALL_INT_TYPES:
            return f"CAST({c} AS BIGINT)", present
        if dtype.startswith("DECIMAL"):
            # a cast would round 3.5 to 4: only whole values are whole numbers
            return f"CASE WHEN {c} = trunc({c}) THEN try_cast({c} AS BIGINT) END", present
        return f"try_cast({c} AS BIGINT)", present
    if dtype in _INT_TYPES or dtype.startswith("DECIMAL"):
        return f"CAST({c} AS DOUBLE)", present
    return f"try_cast({c} AS DOUBLE)", present


def _fatal_conversion(
    con: duckdb.DuckDBPyConnection,
    src: CanonicalSource,
    table: Table,
    typed: dict[str, str],
    present: dict[str, str],
    mapping: dict[str, str],
    *,
    decimal: str,
    errors_dir: Path | None,
    errors_shown: Path | None = None,
) -> None:
    """Stop when a numeric column cannot be converted, or no value of a date column can.

    The message names the file, the column, the count and the shapes of the values
    that fail (:mod:`cohort.extract._shapes`), never the values: those are written to
    ``errors_dir/<table>.<column>.csv`` when there is an output folder, and the
    message names them in ``errors_shown`` (where they will be once the validation
    folder is in place; default ``errors_dir``).
    """
    dtypes = {r[0]: r[1] for r in con.execute(f"DESCRIBE {src.view}").fetchall()}
    for col in table.columns:
        if col.type not in ("int", "float", "date") or col.name not in mapping:
            continue
        if _cannot_fail(col.type, dtypes.get(mapping[col.name], "")):
            continue
        t, p = typed[col.name], present[col.name]
        failed, n_present = con.execute(
            f"SELECT count(*) FILTER (WHERE {p} AND {t} IS NULL), count(*) FILTER (WHERE {p}) "
            f"FROM {src.view}"
        ).fetchall()[0]
        fatal = failed > 0 if col.type != "date" else (n_present > 0 and failed == n_present)
        if not fatal:
            continue
        value = f"CAST({sql_ident(mapping[col.name])} AS VARCHAR)"
        failing = f"FROM {src.view} WHERE {p} AND {t} IS NULL"
        shapes = shape_counts(con, f"SELECT {value} {failing}")
        what = {"int": "whole numbers", "float": "numbers", "date": "dates"}[col.type]
        hint = ""
        if decimal == "." and any(s == "digits with ',' decimal mark" for s, _ in shapes):
            hint = " (if ',' is the decimal mark, set [csv] decimal = \",\" in extract.toml)"
        target = f"{table.name}.{col.name}.csv"
        if errors_dir is not None:
            errors_dir.mkdir(parents=True, exist_ok=True)
            path = errors_dir / target
            final = (errors_shown or errors_dir) / target
            # the row's identifier too, as in a quarantine file: the analyst can find
            # the person, and the release checker refuses the file (a pid column)
            key = next((k for k in ("pid", "address_id") if k in mapping), None)
            ident = (
                f"CAST({sql_ident(mapping[key])} AS VARCHAR) AS {sql_ident(key)}, " if key else ""
            )
            try:
                con.execute(
                    f"COPY (SELECT _source_file, _source_row, {ident}{value} AS "
                    f"{sql_ident(col.name)} {failing} ORDER BY _source_file, _source_row) "
                    f"TO {sql_str(path.as_posix())} (HEADER, DELIMITER ',')"
                )
            except duckdb.Error as err:
                raise duckdb_write_error(
                    err, (errors_shown or errors_dir).parent, what="the validation folder",
                    note=NOTE,
                ) from None
            where = (
                f"the values that fail are in {final} (person-level: it stays on the server)"
            )
        else:
            where = (
                "the values are not shown; `cohort validate` with `--out DIR` writes them to "
                f"DIR/{CONVERSION_ERRORS}/{target}"
            )
        msg = (
            f"{src.file}, column {col.name!r}: {failed:,} value(s) cannot be read as {what} "
            f"(rule type_conversion); their shapes: {describe_shapes(shapes)}{hint}. "
            f"No rows of the table are used; {where}."
        )
        raise ContractError(msg)


def _cannot_fail(kind: str, dtype: str) -> bool:
    """Whether typing a column of DuckDB type ``dtype`` as ``kind`` always succeeds."""
    if kind == "int":
        return dtype in _SMALL_INT_TYPES
    if kind == "float":
        return dtype in _INT_TYPES or dtype in _FLOAT_TYPES or dtype.startswith("DECIMAL")
    return dtype == "DATE" or dtype.startswith("TIMESTAMP")


def _rule_case(table: Table, *, accepted_persons: bool, accepted_addresses: bool) -> str:
    """The CASE expression giving the first rule a row breaks (NULL when none)."""
    whens: list[tuple[str, str]] = []
    req = [c for c in table.columns if c.required]
    if req:
        whens.append((" OR ".join(f"NOT _p_{c.name}" for c in req), "missing_value"))
    dates = [c for c in table.columns if c.type == "date"]
    if dates:
        whens.append(
            (
                " OR ".join(f"(_p_{c.name} AND {sql_ident(c.name)} IS NULL)" for c in dates),
                "invalid_date",
            )
        )
    cats = [c for c in table.columns if c.categories]
    if cats:
        conds = []
        for c in cats:
            listed = ", ".join(sql_str(v) for v in c.categories or ())
            conds.append(
                f"({sql_ident(c.name)} IS NOT NULL AND {sql_ident(c.name)} NOT IN ({listed}))"
            )
        whens.append((" OR ".join(conds), "invalid_code"))
    ranged = [c for c in table.columns if c.low is not None or c.high is not None]
    if ranged:
        conds = []
        for c in ranged:
            if c.low is not None:
                conds.append(f"{sql_ident(c.name)} < {c.low}")
            if c.high is not None:
                conds.append(f"{sql_ident(c.name)} > {c.high}")
        whens.append((" OR ".join(f"({x})" for x in conds), "out_of_range"))
    if table.spell:
        s, e = (sql_ident(x) for x in table.spell)
        whens.append((f"{e} < {s}", "end_before_start"))
    if table.key:
        rule = "duplicate_pid" if table.key == ("pid",) else "duplicate_key"
        whens.append(("_dup", rule))
    if table.person_ref and accepted_persons:
        whens.append(("_known_pid IS NULL", "unknown_pid"))
    if table.address_ref and accepted_addresses:
        whens.append(("_known_address IS NULL", "unknown_address"))
    for _, rule in whens:
        if rule not in RULES:  # pragma: no cover - programming error
            raise KeyError(rule)
    body = " ".join(f"WHEN {cond} THEN {sql_str(rule)}" for cond, rule in whens)
    return f"CASE {body} END" if whens else "CAST(NULL AS VARCHAR)"


def _duplicate_keys(con: duckdb.DuckDBPyConnection, src: CanonicalSource, table: Table,
                    typed: dict[str, str]) -> None:
    """The keys that occur more than once, as the temporary table ``_dupkeys``.

    A hash aggregate over a national table's (text, number) keys is the costliest
    step of validation; the keys are first aggregated by one 64-bit hash of them,
    and only the rows whose hash occurs twice (the duplicates and the rare hash
    collisions) are compared by their values. Keys with a NULL part match as NULL
    (the rows with a missing key are set aside before this rule applies).
    """
    parts = ", ".join(f"{typed[k]}" for k in table.key)
    named = ", ".join(f"{typed[k]} AS _d{i}" for i, k in enumerate(table.key))
    groups = ", ".join(f"_d{i}" for i in range(len(table.key)))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dupkeys AS "
        f"WITH h AS (SELECT hash({parts}) AS _h FROM {src.view} GROUP BY _h "
        "HAVING count(*) > 1) "
        f"SELECT {groups}, count(*) AS _n FROM (SELECT {named} FROM {src.view} "
        f"WHERE hash({parts}) IN (SELECT _h FROM h)) GROUP BY {groups} HAVING count(*) > 1"
    )


def _mark_overlaps(
    con: duckdb.DuckDBPyConnection, checked: str, table: Table, cols: list[str]
) -> None:
    """Set aside every spell of a person that overlaps another of their spells.

    Only spells that passed every other rule take part. The window runs on the
    few columns it needs; a spell set aside here keeps its values in canonical
    form (they were all read correctly).
    """
    s, e = (sql_ident(x) for x in table.spell or ("", ""))
    end = f"COALESCE({e}, {_FAR_FUTURE})"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _overlap AS SELECT rid FROM ("
        f"SELECT rowid AS rid, {s} AS s, {end} AS e, "
        f"max({end}) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end, "
        f"lead({s}) OVER w AS next_s FROM {checked} WHERE _rule IS NULL "
        f"WINDOW w AS (PARTITION BY pid ORDER BY {s}, {end}, rowid)"
        ") WHERE prev_end > s OR next_s < e"
    )
    sets = ", ".join(f"{sql_ident('raw_' + c)} = CAST({sql_ident(c)} AS VARCHAR)" for c in cols)
    con.execute(
        f"UPDATE {checked} SET _rule = 'overlapping_spells', {sets} "
        "WHERE rowid IN (SELECT rid FROM _overlap)"
    )
    con.execute("DROP TABLE _overlap")


def check_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    src: CanonicalSource,
    *,
    decimal: str,
    errors_dir: Path | None = None,
    errors_shown: Path | None = None,
) -> TableCheck:
    """Type ``src``, apply the row rules and materialise accepted and quarantined rows.

    A column that cannot be converted stops with a :class:`ContractError`; its failing
    values go to ``errors_dir`` (the validation output's ``conversion_errors``) if given;
    the message names them in ``errors_shown`` (default ``errors_dir``).
    """
    dtypes = {r[0]: r[1] for r in con.execute(f"DESCRIBE {src.view}").fetchall()}
    mapping = {c.name: c.name for c in table.columns if c.name in dtypes}
    missing = [c.name for c in table.columns if c.required and c.name not in mapping]
    if missing:
        msg = (
            f"{src.file}: required column(s) {', '.join(map(repr, missing))} missing from table "
            f"{table.name!r} (rule required_column). No rows of the table are used."
        )
        raise ContractError(msg)
    typed: dict[str, str] = {}
    present: dict[str, str] = {}
    for col in table.columns:
        t, p = _typed(col, mapping.get(col.name), dtypes.get(col.name), decimal)
        typed[col.name], present[col.name] = t, p
    _fatal_conversion(
        con, src, table, typed, present, mapping, decimal=decimal, errors_dir=errors_dir,
        errors_shown=errors_shown,
    )

    has_persons = table.person_ref
    has_addresses = table.address_ref
    # the value as read is carried as it is and turned into text only for the rows
    # set aside (a CASE evaluates its branch on the rows it selects): a cast of every
    # value of a national table to text cost more than all the rules together
    layer1 = ", ".join(
        f"{typed[c.name]} AS {sql_ident(c.name)}, {present[c.name]} AS _p_{c.name}, "
        f"{sql_ident(c.name) if c.name in mapping else 'CAST(NULL AS VARCHAR)'} "
        f"AS _raw_{c.name}"
        for c in table.columns
    )
    joins = ""
    extra = ""
    if table.key:
        _duplicate_keys(con, src, table, typed)
        keys = [sql_ident(k) for k in table.key]
        on = " AND ".join(f"t.{k} = dk._d{i}" for i, k in enumerate(keys))
        joins += f" LEFT JOIN _dupkeys dk ON {on}"
        extra += ", dk._n IS NOT NULL AS _dup"
    if has_persons:
        joins += " LEFT JOIN (SELECT pid AS _known_pid FROM persons) kp ON t.pid = kp._known_pid"
        extra += ", kp._known_pid"
    if has_addresses:
        joins += (
            " LEFT JOIN (SELECT address_id AS _known_address FROM addresses) ka "
            "ON t.address_id = ka._known_address"
        )
        extra += ", ka._known_address"
    rule = _rule_case(table, accepted_persons=has_persons, accepted_addresses=has_addresses)
    cols = [c.name for c in table.columns]
    col_list = ", ".join(sql_ident(c) for c in cols)
    stage2 = (
        f"SELECT t.*{extra} FROM "
        f"(SELECT {layer1}, _source_row, _source_file FROM {src.view}) t{joins}"
    )
    stage3 = f"SELECT *, {rule} AS _rule FROM ({stage2})"
    raw_out = ", ".join(
        f"CASE WHEN _rule IS NOT NULL THEN CAST(_raw_{c} AS VARCHAR) END "
        f"AS {sql_ident('raw_' + c)}" for c in cols
    )
    checked = f"_checked_{table.name}"
    con.execute(
        f"CREATE OR REPLACE TABLE {checked} AS SELECT {col_list}, _rule, _source_file, "
        f"_source_row, {raw_out} FROM ({stage3})"
    )
    if table.no_overlap and table.spell:
        _mark_overlaps(con, checked, table, cols)
    con.execute(
        f"CREATE OR REPLACE VIEW {sql_ident(table.name)} AS SELECT {col_list} FROM {checked} "
        "WHERE _rule IS NULL"
    )
    raw_cols = ", ".join(f"{sql_ident('raw_' + c)} AS {sql_ident(c)}" for c in cols)
    con.execute(
        f"CREATE OR REPLACE VIEW _quarantine_{table.name} AS SELECT _source_file, _source_row, "
        f"_rule AS rule, {raw_cols} FROM {checked} WHERE _rule IS NOT NULL"
    )
    if table.key:
        con.execute("DROP TABLE IF EXISTS _dupkeys")
    counts = dict(
        con.execute(f"SELECT COALESCE(_rule, ''), count(*) FROM {checked} GROUP BY 1").fetchall()
    )
    accepted = int(counts.pop("", 0))
    quarantined = int(sum(counts.values()))
    read = accepted + quarantined
    if read != src.rows_read:  # pragma: no cover - would be a defect, never a user error
        msg = (
            f"internal error: table {table.name!r} read {src.rows_read:,} rows but accounted "
            f"for {read:,}"
        )
        raise RuntimeError(msg)
    rules = {r: int(counts[r]) for r in RULES if r in counts}
    return TableCheck(
        table=table.name,
        file=src.file,
        rows_read=read,
        rows_accepted=accepted,
        rows_quarantined=quarantined,
        rules=rules,
    )
