"""The flow of exclusions and the linkage report of a cohort (counts only).

Both are plain DataFrames of counts; disclosure control is applied where a table
leaves the library (cohort.disclosure), not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cohort._sql import sql_ident, sql_str
from cohort.engine._keys import fresh_name
from cohort.extract import Extract

__all__ = ["FLOW_GROUPS", "flow_table", "linkage_report"]

FLOW_GROUPS = ("exposed", "comparison", "neither")
_LINKED = ("migrations", "education", "labour", "benefits", "income", "exams", "absence",
           "placements", "convictions")


def flow_table(total: int, steps: Sequence[tuple[str, str, str]],
               counts: dict[str, Sequence[int]]) -> pd.DataFrame:
    """The flow as a table.

    One row per step: the persons remaining after it in total and per group, and
    how many the step excluded.
    """
    rows = [{"step": "extract", "criterion": "persons in the extract", "n": int(total),
             "excluded": pd.NA, **{g: pd.NA for g in FLOW_GROUPS}}]
    prev = int(total)
    for i, (key, text, _) in enumerate(steps):
        per = {g: int(counts.get(g, [0] * len(steps))[i]) for g in FLOW_GROUPS}
        n = sum(per.values())
        rows.append({"step": key, "criterion": text, "n": n, "excluded": prev - n, **per})
        prev = n
    df = pd.DataFrame(rows)
    for col in ("n", "excluded", *FLOW_GROUPS):
        df[col] = df[col].astype("Int64")
    return df


def linkage_report(extract: Extract, members: pd.DataFrame, *,
                   mothers: pd.Series | None = None,
                   fathers: pd.Series | None = None) -> pd.DataFrame:
    """How many cohort members have rows in each register, per group and in all.

    Parameters
    ----------
    extract
        The register extract.
    members
        The cohort: columns ``pid`` and ``group``.
    mothers, fathers
        Optional: the members' ``mother_pid`` / ``father_pid`` (aligned with
        ``members``); adds the rows ``mother`` / ``father`` (the parent is known
        and is a person of the extract).

    Returns
    -------
    pandas.DataFrame
        Columns ``register, group, members, matched, unmatched, share_matched``.

    """
    con = extract.con
    view = fresh_name("_cm")
    frame = pd.DataFrame({"pid": members["pid"].astype(object),
                          "grp": members["group"].astype(object)})
    if mothers is not None:
        frame["mother"] = mothers.to_numpy(dtype=object)
    if fathers is not None:
        frame["father"] = fathers.to_numpy(dtype=object)
    con.register(view, frame)
    try:
        parts = []
        for t in ("persons", *[t for t in _LINKED if extract.has(t)]):
            parts.append(f"SELECT {sql_str(t)} AS register, grp, k.pid IN "
                         f"(SELECT pid FROM {sql_ident(t)}) AS m FROM {view} k")
        for parent in ("mother", "father"):
            if parent in frame:
                parts.append(f"SELECT {sql_str(parent)} AS register, grp, k.{sql_ident(parent)} "
                             f"IN (SELECT pid FROM persons) AS m FROM {view} k")
        sql = (f"SELECT register, COALESCE(grp, 'all') AS grp, count(*) AS members, "
               f"count(*) FILTER (WHERE m) AS matched FROM ({' UNION ALL '.join(parts)}) "
               "GROUP BY GROUPING SETS ((register, grp), (register))")
        df = con.execute(sql).df()
    finally:
        con.unregister(view)
    order = ["persons", *_LINKED, "mother", "father"]
    df["_r"] = df["register"].map({r: i for i, r in enumerate(order)})
    df["_g"] = df["grp"].map({"all": 0, "exposed": 1, "comparison": 2})
    df = df.sort_values(["_r", "_g"]).drop(columns=["_r", "_g"]).rename(columns={"grp": "group"})
    df["members"] = df["members"].astype("Int64")
    df["matched"] = df["matched"].astype("Int64")
    df["unmatched"] = df["members"] - df["matched"]
    df["share_matched"] = (df["matched"] / df["members"]).astype(float)
    return df.reset_index(drop=True)[
        ["register", "group", "members", "matched", "unmatched", "share_matched"]]
