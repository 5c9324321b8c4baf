"""The identity of a delivery: the hashes of its files, each file read once per process.

A run hashes the extract for three purposes: the key of the validated working copy
(:mod:`cohort.extract._working`), the key of the analyses' cache and the release's
provenance. At national size the files are gigabytes; each is read once per
process (remembered by path, size, modification time and inode, so a file that
changes is read again) and two at a time (hashlib releases the GIL on large
blocks).
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["delivery_hash", "file_hashes", "sha256_file"]

_BLOCK = 1 << 22
_memo: dict[tuple, str] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> tuple:
    st = path.stat()
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file, as ``"sha256:<hex>"`` (remembered while the file is unchanged)."""
    path = Path(path)
    key = _stamp(path)
    with _lock:
        if key in _memo:
            return _memo[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    digest = "sha256:" + h.hexdigest()
    with _lock:
        _memo[key] = digest
    return digest


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(q for q in path.rglob("*") if q.is_file())


def file_hashes(path: str | Path) -> list[dict[str, Any]]:
    """``relative path, sha256, bytes`` of every file of ``path`` (a file or a folder).

    Sorted by path; ``path`` for a file itself is ``""``.
    """
    path = Path(path)
    files = _files(path)
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(sha256_file, files))
    out = [{"path": "" if f == path else f.relative_to(path).as_posix(), "sha256": d,
            "bytes": f.stat().st_size} for f, d in zip(files, digests, strict=True)]
    return sorted(out, key=lambda r: r["path"])


def delivery_hash(path: str | Path) -> str:
    """One sha256 (hex) over the relative paths and contents of every file of ``path``."""
    h = hashlib.sha256()
    for r in file_hashes(path):
        h.update(r["path"].encode())
        h.update(r["sha256"].encode())
    return h.hexdigest()
