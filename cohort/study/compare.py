"""Releases compared: ``verify`` (a rerun from the manifest) and ``diff`` (two years).

:func:`verify_release` reruns the study a release's manifest records on an
extract and compares every released file byte for byte; it names each differing
table and its first differing cell. It refuses (exit 3) when the installed
software, the study file or the extract is not the one the manifest records, since
then a difference would say nothing.

:func:`diff_releases` says what changed between two releases of a study: tables
added or removed, per table the cells whose values changed (beyond a tolerance for
model output), cells newly suppressed or newly released, rows added or removed,
and the change in the extract (its end, the rows of each table as released). It
reads only released files, so what it prints is as publishable as they are.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cohort.exceptions import UserError

__all__ = ["ReleaseDiff", "VerifyResult", "diff_releases", "verify_release"]

MANIFEST = "manifest.json"


def _manifest(release: Path) -> dict[str, Any]:
    path = Path(release) / MANIFEST
    if not Path(release).is_dir():
        msg = f"{release}: no such release folder"
        raise UserError(msg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{release} has no {MANIFEST}: it is not a release written by cohort"
        raise UserError(msg) from None
    except (OSError, ValueError):
        msg = f"{path}: cannot be read as a manifest"
        raise UserError(msg) from None
    if not isinstance(data, dict) or "manifest_version" not in data:
        msg = f"{path}: not a manifest written by cohort"
        raise UserError(msg)
    return data


# ---------------------------------------------------------------------- verify
@dataclass(frozen=True)
class VerifyResult:
    """What ``cohort verify`` found: one line per differing file or table."""

    release: Path
    files: int
    differences: tuple[str, ...] = ()

    @property
    def identical(self) -> bool:
        """Whether every released file is byte-identical to the rerun's."""
        return not self.differences

    def render(self) -> str:
        """One screen of text."""
        head = f"verify {self.release}: the study rerun from its manifest, {self.files} files"
        if self.identical:
            return f"{head}\n  identical: every released file is byte-identical to the rerun\n"
        return "\n".join([head, f"  differs in {len(self.differences)} files or tables:",
                          *[f"  - {d}" for d in self.differences]]) + "\n"


def verify_release(release: str | Path, *, extract: str | Path,
                   study: str | Path | None = None, progress: Any = None) -> VerifyResult:
    """Rerun the study of a release on ``extract`` and compare every released file.

    ``study`` is the study file (default: the path the manifest records). Raises
    :class:`~cohort.exceptions.UserError` (exit 3) when the installed software,
    the study file or the extract differs from what the manifest records.
    """
    from cohort._provenance import software_differences
    from cohort.disclosure import sha256_file
    from cohort.study.runner import run_study
    from cohort.study.spec import load_study

    release, extract = Path(release), Path(extract)
    manifest = _manifest(release)
    soft = software_differences(manifest.get("software"))
    if soft:
        msg = ("the release was made with other software than is installed, so a rerun "
               "need not give the same bytes:\n  - " + "\n  - ".join(soft)
               + "\nInstall the software the manifest records (docs/secure-server.md, "
               "'Reproducing a release') and verify again.")
        raise UserError(msg)
    recorded = manifest.get("study_file") or {}
    study_path = Path(study) if study is not None else (
        Path(recorded["path"]) if recorded.get("path") else None)
    if study_path is None:
        msg = f"{release}: the manifest records no study file; pass --study FILE"
        raise UserError(msg)
    if not study_path.is_file():
        msg = (f"the study file {study_path} (recorded in the manifest) is not there; pass "
               "--study FILE")
        raise UserError(msg)
    if recorded.get("sha256") and sha256_file(study_path) != recorded["sha256"]:
        msg = (f"{study_path} is not the study file of the release: its sha256 differs from "
               "the one the manifest records")
        raise UserError(msg)
    if not extract.is_dir():
        msg = f"{extract}: the extract folder does not exist"
        raise UserError(msg)
    _same_extract(manifest, extract)
    tmp = Path(tempfile.mkdtemp(prefix="cohort-verify-"))
    try:
        rerun = tmp / str(manifest.get("release") or release.name)
        run_study(load_study(study_path), out=rerun, extract=extract, use_cache=False,
                  dated=False, progress=progress)
        return _compare_folders(release, rerun, manifest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _same_extract(manifest: dict[str, Any], extract: Path) -> None:
    """Refuse an extract whose files are not those the manifest records."""
    from cohort.disclosure.release import _hash_inputs
    from cohort.extract._fs import shown

    inputs = manifest.get("inputs")
    toml = (manifest.get("extract_toml") or {}).get("path")
    if not inputs or not toml:
        return
    root = toml[: -len("/extract.toml")] if toml.endswith("/extract.toml") else None
    if root is None:
        return
    recorded = {r["path"][len(root) + 1:]: r["sha256"] for r in inputs
                if isinstance(r, dict) and str(r.get("path", "")).startswith(root + "/")}
    here = {r["path"][len(str(extract)) + 1:]: r["sha256"] for r in _hash_inputs([extract])}
    differ = sorted(n for n in set(recorded) & set(here) if recorded[n] != here[n])
    missing = sorted(set(recorded) - set(here))
    extra = sorted(set(here) - set(recorded))
    if differ or missing or extra:
        parts = []
        if differ:
            parts.append(f"{', '.join(shown(n) for n in differ[:10])} differ")
        if missing:
            parts.append(f"missing here: {', '.join(shown(n) for n in missing[:10])}")
        if extra:
            parts.append(f"not in the release's extract: {', '.join(shown(n) for n in extra[:10])}")
        msg = (f"{extract} is not the extract the release was made from ({'; '.join(parts)}); "
               "verify needs the same extract")
        raise UserError(msg)


def _compare_folders(release: Path, rerun: Path, manifest: dict[str, Any]) -> VerifyResult:
    listed = [o["path"] for o in manifest.get("outputs", []) if isinstance(o, dict)]
    present = sorted(p.relative_to(release).as_posix() for p in release.rglob("*")
                     if p.is_file() and p.name != MANIFEST)
    fresh = {p.relative_to(rerun).as_posix() for p in rerun.rglob("*")
             if p.is_file() and p.name != MANIFEST}
    out: list[str] = []
    tables_named: set[str] = set()
    names = sorted(set(listed) | set(present) | fresh)
    # CSV first: a differing table is named by its first differing cell
    names.sort(key=lambda n: (not n.endswith(".csv"), n))
    for name in names:
        a, b = release / name, rerun / name
        stem = name.rsplit(".", 1)[0]
        if not a.is_file():
            out.append(f"{name}: missing from the release")
            continue
        if name not in listed:
            out.append(f"{name}: not a file of the release (its manifest does not list it)")
            continue
        if not b.is_file():
            out.append(f"{name}: the rerun does not write it")
            continue
        if a.read_bytes() == b.read_bytes():
            continue
        if name.endswith(".csv"):
            tables_named.add(stem)
            out.append(f"table {stem} ({name}): {_first_cell(a, b)}")
        elif name.endswith(".parquet"):
            if stem not in tables_named:
                out.append(f"table {stem} ({name}): the Parquet file differs")
        elif name.endswith((".png", ".svg")):
            out.append(f"figure {name} differs")
        else:
            out.append(f"{name} differs")
    return VerifyResult(release=release, files=len(listed), differences=tuple(out))


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        return list(csv.reader(f))


def _first_cell(a: Path, b: Path) -> str:
    ra, rb = _rows(a), _rows(b)
    if not ra or not rb or ra[0] != rb[0]:
        return "its columns differ"
    header = ra[0]
    for i, (x, y) in enumerate(zip(ra[1:], rb[1:], strict=False), start=1):
        for j, col in enumerate(header):
            u = x[j] if j < len(x) else ""
            v = y[j] if j < len(y) else ""
            if u != v:
                values = ""
                if _num(u) is not None and _num(v) is not None:
                    values = f": {u} in the release, {v} on the rerun"
                elif u == "" or v == "":
                    values = (": blank in the release" if u == "" else
                              ": blank on the rerun")
                return f"first differing cell row {i}, column {col}{values}"
    return f"rows: {len(ra) - 1} in the release, {len(rb) - 1} on the rerun"


def _num(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


# ------------------------------------------------------------------------ diff
_MODEL_VALUES = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
                 "lb", "ub")


@dataclass
class TableDiff:
    """How one table changed: counts of cells and rows, and the first changed cells."""

    name: str
    status: str = "changed"  # "added", "removed" or "changed"
    cells_changed: int = 0
    newly_suppressed: int = 0
    newly_released: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()
    examples: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        """Whether anything in the table changed."""
        return self.status != "changed" or any((
            self.cells_changed, self.newly_suppressed, self.newly_released, self.rows_added,
            self.rows_removed, self.columns_added, self.columns_removed))

    def line(self) -> str:
        """The table's line in the diff."""
        if self.status != "changed":
            return f"table {self.name}: {self.status}"
        parts = [f"cells changed {self.cells_changed}",
                 f"newly suppressed {self.newly_suppressed}",
                 f"newly released {self.newly_released}",
                 f"rows added {self.rows_added}", f"rows removed {self.rows_removed}"]
        if self.columns_added:
            parts.append(f"columns added {', '.join(self.columns_added)}")
        if self.columns_removed:
            parts.append(f"columns removed {', '.join(self.columns_removed)}")
        return f"table {self.name}: " + ", ".join(parts)


@dataclass
class ReleaseDiff:
    """What changed between two releases of a study (``cohort diff OLD NEW``)."""

    old: str
    new: str
    tables: list[TableDiff]
    unchanged: int
    extract: list[str]
    notes: list[str]

    @property
    def identical(self) -> bool:
        """No table and nothing of the extract changed."""
        return not self.tables and not self.extract

    def render(self, *, examples: int = 5) -> str:
        """The diff as text (what ``cohort diff`` prints); it passes ``check-release``."""
        lines = [f"cohort diff: release {self.old} -> release {self.new}"]
        lines += self.notes
        if self.identical:
            lines.append(f"identical: {self.unchanged} tables, the same cells and the same "
                         "extract")
            return "\n".join(lines) + "\n"
        lines += self.extract
        for t in self.tables:
            lines.append(t.line())
            lines += [f"  {e}" for e in t.examples[:examples]]
            if len(t.examples) > examples:
                lines.append(f"  ... and more cells ({len(t.examples) - examples} not shown)")
        lines.append(f"tables unchanged: {self.unchanged}")
        return "\n".join(lines) + "\n"


def diff_releases(old: str | Path, new: str | Path, *, tolerance: float = 1e-6) -> ReleaseDiff:
    """Compare two releases of a study (see the module); ``tolerance`` is relative.

    Cells of model output (estimates, standard errors, intervals, p-values, and the
    curves) count as changed when they differ by more than ``tolerance`` times their
    size (at least 1); counts and shares must be equal.
    """
    old, new = Path(old), Path(new)
    mo, mn = _manifest(old), _manifest(new)
    notes = []
    if mo.get("study") != mn.get("study"):
        notes.append("note: the releases are of different studies")
    so, sn = mo.get("software") or {}, mn.get("software") or {}
    if (so.get("version"), so.get("source_sha256")) != (sn.get("version"),
                                                        sn.get("source_sha256")):
        notes.append(f"software: {so.get('version', 'not recorded')} "
                     f"({str(so.get('source_sha256', 'no source hash'))[:19]}) -> "
                     f"{sn.get('version')} ({str(sn.get('source_sha256'))[:19]})")
    do, dn = mo.get("disclosure") or {}, mn.get("disclosure") or {}
    if do != dn:
        keys = sorted(k for k in set(do) | set(dn) if do.get(k) != dn.get(k))
        notes.append(f"disclosure settings changed: {', '.join(keys)}")
    to, tn = mo.get("tables") or {}, mn.get("tables") or {}
    tables: list[TableDiff] = []
    unchanged = 0
    for name in sorted(set(to) | set(tn)):
        if name not in tn:
            tables.append(TableDiff(name, status="removed"))
            continue
        if name not in to:
            tables.append(TableDiff(name, status="added"))
            continue
        d = _table_diff(name, old, new, tn[name], tolerance)
        if d.differs:
            tables.append(d)
        else:
            unchanged += 1
    return ReleaseDiff(old=old.name, new=new.name, tables=tables, unchanged=unchanged,
                       extract=_extract_lines(old, new, mo, mn), notes=notes)


def _extract_lines(old: Path, new: Path, mo: dict, mn: dict) -> list[str]:
    out = []
    eo = (mo.get("extract") or {}).get("end", "not recorded")
    en = (mn.get("extract") or {}).get("end", "not recorded")
    if eo != en:
        out.append(f"extract: end {eo} -> {en}")
    try:
        vo = pd.read_csv(old / "validation.csv").set_index("table")["rows_read"]
        vn = pd.read_csv(new / "validation.csv").set_index("table")["rows_read"]
    except (OSError, KeyError, ValueError):
        return out
    changed = []
    for t in sorted(set(vo.index) | set(vn.index)):
        a = vo.get(t, math.nan)
        b = vn.get(t, math.nan)
        if not (pd.isna(a) and pd.isna(b)) and not (a == b):
            changed.append(f"{t} {_shown(a)} -> {_shown(b)}")
    if changed:
        out.append("extract: rows read (as released in validation.csv): " + "; ".join(changed))
    return out


def _shown(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return "blank"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _keys(df: pd.DataFrame, info: dict) -> list[str]:
    counts = set(info.get("count_cols") or ())
    return [c for c in df.columns
            if c not in counts and c not in _MODEL_VALUES
            and not pd.api.types.is_float_dtype(df[c])
            and not (info.get("kind") == "km" and c == "time")]


def _table_diff(name: str, old: Path, new: Path, info: dict, tolerance: float) -> TableDiff:
    a = pd.read_csv(old / f"{name}.csv")
    b = pd.read_csv(new / f"{name}.csv")
    d = TableDiff(name)
    d.columns_added = tuple(c for c in b.columns if c not in a.columns)
    d.columns_removed = tuple(c for c in a.columns if c not in b.columns)
    keys = [k for k in _keys(b, info) if k in a.columns]
    if info.get("kind") == "km" and "time" in a.columns and "time" in b.columns:
        keys = [*keys, "time"]
    if not keys or a.duplicated(keys).any() or b.duplicated(keys).any():
        keys = ["_row"]
        a = a.assign(_row=range(1, len(a) + 1))
        b = b.assign(_row=range(1, len(b) + 1))
    a = a.assign(**{k: a[k].astype(str) for k in keys})
    b = b.assign(**{k: b[k].astype(str) for k in keys})
    m = a.merge(b, on=keys, how="outer", suffixes=("__old", "__new"), indicator=True)
    d.rows_added = int((m["_merge"] == "right_only").sum())
    d.rows_removed = int((m["_merge"] == "left_only").sum())
    both = m[m["_merge"] == "both"]
    model = info.get("kind") in ("model", "km", "derived")
    values = [c for c in a.columns if c in b.columns and c not in keys]
    for _, row in both.iterrows():
        where = ", ".join(f"{k}={row[k]}" for k in keys if k != "_row") or f"row {row['_row']}"
        for c in values:
            u, v = row[f"{c}__old"], row[f"{c}__new"]
            nu, nv = pd.isna(u), pd.isna(v)
            if nu and nv:
                continue
            if nu:
                d.newly_released += 1
                d.examples.append(f"{where}: {c} newly released")
            elif nv:
                d.newly_suppressed += 1
                d.examples.append(f"{where}: {c} newly suppressed")
            elif _changed(u, v, tolerance if model else 0.0):
                d.cells_changed += 1
                d.examples.append(f"{where}: {c} {_shown(u)} -> {_shown(v)}")
    return d


def _changed(u: Any, v: Any, tolerance: float) -> bool:
    try:
        x, y = float(u), float(v)
    except (TypeError, ValueError):
        return str(u) != str(v)
    if tolerance == 0.0:
        return x != y
    return abs(x - y) > tolerance * max(1.0, abs(x), abs(y))
