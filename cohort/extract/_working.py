"""Read once, reuse: the validated working copy of a delivery (issues 17 and 21).

The first read of a delivery (Parquet, CSV, SAS, the DST layout) validates it and
writes what validation accepted, typed, as one Parquet file per canonical table,
with the rows set aside and the validation report, into
``<root>/<key>/``. ``key`` is a hash of the delivery's files (names and
contents, :func:`cohort._hashing.delivery_hash`), of the code that validates
(:func:`validator_hash`: a changed rule never reuses an old copy) and of the
copy's format. A later read of the same, unchanged delivery finds the copy and
opens its Parquet files instead of reading and validating again.

The copy is person-level (it stays on the server, like the delivery and the
quarantine files). It is written into a staging folder inside ``root`` and
renamed into place with its manifest last, so a copy is complete or absent; a
copy that fails its check (a file missing or of another size) is not used (and,
being this module's own, is replaced). A failure to write it (a full disk) is a
warning: the run goes on with the data in memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import duckdb

from cohort._sql import sql_ident, sql_str
from cohort.exceptions import CohortWarning
from cohort.extract.report import TableReport, ValidationReport
from cohort.extract.schema import TABLES

__all__ = ["FORMAT", "WorkingCopy", "attach", "find", "lookup", "validator_hash",
           "working_key", "write"]

#: The layout of a working copy; a new layout never reads an old copy.
FORMAT = 1
MANIFEST = "working_copy.json"
REPORT = "validation_report.json"


@functools.lru_cache(maxsize=1)
def validator_hash() -> str:
    """A hash of the code that reads and validates a delivery.

    Its files: cohort/extract/**.py, the presets' catalogues and the SQL helpers.
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in
                   (".py", ".csv", ".json", ".toml", ".txt"))
    files.append(root.parent / "_sql.py")
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def working_key(delivery: str) -> str:
    """The key of the working copy of a delivery with hash ``delivery``."""
    return hashlib.sha256(f"{FORMAT}|{delivery}|{validator_hash()}".encode()).hexdigest()[:32]


class WorkingCopy:
    """A complete working copy on disk: its folder and manifest."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest

    @property
    def key(self) -> str:
        return str(self.manifest["key"])

    def __repr__(self) -> str:
        return f"WorkingCopy({str(self.folder)!r})"


def find(root: Path, key: str) -> WorkingCopy | None:
    """The working copy ``root/key`` if it is complete and checks out, else None."""
    folder = root / key
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("key") != key \
            or manifest.get("format") != FORMAT:
        return None
    files = manifest.get("files", {})
    try:
        for name, size in files.items():
            if (folder / name).stat().st_size != size:
                return None
    except (OSError, AttributeError):
        return None
    if REPORT not in files:
        return None
    return WorkingCopy(folder, manifest)


def lookup(root: Path, delivery_path: Path) -> tuple[str | None, WorkingCopy | None]:
    """The delivery's hash and its complete working copy in ``root`` (or None).

    ``(None, None)`` when a file of the delivery cannot be read: the read that
    follows says which.
    """
    from cohort._hashing import delivery_hash

    try:
        delivery = delivery_hash(delivery_path)
    except OSError:
        return None, None
    return delivery, find(root, working_key(delivery))


def _report_from(data: dict[str, Any]) -> ValidationReport:
    tables = {t: TableReport(table=r["table"], file=r["file"], rows_read=r["rows_read"],
                             rows_accepted=r["rows_accepted"],
                             rows_quarantined=r["rows_quarantined"], rules=dict(r["rules"]))
              for t, r in data["tables"].items()}
    return ValidationReport(
        extract=data["extract"], preset=data["preset"], extract_end=data["extract_end"],
        status=data["status"], tables=tables, error=data.get("error"),
        missing_tables=tuple(data.get("missing_tables", ())),
        ignored_files=tuple(data.get("ignored_files", ())),
    )


def attach(con: duckdb.DuckDBPyConnection, copy: WorkingCopy) -> ValidationReport:
    """Open the copy's tables as the canonical views; return its validation report."""
    report = _report_from(json.loads((copy.folder / REPORT).read_text(encoding="utf-8")))
    for t in report.tables:
        cols = ", ".join(sql_ident(c) for c in TABLES[t].column_names)
        path = sql_str((copy.folder / f"{t}.parquet").as_posix())
        # _checked_<t>: the accepted rows with their origin (Extract.to_pandas's order)
        con.execute(f"CREATE OR REPLACE VIEW {sql_ident('_checked_' + t)} AS SELECT *, "
                    f"CAST(NULL AS VARCHAR) AS _rule FROM read_parquet({path})")
        con.execute(f"CREATE OR REPLACE VIEW {sql_ident(t)} AS SELECT {cols} "
                    f"FROM read_parquet({path})")
        quarantine = sql_str((copy.folder / f"_quarantine_{t}.parquet").as_posix())
        con.execute(f"CREATE OR REPLACE VIEW {sql_ident('_quarantine_' + t)} AS "
                    f"SELECT * FROM read_parquet({quarantine})")
    return report


def write(con: duckdb.DuckDBPyConnection, report: ValidationReport, root: Path, key: str,
          *, delivery: str) -> WorkingCopy | None:
    """Write the working copy of the tables now in ``con``; None (and a warning) on failure."""
    stage = root / f".{key}.partial-{os.getpid()}"
    target = root / key
    try:
        if target.exists():  # an incomplete or stale copy of ours under this key
            shutil.rmtree(target)
        stage.mkdir(parents=True, exist_ok=True)
        files: dict[str, int] = {}
        for t in report.tables:
            if t not in TABLES:
                continue
            cols = ", ".join(sql_ident(c) for c in TABLES[t].column_names)
            # with each row's origin, which orders Extract.to_pandas as a first read does
            # (a sort of a national table here would cost more than the copy)
            for file, query in (
                (f"{t}.parquet", f"SELECT {cols}, _source_file, _source_row FROM "
                                 f"{sql_ident('_checked_' + t)} WHERE _rule IS NULL"),
                (f"_quarantine_{t}.parquet", f"SELECT * FROM {sql_ident('_quarantine_' + t)}"),
            ):
                path = stage / file
                con.execute(f"COPY ({query}) TO {sql_str(path.as_posix())} "
                            "(FORMAT parquet, COMPRESSION zstd)")
                files[file] = path.stat().st_size
        (stage / REPORT).write_text(report.to_json(), encoding="utf-8")
        files[REPORT] = (stage / REPORT).stat().st_size
        manifest = {"format": FORMAT, "key": key, "delivery_sha256": delivery,
                    "validator_sha256": validator_hash(), "status": report.status,
                    "files": files}
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(stage, target)
    except (OSError, duckdb.IOException) as err:
        shutil.rmtree(stage, ignore_errors=True)
        why = getattr(err, "strerror", None) or type(err).__name__
        warnings.warn(f"could not write the validated working copy into {root} ({why}); the "
                      "run goes on, and the next one validates the delivery again",
                      CohortWarning, stacklevel=3)
        return None
    return find(root, key)
