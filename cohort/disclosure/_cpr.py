"""Recognising CPR numbers and pid-like names.

Shared by the checker, the pseudonymiser and the log filter.

Nothing here returns or formats a matched value: callers count matches or
replace them.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator

__all__ = [
    "CPR_HYPHENATED",
    "CPR_TEN_DIGITS",
    "HEX_TOKEN",
    "count_cpr_in_text",
    "cpr_birth_date",
    "is_cpr_shaped",
    "is_pid_name",
    "iter_cpr",
    "normalize_name",
    "scrub_text",
    "valid_ddmmyy",
]

# A token boundary: not next to a letter, digit or decimal point, so hashes,
# decimals and longer numbers do not match.
_B_LEFT = r"(?<![A-Za-z0-9.])"
_B_RIGHT = r"(?![A-Za-z0-9])"
#: What may stand between ``DDMMYY`` and ``XXXX``: a hyphen or any dash (en, em,
#: figure dash, minus sign, non-breaking hyphen, ...), optionally with a space on
#: either side, or a single space (also non-breaking, thin or figure space).
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = " \u00a0\u2007\u2009\u202f"
_SEP = rf"(?:[{_SPACES}]?[{_DASHES}][{_SPACES}]?|[{_SPACES}])"
#: ``DDMMYY-XXXX`` (any separator above). Only digits bound it, so it is found
#: inside words and URLs (``id=010190-1234``, ``case010190-1234``); not after
#: ``<digit>.`` or before ``.<digit>`` (decimals).
CPR_HYPHENATED = re.compile(
    r"(?<!\d)(?<!\d[.,])(\d{2})(\d{2})(\d{2})" + _SEP + r"(\d{4})(?!\d)(?![.,]\d)"
)
#: Ten digits as a token.
CPR_TEN_DIGITS = re.compile(_B_LEFT + r"(\d{2})(\d{2})(\d{2})(\d{4})" + _B_RIGHT)
_CPR_VALUE = re.compile(r"^\s*(\d{2})(\d{2})(\d{2})-?(\d{4})\s*$")
_CPR_CELL = re.compile(r"^\s*(\d{2})(\d{2})(\d{2})" + _SEP + r"?(\d{4})\s*$")


def valid_ddmmyy(dd: str, mm: str, yy: str) -> bool:
    """Return whether ``DDMMYY`` is a date in 19YY or 20YY (the contract's rule).

    Examples
    --------
    >>> valid_ddmmyy("29", "02", "00"), valid_ddmmyy("31", "04", "90")
    (True, False)

    """
    d, m, y = int(dd), int(mm), int(yy)
    for century in (1900, 2000):
        try:
            _dt.date(century + y, m, d)
        except ValueError:
            continue
        return True
    return False


def is_cpr_shaped(value: object) -> bool:
    """Return whether a value is ten digits (optionally ``DDMMYY-XXXX``) with a valid date.

    Any dash or a single space may separate the parts (``010190\u20131234``).

    Examples
    --------
    >>> is_cpr_shaped("010190-1234"), is_cpr_shaped("9999991234"), is_cpr_shaped(None)
    (True, False, False)
    >>> is_cpr_shaped("010190\u20131234"), is_cpr_shaped("010190 1234")
    (True, True)

    """
    if not isinstance(value, str):
        return False
    m = _CPR_CELL.match(value)
    return bool(m) and valid_ddmmyy(m.group(1), m.group(2), m.group(3))


def cpr_birth_date(value: str) -> _dt.date | None:
    """The birth date a CPR number encodes (century from the 7th digit), or None.

    The rule is the CPR office's: 7th digit 0-3 -> 1900s; 4 or 9 -> 2000s when
    YY <= 36, else 1900s; 5-8 -> 2000s when YY <= 57, else 1800s. The
    modulus-11 check is not applied (numbers without it exist since 2007).

    Examples
    --------
    >>> cpr_birth_date("0101901234")
    datetime.date(1990, 1, 1)
    >>> cpr_birth_date("3002901234") is None
    True

    """
    m = _CPR_VALUE.match(value)
    if not m:
        return None
    dd, mm, yy, serial = (int(g) if i < 3 else g for i, g in enumerate(m.groups()))
    d7 = int(serial[0])  # type: ignore[index]
    if d7 <= 3:
        century = 1900
    elif d7 in (4, 9):
        century = 2000 if yy <= 36 else 1900  # type: ignore[operator]
    else:
        century = 2000 if yy <= 57 else 1800  # type: ignore[operator]
    try:
        return _dt.date(century + yy, mm, dd)  # type: ignore[arg-type,operator]
    except ValueError:
        return None


def iter_cpr(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield ``(kind, start, end)`` of CPR-shaped tokens with a valid date.

    ``kind`` is ``"hyphenated"`` (``DDMMYY-XXXX`` with any dash or a space) or
    ``"ten"`` (ten digits). Positions only, never the matched text.

    Examples
    --------
    >>> list(iter_cpr("id=010190\u20131234, ref 0101901234"))
    [('hyphenated', 3, 14), ('ten', 20, 30)]

    """
    for m in CPR_HYPHENATED.finditer(text):
        if valid_ddmmyy(*m.groups()[:3]):
            yield "hyphenated", m.start(), m.end()
    for m in CPR_TEN_DIGITS.finditer(text):
        if valid_ddmmyy(*m.groups()[:3]):
            yield "ten", m.start(), m.end()


def count_cpr_in_text(text: str) -> tuple[int, int]:
    """Count hyphenated and ten-digit CPR-shaped tokens (valid date) in free text.

    Examples
    --------
    >>> count_cpr_in_text("a 010190-1234 b 0101901234 c 9999991234 d 0.0101901234")
    (1, 1)
    >>> count_cpr_in_text("url/x010190\u20141234y and 010190\u00a01234")
    (2, 0)

    """
    hyph = ten = 0
    for kind, _, _ in iter_cpr(text):
        if kind == "hyphenated":
            hyph += 1
        else:
            ten += 1
    return hyph, ten


_PID_NAME = re.compile(
    r"^(pid|pids|cpr|cprnr|cpr_?n(r|o|um|umber)|pnr|person_?id|personid|personnummer"
    r"|(mor|far|mother|father)_?(id|pid)|id_?person|lbnr|pseudonym)$"
    r"|(_pid|_cpr|_pnr|_person_?id)$|^(pid|cpr|pnr)_",
    re.IGNORECASE,
)


def normalize_name(name: str) -> str:
    """A column or key name in one spelling: lower case, words joined by ``_``.

    camelCase is split; spaces, hyphens, dots and other punctuation become ``_``.

    Examples
    --------
    >>> [normalize_name(n) for n in ("CPR-nr", "Person ID", "rowsRead", " n (persons) ")]
    ['cpr_nr', 'person_id', 'rows_read', 'n_persons']

    """
    s = re.sub(r"(?<=[a-zæøå0-9])(?=[A-ZÆØÅ])", "_", name.strip())
    return re.sub(r"[\W_]+", "_", s.lower()).strip("_")


def is_pid_name(name: object) -> bool:
    """Return whether a column name says it holds person ids.

    The name is normalised first (``CPR-nr``, ``Person ID`` and ``personId`` are
    ``cpr_nr``, ``person_id``).

    Examples
    --------
    >>> [is_pid_name(n) for n in ("pid", "mother_pid", "PNR", "CPR_NR", "n_persons", "area")]
    [True, True, True, True, False, False]
    >>> [is_pid_name(n) for n in ("CPR-nr", "Person ID", "CPR nummer", "motherPid")]
    [True, True, True, True]

    """
    if not isinstance(name, str):
        return False
    return bool(_PID_NAME.search(name.strip()) or _PID_NAME.search(normalize_name(name)))


# pid=..., cpr: ..., person_id ... followed by a value: the value is redacted.
_PID_ASSIGN = re.compile(
    r"(?i)\b(pid|cpr|pnr|person_?id|mother_pid|father_pid)(\s*[=:]\s*|\s+)(['\"]?)[A-Za-z0-9_\-]+\3"
)
#: Long hex strings (pseudonyms, hashes of persons); ``sha256:<hex>`` (a file's
#: hash, as manifests write it) is not one.
HEX_TOKEN = re.compile(r"(?<![A-Za-z0-9:])[0-9a-fA-F]{16,}(?![A-Za-z0-9])")
REDACTED = "[redacted]"


def scrub_text(text: str) -> tuple[str, int]:
    """Replace CPR-shaped tokens, ``pid=<value>`` pairs and long hex tokens.

    Returns the scrubbed text and the number of replacements.

    Examples
    --------
    >>> scrub_text("pid=abc123 born 010190-1234")
    ('pid=[redacted] born [redacted]', 2)

    """
    n = 0

    def _cpr(m: re.Match[str]) -> str:
        nonlocal n
        if valid_ddmmyy(*m.groups()[:3]):
            n += 1
            return REDACTED
        return m.group(0)

    def _assign(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        return f"{m.group(1)}{m.group(2)}{REDACTED}"

    def _hex(m: re.Match[str]) -> str:
        nonlocal n
        if not any(c.isalpha() for c in m.group(0)) and len(m.group(0)) < 20:
            return m.group(0)  # a long decimal number, not a hex token
        n += 1
        return REDACTED

    text = CPR_HYPHENATED.sub(_cpr, text)
    text = CPR_TEN_DIGITS.sub(_cpr, text)
    text = _PID_ASSIGN.sub(_assign, text)
    text = HEX_TOKEN.sub(_hex, text)
    return text, n
