"""Names that may carry a CPR number or a pid: recognise them, never echo them.

File names, folder names, column names, struct field names and the strings of
extract.toml are checked here, in Python (they are few). Values in tables are
checked in DuckDB (:mod:`cohort.extract._cpr`). Nothing here returns a matched
value: callers get a yes/no, a position or a redacted text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

__all__ = [
    "REDACTED",
    "has_cpr",
    "listable_names",
    "redact",
    "valid_ddmmyy",
]

#: What a CPR-shaped part of a name is replaced with.
REDACTED = "[CPR-like]"

# ten digits or DDMMYY-XXXX, not part of a longer run of digits
_TOKEN = re.compile(r"(?<![0-9])([0-9]{6})[-\u2010-\u2014\u2212]?[0-9]{4}(?![0-9])")
# a name that is nothing but a number that lost its leading zero (a spreadsheet's
# doing), perhaps with ".0" or a file suffix after it
_NINE = re.compile(r"^\s*([0-9]{9})(\.0+)?(\.[A-Za-z][A-Za-z0-9]*)?\s*$")
# a run of digits long enough to be an identifier (a pid as a column name)
_LONG_DIGITS = re.compile(r"[0-9]{6,}")


def valid_ddmmyy(ddmmyy: str) -> bool:
    """Whether six digits form a date ``DDMMYY`` (``%y``: 00-68 -> 20xx, 69-99 -> 19xx).

    The same rule as the SQL of :mod:`cohort.extract._cpr`.

    Examples
    --------
    >>> valid_ddmmyy("290200"), valid_ddmmyy("290201"), valid_ddmmyy("320190")
    (True, False, False)

    """
    d, m, y = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    try:
        dt.date(2000 + y if y <= 68 else 1900 + y, m, d)
    except ValueError:
        return False
    return True


def _spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _TOKEN.finditer(text) if valid_ddmmyy(m.group(1))]
    nine = _NINE.match(text)
    if nine and valid_ddmmyy(("0" + nine.group(1))[:6]):
        spans.append(nine.span(1))
    return spans


def has_cpr(text: str) -> bool:
    """Whether a name holds a CPR number: ten digits (or ``DDMMYY-XXXX``) with a valid date.

    A name that is nine digits is read as a number that lost its leading zero.

    Examples
    --------
    >>> has_cpr("0101901234.csv"), has_cpr("x_010190-1234"), has_cpr("101901234.csv")
    (True, True, True)
    >>> has_cpr("y_1801"), has_cpr("01019012345"), has_cpr("9999991234")
    (False, False, False)

    """
    return bool(_spans(text))


def redact(text: str) -> str:
    """``text`` with every CPR-shaped part replaced by ``[CPR-like]``.

    Examples
    --------
    >>> redact("persons_010190-1234.csv"), redact("101901234.csv")
    ('persons_[CPR-like].csv', '[CPR-like].csv')

    """
    spans = _spans(text)
    if not spans:
        return text
    out, last = [], 0
    for a, b in sorted(spans):
        out.append(text[last:a] + REDACTED)
        last = b
    return "".join(out) + text[last:]


def listable_names(names: Iterable[str]) -> tuple[list[str], int]:
    """Split column names into those a message may list and a count of the others.

    A name with a run of six or more digits may be an identifier (a wide file whose
    columns are persons), so it is counted, not shown.

    Examples
    --------
    >>> listable_names(["note", "X000004711", "y_1801"])
    (['note', 'y_1801'], 1)

    """
    shown: list[str] = []
    hidden = 0
    for n in names:
        if _LONG_DIGITS.search(n) or has_cpr(n):
            hidden += 1
        else:
            shown.append(n)
    return shown, hidden
