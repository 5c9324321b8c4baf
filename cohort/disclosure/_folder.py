"""The release folder on disk: whose it is, who writes it, how it is replaced.

A release is written to a hidden sibling and renamed into place, so a killed run
leaves either the old release or the new one. Around that:

- :func:`check_target`: the folder is sacred. A release may go to a new path,
  an empty folder, or replace a release this package wrote for the same study
  (its manifest says so, and the folder holds nothing else). Anything else is
  refused before anything is touched, and so is a folder inside, equal to or
  around the run's inputs (the extract).
- :class:`FolderLock`: one run per release folder at a time; a second one is
  refused with the name of the first.
- :func:`output_errors`: a full disk, a file-size limit or a read-only folder is
  the environment's doing (:class:`~cohort.exceptions.OutputError`, exit 3), not
  a defect.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from cohort.exceptions import OutputError

__all__ = ["FolderLock", "check_target", "clean_stale", "output_errors", "replace"]

MANIFEST = "manifest.json"


@contextlib.contextmanager
def output_errors(what: str) -> Iterator[None]:
    """Turn an operating-system error while writing ``what`` into an OutputError."""
    try:
        yield
    except OSError as err:
        reason = err.strerror or type(err).__name__
        msg = (f"could not write {what}: {reason}; nothing was released (a previous release "
               "there is unchanged). Free space or choose a folder you can write to.")
        raise OutputError(msg) from None


def _inside(a: Path, b: Path) -> bool:
    """Whether ``a`` is ``b`` or lies inside it."""
    return a == b or b in a.parents


def check_target(path: Path, *, inputs: Sequence[Path] = (), study: str | None = None) -> Path:
    """Refuse a release folder that is not ours to write; return it resolved.

    Raises :class:`~cohort.exceptions.OutputError` (exit 3) and touches nothing.
    """
    shown = str(path)
    try:
        target = Path(os.path.abspath(path))
        cwd = Path.cwd()
    except OSError as err:  # the working directory was removed under us
        msg = f"cannot resolve the release folder {shown}: {err.strerror}"
        raise OutputError(msg) from None
    if target == Path(target.anchor):
        msg = f"the release folder {shown} is the root of the file system; choose a folder"
        raise OutputError(msg)
    real = Path(os.path.realpath(target))  # symbolic links resolved for the comparisons
    for inp in inputs:
        src = Path(os.path.realpath(inp))
        if _inside(real, src) or _inside(src, real):
            where = ("is" if real == src else "lies inside" if _inside(real, src)
                     else "contains")
            msg = (f"the release folder {shown} {where} the input {inp}: a release never "
                   "goes into or around the extract (and its cache holds unsuppressed "
                   "counts); choose a folder outside it")
            raise OutputError(msg)
    if _inside(Path(os.path.realpath(cwd)), real) and target.exists():
        msg = (f"the release folder {shown} is the working directory or holds it; run from "
               "outside the folder, or choose another")
        raise OutputError(msg)
    if target.is_symlink():
        msg = f"{shown} is a symbolic link; give the release folder itself"
        raise OutputError(msg)
    if not target.exists():
        return target
    if not target.is_dir():
        msg = f"{shown} exists and is not a folder; choose a new path for the release"
        raise OutputError(msg)
    try:
        files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*")
                       if p.is_file() or p.is_symlink())
        folders = [p for p in target.rglob("*") if p.is_dir()]
    except OSError as err:
        msg = f"cannot read the folder {shown}: {err.strerror}; choose another"
        raise OutputError(msg) from None
    if not files and not folders:
        return target  # an empty folder
    why = _not_a_release(target, files, study)
    if why:
        msg = (f"{shown} exists and {why}; nothing was touched. Choose a new or empty "
               "folder, or move its contents away yourself.")
        raise OutputError(msg)
    return target


def _not_a_release(target: Path, files: list[str], study: str | None) -> str | None:
    """Why the folder is not a release of this study that may be replaced, or None."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"is not a release (it holds {len(files)} files and no {MANIFEST})"
    except (OSError, ValueError):
        return f"has a {MANIFEST} that cannot be read"
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(outputs, list) or "manifest_version" not in manifest:
        return f"has a {MANIFEST} that this package did not write"
    listed = {o.get("path") for o in outputs if isinstance(o, dict)} | {MANIFEST}
    extra = [f for f in files if f not in listed]
    if extra:
        return (f"holds {len(extra)} files the release did not write (a release is replaced "
                "only when it holds nothing else)")
    if study is not None and manifest.get("study") != study:
        other = manifest.get("study")
        return ("is a release of another study" if other else
                "is a release that does not record its study (an older version wrote it)")
    return None


def clean_stale(parent: Path, name: str) -> None:
    """Remove what dead runs left: partial releases and replaced ones not yet removed."""
    for kind in ("partial", "old"):
        for stale in parent.glob(f".{name}.{kind}-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)


def replace(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, moving a previous release aside and removing it.

    A crash between the two renames leaves the old release under its hidden name
    (removed by the next run), never a partial one under the real name.
    """
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.rename(target, old)
    os.rename(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class FolderLock:
    """One writer per release folder: a lock file beside it, naming its holder.

    The lock is ``.<name>.lock`` next to the folder, created exclusively. A lock
    whose process is gone (on this host) is taken over; a live one refuses the
    second run with :class:`~cohort.exceptions.OutputError`.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.file = target.parent / f".{target.name}.lock"
        self._held = False

    def acquire(self) -> None:
        """Take the lock or raise OutputError naming the run that holds it."""
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(2):
            try:
                fd = os.open(self.file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if (holder.get("host") == me["host"] and isinstance(holder.get("pid"), int)
                        and not _alive(holder["pid"])):
                    with contextlib.suppress(FileNotFoundError):
                        self.file.unlink()
                    continue
                msg = (f"{self.target} is being written by another run (process "
                       f"{holder.get('pid', '?')} on {holder.get('host', '?')}, since "
                       f"{holder.get('started', '?')}); wait for it to finish, or remove "
                       f"{self.file} if that run is gone")
                raise OutputError(msg) from None
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(me, f)
            self._held = True
            return
        msg = f"could not take the lock {self.file}; try again"
        raise OutputError(msg)

    def _holder(self) -> dict:
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def release(self) -> None:
        """Give the lock back (remove the file)."""
        if self._held:
            self._held = False
            with contextlib.suppress(FileNotFoundError):
                self.file.unlink()
