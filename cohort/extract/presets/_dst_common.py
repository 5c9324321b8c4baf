"""Helpers of the DST preset: column lookup, SQL expressions, the shipped code tables.

Everything here builds SQL text or small lookup tables; no person-level data passes
through Python. Person-level work happens in DuckDB views.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cohort._sql import sql_ident
from cohort.exceptions import ContractError
from cohort.extract._fs import input_error
from cohort.extract.presets.base import RawTable

__all__ = [
    "MAPPING_FILES",
    "RawInfo",
    "code_sql",
    "date_sql",
    "date_text_sql",
    "describe",
    "load_mapping",
    "mapping_table",
    "norm_code",
    "normalise_sql",
    "read_table_rows",
    "resolve_path",
    "scalar",
    "shipped_rows",
    "text_sql",
    "union_all",
]

#: The shipped mapping tables: name -> (file, key column, value column).
MAPPING_FILES: dict[str, tuple[str, str, str]] = {
    "koen": ("dst_koen.csv", "code", "sex"),
    "ie_type": ("dst_ie_type.csv", "code", "group"),
    "western_countries": ("dst_western_countries.csv", "code", "western"),
    "socio13": ("dst_socio13.csv", "code", "status"),
    "socio02": ("dst_socio02.csv", "code", "status"),
    "socio": ("dst_socio.csv", "code", "status"),
    "socio_gl": ("dst_socio_gl.csv", "code", "status"),
    "dream": ("dst_dream.csv", "code", "benefit"),
    "disced_levels": ("dst_disced_levels.csv", "main_area", "level"),
    "vnds": ("dst_vnds.csv", "code", "direction"),
    "placements": ("dst_placements.csv", "code", "kind"),
    "offences": ("dst_offences.csv", "prefix", "offence"),
}

_INT_TYPES = {
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
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The single value ``sql`` returns (the result is fetched to its end)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


@dataclass(frozen=True)
class RawInfo:
    """A raw table with its column types, as the preset sees it."""

    raw: RawTable
    types: dict[str, str]

    @property
    def view(self) -> str:
        return sql_ident(self.raw.view)

    @property
    def file(self) -> str:
        return self.raw.file

    def has(self, column: str) -> bool:
        return column in self.types

    def first(self, *candidates: str) -> str | None:
        """The first of ``candidates`` the table has (lower-case names)."""
        for c in candidates:
            if c in self.types:
                return c
        return None


def describe(con: duckdb.DuckDBPyConnection, raw: RawTable) -> RawInfo:
    """Column names (lower-cased) and DuckDB types of a raw view."""
    rows = con.execute(f"DESCRIBE {sql_ident(raw.view)}").fetchall()
    return RawInfo(raw, {str(r[0]).lower(): str(r[1]).upper() for r in rows})


def _base_type(t: str) -> str:
    return t.split("(")[0].strip()


def text_sql(col: str, typ: str) -> str:
    """A column as trimmed text; empty text is NULL; integral floats lose their '.0'."""
    c = sql_ident(col)
    b = _base_type(typ)
    if b in _INT_TYPES:
        return f"CAST({c} AS VARCHAR)"
    if b in _FLOAT_TYPES or b == "DECIMAL":
        return (
            f"(CASE WHEN {c} IS NULL THEN NULL WHEN {c} = trunc({c}) AND abs({c}) < 1e18 "
            f"THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) ELSE CAST({c} AS VARCHAR) END)"
        )
    if b in (
        "DATE",
        "TIMESTAMP",
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP_NS",
        "TIMESTAMP_MS",
        "TIMESTAMP_S",
    ):
        return f"CAST(CAST({c} AS DATE) AS VARCHAR)"
    return f"nullif(trim(CAST({c} AS VARCHAR)), '')"


def code_sql(col: str, typ: str) -> str:
    """A code as normalised text: trimmed, upper-case, leading zeros removed ('0159' -> '159')."""
    return normalise_sql(text_sql(col, typ))


def normalise_sql(t: str) -> str:
    """:func:`code_sql` for an expression that is already text."""
    return (
        f"(CASE WHEN {t} LIKE '0%' THEN coalesce(nullif(ltrim({t}, '0'), ''), '0') "
        f"ELSE upper({t}) END)"
    )


def norm_code(value: Any) -> str:
    """The Python twin of :func:`code_sql` for the shipped tables."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip().upper()
    s = re.sub(r"^0+([^0]|0$)", r"\1", s)
    return s


def date_sql(col: str, typ: str) -> str:
    """A column as DATE (NULL when it is not a date): ISO, DATE9 (01JAN2018), YYYYMMDD."""
    c = sql_ident(col)
    b = _base_type(typ)
    if b == "DATE":
        return c
    if b.startswith("TIMESTAMP"):
        return f"CAST({c} AS DATE)"
    t = text_sql(col, typ)
    return (
        f"coalesce(try_cast({t} AS DATE), CAST(try_strptime({t}, '%d%b%Y') AS DATE), "
        f"CAST(try_strptime({t}, '%Y%m%d') AS DATE))"
    )


def date_text_sql(col: str, typ: str) -> str:
    """A date column for a canonical source: ISO text when it parses, else as delivered.

    An unparseable value is kept so that validation quarantines it as ``invalid_date``.
    """
    return f"coalesce(CAST({date_sql(col, typ)} AS VARCHAR), {text_sql(col, typ)})"


# --------------------------------------------------------------------------- tables


def resolve_path(value: str, options: Mapping[str, Any]) -> Path:
    """A path from extract.toml.

    Relative paths are taken from the extract folder (option ``_extract_dir`` as set by
    the reader), else from the working directory.
    """
    p = Path(value)
    if not p.is_absolute():
        base = options.get("_extract_dir") or options.get("extract_dir")
        if base:
            p = Path(base) / p
    return p


def _read_csv_rows(text: str) -> list[dict[str, str]]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    dialect = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=dialect)
    return [
        {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader
    ]


def _raw_rows(con: duckdb.DuckDBPyConnection, raw: RawTable) -> list[dict[str, str]]:
    cur = con.execute(f"SELECT * EXCLUDE (_source_row, _source_file) FROM {sql_ident(raw.view)}")
    names = [d[0].lower() for d in cur.description]
    return [
        {n: ("" if v is None else str(v).strip()) for n, v in zip(names, row, strict=True)}
        for row in cur.fetchall()
    ]


def read_table_rows(
    con: duckdb.DuckDBPyConnection,
    path_value: str,
    raw: Mapping[str, RawTable],
    options: Mapping[str, Any],
    *,
    what: str,
) -> tuple[list[dict[str, str]], str | None]:
    """Rows of a small CSV table named in extract.toml.

    When the file lies in the extract folder the reader has already read it as a raw
    table (matched by its lower-cased stem); that is used, and its stem returned so the
    caller can list it among the sources' raw tables. Otherwise the file is read.
    """
    stem = Path(path_value).stem.lower()
    if stem in raw:
        return _raw_rows(con, raw[stem]), stem
    path = resolve_path(path_value, options)
    try:
        if not path.is_file():
            msg = (
                f"[dst] {what}: file {path_value!r} not found (relative paths are taken "
                "from the extract folder)"
            )
            raise ContractError(msg)
        raw_bytes = path.read_bytes()
    except OSError as err:  # no permission, a link that loops
        raise input_error(err, path) from None
    for enc in ("utf-8-sig", "latin-1"):
        try:
            return _read_csv_rows(raw_bytes.decode(enc)), None
        except UnicodeDecodeError:
            continue
    msg = f"[dst] {what}: {path.name} is neither UTF-8 nor Latin-1"  # pragma: no cover
    raise ContractError(msg)  # pragma: no cover


def shipped_rows(file: str) -> list[dict[str, str]]:
    """Rows of a mapping table shipped with the package."""
    text = (
        resources.files("cohort.extract.presets").joinpath("data", file).read_text(encoding="utf-8")
    )
    return _read_csv_rows(text)


def load_mapping(
    con: duckdb.DuckDBPyConnection,
    name: str,
    raw: Mapping[str, RawTable],
    options: Mapping[str, Any],
    used_raw: set[str],
) -> dict[str, str]:
    """The mapping ``name`` as {normalised code: canonical value ('' = no value)}.

    A study overrides a shipped table with ``[dst.mappings] <name> = "file.csv"``; the
    replacement has the same key and value columns as the shipped one.
    """
    file, key, value = MAPPING_FILES[name]
    overrides = options.get("mappings") or {}
    if name in overrides:
        rows, stem = read_table_rows(
            con, str(overrides[name]), raw, options, what=f"mappings.{name}"
        )
        if stem:
            used_raw.add(stem)
        source = f"[dst.mappings] {name}"
    else:
        rows = shipped_rows(file)
        source = file
    if rows and (key not in rows[0] or value not in rows[0]):
        msg = f"{source}: the mapping table needs the columns {key!r} and {value!r}"
        raise ContractError(msg)
    out: dict[str, str] = {}
    for r in rows:
        k = norm_code(r[key]) if key != "main_area" else r[key].strip().upper()
        if k in out and out[k] != r[value]:
            msg = f"{source}: code {k!r} is mapped twice, to different values"
            raise ContractError(msg)
        out[k] = r[value]
    return out


def mapping_table(con: duckdb.DuckDBPyConnection, table: str, mapping: Mapping[str, str]) -> str:
    """Create (or replace) a two-column temp table ``(code, value)``; return its quoted name.

    An empty value becomes NULL: the code is known and means "no value".
    """
    df = pd.DataFrame(
        {
            "code": pd.Series(list(mapping), dtype="object"),
            "value": pd.Series([v if v != "" else None for v in mapping.values()], dtype="object"),
        }
    )
    con.register("_dst_mapping_df", df)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {sql_ident(table)} AS SELECT CAST(code AS VARCHAR) "
            "AS code, CAST(value AS VARCHAR) AS value FROM _dst_mapping_df"
        )
    finally:
        con.unregister("_dst_mapping_df")
    return sql_ident(table)


def union_all(selects: Sequence[str]) -> str:
    """``UNION ALL BY NAME`` of the selects."""
    return "\nUNION ALL BY NAME\n".join(f"({s})" for s in selects)
