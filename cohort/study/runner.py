"""The study runner: validate, compute, release, report — the same way every time.

``run_study(spec)`` reads and validates the extract, runs each analysis the
study names, passes every table through :class:`cohort.disclosure.Release`
(disclosure control, deterministic files, manifest, atomic rename) and writes
the HTML report into the same release. Raw aggregate tables are cached next to
the release (``.cohort-cache/``, never inside it), keyed on the hashes of the
extract's files, the study's settings and the library's version, so a rerun
with unchanged inputs skips the computation and gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import cohort
from cohort.disclosure import Counts, Release, sha256_file
from cohort.exceptions import DataQualityWarning, StudyFileError
from cohort.study.analyses import ANALYSES, Context
from cohort.study.spec import StudySpec

__all__ = ["RunResult", "run_study"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """What a run wrote."""

    release: Path
    tables: tuple[str, ...]
    figures: tuple[str, ...]
    cached: tuple[str, ...]
    quarantined_rows: int


def _extract_hash(path: Path) -> str:
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        h.update(f.relative_to(path).as_posix().encode() if f != path else b"")
        h.update(sha256_file(f).encode())
    return h.hexdigest()


def _code_hash() -> str:
    """A hash of the library's own source: a changed analysis never reuses old tables."""
    root = Path(cohort.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _cache_get(folder: Path) -> dict[str, pd.DataFrame] | None:
    index = folder / "index.json"
    if not index.is_file():
        return None
    names = json.loads(index.read_text())
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}


def _cache_put(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n, df in tables.items():
        df.to_parquet(folder / f"{n}.parquet", index=False)
    (folder / "index.json").write_text(json.dumps(sorted(tables)))


def run_study(
    spec: StudySpec,
    *,
    out: str | Path | None = None,
    extract: str | Path | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
) -> RunResult:
    """Run a study and write its release folder.

    Parameters
    ----------
    spec
        From :func:`cohort.study.load_study`.
    out
        The release folder (default: the study file's ``[output] folder``).
    extract
        The extract folder (default: the study file's ``[extract] path``).
    progress
        Called with a short line before each step (the command line prints it).
    use_cache
        Reuse raw tables computed from identical inputs.

    """
    import matplotlib.pyplot as plt

    from cohort.disclosure import install_log_filter
    from cohort.extract import read_extract
    from cohort.report import render_report

    install_log_filter()

    say = progress or (lambda _msg: None)
    out = Path(out) if out is not None else spec.output
    ex_path = Path(extract) if extract is not None else spec.extract
    if ex_path is None:
        msg = "the study file names no extract: add [extract] path = \"...\" or pass --extract"
        raise StudyFileError(msg)
    if not ex_path.is_dir():
        msg = f"{ex_path}: the extract folder does not exist"
        raise StudyFileError(msg)
    say(f"validating the extract {ex_path}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        ex = read_extract(ex_path)
    cache_root = out.parent / ".cohort-cache"
    ex_hash = _extract_hash(ex_path)
    code = _code_hash()
    written_tables: list[str] = []
    figures: list[str] = []
    cached: list[str] = []
    sections: list[dict] = []
    with ex:
        report = ex.report
        study_file = spec.source if spec.source is not None else None
        with Release(
            out,
            disclosure=spec.disclosure,
            inputs=[ex_path],
            extract_toml=ex_path / "extract.toml",
            study_file=study_file,
            seed=spec.seed,
        ) as rel:
            val = _validation_table(report)
            ctx = Context(extract=ex, spec=spec)
            ctx.released["validation"] = rel.write_table("validation", val, Counts(
                count_cols=_VALIDATION[1:], by=_VALIDATION[:1],
                identities={"rows_read": ("rows_accepted", "rows_quarantined")}))
            written_tables.append("validation")
            names = [k for k in ANALYSES if k in spec.analyses]
            for i, key in enumerate(names, start=1):
                analysis = ANALYSES[key]
                params = spec.analyses[key]
                say(f"[{i}/{len(names)}] {analysis.title}")
                fp = spec.fingerprint(key, params, ex_hash, code)
                folder = cache_root / key / fp[:32]
                tables = _cache_get(folder) if use_cache else None
                if tables is None:
                    tables = analysis.compute(ctx, params)
                    if use_cache:
                        _cache_put(folder, tables)
                else:
                    cached.append(key)
                outputs = analysis.present(tables, ctx, params)
                section = {"key": key, "title": analysis.title,
                           "description": analysis.description, "outputs": []}
                released_here: dict[str, pd.DataFrame] = {}
                for o in outputs:
                    if not o.written:
                        rel.declare_counts(o.name, o.data, o.policy, latent=o.latent)
                        continue
                    released = rel.write_table(o.name, o.data, o.policy)
                    released_here[o.name] = ctx.released[o.name] = released
                    written_tables.append(o.name)
                    entry = {"name": o.name, "title": o.title, "caption": o.caption,
                             "table": released, "figure": None}
                    if o.figure is not None:
                        fig = o.figure(released, released_here)
                        fig_name = f"{o.name}_figure"
                        rel.write_figure(fig_name, fig, table=o.name)
                        plt.close(fig)
                        figures.append(fig_name)
                        entry["figure"] = fig_name
                    section["outputs"].append(entry)
                sections.append(section)
            say("writing the report")
            html = render_report(spec=spec, report=report, sections=sections,
                                 suppression=rel.suppression,
                                 whole_release=rel.whole_release_summary()
                                 if spec.disclosure.enabled else None)
            rel.write_text("report.html", html)
    return RunResult(
        release=out,
        tables=tuple(written_tables),
        figures=tuple(figures),
        cached=tuple(cached),
        quarantined_rows=report.rows_quarantined,
    )


_VALIDATION = ["table", "rows_read", "rows_accepted", "rows_quarantined"]


def _validation_table(report) -> pd.DataFrame:
    rows = [
        {"table": t, "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
         "rows_quarantined": r.rows_quarantined}
        for t, r in report.tables.items()
    ]
    return pd.DataFrame(rows)
