"""A referee's checklist: primary outcomes, multiplicity, detectable effects, controls.

Runs after every other analysis and reads only what they released (it computes
nothing from the registers). For every released row of an effect estimate (a
table with ``term``, ``estimate`` and ``p_value``; not a diagnostic test such as
``cox_zph``) it says what the row is to the study:

- ``primary``: the outcome the study file declares for a goal
  (``primary = [{goal = 1, table = "did_twfe", term = "att_twfe"}]``), with its
  minimum detectable effect ``mde = (z(1 - alpha/2) + z(power)) * std_error``
  (two-sided test of level ``alpha``, power ``power``; Bloom 1995) where the
  table gives a standard error;
- ``negative_control``: an outcome or placebo the study file names as one
  (``negative_controls = [{table, term, what}]``): an effect there says the
  design is biased, not that the plan worked;
- ``secondary``: every other effect estimate with a p-value; their p-values are
  adjusted together by Holm's step-down method or Benjamini-Hochberg's false
  discovery rate (``multiplicity = "holm" | "bh"``, statsmodels' ``multipletests``).

Model covariates (the terms named in ``covariates``, or ``name=level`` for a
category of one) are neither effects nor tests of the study's questions and are
left out. The released table
``checklist`` is :class:`~cohort.disclosure.Derived` from the tables it reads: a
value withheld there stays missing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cohort.disclosure import Derived
from cohort.exceptions import StudyFileError
from cohort.study.analyses._base import Analysis, Context, Param, TableOutput
from cohort.study.analyses._base import study_text as _t

__all__ = ["Checklist", "minimum_detectable_effect"]

_COLUMNS = ["goal", "role", "table", "term", "estimate", "std_error", "p_value",
            "p_adjusted", "mde", "what"]
#: Columns that tell rows of one term apart (the term is named with them).
_ROW_KEYS = ("period", "dose_years", "start_exam_year", "group", "sample", "outcome")
_DEFAULT_COVARIATES = ["sex", "origin", "birth_year", "mother_education", "parent_employed",
                       "household_income"]


def minimum_detectable_effect(std_error: Any, *, alpha: float = 0.05,
                              power: float = 0.8) -> Any:
    """The minimum detectable effect ``(z(1 - alpha/2) + z(power)) * std_error``.

    The smallest true effect a two-sided test of level ``alpha`` detects with
    probability ``power`` (Bloom 1995).

    Examples
    --------
    >>> round(float(minimum_detectable_effect(0.01)), 5)
    0.02802

    """
    from scipy.stats import norm

    return (norm.ppf(1 - alpha / 2) + norm.ppf(power)) * np.asarray(std_error, dtype=float)


class Checklist(Analysis):
    """The report's checklist for a referee (docs/study.md, "A referee's checklist")."""

    key = "checklist"
    title = "A referee's checklist"
    description = ""
    params = (
        Param("primary", list, [], "per goal its primary outcome: {goal, table, term}"),
        Param("multiplicity", str, "holm", "adjustment of the secondary p-values",
              allowed=("holm", "bh")),
        Param("alpha", float, 0.05, "the level of the tests"),
        Param("power", float, 0.8, "the power of the minimum detectable effect"),
        Param("negative_controls", list, [], "outcomes or placebos: {table, term, what}"),
        Param("covariates", list, _DEFAULT_COVARIATES, "model terms that are not effects"),
    )

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:  # noqa: ARG002
        return _t(spec, "checklist.title")

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:
        method = _t(spec, f"checklist.method.{params['multiplicity']}")
        return _t(spec, "checklist.description", method=method,
                  alpha=f"{params['alpha']:g}", power=f"{params['power']:g}")

    def check(self, params: dict[str, Any], *, where: str) -> None:
        if not 0 < params["alpha"] < 1 or not 0 < params["power"] < 1:
            msg = f"{where}: alpha and power must lie between 0 and 1"
            raise StudyFileError(msg)
        seen = set()
        for i, p in enumerate(params["primary"]):
            _entry(p, ("goal", "table", "term"), f"{where} primary[{i}]")
            if not isinstance(p["goal"], int) or isinstance(p["goal"], bool):
                msg = f"{where} primary[{i}]: goal must be a goal number; got {p['goal']!r}"
                raise StudyFileError(msg)
            if p["goal"] in seen:
                msg = f"{where}: goal {p['goal']} has two primary outcomes; declare one"
                raise StudyFileError(msg)
            seen.add(p["goal"])
        for i, p in enumerate(params["negative_controls"]):
            _entry(p, ("table", "term"), f"{where} negative_controls[{i}]", optional=("what",))
        if not all(isinstance(c, str) for c in params["covariates"]):
            msg = f"{where}: covariates must be names of model terms"
            raise StudyFileError(msg)

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        return {}  # nothing from the registers: present() reads the release

    def present(self, tables: Mapping[str, pd.DataFrame], ctx: Context,
                params: Mapping[str, Any]) -> list[TableOutput]:
        rows, sources = collect(ctx.released, params)
        ctx.notes.extend(_missing(rows, params, ctx.spec))  # shown under the heading
        if rows.empty:
            return []
        return [TableOutput(
            "checklist", _t(ctx.spec, "checklist.table"), rows, Derived(sources=sources),
            caption=_t(ctx.spec, "checklist.caption"),
        )]


def collect(released: Mapping[str, pd.DataFrame], params: Mapping[str, Any]
            ) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The checklist's rows from the released tables, and the tables they come from."""
    primary = {(str(p["table"]), str(p["term"])): int(p["goal"]) for p in params["primary"]}
    controls = {(str(p["table"]), str(p["term"])): str(p.get("what", ""))
                for p in params["negative_controls"]}
    covariates = set(params["covariates"])
    parts = []
    for name, df in released.items():
        if not {"term", "estimate", "p_value"} <= set(df.columns):
            continue  # not an effect estimate (a diagnostic test such as cox_zph)
        d = df.copy()
        d["term"] = d["term"].astype(str)
        # a term that repeats by period, dose bin or false start is named with its key
        for col in (c for c in _ROW_KEYS if c in d.columns):
            v = d[col].astype(str)
            d["term"] = d["term"].where(v.isin(["all", "", "nan", "<NA>"]),
                                        d["term"] + f" [{col}=" + v + "]")
        # a covariate's term is its name, or name=level for a category
        keep = ~d["term"].str.split("=", n=1).str[0].isin(covariates)
        d = d[keep]
        if d.empty:
            continue
        part = pd.DataFrame({
            "table": name, "term": d["term"].to_numpy(),
            "estimate": pd.to_numeric(d["estimate"], errors="coerce").to_numpy(float),
            "std_error": pd.to_numeric(d.get("std_error"), errors="coerce").to_numpy(float)
            if "std_error" in d.columns else np.nan,
            "p_value": pd.to_numeric(d["p_value"], errors="coerce").to_numpy(float),
        })
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=_COLUMNS), ()
    rows = pd.concat(parts, ignore_index=True)
    key = list(zip(rows["table"], rows["term"], strict=True))
    rows["goal"] = pd.array([primary.get(k) for k in key], dtype="Int64")
    rows["role"] = ["primary" if k in primary else "negative_control" if k in controls
                    else "secondary" for k in key]
    rows["what"] = [controls.get(k, "") for k in key]
    rows["p_adjusted"] = np.nan
    sec = (rows["role"] == "secondary") & rows["p_value"].notna()
    if sec.any():
        from statsmodels.stats.multitest import multipletests

        method = {"holm": "holm", "bh": "fdr_bh"}[params["multiplicity"]]
        rows.loc[sec, "p_adjusted"] = multipletests(rows.loc[sec, "p_value"].to_numpy(float),
                                                    alpha=params["alpha"], method=method)[1]
    rows["mde"] = np.where(rows["role"] == "primary",
                           minimum_detectable_effect(rows["std_error"], alpha=params["alpha"],
                                                     power=params["power"]), np.nan)
    order = {"primary": 0, "negative_control": 1, "secondary": 2}
    rows = rows.assign(_o=rows["role"].map(order)).sort_values(
        ["_o", "goal", "table", "term"], kind="stable", na_position="last").drop(columns="_o")
    sources = tuple(dict.fromkeys(rows["table"]))
    return rows[_COLUMNS].reset_index(drop=True), sources


def _missing(rows: pd.DataFrame, params: Mapping[str, Any], spec: Any) -> list[str]:
    """Goals without a primary outcome, and primary outcomes the release does not show."""
    notes = []
    have = set(zip(rows["table"], rows["term"], strict=True)) if len(rows) else set()
    declared = {int(p["goal"]) for p in params["primary"]}
    for p in params["primary"]:
        key = (str(p["table"]), str(p["term"]))
        r = rows[(rows["table"] == key[0]) & (rows["term"] == key[1])] if len(rows) else rows
        if key not in have or r["p_value"].isna().all():
            notes.append(_t(spec, "checklist.primary_missing", goal=p["goal"],
                            table=key[0], term=key[1]))
    goals = spec.analyses.get("goals", {}).get("goals", [1, 2, 3, 4])
    for g in goals:
        if g not in declared:
            notes.append(_t(spec, "checklist.no_primary", goal=g))
    return notes


def _entry(p: Any, keys: tuple[str, ...], where: str, optional: tuple[str, ...] = ()) -> None:
    if not isinstance(p, Mapping) or set(keys) - set(p) or set(p) - set(keys) - set(optional):
        msg = f"{where}: a table with the keys {list(keys)} (optional {list(optional)})"
        raise StudyFileError(msg)
