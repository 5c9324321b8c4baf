"""The release checker: scan a folder about to leave the server.

``check_release(path)`` reads every file the library writes (CSV, Parquet,
JSON, HTML, TXT/MD/log, SVG, PNG text chunks) and reports what must not leave:

=================  ==========================================================
rule               what it finds
=================  ==========================================================
``pid_column``     a column (or JSON key) named like a person id: pid, *_pid,
                   cpr, pnr, person_id, mother_pid, ...
``pid_values``     a column of many distinct opaque id-like values; a
                   ``pid=...`` pair or a long hex token (a pseudonym) in text
``cpr_hyphenated`` ``DDMMYY-XXXX`` with a valid date, anywhere
``cpr_shaped``     ten digits whose first six are a valid ``DDMMYY``, as a
                   whole cell or a token in text
``small_count``    a count in ``1 .. threshold - 1``
``person_level``   a column of a single person's data (birth date, address id,
                   moving dates)
``min_max``        a minimum or maximum (a column, a row label, ``max = ...``)
``unknown_file``   a file type the checker cannot read: it cannot vouch for it
``unreadable``     a file of a known type that does not parse
=================  ==========================================================

A finding names the file, the location (column, key, line, chunk) and the rule,
with the number of cells or matches -- never the value.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from cohort._params import check_int_range
from cohort.disclosure._cpr import (
    _PID_ASSIGN,
    HEX_TOKEN,
    count_cpr_in_text,
    is_cpr_shaped,
    is_pid_name,
    scrub_text,
)
from cohort.disclosure._io import read_csv_as_text

__all__ = ["Finding", "ReleaseCheck", "check_release", "scan_frame", "scan_text"]

_COUNT_NAME = re.compile(
    r"(?i)^(n|count|counts|freq|frequency|numerator|denominator|persons|population|events?"
    r"|births|deaths|in_moves|out_moves|moves|at_risk|cases)$"
    r"|^n_|_n$|_count$|^count_|_persons$|^persons_|_events?$|n_?risk|n_?event"
)
_DIM_NAME = re.compile(
    r"(?i)(year|month|week|day|date|age|time|period|quarter|code|kom|municipality|region"
    r"|area|rank|order|level|group|lag|lead|cohort|grade|term|seed|version|index|idx|bytes"
    r"|suppressed|cells|rows|files|threshold|base|sex|koen|gender|quintile|decile|percentile"
    r"|category|class|type|status"
    # shares, rates and estimates are not counts, even when every value is whole
    r"|share|rate|ratio|prop|pct|percent|per_1000|estimate|conf_|std_error|statistic"
    r"|p_value|value|mean|effectiveness)"
)
_PERSON_COL = re.compile(
    r"(?i)^(birth_?date|date_of_birth|foed_?dag|death_?date|doed_?dato|address_?id|adresse_?id"
    r"|moved_?in|moved_?out|bop_?vfra|bop_?vtil|decision_?date)$"
)
_MINMAX_NAME = re.compile(r"(?i)(^|_)(min|max|minimum|maximum)(_|$)")
_MINMAX_LABEL = re.compile(r"(?i)^\s*(min|max|minimum|maximum)\s*$")
_MINMAX_TEXT = re.compile(r"(?i)\b(min|max|minimum|maximum)\b\s*[=:]\s*-?\d")
_COUNT_TEXT = re.compile(
    r"(?i)\b(n|count|events?|persons?|cases?|deaths?|births?|at risk)\s*[=:]\s*(\d+)(?![\d.])"
)
_OPAQUE = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{6,64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

_TABULAR = {".csv", ".parquet"}
_TEXT = {".txt", ".md", ".log", ".svg", ".toml"}
_KNOWN = {*_TABULAR, *_TEXT, ".json", ".html", ".htm", ".png"}


@dataclass(frozen=True)
class Finding:
    """One thing that must not leave: where, which rule, how many cells or matches."""

    file: str
    location: str
    rule: str
    count: int = 1

    def __post_init__(self) -> None:
        # a file name or a column header can itself be a value: never echo it
        object.__setattr__(self, "file", scrub_text(self.file)[0])
        object.__setattr__(self, "location", scrub_text(self.location)[0])

    def line(self) -> str:
        """The finding as one line of text."""
        return f"{self.file}: {self.location}: {self.rule} ({self.count})"


@dataclass(frozen=True)
class ReleaseCheck:
    """The result of :func:`check_release`; ``ok`` when there are no findings."""

    path: str
    files: int
    threshold: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 when clean, else ``EXIT_FINDINGS``."""
        from cohort.exceptions import EXIT_FINDINGS, EXIT_OK

        return EXIT_OK if self.ok else EXIT_FINDINGS

    def render(self, *, max_lines: int = 20) -> str:
        """The findings as one screen of text (values are never shown)."""
        head = (f"check-release {self.path}: {self.files} files scanned, threshold "
                f"{self.threshold}: ")
        if self.ok:
            return head + "no findings\n"
        lines = [head + f"{len(self.findings)} findings"]
        lines += ["  " + f.line() for f in self.findings[:max_lines]]
        if len(self.findings) > max_lines:
            lines.append(f"  ... and {len(self.findings) - max_lines} more")
        rules = sorted({f.rule for f in self.findings})
        lines.append("rules: " + ", ".join(rules) + " (see docs/disclosure.md)")
        return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- frames
def _as_numeric(s: pd.Series) -> pd.Series | None:
    if pd.api.types.is_bool_dtype(s):
        return None
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("Float64")
    nonempty = s[s.astype(str).str.strip() != ""]
    if nonempty.empty:
        return None
    num = pd.to_numeric(nonempty, errors="coerce")
    if num.isna().any():
        return None
    return num.astype("Float64")


def scan_frame(
    df: pd.DataFrame, *, file: str, threshold: int = 5, where: str = ""
) -> list[Finding]:
    """Findings for one table (all cells as read, strings keep leading zeros)."""
    out: list[Finding] = []
    pre = f"{where}, " if where else ""
    for k, col in enumerate(df.columns, start=1):
        name = str(col)
        loc = f"{pre}column {name!r}"
        out += scan_text(name, file=file, location=f"{pre}header of column {k}",
                         threshold=threshold)
        if is_pid_name(name):
            out.append(Finding(file, loc, "pid_column"))
        if _PERSON_COL.match(name):
            out.append(Finding(file, loc, "person_level"))
        if _MINMAX_NAME.search(name):
            out.append(Finding(file, loc, "min_max"))
        s = df[col].dropna()
        if s.empty:
            continue
        num = _as_numeric(s)
        strings = s.astype(str).str.strip()
        strings = strings[strings != ""]
        hyph = int(sum(count_cpr_in_text(v)[0] > 0 for v in strings))
        if hyph:
            out.append(Finding(file, loc, "cpr_hyphenated", hyph))
        shaped = int(sum(is_cpr_shaped(v) and "-" not in v for v in strings))
        if num is not None and not pd.api.types.is_string_dtype(s) and not shaped:
            v = num.dropna().to_numpy(dtype=float)
            ints = v[(v == np.round(v)) & (v >= 1e8) & (v < 1e10)]
            shaped = int(sum(is_cpr_shaped(f"{int(x):010d}") for x in ints))
        if shaped:
            out.append(Finding(file, loc, "cpr_shaped", shaped))
        minmax_labels = int(strings.str.match(_MINMAX_LABEL).sum())
        if minmax_labels:
            out.append(Finding(file, loc, "min_max", minmax_labels))
        if num is None:
            if len(strings) >= 10 and strings.nunique() >= 0.9 * len(strings):
                opaque = strings.str.match(_OPAQUE) & ~strings.str.match(_ISO_DATE)
                if opaque.mean() >= 0.9:
                    out.append(Finding(file, loc, "pid_values", int(opaque.sum())))
            continue
        v = num.dropna().to_numpy(dtype=float)
        whole = bool(len(v)) and bool((v == np.round(v)).all())
        if whole and len(v) >= 20 and (v >= 1e6).all() and len(np.unique(v)) >= 0.9 * len(v):
            out.append(Finding(file, loc, "pid_values", len(v)))
        count_like = bool(_COUNT_NAME.search(name)) or (whole and not _DIM_NAME.search(name))
        if count_like:
            small = int(((v >= 1) & (v < threshold)).sum())
            if small:
                out.append(Finding(file, loc, "small_count", small))
    return out


# ----------------------------------------------------------------------- text
def scan_text(text: str, *, file: str, location: str = "text", threshold: int = 5) -> list[Finding]:
    """Findings in free text (logs, reports, SVG, PNG text chunks, JSON strings)."""
    counts: dict[str, tuple[int, str]] = {}

    def add(rule: str, n: int, where: str) -> None:
        if n:
            prev = counts.get(rule)
            counts[rule] = (n + (prev[0] if prev else 0), prev[1] if prev else where)

    for i, line in enumerate(text.splitlines() or [text], start=1):
        where = f"{location} line {i}" if location == "text" else location
        hyph, ten = count_cpr_in_text(line)
        add("cpr_hyphenated", hyph, where)
        add("cpr_shaped", ten, where)
        add("pid_values", len(_PID_ASSIGN.findall(line)), where)
        add("pid_values", len(HEX_TOKEN.findall(line)), where)
        add("min_max", len(_MINMAX_TEXT.findall(line)), where)
        small = sum(1 for m in _COUNT_TEXT.finditer(line) if 1 <= int(m.group(2)) < threshold)
        add("small_count", small, where)
    return [Finding(file, where, rule, n) for rule, (n, where) in counts.items()]


# ---------------------------------------------------------------------- files
class _HTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        for _, value in attrs:
            if value and not value.startswith("data:"):  # embedded images: base64
                self.text.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        self.text.append(data)


def _html_findings(raw: str, file: str, threshold: int) -> list[Finding]:
    p = _HTML()
    p.feed(raw)
    out: list[Finding] = []
    for k, rows in enumerate(p.tables, start=1):
        rows = [r for r in rows if r]
        if len(rows) < 2:
            continue
        width = max(len(r) for r in rows)
        header = rows[0] + [f"col{j}" for j in range(len(rows[0]), width)]
        body = [r + [""] * (width - len(r)) for r in rows[1:]]
        df = pd.DataFrame(body, columns=header)
        out += scan_frame(df, file=file, threshold=threshold, where=f"html table {k}")
    out += scan_text("\n".join(p.text), file=file, threshold=threshold)
    return out


def _json_findings(obj: object, file: str, threshold: int, path: str = "$") -> list[Finding]:
    out: list[Finding] = []
    if isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        flat = [{k: v for k, v in x.items() if not isinstance(v, dict | list)} for x in obj]
        df = pd.DataFrame(flat)
        if len(df.columns):
            out += scan_frame(df.astype(object), file=file, threshold=threshold,
                              where=f"json {path}")
        for i, x in enumerate(obj):
            for k, v in x.items():
                if isinstance(v, dict | list):
                    out += _json_findings(v, file, threshold, f"{path}[{i}].{k}")
        return out
    if isinstance(obj, list):
        for i, x in enumerate(obj):
            out += _json_findings(x, file, threshold, f"{path}[{i}]")
        return out
    if isinstance(obj, dict):
        for k, v in obj.items():
            where = f"json {path}.{k}"
            key = str(k)
            if is_pid_name(key):
                out.append(Finding(file, where, "pid_column"))
            if _PERSON_COL.match(key):
                out.append(Finding(file, where, "person_level"))
            if isinstance(v, int | float) and not isinstance(v, bool):
                if _MINMAX_NAME.search(key):
                    out.append(Finding(file, where, "min_max"))
                if _COUNT_NAME.search(key) and 1 <= v < threshold:
                    out.append(Finding(file, where, "small_count"))
                if isinstance(v, int) and 1e8 <= v < 1e10 and is_cpr_shaped(f"{v:010d}"):
                    out.append(Finding(file, where, "cpr_shaped"))
            else:
                out += _json_findings(v, file, threshold, f"{path}.{k}")
            out += scan_text(key, file=file, location=f"json key at {path}",
                             threshold=threshold)
        return out
    if isinstance(obj, str):
        out += scan_text(obj, file=file, location=f"json {path}", threshold=threshold)
    return out


def png_text_chunks(data: bytes) -> Iterator[tuple[str, str]]:
    """Yield ``(chunk type, keyword + text)`` for the tEXt, zTXt and iTXt chunks of a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        msg = "not a PNG file"
        raise ValueError(msg)
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8].decode("latin-1")
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == "tEXt":
            key, _, text = body.partition(b"\0")
            yield kind, key.decode("latin-1") + " " + text.decode("latin-1")
        elif kind == "zTXt":
            key, _, rest = body.partition(b"\0")
            yield kind, key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == "iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _trans, _, text = rest.partition(b"\0")
            if compressed:
                text = zlib.decompress(text)
            yield kind, key.decode("latin-1") + " " + text.decode("utf-8", errors="replace")
        elif kind == "IEND":
            break


def scan_file(path: Path, *, name: str, threshold: int = 5) -> list[Finding]:
    """Findings for one file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in _KNOWN:
        return [Finding(name, "file", "unknown_file")]
    try:
        if suffix == ".csv":
            return scan_frame(read_csv_as_text(path)[0], file=name, threshold=threshold)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            out = scan_frame(table.to_pandas(), file=name, threshold=threshold)
            for k, v in (table.schema.metadata or {}).items():
                if k != b"pandas":
                    out += scan_text(v.decode("utf-8", "replace"), file=name,
                                     location="parquet metadata", threshold=threshold)
            return out
        if suffix == ".png":
            out = []
            for kind, text in png_text_chunks(path.read_bytes()):
                out += scan_text(text, file=name, location=f"png {kind} chunk",
                                 threshold=threshold)
            return out
        text = path.read_text(encoding="utf-8", errors="replace")
        if suffix == ".json":
            return _json_findings(json.loads(text), name, threshold)
        if suffix in (".html", ".htm"):
            return _html_findings(text, name, threshold)
        return scan_text(text, file=name, threshold=threshold)
    except (ValueError, OSError, zlib.error, struct.error) as err:
        return [Finding(name, f"file ({type(err).__name__})", "unreadable")]
    except Exception as err:  # noqa: BLE001 - any parser failure is a finding, not a crash
        return [Finding(name, f"file ({type(err).__name__})", "unreadable")]


def check_release(path: str | Path, *, threshold: int = 5) -> ReleaseCheck:
    r"""Scan a folder (or one file) about to leave the server.

    Parameters
    ----------
    path
        The release folder; every file below it is scanned, hidden ones too.
    threshold
        Counts ``1 .. threshold - 1`` are findings.

    Returns
    -------
    ReleaseCheck
        Its ``findings`` name file, location and rule, never a value;
        ``render()`` gives one screen of text; ``exit_code`` is non-zero on any
        finding.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.csv").write_text("area,n\na,3\nb,40\n")
    >>> [f.rule for f in check_release(d).findings]
    ['small_count']

    """
    check_int_range("threshold", threshold, low=2)
    root = Path(path)
    if not root.exists():
        from cohort.exceptions import UserError

        msg = f"no such file or folder: {root}"
        raise UserError(msg)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    findings: list[Finding] = []
    for p in files:
        name = p.name if root.is_file() else p.relative_to(root).as_posix()
        findings += scan_text(name, file=name, location="file name", threshold=threshold)
        findings += scan_file(p, name=name, threshold=threshold)
    return ReleaseCheck(path=str(root), files=len(files), threshold=threshold,
                        findings=tuple(findings))
