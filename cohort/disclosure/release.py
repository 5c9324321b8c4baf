"""The one way out: a release folder written atomically, with a manifest.

Every table and figure that leaves the library passes through a
:class:`Release`. It applies disclosure control, writes files deterministically
(the same inputs give the same bytes), and records provenance in
``manifest.json``. The folder is built in a hidden sibling
(``.<name>.partial-<pid>``) and renamed into place only when complete, so a run
killed half-way leaves no release.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sys
import warnings
from collections.abc import Hashable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from cohort._params import check_literal
from cohort.disclosure._cpr import is_pid_name
from cohort.disclosure.check import scan_file
from cohort.disclosure.models import km_release, suppress_model_output
from cohort.disclosure.rules import (
    DisclosureSettings,
    SuppressionLog,
    round_counts,
    suppress_counts,
)
from cohort.exceptions import DisclosureError, DisclosureWarning, UserError

__all__ = ["MANIFEST", "Release", "sha256_file"]

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
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


def sha256_file(path: str | Path) -> str:
    """The sha256 of a file, as ``"sha256:<hex>"``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def _hash_inputs(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    out = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            msg = f"input {p} does not exist"
            raise UserError(msg)
        files = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
        for q in files:
            shown = str(p) if q == p else f"{p}/{q.relative_to(p).as_posix()}"
            out.append({"path": shown, "sha256": sha256_file(q), "bytes": q.stat().st_size})
    return sorted(out, key=lambda r: r["path"])


def _versions(packages: Sequence[str]) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name == "cohort":
                import cohort

                out[name] = f"{cohort.__version__} (not installed)"
            else:
                out[name] = "not installed"
    return out


def _sorted(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    if not by:
        return df.reset_index(drop=True)
    try:
        return df.sort_values(list(by), kind="stable").reset_index(drop=True)
    except TypeError:  # mixed types in a column, e.g. numbers and a 'Total' label
        return df.sort_values(list(by), kind="stable",
                              key=lambda s: s.map(lambda v: (str(type(v)), str(v)))
                              ).reset_index(drop=True)


class Release:
    """Write a release folder atomically: tables, figures, text and a manifest.

    Parameters
    ----------
    path
        The release folder. It appears only when the ``with`` block ends without
        an error; an existing folder of that name is replaced.
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
    ) -> None:
        self.path = Path(path)
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

    # ----------------------------------------------------------- lifecycle
    def __enter__(self) -> Release:
        parent = self.path.parent
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{self.path.name}.partial-*"):
            pid = stale.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(stale, ignore_errors=True)
        self._tmp = parent / f".{self.path.name}.partial-{os.getpid()}"
        if self._tmp.exists():
            shutil.rmtree(self._tmp)
        self._tmp.mkdir()
        if not self.settings.enabled:
            warnings.warn(
                f"disclosure control is disabled for release {self.path.name!r}; the manifest "
                "records it", DisclosureWarning, stacklevel=2)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        tmp = self._require_open()
        self._tmp = None
        if exc_type is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        try:
            self._write_manifest(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = None
        if self.path.exists():
            old = self.path.parent / f".{self.path.name}.old-{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.rename(self.path, old)
        os.rename(tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _require_open(self) -> Path:
        if self._tmp is None:
            msg = "write through a release inside its with-block: `with Release(path) as rel:`"
            raise UserError(msg)
        return self._tmp

    def _check_name(self, name: str, taken: Mapping[str, Any]) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            msg = f"output name must be letters, digits, '_' or '-'; got {name!r}"
            raise UserError(msg)
        if name in self._tables or name in self._figures or name in taken:
            msg = f"the release already has an output named {name!r}"
            raise UserError(msg)

    # -------------------------------------------------------------- tables
    def write_table(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        kind: str = "counts",
        count_cols: Sequence[str] = (),
        by: Sequence[str] | None = None,
        totals: Mapping[str, Hashable | Mapping[Hashable, Sequence[Hashable]]] | None = None,
        shares: Mapping[str, tuple[str, str]] | None = None,
        values: Mapping[str, str] | None = None,
        population: str | None = None,
        support: pd.DataFrame | None = None,
        persons: str = "n_persons",
        events: str | None = None,
        on: Sequence[str] | None = None,
        separate: Sequence[str] = (),
        additive: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Apply disclosure control to a table and write it as CSV and Parquet.

        ``kind="counts"``: every column must be declared -- a dimension (``by``),
        a count (``count_cols``), a share (``shares``) or a statistic over a
        count (``values``); see :func:`~cohort.disclosure.suppress_counts`.
        Tables with the same ``population`` tag are protected together: a cell
        suppressed here cannot be recovered with the cells of earlier tables of
        the tag (same count column, the same persons counted).
        ``kind="model"``: a tidy table checked against ``support`` (persons and
        events per cell), see :func:`~cohort.disclosure.suppress_model_output`;
        ``additive`` names the keys of rows whose estimates add up to a published
        total (the parts of a decomposition), so that no single blank can be
        recovered by subtraction.
        ``kind="km"``: a Kaplan-Meier curve, see :func:`~cohort.disclosure.km_release`.

        Returns the table as released.
        """
        tmp = self._require_open()
        self._check_name(name, self._texts)
        check_literal("kind", kind, _KINDS)
        if not isinstance(df, pd.DataFrame):
            msg = f"table {name!r} must be a pandas DataFrame"
            raise UserError(msg)
        bad = [str(c) for c in df.columns if is_pid_name(str(c))]
        if bad:
            msg = f"table {name!r} has columns named like person ids: {bad}; they never leave"
            raise DisclosureError(msg)
        s = self.settings
        log = SuppressionLog()
        link = None
        if kind == "counts":
            count_cols = list(count_cols)
            if not count_cols:
                msg = f"table {name!r}: declare its count columns (count_cols=[...])"
                raise DisclosureError(msg)
            declared = {*count_cols, *(shares or {}), *(values or {})}
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
            if s.enabled:
                key = population or ""
                linked = []
                if population is not None:
                    linked = list(self._linked.get(key, []))
                res = suppress_counts(df, count_cols=count_cols, threshold=s.threshold, by=by,
                                      totals=totals, shares=shares, values=values, table=name,
                                      linked=[(ldf, lby, ltot) for ldf, lby, ltot in linked],
                                      separate=separate)
                out = res.frame
                log = res.log
                if population is not None:
                    link = (key, (out[[*by, *count_cols]].copy(), by, dict(totals or {})))
                out = round_counts(out, count_cols=count_cols, rounding=s.rounding,
                                   base=s.rounding_base, shares=shares)
            else:
                out = df.copy()
        elif kind == "model":
            extra = [str(c) for c in df.columns if c not in _TIDY and c not in (on or [])]
            if extra:
                msg = (f"model table {name!r}: columns {extra} are not tidy columns "
                       f"{list(_TIDY)} or keys (on)")
                raise DisclosureError(msg)
            if support is None:
                msg = (f"model table {name!r}: pass support= (persons and events per cell "
                       "the model rests on)")
                raise DisclosureError(msg)
            if s.enabled:
                res = suppress_model_output(df, support, threshold=s.threshold, persons=persons,
                                            events=events, on=on, additive=additive,
                                            table=name)
                out = res.frame
                log = res.log
            else:
                out = df.copy()
            by = ["term", *(on or [])] if "term" in df.columns else list(on or [])
        else:
            if s.enabled:
                keep = [c for c in ("conf_low", "conf_high") if c in df.columns]
                res = km_release(df, threshold=s.threshold, keep=keep, table=name)
                out = res.frame
                log = res.log
            else:
                out = df.copy()
            by = []  # a curve keeps its time order
        out = _sorted(out, by)
        files = [f"{name}.csv", f"{name}.parquet"]
        out.to_csv(tmp / files[0], index=False, lineterminator="\n", na_rep="")
        if s.enabled:
            # the checker's other rules as a last line of defence: ids as dimension
            # values, CPR numbers in labels, person-level or min/max columns
            found = [f for f in scan_file(tmp / files[0], name=files[0], threshold=s.threshold)
                     if f.rule != "small_count"]
            if found:
                (tmp / files[0]).unlink()
                rules = sorted({f.rule for f in found})
                msg = f"table {name!r} holds what may not leave (rules: {', '.join(rules)})"
                raise DisclosureError(msg)
        _write_parquet(out, tmp / files[1])
        self._log = self._log + log
        if link is not None:
            self._linked.setdefault(link[0], []).append(link[1])
        self._tables[name] = {"kind": kind, "rows": len(out),
                              "columns": [str(c) for c in out.columns], "files": files,
                              "count_cols": [str(c) for c in count_cols] if kind == "counts"
                              else [], "population": population}
        return out

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
        with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
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
            path.write_text(text, encoding="utf-8", newline="\n")
            found = scan_file(path, name=filename, threshold=self.settings.threshold)
            if found:
                path.unlink()
                rules = sorted({f.rule for f in found})
                msg = f"{filename} holds what may not leave (rules: {', '.join(rules)})"
                raise DisclosureError(msg)
        else:
            (tmp / filename).write_text(text, encoding="utf-8", newline="\n")
        self._texts[filename] = {}
        return filename

    # ------------------------------------------------------------ manifest
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
            "release": self.path.name,
            "disclosure": {**self.settings.as_dict(),
                           "disabled": not self.settings.enabled},
            "suppression": self._log.to_records(),
            "tables": self._tables,
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
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        (tmp / MANIFEST).write_text(text + "\n", encoding="utf-8", newline="\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Parquet without timestamps: pyarrow writes none; pandas metadata is kept."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy", write_statistics=True,
                   use_dictionary=True)
    path.write_bytes(buf.getvalue())
