"""Kaplan-Meier curves with Greenwood variance, and the (stratified) log-rank test."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._params import check_literal
from cohort.exceptions import DataError, ParameterError
from cohort.survival import _data
from cohort.survival.results import KaplanMeierResult, LogrankResult

__all__ = ["kaplan_meier", "logrank_test"]

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES = ("log", "log-log", "plain")


def confint(
    surv: np.ndarray, se_chaz: np.ndarray, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of a survival curve from the SE of its cumulative hazard.

    The edge rules are R's ``survfit_confint``: where the SE is 0 the limits
    equal the estimate; log limits are undefined at S = 0, log-log ones at 0, 1.
    """
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    p = np.asarray(surv, dtype=float)
    se = np.asarray(se_chaz, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = se * p * z
            lower, upper = np.maximum(p - half, 0), np.minimum(p + half, 1)
        elif conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1)
        else:
            xx = np.where((p == 0) | (p == 1), np.nan, p)
            se2 = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    zero = se == 0
    lower = np.where(zero, p, lower)
    upper = np.where(zero, p, upper)
    return lower, upper


def at_risk_counts(
    stop: np.ndarray, entry: np.ndarray | None, w: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Weighted number at risk at each time in ``t``: rows with entry < t <= stop."""
    order = np.argsort(stop, kind="stable")
    cw = np.concatenate([np.cumsum(w[order][::-1])[::-1], [0.0]])
    n = cw[np.searchsorted(stop[order], t, side="left")]
    if entry is not None:
        eo = np.argsort(entry, kind="stable")
        ce = np.concatenate([np.cumsum(w[eo][::-1])[::-1], [0.0]])
        n = n - ce[np.searchsorted(entry[eo], t, side="left")]
    return n


def km_curve(
    stop: np.ndarray,
    event: np.ndarray,
    w: np.ndarray,
    entry: np.ndarray | None,
) -> pd.DataFrame:
    """The product-limit table of one group at its distinct exit times."""
    t, inv = np.unique(stop, return_inverse=True)
    d = np.bincount(inv, weights=w * event, minlength=t.shape[0])
    c = np.bincount(inv, weights=w * ~event, minlength=t.shape[0])
    n = at_risk_counts(stop, entry, w, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(n > 0, 1 - d / n, 1.0)
        inc = np.where(d > 0, d / (n * (n - d)), 0.0)
    inc = np.where((d > 0) & (n <= d), np.inf, inc)
    surv = np.cumprod(step)
    se_chaz = np.sqrt(np.cumsum(inc))
    return pd.DataFrame(
        {"time": t, "n_risk": n, "n_event": d, "n_censor": c, "survival": surv, "se_chaz": se_chaz}
    )


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | Sequence[str] | None = None,
    entry: str | None = None,
    weights: str | None = None,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves, one per group, as R's ``survfit``.

    Parameters
    ----------
    data : DataFrame
        One row per subject (or per interval with ``entry``).
    time, event : str
        Exit time and 0/1 event indicator.
    group : str or list of str, optional
        Columns whose combinations get separate curves.
    entry : str, optional
        Entry time (delayed entry, left truncation).
    weights : str, optional
        Non-negative case weights (counts are then weighted).
    conf_type : {"log", "log-log", "plain"}
        Scale of the pointwise confidence interval (R's ``conf.type``).
    conf_level : float
        Level of the pointwise confidence intervals.

    Returns
    -------
    KaplanMeierResult
        ``table`` holds, per group and distinct time: ``n_risk, n_event,
        n_censor, survival, std_error`` (Greenwood SE of the survival
        probability), ``conf_low, conf_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4], "d": [1, 1, 0, 1, 0]})
    >>> km = kaplan_meier(df, time="t", event="d")
    >>> km.table["survival"].round(4).tolist()
    [0.8, 0.6, 0.3, 0.3]

    """
    check_literal("conf_type", conf_type, CONF_TYPES)
    if not (0 < conf_level < 1):
        msg = f"conf_level must lie strictly between 0 and 1; got {conf_level!r}"
        raise ParameterError(msg)
    groups, stop, start, w = _data.curve_inputs(
        data, time=time, event=event, group=group, entry=entry, weights=weights
    )
    ev = _data.event_indicator(data, event)
    code, levels = _data.codes(data, groups)
    parts = []
    for k in range(len(levels)):
        m = code == k
        part = km_curve(stop[m], ev[m], w[m], None if start is None else start[m])
        for col in groups:
            part.insert(0, col, levels[col].iloc[k])
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = table[[*groups, *[c for c in table.columns if c not in groups]]]
    lower, upper = confint(
        table["survival"].to_numpy(), table["se_chaz"].to_numpy(), conf_type, conf_level
    )
    with np.errstate(invalid="ignore"):
        table["std_error"] = table["survival"] * table["se_chaz"]
    table["conf_low"] = lower
    table["conf_high"] = upper
    return KaplanMeierResult(
        table=table,
        groups=groups,
        levels=levels,
        conf_type=conf_type,
        conf_level=conf_level,
    )


def logrank_test(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | Sequence[str],
    strata: str | Sequence[str] | None = None,
    rho: float = 0.0,
) -> LogrankResult:
    """The log-rank test (G-rho family of Harrington & Fleming), as R's ``survdiff``.

    With ``strata`` the observed-minus-expected counts and their variances
    are summed over strata before the chi-squared statistic is formed.
    ``rho = 0`` is the log-rank test; ``rho = 1`` the Peto-Peto-Prentice
    Wilcoxon variant, weighting each time by the pooled KM ``S(t-)^rho``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 1, 1, 1, 0, 1],
    ...                    "g": [0, 0, 0, 1, 1, 1]})
    >>> round(logrank_test(df, time="t", event="d", group="g").statistic, 4)
    5.0517

    """
    groups = _data.as_names("group", group)
    if not groups:
        msg = "group must name at least one column"
        raise ParameterError(msg)
    strata_cols = _data.as_names("strata", strata)
    _data.check_columns(data, [time, event, *groups, *strata_cols])
    stop, _ = _data.times(data, time, None)
    ev = _data.event_indicator(data, event)
    code, levels = _data.codes(data, groups)
    scode, _ = _data.codes(data, strata_cols)
    k = len(levels)
    if k < 2:
        msg = f"the log-rank test needs at least two groups; {', '.join(groups)} has one"
        raise DataError(msg)
    observed = np.zeros(k)
    expected = np.zeros(k)
    var = np.zeros((k, k))
    for s in np.unique(scode):
        m = scode == s
        o, e, v = _logrank_stratum(stop[m], ev[m], code[m], k, rho)
        observed += o
        expected += e
        var += v
    diff = observed - expected
    keep = np.flatnonzero(np.diag(var) > 0)[:-1] if np.sum(np.diag(var) > 0) > 1 else []
    if len(keep) == 0:
        stat, df = 0.0, 0
    else:
        vk = var[np.ix_(keep, keep)]
        stat = float(diff[keep] @ np.linalg.solve(vk, diff[keep]))
        df = len(keep)
    table = levels.copy()
    table["n"] = np.bincount(code, minlength=k)
    table["observed"] = observed
    table["expected"] = expected
    table["variance"] = np.diag(var)
    return LogrankResult(
        statistic=stat,
        df=df,
        p_value=float(stats.chi2.sf(stat, df)) if df > 0 else float("nan"),
        table=table,
        rho=rho,
        strata=strata_cols,
    )


def _logrank_stratum(
    stop: np.ndarray, ev: np.ndarray, code: np.ndarray, k: int, rho: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, inv = np.unique(stop, return_inverse=True)
    nt = t.shape[0]
    # at risk per group: reverse cumulative counts of exits at or after t
    leave = np.zeros((nt, k))
    dead = np.zeros((nt, k))
    np.add.at(leave, (inv, code), 1.0)
    np.add.at(dead, (inv, code), ev.astype(float))
    n_g = np.cumsum(leave[::-1], axis=0)[::-1]
    n = n_g.sum(axis=1)
    d = dead.sum(axis=1)
    if rho != 0:
        surv = np.cumprod(1 - d / n)
        wt = np.concatenate([[1.0], surv[:-1]]) ** rho
    else:
        wt = np.ones(nt)
    frac = n_g / n[:, None]
    observed = (wt[:, None] * dead).sum(axis=0)
    expected = (wt * d) @ frac
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n > 1, wt**2 * d * (n - d) / (n - 1), 0.0)
    var = np.diag(c @ frac) - (frac * c[:, None]).T @ frac
    return observed, expected, var
