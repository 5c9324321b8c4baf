"""The canonical preset: files already carry the canonical table and column names."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from cohort._sql import sql_ident
from cohort.exceptions import DataQualityWarning
from cohort.extract._names import listable_names
from cohort.extract.presets.base import CanonicalSource, RawTable
from cohort.extract.schema import TABLES

__all__ = ["PRESET", "CanonicalPreset", "passthrough"]


def passthrough(con: duckdb.DuckDBPyConnection, raw: RawTable, table: str) -> CanonicalSource:
    """Expose a raw table that already has canonical names as a canonical source.

    Columns that the contract does not know are left out, with a warning that
    names them (column names only; a name with a long run of digits may be a
    person's identifier, as in a file with a column per person, so it is counted,
    not named).
    """
    known = TABLES[table].column_names
    keep = [c for c in raw.columns if c in known]
    extra = [c for c in raw.columns if c not in known]
    if extra:
        shown, hidden = listable_names(sorted(extra))
        more = (
            f" and {hidden:,} column{'s' if hidden > 1 else ''} with a name holding a long "
            "number (not shown: it may be an identifier)"
            if hidden
            else ""
        )
        warnings.warn(
            f"{raw.file}: columns not in the contract are ignored: {shown}{more}",
            DataQualityWarning,
            stacklevel=4,
        )
    view = f"src_{table}"
    cols = "".join(f"{sql_ident(c)}, " for c in keep)
    con.execute(
        f"CREATE OR REPLACE VIEW {sql_ident(view)} AS SELECT {cols}_source_row, _source_file "
        f"FROM {sql_ident(raw.view)}"
    )
    return CanonicalSource(
        table=table, view=view, file=raw.file, rows_read=raw.rows, raw_names=(raw.name,)
    )


class CanonicalPreset:
    """File stems are canonical table names; column names are canonical."""

    name = "canonical"

    def to_canonical(
        self,
        con: duckdb.DuckDBPyConnection,
        raw: Mapping[str, RawTable],
        *,
        extract_end: date,  # noqa: ARG002 - part of the protocol
        options: Mapping[str, Any],  # noqa: ARG002
    ) -> dict[str, CanonicalSource]:
        """One canonical source per file whose stem names a canonical table."""
        return {name: passthrough(con, raw[name], name) for name in TABLES if name in raw}


PRESET = CanonicalPreset()
