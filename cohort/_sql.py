"""The one place where a value or a name becomes DuckDB SQL text.

Values reach DuckDB as parameters (``con.execute(sql, [value])``) wherever a
statement is run once and DuckDB takes parameters. Where it cannot (a view's
body, a fragment composed into a larger statement, an identifier), a value
becomes SQL text only through these functions, never by an f-string of the value
itself: paths, file names, area names, codes, dates, settings.

* :func:`sql_str` -- a string literal: ``it's`` -> ``'it''s'``. DuckDB's string
  literals know no backslash escapes, so doubling the quote is the whole rule.
* :func:`sql_ident` -- an identifier (a table, view or column name), always
  quoted, a ``"`` in it doubled.
* :func:`sql_list` -- the string literals of several values, comma-separated
  (for ``IN (...)``, ``ENUM(...)``).
* :func:`sql_date` -- a DATE literal of a :class:`datetime.date`.
* :func:`sql_int`, :func:`sql_float` -- a number, checked to be one.

Examples
--------
>>> print(sql_str("it's"), sql_ident("my col"), sql_list(["a", "b'c"]))
'it''s' "my col" 'a', 'b''c'
>>> sql_date("2019-12-31"), sql_int(3), sql_float(0.5)
("DATE '2019-12-31'", '3', '0.5')

"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable

__all__ = ["sql_date", "sql_float", "sql_ident", "sql_int", "sql_list", "sql_str"]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        msg = f"{what} must be text; got {type(value).__name__}"
        raise TypeError(msg)
    return value


def sql_str(value: str) -> str:
    """A DuckDB string literal holding ``value`` exactly.

    Examples
    --------
    >>> print(sql_str("/data/o'brien; x/ø"))
    '/data/o''brien; x/ø'

    """
    return "'" + _text(value, "an SQL string value").replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A DuckDB identifier (always quoted, so any name is taken as written).

    Examples
    --------
    >>> sql_ident("persons"), sql_ident('a"b')
    ('"persons"', '"a""b"')

    """
    return '"' + _text(name, "an SQL identifier").replace('"', '""') + '"'


def sql_list(values: Iterable[str]) -> str:
    """The string literals of ``values``, separated by ``, `` (empty for no values).

    Examples
    --------
    >>> f"x IN ({sql_list(['employed', 'self_employed'])})"
    "x IN ('employed', 'self_employed')"

    """
    if isinstance(values, str):
        msg = "sql_list takes several values, not one string"
        raise TypeError(msg)
    return ", ".join(sql_str(v) for v in values)


def sql_date(d: dt.date | str) -> str:
    """A DuckDB DATE literal (a date, or an ISO ``YYYY-MM-DD`` string).

    Examples
    --------
    >>> import datetime as dt
    >>> sql_date(dt.date(2020, 2, 29))
    "DATE '2020-02-29'"

    """
    if isinstance(d, str):
        d = dt.date.fromisoformat(d)
    if isinstance(d, dt.datetime):
        d = d.date()
    if not isinstance(d, dt.date):
        msg = f"an SQL date must be a date; got {type(d).__name__}"
        raise TypeError(msg)
    return "DATE " + sql_str(d.isoformat())


def sql_int(value: int) -> str:
    """A whole number as SQL text (booleans and non-integral numbers refused).

    Examples
    --------
    >>> sql_int(159)
    '159'

    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        msg = f"an SQL whole number must be an integer; got {type(value).__name__}"
        raise TypeError(msg)
    return str(int(value))


def sql_float(value: float) -> str:
    """A finite number as SQL text (its ``repr``, so it reads back exactly).

    Examples
    --------
    >>> sql_float(5), sql_float(0.012)
    ('5.0', '0.012')

    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"an SQL number must be a real number; got {type(value).__name__}"
        raise TypeError(msg)
    v = float(value)
    if not math.isfinite(v):
        msg = f"an SQL number must be finite; got {v!r}"
        raise ValueError(msg)
    return repr(v)
