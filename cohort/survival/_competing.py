"""Competing risks: Aalen-Johansen cumulative incidence and Fine-Gray regression."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._params import check_literal
from cohort.exceptions import ConvergenceWarning, DataError, ModelError, ParameterError
from cohort.survival import _data
from cohort.survival._cox import newton_raphson, robust_variance, solve_information, warn_infinite
from cohort.survival._cox_core import RiskSets
from cohort.survival._km import at_risk_counts
from cohort.survival.results import AalenJohansenResult, CoxResult, TestResult

__all__ = ["aalen_johansen", "fine_gray"]


def _aj_group(
    stop: np.ndarray,
    cause: np.ndarray,
    w: np.ndarray,
    entry: np.ndarray | None,
    causes: np.ndarray,
    conf_level: float,
) -> pd.DataFrame:
    """AJ estimates of one group at its distinct exit times (long by cause)."""
    t, b = np.unique(stop, return_inverse=True)
    nt = t.shape[0]
    a = np.zeros_like(b) if entry is None else np.searchsorted(t, entry, side="right")
    n = at_risk_counts(stop, entry, w, t)
    d_k = np.zeros((nt, causes.shape[0]))
    for j, c in enumerate(causes):
        d_k[:, j] = np.bincount(b, weights=w * (cause == c), minlength=nt)
    d = d_k.sum(axis=1)
    nn = np.where(n > 0, n, 1.0)
    h = np.where(n > 0, d / nn, 0.0)
    surv = np.cumprod(1 - h)
    surv_left = np.concatenate([[1.0], surv[:-1]])
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    frames = []
    for j, c in enumerate(causes):
        inc = surv_left * d_k[:, j] / nn
        cif = np.cumsum(inc)
        se = _aj_ij_se(a, b, cause != 0, cause == c, w, n, h, surv_left, inc, cif)
        with np.errstate(divide="ignore", invalid="ignore"):
            half = z * se / cif
            low = np.where(se == 0, cif, np.exp(np.log(cif) - half))
            high = np.where(se == 0, cif, np.minimum(np.exp(np.log(cif) + half), 1.0))
        frames.append(
            pd.DataFrame(
                {
                    "cause": c,
                    "time": t,
                    "n_risk": n,
                    "n_event": d_k[:, j],
                    "estimate": cif,
                    "std_error": se,
                    "conf_low": low,
                    "conf_high": high,
                    "survival": surv,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _aj_ij_se(
    a: np.ndarray,
    b: np.ndarray,
    any_event: np.ndarray,
    this_cause: np.ndarray,
    w: np.ndarray,
    n: np.ndarray,
    h: np.ndarray,
    surv_left: np.ndarray,
    inc: np.ndarray,
    cif: np.ndarray,
) -> np.ndarray:
    """Infinitesimal-jackknife SE of one cumulative incidence at every grid time.

    Row *i* is at risk at grid points ``a[i]..b[i]`` and exits at ``b[i]``. Its
    influence ``U_i(m) = dCIF(m)/dw_i`` is ``F(m) + alpha_i + beta_i CIF(m)``
    while at risk (``m < b_i``) and ``gamma_i + kappa_i CIF(m)`` from its exit
    on, so ``sum_i (w_i U_i(m))^2`` needs only running sums over rows: O(n + T).
    The variance is R's default for multi-state curves (survival >= 3.0).
    """
    nt = n.shape[0]
    nn = np.where(n > 0, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where((n > 0) & (h < 1), h / (nn * (1 - h)), 0.0)
        r_exit = np.where((n > 0) & (h < 1), 1.0 / (nn * (1 - h)), 0.0)
    qcum = np.concatenate([[0.0], np.cumsum(q)])  # Q(l) = sum_{l' < l} q
    cq = np.cumsum(inc * qcum[:nt])
    pcum = np.cumsum(inc / nn)
    p_before = np.concatenate([[0.0], pcum])  # P(l - 1) at index l
    f = cq - pcum
    alpha = -cq[a] + qcum[a] * cif[a] + p_before[a]
    beta = -qcum[a]
    # at exit, an event of this cause adds S(b-) / n(b)
    at_exit = f[b] + alpha + beta * cif[b] + this_cause * surv_left[b] / nn[b]
    kappa = qcum[b + 1] - qcum[a] - any_event * r_exit[b]
    gamma = at_exit - kappa * cif[b]
    w2 = w * w
    var = np.zeros(nt)
    # rows at risk and not yet exited: a <= m < b
    during = a < b

    def running(values: np.ndarray) -> np.ndarray:
        add = np.bincount(a[during], weights=values[during], minlength=nt + 1)
        rem = np.bincount(b[during], weights=values[during], minlength=nt + 1)
        return np.cumsum(add - rem)[:nt]

    s1, su, sv = running(w2), running(w2 * alpha), running(w2 * beta)
    suu, svv, suv = running(w2 * alpha**2), running(w2 * beta**2), running(w2 * alpha * beta)
    var += f**2 * s1 + suu + cif**2 * svv + 2 * f * su + 2 * f * cif * sv + 2 * cif * suv

    def exited(values: np.ndarray) -> np.ndarray:
        return np.cumsum(np.bincount(b, weights=values, minlength=nt))

    var += (
        exited(w2 * gamma**2)
        + 2 * cif * exited(w2 * gamma * kappa)
        + cif**2 * exited(w2 * kappa**2)
    )
    return np.sqrt(np.maximum(var, 0.0))


def aalen_johansen(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | Sequence[str] | None = None,
    entry: str | None = None,
    weights: str | None = None,
    conf_level: float = 0.95,
) -> AalenJohansenResult:
    """Aalen-Johansen cumulative incidence of competing events.

    ``event`` holds 0 for censored and a positive integer per cause. Tied
    exit times are handled exactly: all events at a time leave the risk set
    together, ``CIF_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)`` with ``S`` the
    all-cause Kaplan-Meier curve, as R's ``survfit(Surv(time, factor(event)))``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 2, 1, 0]})
    >>> aj = aalen_johansen(df, time="t", event="e")
    >>> aj.at([2]).round(4)["estimate"].tolist()
    [0.5, 0.25]

    """
    groups, stop, start, w = _data.curve_inputs(
        data, time=time, event=event, group=group, entry=entry, weights=weights
    )
    cause = _data.event_codes(data, event)
    causes = np.unique(cause[cause > 0])
    if causes.size == 0:
        msg = f"event column {event!r} has no events"
        raise ModelError(msg)
    code, levels = _data.codes(data, groups)
    parts = []
    for k in range(len(levels)):
        m = code == k
        part = _aj_group(
            stop[m], cause[m], w[m], None if start is None else start[m], causes, conf_level
        )
        for col in reversed(groups):
            part.insert(0, col, levels[col].iloc[k])
        parts.append(part)
    return AalenJohansenResult(
        table=pd.concat(parts, ignore_index=True),
        groups=groups,
        levels=levels,
        causes=tuple(int(c) for c in causes),
    )


def censoring_survival_left(
    stop: np.ndarray, censored: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Jump times of the censoring KM ``G`` and ``G(t-)`` just after each jump.

    Events at a time leave before censorings at that time (R's ``finegray``
    shifts event times by -0.2 of a rank for the same purpose). Returns
    ``(times, values)`` with ``values[i] = G`` after the jump at ``times[i]``.
    """
    t, inv = np.unique(stop, return_inverse=True)
    c = np.bincount(inv, weights=censored.astype(float), minlength=t.shape[0])
    d = np.bincount(inv, weights=(~censored).astype(float), minlength=t.shape[0])
    at_or_after = np.cumsum(np.bincount(inv, minlength=t.shape[0])[::-1])[::-1]
    n = at_or_after - d
    jump = c > 0
    g = np.cumprod(np.where(jump, 1 - c / np.where(n > 0, n, 1), 1.0))
    return t[jump], g[jump]


def _g_left(jt: np.ndarray, jg: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``G(t-)``: the censoring survival after all jumps strictly before ``t``."""
    idx = np.searchsorted(jt, t, side="left")
    return np.concatenate([[1.0], jg])[idx]


class _FineGrayData:
    """The Fine-Gray risk sets.

    Each subject's own row, plus a pooled row for subjects with a competing
    event, which stays at risk with weight G(t-)/G(T-).
    """

    def __init__(self, stop, cause, w, x, strata, target):  # noqa: ANN001
        n = stop.shape[0]
        competing = (cause != 0) & (cause != target)
        ginv = np.ones(n)
        mult_parts = {}
        for s in np.unique(strata):
            m = strata == s
            jt, jg = censoring_survival_left(stop[m], cause[m] == 0)
            mult_parts[int(s)] = (jt, jg)
            ginv[m] = 1.0 / _g_left(jt, jg, stop[m])
        pool_idx = np.flatnonzero(competing)
        big = float(stop.max()) + 1.0
        self.subject = np.concatenate([np.arange(n), pool_idx])
        stop2 = np.concatenate([stop, np.full(pool_idx.shape[0], big)])
        entry2 = np.concatenate([np.full(n, -1.0), stop[pool_idx]])
        if np.any(stop < 0):
            msg = "Fine-Gray needs non-negative times"
            raise DataError(msg)
        self.event = np.concatenate([cause == target, np.zeros(pool_idx.shape[0], dtype=bool)])
        self.weights = np.concatenate([w, w[pool_idx] * ginv[pool_idx]])
        self.strata = np.concatenate([strata, strata[pool_idx]])
        raw = np.vstack([x, x[pool_idx]])
        self.x_means = np.average(x, axis=0, weights=w)
        self.x = raw - self.x_means
        self.risk_sets = RiskSets(stop2, self.event, self.strata, entry2)
        mult = np.ones(self.risk_sets.n_groups)
        for s, (jt, jg) in mult_parts.items():
            gm = self.risk_sets.group_stratum == s
            mult[gm] = _g_left(jt, jg, self.risk_sets.group_time[gm])
        pooled = np.concatenate([np.zeros(n, dtype=bool), np.ones(pool_idx.shape[0], dtype=bool)])
        self.risk_sets.set_pool(pooled, mult)
        self.cluster = self.subject
        self.terms: tuple[str, ...] = ()


def fine_gray(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: str | Sequence[str],
    cause: int = 1,
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    conf_level: float = 0.95,
    max_iter: int = 30,
    tol: float = 1e-12,
) -> CoxResult:
    """Fine-Gray regression of the subdistribution hazard of one cause.

    Computes what R's ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x + cluster(id),
    weights = fgwt, data = finegray(...))`` computes, without building the
    expanded data set: a subject with a competing event at ``T`` stays in the
    risk set after ``T`` with weight ``G(t-) / G(T-)``, ``G`` being the
    Kaplan-Meier curve of the censoring times (per stratum; events precede
    censorings at tied times). The variance is the sandwich with the subject
    as cluster (it treats ``G`` as known, as R does).

    ``event``: 0 censored, positive integer codes for the causes.
    """
    check_literal("ties", ties, ("efron", "breslow"))
    terms = _data.as_names("covariates", covariates)
    strata_cols = _data.as_names("strata", strata)
    if not terms:
        msg = "covariates must name at least one column"
        raise ParameterError(msg)
    cols = [time, event, *terms, *strata_cols] + ([weights] if weights else [])
    _data.check_columns(data, cols)
    stop, _ = _data.times(data, time, None)
    codes = _data.event_codes(data, event)
    if not np.any(codes == cause):
        msg = f"no events of cause {cause!r} in column {event!r}"
        raise ModelError(msg)
    w = _data.case_weights(data, weights, len(data))
    scode, _ = _data.codes(data, strata_cols)
    x = np.column_stack([_data.numeric(data, c) for c in terms])
    fg = _FineGrayData(stop, codes, w, x, scode, cause)
    fg.terms = terms
    beta, fit, start, n_iter, converged = newton_raphson(
        fg,
        efron=ties == "efron",
        max_iter=max_iter,
        tol=tol,  # type: ignore[arg-type]
    )
    if not converged:
        warnings.warn(
            f"Fine-Gray fit did not converge in {max_iter} iterations",
            ConvergenceWarning,
            stacklevel=2,
        )
    if not (np.isfinite(fit.loglik) and np.all(np.isfinite(fit.info))):
        msg = "the Fine-Gray fit diverged: a coefficient is probably infinite"
        raise DataError(msg)
    naive = solve_information(fit.info, np.eye(len(terms)), terms)
    naive = (naive + naive.T) / 2
    warn_infinite(terms, beta, naive @ fit.score, converged=converged)
    var = robust_variance(fg, fit, naive)  # type: ignore[arg-type]
    p = len(terms)
    wald = float(beta @ np.linalg.pinv(var) @ beta)
    lr = 2 * (fit.loglik - start.loglik)
    return CoxResult(
        terms=terms,
        coef=beta,
        var=var,
        naive_var=naive,
        robust=True,
        loglik=fit.loglik,
        loglik_null=start.loglik,
        tests=(
            TestResult("likelihood_ratio", lr, p, float(stats.chi2.sf(lr, p))),
            TestResult("wald", wald, p, float(stats.chi2.sf(wald, p))),
        ),
        n=len(data),
        n_events=int(np.sum(codes == cause)),
        n_clusters=len(data),
        ties=ties,
        strata=strata_cols,
        conf_level=conf_level,
        n_iter=n_iter,
        converged=converged,
        label=f"Fine-Gray subdistribution hazards, cause {cause}",
    )
