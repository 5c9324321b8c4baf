"""The validation folder, written so that a report never names a file that is not there.

Validation writes into a hidden staging folder inside the output folder
(``DIR/.validation-partial-*``): the quarantine files, the values of a column
that cannot be converted, and the report last. Only when all of them are
complete are they moved into place, by renames within ``DIR``:

1. the old report is removed (from here on no report claims anything);
2. ``quarantine/`` and ``conversion_errors/`` are replaced by this run's, or
   removed when this run has none;
3. ``validation_report.txt`` and then ``validation_report.json`` are moved in.

A failure before step 1 (a full disk, a file-size limit, an interrupted run)
leaves ``DIR`` as it was; a failure within the renames leaves no report. Nothing
else in ``DIR`` is touched: files the user keeps there stay. The staging folder of
a run that was killed (its process is gone) is removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import duckdb

from cohort.exceptions import OutputError
from cohort.extract._fs import duckdb_write_error, output_error, shown

__all__ = ["CONVERSION_ERRORS", "NOTE", "QUARANTINE", "REPORT_FILES", "Staging", "prepare_out"]

#: The folder of the validation output that receives the values of a column that
#: cannot be converted (person-level: it stays on the server).
CONVERSION_ERRORS = "conversion_errors"
#: The folder of the validation output with the rows set aside, one CSV per table.
QUARANTINE = "quarantine"
#: The report's files, in the order they are moved into place (the JSON last).
REPORT_FILES = ("validation_report.txt", "validation_report.json")
_WHAT = "the validation folder"
#: what a failed run leaves, said in its message
NOTE = "Nothing in it was changed (this run's files are removed). "
_PREFIX = ".validation-partial-"


def prepare_out(out: Path) -> bool:
    """Make the output folder (and its parents); return whether it was made now.

    A path that is a file, a symbolic link to nothing or a loop, or a folder that
    may not be written is an :class:`~cohort.exceptions.OutputError` naming it.
    """
    if out.is_symlink() and not out.exists():
        msg = (
            f"{_WHAT} {shown(out)} is a symbolic link that leads nowhere (or loops); "
            "choose another --out"
        )
        raise OutputError(msg)
    if out.exists() and not out.is_dir():
        msg = f"{_WHAT} {shown(out)} is a file, not a folder; choose a folder with --out"
        raise OutputError(msg)
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise output_error(err, out, what=_WHAT) from None
    return made


class Staging:
    """A hidden staging folder inside ``out``; :meth:`publish` moves its files into place.

    Used as a context manager: on leaving, the staging folder is removed, and when
    the block raised, so is ``out`` if this run made it and it is empty. An
    ``OSError`` or a DuckDB error while writing becomes an
    :class:`~cohort.exceptions.OutputError`.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self._made = False
        self.path = out  # replaced on entry

    def __enter__(self) -> Staging:
        self._made = prepare_out(self.out)
        _remove_stale(self.out)
        try:
            self.path = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=self.out))
        except OSError as err:
            self._undo()
            raise output_error(err, self.out, what=_WHAT, note=NOTE) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if exc is not None:
            self._undo()
            if isinstance(exc, OSError):
                raise output_error(exc, self.out, what=_WHAT, note=NOTE) from None

    def _undo(self) -> None:
        if self._made:
            with contextlib.suppress(OSError):
                self.out.rmdir()  # only when empty: nothing of the user's is removed

    def copy(self, con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> None:
        """``COPY (sql) TO target`` as CSV with a header; a refusal is an OutputError."""
        from cohort._sql import sql_str

        try:
            con.execute(f"COPY ({sql}) TO {sql_str(target.as_posix())} (HEADER, DELIMITER ',')")
        except duckdb.Error as err:
            raise duckdb_write_error(err, self.out, what=_WHAT, note=NOTE) from None

    def publish(self) -> None:
        """Move the staged files into ``out``: the old report out first, the new one in last."""
        out, stage = self.out, self.path
        old = stage / ".old"
        try:
            old.mkdir()
            for name in REPORT_FILES:
                _move_if_exists(out / name, old / name)
            for name in (QUARANTINE, CONVERSION_ERRORS):
                _move_if_exists(out / name, old / name)
                _move_if_exists(stage / name, out / name)
            for name in REPORT_FILES:
                os.replace(stage / name, out / name)
        except OSError as err:
            raise output_error(err, out, what=_WHAT) from None


def _remove_stale(out: Path) -> None:
    """Remove the staging folders of runs whose process is gone (killed half-way)."""
    with contextlib.suppress(OSError):
        for p in out.iterdir():
            pid = p.name.removeprefix(_PREFIX).split("-", 1)[0]
            if p.name.startswith(_PREFIX) and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _move_if_exists(src: Path, dst: Path) -> None:
    if src.exists() or src.is_symlink():
        os.replace(src, dst)
