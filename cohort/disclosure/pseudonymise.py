"""Keyed pseudonymisation of CPR numbers (HMAC-SHA256).

A pseudonym is ``HMAC-SHA256(key, cpr)`` as lowercase hex, truncated to
``PSEUDONYM_HEX`` = 32 characters (128 bits), where ``cpr`` is the number's ten
digits without the hyphen, UTF-8 encoded. Anyone holding the same key computes
the same pseudonym, so data from several providers link; without the key a
pseudonym cannot be reversed (CPR numbers are few, so a plain unkeyed hash could
be, by trying them all). With 128 bits the chance that two of ten million
persons share a pseudonym is about ``(1e7)**2 / 2**129`` ~ 1.5e-25.

The key lives in a file readable by its owner only (mode ``0o600`` or
stricter); the key is never printed, logged, written or put in a message.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cohort._params import check_literal
from cohort.disclosure._cpr import cpr_birth_date, scrub_text
from cohort.disclosure._io import read_csv_as_text
from cohort.exceptions import DataError, OutputError, UserError

__all__ = [
    "PSEUDONYM_HEX",
    "PseudonymiseReport",
    "SecretKey",
    "generate_key_file",
    "pseudonymise_file",
    "pseudonymise_values",
    "read_key",
]

PSEUDONYM_HEX = 32
MIN_KEY_BYTES = 32
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}


class SecretKey:
    """A pseudonymisation key; its ``repr`` and ``str`` never show it."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
            msg = f"a pseudonymisation key must be at least {MIN_KEY_BYTES} bytes"
            raise UserError(msg)
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "SecretKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> None:  # never pickled into a cache or a log
        msg = "a SecretKey cannot be pickled"
        raise TypeError(msg)

    def digest(self, message: bytes) -> str:
        """The truncated HMAC-SHA256 hex digest of ``message``."""
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def read_key(key_file: str | Path) -> SecretKey:
    """Read a key file; refuse it when group or others may read or write it.

    The key is the file's content with surrounding whitespace removed (for
    example 64 hex characters, as :func:`generate_key_file` writes), at least
    32 bytes.
    """
    path = Path(key_file)
    try:
        st = path.stat()
    except FileNotFoundError:
        msg = f"key file {_shown(path)} does not exist"
        raise UserError(msg) from None
    except OSError as err:  # no permission on a folder above it, a symbolic link loop
        raise _input_error(err, path, "key file") from None
    if not stat.S_ISREG(st.st_mode):
        msg = f"key file {_shown(path)} is not a regular file"
        raise UserError(msg)
    if st.st_mode & 0o077:
        msg = (f"key file {_shown(path)} is accessible to group or others (mode "
               f"{stat.S_IMODE(st.st_mode):o}); run: chmod 600 {_shown(path)}")
        raise UserError(msg)
    try:
        return SecretKey(path.read_bytes().strip())
    except OSError as err:
        raise _input_error(err, path, "key file") from None


def _shown(path: Path) -> str:
    """A path for a message, with anything shaped like a CPR number redacted."""
    return scrub_text(str(path))[0]


def _input_error(err: OSError, path: Path, what: str) -> UserError:
    """An input that cannot be read, as a user error naming it and the fix."""
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        msg = f"{what} {_shown(path)} does not exist; check the path"
    elif err.errno in (errno.EACCES, errno.EPERM):
        msg = (f"{what} {_shown(path)} cannot be read: permission denied; ask for read "
               "access, or copy it to a folder you can read")
    elif err.errno == errno.ELOOP:
        msg = (f"{what} {_shown(path)} is a symbolic link that loops; give the file "
               "itself")
    elif err.errno == errno.EISDIR:
        msg = f"{what} {_shown(path)} is a folder; give a file"
    else:
        msg = (f"{what} {_shown(path)} cannot be read ({err.strerror or type(err).__name__}); "
               "check the disk or share it lies on")
    return UserError(msg)


def _output_error(err: OSError, path: Path) -> OutputError:
    """The output file cannot be written: the folder is missing, read-only, or full."""
    where = _shown(path)
    if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        reason = ("a file reached the size limit set for this process (ulimit -f)"
                  if err.errno == errno.EFBIG else "the disk is full (or the quota used up)")
        msg = (f"{where} could not be written: {reason}. Nothing was written (no partial "
               "file is left); free space or choose another output path, then run again")
    elif err.errno in (errno.ENOENT, errno.ENOTDIR):
        msg = f"{where} cannot be written: its folder does not exist; make it first"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        msg = (f"{where} cannot be written (permission denied or a read-only file system); "
               "choose a folder you may write to")
    elif err.errno == errno.EISDIR:
        msg = f"{where} is a folder; give a file name for the output"
    else:
        msg = (f"{where} could not be written ({err.strerror or type(err).__name__}); "
               "choose another output path")
    return OutputError(msg)


def generate_key_file(key_file: str | Path) -> Path:
    """Write a new random key (64 hex characters) to a new file with mode 0o600."""
    path = Path(key_file)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        msg = f"key file {path} exists already; a key is never overwritten"
        raise UserError(msg) from None
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path


def _key(key: SecretKey | bytes) -> SecretKey:
    return key if isinstance(key, SecretKey) else SecretKey(key)


def _normalise(value: object) -> str | None:
    """Ten digits of a valid CPR number, or None."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if len(v) == 11 and v[6] == "-":
        v = v[:6] + v[7:]
    if len(v) != 10 or not v.isdigit() or cpr_birth_date(v) is None:
        return None
    return v


def _is_empty(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or (
        isinstance(value, str) and not value.strip())


def pseudonymise_values(
    values: Iterable[object], *, key: SecretKey | bytes, on_invalid: str = "raise"
) -> list[str | None]:
    """Pseudonyms for CPR numbers (``DDMMYYXXXX`` or ``DDMMYY-XXXX``).

    Parameters
    ----------
    values
        CPR numbers as strings; empty values give ``None``.
    key
        A :class:`SecretKey` (from :func:`read_key`) or raw key bytes.
    on_invalid
        ``"raise"`` (default): a :class:`~cohort.exceptions.DataError` giving
        the number of invalid values (never a value); ``"null"``: ``None``
        for them.

    Examples
    --------
    >>> k = b"k" * 32
    >>> p = pseudonymise_values(["010190-1234", "0101901234"], key=k)
    >>> p[0] == p[1], len(p[0])
    (True, 32)
    >>> pseudonymise_values(["123"], key=k)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cohort.exceptions.DataError: 1 of 1 non-empty values are not valid CPR numbers ...

    """
    check_literal("on_invalid", on_invalid, ("raise", "null"))
    k = _key(key)
    out: list[str | None] = []
    invalid = nonempty = 0
    for v in values:
        if _is_empty(v):
            out.append(None)
            continue
        nonempty += 1
        norm = _normalise(v)
        if norm is None:
            invalid += 1
            out.append(None)
        else:
            out.append(k.digest(norm.encode("ascii")))
    if invalid and on_invalid == "raise":
        msg = (f"{invalid} of {nonempty} non-empty values are not valid CPR numbers "
               "(ten digits, a valid date); no value is shown")
        raise DataError(msg)
    return out


@dataclass(frozen=True)
class PseudonymiseReport:
    """Counts from :func:`pseudonymise_file`: rows, and per column empty and invalid values."""

    rows: int
    columns: tuple[str, ...]
    empty: tuple[int, ...]
    invalid: tuple[int, ...]

    def summary(self) -> str:
        """One line per column, counts only."""
        lines = [f"{self.rows} rows"]
        lines += [f"  {c}: {e} empty, {i} invalid (set to empty)"
                  for c, e, i in zip(self.columns, self.empty, self.invalid, strict=True)]
        return "\n".join(lines)


def _as_text(value: object) -> object:
    """Cell as text; whole numbers (Excel, Parquet ints) get their leading zeros back."""
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):010d}"
    return str(value)


def _read(path: Path) -> tuple[pd.DataFrame, dict]:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        msg = f"{path.name}: can read {sorted(_FORMATS)}; got {path.suffix!r}"
        raise UserError(msg)
    if fmt == "csv":
        df, sep, encoding = read_csv_as_text(path)
        return df, {"format": fmt, "sep": sep, "encoding": encoding}
    if fmt == "parquet":
        return pd.read_parquet(path), {"format": fmt}
    return pd.read_excel(path, dtype=object, engine="openpyxl"), {"format": fmt}


def _write(df: pd.DataFrame, path: Path, how: dict) -> None:
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        msg = f"{path.name}: can write {sorted(_FORMATS)}; got {path.suffix!r}"
        raise UserError(msg)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    if path.is_dir():
        raise _output_error(OSError(errno.EISDIR, os.strerror(errno.EISDIR)), path)
    if not path.parent.is_dir():  # pandas says so without an errno
        raise _output_error(OSError(errno.ENOENT, os.strerror(errno.ENOENT)), path)
    try:
        if fmt == "csv":
            sep = how.get("sep", ",")
            df.to_csv(tmp, index=False, sep=sep, encoding=how.get("encoding", "utf-8"),
                      lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        elif fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                df.to_excel(xw, index=False)
        os.replace(tmp, path)
    except OSError as err:  # a full disk, a size limit, a missing or read-only folder
        raise _output_error(err, path) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def pseudonymise_file(
    in_path: str | Path,
    out_path: str | Path,
    *,
    columns: Sequence[str],
    key_file: str | Path,
    on_invalid: str = "raise",
) -> PseudonymiseReport:
    """Replace CPR columns of a CSV, Parquet or Excel (.xlsx) export by pseudonyms.

    Parameters
    ----------
    in_path
        The export, as delivered (CSV: ``,`` or ``;``, UTF-8 or Latin-1).
    out_path
        Where to write; its suffix picks the format (``.csv``, ``.parquet``,
        ``.xlsx``). A CSV keeps the input's delimiter and encoding when the input
        was CSV. Written to a temporary name first, then renamed.
    columns
        The columns holding CPR numbers (exact names).
    key_file
        The key file (owner-only permissions, see :func:`read_key`).
    on_invalid
        ``"raise"`` (default, nothing is written) or ``"null"`` (invalid values
        become empty). Either way invalid values are reported by count only.

    Returns
    -------
    PseudonymiseReport
        Rows and, per column, the counts of empty and invalid values.

    """
    check_literal("on_invalid", on_invalid, ("raise", "null"))
    key = read_key(key_file)
    in_path, out_path = Path(in_path), Path(out_path)
    # realpath, not resolve(): a symbolic link that loops is reported when it is read
    if os.path.realpath(in_path) == os.path.realpath(out_path):
        msg = "out_path must differ from in_path; the export is never overwritten"
        raise UserError(msg)
    if not in_path.exists() and not in_path.is_symlink():
        msg = f"{_shown(in_path)} does not exist; give the export to pseudonymise"
        raise UserError(msg)
    try:
        df, how = _read(in_path)
    except OSError as err:  # no permission, a folder, a link that loops, an I/O error
        raise _input_error(err, in_path, "the export") from None
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        msg = f"{in_path.name} has no columns {missing}; it has {len(df.columns)} columns"
        raise UserError(msg)
    out = df.copy()
    empties, invalids = [], []
    for col in columns:
        text = [_as_text(v) for v in df[col]]
        empty = sum(1 for v in text if v is None)
        pseud = pseudonymise_values(text, key=key, on_invalid="null")
        invalid = sum(1 for v, p in zip(text, pseud, strict=True) if v is not None and p is None)
        empties.append(empty)
        invalids.append(invalid)
        out[col] = pd.array(pseud, dtype="string")
    report = PseudonymiseReport(rows=len(df), columns=tuple(columns), empty=tuple(empties),
                                invalid=tuple(invalids))
    if any(invalids) and on_invalid == "raise":
        per = ", ".join(f"{c}: {i}" for c, i in zip(columns, invalids, strict=True) if i)
        msg = (f"{in_path.name}: values that are not valid CPR numbers ({per}); nothing was "
               "written. Fix the export or pass on_invalid='null'")
        raise DataError(msg)
    _write(out, out_path, how)
    return report
