"""A matched comparison in a study's analysis: the study-file switch and its outputs.

``[analyses.survival] matched = {k = 5, on = [...], method = "exact", ...}``
matches each exposed child of the analysed cohort to up to ``k`` comparison
children (:func:`cohort.cohorts.match_controls`, with the study's seed) and
releases, beside the analysis's own outputs: the counts of children matched and
unmatched, the balance table (standardized mean differences before and after
matching) and the Cox model on the matched cohort, stratified by match group.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cohort.cohorts import MATCH_METHODS, MATCH_ON
from cohort.disclosure import CellRef, Counts, ModelOutput, Relation
from cohort.exceptions import ModelError, ParameterError, StudyFileError
from cohort.study.analyses._base import TableOutput, left_out, ordered

__all__ = ["MATCH_KEYS", "add_matched_tables", "check_matched", "matched_outputs"]

#: The keys of ``matched = {...}`` and their defaults.
MATCH_KEYS: dict[str, Any] = {"k": 5, "on": list(MATCH_ON), "method": "exact",
                              "caliper": 0.2, "replace": False}
#: What a study may match on: the cohort's covariates at the reference date.
_ON = ("birth_year", "sex", "origin", "mother_education", "parent_employed",
       "household_income")
_STATUS = ("eligible", "matched", "unmatched")
_GROUPS = ("exposed", "comparison")


def check_matched(value: Mapping[str, Any], *, where: str) -> dict[str, Any]:
    """``matched = {...}`` of a study file, checked, with defaults; ``{}`` when off."""
    if not value:
        return {}
    unknown = [k for k in value if k not in MATCH_KEYS]
    if unknown:
        msg = (f"{where}: matched has unknown key {unknown[0]!r} (allowed: "
               f"{', '.join(repr(k) for k in MATCH_KEYS)})")
        raise StudyFileError(msg)
    out = {**MATCH_KEYS, **value}
    k = out["k"]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        msg = f"{where}: matched.k must be an integer in [1, 100]; got {k!r}"
        raise StudyFileError(msg)
    on = out["on"]
    if (not isinstance(on, list) or not on or len(set(map(str, on))) != len(on)
            or any(c not in _ON for c in on)):
        msg = f"{where}: matched.on must list distinct covariates among {list(_ON)}; got {on!r}"
        raise StudyFileError(msg)
    if out["method"] not in MATCH_METHODS:
        msg = (f"{where}: matched.method must be one of "
               f"{', '.join(repr(m) for m in MATCH_METHODS)}; got {out['method']!r}")
        raise StudyFileError(msg)
    cal = out["caliper"]
    if isinstance(cal, bool) or not isinstance(cal, (int, float)) or not 0 < cal <= 10:
        msg = f"{where}: matched.caliper must be a number in (0, 10] (SD of the logit); got {cal!r}"
        raise StudyFileError(msg)
    if "caliper" in value and out["method"] != "propensity":
        msg = f"{where}: matched.caliper is only used with method = 'propensity'"
        raise StudyFileError(msg)
    if not isinstance(out["replace"], bool):
        msg = f"{where}: matched.replace must be true or false; got {out['replace']!r}"
        raise StudyFileError(msg)
    return {"k": k, "on": list(on), "method": out["method"], "caliper": float(cal),
            "replace": out["replace"]}


def add_matched_tables(tables: dict[str, pd.DataFrame], ctx: Any, d: pd.DataFrame,
                       matched: Mapping[str, Any], *, time: str = "months",
                       event: str = "event") -> None:
    """Add the raw tables of a matched comparison of ``d`` (the analysed children).

    ``d`` has ``pid``, ``group``, the matching covariates and the outcome's
    ``time`` and ``event`` (and ``family``, else it is looked up). A propensity
    model or Cox model the data cannot identify is left out with a note in
    ``tables``. The seed is the study's.
    """
    from cohort.cohorts import match_controls
    from cohort.survival import cox

    data = d.assign(exposed=(d["group"] == "exposed").astype(int))
    try:
        m = match_controls(data, k=matched["k"], on=matched["on"], method=matched["method"],
                           caliper=matched["caliper"], replace=matched["replace"],
                           seed=int(getattr(ctx.spec, "seed", 0)))
    except (ModelError, ParameterError) as err:
        left_out(tables, f"the matched comparison: {err}")
        return
    tables["matching_counts"] = m.counts
    tables["matching_balance"] = m.tidy()
    tables["matching_balance_support"] = m.balance_support
    md = m.data
    if "family" not in md:
        mothers = ctx.extract.to_pandas("persons", columns=["pid", "mother_pid"])
        md = md.merge(mothers, on="pid", how="left")
        md["family"] = md["mother_pid"].fillna(md["pid"])
    try:
        fit = cox(md[[time, event, "exposed", "match_id", "family"]].astype(
                      {"exposed": float}),
                  time=time, event=event, covariates=["exposed"], strata="match_id",
                  cluster="family", concordance=False)
    except ModelError as err:
        left_out(tables, f"the Cox model on the matched cohort: {err}")
        return
    tidy = fit.tidy()[["term", "estimate", "std_error", "statistic", "p_value",
                       "conf_low", "conf_high"]]
    tables["cox_matched"] = tidy.reset_index(drop=True)
    persons = md.drop_duplicates("pid")
    tables["cox_matched_support"] = (
        persons.groupby("group").agg(n_persons=("pid", "size"), n_events=(event, "sum"))
        .reset_index())


def matched_outputs(tables: Mapping[str, pd.DataFrame], *, prefix: str, spec: Any,
                    matched: Mapping[str, Any],
                    eligible: Mapping[str, list[CellRef]] | None = None) -> list[TableOutput]:
    """The released tables of :func:`add_matched_tables` (or of the DiD's matching).

    ``prefix`` names them (``survival`` -> ``survival_matching``, ...) and the
    catalog keys of the model on the matched children (``survival.cox_matched.*``);
    ``eligible`` gives, per group, the cells of tables released before whose sum is
    the group's eligible children (declared to disclosure control: without it an
    eligible count beside a table with one suppressed cell gives that cell back).
    """
    from cohort.study.analyses._base import study_text

    def text(key: str, **fmt: Any) -> str:
        return study_text(spec, key if key.startswith("matching") else f"{prefix}.{key}",
                          **fmt)

    if "matching_counts" not in tables:
        return []
    name = f"{prefix}_matching"
    counts = ordered(ordered(tables["matching_counts"], "group", _GROUPS), "status", _STATUS)
    relations: list[Relation] = []
    for g, parts in (eligible or {}).items():
        if parts:
            relations.append(Relation(CellRef(name, {"group": g, "status": "eligible"}, "n"),
                                      list(parts)))
    fmt = {"k": matched["k"], "method": matched["method"], "on": ", ".join(matched["on"]),
           "replace": "true" if matched["replace"] else "false"}
    balance = tables["matching_balance"]
    balance = ordered(balance, "term", list(dict.fromkeys(balance["term"])))
    outputs = [
        TableOutput(
            name, text("matching.title"), counts,
            Counts(count_cols=("n",), by=("group", "status"),
                   totals={"status": {"eligible": ["matched", "unmatched"]}},
                   relations=tuple(relations)),
            caption=text("matching.caption", **fmt)),
        TableOutput(
            f"{name}_balance", text("matching_balance.title"),
            ordered(balance, "sample", ("before", "after")),
            ModelOutput(support=tables["matching_balance_support"], persons="n_persons",
                        on=("term", "sample")),
            caption=text("matching_balance.caption")),
    ]
    if "cox_matched" in tables:
        outputs.append(TableOutput(
            f"{prefix}_cox_matched", text("cox_matched.title"), tables["cox_matched"],
            ModelOutput(support=tables["cox_matched_support"], persons="n_persons",
                        events="n_events", complement=False),
            caption=text("cox_matched.caption")))
    return outputs
