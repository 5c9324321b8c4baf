"""Turning what a caller passes (dates, DataFrames, relations) into DuckDB views.

Every primitive works on many persons and dates at once: its input is a table of
keys, ``(pid, date)`` or ``(pid, year)``, which may be a pandas DataFrame, a DuckDB
relation on the extract's connection, or a single date / list of dates (then the
keys are the dates alone). Registered views get a fresh name per call, so
relations returned earlier stay valid.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from cohort._sql import sql_date, sql_ident
from cohort.exceptions import ParameterError

__all__ = ["Keys", "dates_view", "fresh_name", "keys_view", "persons_sql", "pids_view"]

_COUNTER = itertools.count()

#: What a primitive accepts as keys: a DataFrame or a DuckDB relation with the
#: key columns.
Keys = pd.DataFrame | duckdb.DuckDBPyRelation


def fresh_name(prefix: str = "_ck") -> str:
    """A view name not used before in this process."""
    return f"{prefix}{next(_COUNTER)}"


def _as_date(d: Any, name: str) -> dt.date:
    if isinstance(d, pd.Timestamp):
        return d.date()
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    if isinstance(d, np.datetime64):
        return pd.Timestamp(d).date()
    if isinstance(d, str):
        try:
            return dt.date.fromisoformat(d)
        except ValueError:
            pass
    msg = f"{name} must be a date, an ISO date string or a list of them; got {d!r}"
    raise ParameterError(msg)


def as_dates(on: Any, name: str = "on") -> tuple[dt.date, ...]:
    """A date or an iterable of dates as a sorted tuple of unique dates."""
    if isinstance(on, (str, dt.date, pd.Timestamp, np.datetime64)):
        return (_as_date(on, name),)
    if isinstance(on, Iterable):
        out = tuple(sorted({_as_date(d, name) for d in on}))
        if not out:
            msg = f"{name} must hold at least one date; got an empty list"
            raise ParameterError(msg)
        return out
    return (_as_date(on, name),)


def dates_view(con: duckdb.DuckDBPyConnection, on: Any, name: str = "on") -> str:
    """A view with one column ``date`` holding the dates of ``on``."""
    dates = as_dates(on, name)
    view = fresh_name("_cd")
    values = ", ".join(f"({sql_date(d)})" for d in dates)
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM (VALUES {values}) t(date)")
    return view


def _register(con: duckdb.DuckDBPyConnection, obj: Keys, columns: tuple[str, ...],
              name: str) -> str:
    raw = fresh_name("_cr")
    if isinstance(obj, pd.DataFrame):
        missing = [c for c in columns if c not in obj.columns]
        if missing:
            msg = f"{name} must have the columns {list(columns)}; missing {missing}"
            raise ParameterError(msg)
        con.register(raw, obj.loc[:, list(columns)])
    elif isinstance(obj, duckdb.DuckDBPyRelation):
        missing = [c for c in columns if c not in obj.columns]
        if missing:
            msg = f"{name} must have the columns {list(columns)}; missing {missing}"
            raise ParameterError(msg)
        obj.create_view(raw, replace=True)
    else:
        msg = (
            f"{name} must be a pandas DataFrame or a DuckDB relation with the columns "
            f"{list(columns)}; got {type(obj).__name__}"
        )
        raise ParameterError(msg)
    return raw


_CASTS = {"pid": "CAST(pid AS VARCHAR)", "date": "CAST(date AS DATE)",
          "year": "CAST(year AS BIGINT)", "start": 'CAST("start" AS DATE)',
          "end": 'CAST("end" AS DATE)'}


def keys_view(con: duckdb.DuckDBPyConnection, obj: Keys, columns: tuple[str, ...],
              name: str = "keys") -> str:
    """A view over ``obj`` with the key ``columns`` typed, duplicates removed.

    pid is text, date, start and end DATEs, year a BIGINT.
    """
    raw = _register(con, obj, columns, name)
    view = fresh_name("_ck")
    sel = ", ".join(f"{_CASTS[c]} AS {sql_ident(c)}" for c in columns)
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT DISTINCT {sel} FROM {raw}")
    return view


def pids_view(con: duckdb.DuckDBPyConnection, pids: Any, name: str = "pids") -> str:
    """A view with one column ``pid``.

    From a DataFrame/relation with a ``pid`` column, or any iterable of pids (a
    list, a Series, an Index).
    """
    if isinstance(pids, (pd.DataFrame, duckdb.DuckDBPyRelation)):
        return keys_view(con, pids, ("pid",), name)
    if isinstance(pids, (str, bytes)) or not isinstance(pids, Iterable):
        msg = f"{name} must be a list of pids, a DataFrame or a relation with a 'pid' column"
        raise ParameterError(msg)
    frame = pd.DataFrame({"pid": pd.Series(list(pids), dtype=object)})
    return keys_view(con, frame, ("pid",), name)


def persons_sql(con: duckdb.DuckDBPyConnection, pids: Any) -> str:
    """SQL for the ``persons`` rows of ``pids``, all of them when ``pids`` is None.

    ``pids`` as in :func:`pids_view`.
    """
    if pids is None:
        return "persons"
    view = pids_view(con, pids)
    return f"(SELECT p.* FROM persons p SEMI JOIN {view} k ON k.pid = p.pid)"
