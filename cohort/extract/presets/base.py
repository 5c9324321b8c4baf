"""What a preset is: the interface between the readers and validation.

The readers turn every file of an extract folder into a *raw table*: a DuckDB
view whose column names are lower-cased and whose values are as read (all
strings for CSV; typed for Parquet, SAS and Stata). A preset turns the raw
tables into *canonical sources*: DuckDB views with the canonical column names of
:mod:`cohort.extract.schema`, still untyped, which validation then types and
checks row by row.

A preset never drops or silently changes a row: it renames, recodes and reshapes.
A code it does not know is passed on as ``"<VARIABLE>=<code>"`` (for example
``"SOCIO13=999"``), which is outside every category list, so validation
quarantines the row under the rule ``invalid_code`` and the quarantine file shows
which code it was.

Every canonical source carries the column ``_source_row`` (BIGINT): the 1-based
row number in the file it came from (for a reshaped table, the row of the wide
file), and ``_source_file`` (VARCHAR): that file's name, so a quarantined row can
be traced back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import duckdb

__all__ = ["CanonicalSource", "Preset", "RawTable"]


@dataclass(frozen=True)
class RawTable:
    """One file (or folder of Parquet files) of the extract, as read.

    ``view`` names a DuckDB view with lower-cased column names plus the columns
    ``_source_row`` and ``_source_file``; ``file`` is the file's name for messages;
    ``rows`` is the number of rows read.
    """

    name: str
    view: str
    file: str
    rows: int
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CanonicalSource:
    """A canonical table as the preset delivers it, before typing and row rules.

    ``view`` names a DuckDB view with canonical column names (optional columns may
    be absent) plus ``_source_row`` and ``_source_file``. ``rows_read`` is what the
    reconciliation starts from: rows read = rows accepted + rows quarantined.
    """

    table: str
    view: str
    file: str
    rows_read: int
    #: The raw tables (file stems) this source was built from; files that no
    #: source names are reported as ignored.
    raw_names: tuple[str, ...] = ()


class Preset(Protocol):
    """A mapping from a delivery's own tables onto the canonical ones."""

    name: str

    def to_canonical(
        self,
        con: duckdb.DuckDBPyConnection,
        raw: Mapping[str, RawTable],
        *,
        extract_end: date,
        options: Mapping[str, Any],
    ) -> dict[str, CanonicalSource]:
        """Create the canonical source views in ``con`` and return them by table.

        ``raw`` maps each file's lower-cased stem (``"persons"``, ``"bef2018"``)
        to its raw table. ``options`` is the preset's own table in extract.toml
        (for the DST preset, ``[dst]``). Raise :class:`cohort.exceptions.ContractError`
        for a fatal breach (a required column missing, two files for one table).
        Return only the tables present; raw tables that no source lists in its
        ``raw_names`` are reported by the caller as ignored files.
        """
        ...
