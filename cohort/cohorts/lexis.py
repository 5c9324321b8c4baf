"""Lexis splitting of follow-up into ``(start, stop]`` episodes.

Follow-up is cut on several time scales at once and at changes of time-varying
states. Time is in days since the outcome's time origin. The scales are cut at dates:
age bands at birthdays (29 February -> 1 March in common years), calendar
periods at 1 January (or given dates), time since origin at its anniversaries.
Each episode is labelled by the band or state in force at its start; the event
sits on the last episode of a person. Vectorised numpy/pandas: no loop over
persons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cohort._sql import sql_list
from cohort.engine._keys import pids_view
from cohort.engine.exposure import as_unit
from cohort.engine.family import EMPLOYED_STATUSES
from cohort.engine.residence import residence_sql
from cohort.engine.units import Unit, check_unit_columns
from cohort.exceptions import ParameterError
from cohort.extract import Extract

__all__ = ["area_states", "lexis_split", "parent_employment_states"]

_DAYS_PER_YEAR = 365.25


def _anniversaries(dates: pd.Series, years: int) -> np.ndarray:
    """``dates`` shifted by whole ``years``, as datetime64[D].

    29 February becomes 1 March in common years.
    """
    d = pd.DatetimeIndex(dates)
    y = d.year.to_numpy() + years
    m = d.month.to_numpy()
    day = d.day.to_numpy()
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    feb29 = (m == 2) & (day == 29) & ~leap
    m = np.where(feb29, 3, m)
    day = np.where(feb29, 1, day)
    out = (pd.to_datetime({"year": y, "month": m, "day": day}).to_numpy()
           .astype("datetime64[D]"))
    return out


def _days(dates: np.ndarray, origin: np.ndarray) -> np.ndarray:
    return (dates.astype("datetime64[D]") - origin).astype(np.int64)


def _labels(breaks: Sequence[Any]) -> list[str]:
    b = [str(x) for x in breaks]
    return [f"<{b[0]}"] + [f"[{b[i]},{b[i + 1]})" for i in range(len(b) - 1)] + [f">={b[-1]}"]


def _check_breaks(name: str, breaks: Sequence[Any], kind: str) -> list[Any]:
    out = list(breaks)
    if not out:
        msg = f"{name} must list at least one break; got an empty list"
        raise ParameterError(msg)
    if kind == "int" and not all(isinstance(b, int) and not isinstance(b, bool) for b in out):
        msg = f"{name} must be whole numbers of years; got {out!r}"
        raise ParameterError(msg)
    if any(b2 <= b1 for b1, b2 in zip(out, out[1:], strict=False)):
        msg = f"{name} must be increasing; got {out!r}"
        raise ParameterError(msg)
    return out


def lexis_split(
    data: pd.DataFrame,
    *,
    outcome: str,
    id: str = "pid",  # noqa: A002 - the usual name
    birth: str = "birth_date",
    origin: str | None = None,
    age_breaks: Sequence[int] | None = None,
    period_breaks: Sequence[int | dt.date] | None = None,
    time_breaks: Sequence[int] | None = None,
    states: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Split each person's follow-up of ``outcome`` into ``(start, stop]`` episodes.

    Parameters
    ----------
    data
        One row per person, e.g. :attr:`Cohort.data`: ``id``, ``birth``, the origin
        column, ``<outcome>_time`` (days) and ``<outcome>_event`` (0/1). Rows
        whose time is missing (not at risk) are left out.
    outcome
        The outcome whose follow-up is split.
    id
        The person id column.
    birth
        The birth date column (needed for ``age_breaks``).
    origin
        The column with the time origin's date; default ``employment_origin_date``
        for ``employment``, ``first_conviction_origin_date`` for
        ``first_conviction`` and ``origin_date`` otherwise.
    age_breaks
        Ages in whole years; cut at the birthdays. Column ``age_band``.
    period_breaks
        Calendar years (cut at 1 January) or dates. Column ``period``.
    time_breaks
        Whole years since the origin; cut at its anniversaries. Column
        ``time_band``.
    states
        Time-varying states: a DataFrame, or a list of them (one per source, e.g.
        ``[area_states(...), parent_employment_states(...)]``), each with columns
        ``id``, ``date`` and its state columns; a row sets its states from its
        date on. A change inside follow-up cuts it; each episode carries the
        states in force at its start (missing before a person's first row).

    Returns
    -------
    pandas.DataFrame
        ``id, start, stop, event``, the band columns, the state columns,
        ``person_time`` (days, ``stop - start``) and ``person_years``. An event at
        time 0 keeps one episode ``(0, 0]``; follow-up of length 0 without an
        event has no episode.

    """
    tcol, ecol = f"{outcome}_time", f"{outcome}_event"
    own = {"employment": "employment_origin_date",
           "first_conviction": "first_conviction_origin_date"}
    origin = origin or own.get(outcome, "origin_date")
    need = [id, origin, tcol, ecol] + ([birth] if age_breaks is not None else [])
    missing = [c for c in need if c not in data.columns]
    if missing:
        msg = f"data must have the columns {need}; missing {missing}"
        raise ParameterError(msg)
    base = data.loc[data[tcol].notna(), need].reset_index(drop=True)
    n = len(base)
    T = base[tcol].to_numpy(dtype=np.int64)
    ev = base[ecol].to_numpy(dtype=np.int64)
    o = pd.to_datetime(base[origin]).to_numpy().astype("datetime64[D]")
    if np.any(T < 0):
        msg = f"column {tcol!r} has negative times"
        raise ParameterError(msg)

    # cut days per scale: (n, k) matrices, in days since the origin
    scales: dict[str, tuple[np.ndarray, list[str]]] = {}
    if age_breaks is not None:
        ab = _check_breaks("age_breaks", age_breaks, "int")
        cuts = np.column_stack([_days(_anniversaries(base[birth], a), o) for a in ab])
        scales["age_band"] = (cuts, _labels(ab))
    if period_breaks is not None:
        pb = _check_breaks("period_breaks", period_breaks, "any")
        dates = np.array([np.datetime64(dt.date(b, 1, 1) if isinstance(b, int) else b, "D")
                          for b in pb])
        cuts = (dates[None, :] - o[:, None]).astype(np.int64)
        scales["period"] = (cuts, _labels(pb))
    if time_breaks is not None:
        tb = _check_breaks("time_breaks", time_breaks, "int")
        cuts = np.column_stack([_days(_anniversaries(base[origin], k), o) for k in tb])
        scales["time_band"] = (cuts, _labels(tb))

    rows = [np.arange(n)]
    points = [np.zeros(n, dtype=np.int64)]
    rows.append(np.arange(n))
    points.append(T)
    for cuts, _ in scales.values():
        r, c = np.nonzero((cuts > 0) & (cuts < T[:, None]))
        rows.append(r)
        points.append(cuts[r, c])
    sources = ([] if states is None else [states] if isinstance(states, pd.DataFrame)
               else list(states))
    prepared = [_states(x, id, base[id], o) for x in sources]
    for st in prepared:
        inside = (st["_day"].to_numpy() > 0) & (st["_day"].to_numpy() < T[st["_row"].to_numpy()])
        rows.append(st["_row"].to_numpy()[inside])
        points.append(st["_day"].to_numpy()[inside])
    r = np.concatenate(rows)
    p = np.concatenate(points)
    order = np.lexsort((p, r))
    r, p = r[order], p[order]
    keep = np.ones(len(r), dtype=bool)
    keep[1:] = (r[1:] != r[:-1]) | (p[1:] != p[:-1])
    r, p = r[keep], p[keep]
    # episodes: consecutive points of the same person
    same = r[1:] == r[:-1]
    er, start, stop = r[:-1][same], p[:-1][same], p[1:][same]
    # an event at time 0: one episode (0, 0]
    zero = np.nonzero((T == 0) & (ev == 1))[0]
    er = np.concatenate([er, zero])
    start = np.concatenate([start, np.zeros(len(zero), dtype=np.int64)])
    stop = np.concatenate([stop, np.zeros(len(zero), dtype=np.int64)])
    order = np.lexsort((start, er))
    er, start, stop = er[order], start[order], stop[order]
    last = np.ones(len(er), dtype=bool)
    last[:-1] = er[1:] != er[:-1]
    out = pd.DataFrame({id: base[id].to_numpy()[er], "start": start, "stop": stop,
                        "event": np.where(last, ev[er], 0).astype(np.int64)})
    for name, (cuts, labels) in scales.items():
        idx = (cuts[er] <= start[:, None]).sum(axis=1)
        out[name] = pd.Categorical.from_codes(idx, categories=labels, ordered=True)
    if prepared:
        ep = pd.DataFrame({"_row": er, "_day": start, "_i": np.arange(len(er))})
        ep = ep.sort_values("_day", kind="stable")
        for st in prepared:
            merged = pd.merge_asof(ep, st.sort_values("_day", kind="stable"), on="_day",
                                   by="_row", direction="backward").sort_values("_i")
            for c in st.columns:
                if c not in ("_row", "_day"):
                    out[c] = merged[c].to_numpy()
    out["person_time"] = out["stop"] - out["start"]
    out["person_years"] = out["person_time"] / _DAYS_PER_YEAR
    return out


def _states(states: pd.DataFrame, id: str, ids: pd.Series, o: np.ndarray) -> pd.DataFrame:  # noqa: A002
    if id not in states.columns or "date" not in states.columns:
        msg = f"states must have the columns {id!r} and 'date'"
        raise ParameterError(msg)
    row_of = pd.Series(np.arange(len(ids)), index=pd.Index(ids.to_numpy()))
    s = states[states[id].isin(row_of.index)].copy()
    s["_row"] = row_of.loc[s[id].to_numpy()].to_numpy()
    d = pd.to_datetime(s["date"]).to_numpy().astype("datetime64[D]")
    s["_day"] = (d - o[s["_row"].to_numpy()]).astype(np.int64)
    return s.drop(columns=[id, "date"]).sort_values(["_row", "_day"], kind="stable")


def area_states(extract: Extract, data: pd.DataFrame, *, area: str | Unit,
                id: str = "pid", column: str = "in_area") -> pd.DataFrame:  # noqa: A002
    """When each person starts and stops living in ``area``, for :func:`lexis_split`.

    ``area`` is an area name or a unit (``"area:<name>"``, ``"district:<name>"``,
    ``"municipality:<code>"``).

    Returns
    -------
    pandas.DataFrame
        ``id, date, <column>`` (0/1): a row where the state changes (moving in or
        out of the area, or leaving the country, which counts as not living there).

    """
    unit = as_unit(area)
    check_unit_columns(extract, unit)
    spells = residence_sql(extract, pids_view(extract.con, data[id]))
    # a spell's start sets the state; its end sets "not there" unless another
    # spell starts that day
    sql = (
        f"WITH r AS ({spells}), s AS (SELECT pid, moved_in AS d, "
        f"CAST(COALESCE({unit.predicate('a')}, false) AS INTEGER) AS v, 1 AS pr FROM r a "
        "UNION ALL SELECT pid, end_ AS d, 0 AS v, 0 AS pr FROM r), "
        "t AS (SELECT pid, d, v FROM s QUALIFY row_number() OVER "
        "(PARTITION BY pid, d ORDER BY pr DESC) = 1) "
        "SELECT pid, d AS date, v FROM t QUALIFY v IS DISTINCT FROM "
        "lag(v) OVER (PARTITION BY pid ORDER BY d) ORDER BY pid, d"
    )
    df = extract.con.execute(sql).df()
    return df.rename(columns={"pid": id, "v": column})


def parent_employment_states(extract: Extract, data: pd.DataFrame, *, id: str = "pid",
                             column: str = "parent_employed") -> pd.DataFrame:  # noqa: A002
    """Whether the mother or the father is employed, as a state for :func:`lexis_split`.

    The labour status of year Y holds from 30 November Y to 30 November Y+1
    (missing where neither parent has a row that year).

    ``data`` needs ``id``; the parents are read from ``persons``.

    Returns
    -------
    pandas.DataFrame
        ``id, date, <column>`` (0/1 or missing): a row where the state changes.

    """
    extract.require("labour", purpose="the parents' employment as a state")
    view = pids_view(extract.con, data[id])
    emp = sql_list(EMPLOYED_STATUSES)
    sql = (
        "WITH links AS (SELECT pid, mother_pid AS parent FROM persons SEMI JOIN "
        f"{view} k USING (pid) WHERE mother_pid IS NOT NULL UNION SELECT pid, father_pid "
        f"FROM persons SEMI JOIN {view} k USING (pid) WHERE father_pid IS NOT NULL), "
        "yrs AS (SELECT min(year) AS y0, max(year) AS y1 FROM labour), "
        f"grid AS (SELECT k.pid, y.year FROM {view} k, yrs, "
        "range(yrs.y0, yrs.y1 + 1) y(year)), "
        f"st AS (SELECT g.pid, g.year, CAST(bool_or(l.status IN ({emp})) AS INTEGER) AS v "
        "FROM grid g LEFT JOIN links p ON p.pid = g.pid LEFT JOIN labour l "
        "ON l.pid = p.parent AND l.year = g.year GROUP BY g.pid, g.year) "
        "SELECT pid, make_date(CAST(year AS BIGINT), 11, 30) AS date, v FROM st "
        "QUALIFY v IS DISTINCT FROM lag(v) OVER (PARTITION BY pid ORDER BY year) "
        "ORDER BY pid, date"
    )
    df = extract.con.execute(sql).df()
    df["v"] = df["v"].astype("Int64")
    return df.rename(columns={"pid": id, "v": column})
