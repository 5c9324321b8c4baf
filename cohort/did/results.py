"""Frozen result objects of the DiD estimators.

Each has ``tidy()`` (a DataFrame), ``summary()`` (text), ``_repr_html_()``
and ``plot()`` (a matplotlib Figure drawn with the Agg backend).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from cohort.exceptions import ParameterError

__all__ = ["AggteResult", "AttGtResult", "ModelResult", "OneTreatedResult"]


def _frozen(*arrays: np.ndarray | None) -> None:
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False


def _p_value(stat: np.ndarray) -> np.ndarray:
    return 2 * norm.sf(np.abs(stat))


def _as_int_if_whole(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    if a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    return a


def _table_html(title: str, df: pd.DataFrame, notes: tuple[str, ...]) -> str:
    body = df.to_html(index=False, float_format=lambda v: f"{v:.4f}", na_rep="")
    extra = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"<h4>{html.escape(title)}</h4>{body}" + (f"<ul>{extra}</ul>" if extra else "")


def _table_text(title: str, df: pd.DataFrame, notes: tuple[str, ...]) -> str:
    lines = [title, "=" * len(title), df.to_string(index=False, float_format=lambda v: f"{v:.4f}")]
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines)


@dataclass(frozen=True)
class AttGtResult:
    """Group-time average treatment effects from :func:`cohort.did.att_gt`.

    ``influence`` is the n x K matrix of influence functions (one row per
    unit, in the order of ``unit_ids``, sorted; one column per ATT(g,t)). ``crit_val`` is the normal
    quantile, or the simultaneous bootstrap critical value if ``cband``.
    """

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    std_error: np.ndarray
    post: np.ndarray
    crit_val: float
    alp: float
    cband: bool
    bstrap: bool
    biters: int
    influence: np.ndarray
    n_units: int
    wald_stat: float | None
    wald_pvalue: float | None
    wald_df: int | None
    control_group: str
    est_method: str
    base_period: str
    anticipation: int
    unit_group: np.ndarray
    unit_weight: np.ndarray
    cluster: np.ndarray | None
    times: np.ndarray
    groups: np.ndarray
    seed: Any
    notes: tuple[str, ...] = ()
    covariate_names: tuple[str, ...] = ("(Intercept)",)
    panel: bool = True
    unit_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        _frozen(self.group, self.time, self.att, self.std_error, self.post, self.influence,
                self.unit_group, self.unit_weight, self.cluster, self.times, self.groups,
                self.unit_ids)

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t).

        Columns ``term, group, time, event_time, post, estimate, std_error,
        statistic, p_value, conf_low, conf_high`` (a band if ``cband``).
        """
        stat = self.att / self.std_error
        half = self.crit_val * self.std_error
        return pd.DataFrame({
            "term": [f"ATT({g:g},{t:g})" for g, t in zip(self.group, self.time, strict=True)],
            "group": _as_int_if_whole(self.group),
            "time": _as_int_if_whole(self.time),
            "event_time": _as_int_if_whole(self.time - self.group),
            "post": self.post,
            "estimate": self.att,
            "std_error": self.std_error,
            "statistic": stat,
            "p_value": _p_value(stat),
            "conf_low": self.att - half,
            "conf_high": self.att + half,
        })

    def _notes(self) -> tuple[str, ...]:
        kind = "simultaneous (bootstrap)" if self.cband else "pointwise"
        se = f"multiplier bootstrap, {self.biters} draws" if self.bstrap else "analytic"
        out = [
            f"{self.n_units} units; control group: {self.control_group}; "
            f"method: {self.est_method}; base period: {self.base_period}",
            f"SEs: {se}{'; clustered' if self.cluster is not None else ''}; "
            f"{100 * (1 - self.alp):g}% {kind} intervals",
        ]
        if self.wald_stat is not None:
            out.append(
                f"Wald pre-test of parallel trends: W = {self.wald_stat:.3f}, "
                f"df = {self.wald_df}, p = {self.wald_pvalue:.4f}"
            )
        return tuple(out) + self.notes

    def summary(self) -> str:
        """Text table of the ATT(g,t) with notes."""
        cols = ["group", "time", "estimate", "std_error", "conf_low", "conf_high"]
        return _table_text("Group-time average treatment effects", self.tidy()[cols], self._notes())

    def _repr_html_(self) -> str:
        cols = ["group", "time", "estimate", "std_error", "conf_low", "conf_high"]
        return _table_html("Group-time average treatment effects", self.tidy()[cols], self._notes())

    def plot(self, **kwargs: Any):
        """Panels of ATT(g,t) by group: :func:`cohort.did.plots.plot_att_gt` of ``tidy()``."""
        from cohort.did.plots import plot_att_gt

        return plot_att_gt(self.tidy(), **kwargs)


@dataclass(frozen=True)
class AggteResult:
    """Aggregated treatment effects from :func:`cohort.did.aggte`.

    ``egt`` holds the groups, event times or calendar periods (``None`` for
    ``type="simple"``); ``influence_egt`` the n x len(egt) influence functions;
    ``influence_overall`` the overall one.
    """

    type: str
    overall_att: float
    overall_se: float
    egt: np.ndarray | None
    att_egt: np.ndarray | None
    se_egt: np.ndarray | None
    crit_val_egt: float
    alp: float
    cband: bool
    bstrap: bool
    influence_overall: np.ndarray
    influence_egt: np.ndarray | None
    min_e: float = -np.inf
    max_e: float = np.inf
    balance_e: int | None = None
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _frozen(self.egt, self.att_egt, self.se_egt, self.influence_overall, self.influence_egt)

    def tidy(self) -> pd.DataFrame:
        """The overall estimate first (``term="overall"``), then one row per element.

        Columns ``term, type, element, estimate, std_error, statistic, p_value,
        conf_low, conf_high``; the overall row uses the pointwise normal
        interval, elements the simultaneous one if ``cband``.
        """
        z = norm.ppf(1 - self.alp / 2)
        rows = [{
            "term": "overall", "element": np.nan, "estimate": self.overall_att,
            "std_error": self.overall_se,
            "conf_low": self.overall_att - z * self.overall_se,
            "conf_high": self.overall_att + z * self.overall_se,
        }]
        label = {"group": "group", "dynamic": "e", "calendar": "time"}.get(self.type, "")
        if self.egt is not None:
            for e, a, s in zip(self.egt, self.att_egt, self.se_egt, strict=True):
                rows.append({
                    "term": f"{label}={e:g}", "element": e, "estimate": a, "std_error": s,
                    "conf_low": a - self.crit_val_egt * s, "conf_high": a + self.crit_val_egt * s,
                })
        df = pd.DataFrame(rows)
        df.insert(1, "type", self.type)
        stat = df["estimate"] / df["std_error"]
        df.insert(5, "statistic", stat)
        df.insert(6, "p_value", _p_value(stat.to_numpy()))
        return df

    def _notes(self) -> tuple[str, ...]:
        kind = "simultaneous (bootstrap)" if self.cband else "pointwise"
        out = [f"{100 * (1 - self.alp):g}% {kind} intervals for the elements"]
        if self.type == "dynamic":
            out.append("overall: mean of the event-time effects for e >= 0")
        return tuple(out) + self.notes

    def summary(self) -> str:
        """Text table with the overall effect and the elements."""
        cols = ["term", "estimate", "std_error", "conf_low", "conf_high"]
        return _table_text(f"Aggregated ATT ({self.type})", self.tidy()[cols], self._notes())

    def _repr_html_(self) -> str:
        cols = ["term", "estimate", "std_error", "conf_low", "conf_high"]
        return _table_html(f"Aggregated ATT ({self.type})", self.tidy()[cols], self._notes())

    def plot(self, **kwargs: Any):
        """Event-study figure of the elements (:func:`cohort.did.plots.plot_event_study`).

        Drawn from ``tidy()``'s elements with pointwise normal intervals; with
        ``cband`` the simultaneous band uses the bootstrap critical value.
        """
        from cohort.did.plots import plot_event_study

        if self.egt is None:
            msg = "plot needs an aggregation with elements; type='simple' has none"
            raise ParameterError(msg)
        table = self.tidy()
        table = table[table["term"] != "overall"].reset_index(drop=True)
        z = float(norm.ppf(1 - self.alp / 2))
        table["conf_low"] = table["estimate"] - z * table["std_error"]
        table["conf_high"] = table["estimate"] + z * table["std_error"]
        default_x = {"dynamic": "event time", "calendar": "period", "group": "group"}[self.type]
        kwargs.setdefault("xlabel", default_x)
        kwargs.setdefault("crit", self.crit_val_egt if self.cband else None)
        return plot_event_study(table, **kwargs)


@dataclass(frozen=True)
class ModelResult:
    """Coefficients of a regression estimator (TWFE, event study, 2x2 DiD).

    ``event_time`` maps event-study terms to their relative period.
    """

    method: str
    terms: tuple[str, ...]
    estimate: np.ndarray
    std_error: np.ndarray
    df_resid: float
    n_obs: int
    n_clusters: int | None
    alp: float
    vcov: np.ndarray
    event_time: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    use_t: bool = True

    def __post_init__(self) -> None:
        _frozen(self.estimate, self.std_error, self.vcov, self.event_time)

    def tidy(self) -> pd.DataFrame:
        """One row per coefficient.

        Columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high`` (plus ``event_time`` for event studies).
        """
        from scipy.stats import t as student_t

        stat = self.estimate / self.std_error
        if self.use_t:
            p = 2 * student_t.sf(np.abs(stat), self.df_resid)
            q = student_t.ppf(1 - self.alp / 2, self.df_resid)
        else:
            p = _p_value(stat)
            q = norm.ppf(1 - self.alp / 2)
        df = pd.DataFrame({
            "term": list(self.terms), "estimate": self.estimate, "std_error": self.std_error,
            "statistic": stat, "p_value": p,
            "conf_low": self.estimate - q * self.std_error,
            "conf_high": self.estimate + q * self.std_error,
        })
        if self.event_time is not None:
            df["event_time"] = self.event_time
        return df

    def _notes(self) -> tuple[str, ...]:
        cl = f"; {self.n_clusters} clusters" if self.n_clusters is not None else ""
        return (f"{self.method}: {self.n_obs} observations{cl}",) + self.notes

    def summary(self) -> str:
        """Text coefficient table."""
        return _table_text(self.method, self.tidy().drop(columns="event_time", errors="ignore"),
                           self._notes())

    def _repr_html_(self) -> str:
        return _table_html(self.method, self.tidy().drop(columns="event_time", errors="ignore"),
                           self._notes())

    def sup_t_critical(self, *, alp: float | None = None, draws: int = 100_000,
                       seed: int = 0) -> float:
        """Critical value of a simultaneous (sup-t) band over all coefficients.

        The ``1 - alp`` quantile of ``max_k |Z_k| / se_k`` with ``Z ~ N(0, vcov)``,
        by ``draws`` seeded draws (Montiel Olea & Plagborg-Moller 2019): the band
        ``estimate +- c * std_error`` covers every coefficient at once with
        probability ``1 - alp`` (asymptotically, normal scale). Between the
        pointwise normal quantile and the Bonferroni one.
        """
        a = self.alp if alp is None else alp
        if not 0 < a < 1:
            msg = f"alp must lie strictly between 0 and 1; got {a!r}"
            raise ParameterError(msg)
        se = np.sqrt(np.diag(self.vcov))
        ok = np.isfinite(se) & (se > 0)
        if not ok.any():
            return float("nan")
        corr = self.vcov[np.ix_(ok, ok)] / np.outer(se[ok], se[ok])
        w, v = np.linalg.eigh((corr + corr.T) / 2)
        root = v * np.sqrt(np.clip(w, 0, None))
        z = np.random.default_rng(seed).standard_normal((draws, root.shape[0])) @ root.T
        return float(np.quantile(np.abs(z).max(axis=1), 1 - a))

    def plot(self, **kwargs: Any):
        """Coefficient plot (event study if ``event_time`` is set).

        :func:`cohort.did.plots.plot_event_study` of ``tidy()``, with the sup-t
        band (:meth:`sup_t_critical`) and the reference period (default -1)
        of an event study.
        """
        from cohort.did.plots import plot_event_study

        if self.event_time is not None:
            kwargs.setdefault("reference", -1)
            if len(self.estimate) > 1 and kwargs.get("simultaneous", True):
                kwargs.setdefault("crit", self.sup_t_critical())
        return plot_event_study(self.tidy(), **kwargs)


@dataclass(frozen=True)
class OneTreatedResult:
    """Inference for one treated unit: estimate, p-value and interval.

    ``null_distribution`` holds the placebo or bootstrap statistics the
    p-value and interval come from.
    """

    method: str
    estimate: float
    p_value: float
    conf_low: float
    conf_high: float
    alp: float
    null_distribution: np.ndarray
    n_controls: int
    notes: tuple[str, ...] = ()
    std_error: float = float("nan")

    def __post_init__(self) -> None:
        _frozen(self.null_distribution)

    def tidy(self) -> pd.DataFrame:
        """One row: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        stat = self.estimate / self.std_error if self.std_error > 0 else np.nan
        return pd.DataFrame({
            "term": ["treated"], "method": [self.method], "estimate": [self.estimate],
            "std_error": [self.std_error], "statistic": [stat], "p_value": [self.p_value],
            "conf_low": [self.conf_low], "conf_high": [self.conf_high],
        })

    def _notes(self) -> tuple[str, ...]:
        level = f"{100 * (1 - self.alp):g}%"
        return (f"{self.n_controls} comparison units; {level} interval",) + self.notes

    def summary(self) -> str:
        """Text table of the estimate, p-value and interval."""
        return _table_text(self.method, self.tidy(), self._notes())

    def _repr_html_(self) -> str:
        return _table_html(self.method, self.tidy(), self._notes())

    def plot(self, **kwargs: Any):
        """Histogram of the null distribution with the estimate marked."""
        from cohort.did.plots import plot_null_distribution

        kwargs.setdefault("title", f"{self.method}: p = {self.p_value:.3f}")
        return plot_null_distribution(self.null_distribution, estimate=self.estimate, **kwargs)
