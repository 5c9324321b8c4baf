"""The Extract: a validated register extract held in an embedded DuckDB."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import tempfile
import warnings
import weakref
from pathlib import Path

import duckdb
import pandas as pd

from cohort._sql import sql_ident, sql_int
from cohort.exceptions import (
    ContractError,
    CprDetectedError,
    DataError,
    DataQualityWarning,
    MissingTableError,
    OutputError,
    ParameterError,
    UserError,
)
from cohort.extract._cpr import check_cpr
from cohort.extract._fs import disk_full, output_error, shown, spill_error
from cohort.extract._meta import ExtractMeta, read_meta
from cohort.extract._names import redact
from cohort.extract._output import CONVERSION_ERRORS, QUARANTINE, Staging
from cohort.extract._readers import READ_ERRORS, discover, drop_raw, read_raw
from cohort.extract._validate import check_table
from cohort.extract._working import WorkingCopy
from cohort.extract.presets.base import Preset, RawTable
from cohort.extract.report import TableReport, ValidationReport
from cohort.extract.schema import TABLES

__all__ = ["Extract", "read_extract", "validate_extract"]

_REQUIRED = tuple(t for t, spec in TABLES.items() if spec.required)
# persons and addresses first: the row rules of the others refer to them.
_ORDER = ("persons", "addresses") + tuple(t for t in TABLES if t not in ("persons", "addresses"))


def _preset(name: str) -> Preset:
    if name == "dst":
        from cohort.extract.presets.dst import PRESET as DST

        return DST
    from cohort.extract.presets.canonical import PRESET

    return PRESET


def _connect(workdir: Path, memory_limit: str, threads: int | None) -> duckdb.DuckDBPyConnection:
    # the settings that take a value are given to connect(), not spliced into SQL text
    # (a TMPDIR may hold an apostrophe)
    if not isinstance(memory_limit, str):
        msg = f"memory_limit must be a size such as '4GB'; got {memory_limit!r}"
        raise ParameterError(msg)
    config = {"temp_directory": (workdir / "spill").as_posix(), "memory_limit": memory_limit}
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error:
        msg = f"memory_limit must be a size such as '4GB'; got {memory_limit!r}"
        raise ParameterError(msg) from None
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")  # the library never prints
    # the validated tables live in a compressed in-memory database: a national
    # table held uncompressed outgrew memory_limit several times over and was
    # spilled to the working folder (income at 6 million persons: 4 GB held, 7.6 GB
    # spilled; compressed: 1.4 GB spilled)
    try:
        con.execute("ATTACH ':memory:' AS cohort_work (COMPRESS)")
        con.execute("USE cohort_work")
    except duckdb.Error:  # a DuckDB without compressed in-memory databases (< 1.2)
        pass
    # DuckDB answers an ASOF join whose left side it *estimates* below this many rows
    # with a nested loop; a filtered CTE is easily misestimated, and the loop over a
    # register (75,000 moves x 900,000 labour rows) took 40 s instead of 0.3 s
    try:
        con.execute("SET asof_loop_join_threshold = 0")
    except duckdb.Error:  # DuckDB before 1.3 has no loop ASOF join, nor the setting
        pass
    if threads:
        con.execute(f"SET threads = {sql_int(int(threads))}")
    return con


class Extract:
    """A register extract, read and validated.

    Do not construct directly: use :func:`read_extract`. Each canonical table is
    available as a DuckDB relation (:meth:`relation`) over the accepted rows and,
    on request, as a pandas DataFrame (:meth:`to_pandas`). Rows that broke a row
    rule are kept aside (:meth:`quarantine`), and :attr:`report` reconciles them.
    """

    def __init__(
        self,
        *,
        path: Path,
        meta: ExtractMeta,
        con: duckdb.DuckDBPyConnection,
        report: ValidationReport,
        workdir: Path,
        owns_workdir: bool,
        working_copy: WorkingCopy | None = None,
        reused: bool = False,
        delivery_hash: str | None = None,
    ) -> None:
        self.path = path
        self.meta = meta
        self.con = con
        self.report = report
        self.workdir = workdir
        #: The validated working copy the tables are read from or were written to
        #: (None without ``working_copy=``); ``reused``: read from one made before.
        self.working_copy = working_copy
        self.reused = reused
        self._delivery_hash = delivery_hash
        self._finalizer = weakref.finalize(
            self, _cleanup, con, workdir if owns_workdir else None
        )

    # -- metadata -------------------------------------------------------------
    @property
    def delivery_hash(self) -> str:
        """A sha256 (hex) over the names and contents of the delivery's files."""
        if self._delivery_hash is None:
            from cohort._hashing import delivery_hash

            self._delivery_hash = delivery_hash(self.path)
        return self._delivery_hash

    @property
    def name(self) -> str:
        """The extract's name from extract.toml."""
        return self.meta.name

    @property
    def extract_end(self) -> dt.date:
        """The last date the registers cover; follow-up is censored here."""
        return self.meta.extract_end

    @property
    def tables(self) -> tuple[str, ...]:
        """The canonical tables this extract has, in contract order."""
        return tuple(t for t in TABLES if t in self.report.tables)

    def has(self, table: str) -> bool:
        """Whether the extract delivered ``table``."""
        return table in self.report.tables

    def require(self, *tables: str, purpose: str) -> None:
        """Raise :class:`MissingTableError` naming the first missing table.

        Examples
        --------
        >>> ex.require("exams", purpose="the indicator 'exam_grades'")  # doctest: +SKIP

        """
        for t in tables:
            if not self.has(t):
                msg = f"{purpose} needs the table {t!r}, which this extract does not have"
                raise MissingTableError(msg)

    # -- data -----------------------------------------------------------------
    def relation(self, table: str) -> duckdb.DuckDBPyRelation:
        """The accepted rows of ``table`` as a DuckDB relation (lazy, out of core)."""
        self._check_table(table)
        return self.con.table(table)

    def to_pandas(self, table: str, *, columns: list[str] | None = None) -> pd.DataFrame:
        """The accepted rows of ``table`` as a DataFrame, in the order they were read.

        Dates are ``datetime64`` columns, whole numbers ``Int64``, numbers
        ``float64``, text ``object``.
        """
        self._check_table(table)
        spec = TABLES[table]
        cols = columns or list(spec.column_names)
        unknown = [c for c in cols if c not in spec.column_names]
        if unknown:
            msg = f"columns must be among {list(spec.column_names)}; got {unknown}"
            raise ParameterError(msg)
        sel = ", ".join(sql_ident(c) for c in cols)
        df = self.con.execute(
            f"SELECT {sel} FROM {sql_ident('_checked_' + table)} WHERE _rule IS NULL "
            "ORDER BY _source_file, _source_row"
        ).df()
        for c in cols:
            if spec.column(c).type == "int":
                df[c] = df[c].astype("Int64")
        return df

    def quarantine(self, table: str) -> pd.DataFrame:
        """The rows of ``table`` that were set aside, as read, with the rule each broke."""
        self._check_table(table)
        return self.con.execute(
            f"SELECT * FROM {sql_ident('_quarantine_' + table)} "
            "ORDER BY _source_file, _source_row"
        ).df()

    def write_validation(self, out: str | Path) -> Path:
        """Write the report and one quarantine CSV per table with set-aside rows.

        The files are written into a staging folder inside ``out`` and moved into
        place with the report last (:mod:`cohort.extract._output`): a failure half-way
        (a full disk) leaves ``out`` as it was, and no report names a missing file.
        Files in ``out`` that validation does not write are kept.
        """
        out = _outside(Path(out), self.path)
        with Staging(out) as stage:
            self._stage_validation(stage)
            stage.publish()
        return out

    def _stage_validation(self, stage: Staging) -> None:
        """The quarantine files, then the report, into the staging folder."""
        qdir = stage.path / QUARANTINE
        for t, rep in self.report.tables.items():
            if rep.rows_quarantined:
                qdir.mkdir(exist_ok=True)
                stage.copy(
                    self.con,
                    f"SELECT * FROM {sql_ident('_quarantine_' + t)} "
                    "ORDER BY _source_file, _source_row",
                    qdir / f"{t}.csv",
                )
        self.report.write(stage.path)

    def _check_table(self, table: str) -> None:
        if table not in TABLES:
            msg = f"table must be one of {', '.join(map(repr, TABLES))}; got {table!r}"
            raise ParameterError(msg)
        if not self.has(table):
            msg = f"this extract does not have the table {table!r}"
            raise MissingTableError(msg)

    def save_working_copy(self, folder: str | Path) -> WorkingCopy | None:
        """Write the validated working copy of this delivery into ``folder``.

        What ``read_extract(..., working_copy=folder)`` writes on a first read
        (a later read with it reuses the copy); for a caller that decides after
        reading whether to keep one. Returns the copy (the one read from, when
        this extract was read from a copy), or None when it could not be written
        (with a warning).
        """
        from cohort.extract import _working

        if self.reused:
            return self.working_copy
        root = _outside(Path(folder), self.path, what=_WC, option="--working-copy")
        self.working_copy = _working.write(
            self.con, self.report, root, _working.working_key(self.delivery_hash),
            delivery=self.delivery_hash)
        return self.working_copy

    # -- life cycle -----------------------------------------------------------
    def close(self) -> None:
        """Close the database and remove the working folder (if it made one)."""
        self._finalizer()

    def __enter__(self) -> Extract:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Extract({self.name!r}, extract_end={self.extract_end}, "
            f"tables={list(self.tables)}, status={self.report.status!r})"
        )


_WC = "the working-copy folder"


def _cleanup(con: duckdb.DuckDBPyConnection, workdir: Path | None) -> None:
    try:
        con.close()
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _outside(out: Path, extract: Path, *, what: str = "the output folder",
             option: str = "--out") -> Path:
    # realpath, not resolve(): a symbolic link that loops is reported where it is used
    # (resolve() raises RuntimeError on it in Python 3.11)
    o, e = Path(os.path.realpath(out)), Path(os.path.realpath(extract))
    if o == e or e in o.parents:
        msg = (
            f"{what} {shown(out)} lies inside the extract; validation never "
            f"writes into the extract (it may be read-only): choose another {option}"
        )
        raise ParameterError(msg)
    return out


def _load(
    path: Path,
    con: duckdb.DuckDBPyConnection,
    meta: ExtractMeta,
    errors_dir: Path | None = None,
    errors_shown: Path | None = None,
) -> ValidationReport:
    from cohort import _progress

    found = discover(path)
    raw: dict[str, RawTable] = {}
    for k, (stem, file) in enumerate(found.tables.items(), start=1):
        _progress.item(f"reading {stem}", k, len(found.tables))
        raw[stem] = read_raw(con, stem, file, meta, path)
    # The CPR rule stops everything before any table is validated or written.
    for table in raw.values():
        check_cpr(con, table)
    ignored = list(found.ignored)
    for i, file in enumerate(found.others):
        _scan_other(con, file, meta, path, view=f"scan_{i}")
    options = {**meta.preset_options, "_extract_dir": str(path)}
    sources = _preset(meta.preset).to_canonical(
        con, raw, extract_end=meta.extract_end, options=options
    )
    used = {n for s in sources.values() for n in s.raw_names}
    ignored = sorted(ignored + [raw[n].file for n in raw if n not in used])
    missing_req = [t for t in _REQUIRED if t not in sources]
    if missing_req:
        msg = (
            f"the extract has no table {missing_req[0]!r} (required: "
            f"{', '.join(_REQUIRED)}); found files for: {', '.join(sorted(raw)) or 'none'}"
        )
        raise ContractError(msg)
    checks: dict[str, TableReport] = {}
    present = [n for n in _ORDER if n in sources]
    for name in _ORDER:
        if name in sources:
            _progress.item(f"validating {name}", present.index(name) + 1, len(present))
            try:
                c = check_table(
                    con, TABLES[name], sources[name], decimal=meta.csv_decimal,
                    errors_dir=errors_dir, errors_shown=errors_shown,
                )
            except READ_ERRORS as err:
                if disk_full(err):  # a spill to a full working folder, not the data
                    raise spill_error(con) from None
                # a column the CPR stop did not read (a date) may hold a value beyond
                # DuckDB's range; DuckDB's text may quote it, so it is not passed on
                msg = (
                    f"{sources[name].file}: the table {name!r} cannot be read (DuckDB "
                    f"{type(err).__name__}: a damaged file, or a value beyond the range of "
                    "its type). No rows of the table are used."
                )
                raise ContractError(msg) from None
            checks[name] = TableReport(
                table=c.table,
                file=c.file,
                rows_read=c.rows_read,
                rows_accepted=c.rows_accepted,
                rows_quarantined=c.rows_quarantined,
                rules=c.rules,
            )
    status = "quarantined" if any(t.rows_quarantined for t in checks.values()) else "valid"
    return ValidationReport(
        extract=meta.name,
        preset=meta.preset,
        extract_end=meta.extract_end.isoformat(),
        status=status,
        tables={t: checks[t] for t in TABLES if t in checks},
        missing_tables=tuple(t for t in TABLES if t not in checks),
        ignored_files=tuple(ignored),
    )


def _scan_other(
    con: duckdb.DuckDBPyConnection, file: Path, meta: ExtractMeta, root: Path, *, view: str
) -> None:
    """Read a file that is no table for the CPR stop only, then drop it.

    Such a file is a hidden file, or a file in another folder. A file that cannot
    be read in its format is left (it is listed as ignored all the same).

    A CSV file here need not follow extract.toml (a backup from elsewhere): its
    delimiter is taken from its first line, and Latin-1 is tried when it is not
    UTF-8 (every byte is Latin-1, and CPR numbers are ASCII); a file declared Latin-1
    that turns out to be UTF-8 (a byte-order mark) is read as UTF-8.
    """
    tries = [meta]
    if file.suffix.lower() == ".csv":
        encodings = dict.fromkeys((meta.csv_encoding, "utf-8", "latin-1"))
        tries = [_csv_dialect(file, meta, enc) for enc in encodings]
    for attempt in tries:
        try:
            check_cpr(con, read_raw(con, view, file, attempt, root, view=view))
        except CprDetectedError:
            raise
        except ContractError:
            continue
        else:
            return
        finally:
            drop_raw(con, view)


def _csv_dialect(file: Path, meta: ExtractMeta, encoding: str) -> ExtractMeta:
    """``meta`` with the encoding given and the delimiter (, or ;) the first line uses most."""
    try:
        with file.open("rb") as fh:
            first = fh.readline(1 << 20)
    except OSError:
        return meta
    delimiter = ";" if first.count(b";") > first.count(b",") else ","
    decimal = "." if meta.csv_decimal == delimiter else meta.csv_decimal
    return dataclasses.replace(
        meta, csv_encoding=encoding, csv_delimiter=delimiter, csv_decimal=decimal
    )


def read_extract(
    path: str | Path,
    *,
    workdir: str | Path | None = None,
    memory_limit: str = "4GB",
    threads: int | None = None,
    working_copy: str | Path | None = None,
) -> Extract:
    """Read and validate a register extract folder.

    Parameters
    ----------
    path
        The extract folder (with ``extract.toml``).
    workdir
        Where DuckDB may spill to disk; a temporary folder (removed on
        :meth:`Extract.close`) when not given. Never inside the extract.
    memory_limit
        DuckDB's memory limit, e.g. ``"4GB"``.
    threads
        DuckDB threads (default: all cores).
    working_copy
        A folder for validated working copies (read once, reuse): the first read
        of a delivery writes what validation accepted, typed, as Parquet (with the
        rows set aside and the report) into ``working_copy/<key>``; a later read
        of the same, unchanged delivery (same file names and contents, same
        validating code) opens that copy instead of reading and validating again
        (:attr:`Extract.reused`). Person-level: keep it on the server, never
        inside the extract. None (default): no copy.

    Returns
    -------
    Extract
        Quarantined rows stay inside it; a :class:`DataQualityWarning` says how
        many (counts only).

    Raises
    ------
    ContractError
        A table cannot be read, lacks a required column, has a column that cannot
        be converted, or holds CPR-like values.

    """
    ex = _open(
        Path(path), workdir=workdir, memory_limit=memory_limit, threads=threads, errors_dir=None,
        working_copy=None if working_copy is None else Path(working_copy),
    )
    report = ex.report
    if report.rows_quarantined:
        per = ", ".join(
            f"{t} {r.rows_quarantined:,}" for t, r in report.tables.items() if r.rows_quarantined
        )
        warnings.warn(
            f"rows set aside in quarantine: {per}; see Extract.report and Extract.quarantine()",
            DataQualityWarning,
            stacklevel=2,
        )
    return ex


def _open(
    path: Path,
    *,
    workdir: str | Path | None,
    memory_limit: str,
    threads: int | None,
    errors_dir: Path | None,
    errors_shown: Path | None = None,
    working_copy: Path | None = None,
) -> Extract:
    """:func:`read_extract` without the warning.

    ``errors_dir`` receives the values of a column that cannot be converted, named in
    the message as in ``errors_shown`` (see :func:`cohort.extract._validate.check_table`).
    ``working_copy``: the folder of validated working copies (:mod:`._working`).
    """
    meta = read_meta(path)
    delivery = copy = None
    if working_copy is not None:
        from cohort.extract import _working

        _outside(working_copy, path, what=_WC, option="--working-copy")
        delivery, copy = _working.lookup(working_copy, path)
    owns = workdir is None
    wd = _workdir(path, workdir)
    try:
        con = _connect(wd, memory_limit, threads)
    except BaseException:
        if owns:
            shutil.rmtree(wd, ignore_errors=True)
        raise
    if copy is not None:
        from cohort import _progress
        from cohort.extract import _working

        try:
            with _progress.step(f"reusing the validated working copy {copy.folder}"):
                report = _working.attach(con, copy)
        except (duckdb.Error, OSError, ValueError, KeyError, TypeError):
            copy = None  # damaged since it was checked: validated again below
        else:
            return Extract(path=path, meta=meta, con=con, report=report, workdir=wd,
                           owns_workdir=owns, working_copy=copy, reused=True,
                           delivery_hash=delivery)
    try:
        report = _load(path, con, meta, errors_dir, errors_shown)
    except duckdb.OutOfMemoryException:
        # over memory_limit, and the working folder could not take the rest
        _cleanup(con, wd if owns else None)
        msg = (
            f"DuckDB needed more than memory_limit ({memory_limit}) and could not spill the "
            f"rest to the working folder {shown(wd)} (full, or not writable); set TMPDIR to "
            "a folder with more free space (or pass workdir=...) or raise memory_limit"
        )
        raise OutputError(msg) from None
    except duckdb.Error as err:
        _cleanup(con, wd if owns else None)
        if disk_full(err):
            raise spill_error(None) from None
        raise
    except BaseException:
        _cleanup(con, wd if owns else None)
        raise
    ex = Extract(path=path, meta=meta, con=con, report=report, workdir=wd, owns_workdir=owns,
                 delivery_hash=delivery)
    if working_copy is not None and delivery is not None:
        from cohort import _progress

        with _progress.step(f"writing the validated working copy to {working_copy}"):
            ex.save_working_copy(working_copy)
    return ex


def _workdir(path: Path, workdir: str | Path | None) -> Path:
    """The working folder: a new temporary folder, or ``workdir`` (made if need be)."""
    if workdir is None:
        try:
            return Path(tempfile.mkdtemp(prefix="cohort-"))
        except OSError as err:  # TMPDIR unusable, full, or not writable
            where = os.environ.get("TMPDIR") or tempfile.gettempdir()
            raise output_error(
                err, where, what="the temporary folder (TMPDIR)", option="TMPDIR"
            ) from None
    wd = _outside(Path(workdir), path)
    try:
        wd.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(err, wd, what="the working folder", option="workdir") from None
    return wd


def validate_extract(
    path: str | Path, *, out: str | Path, memory_limit: str = "4GB",
    working_copy: str | Path | None = None,
) -> ValidationReport:
    """Validate an extract and write the report and quarantine files to ``out``.

    Unlike :func:`read_extract` this never raises for a data error: a fatal breach
    gives a report with ``status == "stopped"`` and the message, written all the
    same. When validation stopped, only the report is written (no quarantine files),
    and, when a column could not be converted to its type, the values that failed, in
    ``out/conversion_errors/<table>.<column>.csv`` (person-level: it stays on the
    server; the message names the file and the values' shapes, never the values).

    Everything is written into a staging folder inside ``out`` and moved into place
    with the report last (:mod:`cohort.extract._output`): after a failure (a full
    disk, an unreadable file: an :class:`~cohort.exceptions.OutputError` or
    :class:`~cohort.exceptions.UserError`) ``out`` is as it was. A report and the
    quarantine and conversion-error files beside it always belong to one run; other
    files in ``out`` are kept.

    ``working_copy``: a folder for the validated working copy (as in
    :func:`read_extract`); a delivery validated before into it is not read again,
    and its report and quarantine files are written from the copy.
    """
    path = Path(path)
    out = _outside(Path(out), path)
    if path.is_symlink() and not path.exists():  # checked here: read_meta says "missing"
        msg = (
            f"{shown(path)}: the extract folder is a symbolic link that leads nowhere (or "
            "loops); give the folder itself"
        )
        raise UserError(msg)
    with Staging(out) as stage:
        meta: ExtractMeta | None = None
        try:
            meta = read_meta(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataQualityWarning)
                ex = _open(
                    path, workdir=None, memory_limit=memory_limit, threads=None,
                    errors_dir=stage.path / CONVERSION_ERRORS,
                    errors_shown=out / CONVERSION_ERRORS,
                    working_copy=None if working_copy is None else Path(working_copy),
                )
            with ex:
                ex._stage_validation(stage)  # noqa: SLF001 - the module's own class
                report = ex.report
        except DataError as err:
            report = ValidationReport(
                extract=meta.name if meta else redact(path.name),
                preset=meta.preset if meta else "unknown",
                extract_end=meta.extract_end.isoformat() if meta else "unknown",
                status="stopped",
                error=str(err),
            )
            report.write(stage.path)
        stage.publish()
    return report
