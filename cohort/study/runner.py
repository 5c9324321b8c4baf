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

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import cohort
from cohort import _progress
from cohort.disclosure import Counts, Release, sha256_file
from cohort.disclosure._folder import check_target
from cohort.exceptions import CohortWarning, DataQualityWarning, ModelError, StudyFileError
from cohort.study.analyses import ANALYSES, NOTES, Context, ExtractFacts
from cohort.study.spec import StudySpec

__all__ = ["RunResult", "check_against_extract", "dated_folder", "resolve_latest", "run_study"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """What a run wrote."""

    release: Path
    tables: tuple[str, ...]
    figures: tuple[str, ...]
    cached: tuple[str, ...]
    quarantined_rows: int
    #: analyses, or outputs of one (``"survival: ..."``), that the data could not
    #: support and that the release leaves out, with why; the run then exits 1
    left_out: tuple[str, ...] = ()
    #: the year ranges that ended in "latest", as resolved on the extract
    resolved_years: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


def _has_copy(root: Path | None, ex_path: Path) -> bool:
    """Whether ``root`` holds a complete working copy of the delivery ``ex_path``."""
    from cohort.extract import _working

    return root is not None and _working.lookup(Path(root), ex_path)[1] is not None


def _code_hash() -> str:
    """A hash of the library's own source: a changed analysis never reuses old tables."""
    root = Path(cohort.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _cache_get(folder: Path) -> dict[str, pd.DataFrame] | None:
    """The cached raw tables, or None.

    A damaged entry is removed (it is ours) and recomputed, with a warning.
    """
    index = folder / "index.json"
    if not index.is_file():
        return None
    try:
        names = json.loads(index.read_text())
        return {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}
    except Exception:  # noqa: BLE001 - any damage: unreadable, truncated, not Parquet
        warnings.warn(
            f"the cache entry {folder} is damaged; it is removed and the analysis "
            "computed again", CohortWarning, stacklevel=3)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _cache_put(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Cache the raw tables.

    The index is written last, so a half-written entry is never read. Failing to
    cache (a full disk) is a warning, not a failed run.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n, df in tables.items():
            df.to_parquet(folder / f"{n}.parquet", index=False)
        (folder / "index.json").write_text(json.dumps(sorted(tables)))
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)
        warnings.warn(f"could not cache the tables in {folder} ({err.strerror}); the run "
                      "goes on without the cache", CohortWarning, stacklevel=3)


def _facts(ex) -> ExtractFacts:
    """What the study file is checked against: the extract's end, areas, municipalities."""
    con = ex.con
    areas = {r[0] for r in con.execute(
        "SELECT DISTINCT area FROM addresses WHERE area IS NOT NULL").fetchall()}
    muns = {int(r[0]) for r in con.execute(
        "SELECT DISTINCT municipality FROM addresses WHERE municipality IS NOT NULL").fetchall()}
    return ExtractFacts(extract_end=ex.extract_end, areas=frozenset(areas),
                        municipalities=frozenset(muns))


def check_against_extract(spec: StudySpec, facts: ExtractFacts) -> list[str]:
    """Every way the study file does not fit the extract, found before anything runs."""
    u = spec.units
    problems = []
    if u.target not in facts.areas:
        problems.append(f"[units] target = {u.target!r}: no address of the extract lies in "
                        "that area (addresses.area)")
    missing = [c for c in u.comparison if c not in facts.areas]
    if missing:
        problems.append(f"[units] comparison: no address lies in {missing}")
    if u.municipality not in facts.municipalities:
        problems.append(f"[units] municipality = {u.municipality}: no address of the extract "
                        "lies in it")
    for key in (k for k in ANALYSES if k in spec.analyses):
        problems += [f"[analyses.{key}] {p}" for p in
                     ANALYSES[key].check_extract(spec.analyses[key], facts, spec)]
    return problems


def resolve_latest(spec: StudySpec, facts: ExtractFacts
                   ) -> tuple[StudySpec, dict[str, dict[str, Any]]]:
    """The study with every ``"latest"`` year resolved on the extract, and what each became.

    Each analysis says which year ``"latest"`` is for it
    (:meth:`~cohort.study.analyses.Analysis.latest_year`); the resolved parameters
    are checked whole (exit 3 when they no longer fit).
    """
    where = spec.source.name if spec.source else "study file"
    analyses: dict[str, Any] = {}
    resolved: dict[str, dict[str, Any]] = {}
    for key, params in spec.analyses.items():
        analyses[key], years = ANALYSES[key].resolve_latest(
            params, facts, where=f"{where} [analyses.{key}]", intervention=spec.intervention)
        if years:
            resolved[key] = years
    if not resolved:
        return spec, {}
    return dataclasses.replace(spec, analyses=analyses), resolved


def dated_folder(spec: StudySpec, parent: str | Path, extract: str | Path) -> Path:
    """``<parent>/<study>-<extract_end>``: where a dated release of the study goes.

    ``<study>`` is the study file's name without ``.toml``; ``<extract_end>`` the
    extract's end date (``extract.toml``), as ``2019-12-31``.
    """
    from cohort.extract._meta import read_meta

    end = read_meta(Path(extract)).extract_end
    return Path(parent) / f"{spec.slug}-{end.isoformat()}"


@contextlib.contextmanager
def _step(name: str, say: Progress) -> Iterator[None]:
    """A step: timed by the command line's reporter, or one line to ``progress``."""
    if _progress.current() is not None:
        with _progress.step(name):
            yield
    else:
        say(name)
        yield


def run_study(
    spec: StudySpec,
    *,
    out: str | Path | None = None,
    extract: str | Path | None = None,
    progress: Progress | None = None,
    use_cache: bool = True,
    dated: bool | None = None,
    working_copy: str | Path | None = None,
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
    dated
        ``out`` is a parent folder: the release goes to
        ``out/<study>-<extract_end>`` (:func:`dated_folder`), so every year's
        release is kept. Default: the study file's ``[output] dated``.
    working_copy
        The folder of validated working copies (read once, reuse:
        :func:`cohort.read_extract`). Default: the study file's ``[extract]
        working_copy``, else ``.cohort-cache/working-copy`` beside the release
        folder; with ``use_cache=False`` none unless given here or in the study.

    """
    from cohort.disclosure import install_log_filter
    from cohort.extract import read_extract

    install_log_filter()

    say = progress or (lambda _msg: None)
    out = Path(out) if out is not None else spec.output
    if out is None:
        msg = "the study file names no release folder: add [output] folder = \"...\" or pass --out"
        raise StudyFileError(msg)
    ex_path = Path(extract) if extract is not None else spec.extract
    if ex_path is None:
        msg = "the study file names no extract: add [extract] path = \"...\" or pass --extract"
        raise StudyFileError(msg)
    if not ex_path.is_dir():
        msg = f"{ex_path}: the extract folder does not exist"
        raise StudyFileError(msg)
    dated = spec.dated if dated is None else dated
    cache_root = None
    if dated:
        # the cache (unsuppressed) goes beside the folder of releases, never into it
        cache_root = Path(os.path.abspath(out)).parent / ".cohort-cache"
        out = dated_folder(spec, out, ex_path)
    # before anything is read or computed: is the release folder ours to write?
    check_target(out, inputs=[ex_path], study=spec.name)
    wc = working_copy if working_copy is not None else spec.working_copy
    if wc is None and use_cache:
        wc = (cache_root or Path(os.path.abspath(out)).parent / ".cohort-cache") / "working-copy"
    with _step(f"validating the extract {ex_path}", say):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            # a copy made before is read; a new one is written only once the study
            # is known to fit the extract (a run that stops leaves nothing behind)
            ex = read_extract(ex_path, working_copy=wc if _has_copy(wc, ex_path) else None)
        if ex.reused:
            say(f"  reused the validated working copy {ex.working_copy.folder}")
    with ex:
        facts = _facts(ex)
        spec, resolved = resolve_latest(spec, facts)
        problems = check_against_extract(spec, facts)
        if problems:
            where = spec.source or "the study"
            msg = (f"{where} does not fit the extract (nothing was computed):\n  - "
                   + "\n  - ".join(problems))
            raise StudyFileError(msg)
        if wc is not None and not ex.reused:
            with _step(f"writing the validated working copy to {wc}", say):
                ex.save_working_copy(wc)
        return _run(spec, ex, ex_path, out, say, use_cache=use_cache, resolved=resolved,
                    cache_root=cache_root)


def _run(spec: StudySpec, ex, ex_path: Path, out: Path, say: Progress, *,
         use_cache: bool, resolved: dict[str, dict[str, Any]],
         cache_root: Path | None) -> RunResult:
    import matplotlib.pyplot as plt

    from cohort.report import render_report

    cache_root = cache_root or out.parent / ".cohort-cache"
    ex_hash = ex.delivery_hash  # each file read once per process (cohort._hashing)
    code = _code_hash()
    written_tables: list[str] = []
    figures: list[str] = []
    cached: list[str] = []
    left_out: list[str] = []
    sections: list[dict] = []
    log = _RunLog(spec, ex, ex_hash, resolved)
    report = ex.report
    with Release(
        out,
        disclosure=spec.disclosure,
        inputs=[ex_path],
        extract_toml=ex_path / "extract.toml",
        study_file=spec.source,
        seed=spec.seed,
        study=spec.name,
        provenance={
            "extract": {"sha256": "sha256:" + ex_hash, "end": ex.extract_end.isoformat()},
            "resolved_years": resolved,
        },
    ) as rel:
        val = _validation_table(report)
        ctx = Context(extract=ex, spec=spec)
        ctx.released["validation"] = rel.write_table("validation", val, Counts(
            count_cols=_VALIDATION[1:], by=_VALIDATION[:1],
            identities={"rows_read": ("rows_accepted", "rows_quarantined")}))
        written_tables.append("validation")
        log.validation(ctx.released["validation"])
        names = [k for k in ANALYSES if k in spec.analyses]
        for i, key in enumerate(names, start=1):
            analysis = ANALYSES[key]
            params = spec.analyses[key]
            title = analysis.heading(spec, params)
            section = {"key": key, "title": title, "description": analysis.describe(spec, params),
                       "outputs": [], "notes": []}
            sections.append(section)
            with _step(f"[{i}/{len(names)}] {title}", say):
                fp = spec.fingerprint(key, params, ex_hash, code)
                folder = cache_root / key / fp[:32]
                tables = _cache_get(folder) if use_cache else None
                if tables is None:
                    _progress.item("computing")
                    try:
                        tables = analysis.compute(ctx, params)
                    except ModelError as err:
                        # a model the data cannot identify: this analysis is left out, the
                        # others are released (the message names columns and counts only)
                        section["notes"].append(f"Left out of this release: {err}")
                        left_out.append(key)
                        say(f"  left out: {err}")
                        log.analysis(key, [], [], [f"the analysis: {err}"])
                        continue
                    if use_cache:
                        _cache_put(folder, tables)
                else:
                    _progress.item("reusing the tables computed before (.cohort-cache)")
                    cached.append(key)
                tables = dict(tables)
                notes = tables.pop(NOTES, None)
                notes_here: list[str] = []
                if notes is not None and len(notes):
                    notes_here = list(notes["note"])
                    section["notes"] += notes_here
                    left_out += [f"{key}: {n}" for n in notes_here]
                said = len(ctx.notes)
                outputs = analysis.present(tables, ctx, params)
                # what an analysis says of the release as a whole (the checklist's
                # goals without a primary outcome) goes under its heading
                section["notes"] += ctx.notes[said:]
                released_here: dict[str, pd.DataFrame] = {}
                tables_here: list[str] = []
                figures_here: list[str] = []
                for o in outputs:
                    if not o.written:
                        rel.declare_counts(o.name, o.data, o.policy, latent=o.latent)
                        continue
                    _progress.item(f"releasing {o.name}")
                    released = rel.write_table(o.name, o.data, o.policy)
                    released_here[o.name] = ctx.released[o.name] = released
                    written_tables.append(o.name)
                    tables_here.append(o.name)
                    entry = {"name": o.name, "title": o.title, "caption": o.caption,
                             "table": released, "figure": None}
                    if o.figure is not None:
                        fig = o.figure(released, released_here)
                        fig_name = f"{o.name}_figure"
                        rel.write_figure(fig_name, fig, table=o.name)
                        plt.close(fig)
                        figures.append(fig_name)
                        figures_here.append(fig_name)
                        entry["figure"] = fig_name
                    section["outputs"].append(entry)
                log.analysis(key, tables_here, figures_here, notes_here)
        with _step("writing the report", say):
            html = render_report(spec=spec, report=report, sections=sections,
                                 suppression=rel.suppression,
                                 whole_release=rel.whole_release_summary()
                                 if spec.disclosure.enabled else None)
            rel.write_text("report.html", html)
            rel.write_text("run.log", log.text())
    return RunResult(
        release=out,
        tables=tuple(written_tables),
        figures=tuple(figures),
        cached=tuple(cached),
        quarantined_rows=report.rows_quarantined,
        left_out=tuple(left_out),
        resolved_years=resolved,
    )


class _RunLog:
    """``run.log``: what the run did, step by step, with counts only.

    It is one of the release's files, so it is the same on every run of the same
    inputs: no timings (they are printed on standard error), no paths (they differ
    between machines), no cache state (a rerun reuses the cache). Its counts are
    those the release publishes (rows as released in ``validation``), never a
    value of a person.
    """

    def __init__(self, spec: StudySpec, ex, ex_hash: str,
                 resolved: dict[str, dict[str, Any]]) -> None:
        from cohort._provenance import software

        sw = software()
        study_file = (f"study file {sha256_file(spec.source)}"
                      if spec.source is not None and spec.source.is_file() else "no file")
        self.lines = [
            "run.log: the steps of this run and their counts (timings are printed on "
            "standard error, not here: this file is the same on every run)",
            f"software: {sw['distribution']} {sw['version']}, source {sw['source_sha256']}, "
            f"Python {sw['python']}",
            f"study: {spec.name} ({study_file}), seed {spec.seed}",
            f"extract: ends {ex.extract_end.isoformat()}, sha256:{ex_hash}",
        ]
        for key, years in resolved.items():
            for name, value in years.items():
                self.lines.append(f"years: [analyses.{key}] {name} ending in \"latest\" "
                                  f"resolved to {json.dumps(value)}")

    def validation(self, released: pd.DataFrame) -> None:
        self.lines.append(f"step validation: {len(released)} tables read; rows as released "
                          "in validation.csv (hidden: suppressed)")
        for row in released.itertuples(index=False):
            cells = []
            for col in _VALIDATION[1:]:
                v = getattr(row, col)
                cells.append(f"{col.replace('_', ' ')} {'hidden' if pd.isna(v) else int(v)}")
            self.lines.append(f"  {row.table}: {', '.join(cells)}")

    def analysis(self, key: str, tables: list[str], figures: list[str],
                 notes: list[str]) -> None:
        self.lines.append(f"step {key}: tables released {len(tables)}, figures "
                          f"{len(figures)}")
        if tables:
            self.lines.append(f"  tables: {', '.join(tables)}")
        self.lines += [f"  left out: {n}" for n in notes]

    def text(self) -> str:
        return "\n".join([*self.lines, "step report: report.html, manifest.json (what was "
                          "suppressed, per table and column)", ""])


_VALIDATION = ["table", "rows_read", "rows_accepted", "rows_quarantined"]


def _validation_table(report) -> pd.DataFrame:
    rows = [
        {"table": t, "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
         "rows_quarantined": r.rows_quarantined}
        for t, r in report.tables.items()
    ]
    return pd.DataFrame(rows)
