"""Matched comparison children: exact or propensity-score matching (issue 20, item 6).

Each exposed child is matched to up to ``k`` comparison children of the same
cohort on characteristics measured at the reference date (birth year, sex,
origin, the mother's education), exactly or on a propensity score with a
caliper. The semantics follow R's ``heaven::exposureMatch`` (a match group per
exposed child with its controls, a count of controls found, a seed for the
random draws), with two differences stated in docs/cohorts.md: the group is
assigned once, on the reference date (no risk-set matching over calendar time),
and matching without replacement spreads the controls of a cell evenly over its
exposed children (round robin) instead of serving them one after the other.

The result carries the matched rows with a match-group id (a stratum or a
cluster), the weights of a weighted analysis, the counts of exposed children
matched and unmatched, and the balance table: standardized mean differences
before and after matching, with the counts each rests on for disclosure control.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cohort._params import check_int_range, check_literal
from cohort.exceptions import ModelError, ParameterError

__all__ = ["MATCH_METHODS", "MATCH_ON", "MatchedSet", "match_controls"]

#: How comparison children are matched.
MATCH_METHODS = ("exact", "propensity")
#: The matching variables by default: measured at (or before) the reference date.
MATCH_ON = ("birth_year", "sex", "origin", "mother_education")
_MISSING = "missing"
_DECIMALS = 12  # the logit is rounded so that equal covariate patterns tie exactly


@dataclass(frozen=True)
class MatchedSet:
    """Exposed children and their matched comparison children.

    Attributes
    ----------
    data
        One row per member of a match group: the input's columns, then
        ``match_id`` (1, 2, ...: one group per matched exposed child, usable as a
        stratum or a cluster), ``match_role`` (``exposed`` / ``comparison``),
        ``match_weight`` (1 for the exposed child; ``1 / m`` for each of the
        ``m`` comparison children of its group, so that every group weighs as
        much on either side) and, with ``method = "propensity"``,
        ``propensity_logit``. With ``replace=True`` a comparison child can be in
        several groups, with one row in each. Unmatched exposed children are not
        in it (they are counted).
    counts
        ``group, status, n``: per group (``exposed``, ``comparison``) the
        children ``eligible`` for matching, ``matched`` (in a match group) and
        ``unmatched``; ``eligible = matched + unmatched``.
    balance
        ``term, covariate, level, sample, mean_exposed, mean_comparison, smd``:
        per covariate (per level of a categorical one) the standardized mean
        difference ``before`` and ``after`` matching.
    balance_support
        ``term, sample, group, side, n_persons``: the distinct children each
        balance row rests on (for a level: those with it and those without it,
        per group; for a numeric covariate: those with a value). Never released;
        disclosure control checks the balance table against it.
    k, on, method, replace, caliper, seed
        The settings it was made with (``caliper`` in SD of the logit).
    caliper_width
        The caliper on the logit scale (``caliper`` x the SD of the logit over
        the eligible children); ``None`` for exact matching or without a caliper.

    """

    data: pd.DataFrame
    counts: pd.DataFrame
    balance: pd.DataFrame
    balance_support: pd.DataFrame
    k: int
    on: tuple[str, ...]
    method: str
    replace: bool
    caliper: float | None
    seed: int
    caliper_width: float | None = None

    def __repr__(self) -> str:
        c = self.counts.set_index(["group", "status"])["n"]
        return (f"MatchedSet(method={self.method!r}, k={self.k}, replace={self.replace}, "
                f"exposed matched={int(c['exposed', 'matched']):,} of "
                f"{int(c['exposed', 'eligible']):,}, comparison used="
                f"{int(c['comparison', 'matched']):,} of {int(c['comparison', 'eligible']):,})")

    def tidy(self) -> pd.DataFrame:
        """The balance table: ``term, sample, estimate`` (the SMD)."""
        return (self.balance[["term", "sample", "smd"]]
                .rename(columns={"smd": "estimate"}).reset_index(drop=True))

    def summary(self) -> str:
        """Counts and the largest absolute SMD before and after matching (no person values)."""
        c = self.counts.set_index(["group", "status"])["n"]
        lines = [f"Matching: {self.method}, k = {self.k}, "
                 f"{'with' if self.replace else 'without'} replacement"
                 + (f", caliper {self.caliper} SD of the logit"
                    if self.method == "propensity" and self.caliper is not None else "")]
        for g in ("exposed", "comparison"):
            lines.append(f"  {g}: eligible {int(c[g, 'eligible']):,}, matched "
                         f"{int(c[g, 'matched']):,}, unmatched {int(c[g, 'unmatched']):,}")
        for s in ("before", "after"):
            v = self.balance.loc[self.balance["sample"] == s, "smd"].abs()
            worst = "n/a" if v.dropna().empty else f"{v.max():.3f}"
            lines.append(f"  largest |SMD| {s} matching: {worst}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>" + self.tidy().to_html(index=False)

    def plot(self) -> Figure:
        """A Love plot: |SMD| per term before and after matching (Agg backend)."""
        wide = self.balance.pivot_table(index="term", columns="sample", values="smd",
                                        sort=False).abs()
        terms = list(dict.fromkeys(self.balance["term"]))[::-1]
        wide = wide.reindex(terms)
        fig = Figure(figsize=(6, 0.25 * len(terms) + 1.5))
        ax = fig.add_subplot(1, 1, 1)
        y = np.arange(len(terms))
        for s, colour, marker in (("before", "#bababa", "o"), ("after", "#2166ac", "s")):
            if s in wide:
                ax.scatter(wide[s].to_numpy(dtype=float), y, color=colour, marker=marker,
                           label=f"{s} matching", s=18)
        ax.axvline(0.1, color="#b2182b", linewidth=0.8, linestyle="--")
        ax.set_yticks(y, terms, fontsize=7)
        ax.set_xlabel("absolute standardized mean difference")
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        return fig


# ---------------------------------------------------------------- the checks
def _check_args(data: pd.DataFrame, *, k: Any, on: Any, method: Any, replace: Any,
                caliper: Any, seed: Any, exposed: str, id: str,  # noqa: A002
                balance: Any) -> tuple[tuple[str, ...], tuple[str, ...], float | None]:
    check_int_range("k", k, low=1, high=100)
    check_literal("method", method, MATCH_METHODS)
    if not isinstance(replace, bool):
        msg = f"replace must be true or false; got {replace!r}"
        raise ParameterError(msg)
    check_int_range("seed", seed, low=0)
    if isinstance(on, str) or not isinstance(on, Sequence) or not on:
        msg = f"on must be a non-empty list of column names; got {on!r}"
        raise ParameterError(msg)
    on = tuple(on)
    if len(set(on)) != len(on):
        msg = f"on must name distinct columns; got {list(on)}"
        raise ParameterError(msg)
    balance = tuple(balance or ())
    need = [exposed, id, *on, *balance]
    missing = [c for c in dict.fromkeys(need) if c not in data.columns]
    if missing:
        msg = f"the data have no column(s) {missing} (matching needs {list(dict.fromkeys(need))})"
        raise ParameterError(msg)
    if caliper is not None:
        if isinstance(caliper, bool) or not isinstance(caliper, (int, float)) or not (
                0 < caliper <= 10):
            msg = f"caliper must be a number in (0, 10] (SD of the logit) or None; got {caliper!r}"
            raise ParameterError(msg)
        caliper = float(caliper)
    x = data[exposed]
    if x.isna().any() or not set(pd.unique(x.astype(float))) <= {0.0, 1.0}:
        msg = f"column {exposed!r} must be 0/1 (or true/false) without missing values"
        raise ParameterError(msg)
    if data[id].duplicated().any():
        msg = f"column {id!r} must identify the rows: {int(data[id].duplicated().sum())} repeat"
        raise ParameterError(msg)
    return on, tuple(c for c in balance if c not in on), caliper


def _is_numeric(s: pd.Series) -> bool:
    """A covariate enters as a number when it is a float column with more than two values.

    Everything else (text, categories, integers such as ``birth_year``, 0/1 flags)
    enters by its levels, a missing value as the level ``missing``.
    """
    return pd.api.types.is_float_dtype(s) and s.dropna().nunique() > 2


def _levels(s: pd.Series) -> pd.Series:
    """A categorical covariate as text levels, missing as ``"missing"``."""
    out = s.astype(object).where(s.notna(), None)
    return out.map(lambda v: _MISSING if v is None else (
        str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)))


# ---------------------------------------------------------------- matching
def match_controls(
    data: Any,
    *,
    k: int = 5,
    on: Sequence[str] = MATCH_ON,
    method: str = "exact",
    replace: bool = False,
    caliper: float | None = 0.2,
    seed: int = 0,
    exposed: str = "exposed",
    id: str = "pid",  # noqa: A002 - the name of the id column everywhere in cohort
    balance: Sequence[str] = (),
) -> MatchedSet:
    """Match each exposed child to up to ``k`` comparison children.

    Parameters
    ----------
    data
        A :class:`~cohort.cohorts.Cohort` or its ``data``: one row per child with
        ``exposed`` (0/1), ``id`` and the columns of ``on``. Rows with
        ``exposed = 0`` are the candidates.
    k
        Comparison children per exposed child (1-100); fewer where a cell (exact)
        or the caliper (propensity) has fewer.
    on
        The matching variables. ``method = "exact"``: every match agrees with its
        exposed child on every one (a missing value is a level of its own).
        ``method = "propensity"``: the covariates of the logistic regression of
        ``exposed`` (statsmodels): a float column with more than two values
        enters linearly (missing values at the mean, with a missing indicator),
        any other column by its levels.
    method
        ``"exact"`` or ``"propensity"`` (nearest neighbour on the logit of the
        propensity score).
    replace
        ``False`` (default): a comparison child is in at most one match group;
        within an exact cell the controls are dealt out round robin (every
        exposed child gets its first control before any gets a second), and the
        propensity matching is greedy in rounds likewise. ``True``: each exposed
        child draws its own ``k`` (distinct) controls; a comparison child can be
        reused, so cluster on the child (or the family) in the analysis.
    caliper
        Propensity only: the largest distance between matched logits, in SD of
        the logit over the eligible children (Austin 2011 suggests 0.2); ``None``:
        no caliper.
    seed
        The random order of the exposed children and the tie-breaking among
        candidates (numpy ``Generator``). The result depends only on the seed
        and the data, not on the row order.
    exposed, id
        The column names.
    balance
        Further covariates to report in the balance table (the ``on`` columns
        always are).

    Returns
    -------
    MatchedSet
        The matched rows with ``match_id``, ``match_role``, ``match_weight``,
        the counts and the balance table.

    Raises
    ------
    ParameterError
        A setting is out of range or a column is missing.
    ModelError
        The propensity model cannot be fitted (separation, a singular design).

    Examples
    --------
    >>> d = pd.DataFrame({"pid": range(6), "exposed": [1, 1, 0, 0, 0, 0],
    ...                   "sex": ["F", "M", "F", "M", "F", "M"]})
    >>> m = match_controls(d, k=2, on=["sex"])
    >>> m.data.groupby("match_id")["sex"].nunique().tolist()
    [1, 1]

    """
    if hasattr(data, "data") and isinstance(data.data, pd.DataFrame):
        data = data.data
    if not isinstance(data, pd.DataFrame):
        msg = f"data must be a Cohort or a DataFrame; got {type(data).__name__}"
        raise ParameterError(msg)
    on, extra, caliper = _check_args(data, k=k, on=on, method=method, replace=replace,
                                     caliper=caliper, seed=seed, exposed=exposed, id=id,
                                     balance=balance)
    d = data.sort_values(id, kind="mergesort").reset_index(drop=True)
    treat = d[exposed].astype(float).to_numpy() == 1.0
    rng = np.random.default_rng(seed)
    order = rng.random(len(d))  # the random order of every child: exposed and candidates
    logit = None
    width = None
    if method == "exact":
        pairs = _exact(d, on, treat, order, k=k, replace=replace, rng=rng)
    else:
        logit = _propensity_logit(d, on, treat)
        sd = float(np.std(logit, ddof=1)) if len(logit) > 1 else 0.0
        width = None if caliper is None else caliper * sd
        pairs = _nearest(logit, treat, order, k=k, replace=replace, width=width, rng=rng)
    matched = _assemble(d, pairs, treat, id=id)
    if logit is not None:
        matched["propensity_logit"] = logit[matched.pop("_row").to_numpy()]
    else:
        matched = matched.drop(columns="_row")
    counts = _counts(d, treat, matched, id=id)
    bal, support = _balance(d, treat, matched, [*on, *extra], id=id,
                            extra_numeric=(("propensity_logit", logit)
                                           if logit is not None else None))
    return MatchedSet(data=matched, counts=counts, balance=bal, balance_support=support,
                      k=k, on=on, method=method, replace=replace,
                      caliper=caliper if method == "propensity" else None, seed=seed,
                      caliper_width=width)


def _exact(d: pd.DataFrame, on: tuple[str, ...], treat: np.ndarray, order: np.ndarray, *,
           k: int, replace: bool, rng: np.random.Generator) -> np.ndarray:
    """Pairs ``(exposed row, control row)`` of an exact match, as an (n, 2) array."""
    key = pd.DataFrame({c: _levels(d[c]) for c in on})
    cell = key.groupby(list(on), sort=True, dropna=False).ngroup().to_numpy()
    rows = np.arange(len(d))
    # within each cell: exposed and candidates in their random order
    e = rows[treat]
    c = rows[~treat]
    e = e[np.lexsort((order[e], cell[e]))]
    c = c[np.lexsort((order[c], cell[c]))]
    e_cells, e_start, e_n = np.unique(cell[e], return_index=True, return_counts=True)
    c_cells, c_start, c_n = np.unique(cell[c], return_index=True, return_counts=True)
    out: list[np.ndarray] = []
    common = np.intersect1d(e_cells, c_cells)
    e_at = dict(zip(e_cells.tolist(), zip(e_start.tolist(), e_n.tolist(), strict=True),
                    strict=True))
    c_at = dict(zip(c_cells.tolist(), zip(c_start.tolist(), c_n.tolist(), strict=True),
                    strict=True))
    for g in common.tolist():
        (es, en), (cs, cn) = e_at[g], c_at[g]
        ex, co = e[es:es + en], c[cs:cs + cn]
        if not replace:
            # round robin: control j goes to exposed j mod en, in round j // en
            take = min(cn, en * k)
            j = np.arange(take)
            out.append(np.column_stack([ex[j % en], co[j]]))
        else:
            m = min(k, cn)
            for x in ex:
                pick = rng.choice(cn, size=m, replace=False)
                out.append(np.column_stack([np.full(m, x), co[np.sort(pick)]]))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=int)


def _design(d: pd.DataFrame, on: tuple[str, ...]) -> pd.DataFrame:
    """The propensity model's design: numbers linearly, levels as indicators."""
    parts = [pd.DataFrame({"const": np.ones(len(d))})]
    for col in on:
        s = d[col]
        if _is_numeric(s):
            v = s.astype(float)
            x = pd.DataFrame({col: v.fillna(v.mean()).to_numpy()})
            if v.isna().any():
                x[f"{col}={_MISSING}"] = v.isna().astype(float).to_numpy()
            sd = x[col].std()
            if sd > 0:  # scaled for the Newton steps; the logit does not change
                x[col] = (x[col] - x[col].mean()) / sd
        else:
            lev = _levels(s)
            base = lev.value_counts().sort_index(kind="mergesort").idxmax()
            x = pd.get_dummies(lev, prefix=col, prefix_sep="=", dtype=float)
            x = x.drop(columns=f"{col}={base}").reset_index(drop=True)
        parts.append(x)
    design = pd.concat(parts, axis=1)
    return design.loc[:, (design.std() > 0) | (design.columns == "const")]


def _propensity_logit(d: pd.DataFrame, on: tuple[str, ...], treat: np.ndarray) -> np.ndarray:
    import warnings

    import statsmodels.api as sm

    x = _design(d, on)
    y = treat.astype(float)
    if y.sum() == 0 or y.sum() == len(y):
        msg = "the propensity model needs exposed and comparison children"
        raise ModelError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.Logit(y, x.to_numpy()).fit(disp=0, method="newton", maxiter=100)
    except (np.linalg.LinAlgError, ValueError) as err:
        msg = (f"the propensity model of {list(on)} cannot be fitted "
               f"({type(err).__name__}): merge sparse levels or drop a covariate")
        raise ModelError(msg) from None
    lp = x.to_numpy() @ np.asarray(fit.params)
    if not np.all(np.isfinite(lp)) or np.max(np.abs(lp)) > 30:
        msg = (f"the propensity model of {list(on)} separates the groups (a level with "
               "children of one group only): merge sparse levels or use exact matching")
        raise ModelError(msg)
    return np.round(lp, _DECIMALS)


def _nearest(logit: np.ndarray, treat: np.ndarray, order: np.ndarray, *, k: int,
             replace: bool, width: float | None, rng: np.random.Generator) -> np.ndarray:
    """Pairs of a nearest-neighbour match on the logit within the caliper."""
    rows = np.arange(len(logit))
    e = rows[treat]
    e = e[np.argsort(order[e], kind="mergesort")]  # the exposed in random order
    c = rows[~treat]
    c = c[np.lexsort((order[c], logit[c]))]  # sorted by logit, ties in random order
    lc = logit[c]
    n = len(c)
    limit = math.inf if width is None else width
    out: list[tuple[int, int]] = []
    if n == 0:
        return np.empty((0, 2), dtype=int)
    if replace:
        for x in e:
            v = logit[x]
            pos = int(np.searchsorted(lc, v))
            lo, hi = max(0, pos - k), min(n, pos + k)
            dist = np.abs(lc[lo:hi] - v)
            dist = dist[dist <= limit]
            if dist.size == 0:
                continue
            dk = np.sort(dist)[min(k, dist.size) - 1]
            inner = np.arange(np.searchsorted(lc, v - dk, "right"),
                              np.searchsorted(lc, v + dk, "left"))
            edge = np.concatenate([
                np.arange(np.searchsorted(lc, v - dk, "left"),
                          np.searchsorted(lc, v - dk, "right")),
                np.arange(np.searchsorted(lc, v + dk, "left"),
                          np.searchsorted(lc, v + dk, "right"))])
            edge = np.unique(edge)
            need = min(k, inner.size + edge.size) - inner.size
            pick = np.sort(rng.choice(edge, size=need, replace=False)) if need > 0 else edge[:0]
            for j in np.concatenate([inner, pick]).tolist():
                out.append((int(x), int(c[j])))
    else:
        # greedy in rounds: each exposed child takes the nearest unused candidate; the
        # nearest unused one to either side is found by union-find with path halving
        right = np.arange(n + 1)  # find(right, i): the first unused index >= i (n: none)
        left = np.arange(n + 1)   # find(left, i + 1) - 1: the last unused index <= i (-1: none)

        def find(parent: np.ndarray, i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = int(parent[i])
            return i

        active = list(e.tolist())
        for _ in range(k):
            still = []
            for x in active:
                v = logit[x]
                pos = int(np.searchsorted(lc, v))  # the first candidate with logit >= v
                r = find(right, pos)
                lft = find(left, pos) - 1
                dr = lc[r] - v if r < n else math.inf
                dl = v - lc[lft] if lft >= 0 else math.inf
                best, dist = (r, dr) if dr <= dl else (lft, dl)
                if math.isinf(dist) or dist > limit:
                    continue
                right[best] = best + 1
                left[best + 1] = best
                out.append((int(x), int(c[best])))
                still.append(x)
            active = still
            if not active:
                break
    return np.asarray(out, dtype=int).reshape(-1, 2)


def _assemble(d: pd.DataFrame, pairs: np.ndarray, treat: np.ndarray, *, id: str  # noqa: A002
              ) -> pd.DataFrame:
    """The matched rows: one per group member, groups numbered in the exposed's id order."""
    cols = [*d.columns, "match_id", "match_role", "match_weight", "_row"]
    if len(pairs) == 0:
        empty = d.iloc[:0].copy()
        empty["match_id"] = pd.Series([], dtype="int64")
        empty["match_role"] = pd.Series([], dtype=object)
        empty["match_weight"] = pd.Series([], dtype=float)
        empty["_row"] = pd.Series([], dtype="int64")
        return empty[cols]
    p = pd.DataFrame({"e": pairs[:, 0], "c": pairs[:, 1]})
    exposed_rows = np.unique(p["e"].to_numpy())  # d is sorted by id: row order = id order
    gid = pd.Series(np.arange(1, len(exposed_rows) + 1), index=exposed_rows)
    p["match_id"] = gid.loc[p["e"]].to_numpy()
    p = p.sort_values(["match_id", "c"], kind="mergesort")
    ctl = pd.DataFrame({"_row": p["c"].to_numpy(), "match_id": p["match_id"].to_numpy(),
                        "match_role": "comparison",
                        "match_weight": 1.0 / p.groupby("match_id")["c"].transform("size")
                        .to_numpy()})
    exp = pd.DataFrame({"_row": exposed_rows, "match_id": gid.to_numpy(),
                        "match_role": "exposed", "match_weight": 1.0})
    rows = pd.concat([exp, ctl], ignore_index=True)
    rows["_o"] = (rows["match_role"] == "comparison").astype(int)
    rows = rows.sort_values(["match_id", "_o", "_row"], kind="mergesort").drop(columns="_o")
    out = d.iloc[rows["_row"].to_numpy()].reset_index(drop=True)
    for col in ("match_id", "match_role", "match_weight", "_row"):
        out[col] = rows[col].to_numpy()
    out["match_id"] = out["match_id"].astype("int64")
    if treat[ctl["_row"].to_numpy()].any():  # a defect: controls come from the candidates
        msg = "internal: an exposed child was drawn as a control"
        raise RuntimeError(msg)
    return out[cols]


def _counts(d: pd.DataFrame, treat: np.ndarray, matched: pd.DataFrame, *,
            id: str) -> pd.DataFrame:  # noqa: A002
    rows = []
    for g, mask in (("exposed", treat), ("comparison", ~treat)):
        eligible = int(mask.sum())
        used = int(matched.loc[matched["match_role"] == g, id].nunique())
        rows += [{"group": g, "status": "eligible", "n": eligible},
                 {"group": g, "status": "matched", "n": used},
                 {"group": g, "status": "unmatched", "n": eligible - used}]
    return pd.DataFrame(rows).astype({"n": "int64"})


# ---------------------------------------------------------------- balance
def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w)) if np.sum(w) > 0 else math.nan


def _smd(diff: float, var1: float, var0: float) -> float:
    """``diff / sqrt((var1 + var0) / 2)``; 0 when both are 0 and so is the difference."""
    den = math.sqrt((var1 + var0) / 2) if not (math.isnan(var1) or math.isnan(var0)) else math.nan
    if math.isnan(diff) or math.isnan(den):
        return math.nan
    if den == 0:
        return 0.0 if diff == 0 else math.nan
    return diff / den


def _balance(d: pd.DataFrame, treat: np.ndarray, matched: pd.DataFrame, covariates: list[str],
             *, id: str, extra_numeric: tuple[str, np.ndarray] | None  # noqa: A002
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SMDs before (all eligible, unweighted) and after (the matched, with match weights).

    Both use the same denominator, the pooled SD of the eligible children before
    matching: ``sqrt((s1^2 + s0^2) / 2)`` (``p(1 - p)`` for a level, sample
    variance with ddof 1 for a number). So a change of the SMD is a change of
    the difference, not of the yardstick.
    """
    after_e = matched["match_role"].to_numpy() == "exposed"
    w_after = matched["match_weight"].to_numpy(dtype=float)
    ids = {"before": (d[id].to_numpy()[treat], d[id].to_numpy()[~treat]),
           "after": (matched[id].to_numpy()[after_e], matched[id].to_numpy()[~after_e])}
    rows: list[dict] = []
    sup: list[dict] = []

    def add_support(term: str, sample: str, g: str, side: str, persons: np.ndarray) -> None:
        sup.append({"term": term, "sample": sample, "group": g, "side": side,
                    "n_persons": int(len(np.unique(persons)))})

    frames = {"before": (d, np.ones(len(d)), treat),
              "after": (matched, w_after, after_e)}
    cols: list[tuple[str, np.ndarray | None]] = [(c, None) for c in covariates]
    if extra_numeric is not None:
        cols.append(extra_numeric)
    for col, values in cols:
        numeric = values is not None or _is_numeric(d[col])
        if numeric:
            vals = {"before": values if values is not None else d[col].to_numpy(dtype=float),
                    "after": (matched[col].to_numpy(dtype=float) if col in matched
                              else np.full(len(matched), np.nan))}
            vb, tb = vals["before"], treat
            ok = ~np.isnan(vb)
            var1 = float(np.var(vb[tb & ok], ddof=1)) if (tb & ok).sum() > 1 else math.nan
            var0 = float(np.var(vb[~tb & ok], ddof=1)) if (~tb & ok).sum() > 1 else math.nan
            for s in ("before", "after"):
                _, w, t = frames[s]
                v = vals[s]
                ok = ~np.isnan(v)
                m1 = _wmean(v[t & ok], w[t & ok])
                m0 = _wmean(v[~t & ok], w[~t & ok])
                rows.append({"term": col, "covariate": col, "level": "", "sample": s,
                             "mean_exposed": m1, "mean_comparison": m0,
                             "smd": _smd(m1 - m0, var1, var0)})
                for g, gm, who in (("exposed", t, ids[s][0]), ("comparison", ~t, ids[s][1])):
                    keep = ok[gm]
                    add_support(col, s, g, "value", who[keep])
            has_missing = np.isnan(vals["before"]).any()
            if not has_missing:
                continue
            levels_b = pd.Series(np.where(np.isnan(vals["before"]), _MISSING, "value"))
            levels_a = pd.Series(np.where(np.isnan(vals["after"]), _MISSING, "value"))
            level_list = [_MISSING]
        else:
            levels_b = _levels(d[col]).reset_index(drop=True)
            levels_a = _levels(matched[col]).reset_index(drop=True)
            level_list = sorted(pd.unique(levels_b), key=_level_key)
        lv = {"before": levels_b.to_numpy(), "after": levels_a.to_numpy()}
        for level in level_list:
            term = f"{col}={level}"
            xb = (lv["before"] == level).astype(float)
            p1b, p0b = xb[treat].mean() if treat.any() else math.nan, (
                xb[~treat].mean() if (~treat).any() else math.nan)
            for s in ("before", "after"):
                _, w, t = frames[s]
                x = (lv[s] == level).astype(float)
                p1, p0 = _wmean(x[t], w[t]), _wmean(x[~t], w[~t])
                rows.append({"term": term, "covariate": col, "level": level, "sample": s,
                             "mean_exposed": p1, "mean_comparison": p0,
                             "smd": _smd(p1 - p0, p1b * (1 - p1b), p0b * (1 - p0b))})
                for g, gm, who in (("exposed", t, ids[s][0]), ("comparison", ~t, ids[s][1])):
                    has = x[gm] == 1
                    add_support(term, s, g, "with", who[has])
                    add_support(term, s, g, "without", who[~has])
    bal = pd.DataFrame(rows, columns=["term", "covariate", "level", "sample", "mean_exposed",
                                      "mean_comparison", "smd"])
    # rounding noise of the weighted means is not imbalance: an exact match shows 0
    bal["smd"] = bal["smd"].round(_DECIMALS)
    support = pd.DataFrame(sup, columns=["term", "sample", "group", "side", "n_persons"])
    return bal, support


def _level_key(v: str) -> tuple[int, float, str]:
    """Levels in a stable order: numbers by value, then text, ``missing`` last."""
    if v == _MISSING:
        return (2, 0.0, v)
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)
