"""The state of one run of the DST preset.

The connection, the raw tables, the options, and the mapping tables already loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from cohort._sql import sql_ident, sql_str
from cohort.exceptions import ContractError
from cohort.extract.presets._dst_common import (
    RawInfo,
    describe,
    load_mapping,
    mapping_table,
    scalar,
    union_all,
)
from cohort.extract.presets.base import CanonicalSource, RawTable

__all__ = ["Ctx", "YearFile"]


@dataclass(frozen=True)
class YearFile:
    """A raw table of a DST register with the year (and month) in its name, if any."""

    stem: str
    year: int | None
    month: int | None

    @property
    def order(self) -> int:
        """Sort key: later deliveries last; a file without a year sorts first."""
        if self.year is None:
            return 0
        return self.year * 100 + (self.month if self.month is not None else 12)


@dataclass
class Ctx:
    """One run of the preset."""

    con: duckdb.DuckDBPyConnection
    raw: Mapping[str, RawTable]
    extract_end: date
    options: Mapping[str, Any]
    used_raw: set[str] = field(default_factory=set)
    _infos: dict[str, RawInfo] = field(default_factory=dict)
    _maps: dict[str, str] = field(default_factory=dict)

    def info(self, stem: str) -> RawInfo:
        """The raw table ``stem`` with its column types."""
        if stem not in self._infos:
            self._infos[stem] = describe(self.con, self.raw[stem])
        return self._infos[stem]

    def col(self, info: RawInfo, register: str, role: str, *candidates: str) -> str:
        """The column playing ``role`` in a file of ``register``; missing -> ContractError.

        ``[dst.columns.<register>] <role> = "NAME"`` in extract.toml overrides the
        built-in candidates (for deliveries that name a variable differently).
        """
        found = self.opt_col(info, register, role, *candidates)
        if found is None:
            names = " or ".join(c.upper() for c in candidates)
            msg = f"{info.file}: required column {names} ({register} {role}) is missing"
            raise ContractError(msg)
        return found

    def opt_col(self, info: RawInfo, register: str, role: str, *candidates: str) -> str | None:
        """Like :meth:`col`, but None when the table has none of the candidates."""
        override = ((self.options.get("columns") or {}).get(register) or {}).get(role)
        if override is not None:
            name = str(override).lower()
            if not info.has(name):
                msg = (
                    f"{info.file}: column {str(override).upper()} named in "
                    f"[dst.columns.{register}] {role} is missing"
                )
                raise ContractError(msg)
            return name
        return info.first(*candidates)

    def mapping(self, name: str) -> str:
        """The mapping table ``name`` as a temp table ``(code, value)``; its quoted name."""
        if name not in self._maps:
            m = load_mapping(self.con, name, self.raw, self.options, self.used_raw)
            self._maps[name] = mapping_table(self.con, f"_dst_map_{name}", m)
        return self._maps[name]

    def view(self, name: str, sql: str) -> str:
        """Create (or replace) the temp view ``name``; return its name."""
        self._drop(name, keep="view")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {sql_ident(name)} AS {sql}")
        return name

    def table(self, name: str, sql: str) -> str:
        """Create (or replace) the temp table ``name`` from ``sql``; return its name.

        Used for reshaped sources (DREAM spells, BEF years combined): their row count
        is needed for ``rows_read``, and a table computes them once instead of twice.
        """
        self._drop(name, keep="table")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {sql_ident(name)} AS {sql}")
        return name

    def _drop(self, name: str, *, keep: str) -> None:
        """Drop a temp object ``name`` of the other kind (left by an earlier run)."""
        other = "view" if keep == "table" else "table"
        found = scalar(
            self.con,
            f"SELECT count(*) FROM duckdb_{other}s() WHERE temporary AND {other}_name = ?",
            [name],
        )
        if found:
            self.con.execute(f"DROP {other.upper()} {sql_ident(name)}")

    def count(self, view: str) -> int:
        return int(scalar(self.con, f"SELECT count(*) FROM {sql_ident(view)}") or 0)

    def union_source(
        self, table: str, selects: list[str], files: list[YearFile]
    ) -> CanonicalSource:
        """One SELECT per raw file, stacked: the canonical source of ``table``.

        Each raw row gives one canonical row, so rows read are the files' rows.
        """
        view = self.view(f"_dst_{table}", union_all(selects))
        return self.source(table, view, files, rows=sum(self.raw[f.stem].rows for f in files))

    def source(
        self,
        table: str,
        view: str,
        files: list[YearFile] | list[str],
        *,
        rows: int | None = None,
        extra: tuple[str, ...] = (),
    ) -> CanonicalSource:
        """The canonical source of ``table`` built from the raw tables ``files``."""
        stems = [f.stem if isinstance(f, YearFile) else f for f in files]
        names = tuple(dict.fromkeys([*stems, *extra, *sorted(self.used_raw & set(self.raw))]))
        label = ", ".join(self.raw[s].file for s in stems)
        n = rows if rows is not None else self.count(view)
        return CanonicalSource(table=table, view=view, file=label, rows_read=n, raw_names=names)


def mapped(code: str, table: str, alias: str, variable: str) -> str:
    """SQL for a recoded value.

    NULL code -> NULL; known code -> its value (NULL where the table says "no value");
    unknown code -> ``'<VARIABLE>=<code>'``.
    """
    return (
        f"(CASE WHEN {code} IS NULL THEN NULL WHEN {alias}.code IS NOT NULL THEN {alias}.value "
        f"ELSE {sql_str(variable + '=')} || {code} END)"
    )


_YEAR = re.compile(r"^(?P<reg>[a-z_]+?)(?P<y>(19|20)\d{2})(?P<m>0[1-9]|1[0-2])?$")


def year_file(stem: str, register: str) -> YearFile | None:
    """``stem`` as a file of ``register`` ("bef", "bef2018", "bef201812"), else None."""
    if stem == register:
        return YearFile(stem, None, None)
    m = _YEAR.match(stem)
    if m and m.group("reg") == register:
        month = m.group("m")
        return YearFile(stem, int(m.group("y")), int(month) if month else None)
    return None
