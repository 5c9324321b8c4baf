"""The one way out: a release folder written atomically, with a manifest.

Every table and figure that leaves the library passes through a
:class:`Release`. It applies disclosure control, writes files deterministically
(the same inputs give the same bytes), and records provenance in
``manifest.json``. The folder is built in a hidden sibling
(``.<name>.partial-<pid>``) and renamed into place only when complete, so a run
killed half-way leaves no release.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import warnings
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cohort._hashing import file_hashes, sha256_file
from cohort._params import check_literal
from cohort.disclosure._cpr import is_pid_name
from cohort.disclosure._folder import (
    FolderLock,
    check_target,
    clean_stale,
    output_errors,
    replace,
)
from cohort.disclosure.check import scan_file
from cohort.disclosure.models import km_release, suppress_model_output
from cohort.disclosure.policy import Counts, Curve, Derived, ModelOutput, Policy
from cohort.disclosure.rules import (
    DisclosureSettings,
    SuppressionLog,
    round_counts,
    suppress_counts,
)
from cohort.disclosure.whole import ReleaseSystem
from cohort.exceptions import CohortError, DisclosureError, DisclosureWarning, UserError

__all__ = ["MANIFEST", "Release", "sha256_file"]

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,99}$")
_KINDS = ("counts", "model", "km")
#: Columns a model table may have besides its keys; ``lb, ub`` bound an identified set.
_TIDY = ("term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
         "lb", "ub")
DEFAULT_PACKAGES = (
    "cohort", "numpy", "pandas", "pyarrow", "scipy", "statsmodels", "lifelines", "duckdb",
    "matplotlib", "openpyxl", "pyreadstat",
)
_TEXT_SUFFIXES = (".html", ".md", ".txt", ".log", ".json")


def _hash_inputs(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    out = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            msg = f"input {p} does not exist"
            raise UserError(msg)
        for r in file_hashes(p):  # each file read once per process (cohort._hashing)
            shown = str(p) if not r["path"] else f"{p}/{r['path']}"
            out.append({**r, "path": shown})
    return sorted(out, key=lambda r: r["path"])


def _versions(packages: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "cohort":
                from cohort._provenance import software

                out[name] = software()["version"]
            else:
                out[name] = "not installed"
    return out


# a number inside a label; a minus sign only where it cannot be a dash ("e=-2", not
# the "-2014" of "2010-2014" or the "-01" of a date)
_NUMBER = re.compile(r"(?:(?<![^=\s(,])-)?\d+(?:\.\d+)?")


def _natural(value: object) -> tuple:
    """A sort key that orders numbers inside labels by their value (e=-8 ... e=2)."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return (0, float(value))
    text = str(value)
    parts: list[tuple] = []
    pos = 0
    for m in _NUMBER.finditer(text):
        parts += [(1, text[pos:m.start()]), (0, float(m.group()))]
        pos = m.end()
    parts.append((1, text[pos:]))
    return (1, tuple(parts))


def _sorted(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Rows in the order of their meaning, the same every time.

    By the dimension columns: a categorical column in the order of its categories
    (the steps of a flow, the groups of a table as declared), numbers by value,
    labels naturally (``e=-8, e=-7, ..., e=2``; ``year 9`` before ``year 10``).
    """
    if not by:
        return df.reset_index(drop=True)
    keys = []
    for col in by:
        s = df[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            keys.append(s.cat.codes.to_numpy())
            continue
        values = list(dict.fromkeys(s.tolist()))
        rank = {v: i for i, v in enumerate(sorted(values, key=_natural))}
        keys.append(s.map(rank).to_numpy())
    order = np.lexsort(keys[::-1])  # lexsort sorts by its last key first
    return df.iloc[order].reset_index(drop=True)


class Release:
    """Write a release folder atomically: tables, figures, text and a manifest.

    Parameters
    ----------
    path
        The release folder. It appears only when the ``with`` block ends without
        an error. It may be a new path, an empty folder, or a release this package
        wrote (of the same ``study``, holding nothing else), which is replaced;
        anything else, or a folder inside, equal to or around an input, is
        refused with :class:`~cohort.exceptions.OutputError` and left as it is.
        One writer at a time: a second ``Release`` of the same folder is refused
        while the first is open.
    disclosure
        The settings; default: on, threshold 5. Disabling needs
        ``DisclosureSettings(enabled=False, reason="...")`` and is recorded.
    inputs
        Files or folders the run read (the extract); each file's sha256 is recorded.
    extract_toml, study_file
        Recorded with their sha256.
    seed
        The run's seed, recorded.
    packages
        Distributions whose versions are recorded.
    study
        The study's name, recorded in the manifest: a release of another study is
        never replaced.
    provenance
        Further fields of the manifest (the runner records ``extract`` -- its hash
        and end date -- and ``resolved_years``). The installed software is always
        recorded (``software``: distribution, version, ``source_sha256``, Python,
        the versions of every runtime dependency).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "release"
    >>> df = pd.DataFrame({"area": ["a", "b"], "n": [3, 40]})
    >>> with Release(out, seed=1) as rel:
    ...     released = rel.write_table("by_area", df, count_cols=["n"])
    >>> released["n"].tolist()
    [<NA>, 40]
    >>> sorted(p.name for p in out.iterdir())
    ['by_area.csv', 'by_area.parquet', 'manifest.json']

    """

    def __init__(
        self,
        path: str | Path,
        *,
        disclosure: DisclosureSettings | None = None,
        inputs: Sequence[str | Path] = (),
        extract_toml: str | Path | None = None,
        study_file: str | Path | None = None,
        seed: int | None = None,
        packages: Sequence[str] = DEFAULT_PACKAGES,
        study: str | None = None,
        provenance: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.study = study
        self._provenance = dict(provenance or {})
        self.settings = DisclosureSettings() if disclosure is None else disclosure
        if not isinstance(self.settings, DisclosureSettings):
            msg = "disclosure must be a DisclosureSettings"
            raise DisclosureError(msg)
        self._inputs = list(inputs)
        self._extract_toml = extract_toml
        self._study_file = study_file
        self._seed = seed
        self._packages = tuple(packages)
        self._tmp: Path | None = None
        self._log = SuppressionLog()
        self._tables: dict[str, dict[str, Any]] = {}
        self._figures: dict[str, dict[str, Any]] = {}
        self._texts: dict[str, dict[str, Any]] = {}
        self._linked: dict[str, list[tuple[pd.DataFrame, list[str], dict]]] = {}
        self._declared: dict[str, dict[str, Any]] = {}
        self._system = ReleaseSystem(self.settings.threshold)

    # ----------------------------------------------------------- lifecycle
    def __enter__(self) -> Release:
        target = check_target(self.path, inputs=[Path(p) for p in self._inputs],
                              study=self.study)
        parent = target.parent
        with output_errors(f"the release folder {self.path}"):
            parent.mkdir(parents=True, exist_ok=True)
        self._lock = FolderLock(target)
        self._lock.acquire()
        try:
            with output_errors(f"the release folder {self.path}"):
                clean_stale(parent, target.name)
                self._tmp = parent / f".{target.name}.partial-{os.getpid()}"
                if self._tmp.exists():
                    shutil.rmtree(self._tmp)
                self._tmp.mkdir()
        except BaseException:
            self._tmp = None
            self._lock.release()
            raise
        self._target = target
        if not self.settings.enabled:
            warnings.warn(
                f"disclosure control is disabled for release {self.path.name!r}; the manifest "
                "records it", DisclosureWarning, stacklevel=2)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        tmp = self._require_open()
        self._tmp = None
        try:
            if exc_type is not None:
                shutil.rmtree(tmp, ignore_errors=True)
                return
            try:
                if self.settings.enabled:
                    self._audit()
                with output_errors(f"the release {self.path}"):
                    self._write_manifest(tmp)
                    replace(tmp, self._target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        finally:
            self._lock.release()

    def _require_open(self) -> Path:
        if self._tmp is None:
            msg = "write through a release inside its with-block: `with Release(path) as rel:`"
            raise UserError(msg)
        return self._tmp

    def _check_name(self, name: str, taken: Mapping[str, Any]) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            msg = f"output name must be letters, digits, '_' or '-'; got {name!r}"
            raise UserError(msg)
        if (name in self._tables or name in self._figures or name in self._declared
                or name in taken):
            msg = f"the release already has an output named {name!r}"
            raise UserError(msg)

    # -------------------------------------------------------------- tables
    def write_table(
        self,
        name: str,
        df: pd.DataFrame,
        policy: Policy | None = None,
        **legacy: Any,
    ) -> pd.DataFrame:
        """Apply disclosure control to a table and write it as CSV and Parquet.

        ``policy`` says what the table is (:mod:`cohort.disclosure.policy`):

        - :class:`~cohort.disclosure.Counts`: every column must be declared -- a
          dimension (``by``), a count, a share or a statistic over a count; see
          :func:`~cohort.disclosure.suppress_counts`. Its ``relations`` to other
          tables and its ``identities`` join the whole-release check: a cell
          suppressed anywhere in the release stays protected against everything
          the release publishes, and cells of this table are suppressed further
          until it is.
        - :class:`~cohort.disclosure.ModelOutput`: a tidy table checked against
          its ``support`` (persons, events and non-events per cell) and withheld
          row by row where it ``rests_on`` a suppressed cell of the release.
        - :class:`~cohort.disclosure.Curve`: a Kaplan-Meier curve, see
          :func:`~cohort.disclosure.km_release`, cut where its risk table hides a
          cell.
        - :class:`~cohort.disclosure.Derived`: computed from tables written before
          it and nothing else (adjusted p-values, say); written as it is.

        The older keyword form (``kind="counts"|"model"|"km"`` with the
        policy's fields as keywords) is still accepted and means the same.
        Returns the table as released.
        """
        tmp = self._require_open()
        self._check_name(name, self._texts)
        policy = _as_policy(name, policy, legacy)
        if not isinstance(df, pd.DataFrame):
            msg = f"table {name!r} must be a pandas DataFrame"
            raise UserError(msg)
        _refuse_pid_columns(name, df)
        log = SuppressionLog()
        if isinstance(policy, Counts):
            out, by, log = self._counts(name, df, policy, written=True)
            kind = "counts"
        elif isinstance(policy, ModelOutput):
            out, by, log = self._model(name, df, policy)
            kind = "model"
        elif isinstance(policy, Derived):
            missing = [t for t in policy.sources if t not in self._tables]
            if missing:
                msg = (f"derived table {name!r} rests on tables the release has not written "
                       f"before it: {missing}")
                raise UserError(msg)
            out, by, kind = df.copy(), [], "derived"  # its rows keep the caller's order
        else:
            out, log = self._curve(name, df, policy)
            by, kind = [], "km"  # a curve keeps its time order
        out = _sorted(out, by)
        files = [f"{name}.csv", f"{name}.parquet"]
        with output_errors(f"table {name!r} of the release {self.path}"):
            out.to_csv(tmp / files[0], index=False, lineterminator="\n", na_rep="")
        if self.settings.enabled:
            # the checker's other rules as a last line of defence: ids as dimension
            # values, CPR numbers in labels, person-level or min/max columns
            found = [f for f in scan_file(tmp / files[0], name=files[0],
                                          threshold=self.settings.threshold)
                     if f.rule != "small_count"]
            if found:
                (tmp / files[0]).unlink()
                rules = sorted({f.rule for f in found})
                msg = f"table {name!r} holds what may not leave (rules: {', '.join(rules)})"
                raise DisclosureError(msg)
        with output_errors(f"table {name!r} of the release {self.path}"):
            _write_parquet(out, tmp / files[1])
        self._log = self._log + log
        count_cols = list(policy.count_cols) if isinstance(policy, Counts) else []
        self._tables[name] = {"kind": kind, "rows": len(out),
                              "columns": [str(c) for c in out.columns], "files": files,
                              "count_cols": count_cols,
                              "population": getattr(policy, "population", None),
                              "relations": len(getattr(policy, "relations", ()))}
        return out

    def declare_counts(self, name: str, df: pd.DataFrame, policy: Counts, *,
                       latent: bool = False) -> pd.DataFrame:
        """Counts that are not written but that the release reveals, or could.

        A decomposition term is a ratio of counts; with its published
        denominators it gives those counts back. Declaring them makes the
        whole-release check protect them as if published (with their relations
        to written tables), and lets a :class:`~cohort.disclosure.RestsOn` of a
        model output name them: a term resting on a suppressed declared cell is
        withheld.

        ``latent=True`` declares counts that nothing shows but that published
        tables determine through their relations (the events between two times of
        a risk table of cumulative counts, the yearly counts under two-year
        pools): every cell is hidden, and tables written after it are suppressed
        further until its small cells are protected. Declare them before those
        tables.

        Nothing is written; the manifest lists the name and its rows. Returns the
        counts as the release treats them (hidden cells missing).
        """
        self._require_open()
        self._check_name(name, self._texts)
        if name in self._declared:
            msg = f"the release already declares counts named {name!r}"
            raise UserError(msg)
        if not isinstance(policy, Counts):
            msg = f"declared counts {name!r} need a Counts policy"
            raise UserError(msg)
        _refuse_pid_columns(name, df)
        out, _, log = self._counts(name, df, policy, written=False, latent=latent)
        if not latent:
            self._log = self._log + log
        self._declared[name] = {"rows": len(out), "count_cols": list(policy.count_cols),
                                "relations": len(policy.relations), "latent": latent}
        return out

    def _counts(self, name: str, df: pd.DataFrame, policy: Counts, *, written: bool,
                latent: bool = False) -> tuple[pd.DataFrame, list[str], SuppressionLog]:
        count_cols = list(policy.count_cols)
        shares, values = dict(policy.shares), dict(policy.values)
        declared = {*count_cols, *shares, *values}
        clash = [c for c in policy.derived if c in df.columns]
        if clash:
            msg = (f"table {name!r}: derived columns {clash} are computed from the released "
                   "table; leave them out of the input")
            raise DisclosureError(msg)
        by = policy.by
        both = [str(c) for c in (by or []) if c in declared]
        if both:
            msg = f"table {name!r}: columns {both} are declared as dimensions and as values"
            raise DisclosureError(msg)
        if by is None:
            by = [c for c in df.columns if c not in declared]
            numeric = [str(c) for c in by if pd.api.types.is_numeric_dtype(df[c])]
            if numeric:
                msg = (f"table {name!r}: numeric columns {numeric} are not declared; "
                       "pass them as count_cols, shares, values or by")
                raise DisclosureError(msg)
        undeclared = [str(c) for c in df.columns if c not in declared and c not in by]
        if undeclared:
            msg = (f"table {name!r}: columns {undeclared} are not declared; pass them as "
                   "count_cols, shares, values or by")
            raise DisclosureError(msg)
        by = list(by)
        s = self.settings
        if not s.enabled:
            return _derive(df.copy(), policy, name), by, SuppressionLog()
        linked = list(self._linked.get(policy.population, [])) if policy.population else []
        res = suppress_counts(df, count_cols=count_cols, threshold=s.threshold, by=by,
                              totals=policy.totals, shares=shares, values=values, table=name,
                              linked=linked, separate=policy.separate)
        out, log = res.frame, res.log
        masks = {c: out[c].isna().to_numpy() for c in count_cols}
        final = self._system.add(name, df.reset_index(drop=True), policy, by, masks,
                                 written=written, latent=latent)
        shown = {c: masks[c] & ~final[c] for c in count_cols}
        if any(m.any() for m in shown.values()):
            # earlier tables publish these cells already: showing them hides nothing
            out, fewer = _show(out, df.reset_index(drop=True), shown, shares, values,
                               table=name)
            log = log + fewer
        extra = {c: final[c] & ~masks[c] for c in count_cols}
        if any(m.any() for m in extra.values()):
            out, more = _hide(out, extra, shares, values, table=name)
            log = log + more
        if policy.population is not None:
            self._linked.setdefault(policy.population, []).append(
                (out[[*by, *count_cols]].copy(), by, dict(policy.totals)))
        out = round_counts(out, count_cols=count_cols, rounding=s.rounding,
                           base=s.rounding_base, shares=shares)
        return _derive(out, policy, name), by, log

    def _model(self, name: str, df: pd.DataFrame, policy: ModelOutput
               ) -> tuple[pd.DataFrame, list[str], SuppressionLog]:
        on = list(policy.on)
        extra = [str(c) for c in df.columns if c not in _TIDY and c not in on]
        if extra:
            msg = (f"model table {name!r}: columns {extra} are not tidy columns "
                   f"{list(_TIDY)} or keys (on)")
            raise DisclosureError(msg)
        by = ["term", *[c for c in on if c != "term"]] if "term" in df.columns else on
        if not self.settings.enabled:
            return df.copy(), by, SuppressionLog()
        df = df.reset_index(drop=True)
        held = self._system.rests_on_suppressed(policy.rests_on, df, on)
        res = suppress_model_output(df, policy.support, threshold=self.settings.threshold,
                                    persons=policy.persons, events=policy.events, on=on,
                                    additive=policy.additive, table=name, withhold=held,
                                    complement=policy.complement)
        return res.frame, by, res.log

    def _curve(self, name: str, df: pd.DataFrame, policy: Curve
               ) -> tuple[pd.DataFrame, SuppressionLog]:
        if not self.settings.enabled:
            return df.copy(), SuppressionLog()
        keep = [c for c in policy.keep if c in df.columns]
        grid = (self._system.times(policy.risk_table) if policy.risk_table is not None
                else np.zeros(0))
        res = km_release(df, threshold=self.settings.threshold, keep=keep, table=name,
                         breaks=grid)
        out, log = res.frame, res.log
        if policy.risk_table is not None:
            first = self._system.first_hidden_time(policy.risk_table)
            if first is not None:
                before = grid[grid < first]
                # released up to the last time of the risk table at which every cell
                # is published: later steps would narrow the hidden cells
                keep_rows = (out["time"].to_numpy(dtype=float) <= before.max()
                             if len(before) else np.zeros(len(out), bool))
                cut = int((~keep_rows).sum())
                out = out[keep_rows].reset_index(drop=True)
                if cut:
                    log = log + SuppressionLog(((name, "estimate", "curve_risk_table", cut),))
        return out, log

    # ------------------------------------------------------------- figures
    def write_figure(self, name: str, fig: Any, *, table: str) -> list[str]:
        """Write a matplotlib figure as PNG and SVG with fixed metadata.

        ``table`` names the table in this release the figure draws; it must
        have been written (and so passed disclosure control) first. The SVG's
        text is scanned like any release file; a finding refuses the figure.
        """
        tmp = self._require_open()
        self._check_name(name, self._texts)
        if table not in self._tables:
            msg = (f"figure {name!r} draws table {table!r}, which this release has not "
                   "written; write the table first so it passes disclosure control")
            raise DisclosureError(msg)
        import matplotlib

        files = [f"{name}.png", f"{name}.svg"]
        software = f"cohort {_versions(('cohort',))['cohort']}"
        with (matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}),
              output_errors(f"figure {name!r} of the release {self.path}")):
            fig.savefig(tmp / files[0], format="png", metadata={"Software": software})
            fig.savefig(tmp / files[1], format="svg",
                        metadata={"Date": None, "Creator": software})
        if self.settings.enabled:
            found = [f for fn in files
                     for f in scan_file(tmp / fn, name=fn, threshold=self.settings.threshold)]
            if found:
                for fn in files:
                    (tmp / fn).unlink()
                rules = sorted({f.rule for f in found})
                msg = f"figure {name!r} shows what may not leave (rules: {', '.join(rules)})"
                raise DisclosureError(msg)
        self._figures[name] = {"table": table, "files": files}
        return files

    # ---------------------------------------------------------------- text
    def write_text(self, filename: str, text: str) -> str:
        """Write a report, a log or notes (``.html``, ``.md``, ``.txt``, ``.log``, ``.json``).

        The text is scanned first; CPR numbers, pids, small counts or minima and
        maxima refuse it (unless disclosure control is disabled).
        """
        tmp = self._require_open()
        stem, dot, suffix = filename.rpartition(".")
        if not dot or f".{suffix}" not in _TEXT_SUFFIXES:
            msg = f"text file name must end in one of {list(_TEXT_SUFFIXES)}; got {filename!r}"
            raise UserError(msg)
        self._check_name(stem, {})
        if filename in self._texts or filename == MANIFEST:
            msg = f"the release already has a file named {filename!r}"
            raise UserError(msg)
        if self.settings.enabled:
            path = tmp / filename
            with output_errors(f"{filename} of the release {self.path}"):
                path.write_text(text, encoding="utf-8", newline="\n")
            found = scan_file(path, name=filename, threshold=self.settings.threshold)
            if found:
                path.unlink()
                rules = sorted({f.rule for f in found})
                msg = f"{filename} holds what may not leave (rules: {', '.join(rules)})"
                raise DisclosureError(msg)
        else:
            with output_errors(f"{filename} of the release {self.path}"):
                (tmp / filename).write_text(text, encoding="utf-8", newline="\n")
        self._texts[filename] = {}
        return filename

    # ------------------------------------------------------------ manifest
    def _audit(self) -> None:
        """The whole release, checked once more as one system before it is written."""
        found = self._system.audit()
        if found:
            tables = sorted({u.table for u in found})
            msg = (f"the whole-release check found {len(found)} suppressed cells that the "
                   f"release would narrow too far (tables {tables}); nothing was written. "
                   "This is a defect in the disclosure layer: please report it.")
            raise CohortError(msg)  # exit 4: a defect, not the user's doing

    def whole_release_summary(self) -> dict[str, Any]:
        """What the whole-release check did: counts of cells and outputs, never values."""
        entries = self._log.entries
        rows_held: dict[str, int] = {}  # one entry per blanked column: the rows are the most
        for t, _, r, n in entries:
            if r == "rests_on_suppressed":
                rows_held[t] = max(rows_held.get(t, 0), n)
        return {
            "relations": len(self._system.relations),
            "declared_counts": sorted(self._declared),
            "cells_suppressed_further": sum(n for _, _, r, n in entries
                                            if r == "release_secondary"),
            "model_rows_withheld": sum(rows_held.values()),
            "curve_rows_cut": sum(n for _, _, r, n in entries if r == "curve_risk_table"),
        }

    @property
    def suppression(self) -> SuppressionLog:
        """What has been suppressed so far."""
        return self._log

    def _write_manifest(self, tmp: Path) -> None:
        outputs = [{"path": p.relative_to(tmp).as_posix(), "sha256": sha256_file(p),
                    "bytes": p.stat().st_size}
                   for p in sorted(tmp.rglob("*")) if p.is_file()]
        single = {}
        for key, p in (("extract_toml", self._extract_toml), ("study_file", self._study_file)):
            single[key] = None if p is None else _hash_inputs([p])[0]
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "release": self._target.name,
            "study": self.study,
            "disclosure": {**self.settings.as_dict(),
                           "disabled": not self.settings.enabled},
            "suppression": _published_log(self._log),
            "tables": self._tables,
            "declared_counts": self._declared,
            "whole_release": self.whole_release_summary() if self.settings.enabled else None,
            "figures": self._figures,
            "texts": sorted(self._texts),
            "inputs": _hash_inputs(self._inputs),
            **single,
            "seed": self._seed,
            "environment": {
                "python": ".".join(str(v) for v in sys.version_info[:3]),
                "platform": sys.platform,
                "packages": _versions(self._packages),
            },
            "outputs": outputs,
        }
        from cohort._provenance import software

        manifest["software"] = software()
        for key, value in self._provenance.items():
            if key in manifest:
                msg = f"provenance field {key!r} is a field of the manifest already"
                raise UserError(msg)
            manifest[key] = value
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8", newline="\n")


_LEGACY = {
    "counts": ("count_cols", "by", "totals", "shares", "values", "population", "separate"),
    "model": ("support", "persons", "events", "on", "additive"),
    "km": (),
}


def _as_policy(name: str, policy: Policy | None, legacy: Mapping[str, Any]) -> Policy:
    """The policy, or one built from the older keyword form."""
    if policy is not None:
        if legacy:
            msg = f"table {name!r}: pass a policy or keywords, not both"
            raise UserError(msg)
        if not isinstance(policy, Counts | ModelOutput | Curve | Derived):
            msg = (f"table {name!r}: policy must be Counts, ModelOutput, Curve or Derived; got "
                   f"{type(policy).__name__}")
            raise UserError(msg)
        return policy
    kw = dict(legacy)
    kind = kw.pop("kind", "counts")
    check_literal("kind", kind, _KINDS)
    unknown = sorted(set(kw) - set(_LEGACY[kind]))
    if unknown:
        msg = f"table {name!r}: keywords {unknown} do not apply to kind={kind!r}"
        raise UserError(msg)
    if kind == "counts":
        if not kw.get("count_cols"):
            msg = f"table {name!r}: declare its count columns (count_cols=[...])"
            raise DisclosureError(msg)
        return Counts(**kw)
    if kind == "model":
        if kw.get("support") is None:
            msg = (f"model table {name!r}: pass support= (persons and events per cell "
                   "the model rests on)")
            raise DisclosureError(msg)
        return ModelOutput(**kw)
    return Curve()


def _refuse_pid_columns(name: str, df: pd.DataFrame) -> None:
    bad = [str(c) for c in getattr(df, "columns", []) if is_pid_name(str(c))]
    if bad:
        msg = f"table {name!r} has columns named like person ids: {bad}; they never leave"
        raise DisclosureError(msg)


def _hide(out: pd.DataFrame, extra: Mapping[str, np.ndarray], shares: Mapping[str, tuple],
          values: Mapping[str, str], *, table: str) -> tuple[pd.DataFrame, SuppressionLog]:
    """Suppress further cells (and the shares and statistics that use them)."""
    out = out.copy()
    entries = []
    for col, m in extra.items():
        if m.any():
            out.loc[m, col] = pd.NA
            entries.append((table, col, "release_secondary", int(m.sum())))
    hidden = {c: out[c].isna().to_numpy() for c in extra}
    for share, (num, den) in shares.items():
        s = out[share].astype("Float64")
        m = (hidden[num] | hidden[den]) & s.notna().to_numpy()
        if m.any():
            s[m] = pd.NA
            out[share] = s
            entries.append((table, share, "share", int(m.sum())))
    for vcol, ccol in values.items():
        s = out[vcol]
        m = hidden[ccol] & s.notna().to_numpy()
        if m.any():
            s = s.astype("Float64") if pd.api.types.is_numeric_dtype(s) else s.astype("object")
            s[m] = pd.NA
            out[vcol] = s
            entries.append((table, vcol, "value", int(m.sum())))
    return out, SuppressionLog(tuple(entries))


def _derive(out: pd.DataFrame, policy: Counts, name: str) -> pd.DataFrame:
    """Add the policy's derived columns, computed from the table as released."""
    for col, fn in policy.derived.items():
        values = fn(out.copy())
        if len(values) != len(out):
            msg = f"table {name!r}: derived column {col!r} has {len(values)} rows, not {len(out)}"
            raise DisclosureError(msg)
        out[col] = pd.Series(values).to_numpy()
    return out


def _show(out: pd.DataFrame, true: pd.DataFrame, shown: Mapping[str, np.ndarray],
          shares: Mapping[str, tuple], values: Mapping[str, str], *, table: str
          ) -> tuple[pd.DataFrame, SuppressionLog]:
    """Publish cells the release publishes elsewhere, with their shares and statistics."""
    out = out.copy()
    entries = []
    for col, m in shown.items():
        if m.any():
            out.loc[m, col] = true.loc[m, col].to_numpy()
            entries.append((table, col, "secondary", -int(m.sum())))
    hidden = {c: out[c].isna().to_numpy() for c in shown}
    for share, (num, den) in shares.items():
        back = (shown[num] | shown[den]) & ~hidden[num] & ~hidden[den]
        if back.any():
            s = out[share].astype("Float64")
            s[back] = true.loc[back, share].to_numpy()
            out[share] = s
            entries.append((table, share, "share", -int(back.sum())))
    for vcol, ccol in values.items():
        back = shown[ccol] & ~hidden[ccol]
        if back.any():
            s = out[vcol]
            s = s.astype("Float64") if pd.api.types.is_numeric_dtype(s) else s.astype("object")
            s[back] = true.loc[back, vcol].to_numpy()
            out[vcol] = s
            entries.append((table, vcol, "value", -int(back.sum())))
    return out, SuppressionLog(tuple(entries))


#: Rules that hide cells of count tables. The manifest merges them: which blanks are
#: primary (a count of 1 to threshold - 1) would tell an attacker they are small.
_COUNT_RULES = frozenset({"primary", "complement", "secondary", "release_secondary", "share",
                          "value"})


def _published_log(log: SuppressionLog) -> list[dict[str, object]]:
    """The suppression log as the manifest publishes it.

    Counts per table and column; the rules of count tables merged as
    ``suppressed``. Model and curve rules are kept: they blank estimates, not counts.
    """
    merged = SuppressionLog() + SuppressionLog(tuple(  # adding merges equal keys
        (t, c, "suppressed" if r in _COUNT_RULES else r, n) for t, c, r, n in log.entries))
    return [r for r in merged.to_records() if r["suppressed_cells"]]


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet without timestamps: pyarrow writes none; pandas metadata is kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy", write_statistics=True,
                   use_dictionary=True)
    path.write_bytes(buf.getvalue())
