"""Readers: every file of an extract folder becomes a raw DuckDB view.

The suffix picks the reader: ``.parquet`` (or a folder of Parquet files),
``.csv``, ``.sas7bdat``, ``.dta``. Column names are lower-cased. Every raw view
carries ``_source_row`` (1-based row number in its file; for CSV the data row
after the header) and ``_source_file`` (the file's path inside the extract).

Parquet is read in place (out of core). CSV, SAS and Stata files are copied into
the working database once, in file order, so that row numbers are exact.

Error messages never quote a file's content: DuckDB's own messages for a bad CSV
line repeat the line, so they are replaced by ours.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from cohort.exceptions import ContractError
from cohort.extract._meta import ExtractMeta
from cohort.extract.presets.base import RawTable

__all__ = ["SUFFIXES", "discover", "read_raw", "sql_ident", "sql_str"]

SUFFIXES = (".parquet", ".csv", ".sas7bdat", ".dta")
_SKIP = {"extract.toml"}
_CHUNK_ROWS = 500_000


def sql_ident(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def sql_str(value: str) -> str:
    """Quote a string literal for DuckDB."""
    return "'" + value.replace("'", "''") + "'"


def discover(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Map each readable file's lower-cased stem to its path; list ignored files.

    A folder counts as a partitioned Parquet table when it holds ``*.parquet``
    files (at any depth).
    """
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name in _SKIP:
            continue
        if entry.is_dir():
            if any(entry.rglob("*.parquet")):
                stem = entry.name.lower()
            else:
                ignored.append(entry.name + "/")
                continue
        elif entry.suffix.lower() in SUFFIXES:
            stem = entry.stem.lower()
        else:
            ignored.append(entry.name)
            continue
        if stem in found:
            msg = (
                f"two files for one table: {found[stem].name} and {entry.name} "
                "(keep one; the suffix picks the reader)"
            )
            raise ContractError(msg)
        found[stem] = entry
    return found, ignored


def read_raw(
    con: duckdb.DuckDBPyConnection, stem: str, path: Path, meta: ExtractMeta, root: Path
) -> RawTable:
    """Create the raw view for one file and return its description."""
    view = f"raw_{_safe(stem)}"
    rel_name = path.relative_to(root).as_posix()
    suffix = ".parquet" if path.is_dir() else path.suffix.lower()
    if suffix == ".parquet":
        _parquet(con, view, path, rel_name)
    elif suffix == ".csv":
        _csv(con, view, path, rel_name, meta)
    elif suffix == ".sas7bdat":
        _readstat(con, view, path, rel_name, kind="sas7bdat")
    elif suffix == ".dta":
        _readstat(con, view, path, rel_name, kind="dta")
    else:  # pragma: no cover - discover() only returns known suffixes
        msg = f"{rel_name}: no reader for this suffix"
        raise ContractError(msg)
    cols = [r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()]
    data_cols = tuple(c for c in cols if c not in ("_source_row", "_source_file"))
    rows = con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0]
    return RawTable(name=stem, view=view, file=rel_name, rows=int(rows), columns=data_cols)


def _safe(stem: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in stem)


def _lowered(names: list[str], file: str) -> list[str]:
    lowered = [n.lower() for n in names]
    seen: set[str] = set()
    for n in lowered:
        if n in seen:
            msg = f"{file}: two columns are both called {n!r} when case is ignored"
            raise ContractError(msg)
        if n in ("_source_row", "_source_file"):
            msg = f"{file}: the column name {n!r} is reserved"
            raise ContractError(msg)
        seen.add(n)
    return lowered


def _select_lowered(names: list[str], file: str) -> str:
    lowered = _lowered(names, file)
    return ", ".join(
        f"{sql_ident(n)} AS {sql_ident(lo)}" for n, lo in zip(names, lowered, strict=True)
    )


def _parquet(con: duckdb.DuckDBPyConnection, view: str, path: Path, rel_name: str) -> None:
    pattern = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    src = (
        f"read_parquet({sql_str(pattern)}, file_row_number=true, filename=true, union_by_name=true)"
    )
    try:
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    except duckdb.Error:
        msg = f"{rel_name}: the file cannot be read as Parquet"
        raise ContractError(msg) from None
    data = [n for n in names if n not in ("file_row_number", "filename")]
    # A folder's files are numbered in path order, so rows keep one stable order.
    root_len = len(str(path.parent)) + 2
    con.execute(
        f"CREATE VIEW {view} AS SELECT {_select_lowered(data, rel_name)}, "
        "CAST(file_row_number + 1 AS BIGINT) AS _source_row, "
        f"substr(replace(filename, '\\', '/'), {root_len}) AS _source_file FROM {src}"
    )


def _csv(
    con: duckdb.DuckDBPyConnection, view: str, path: Path, rel_name: str, meta: ExtractMeta
) -> None:
    table = view + "_data"
    names = _csv_header(path, meta, rel_name)
    cols = ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names)
    # The header is the first line, always: DuckDB's sniffer may otherwise skip lines.
    opts = (
        f"delim={sql_str(meta.csv_delimiter)}, header=true, skip=0, auto_detect=false, "
        f"quote='\"', escape='\"', encoding={sql_str(meta.csv_encoding)}, strict_mode=true, "
        f"null_padding=false, columns={{{cols}}}"
    )
    try:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv({sql_str(str(path))}, {opts})")
    except duckdb.Error as err:
        text = str(err).lower()
        if "unicode" in text or "encoding" in text:
            msg = (
                f"{rel_name}: the file is not valid {meta.csv_encoding} text "
                '(set [csv] encoding = "latin-1" in extract.toml if it was written as Latin-1)'
            )
        else:
            msg = (
                f"{rel_name}: the file cannot be read as CSV with delimiter "
                f"{meta.csv_delimiter!r} (check [csv] delimiter and that every line has "
                "as many fields as the header)"
            )
        raise ContractError(msg) from None
    data = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(
        f"CREATE VIEW {view} AS SELECT {_select_lowered(data, rel_name)}, "
        f"CAST(rowid + 1 AS BIGINT) AS _source_row, {sql_str(rel_name)} AS _source_file "
        f"FROM {table}"
    )


def _csv_header(path: Path, meta: ExtractMeta, rel_name: str) -> list[str]:
    import csv

    try:
        with path.open(encoding=meta.csv_encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=meta.csv_delimiter), None)
    except UnicodeDecodeError:
        header = None
        msg = (
            f"{rel_name}: the file is not valid {meta.csv_encoding} text "
            '(set [csv] encoding = "latin-1" in extract.toml if it was written as Latin-1)'
        )
        raise ContractError(msg) from None
    if not header:
        msg = f"{rel_name}: the file is empty (a CSV table needs a header line)"
        raise ContractError(msg)
    if header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    return [h.strip() for h in header]


def _readstat(
    con: duckdb.DuckDBPyConnection, view: str, path: Path, rel_name: str, *, kind: str
) -> None:
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if kind == "sas7bdat" else pyreadstat.read_dta
    label = "SAS7BDAT" if kind == "sas7bdat" else "Stata"
    table = view + "_data"
    created = False
    try:
        for chunk, _meta in pyreadstat.read_file_in_chunks(
            reader, str(path), chunksize=_CHUNK_ROWS
        ):
            arrow = pa.Table.from_pandas(chunk, preserve_index=False)
            con.register("_chunk", arrow)
            if not created:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM _chunk")
                created = True
            else:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _chunk")
            con.unregister("_chunk")
    except Exception:  # noqa: BLE001 - readstat raises its own types; never echo content
        msg = f"{rel_name}: the file cannot be read as {label}"
        raise ContractError(msg) from None
    if not created:
        msg = f"{rel_name}: the file cannot be read as {label} (no columns)"
        raise ContractError(msg)
    data = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(
        f"CREATE VIEW {view} AS SELECT {_select_lowered(data, rel_name)}, "
        f"CAST(rowid + 1 AS BIGINT) AS _source_row, {sql_str(rel_name)} AS _source_file "
        f"FROM {table}"
    )
