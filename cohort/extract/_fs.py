"""The file system's refusals, as errors that say what to do.

Reading an extract and writing a validation folder meet ordinary conditions of a
shared server: a file or folder the user may not read, a symbolic link that loops,
a full disk or a file-size limit, an output path that is a file or read-only. Each
becomes a :class:`~cohort.exceptions.CohortError` with an exit code of its own
(never the internal error's 4) and a message that names the path and the fix.

Paths inside the extract are shown relative to it, and every path shown passes
through :func:`~cohort.extract._names.redact`: a name shaped like a CPR number is
never echoed.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb

from cohort.exceptions import CohortError, ContractError, OutputError, UserError
from cohort.extract._names import redact

__all__ = [
    "check_readable",
    "disk_full",
    "duckdb_write_error",
    "input_error",
    "output_error",
    "shown",
    "spill_error",
]

#: errno values that mean "no room": a full disk, a quota, a file-size limit
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NO_ACCESS = {errno.EACCES, errno.EPERM}
# what DuckDB's IOException says for the same conditions (its text quotes a path, never
# a value, but it is not passed on all the same)
_NO_SPACE_TEXT = ("no space left on device", "file too large", "disk quota exceeded",
                  "could not write all bytes")


def shown(path: Path | str, root: Path | None = None) -> str:
    """``path`` for a message: relative to ``root`` when inside it, CPR-like parts redacted."""
    p = Path(path)
    if root is not None:
        try:
            p = p.relative_to(root)
        except ValueError:
            pass
    return "/".join(redact(part) for part in p.as_posix().split("/")) or "."


def check_readable(path: Path, root: Path | None = None) -> None:
    """Open ``path`` for reading and close it; an OS refusal becomes :func:`input_error`.

    Run on every file before DuckDB or a reader library opens it, so that a file the
    user may not read is reported as such (and not as a damaged file).
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as err:
        raise input_error(err, path, root) from None
    os.close(fd)


def input_error(err: OSError, path: Path | str, root: Path | None = None) -> CohortError:
    """The error for an input (the extract, a file in it, extract.toml) that cannot be read.

    No permission: a user error (exit 3): the fix is access, not the data. A symbolic
    link that loops: a data error (exit 2): the delivery is broken. Anything else
    (an I/O error of a disk or network share): a user error naming the condition.
    """
    if root is not None and Path(path) == root:
        where, inside = f"the extract folder {shown(path)}", ""
    else:
        where, inside = shown(path, root), ("" if root is None else " in the extract")
    code = err.errno
    if code in _NO_ACCESS:
        msg = (
            f"{where}{inside} cannot be read: permission denied. Validation reads every file "
            "of the extract folder (and every folder in it): ask the data manager for read "
            "access, or copy the extract to a folder you can read"
        )
        return UserError(msg)
    if code == errno.ELOOP:
        msg = (
            f"{where}{inside} is a symbolic link that loops (it points, directly or through "
            "other links, back to itself), so it cannot be read; remove it, or replace it "
            "with the file or folder it should point to"
        )
        return ContractError(msg)
    if code in (errno.ENOENT, errno.ENOTDIR):
        msg = (
            f"{where}{inside} disappeared while it was being read (or is a link to nothing); "
            "check that nobody is changing the extract folder, then run again"
        )
        return UserError(msg)
    reason = err.strerror or type(err).__name__
    msg = (
        f"{where}{inside} cannot be read ({reason}); check the disk or network share it "
        "lies on, or copy the extract to a local folder, then run again"
    )
    return UserError(msg)


def disk_full(err: BaseException) -> bool:
    """Whether an OSError or a DuckDB error reports a full disk, a quota or a size limit."""
    if isinstance(err, OSError) and err.errno in _NO_SPACE:
        return True
    if isinstance(err, duckdb.Error):
        text = str(err).lower()
        return any(t in text for t in _NO_SPACE_TEXT)
    return False


def output_error(
    err: OSError, path: Path | str, *, what: str, option: str = "--out", note: str = ""
) -> OutputError:
    """The error for an output that cannot be written: no space, no permission, not a folder.

    ``what`` names the output ("the validation folder"); ``option`` the option or
    argument that chose it; ``note`` (a sentence) says what was left behind.
    """
    where = shown(path)
    code = err.errno
    if code in _NO_SPACE:
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is used up",
            errno.EFBIG: "a file reached the size limit set for this process (ulimit -f)",
        }[code]
        msg = (
            f"{what} {where} could not be written: {reason}. {note}Free space or raise the "
            f"limit, or choose another {option}, then run again"
        )
    elif code in _NO_ACCESS or code == errno.EROFS:
        reason = "read-only file system" if code == errno.EROFS else "permission denied"
        msg = (
            f"{what} {where} cannot be written ({reason}); choose another {option}, one you "
            "may write to"
        )
    elif code in (errno.ENOTDIR, errno.EEXIST):
        msg = (
            f"{what} {where} cannot be made: it, or a folder above it, is a file; choose "
            f"another {option}"
        )
    elif code == errno.ELOOP:
        msg = (
            f"{what} {where} cannot be made: the path holds a symbolic link that loops; "
            f"choose another {option}"
        )
    else:
        reason = err.strerror or type(err).__name__
        msg = f"{what} {where} could not be written ({reason}); choose another {option}"
    return OutputError(msg)


def duckdb_write_error(err: duckdb.Error, path: Path | str, *, what: str,
                       option: str = "--out", note: str = "") -> OutputError:
    """:func:`output_error` for DuckDB's error while it wrote a file (a COPY)."""
    text = str(err).lower()
    if any(t in text for t in _NO_SPACE_TEXT):
        code = errno.EFBIG if "file too large" in text else errno.ENOSPC
    elif "permission denied" in text:
        code = errno.EACCES
    elif "read-only file system" in text:
        code = errno.EROFS
    else:
        code = errno.EIO
    return output_error(OSError(code, os.strerror(code)), path, what=what, option=option,
                        note=note)


def spill_error(con: duckdb.DuckDBPyConnection | None) -> OutputError:
    """The error for DuckDB's working folder running out of space while it spills."""
    where = ""
    if con is not None:
        try:
            folder = con.execute("SELECT current_setting(?)", ["temp_directory"]).fetchall()
            where = f" {shown(folder[0][0])}"
        except duckdb.Error:  # pragma: no cover - the connection is still open
            where = ""
    msg = (
        f"the working folder{where} ran out of space (or reached the file-size limit) while "
        "DuckDB spilled data to disk; set TMPDIR to a folder with more free space (or "
        "pass workdir=...), or lower the memory needed, then run again"
    )
    return OutputError(msg)
