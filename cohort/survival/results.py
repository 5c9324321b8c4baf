"""Results of the survival estimators: frozen dataclasses with tidy(), summary(), plot().

Nothing mutates a result after the fit; arrays are stored read-only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "AalenJohansenResult",
    "CoxResult",
    "KaplanMeierResult",
    "LogrankResult",
    "PoissonResult",
    "TestResult",
    "ZphResult",
]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def _frozen(a: Any) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


def _html(title: str, body: str) -> str:
    return f"<div><strong>{html.escape(title)}</strong>{body}</div>"


def _z(conf_level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


@dataclass(frozen=True)
class TestResult:
    """A chi-squared test: its name, statistic, degrees of freedom and p-value."""

    name: str
    statistic: float
    df: float
    p_value: float


def _coef_table(
    terms: tuple[str, ...], coef: np.ndarray, se: np.ndarray, conf_level: float
) -> pd.DataFrame:
    z = _z(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = coef / se
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": coef,
            "std_error": se,
            "statistic": stat,
            "p_value": 2 * stats.norm.sf(np.abs(stat)),
            "conf_low": coef - z * se,
            "conf_high": coef + z * se,
        }
    )


def _exponentiate(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for c in ("estimate", "conf_low", "conf_high"):
        out[c] = np.exp(out[c])
    return out


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model (:func:`cohort.survival.cox`).

    ``var`` is the variance used for inference: the robust (sandwich) one when
    ``robust`` is True, else the inverse information ``naive_var``.
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    var: np.ndarray
    naive_var: np.ndarray
    robust: bool
    loglik: float
    loglik_null: float
    tests: tuple[TestResult, ...]
    n: int
    n_events: int
    n_clusters: int | None
    ties: str
    strata: tuple[str, ...]
    conf_level: float
    n_iter: int
    converged: bool
    concordance: float | None = None
    spec: dict[str, Any] = field(default_factory=dict, repr=False)
    label: str = field(default="Cox proportional hazards")

    def __post_init__(self) -> None:
        for name in ("coef", "var", "naive_var"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def std_error(self) -> np.ndarray:
        """Standard errors of the coefficients (robust when ``robust``)."""
        return np.sqrt(np.diag(self.var))

    @property
    def naive_std_error(self) -> np.ndarray:
        """Model-based standard errors (inverse information)."""
        return np.sqrt(np.diag(self.naive_var))

    def tidy(self, *, exponentiate: bool = False) -> pd.DataFrame:
        """Coefficient table; ``exponentiate=True`` gives hazard ratios and their CI.

        Columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high`` (z tests; ``std_error`` is always on the log scale), plus
        ``naive_std_error`` when the robust variance is used.
        """
        table = _coef_table(self.terms, self.coef, self.std_error, self.conf_level)
        if self.robust:
            table["naive_std_error"] = self.naive_std_error
        return _exponentiate(table) if exponentiate else table

    def test(self, name: str) -> TestResult:
        """The global test called ``name`` ("likelihood_ratio", "wald", "score")."""
        for t in self.tests:
            if t.name == name:
                return t
        from cohort.exceptions import ParameterError

        msg = f"name must be one of {', '.join(repr(t.name) for t in self.tests)}; got {name!r}"
        raise ParameterError(msg)

    def summary(self) -> str:
        """A text summary: counts, the coefficient table with hazard ratios, tests."""
        table = self.tidy()
        table["hazard_ratio"] = np.exp(table["estimate"])
        lines = [
            f"{self.label} ({self.ties} ties"
            + (f", strata: {', '.join(self.strata)}" if self.strata else "")
            + ")",
            f"n = {self.n}, events = {self.n_events}"
            + (f", clusters = {self.n_clusters}" if self.n_clusters is not None else ""),
            f"variance: {'robust (sandwich)' if self.robust else 'model-based'}",
            table.to_string(index=False, float_format=lambda v: f"{v:.4g}"),
            f"log partial likelihood: {self.loglik:.4f} (null {self.loglik_null:.4f})",
        ]
        for t in self.tests:
            lines.append(f"{t.name} test: {t.statistic:.4f} on {t.df:g} df, p = {t.p_value:.4g}")
        if self.concordance is not None:
            lines.append(f"concordance: {self.concordance:.4f}")
        if not self.converged:
            lines.append("note: the fit did not converge")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        table = self.tidy(exponentiate=False)
        return _html(self.label, table.to_html(index=False, float_format=lambda v: f"{v:.4g}"))

    def plot(self):  # noqa: ANN201
        """Forest plot of the hazard ratios with their confidence intervals."""
        from cohort.survival.plots import plot_forest

        return plot_forest(self.tidy(exponentiate=True), xlabel="hazard ratio")


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """R's ``findq``: where the CDF ``y`` (step function of ``x``) crosses ``p``.

    On a flat stretch at exactly ``p`` (within ``tol``) the midpoint of the
    stretch is returned (the usual median rule); a flat end gives the midpoint
    of its start and the last time.
    """
    ok = ~np.isnan(y)
    x, y = x[ok], y[ok]
    if y.size == 0 or y.max() < p:
        return float("nan")
    xmax = x[-1]
    _, first = np.unique(y, return_index=True)
    first.sort()
    x, y = x[first], y[first]
    i1 = np.flatnonzero(y + tol >= p)
    i2 = np.flatnonzero(y - tol >= p)
    if p == 0:
        return float(x[0])
    if abs(p - y[-1]) < tol and i1.size:
        return float((x[i1[0]] + xmax) / 2)
    if i1.size == 0 or i2.size == 0:
        return float("nan")
    return float((x[i1[0]] + x[i2[0]]) / 2)


def _group_frames(table: pd.DataFrame, groups: tuple[str, ...], levels: pd.DataFrame):  # noqa: ANN202
    """Yield (level row as dict, the rows of table for that level)."""
    for k in range(len(levels)):
        lev = {c: levels[c].iloc[k] for c in groups}
        m = np.ones(len(table), dtype=bool)
        for c, v in lev.items():
            m &= (table[c] == v).to_numpy()
        yield lev, table.loc[m]


@dataclass(frozen=True)
class KaplanMeierResult:
    """Kaplan-Meier curves (:func:`cohort.survival.kaplan_meier`).

    ``table`` has one row per group and distinct exit time with ``n_risk,
    n_event, n_censor, survival, se_chaz`` (Greenwood SE of the cumulative
    hazard), ``std_error`` (of the survival probability), ``conf_low,
    conf_high``.
    """

    table: pd.DataFrame
    groups: tuple[str, ...]
    levels: pd.DataFrame
    conf_type: str
    conf_level: float

    def tidy(self) -> pd.DataFrame:
        """The curve table with the survival probability as ``estimate``."""
        out = self.table.rename(columns={"survival": "estimate"})
        return out.drop(columns=["se_chaz"])

    def at(self, times: Any, *, extend: bool = False) -> pd.DataFrame:
        """The curves at given times, as R's ``summary(fit, times=)``.

        ``n_risk`` is the number at risk at the time, ``n_event`` and
        ``n_censor`` count what happened since the previous requested time.
        Times after a group's last exit time are dropped unless ``extend``.
        """
        req = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        rows = []
        for lev, part in _group_frames(self.table, self.groups, self.levels):
            tt = part["time"].to_numpy()
            last = np.searchsorted(tt, req, side="right") - 1
            nxt = np.searchsorted(tt, req, side="left")
            cum_d = np.concatenate([[0.0], np.cumsum(part["n_event"].to_numpy())])
            cum_c = np.concatenate([[0.0], np.cumsum(part["n_censor"].to_numpy())])
            nrisk = np.concatenate([part["n_risk"].to_numpy(), [0.0]])
            vals = {
                c: np.concatenate([[first], part[c].to_numpy()])[last + 1]
                for c, first in (
                    ("survival", 1.0),
                    ("std_error", 0.0),
                    ("conf_low", 1.0),
                    ("conf_high", 1.0),
                )
            }
            prev = np.concatenate([[0], last[:-1] + 1])
            keep = (req <= tt[-1]) | extend
            frame = pd.DataFrame(
                {
                    "time": req,
                    "n_risk": nrisk[nxt],
                    "n_event": cum_d[last + 1] - cum_d[prev],
                    "n_censor": cum_c[last + 1] - cum_c[prev],
                    **vals,
                }
            )[keep]
            for c in reversed(self.groups):
                frame.insert(0, c, lev[c])
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def median(self, *, tolerance: float = float(np.sqrt(np.finfo(float).eps))) -> pd.DataFrame:
        """Median survival with its CI, by R's rule (``quantile.survfit``)."""
        return self.quantile(0.5, tolerance=tolerance)

    def quantile(
        self, prob: float, *, tolerance: float = float(np.sqrt(np.finfo(float).eps))
    ) -> pd.DataFrame:
        """Time by which a fraction ``prob`` has failed, with its CI.

        The CI comes from the pointwise confidence limits of the curve
        (Brookmeyer & Crowley 1982).
        """
        rows = []
        for lev, part in _group_frames(self.table, self.groups, self.levels):
            x = np.concatenate([[0.0], part["time"].to_numpy()])
            out = dict(lev)
            for name, col in (
                ("estimate", "survival"),
                ("conf_low", "conf_low"),
                ("conf_high", "conf_high"),
            ):
                y = np.concatenate([[0.0], 1 - part[col].to_numpy(dtype=float)])
                out[name] = _findq(x, y, prob, tolerance)
            rows.append(out)
        return pd.DataFrame(rows, columns=[*self.groups, "estimate", "conf_low", "conf_high"])

    def summary(self) -> str:
        """Per group: n, events, median survival and its CI (R's ``print.survfit``)."""
        med = self.median()
        rows = []
        for (lev, part), (_, m) in zip(
            _group_frames(self.table, self.groups, self.levels), med.iterrows(), strict=True
        ):
            rows.append(
                {
                    **lev,
                    "n": part["n_risk"].iloc[0] if len(part) else 0.0,
                    "events": part["n_event"].sum(),
                    "median": m["estimate"],
                    "conf_low": m["conf_low"],
                    "conf_high": m["conf_high"],
                }
            )
        body = pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}")
        head = f"Kaplan-Meier ({self.conf_type} CI, level {self.conf_level:g})"
        return head + "\n" + body

    def _repr_html_(self) -> str:
        return _html("Kaplan-Meier", "<pre>" + html.escape(self.summary()) + "</pre>")

    def plot(self, *, times: Any = None, conf_int: bool = True, **kwargs: Any):  # noqa: ANN201
        """Step curves with CI bands and a KMunicate-style table underneath.

        The table: number at risk, cumulative events and censored at ``times``
        (default: six regular times). Drawn by :func:`cohort.survival.plot_km`
        from ``tidy()`` and that table; ``kwargs`` go to it.
        """
        from cohort.survival.plots import plot_km

        if times is None:
            times = np.unique(np.round(np.linspace(0, float(self.table["time"].max()), 6), 6))
        at = self.at(times, extend=True)
        keys = list(self.groups)
        risk = at[[*keys, "time", "n_risk"]].rename(columns={"n_risk": "at_risk"})
        if keys:
            risk["events"] = at.groupby(keys, sort=False)["n_event"].cumsum()
            risk["censored"] = at.groupby(keys, sort=False)["n_censor"].cumsum()
        else:
            risk["events"] = at["n_event"].cumsum()
            risk["censored"] = at["n_censor"].cumsum()
        return plot_km(self.tidy(), by=keys or None, risk_table=risk, conf_int=conf_int,
                       **kwargs)


@dataclass(frozen=True)
class LogrankResult:
    """A (stratified) log-rank test (:func:`cohort.survival.logrank_test`)."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame
    rho: float
    strata: tuple[str, ...]

    def tidy(self) -> pd.DataFrame:
        """One row: the chi-squared test."""
        return pd.DataFrame(
            {
                "term": ["logrank" if self.rho == 0 else f"G-rho {self.rho:g}"],
                "statistic": [self.statistic],
                "df": [self.df],
                "p_value": [self.p_value],
            }
        )

    def summary(self) -> str:
        """Observed and expected events per group and the test."""
        head = "Log-rank test" + (f" stratified by {', '.join(self.strata)}" if self.strata else "")
        tail = f"chisq = {self.statistic:.4f} on {self.df} df, p = {self.p_value:.4g}"
        body = self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return f"{head}\n{body}\n{tail}"

    def _repr_html_(self) -> str:
        return _html("Log-rank test", "<pre>" + html.escape(self.summary()) + "</pre>")


@dataclass(frozen=True)
class ZphResult:
    """The proportional-hazards test (:func:`cohort.survival.cox_zph`).

    ``x`` is the transformed time of each event, ``y`` the scaled Schoenfeld
    residuals (one column per term) whose smooth estimates ``beta_j(t)``.
    """

    table: pd.DataFrame
    terms: tuple[str, ...]
    transform: str
    x: np.ndarray
    time: np.ndarray
    y: np.ndarray
    coef: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "time", "y", "coef"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def tidy(self) -> pd.DataFrame:
        """Per term and GLOBAL: ``term, statistic, df, p_value``."""
        return self.table.rename(columns={"chisq": "statistic", "p": "p_value"})

    def summary(self) -> str:
        """The test table, as R prints it."""
        body = self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return f"Proportional-hazards test (transform: {self.transform})\n{body}"

    def _repr_html_(self) -> str:
        return _html("Proportional-hazards test", "<pre>" + html.escape(self.summary()) + "</pre>")

    def plot(self, term: str | None = None, *, points: bool = True):  # noqa: ANN201
        """Scaled Schoenfeld residuals against transformed time with a lowess smooth.

        ``points=False`` leaves out the per-event points (disclosure).
        """
        from cohort.survival.plots import zph_plot

        return zph_plot(self, term=term, points=points)


@dataclass(frozen=True)
class AalenJohansenResult:
    """Cumulative incidence curves (:func:`cohort.survival.aalen_johansen`).

    ``table`` is long: one row per group, cause and distinct exit time with
    ``n_risk, n_event`` (of that cause), ``estimate`` (the cumulative
    incidence), its infinitesimal-jackknife ``std_error`` and log-scale
    ``conf_low, conf_high`` (R's defaults), and ``survival`` (all-cause
    event-free survival).
    """

    table: pd.DataFrame
    groups: tuple[str, ...]
    levels: pd.DataFrame
    causes: tuple[int, ...]

    def tidy(self) -> pd.DataFrame:
        """The curve table."""
        return self.table.copy()

    def at(self, times: Any) -> pd.DataFrame:
        """Cumulative incidence at given times (last value at or before each time)."""
        req = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        rows = []
        keys = [*self.groups, "cause"]
        for key, part in self.table.groupby(keys, sort=True) if keys else [((), self.table)]:
            tt = part["time"].to_numpy()
            last = np.searchsorted(tt, req, side="right") - 1
            nxt = np.searchsorted(tt, req, side="left")
            vals = {
                c: np.concatenate([[first], part[c].to_numpy()])[last + 1]
                for c, first in (
                    ("estimate", 0.0),
                    ("std_error", 0.0),
                    ("conf_low", 0.0),
                    ("conf_high", 0.0),
                    ("survival", 1.0),
                )
            }
            nrisk = np.concatenate([part["n_risk"].to_numpy(), [0.0]])[nxt]
            frame = pd.DataFrame({"time": req, "n_risk": nrisk, **vals})
            key = key if isinstance(key, tuple) else (key,)
            for c, v in reversed(list(zip(keys, key, strict=True))):
                frame.insert(0, c, v)
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def summary(self) -> str:
        """Cumulative incidence by cause at the quartiles of the observed times."""
        q = np.quantile(self.table["time"], [0.25, 0.5, 0.75, 1.0])
        body = self.at(q).to_string(index=False, float_format=lambda v: f"{v:.4g}")
        return "Aalen-Johansen cumulative incidence\n" + body

    def _repr_html_(self) -> str:
        return _html("Aalen-Johansen", "<pre>" + html.escape(self.summary()) + "</pre>")

    def plot(self):  # noqa: ANN201
        """Step curves of the cumulative incidence, one panel per group."""
        from cohort.survival.plots import plot_cif

        return plot_cif(self.tidy(), by=self.groups)


@dataclass(frozen=True)
class PoissonResult:
    """A Poisson rate model (:func:`cohort.survival.poisson_rates`).

    ``coef`` is on the log-rate scale, the intercept the log rate of the
    reference cell.
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    var: np.ndarray
    robust: bool
    n: int
    events: float
    person_time: float
    deviance: float
    df_resid: float
    loglik: float
    conf_level: float

    def __post_init__(self) -> None:
        for name in ("coef", "var"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def std_error(self) -> np.ndarray:
        """Standard errors of the log-rate coefficients."""
        return np.sqrt(np.diag(self.var))

    def tidy(self, *, exponentiate: bool = False) -> pd.DataFrame:
        """Coefficient table.

        ``exponentiate=True`` gives the rate ratios (and the reference rate for
        the intercept) with their CI.
        """
        table = _coef_table(self.terms, self.coef, self.std_error, self.conf_level)
        return _exponentiate(table) if exponentiate else table

    def summary(self) -> str:
        """Counts, rate ratios with CIs, deviance."""
        body = self.tidy(exponentiate=True).to_string(
            index=False, float_format=lambda v: f"{v:.4g}"
        )
        return (
            f"Poisson rate model ({'cluster-robust' if self.robust else 'model-based'} SE)\n"
            f"cells = {self.n}, events = {self.events:g}, person-time = {self.person_time:g}\n"
            f"{body}\ndeviance = {self.deviance:.4f} on {self.df_resid:g} df"
        )

    def _repr_html_(self) -> str:
        return _html("Poisson rate model", "<pre>" + html.escape(self.summary()) + "</pre>")

    def plot(self):  # noqa: ANN201
        """Forest plot of the rate ratios (intercept left out)."""
        from cohort.survival.plots import plot_forest

        table = self.tidy(exponentiate=True)
        return plot_forest(table[table["term"] != "intercept"].reset_index(drop=True),
                           xlabel="rate ratio")
