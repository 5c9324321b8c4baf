"""The release checker: scan a folder about to leave the server.

``check_release(path)`` walks a folder without following symbolic links and
reads every file the library writes (CSV, Parquet, JSON, HTML, SVG,
TXT/MD/log/TOML, PNG), down to comments, scripts, attributes, embedded
``data:`` URIs, metadata and PNG chunks (docs/disclosure.md §4 lists exactly
what is read and how). It reports what must not leave:

=================  ==========================================================
rule               what it finds
=================  ==========================================================
``pid_column``     a column (or JSON key) named like a person id: pid, *_pid,
                   cpr, pnr, person_id, mother_pid, ...
``pid_values``     a column of many distinct opaque id-like values; a
                   ``pid=...`` pair or a long hex token (a pseudonym) in text
``cpr_hyphenated`` ``DDMMYY-XXXX`` with a valid date, with any dash or a space
                   between the parts, anywhere (also inside words and URLs)
``cpr_shaped``     ten digits whose first six are a valid ``DDMMYY``, as a
                   whole cell or a token in text; a whole number of 9-10
                   digits that is one once padded, unless its column or key
                   says it is a count, size, time or statistic
``small_count``    a count in ``1 .. threshold - 1``: in a count column, or
                   next to a count label or a word for persons or events in
                   running text (Danish or English)
``person_level``   a column of a single person's data (birth date, address id,
                   moving dates)
``min_max``        a minimum or maximum (a column, a row label, ``max = ...``)
``symlink``        a symbolic link (to a folder, a file, or nothing): never
                   followed, since copying the release would carry its target
``unknown_file``   a file type the checker cannot read (also compressed or
                   binary content, unknown PNG chunks, unknown ``data:`` URIs,
                   FIFOs and other special files): it cannot vouch for it
``unreadable``     a file of a known type that does not parse, or a file or
                   folder that cannot be read
=================  ==========================================================

A finding names the file, the location (column, key, line, chunk) and the rule,
with the number of cells or matches -- never the value.
"""

from __future__ import annotations

import base64
import binascii
import csv
import html as _html
import io
import itertools
import json
import os
import re
import stat
import struct
import unicodedata
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from cohort._params import check_int_range
from cohort.disclosure._cpr import (
    _PID_ASSIGN,
    HEX_TOKEN,
    is_pid_name,
    iter_cpr,
    normalize_name,
    scrub_text,
    valid_ddmmyy,
)

__all__ = ["Finding", "ReleaseCheck", "check_release", "scan_file", "scan_frame", "scan_text"]

# ------------------------------------------------------------------ names
# All name patterns are matched against normalize_name(name): lower case, words
# joined by "_" ("Rows read" -> "rows_read", "nPersons" -> "n_persons").
_COUNT_NAME = re.compile(
    r"^(n|count|counts|freq|frequency|numerator|denominator|persons|population|events?"
    r"|births|deaths|in_moves|out_moves|moves|at_risk|cases|antal|personer|hændelser"
    r"|haendelser)$"
    r"|^n_|_n$|_count$|^count_|_persons$|^persons_|_events?$|n_?risk|n_?event|^antal_|_antal$"
)
_DIM_NAME = re.compile(
    r"(year|month|week|day|date|age|time|period|quarter|code|kom|municipality|region"
    r"|area|rank|order|level|group|lag|lead|cohort|grade|term|seed|version|index|idx|bytes"
    r"|suppressed|cells|rows|files|threshold|base|sex|koen|gender|quintile|decile|percentile"
    r"|category|class|type|status|goal"
    # the same in Danish (a report in Danish names its columns so)
    r"|år|aar|måned|maaned|alder|område|omraade|kommune|gruppe|periode|mål|maal|niveau"
    # shares, rates and estimates are not counts, even when every value is whole
    r"|share|rate|ratio|prop|pct|percent|per_1000|estimate|conf_|std_error|statistic"
    r"|p_value|value|mean|effectiveness"
    # nor are differences of counts (net moves: in-moves minus out-moves)
    r"|(?:^|_)net(?:_|$)|difference)"
)
_PERSON_COL = re.compile(
    r"^(birth_?date|date_of_birth|foed_?dag|fødselsdag|fødselsdato|foedselsdato|death_?date"
    r"|doed_?dato|dødsdato|address_?id|adresse_?id|moved_?in|moved_?out|bop_?vfra|bop_?vtil"
    r"|decision_?date)$"
)
_MINMAX_NAME = re.compile(r"(^|_)(min|max|minimum|maximum|maks|maksimum)(_|$)")
_MINMAX_LABEL = re.compile(r"(?i)^\s*(min|max|minimum|maximum|maks|maksimum)\s*$")
_MINMAX_TEXT = re.compile(
    r"(?i)\b(min|max|minimum|maximum|maks|maksimum)\b\s*[=:]\s*[-\u2212]?\d"
)
_OPAQUE = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{6,64}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

#: Words of a name that declare a numeric role: a count, a size, a seed, a time or
#: a statistic. A whole number in such a column or under such a key is read as a
#: quantity, not as a CPR number that lost its leading zero (a 110,950,060-byte
#: file padded to ten digits is 0110950060, a valid DDMMYY).
_ROLE_WORDS = frozenset("""
    n count counts antal freq frequency numerator denominator persons personer population
    event events births deaths cases moves risk total totals sum ialt
    bytes byte size sizes filesize length rows records lines cells files nrows
    seed seeds
    date dato time tid timestamp year years aar month months day days week weeks quarter
    period duration elapsed seconds secs ms created modified mtime ctime
    estimate estimates std error se sd statistic conf lb ub mean median average avg
    income indkomst amount beloeb beløb dkk kr share rate ratio pct percent prop coef hr irr
    wage wages salary loen løn
""".split())
#: Words of a name that say it identifies something: never a numeric role.
_IDENT_WORDS = frozenset("""
    id ids key keys code codes kode koder ref refs reference label labels name names navn
    pid pids cpr pnr lbnr uuid guid hash token pseudonym nr nummer number no identifier serial
""".split())


def _has_role(norm: str) -> bool:
    words = set(norm.split("_"))
    if words & _IDENT_WORDS or is_pid_name(norm):
        return False
    return bool(words & _ROLE_WORDS) or bool(_COUNT_NAME.search(norm))


# ---------------------------------------------------------------- numbers
_SPACE_SEP = " \u00a0\u2007\u2009\u202f"
_SIGN = "[+\\-\u2212]?"
#: English: "," groups thousands, "." is the decimal mark; Danish the other way
#: round; a space (also non-breaking, thin, figure) groups thousands in both.
_NUM_EN = re.compile(
    rf"^{_SIGN}(?:(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,3}}(?:[{_SPACE_SEP}]\d{{3}})+|\d+)(?:\.\d*)?"
    rf"|\.\d+)(?:[eE][+\-]?\d+)?$"
)
_NUM_DA = re.compile(
    rf"^{_SIGN}(?:(?:\d{{1,3}}(?:\.\d{{3}})+|\d{{1,3}}(?:[{_SPACE_SEP}]\d{{3}})+|\d+)(?:,\d*)?"
    rf"|,\d+)$"
)
_LEADING_ZERO = re.compile(r"^[+\-\u2212]?0\d")
#: Cells that stand for a missing or suppressed value, not for text.
_MISSING = frozenset(["", "·", "•", "-", "–", "—", "−", ".", "..", "...", "…", "na", "n/a",
                      "n.a.", "nan", "none", "null", "<na>", "nat", "*", "**", "x", "inf",
                      "-inf", "+inf", "∞"])
_SUPPRESSED = re.compile(r"^\(?\s*[<≤]\s*\d+\s*\)?$")


def _number(text: str) -> tuple[float | None, float | None]:
    """The value of a cell under English and under Danish conventions (None: not one)."""
    if text.isascii() and text.isdigit():
        v = float(text)
        return v, v
    en = da = None
    t = text.replace("\u2212", "-")
    if _NUM_EN.match(t):
        en = float(re.sub(f"[,{_SPACE_SEP}]", "", t))
    if _NUM_DA.match(t):
        da = float(re.sub(f"[.{_SPACE_SEP}]", "", t).replace(",", "."))
    return en, da


def _is_missing(text: str) -> bool:
    return text.lower() in _MISSING or bool(_SUPPRESSED.match(text))


def _padded_cpr(v: float) -> bool:
    """A whole number of 9-10 digits that is a CPR number once padded to ten digits."""
    if not (1e8 <= v < 1e10) or v != round(v):
        return False
    s = f"{int(v):010d}"
    return valid_ddmmyy(s[0:2], s[2:4], s[4:6])


# ------------------------------------------------------------------ text
_FORMAT_CHARS = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\ufeff\ufe00-\ufe0f]"
)


def _normalize(text: str) -> str:
    """Text as a reader sees it.

    Compatibility forms are folded (full-width digits, no-break spaces) and
    invisible format characters (zero-width space, soft hyphen) removed.
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", _FORMAT_CHARS.sub("", text))


def _words(spec: str) -> str:
    return "|".join(spec.split())


_PERSON_NOUNS = _words(r"""
    persons? people individuals? child(?:ren)? kids? patients? cases? events? deaths? births?
    residents? inhabitants? citizens? men women woman boys? girls? mothers? fathers? parents?
    famil(?:y|ies) households? pupils? students? respondents? participants? employees?
    (?:in-|out-)?movers? (?:in-|out-)?moves immigrants? emigrants? descendants? refugees?
    adults? youths? teenagers? adolescents? infants? newborns? bab(?:y|ies) siblings? twins?
    victims? offenders? recipients? claimants? pensioners? members? deceased
    personer person individer individ børn barn patienter tilfælde hændelser hændelse
    dødsfald døde fødsler fødsel fødte beboere beboer indbyggere indbygger borgere borger
    mænd mand kvinder kvinde drenge dreng piger pige mødre fædre forældre familier familie
    husstande husstand elever elev studerende respondenter deltagere deltager ansatte
    medarbejdere tilflyttere tilflytter fraflyttere fraflytter flytninger flytning
    tilflytninger fraflytninger indvandrere indvandrer efterkommere efterkommer flygtninge
    flygtning voksne unge teenagere spædbørn søskende tvillinger ofre dømte modtagere modtager
    pensionister ledige medlemmer medlem enlige
""")
_STOP_NOUNS = _words(r"""
    tables? tabeller? figures? figurer? years? år months? måneder? weeks? uger? days? dage dag
    hours? timer? minutes? minutter seconds? sekunder categories category kategorier kategori
    groups? grupper? areas? områder område municipalit(?:y|ies) kommuner? regions? regioner?
    registers? registre files? filer? columns? kolonner? rows? rækker? steps? trin pages?
    sider? sections? afsnit chapters? kapitler kapitel models? modeller? variables? variabler?
    indicators? indikatorer? criteria criterion kriterier? iterations? bins? quantiles?
    levels? niveauer? waves? items? questions? spørgsmål analyses analysis analyser? tests?
    runs? kørsler cores? threads? points? punkter? percent procent pct times gange units?
    enheder? dimensions? classes class types? typer? codes? koder? values? værdier? digits?
    cifre decimals? estates? parishes sogne quarters? kvartaler? periods? perioder? cohorts?
    kohorter? strata panels? scenarios? scenarier
""")
_ADJ = _words(r"""
    [a-zæøå]+-[a-zæøå-]+ new young old older other more additional extra unique distinct
    different single elderly male female danish foreign western exposed treated eligible
    remaining sick poor rich nye unge gamle ældre andre flere yderligere forskellige enlige
    danske udenlandske mandlige kvindelige udsatte nyankomne syge fattige
    [a-zæøå]{3,}(?:ed|ing|al|ive|ous|ic|ful|less|able|ible|ish|ian|ese|ary|ory|ile|ede|ige|ske|lige|ende)
""")
_PERSON_RE = re.compile(rf"(?i)^(?:{_PERSON_NOUNS})$")
_STOP_RE = re.compile(rf"(?i)^(?:{_STOP_NOUNS})$")
#: A number as written: thousands groups or a decimal part make it no small count.
_NUM_TOK = re.compile(
    r"(?<![\w.,\-\u2010-\u2015\u2212/])"
    r"(\d{1,3}(?:[,. ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
    r"(?![\w\-\u2010-\u2015]|[.,]\d)"
)
_HAS_DIGIT = re.compile(r"\d")
#: "n = 3", "Antal personer: 3", "number of deaths: 2", "persons is 3", '"n": 3'
_LABEL_BEFORE = re.compile(
    r"(?i)(?<!\w)(?P<lab>n|antal(?:\s+[\w-]+){0,3}|count|number\s+of(?:\s+[\w-]+){1,3}"
    r"|no\.\s*of(?:\s+[\w-]+){1,3}|frequency|freq|hyppighed|at\s+risk|i\s+alt"
    rf"|{_PERSON_NOUNS})[\"']?\s*(?:[=:]|\s(?:is|was|were|are|er|var|blev|equals?)\s)\s*$"
)
#: "3 persons", "3 resource-strong persons", "3 nye beboere"
_NOUN_AFTER = re.compile(rf"(?i) +(?:(?:{_ADJ}) +)?(?:{_PERSON_NOUNS})(?![\w-])")
#: "3 of the children"
_OF_THE_NOUN = re.compile(
    rf"(?i) +(?:of|af) +(?:the|de|these|those|disse|dem|them)(?: +(?:{_ADJ}))? "
    rf"+(?:{_PERSON_NOUNS})(?![\w-])"
)
#: "3 of 43", "3 af 43", "3 out of the 43 residents"
_OF_M = re.compile(
    r"(?i) +(?:of|af|out +of|ud +af) +(?:(?:the|de|all|alle|these|disse|in +total|i +alt) +)?"
    r"(?P<m>\d{1,3}(?:[,. ]\d{3})+|\d+)(?![\w\-]|[.,]\d)(?P<after>(?: +[\w-]+){0,2})"
)
#: A number right after such a word is a label, not a count: "figure 3", "step 3".
_PRE_LABEL = re.compile(
    r"(?i)(?:(?<![\w-])(?:figs?|figures?|figur(?:er)?|tab|tables?|tabel(?:ler)?|versions?|ver|v"
    r"|steps?|trin|pages?|p|pp|sider?|sections?|sec|afsnit|chapters?|kapitel|kap|models?"
    r"|modeller?|waves?|bølge|appendix|bilag|parts?|del|no|nr|numbers?|nummer|items?|punkt"
    r"|questions?|spørgsmål|rounds?|runde|runs?|iterations?|folds?|levels?|niveau|grades?"
    r"|klasse|class|rank|years?|år|ages?|alder|aged|weeks?|uge|days?|dag|months?|måned"
    r"|quarters?|kvartal|lines?|linje|rows?|række|columns?|kolonne|cells?|celle|panels?"
    r"|groups?|gruppe|cohorts?|kohorte|areas?|område|zones?|rooms?|houses?|buildings?|eq"
    r"|equations?|ligning|scenarios?|examples?|eksempel|exercises?|opgave|study|studie"
    r"|phases?|fase|stages?|stadie|lags?|periods?|periode|seeds?|threshold|tærskel|base|top"
    r"|size|størrelse)\.?|[#§№])\s*$"
)
#: A number after a bound or in a range is no count: "1 to 4", "fewer than 5".
_PRE_BOUND = re.compile(
    r"(?i)(?:\d\s*(?:-|–|—|to|til|and|og|or|eller)|(?<![\w-])(?:than|end|under|below|above"
    r"|over|up\s+to|op\s+til|op\s+mod|at\s+least|at\s+most|mindst|højst|maximum|minimum|maks"
    r"|max|min|about|around|approx|approximately|omkring|cirka|ca|circa|roughly|nearly"
    r"|almost|næsten|knap|per|pr|every|each|hver|hvert)\.?|[<>≤≥~≈±])\s*$"
)


def _int_value(tok: str) -> int | None:
    """A written whole number (thousands groups allowed), else None."""
    if tok.isdigit():
        return int(tok)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+|\d{1,3}(?: \d{3})+", tok):
        return int(re.sub(r"\D", "", tok))
    return None


def _stop_follows(after: str) -> bool:
    words = after.split()
    if not words or _PERSON_RE.match(words[0]):
        return False
    return any(_STOP_RE.match(w) for w in words)


def _label_is_stop(label: str) -> bool:
    return any(_STOP_RE.match(w) for w in label.split()[1:])


def _iter_small_counts(s: str, threshold: int) -> Iterator[tuple[int, int]]:
    """Spans of small counts of persons or events in running text."""
    if not _HAS_DIGIT.search(s):
        return
    for m in _NUM_TOK.finditer(s):
        tok = m.group(1)
        a, b = m.span()
        n = int(tok) if tok.isdigit() else None
        before = s[max(0, a - 60):a]
        of = _OF_M.match(s, b)
        if of is not None:
            total = _int_value(of.group("m"))
            if (n is None or total is None or _PRE_LABEL.search(before)
                    or _stop_follows(of.group("after"))):
                continue
            if 1 <= n < threshold or (n <= total and 1 <= total - n < threshold):
                yield a, of.end("m")
            continue
        if n is None or not 1 <= n < threshold:
            continue
        label = _LABEL_BEFORE.search(before)
        if label is not None:
            if not _label_is_stop(label.group("lab")):
                yield a - len(before) + label.start(), b
            continue
        if _PRE_LABEL.search(before) or _PRE_BOUND.search(before):
            continue
        noun = _NOUN_AFTER.match(s, b) or _OF_THE_NOUN.match(s, b)
        if noun is not None:
            yield a, noun.end()


def _iter_text_matches(s: str, threshold: int, *, counts: bool) -> Iterator[tuple[str, int, int]]:
    """``(rule, start, end)`` of everything in one normalised line of text."""
    for kind, a, b in iter_cpr(s):
        yield ("cpr_hyphenated" if kind == "hyphenated" else "cpr_shaped"), a, b
    for m in _PID_ASSIGN.finditer(s):
        yield "pid_values", m.start(), m.end()
    for m in HEX_TOKEN.finditer(s):
        yield "pid_values", m.start(), m.end()
    for m in _MINMAX_TEXT.finditer(s):
        yield "min_max", m.start(), m.end()
    if counts:
        for a, b in _iter_small_counts(s, threshold):
            yield "small_count", a, b


# A block of text: (location, first line number or None, text, counts?[, wrap?]).
# The location of line k of a block is "<location> line <first + k>". ``wrap``
# (default True): the block is prose, whose lines may break a sentence, so each
# line end is scanned with the text around it; False for line-oriented text
# (logs, TOML, scripts, attribute values).
_Block = tuple


class _Scan:
    """Collects findings for one file; text findings are summed per rule."""

    def __init__(self, file: str, threshold: int, depth: int = 0) -> None:
        self.file = file
        self.threshold = threshold
        self.depth = depth
        self.findings: list[Finding] = []
        self._text: dict[str, list] = {}

    def add(self, location: str, rule: str, count: int = 1) -> None:
        if count:
            self.findings.append(Finding(self.file, location, rule, int(count)))

    def _add_text(self, rule: str, where: str) -> None:
        entry = self._text.setdefault(rule, [0, where])
        entry[0] += 1

    def blocks(self, blocks: Iterable[_Block]) -> None:
        for where, first, text, counts, *rest in blocks:
            wrap = rest[0] if rest else True
            if "ata:" in text:
                at = where if first is None else f"{where} line {first}".strip()
                text = _data_uris(self, text, at)
            prev = ""
            prev_where = where
            for k, line in enumerate(text.splitlines() or [text]):
                loc = where if first is None else f"{where} line {first + k}".strip()
                line = _normalize(line)
                for rule, _, _ in _iter_text_matches(line, self.threshold, counts=counts):
                    self._add_text(rule, loc)
                if wrap and prev and line:
                    # a match broken over a line end (text wrapped in a paragraph)
                    tail, head = prev[-80:], line[:80]
                    joint = f"{tail} {head}"
                    for rule, a, b in _iter_text_matches(joint, self.threshold, counts=counts):
                        if a < len(tail) < b - 1:
                            self._add_text(rule, prev_where)
                prev, prev_where = line, loc

    def result(self) -> list[Finding]:
        out = [Finding(self.file, where, rule, n) for rule, (n, where) in self._text.items()]
        self._text = {}
        return self.findings + out


def _loc(where: str, inner: str) -> str:
    if not inner:
        return where
    return f"{where}, {inner}" if where else inner


# -------------------------------------------------------------- findings
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


# --------------------------------------------------------------- columns
def _scan_column(
    name: str,
    values: pd.Series | Sequence[object],
    *,
    scan: _Scan,
    loc: str,
    table: bool = True,
    count_hint: bool = False,
    role_hint: bool = False,
    names: bool = True,
) -> None:
    """The tabular rules for one column (or the values of one JSON key).

    ``table``: the values are a table column (a whole-number column not named like
    a dimension is a count column); else single values under a key, which are
    counts only by name. ``count_hint``/``role_hint``: an enclosing key says the
    values are counts / quantities. ``names``: apply the rules on the name (JSON
    keys are checked where they are read).
    """
    norm = normalize_name(name)
    thr = scan.threshold
    if names:
        if is_pid_name(name):
            scan.add(loc, "pid_column")
        if _PERSON_COL.match(norm):
            scan.add(loc, "person_level")
        if _MINMAX_NAME.search(norm):
            scan.add(loc, "min_max")
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if s.empty:
        return
    idents = bool(set(norm.split("_")) & _IDENT_WORDS) or is_pid_name(norm)
    role = _has_role(norm) or (role_hint and not idents)
    texts: list[str] = []       # cells that are text
    num_text: list[str] = []    # cells written as numbers
    en_vals: list[float | None] = []
    da_vals: list[float | None] = []
    typed: np.ndarray
    if pd.api.types.is_bool_dtype(s.dtype):
        return
    if pd.api.types.is_numeric_dtype(s.dtype):
        typed = s.to_numpy(dtype=float, na_value=np.nan)
        typed = typed[np.isfinite(typed)]
    elif pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(
            s.dtype):
        return
    else:
        nums: list[float] = []
        for v in s.tolist():
            if v is None or v is pd.NA or isinstance(v, bool | np.bool_):
                continue
            if isinstance(v, int | float | np.integer | np.floating | Decimal):
                f = float(v)
                if np.isfinite(f):
                    nums.append(f)
                continue
            if isinstance(v, bytes | bytearray | memoryview):
                v = _bytes_text(bytes(v))
                if v is None:
                    scan.add(loc, "unknown_file")
                    continue
            t = _normalize(v if isinstance(v, str) else str(v)).strip()
            if _is_missing(t):
                continue
            en, da = _number(t)
            if en is None and da is None:
                texts.append(t)
            else:
                num_text.append(t)
                en_vals.append(en)
                da_vals.append(da)
        typed = np.asarray(nums, dtype=float)

    # text cells: CPR numbers, pids, pseudonyms, min/max row labels
    hyph = shaped = pids = minmax = 0
    for t in texts:
        kinds = {k for k, _, _ in iter_cpr(t)}
        hyph += "hyphenated" in kinds
        shaped += "ten" in kinds
        pids += bool(_PID_ASSIGN.search(t) or HEX_TOKEN.search(t))
        minmax += bool(_MINMAX_LABEL.match(t))
    # numbers: a leading zero is an identifier written as text, whatever the role
    for t, en, da in zip(num_text, en_vals, da_vals, strict=True):
        if _LEADING_ZERO.match(t):
            kinds = {k for k, _, _ in iter_cpr(t)}
            shaped += "ten" in kinds
            hyph += "hyphenated" in kinds
        elif not role and any(v is not None and _padded_cpr(v) for v in (en, da)):
            shaped += 1
    if not role:
        shaped += sum(_padded_cpr(v) for v in typed[(typed >= 1e8) & (typed < 1e10)])
    scan.add(loc, "cpr_hyphenated", hyph)
    scan.add(loc, "cpr_shaped", shaped)
    scan.add(loc, "pid_values", pids)
    scan.add(loc, "min_max", minmax)

    cells = texts + num_text
    if texts and len(cells) >= 10:
        strings = pd.Series(cells, dtype=object)
        if strings.nunique() >= 0.9 * len(strings):
            opaque = strings.str.match(_OPAQUE) & ~strings.str.match(_ISO_DATE)
            if opaque.mean() >= 0.9:
                scan.add(loc, "pid_values", int(opaque.sum()))

    if not num_text and not len(typed):
        return
    # every reading of the written numbers that parses them all (English,
    # Danish); cells that parse only one way take that one
    readings = []
    if all(v is not None for v in en_vals):
        readings.append(en_vals)
    if all(v is not None for v in da_vals) and da_vals != en_vals:
        readings.append(da_vals)
    if not readings:
        readings.append([e if e is not None else d for e, d in zip(en_vals, da_vals,
                                                                     strict=True)])
    arrays = [np.concatenate([typed, np.asarray(r, dtype=float)]) for r in readings]
    wholes = [a for a in arrays if len(a) and (a == np.round(a)).all()]
    if len(arrays) > 1 and wholes:
        # "1,234" is 1234 or 1.234: counts are whole, so a reading that makes the
        # column whole is the one a count column is written in
        arrays = wholes
    full = not texts
    counted = {"pid_values": 0, "small_count": 0}
    for v in arrays:
        whole = bool(len(v)) and bool((v == np.round(v)).all())
        if (not role and full and whole and len(v) >= 20 and (v >= 1e6).all()
                and len(np.unique(v)) >= 0.9 * len(v)):
            counted["pid_values"] = max(counted["pid_values"], len(v))
        count_like = count_hint or bool(_COUNT_NAME.search(norm)) or (
            table and full and whole and not _DIM_NAME.search(norm))
        if count_like:
            small = int(((v >= 1) & (v < thr)).sum())
            counted["small_count"] = max(counted["small_count"], small)
    for rule, n in counted.items():
        scan.add(loc, rule, n)


def _frame(df: pd.DataFrame, scan: _Scan, where: str) -> None:
    pre = f"{where}, " if where else ""
    for k in range(df.shape[1]):
        name = str(df.columns[k])
        scan.blocks([(f"{pre}header of column {k + 1}", None, name, True)])
        _scan_column(name, df.iloc[:, k], scan=scan, loc=f"{pre}column {name!r}")


def scan_frame(
    df: pd.DataFrame, *, file: str, threshold: int = 5, where: str = ""
) -> list[Finding]:
    """Findings for one table (all cells as read, strings keep leading zeros)."""
    scan = _Scan(file, threshold)
    _frame(df, scan, where)
    return scan.result()


def scan_text(text: str, *, file: str, location: str = "text", threshold: int = 5) -> list[Finding]:
    """Findings in free text (logs, reports, SVG, PNG text chunks, JSON strings)."""
    scan = _Scan(file, threshold)
    if location == "text":
        scan.blocks([("text", 1, text, True)])
    else:
        scan.blocks([(location, None, text, True)])
    return scan.result()


# ------------------------------------------------------------ decoding
class _NotText(ValueError):
    """The content is binary or compressed, not text."""


_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\xfd7zXZ\x00",
                 b"\x28\xb5\x2f\xfd", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x04\x22\x4d\x18",
                 b"%PDF-", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"SQLite format 3\x00",
                 b"\x7fELF", b"\x89HDF", b"PAR1", b"\x89PNG", b"OggS", b"II*\x00",
                 b"MM\x00*", b"wOF2", b"wOFF", b"\xd0\xcf\x11\xe0", b"ARROW1",
                 b"\x1f\x9d", b"\x1f\xa0", b"BZh")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _decode_text(raw: bytes) -> str:
    """Text from bytes: a BOM's encoding, UTF-16/32 without a BOM, UTF-8, else cp1252/Latin-1.

    Raises ``_NotText`` for compressed or binary content.
    """
    if any(raw.startswith(m) for m in _BINARY_MAGIC):
        raise _NotText
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                     (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
                     (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            text = raw[len(bom):].decode(enc)
            break
    else:
        sample = raw[:4096]
        if b"\x00" in sample:
            # UTF-16 or UTF-32 without a BOM: the zero bytes of ASCII characters
            n = len(sample)
            q = [sample[i::4].count(0) / max(1, len(sample[i::4])) for i in range(4)]
            even = sample[0::2].count(0) / max(1, len(sample[0::2]))
            odd = sample[1::2].count(0) / max(1, len(sample[1::2]))
            candidates = []
            if n >= 8 and q[2] > 0.9 and q[3] > 0.9 and q[0] < 0.05:
                candidates.append("utf-32-le")
            if n >= 8 and q[0] > 0.9 and q[1] > 0.9 and q[3] < 0.05:
                candidates.append("utf-32-be")
            if odd > 0.3 and even < 0.05:
                candidates.append("utf-16-le")
            if even > 0.3 and odd < 0.05:
                candidates.append("utf-16-be")
            for enc in candidates:
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise _NotText
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError:
                    text = raw.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(_CONTROL.findall(text[:65536])) > 0.01 * min(len(text), 65536) + 1:
        raise _NotText
    return text


def _bytes_text(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


def _inflate(data: bytes, limit: int = 64 << 20) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, limit)
    if d.unconsumed_tail:
        msg = "compressed chunk too large"
        raise ValueError(msg)
    return out


_ASCII_RUN = re.compile(rb"[\x20-\x7e]{4,}")
_UTF16BE_RUN = re.compile(rb"(?:\x00[\x20-\x7e]){4,}")
_UTF16LE_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){4,}")


def _strings(raw: bytes) -> list[str]:
    """The printable strings of binary data (ASCII, UTF-16)."""
    parts = [m.group(0).decode("ascii") for m in _ASCII_RUN.finditer(raw)]
    parts += [m.group(0).decode("utf-16-be") for m in _UTF16BE_RUN.finditer(raw)]
    parts += [m.group(0).decode("utf-16-le") for m in _UTF16LE_RUN.finditer(raw)]
    return parts


# ------------------------------------------------------------ data: URIs
_DATA_URI = re.compile(
    r"(?i)(?<![\w.+\-])data:(?P<mt>[a-z0-9!#$&^_.+\-]+/[a-z0-9!#$&^_.+\-]+)?"
    r"(?P<params>(?:;[a-z0-9!#$&^_.+\-]+(?:=(?:\"[^\"]*\"|[^;,\s\"'()<>]*))?)*),"
    r"(?P<data>[^\s\"'()<>]*)"
)
_MEDIA_KIND = {
    "text/html": "html", "application/xhtml+xml": "html", "image/svg+xml": "svg",
    "text/xml": "svg", "application/xml": "svg", "application/json": "json",
    "text/json": "json", "text/csv": "csv", "text/tab-separated-values": "tsv",
    "image/png": "png", "image/apng": "png", "text/markdown": "md",
    "application/javascript": "text", "application/ecmascript": "text",
}
_MAX_DEPTH = 4


def _media_kind(mt: str) -> str | None:
    if mt in _MEDIA_KIND:
        return _MEDIA_KIND[mt]
    if mt.endswith("+json"):
        return "json"
    if mt.startswith("text/"):
        return "text"
    return None


def _data_uris(scan: _Scan, text: str, where: str) -> str:
    """Decode and scan the ``data:`` URIs in a text; return the text without them."""
    pieces = []
    last = 0
    for k, m in enumerate(_DATA_URI.finditer(text), start=1):
        mt = (m.group("mt") or "text/plain").lower()
        params = [p.strip().lower() for p in (m.group("params") or "").split(";") if p.strip()]
        shown = mt if re.fullmatch(r"[a-z0-9.+\-]+/[a-z0-9.+\-]+", mt) else "unknown type"
        here = _loc(where, f"data: URI {k} ({shown})")
        payload = m.group("data")
        try:
            if "base64" in params:
                compact = re.sub(r"\s+", "", urllib.parse.unquote(payload))
                compact += "=" * (-len(compact) % 4)
                try:
                    raw = base64.b64decode(compact, validate=True)
                except binascii.Error:  # the URL-safe alphabet
                    raw = base64.b64decode(compact, altchars=b"-_", validate=True)
            else:
                raw = urllib.parse.unquote_to_bytes(payload)
        except (binascii.Error, ValueError):
            scan.add(here, "unknown_file")
        else:
            kind = _media_kind(mt)
            if raw.startswith(b"\x89PNG\r\n\x1a\n"):
                kind = "png"
            charset = next((p.split("=", 1)[1].strip('"') for p in params
                            if p.startswith("charset=")), None)
            if kind is None:
                if raw:
                    scan.add(here, "unknown_file")
            elif scan.depth >= _MAX_DEPTH:
                scan.add(here, "unknown_file")
            else:
                _content(raw, kind, scan, here, charset=charset)
        pieces.append(text[last:m.start()])
        pieces.append(" ")
        last = m.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


# ------------------------------------------------------------------ HTML
def _span(value: str | None, cap: int, *, zero: int) -> int:
    """A colspan or rowspan: 1 when missing or bad, ``zero`` for 0, at most ``cap``."""
    if value is None:
        return 1
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    if n == 0:
        return zero
    return max(1, min(n, cap))


class _TableBuild:
    def __init__(self) -> None:
        self.rows: list[tuple[str, list[tuple[str, int, int, bool]]]] = []
        self.row: list[tuple[str, int, int, bool]] | None = None
        self.cell: list[str] | None = None
        self.meta = (1, 1, False)
        self.section = "body"

    def start_row(self) -> None:
        self.close_cell()
        self.row = []
        self.rows.append((self.section, self.row))

    def start_cell(self, attrs: dict, *, th: bool) -> None:
        self.close_cell()
        if self.row is None:
            self.start_row()
        self.cell = []
        self.meta = (_span(attrs.get("colspan"), 1000, zero=1),
                     _span(attrs.get("rowspan"), 65534, zero=65534), th)

    def close_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.append((re.sub(r"\s+", " ", "".join(self.cell)).strip(), *self.meta))
        self.cell = None


def _table_frame(rows: list[tuple[str, list[tuple[str, int, int, bool]]]]) -> pd.DataFrame | None:
    rows = [(sec, cells) for sec, cells in rows if cells]
    if not rows:
        return None
    grid: dict[tuple[int, int], str] = {}
    n = len(rows)
    width = 0
    for r, (_, cells) in enumerate(rows):
        c = 0
        for text, cs, rs, _ in cells:
            while (r, c) in grid:
                c += 1
            for dr in range(min(rs, n - r)):
                for dc in range(cs):
                    grid[(r + dr, c + dc)] = text
            c += cs
            width = max(width, c)
    head = [r for r, (sec, _) in enumerate(rows) if sec == "head"]
    if not head:
        for r, (_, cells) in enumerate(rows):
            if all(th for *_, th in cells) and r < n - 1:
                head.append(r)
            else:
                break
    names = []
    for c in range(width):
        parts: list[str] = []
        for r in head:
            t = grid.get((r, c), "")
            if t and (not parts or parts[-1] != t):
                parts.append(t)
        names.append(" ".join(parts) or f"column {c + 1}")
    body = [[grid.get((r, c), "") for c in range(width)] for r in range(n) if r not in head]
    if not body:
        return None
    df = pd.DataFrame(body, dtype=object)
    df.columns = names
    return df


class _Markup(HTMLParser):
    """HTML and SVG, parsed into text blocks and tables.

    Blocks (with line numbers): text, comments, scripts, styles, declarations and
    the attribute values of each tag.
    """

    _INLINE = frozenset(
        "a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd mark nobr q rp rt "
        "ruby s samp small span strike strong sub sup time tt u var wbr tspan textpath".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.json: list[tuple[str, str]] = []
        self.srcdoc: list[tuple[str, str]] = []
        self.tables: list[list] = []
        self._stack: list[_TableBuild] = []
        self._buf: list[str] = []
        self._buf_line = 1
        self._buf_cell = False
        self._raw: str | None = None
        self._raw_json = False

    def _flush(self) -> None:
        if self._buf:
            text = re.sub(r"\s+", " ", "".join(self._buf)).strip()
            if text:
                self.blocks.append(("", self._buf_line, text, not self._buf_cell))
            self._buf = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        line = self.getpos()[0]
        if tag not in self._INLINE:
            self._flush()
            if self._stack and self._stack[-1].cell is not None and tag not in ("td", "th"):
                self._stack[-1].cell.append("\n")
        parts = []
        for key, value in attrs:
            if value is None:
                continue
            if key == "srcdoc":
                self.srcdoc.append((f"attribute line {line}", value))
                continue
            if value.lstrip()[:5].lower() == "data:":
                value = re.sub(r"\s+", "", value)
            elif "%" in value:
                value = urllib.parse.unquote(value)
            parts.append(f"{key}={value}")
        if parts:  # one block per tag; " ; " keeps values apart
            self.blocks.append(("attribute", line, " ; ".join(parts), True, False))
        if tag in ("script", "style"):
            self._raw = tag
            self._raw_json = "json" in (dict(attrs).get("type") or "").lower()
        t = self._stack[-1] if self._stack else None
        if tag == "table":
            self._stack.append(_TableBuild())
        elif t is None:
            pass
        elif tag in ("thead", "tbody", "tfoot"):
            t.close_cell()
            t.row = None
            t.section = "head" if tag == "thead" else "body"
        elif tag == "tr":
            t.start_row()
        elif tag in ("td", "th"):
            t.start_cell(dict(attrs), th=tag == "th")

    def handle_endtag(self, tag: str) -> None:
        if tag not in self._INLINE:
            self._flush()
            if self._stack and self._stack[-1].cell is not None and tag not in ("td", "th"):
                self._stack[-1].cell.append("\n")
        if tag in ("script", "style"):
            self._raw = None
        t = self._stack[-1] if self._stack else None
        if t is None:
            return
        if tag == "table":
            t.close_cell()
            self.tables.append(t.rows)
            self._stack.pop()
        elif tag in ("td", "th"):
            t.close_cell()
        elif tag == "tr":
            t.close_cell()
            t.row = None
        elif tag in ("thead", "tbody", "tfoot"):
            t.close_cell()
            t.row = None
            t.section = "body"

    def handle_data(self, data: str) -> None:
        if self._raw:
            line = self.getpos()[0]
            if self._raw_json:
                self.json.append((f"script line {line}", data))
            else:
                self.blocks.append((self._raw, line, data, True, False))
            return
        if not self._buf:
            self._buf_line = self.getpos()[0]
            self._buf_cell = bool(self._stack and self._stack[-1].cell is not None)
        self._buf.append(data)
        if self._stack and self._stack[-1].cell is not None:
            self._stack[-1].cell.append(data)

    def _other(self, data: str, kind: str) -> None:
        self._flush()
        self.blocks.append((kind, self.getpos()[0], data, True))

    def handle_comment(self, data: str) -> None:
        self._other(data, "comment")

    def handle_decl(self, decl: str) -> None:
        self._other(decl, "declaration")

    def unknown_decl(self, data: str) -> None:
        self._other(data, "declaration")

    def handle_pi(self, data: str) -> None:
        self._other(data, "declaration")

    def close(self) -> None:
        super().close()
        self._flush()
        while self._stack:
            t = self._stack.pop()
            t.close_cell()
            self.tables.append(t.rows)


def _markup(text: str, scan: _Scan, where: str) -> None:
    p = _Markup()
    p.feed(text)
    p.close()
    for k, rows in enumerate(p.tables, start=1):
        df = _table_frame(rows)
        if df is not None:
            _frame(df, scan, _loc(where, f"html table {k}"))
    scan.blocks((_loc(where, w), *rest) for w, *rest in p.blocks)
    for w, data in p.json:
        try:
            _json(data, scan, _loc(where, w))
        except ValueError:
            scan.blocks([(_loc(where, w), None, data, True)])
    for w, doc in p.srcdoc:
        if scan.depth < _MAX_DEPTH:
            scan.depth += 1
            _markup(doc, scan, _loc(where, w))
            scan.depth -= 1
        else:
            scan.add(_loc(where, w), "unknown_file")


# ------------------------------------------------------------------ JSON
class _Pairs(list):
    """A JSON object as its list of (key, value) pairs: duplicate keys are kept."""


def _json(text: str, scan: _Scan, where: str) -> None:
    obj = json.loads(text, object_pairs_hook=_Pairs)
    cols: dict[str, list] = {}  # generalised path -> [name, table?, count?, role?, values]
    texts: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    flagged: set[tuple[str, str]] = set()

    def key_checks(key: str, gen: str, value: object) -> None:
        for rule, hit in (("pid_column", is_pid_name(key)),
                          ("person_level", bool(_PERSON_COL.match(normalize_name(key)))),
                          ("min_max", bool(_MINMAX_NAME.search(normalize_name(key)))
                           and not isinstance(value, list | _Pairs) and value is not None)):
            if hit and (gen, rule) not in flagged:
                flagged.add((gen, rule))
                scan.add(_loc(where, f"json {gen}"), rule)

    def walk(node: object, gen: str, name: str, *, cell: bool, counted: bool, role: bool,
             in_list: bool) -> None:
        if isinstance(node, _Pairs):
            d = dict(node)
            if ("columns" in d and "data" in d and isinstance(d["columns"], list)
                    and isinstance(d["data"], list)
                    and all(isinstance(r, list) and len(r) == len(d["columns"])
                            for r in d["data"])):
                df = pd.DataFrame(d["data"], dtype=object)
                df.columns = [str(c) for c in d["columns"]]
                _frame(df, scan, _loc(where, f"json {gen}"))
                node = _Pairs((k, v) for k, v in node if k not in ("columns", "data"))
            index_like = bool(node) and all(k.isdigit() for k, _ in node)
            for k, v in node:
                if index_like:
                    keys.setdefault(gen, []).append(k)
                    walk(v, f"{gen}.*", name, cell=True, counted=counted, role=role,
                         in_list=in_list)
                    continue
                child = f"{gen}.{k}"
                keys.setdefault(gen, []).append(k)
                key_checks(k, child, v)
                norm = normalize_name(k)
                walk(v, child, k, cell=cell or in_list,
                     counted=counted or bool(_COUNT_NAME.search(norm)),
                     role=_has_role(norm) or (role and not set(norm.split("_")) & _IDENT_WORDS),
                     in_list=False)
        elif isinstance(node, list):
            nested = bool(node) and all(isinstance(x, list) and not isinstance(x, _Pairs)
                                        for x in node) and len(
                {len(x) for x in node}) == 1 and len(node[0]) <= 100
            for x in node:
                if nested:
                    for j, y in enumerate(x):
                        walk(y, f"{gen}[*][{j}]", name, cell=True, counted=counted, role=role,
                             in_list=True)
                else:
                    walk(x, f"{gen}[*]", name, cell=cell, counted=counted, role=role,
                         in_list=True)
        elif isinstance(node, bool) or node is None:
            return
        elif isinstance(node, int | float):
            entry = cols.setdefault(gen, [name, in_list or cell, counted, role, []])
            entry[4].append(node)
        elif isinstance(node, str):
            if cell or any(v is not None for v in _number(_normalize(node).strip())):
                entry = cols.setdefault(gen, [name, in_list or cell, counted, role, []])
                entry[4].append(node)
            else:
                texts.setdefault(gen, []).append(node)

    walk(obj, "$", "", cell=False, counted=False, role=False, in_list=False)
    for gen, (name, table, counted, role, values) in cols.items():
        norm = normalize_name(name)
        _scan_column(name, values, scan=scan, loc=_loc(where, f"json {gen}"), table=table,
                     count_hint=counted and not _DIM_NAME.search(norm),
                     role_hint=role, names=False)
    # one block per value: separate values are not one wrapped text
    scan.blocks((_loc(where, f"json {gen}"), None, v, True)
                for gen, vs in texts.items() for v in vs)
    scan.blocks((_loc(where, f"json key at {gen}"), None, k, True)
                for gen, ks in keys.items() for k in dict.fromkeys(ks))


# ------------------------------------------------------------------- CSV
def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    best, best_score = ",", 0.0
    for d in (",", ";", "\t", "|"):
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(sample), delimiter=d), 50)
                    if r]
        except csv.Error:
            continue
        if len(sample) == 65536 and len(rows) > 1:
            rows = rows[:-1]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        score = width * consistent if consistent >= 0.8 else 0.0
        if score > best_score:
            best, best_score = d, score
    return best


def _csv(text: str, scan: _Scan, where: str, sep: str | None = None) -> None:
    df = pd.read_csv(io.StringIO(text), sep=sep or _sniff_delimiter(text), dtype=str,
                     keep_default_na=False, na_filter=False, engine="c")
    _frame(df, scan, where)


# --------------------------------------------------------------- Parquet
def _flatten_arrow(name: str, arr: object) -> list[tuple[str, object]]:
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = pa.concat_arrays(arr.chunks) if arr.num_chunks else pa.array([], type=arr.type)
    t = arr.type
    if pa.types.is_dictionary(t):
        return _flatten_arrow(name, arr.dictionary_decode())
    if isinstance(t, pa.ExtensionType):
        return _flatten_arrow(name, arr.storage)
    if pa.types.is_struct(t):
        out = []
        for i in range(t.num_fields):
            out += _flatten_arrow(f"{name}.{t.field(i).name}", arr.field(i))
        return out
    if pa.types.is_map(t):
        return (_flatten_arrow(f"{name}.key", arr.keys)
                + _flatten_arrow(f"{name}.value", arr.items))
    if (pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
            or getattr(pa.types, "is_list_view", lambda _: False)(t)
            or getattr(pa.types, "is_large_list_view", lambda _: False)(t)):
        return _flatten_arrow(f"{name}[*]", arr.flatten())
    return [(name, arr)]


def _arrow_values(arr: object) -> pd.Series:
    import pyarrow as pa

    t = arr.type
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return pd.Series(arr.to_numpy(zero_copy_only=False)).astype(float)
    if (pa.types.is_boolean(t) or pa.types.is_temporal(t) or pa.types.is_null(t)):
        return pd.Series([], dtype=object)
    return pd.Series(arr.to_pylist(), dtype=object)


def _parquet(raw: bytes, scan: _Scan, where: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(pa.BufferReader(raw))
    table = pf.read()
    # every column as stored: an index pandas wrote (__index_level_0__ or a named
    # index) is a column like any other, not restored as an index
    cols: list[tuple[str, object]] = []
    for field, col in zip(table.schema, table.columns, strict=True):
        cols += _flatten_arrow(field.name, col)
    for k, (name, arr) in enumerate(cols, start=1):
        scan.blocks([(_loc(where, f"header of column {k}"), None, name, True)])
        _scan_column(name, _arrow_values(arr), scan=scan, loc=_loc(where, f"column {name!r}"))
    meta = pf.metadata
    scan.blocks([(_loc(where, "parquet created_by"), None, meta.created_by or "", True)])
    for key, value in (meta.metadata or {}).items():
        if key == b"ARROW:schema":  # the Arrow schema: its metadata is read below
            continue
        ktext = key.decode("utf-8", "replace")
        vtext = value.decode("utf-8", "replace")
        here = _loc(where, "parquet metadata")
        scan.blocks([(here, None, ktext, True)])
        if key == b"pandas":
            _pandas_metadata(vtext, scan, here)
            continue
        try:
            _json(vtext, scan, here)
        except ValueError:
            scan.blocks([(here, None, vtext, True)])

    def fields(f: object, here: str) -> None:
        for k, v in (f.metadata or {}).items():
            scan.blocks([(here, None, k.decode("utf-8", "replace"), True),
                         (here, None, v.decode("utf-8", "replace"), True)])
        t = f.type
        children = [t.value_field] if hasattr(t, "value_field") else [
            t.field(i) for i in range(getattr(t, "num_fields", 0)) if hasattr(t, "field")]
        for child in children:
            fields(child, here)

    for f in pf.schema_arrow:
        fields(f, _loc(where, "parquet field metadata"))


def _pandas_metadata(text: str, scan: _Scan, where: str) -> None:
    """Scan the metadata pandas writes into a Parquet file.

    Its strings are scanned; its numbers are index bounds and types (``stop`` of a
    RangeIndex is the row count); ``attrs`` (whatever the user attached to the
    frame) is scanned as JSON.
    """
    try:
        meta = json.loads(text)
    except ValueError:
        scan.blocks([(where, None, text, True)])
        return
    strings: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                strings.append(str(k))
                walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, str):
            strings.append(node)

    if isinstance(meta, dict) and "attrs" in meta:
        _json(json.dumps(meta.pop("attrs")), scan, _loc(where, "pandas attrs"))
    walk(meta)
    scan.blocks((where, None, t, True) for t in dict.fromkeys(strings))


# ------------------------------------------------------------------- PNG
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_PIXELS = frozenset(["IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "sBIT", "sRGB",
                         "bKGD", "hIST", "pHYs", "tIME", "cICP", "mDCv", "cLLi", "acTL", "fcTL",
                         "fdAT", "oFFs"])


def _png_chunks(data: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """The chunks of a PNG and the number of bytes after IEND."""
    if data[:8] != _PNG_MAGIC:
        msg = "not a PNG file"
        raise ValueError(msg)
    chunks = []
    pos = 8
    while True:
        if pos + 12 > len(data):
            msg = "truncated PNG"
            raise ValueError(msg)
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if pos + 12 + length > len(data):
            msg = "truncated PNG chunk"
            raise ValueError(msg)
        chunks.append((kind, data[pos + 8:pos + 8 + length]))
        pos += 12 + length
        if kind == "IEND":
            return chunks, len(data) - pos


def _png_text(kind: str, body: bytes) -> str:
    if kind == "tEXt":
        key, _, text = body.partition(b"\0")
        return key.decode("latin-1") + " " + text.decode("latin-1")
    if kind == "zTXt":
        key, _, rest = body.partition(b"\0")
        return key.decode("latin-1") + " " + _inflate(rest[1:]).decode("latin-1")
    key, _, rest = body.partition(b"\0")  # iTXt
    compressed, rest = rest[0], rest[2:]
    lang, _, rest = rest.partition(b"\0")
    trans, _, text = rest.partition(b"\0")
    if compressed:
        text = _inflate(text)
    return "\n".join([key.decode("latin-1"), lang.decode("latin-1"),
                      trans.decode("utf-8", "replace"), text.decode("utf-8", "replace")])


def png_text_chunks(data: bytes) -> Iterator[tuple[str, str]]:
    """Yield ``(chunk type, keyword + text)`` for the tEXt, zTXt and iTXt chunks of a PNG."""
    for kind, body in _png_chunks(data)[0]:
        if kind in ("tEXt", "zTXt", "iTXt"):
            yield kind, _png_text(kind, body)


def _png(raw: bytes, scan: _Scan, where: str) -> None:
    chunks, trailing = _png_chunks(raw)
    for kind, body in chunks:
        shown = kind if re.fullmatch(r"[A-Za-z]{4}", kind) else "????"
        here = _loc(where, f"png {shown} chunk")
        if kind in ("tEXt", "zTXt", "iTXt"):
            texts = [_png_text(kind, body)]
        elif kind == "iCCP":  # profile name and the strings of the profile
            name, _, rest = body.partition(b"\0")
            texts = [name.decode("latin-1"), *_strings(_inflate(rest[1:]))]
        elif kind in ("eXIf", "sPLT", "pCAL", "sCAL"):  # strings of EXIF, names, units
            texts = _strings(body)
        elif kind in _PNG_PIXELS:
            continue
        else:
            scan.add(here, "unknown_file")
            continue
        scan.blocks((here, None, t, True) for t in texts)
    if trailing:
        scan.add(_loc(where, "png data after IEND"), "unknown_file")


# ----------------------------------------------------------------- files
_KIND_BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".json": "json",
                   ".html": "html", ".htm": "html", ".svg": "svg", ".txt": "text",
                   ".log": "lines", ".toml": "lines", ".md": "md", ".png": "png"}
_MAX_BYTES = 512 << 20


def _content(raw: bytes, kind: str, scan: _Scan, where: str, *, charset: str | None = None) -> None:
    """Scan the bytes of a file or a ``data:`` URI by kind; problems become findings."""
    scan.depth += 1
    try:
        if kind == "parquet":
            _parquet(raw, scan, where)
        elif kind == "png":
            _png(raw, scan, where)
        else:
            if charset:
                try:
                    text = raw.decode(charset)
                except (LookupError, UnicodeDecodeError):
                    text = _decode_text(raw)
            else:
                text = _decode_text(raw)
            if kind in ("csv", "tsv"):
                _csv(text, scan, where, "\t" if kind == "tsv" else None)
            elif kind == "json":
                _json(text, scan, where)
            elif kind in ("html", "svg"):
                _markup(text, scan, where)
            else:
                if kind == "md":  # what a Markdown renderer shows: entities decoded
                    text = _html.unescape(text)
                scan.blocks([(where or "text", 1, text, True, kind != "lines")])
    except _NotText:
        scan.add(_loc(where, "file" if not where else "content") + " (binary or compressed)",
                 "unknown_file")
    except Exception as err:  # noqa: BLE001 - any parser failure is a finding, not a crash
        scan.add(_loc(where, f"{'content' if where else 'file'} ({type(err).__name__})"),
                 "unreadable")
    finally:
        scan.depth -= 1


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file.

    Opened without following a symlink and without blocking on a FIFO.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            msg = "not a regular file"
            raise OSError(msg)
        chunks = []
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _symlink_finding(path: Path, name: str) -> Finding:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        what = "nothing (dangling)"
    except OSError:
        what = "something unreadable"
    else:
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a file"
    return Finding(name, f"symlink to {what}, not followed", "symlink")


def scan_file(path: Path, *, name: str, threshold: int = 5) -> list[Finding]:
    """Findings for one file, by its suffix (a symlink is a finding, never followed)."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except OSError as err:
        return [Finding(name, f"file ({type(err).__name__})", "unreadable")]
    if stat.S_ISLNK(st.st_mode):
        return [_symlink_finding(path, name)]
    if not stat.S_ISREG(st.st_mode):
        return [Finding(name, "not a regular file", "unknown_file")]
    kind = _KIND_BY_SUFFIX.get(path.suffix.lower())
    if kind is None:
        return [Finding(name, "file", "unknown_file")]
    if st.st_size > _MAX_BYTES:
        return [Finding(name, f"file (larger than {_MAX_BYTES >> 20} MB)", "unreadable")]
    try:
        raw = _read_regular(path)
    except OSError as err:
        return [Finding(name, f"file ({type(err).__name__})", "unreadable")]
    scan = _Scan(name, threshold, depth=-1)
    _content(raw, kind, scan, "")
    return scan.result()


def _walk(root: Path) -> Iterator[tuple[str, Path, str]]:
    """``(kind, path, relative name)`` below a folder, never following symlinks.

    kind: ``file``, ``folder``, ``symlink``, ``special`` or ``unreadable``.
    """
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            yield "unreadable", folder, prefix.rstrip("/") or "."
            continue
        subfolders = []
        for e in entries:
            rel = prefix + e.name
            path = Path(e.path)
            try:
                if e.is_symlink():
                    yield "symlink", path, rel
                elif e.is_dir(follow_symlinks=False):
                    yield "folder", path, rel
                    subfolders.append((path, rel + "/"))
                elif e.is_file(follow_symlinks=False):
                    yield "file", path, rel
                else:
                    yield "special", path, rel
            except OSError:
                yield "unreadable", path, rel
        stack.extend(reversed(subfolders))


def check_release(path: str | Path, *, threshold: int = 5) -> ReleaseCheck:
    r"""Scan a folder (or one file) about to leave the server.

    Parameters
    ----------
    path
        The release folder; every file below it is scanned, hidden ones too.
        Symbolic links below it are findings and are never followed.
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
    findings: list[Finding] = []
    files = 0
    if not root.is_dir():  # one file, as named (a symlink given here is followed)
        files = 1
        findings += scan_text(root.name, file=root.name, location="file name",
                              threshold=threshold)
        findings += scan_file(root.resolve(), name=root.name, threshold=threshold)
        return ReleaseCheck(path=str(root), files=files, threshold=threshold,
                            findings=tuple(findings))
    for kind, p, rel in _walk(root):
        rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        base = rel.rsplit("/", 1)[-1]
        if kind == "unreadable":
            findings.append(Finding(rel, "folder or file (cannot be read)", "unreadable"))
            continue
        where = "folder name" if kind == "folder" else "file name"
        findings += scan_text(base, file=rel, location=where, threshold=threshold)
        if kind == "folder":
            continue
        files += 1
        if kind == "symlink":
            findings.append(_symlink_finding(p, rel))
        elif kind == "special":
            findings.append(Finding(rel, "not a regular file", "unknown_file"))
        else:
            findings += scan_file(p, name=rel, threshold=threshold)
    return ReleaseCheck(path=str(root), files=files, threshold=threshold,
                        findings=tuple(findings))
