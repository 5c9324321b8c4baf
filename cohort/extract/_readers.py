"""Readers: every file of an extract folder becomes a raw DuckDB view.

The suffix picks the reader: ``.parquet`` (or a folder of Parquet files),
``.csv``, ``.sas7bdat``, ``.dta``. Column names are lower-cased. Every raw view
carries ``_source_row`` (1-based row number in its file; for CSV the data row
after the header) and ``_source_file`` (the file's path inside the extract).

Parquet is read in place (out of core). CSV, SAS and Stata files are copied into
the working database once, in file order, so that row numbers are exact.

Error messages never quote a file's content: DuckDB's own messages for a bad CSV
line repeat the line, so they are replaced by ours. Nor do they quote a name shaped
like a CPR number: file, folder and column names are checked before anything is
read (:func:`discover`, :func:`check_column_names`), and such a name stops
validation.

:func:`discover` looks at every entry of the extract folder, hidden or not: the
tables, and the *other* readable files (hidden files, files in folders that are no
table) which are read only for the CPR stop and listed as ignored.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from cohort._sql import sql_ident, sql_str
from cohort.exceptions import ContractError, CprDetectedError
from cohort.extract._fs import check_readable, disk_full, input_error, spill_error
from cohort.extract._meta import ExtractMeta
from cohort.extract._names import has_cpr, listable_names, redact
from cohort.extract.presets.base import RawTable

__all__ = [
    "READ_ERRORS",
    "SUFFIXES",
    "Discovered",
    "check_column_names",
    "discover",
    "drop_raw",
    "read_raw",
]

SUFFIXES = (".parquet", ".csv", ".sas7bdat", ".dta")
_SKIP = {"extract.toml"}
_CHUNK_ROWS = 500_000
#: DuckDB errors that a damaged file or an out-of-range value raises while it is read
READ_ERRORS = (
    duckdb.IOException,
    duckdb.InvalidInputException,
    duckdb.ConversionException,
    duckdb.OutOfRangeException,
)


@dataclass(frozen=True)
class Discovered:
    """What an extract folder holds."""

    #: lower-cased stem -> file (or folder of Parquet files) of each table candidate
    tables: dict[str, Path]
    #: readable files that are no table (hidden files, files in other folders): read
    #: for the CPR stop only
    others: tuple[Path, ...]
    #: entries listed as ignored in the report (folders end with "/")
    ignored: tuple[str, ...]


def _readable(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def _walk(folder: Path) -> list[Path]:
    """Every file and folder below ``folder``, hidden or not.

    Symbolic links to folders are not followed. A folder that cannot be listed (no
    permission) stops with :func:`~cohort.extract._fs.input_error`: its files would
    otherwise be missed silently.
    """

    def refuse(err: OSError) -> None:
        raise input_error(err, err.filename or folder, folder)

    out: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=refuse, followlinks=False):
        dirs.sort()
        base = Path(root)
        out += [base / d for d in dirs]
        out += [base / f for f in sorted(files)]
    return out


def _check_links(folder: Path, entries: list[Path]) -> None:
    """Stop at a symbolic link that loops, or whose target may not be read.

    A link to nothing (its target removed) is left alone: it is listed as ignored.
    """
    for p in entries:
        if not p.is_symlink():
            continue
        try:
            os.stat(p)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                continue
            raise input_error(err, p, folder) from None


def _check_names(folder: Path, entries: list[Path]) -> None:
    """Stop when a file or folder name holds a CPR number; the name is never echoed."""
    bad = [p for p in entries if has_cpr(p.name)]
    if not bad:
        return
    first = bad[0].relative_to(folder)
    parts = "/".join(redact(x) for x in first.parts)
    kind = "folder" if bad[0].is_dir() else "file"
    more = f" ({len(bad)} names in all)" if len(bad) > 1 else ""
    msg = (
        f"the {kind} {parts}{'/' if kind == 'folder' else ''} in the extract has a name "
        f"shaped like a CPR number{more} (rule cpr_file_name). Validation stopped before "
        "anything was read; rename or remove it, and replace identifiers with pseudonyms "
        "(cohort pseudonymise)."
    )
    raise CprDetectedError(msg)


def discover(folder: Path) -> Discovered:
    """Every entry of ``folder``: the table candidates, other readable files, ignored names.

    A visible file with a readable suffix is a table candidate (its lower-cased stem
    names it); so is a visible folder that holds ``*.parquet`` files (at any depth).
    Everything else is listed as ignored, and the readable files among it (hidden
    files, files inside other folders or beside the Parquet files of a table folder)
    are returned as ``others``, to be read for the CPR stop. A file or folder name
    shaped like a CPR number stops validation first.
    """
    try:
        return _discover(folder)
    except OSError as err:  # a stat or listing refused half-way (no permission, I/O error)
        raise input_error(err, err.filename or folder, folder) from None


def _discover(folder: Path) -> Discovered:
    everything = _walk(folder)
    _check_names(folder, everything)
    _check_links(folder, everything)
    below: dict[str, list[Path]] = {}  # top-level folder -> readable files at any depth
    for p in everything:
        rel = p.relative_to(folder).parts
        if len(rel) > 1 and _readable(p) and p.is_file():
            below.setdefault(rel[0], []).append(p)
    found: dict[str, Path] = {}
    others: list[Path] = []
    ignored: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        hidden = entry.name.startswith(".")
        if entry.name in _SKIP:
            continue
        if entry.is_dir():
            inside = below.get(entry.name, [])
            # what DuckDB's glob **/*.parquet reads (hidden files too) is the table
            parquet = [p for p in inside if p.name.endswith(".parquet")]
            if not hidden and parquet:
                stem = entry.name.lower()
                others += [p for p in inside if not p.name.endswith(".parquet")]
            else:
                ignored.append(entry.name + "/")
                others += inside
                continue
        elif entry.is_file() and _readable(entry) and not hidden:
            stem = entry.stem.lower()
        else:
            ignored.append(entry.name)
            if entry.is_file() and _readable(entry):
                others.append(entry)
            continue
        if stem in found:
            msg = (
                f"two files for one table: {found[stem].name} and {entry.name} "
                "(keep one; the suffix picks the reader)"
            )
            raise ContractError(msg)
        found[stem] = entry
    # every file that will be read must open: a file the user may not read is said to
    # be one (DuckDB would call it damaged), before anything is read
    files = [t for t in found.values() if not t.is_dir()] + others
    files += [p for inside in below.values() for p in inside]
    for p in dict.fromkeys(files):
        check_readable(p, folder)
    return Discovered(tables=found, others=tuple(others), ignored=tuple(ignored))


def check_column_names(names: list[str], file: str) -> None:
    """Stop when a column name holds a CPR number; the message gives its position only."""
    for position, name in enumerate(names, start=1):
        if has_cpr(str(name)):
            msg = (
                f"column {position} of {file} has a name shaped like a CPR number "
                "(rule cpr_column_name). Validation stopped before anything was written; "
                "replace identifiers with pseudonyms (cohort pseudonymise) and deliver the "
                "extract again."
            )
            raise CprDetectedError(msg)


def drop_raw(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Remove a raw view (and the table a copied file was read into)."""
    con.execute(f"DROP VIEW IF EXISTS {sql_ident(view)}")
    con.execute(f"DROP TABLE IF EXISTS {sql_ident(view + '_data')}")


def read_raw(
    con: duckdb.DuckDBPyConnection,
    stem: str,
    path: Path,
    meta: ExtractMeta,
    root: Path,
    *,
    view: str | None = None,
) -> RawTable:
    """Create the raw view for one file and return its description."""
    # stems are unique (lower-cased), so the views are; every use quotes the name
    view = view or f"raw_{stem}"
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
    cols = [r[0] for r in con.execute(f"DESCRIBE {sql_ident(view)}").fetchall()]
    data_cols = tuple(c for c in cols if c not in ("_source_row", "_source_file"))
    try:
        rows = con.execute(f"SELECT count(*) FROM {sql_ident(view)}").fetchall()[0][0]
    except READ_ERRORS as err:  # DuckDB's text may quote a value: not passed on
        msg = (
            f"{rel_name}: the file cannot be read (DuckDB {type(err).__name__}: a damaged "
            "file, or a value beyond the range of its type)"
        )
        raise ContractError(msg) from None
    return RawTable(name=stem, view=view, file=rel_name, rows=int(rows), columns=data_cols)


def _lowered(names: list[str], file: str) -> list[str]:
    lowered = [n.lower() for n in names]
    seen: dict[str, int] = {}
    for position, n in enumerate(lowered, start=1):
        if n in seen:
            # a name with a long number may be a person's identifier: positions only
            shown = f" {n!r}" if listable_names([n])[0] else ""
            msg = (
                f"{file}: columns {seen[n]} and {position} have the same name{shown} when "
                "case is ignored"
            )
            raise ContractError(msg)
        if n in ("_source_row", "_source_file"):
            msg = f"{file}: the column name {n!r} is reserved"
            raise ContractError(msg)
        seen[n] = position
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
    check_column_names(data, rel_name)
    # A folder's files are numbered in path order, so rows keep one stable order.
    root_len = len(str(path.parent)) + 2
    con.execute(
        f"CREATE VIEW {sql_ident(view)} AS SELECT {_select_lowered(data, rel_name)}, "
        "CAST(file_row_number + 1 AS BIGINT) AS _source_row, "
        f"substr(replace(filename, '\\', '/'), {root_len}) AS _source_file FROM {src}"
    )


def _csv(
    con: duckdb.DuckDBPyConnection, view: str, path: Path, rel_name: str, meta: ExtractMeta
) -> None:
    table = sql_ident(view + "_data")
    names = _csv_header(path, meta, rel_name)
    check_column_names(names, rel_name)
    _lowered(names, rel_name)  # two names that differ in case only: say so (DuckDB refuses)
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
        if disk_full(err):  # the copy spilled to a full working folder
            raise spill_error(con) from None
        # the bytes decide whether it is the encoding, not DuckDB's text (which varies
        # between versions, lists its options, and quotes the line: never passed on)
        msg = _encoding_problem(path, meta.csv_encoding, rel_name)
        if msg is None:
            msg = (
                f"{rel_name}: the file cannot be read as CSV with delimiter "
                f"{meta.csv_delimiter!r} (check [csv] delimiter and that every line has "
                "as many fields as the header)"
            )
        raise ContractError(msg) from None
    data = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(
        f"CREATE VIEW {sql_ident(view)} AS SELECT {_select_lowered(data, rel_name)}, "
        f"CAST(rowid + 1 AS BIGINT) AS _source_row, {sql_str(rel_name)} AS _source_file "
        f"FROM {table}"
    )


def _csv_header(path: Path, meta: ExtractMeta, rel_name: str) -> list[str]:
    import csv

    try:
        with path.open("rb") as raw:
            head = raw.read(4)
    except OSError as err:  # e.g. no permission to read it
        raise input_error(err, path, _root(path, rel_name)) from None
    if _utf16(head) or (meta.csv_encoding != "utf-8" and head.startswith(codecs.BOM_UTF8)):
        raise ContractError(_encoding_problem(path, meta.csv_encoding, rel_name) or "")
    # utf-8-sig: a byte-order mark is not part of the first name, even before a quote
    # ('\ufeff"pid"' would otherwise be read as the unquoted name '"pid"')
    encoding = "utf-8-sig" if meta.csv_encoding == "utf-8" else meta.csv_encoding
    try:
        with path.open(encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=meta.csv_delimiter), None)
    except UnicodeDecodeError:
        msg = _encoding_problem(path, meta.csv_encoding, rel_name)
        raise ContractError(msg or _not_encoded(rel_name, meta.csv_encoding)) from None
    except csv.Error:  # e.g. a field over the size limit; never quote the line
        msg = f"{rel_name}: the header line cannot be read as CSV"
        raise ContractError(msg) from None
    except OSError as err:  # e.g. no permission to read it
        raise input_error(err, path, _root(path, rel_name)) from None
    if not header:
        msg = f"{rel_name}: the file is empty (a CSV table needs a header line)"
        raise ContractError(msg)
    if header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    return [h.strip() for h in header]


def _root(path: Path, rel_name: str) -> Path:
    """The extract folder of a file whose path inside it is ``rel_name``."""
    return path.parents[len(Path(rel_name).parts) - 1]


def _utf16(head: bytes) -> bool:
    """Whether a file's first bytes are those of UTF-16 (or UTF-32) text."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        len(head) >= 2 and (head[0] == 0) != (head[1] == 0)
    )


def _not_encoded(rel_name: str, encoding: str) -> str:
    other = "latin-1" if encoding == "utf-8" else "utf-8"
    return (
        f"{rel_name}: the file is not valid {encoding} text: set [csv] encoding = "
        f'"{other}" in extract.toml if it was written as {other.capitalize()}'
    )


def _encoding_problem(path: Path, encoding: str, rel_name: str) -> str | None:
    """What is wrong with a CSV file's encoding, or None when its bytes fit ``encoding``.

    Read from the bytes, never from a reader's error text:

    * UTF-16 text (Excel's "Unicode text");
    * a UTF-8 byte-order mark in a file declared Latin-1;
    * text that is not UTF-8 in a file declared UTF-8: Latin-1 reads it, unless
    * it has bytes 0x80-0x9F: cp1252 ("ANSI", Excel's "CSV" on Windows) writes
      ``€ ’ “ ”`` there, which Latin-1 has no letters for (DuckDB refuses them), so
      the file must be converted to UTF-8.

    The message names the line of the first bad byte, never the text.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
        if _utf16(head):
            return (
                f"{rel_name}: the file is UTF-16 text (Excel's \"Unicode text\"), which "
                'cannot be read: save it as "CSV UTF-8" and set [csv] encoding = "utf-8" '
                "in extract.toml"
            )
        if encoding != "utf-8" and head.startswith(codecs.BOM_UTF8):
            return (
                f"{rel_name}: the file is UTF-8 text (it starts with a UTF-8 "
                f"byte-order mark), but extract.toml declares [csv] encoding = "
                f'"{encoding}": set [csv] encoding = "utf-8"'
            )
        bad_utf8 = _first_line(path, _not_utf8) if encoding == "utf-8" else None
        if encoding == "utf-8" and bad_utf8 is None:
            return None
        cp1252 = _first_line(path, _c1_byte)
    except OSError:
        return None
    if cp1252 is not None:
        return (
            f"{rel_name}: the file is neither UTF-8 nor Latin-1 text: it has bytes that "
            f"cp1252 (\"ANSI\", Excel's \"CSV\" on Windows) uses for characters such as "
            f"\u20ac \u2019 \u201c \u201d, which Latin-1 does not have (first at line "
            f"{cp1252:,}). Save it as \"CSV UTF-8\" (or convert it: iconv -f cp1252 -t "
            'utf-8) and set [csv] encoding = "utf-8" in extract.toml'
        )
    if bad_utf8 is None:  # Latin-1 declared, and every byte is Latin-1 text
        return None
    return (
        f"{rel_name}: the file is not valid utf-8 text (first at line {bad_utf8:,}); it was "
        'probably written as Latin-1 (or cp1252, Excel\'s "CSV" on Windows): set [csv] '
        'encoding = "latin-1" in extract.toml (or save the file as "CSV UTF-8")'
    )


_C1 = re.compile(rb"[\x80-\x9f]")


def _not_utf8() -> Callable[..., int | None]:
    """A scanner for :func:`_first_line`: the offset of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = 0  # bytes of a character begun in the block before

    def scan(block: bytes, *, last: bool) -> int | None:
        nonlocal pending
        try:
            decoder.decode(block, final=last)
        except UnicodeDecodeError as err:
            return max(err.start - pending, 0)
        pending = len(decoder.getstate()[0])
        return None

    return scan


def _c1_byte() -> Callable[..., int | None]:
    """A scanner for :func:`_first_line`: the offset of the first byte 0x80-0x9F."""

    def scan(block: bytes, *, last: bool) -> int | None:  # noqa: ARG001 - the protocol
        m = _C1.search(block)
        return m.start() if m else None

    return scan


def _first_line(path: Path, make: Callable[[], Callable[..., int | None]]) -> int | None:
    """The line (1-based) of the first offset a scanner finds in the file, or None."""
    scan = make()
    line = 1
    with path.open("rb") as fh:
        block = fh.read(1 << 20)
        while block:
            following = fh.read(1 << 20)
            at = scan(block, last=not following)
            if at is not None:
                return line + block.count(b"\n", 0, at)
            line += block.count(b"\n")
            block = following
    return None


def _readstat(
    con: duckdb.DuckDBPyConnection, view: str, path: Path, rel_name: str, *, kind: str
) -> None:
    import pyreadstat

    reader = pyreadstat.read_sas7bdat if kind == "sas7bdat" else pyreadstat.read_dta
    label = "SAS7BDAT" if kind == "sas7bdat" else "Stata"
    table = sql_ident(view + "_data")
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
    except duckdb.Error as err:
        if disk_full(err):  # the copy spilled to a full working folder
            raise spill_error(con) from None
        msg = f"{rel_name}: the file cannot be read as {label}"
        raise ContractError(msg) from None
    except PermissionError as err:
        raise input_error(err, path, _root(path, rel_name)) from None
    except Exception:  # noqa: BLE001 - readstat raises its own types; never echo content
        msg = f"{rel_name}: the file cannot be read as {label}"
        raise ContractError(msg) from None
    if not created:
        msg = f"{rel_name}: the file cannot be read as {label} (no columns)"
        raise ContractError(msg)
    data = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    check_column_names(data, rel_name)
    con.execute(
        f"CREATE VIEW {sql_ident(view)} AS SELECT {_select_lowered(data, rel_name)}, "
        f"CAST(rowid + 1 AS BIGINT) AS _source_row, {sql_str(rel_name)} AS _source_file "
        f"FROM {table}"
    )
