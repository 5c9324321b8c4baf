"""Retention: the time from moving into an area to moving out of it.

Retention: the time from moving into an area to moving out of it
(definitions.md §4), by resource status at the in-move.

One episode per in-move (a person who leaves and returns has several). The
episode ends with the next out-move from the area: an *event* when the person
moves (elsewhere in the country or abroad), *censored* at death and at
``extract_end`` when still resident. Births into the area are not in-moves here
unless asked for.

With a window (``window_start``), only the time lived in the area from that day
on is followed: an in-move before it whose episode is still running on it
enters the risk set late, at its duration on that day (delayed entry, left
truncation), and an episode that ended before it is left out. Time stays the
time since the in-move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort._params import check_literal
from cohort._sql import sql_date, sql_int, sql_str
from cohort.engine.units import Unit
from cohort.exceptions import DataError, ModelError, ParameterError
from cohort.extract import Extract
from cohort.flows._moves import moves_sql, resolve_areas
from cohort.flows._status import RESOURCE_STATUSES, ResourceDefinition

__all__ = ["EXITS", "retention_cox", "retention_data", "retention_km"]

#: How an episode ends.
EXITS = ("moved_out", "died", "end_of_data")
DAYS_PER_YEAR = 365.25


def retention_data(
    extract: Extract,
    *,
    area: str | Unit,
    definition: ResourceDefinition | None = None,
    include_births: bool = False,
    window_start: dt.date | None = None,
    periods: Mapping[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """One row per in-move with the time to the next out-move.

    One row per in-move: the time to the next out-move, censored at death and
    the end of the data.

    Parameters
    ----------
    extract
        A read extract.
    area
        One unit (as in :func:`cohort.flows.moves`).
    definition
        What counts as resource-strong.
    include_births
        Count a birth into the area as the start of an episode (default no).
    window_start
        The first day of follow-up (``None``: the whole data). Episodes that
        ended on or before it are left out (the person did not live in the area
        on that day); an episode that began before it enters at its duration on
        that day (``entry_days``; delayed entry).
    periods
        In-move periods by name, ``{"2010-2014": (2010, 2014), ...}`` (first and
        last year of the in-move): the column ``period`` names the period of each
        episode's in-move (missing for an in-move in none of them).

    Returns
    -------
    DataFrame
        ``pid, episode`` (1, 2, ... per person), ``entry_date``, ``origin``,
        ``resource_status`` (at the in-move), ``status_observed`` (the labour
        register covers the year before the in-move, so the status at the
        in-move is known; false before the extract's first labour year + 1),
        ``exit_date``, ``exit`` (one of :data:`EXITS`), ``days``, ``years``
        (``days / 365.25``), ``entry_days`` and ``entry_years`` (the duration at
        which follow-up starts: 0, or for an in-move before ``window_start`` the
        days from the in-move to that day), ``event`` (1 = moved out, 0 =
        censored) and, with ``periods``, ``period``. Person-level: input to
        :func:`retention_km` / :func:`retention_cox`, never for release.

    """
    if area is None or not isinstance(area, str | Unit):
        msg = f"area must name one unit for retention; got {area!r}"
        raise ParameterError(msg)
    if not isinstance(include_births, bool):
        msg = f"include_births must be True or False; got {include_births!r}"
        raise ParameterError(msg)
    if window_start is not None and not isinstance(window_start, dt.date):
        msg = f"window_start must be a date or None; got {window_start!r}"
        raise ParameterError(msg)
    bounds = _periods(periods)
    definition = definition or ResourceDefinition()
    spec = resolve_areas(area)
    mv = moves_sql(extract, spec, definition=definition)
    end = sql_date(extract.extract_end)
    births = "" if include_births else "AND counterpart <> 'birth'"
    start = sql_date(window_start) if window_start is not None else "NULL::DATE"
    period_sql = "NULL::VARCHAR"
    if bounds:
        period_sql = "CASE " + " ".join(
            f"WHEN year(entry_date) BETWEEN {sql_int(a)} AND {sql_int(b)} THEN {sql_str(n)}"
            for n, (a, b) in bounds.items()) + " END"
    sql = f"""
    WITH m AS (
        SELECT pid, date, direction, counterpart, resource_status,
            lead(date) OVER w AS next_date, lead(direction) OVER w AS next_dir,
            lead(counterpart) OVER w AS next_cp
        FROM ({mv}) WINDOW w AS (PARTITION BY pid ORDER BY date)
    ),
    ep AS (
        SELECT pid, row_number() OVER (PARTITION BY pid ORDER BY date) AS episode,
            date AS entry_date, counterpart AS origin, resource_status,
            CASE WHEN next_dir = 'out' THEN next_date ELSE {end} END AS exit_date,
            CASE WHEN next_dir = 'out' AND next_cp = 'death' THEN 'died'
                 WHEN next_dir = 'out' THEN 'moved_out' ELSE 'end_of_data' END AS exit
        FROM m WHERE direction = 'in' {births}
    )
    SELECT *,
        year(entry_date) > (SELECT min(year) FROM labour) AS status_observed,
        CASE WHEN {start} IS NOT NULL AND entry_date < {start}
             THEN datediff('day', entry_date, {start}) ELSE 0 END AS entry_days,
        {period_sql} AS period
    FROM ep
    WHERE {start} IS NULL OR exit_date > {start}
    ORDER BY pid, entry_date
    """
    df = extract.con.execute(sql).df()
    df["entry_date"] = pd.to_datetime(df["entry_date"])
    df["exit_date"] = pd.to_datetime(df["exit_date"])
    df["episode"] = df["episode"].astype("int64")
    df["days"] = (df["exit_date"] - df["entry_date"]).dt.days.astype("int64")
    df["years"] = df["days"] / DAYS_PER_YEAR
    df["entry_days"] = df["entry_days"].astype("int64")
    df["entry_years"] = df["entry_days"] / DAYS_PER_YEAR
    df["event"] = (df["exit"] == "moved_out").astype("int64")
    df["status_observed"] = df["status_observed"].astype("boolean").fillna(value=False).astype(bool)
    df["resource_status"] = pd.Categorical(df["resource_status"], categories=RESOURCE_STATUSES)
    df["exit"] = pd.Categorical(df["exit"], categories=EXITS)
    cols = ["pid", "episode", "entry_date", "origin", "resource_status", "status_observed",
            "exit_date", "exit", "days", "years", "entry_days", "entry_years", "event"]
    if bounds:
        df["period"] = pd.Categorical(df["period"], categories=list(bounds))
        cols.append("period")
    return df[cols]


def _periods(periods: Mapping[str, tuple[int, int]] | None) -> dict[str, tuple[int, int]]:
    if periods is None:
        return {}
    if not isinstance(periods, Mapping) or not periods:
        msg = ("periods must map names to (first, last) in-move years, e.g. "
               f"{{'2010-2014': (2010, 2014)}}; got {periods!r}")
        raise ParameterError(msg)
    out = {}
    for name, span in periods.items():
        ok = (isinstance(name, str) and name and isinstance(span, tuple | list)
              and len(span) == 2 and all(isinstance(y, int) and not isinstance(y, bool)
                                         for y in span) and span[0] <= span[1])
        if not ok:
            msg = (f"periods must map names to (first, last) in-move years with first <= "
                   f"last; got {name!r}: {span!r}")
            raise ParameterError(msg)
        out[name] = (int(span[0]), int(span[1]))
    return out


def _entry(d: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The rows and entry column for the models: delayed entry where there is any.

    Without a delayed entry the rows are followed from 0 as they are (an episode
    of length 0, an in-move on the last day of the data, is at risk at 0). With
    one, an episode is at risk on ``(entry_years, years]``, so one of length 0
    adds nothing and is left out.
    """
    if "entry_years" not in d.columns or not (d["entry_years"] > 0).any():
        return d, None
    return d[d["years"] > d["entry_years"]], "entry_years"


def _check(data: pd.DataFrame) -> None:
    need = {"years", "event", "resource_status"}
    missing = sorted(need - set(data.columns))
    if missing:
        msg = f"data must be retention_data()'s table; columns missing: {missing}"
        raise ParameterError(msg)
    if data.empty:
        msg = "no in-moves to follow: the retention table has no rows"
        raise DataError(msg)


def retention_km(data: pd.DataFrame, *, by: str = "resource_status") -> Any:
    """Kaplan-Meier curves of staying, by resource status at the in-move.

    Kaplan-Meier curves of staying in the area, one per resource status at
    the in-move (``by="resource_status"``) or per in-move period
    (``by="period"``, from :func:`retention_data`'s ``periods``), time in years
    since the in-move, with :func:`cohort.survival.kaplan_meier`. Episodes enter
    at ``entry_years`` (delayed entry for in-moves before the window).

    Returns that function's ``KaplanMeierResult``.
    """
    from cohort.survival import kaplan_meier

    check_literal("by", by, ("resource_status", "period"))
    _check(data)
    if by not in data.columns:
        msg = f"by={by!r} needs the column {by!r}: pass periods= to retention_data"
        raise ParameterError(msg)
    d = data[data[by].notna()]
    if d.empty:
        msg = f"no in-moves with a {by}: nothing to follow"
        raise DataError(msg)
    d, entry = _entry(d.assign(**{by: d[by].astype(str)}))
    return kaplan_meier(d, time="years", event="event", group=by, entry=entry)


def retention_cox(data: pd.DataFrame, *, adults_only: bool = True) -> Any:
    """A Cox model of moving out by resource status at the in-move.

    A Cox model of the hazard of moving out by resource status at the in-move,
    with :func:`cohort.survival.cox`.

    The covariate ``resource_strong`` (1/0) compares resource-strong with
    not-resource-strong adults; with ``adults_only=False`` a second covariate
    ``not_adult`` enters too. Episodes of one person are clustered (robust
    variance), since people who return are followed again.

    Returns that function's ``CoxResult``.
    """
    from cohort.survival import cox

    _check(data)
    if not isinstance(adults_only, bool):
        msg = f"adults_only must be True or False; got {adults_only!r}"
        raise ParameterError(msg)
    d = data
    if adults_only:
        d = d[d["resource_status"] != "not_adult"]
    d = d.assign(
        resource_strong=(d["resource_status"] == "resource_strong").astype(np.float64),
        not_adult=(d["resource_status"] == "not_adult").astype(np.float64),
        # an integer cluster code: the pid itself never reaches the model
        cluster=pd.factorize(d["pid"])[0] if "pid" in d else np.arange(len(d)),
    )
    covs = ["resource_strong"] if adults_only else ["resource_strong", "not_adult"]
    if d.empty or d["event"].sum() == 0:
        msg = "no out-moves among the episodes: the Cox model has no events"
        raise ModelError(msg)
    d, entry = _entry(d)
    return cox(d, time="years", event="event", covariates=covs, cluster="cluster", entry=entry)
