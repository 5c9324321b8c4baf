"""Retention: the time from moving into an area to moving out of it.

Retention: the time from moving into an area to moving out of it
(definitions.md §4), by resource status at the in-move.

One episode per in-move (a person who leaves and returns has several). The
episode ends with the next out-move from the area: an *event* when the person
moves (elsewhere in the country or abroad), *censored* at death and at
``extract_end`` when still resident. Births into the area are not in-moves here
unless asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cohort._sql import sql_date
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

    Returns
    -------
    DataFrame
        ``pid, episode`` (1, 2, ... per person), ``entry_date``, ``origin``,
        ``resource_status`` (at the in-move), ``exit_date``, ``exit`` (one of
        :data:`EXITS`), ``days``, ``years`` (``days / 365.25``) and ``event``
        (1 = moved out, 0 = censored). Person-level: input to
        :func:`retention_km` / :func:`retention_cox`, never for release.

    """
    if area is None or not isinstance(area, str | Unit):
        msg = f"area must name one unit for retention; got {area!r}"
        raise ParameterError(msg)
    if not isinstance(include_births, bool):
        msg = f"include_births must be True or False; got {include_births!r}"
        raise ParameterError(msg)
    definition = definition or ResourceDefinition()
    spec = resolve_areas(area)
    mv = moves_sql(extract, spec, definition=definition)
    end = sql_date(extract.extract_end)
    births = "" if include_births else "AND counterpart <> 'birth'"
    sql = f"""
    WITH m AS (
        SELECT pid, date, direction, counterpart, resource_status,
            lead(date) OVER w AS next_date, lead(direction) OVER w AS next_dir,
            lead(counterpart) OVER w AS next_cp
        FROM ({mv}) WINDOW w AS (PARTITION BY pid ORDER BY date)
    )
    SELECT pid, row_number() OVER (PARTITION BY pid ORDER BY date) AS episode,
        date AS entry_date, counterpart AS origin, resource_status,
        CASE WHEN next_dir = 'out' THEN next_date ELSE {end} END AS exit_date,
        CASE WHEN next_dir = 'out' AND next_cp = 'death' THEN 'died'
             WHEN next_dir = 'out' THEN 'moved_out' ELSE 'end_of_data' END AS exit
    FROM m WHERE direction = 'in' {births}
    ORDER BY pid, entry_date
    """
    df = extract.con.execute(sql).df()
    df["entry_date"] = pd.to_datetime(df["entry_date"])
    df["exit_date"] = pd.to_datetime(df["exit_date"])
    df["episode"] = df["episode"].astype("int64")
    df["days"] = (df["exit_date"] - df["entry_date"]).dt.days.astype("int64")
    df["years"] = df["days"] / DAYS_PER_YEAR
    df["event"] = (df["exit"] == "moved_out").astype("int64")
    df["resource_status"] = pd.Categorical(df["resource_status"], categories=RESOURCE_STATUSES)
    df["exit"] = pd.Categorical(df["exit"], categories=EXITS)
    return df


def _check(data: pd.DataFrame) -> None:
    need = {"years", "event", "resource_status"}
    missing = sorted(need - set(data.columns))
    if missing:
        msg = f"data must be retention_data()'s table; columns missing: {missing}"
        raise ParameterError(msg)
    if data.empty:
        msg = "no in-moves to follow: the retention table has no rows"
        raise DataError(msg)


def retention_km(data: pd.DataFrame) -> Any:
    """Kaplan-Meier curves of staying, by resource status at the in-move.

    Kaplan-Meier curves of staying in the area, one per resource status at
    the in-move (time in years), with :func:`cohort.survival.kaplan_meier`.

    Returns that function's ``KaplanMeierResult``.
    """
    from cohort.survival import kaplan_meier

    _check(data)
    d = data.assign(resource_status=data["resource_status"].astype(str))
    return kaplan_meier(d, time="years", event="event", group="resource_status")


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
    return cox(d, time="years", event="event", covariates=covs, cluster="cluster")
