"""Decomposition of the change in an area's share of resource-strong adults.

The year-to-year change in an area's share of resource-strong adults, split
exactly into the flows that caused it (an accounting identity).

Between t0 = 1 January Y and t1 = 1 January Y+1, let N be the adults (aged
``min_age``-``max_age``) living in the area on the date, R the resource-strong
among them and S = R / N. Every person adult and resident at t0 or at t1 falls
in exactly one class:

- *stayer*: adult resident at both dates (also when they left and came back);
- *leaver* (adult resident at t0, not at t1): ``ageing_out`` if still resident
  at t1; else by the destination of the last out-move in (t0, t1]: ``deaths``
  or ``out_moves``;
- *entrant* (adult resident at t1, not at t0): ``ageing_in`` if resident at t0;
  else by the origin of the last in-move in (t0, t1]: ``births`` or
  ``in_moves``.

With n_c persons of class c and r_c resource-strong among them -- *at the move*
for the classes that move (``in_moves``, ``births``: at the last in-move in
(t0, t1]; ``out_moves``, ``deaths``: at the last out-move), on 1 January for the
others (``ageing_in`` at t1, ``ageing_out`` at t0) -- and G the net change in
status (gained minus lost) of the persons while they live in the area: stayers
from t0 to t1, in-movers from their in-move to t1, out-movers from t0 to their
out-move,

    R1 = R0 + G + sum_entrants r_c - sum_leavers r_c
    N1 = N0 +     sum_entrants n_c - sum_leavers n_c

and because R0 = S0 N0,

    S1 - S0 = (R1 - S0 N1) / N1
            = G / N1 + sum_entrants (r_c - S0 n_c) / N1 - sum_leavers (r_c - S0 n_c) / N1.

So an in-mover who finds work after moving in counts as a not resource-strong
in-move and a status gained in the area, not as a resource-strong in-move.

Each term is a class's contribution: a flow changes the share by how far its
own resource-strong count departs from what the starting share predicts; the
terms add up to the change exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from cohort._sql import sql_int
from cohort.engine.units import Unit
from cohort.exceptions import DataError, ParameterError
from cohort.extract import Extract
from cohort.flows._moves import moves_sql, resolve_areas
from cohort.flows._population import residents_sql
from cohort.flows._status import ResourceDefinition
from cohort.flows._yearly import check_years

__all__ = ["COMPONENTS", "ENTRANTS", "LEAVERS", "decompose", "decomposition_long"]

#: The parts of the change, in the order tables and figures show them.
COMPONENTS = ("in_moves", "out_moves", "status_change", "ageing_in", "ageing_out", "births",
              "deaths")
#: The classes of adults who enter (resident adults at the end, not at the start) and
#: leave (at the start, not at the end).
ENTRANTS = ("in_moves", "ageing_in", "births")
LEAVERS = ("out_moves", "ageing_out", "deaths")


def _classes_sql(extract: Extract, area: str | Unit, ys: tuple[int, ...],
                 definition: ResourceDefinition) -> str:
    spec = resolve_areas(area)
    dates = sorted({dt.date(y, 1, 1) for y in ys} | {dt.date(y + 1, 1, 1) for y in ys})
    res = residents_sql(extract, spec, dates, definition=definition)
    mv = moves_sql(extract, spec, definition=definition)
    years = ", ".join(map(sql_int, ys))
    return f"""
    WITH r AS (SELECT pid, CAST(year(date) AS BIGINT) AS y, resource_status AS st FROM ({res})),
    m AS (SELECT pid, CAST(year(date - INTERVAL 1 DAY) AS BIGINT) AS y, direction, counterpart,
                 resource_status, date FROM ({mv})),
    last_out AS (SELECT pid, y, arg_max(counterpart, date) AS dest,
                        arg_max(resource_status, date) AS st_out FROM m
                 WHERE direction = 'out' GROUP BY pid, y),
    last_in AS (SELECT pid, y, arg_max(counterpart, date) AS orig,
                       arg_max(resource_status, date) AS st_in FROM m
                WHERE direction = 'in' GROUP BY pid, y),
    t0 AS (SELECT pid, y, st AS st0 FROM r WHERE y IN ({years})),
    t1 AS (SELECT pid, y - 1 AS y, st AS st1 FROM r WHERE y - 1 IN ({years})),
    ends AS (SELECT coalesce(t0.pid, t1.pid) AS pid, coalesce(t0.y, t1.y) AS y, st0, st1
             FROM t0 FULL OUTER JOIN t1 ON t0.pid = t1.pid AND t0.y = t1.y),
    adults AS (
        SELECT b.y, b.st0, b.st1,
            (b.st0 IS NOT NULL AND b.st0 <> 'not_adult') AS a0,
            (b.st1 IS NOT NULL AND b.st1 <> 'not_adult') AS a1,
            b.st0 IS NOT NULL AS res0, b.st1 IS NOT NULL AS res1,
            lo.dest, li.orig, lo.st_out, li.st_in
        FROM ends b
        LEFT JOIN last_out lo ON lo.pid = b.pid AND lo.y = b.y
        LEFT JOIN last_in li ON li.pid = b.pid AND li.y = b.y
    ),
    classed AS (
        SELECT y, st0, st1, st_in, st_out,
            CASE
                WHEN a0 AND a1 THEN 'stayer'
                WHEN a0 AND res1 THEN 'ageing_out'
                WHEN a0 AND dest = 'death' THEN 'deaths'
                WHEN a0 THEN 'out_moves'
                WHEN res0 THEN 'ageing_in'
                WHEN orig = 'birth' THEN 'births'
                ELSE 'in_moves'
            END AS class
        FROM adults WHERE a0 OR a1
    ),
    changes AS (
        -- the status a moving class is counted by (at the move), and the status before
        -- and after the person's time in the area within the year: stayers t0 -> t1,
        -- out-movers t0 -> the out-move, in-movers the in-move -> t1 (ageing: none)
        SELECT y, class, st0, st1,
            CASE WHEN class IN ('in_moves', 'births') THEN st_in
                 WHEN class IN ('out_moves', 'deaths') THEN st_out END AS st_move,
            CASE WHEN class IN ('in_moves', 'births') THEN st_in
                 WHEN class IN ('stayer', 'out_moves', 'deaths') THEN st0 END AS st_before,
            CASE WHEN class IN ('out_moves', 'deaths') THEN st_out
                 WHEN class IN ('stayer', 'in_moves', 'births') THEN st1 END AS st_after
        FROM classed
    )
    SELECT y AS year, class,
        count(*) AS persons,
        count(*) FILTER (WHERE st0 = 'resource_strong') AS strong0,
        count(*) FILTER (WHERE st1 = 'resource_strong') AS strong1,
        count(*) FILTER (WHERE st_move = 'resource_strong') AS strong_move,
        count(*) FILTER (WHERE class NOT IN ('ageing_in', 'ageing_out')
                         AND st_before IS DISTINCT FROM 'resource_strong'
                         AND st_after = 'resource_strong') AS gained,
        count(*) FILTER (WHERE class NOT IN ('ageing_in', 'ageing_out')
                         AND st_before = 'resource_strong'
                         AND st_after IS DISTINCT FROM 'resource_strong') AS lost
    FROM changes
    GROUP BY ALL
    """


def decompose(
    extract: Extract,
    *,
    area: str | Unit,
    years: Iterable[int],
    definition: ResourceDefinition | None = None,
) -> pd.DataFrame:
    """Split the yearly change in the share of resource-strong adults.

    Split the change in the share of resource-strong adults from 1 January Y
    to 1 January Y+1 into the flows that caused it.

    Parameters
    ----------
    extract
        A read extract.
    area
        One unit (as in :func:`cohort.flows.moves`).
    years
        The years Y; 1 January Y+1 must lie on or before ``extract_end``.
    definition
        What counts as resource-strong (and the adult ages).

    Returns
    -------
    DataFrame
        One row per year: ``adults_start, strong_start, share_start`` (1 January
        Y), ``adults_end, strong_end, share_end`` (1 January Y+1), ``change =
        share_end - share_start``; per class c of ``in_moves, out_moves,
        ageing_in, ageing_out, births, deaths`` the persons ``c`` and the
        resource-strong among them ``c_strong`` (at the move for ``in_moves,
        out_moves, births, deaths``; on 1 January for ageing); ``stayers`` and
        the resource-strong among them on both dates (``stayers_strong_start``,
        ``stayers_strong_end``); ``status_gained``, ``status_lost`` (persons
        whose status changed while living in the area: stayers from t0 to t1,
        in-movers from the move to t1, out-movers from t0 to the move); and the
        contributions ``contribution_<component>`` for every component of
        :data:`COMPONENTS`, which add up to ``change`` exactly (see the module
        docstring for the identity).

    Examples
    --------
    >>> d = decompose(ex, area="vaerebro_park", years=range(2010, 2019))  # doctest: +SKIP

    """
    definition = definition or ResourceDefinition()
    if area is None or not isinstance(area, str | Unit):
        msg = f"area must name one unit for the decomposition; got {area!r}"
        raise ParameterError(msg)
    ys = check_years(years, extract.extract_end)
    late = [y for y in ys if dt.date(y + 1, 1, 1) > extract.extract_end]
    if late:
        msg = (
            "years must end within the data: 1 January of the next year must lie on or "
            f"before extract_end ({extract.extract_end.isoformat()}); got {late}"
        )
        raise ParameterError(msg)
    counts = extract.con.execute(_classes_sql(extract, area, ys, definition)).df()
    return _contributions(counts, ys)


def _contributions(counts: pd.DataFrame, ys: tuple[int, ...]) -> pd.DataFrame:
    """Build the table from per-year class counts.

    The table from per-year class counts (year, class, persons, strong0, strong1,
    gained, lost).
    """
    classes = ("stayer", *ENTRANTS, *LEAVERS)
    idx = pd.MultiIndex.from_product([list(ys), list(classes)], names=["year", "class"])
    c = counts.set_index(["year", "class"]).reindex(idx, fill_value=0).astype("int64")
    # the status a class is counted by: at the move for the classes that move
    entrant_col = {"in_moves": "strong_move", "births": "strong_move", "ageing_in": "strong1"}
    leaver_col = {"out_moves": "strong_move", "deaths": "strong_move", "ageing_out": "strong0"}
    rows = []
    for y in ys:
        k = c.loc[y]
        stay = k.loc["stayer"]
        n0 = int(stay["persons"] + sum(k.loc[x, "persons"] for x in LEAVERS))
        r0 = int(stay["strong0"] + sum(k.loc[x, "strong0"] for x in LEAVERS))
        n1 = int(stay["persons"] + sum(k.loc[x, "persons"] for x in ENTRANTS))
        r1 = int(stay["strong1"] + sum(k.loc[x, "strong1"] for x in ENTRANTS))
        row: dict[str, float | int] = {"year": y, "adults_start": n0, "strong_start": r0,
                                       "adults_end": n1, "strong_end": r1}
        if n0 == 0 or n1 == 0:
            msg = (
                f"the area has no adults on 1 January {y if n0 == 0 else y + 1}: the share "
                "of resource-strong adults is undefined; choose other years"
            )
            raise DataError(msg)
        s0 = r0 / n0
        row["share_start"], row["share_end"] = s0, r1 / n1
        row["change"] = r1 / n1 - s0
        for x in ENTRANTS:
            n, r = int(k.loc[x, "persons"]), int(k.loc[x, entrant_col[x]])
            row[x], row[f"{x}_strong"] = n, r
            row[f"contribution_{x}"] = (r - s0 * n) / n1
        for x in LEAVERS:
            n, r = int(k.loc[x, "persons"]), int(k.loc[x, leaver_col[x]])
            row[x], row[f"{x}_strong"] = n, r
            row[f"contribution_{x}"] = -(r - s0 * n) / n1 + 0.0  # no negative zeros
        # status changes while in the area: stayers t0 -> t1, movers between the move
        # and 1 January (each person counts once)
        gained, lost = int(k["gained"].sum()), int(k["lost"].sum())
        row["stayers"] = int(stay["persons"])
        row["stayers_strong_start"] = int(stay["strong0"])
        row["stayers_strong_end"] = int(stay["strong1"])
        row["status_gained"], row["status_lost"] = gained, lost
        row["contribution_status_change"] = (gained - lost) / n1
        rows.append(row)
    out = pd.DataFrame(rows)
    cols = ["year", "adults_start", "strong_start", "share_start", "adults_end", "strong_end",
            "share_end", "change", "stayers", "stayers_strong_start", "stayers_strong_end",
            "status_gained", "status_lost"]
    for x in (*ENTRANTS, *LEAVERS):
        cols += [x, f"{x}_strong"]
    cols += [f"contribution_{x}" for x in COMPONENTS]
    return out[cols].reset_index(drop=True)


def decomposition_long(table: pd.DataFrame) -> pd.DataFrame:
    """Return the decomposition in long form.

    :func:`decompose`'s table in long form, one row per year and component
    (``year, component, contribution``), the table the stacked bars are drawn from.
    """
    long = table.melt(
        id_vars="year", value_vars=[f"contribution_{x}" for x in COMPONENTS],
        var_name="component", value_name="contribution",
    )
    long["component"] = pd.Categorical(
        long["component"].str.removeprefix("contribution_"), categories=list(COMPONENTS)
    )
    long["contribution"] = long["contribution"].astype(np.float64)
    return long.sort_values(["year", "component"]).reset_index(drop=True)
