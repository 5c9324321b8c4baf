"""Cox proportional-hazards regression: Newton-Raphson over the risk-set engine."""

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
from cohort.survival._concordance import concordance as harrell_c
from cohort.survival._cox_core import Evaluation, RiskSets, evaluate, score_residuals
from cohort.survival.results import CoxResult, TestResult

__all__ = ["cox"]

Ties = Literal["efron", "breslow"]


class CoxData:
    """Checked arrays of one Cox model, with the covariates centred."""

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        time: str,
        event: str,
        covariates: Sequence[str],
        entry: str | None,
        strata: Sequence[str],
        weights: str | None,
        cluster: str | None,
    ) -> None:
        cols = [time, event, *covariates, *strata]
        cols += [c for c in (entry, weights, cluster) if c is not None]
        _data.check_columns(data, cols)
        if len(data) == 0:
            msg = "data has no rows"
            raise DataError(msg)
        self.terms = tuple(covariates)
        self.stop, self.entry = _data.times(data, time, entry)
        self.event = _data.event_indicator(data, event)
        self.weights = _data.case_weights(data, weights, len(data))
        self.strata, self.strata_levels = _data.codes(data, strata)
        x = np.column_stack([_data.numeric(data, c) for c in covariates])
        self.x_means = np.average(x, axis=0, weights=self.weights)
        self.x = x - self.x_means
        self.cluster = None
        if cluster is not None:
            self.cluster, _ = _data.codes(data, [cluster])
        self.risk_sets = RiskSets(self.stop, self.event, self.strata, self.entry)

    @property
    def n_events(self) -> int:
        return int(self.event.sum())


#: R's ``toler.chol``: a Cholesky pivot below this times the largest diagonal
#: element of the information counts as zero (an aliased covariate).
TOLER_CHOL = np.finfo(float).eps ** 0.75


def solve_information(info: np.ndarray, vec: np.ndarray, terms: Sequence[str]) -> np.ndarray:
    msg = (
        "the information matrix is singular: some covariates among "
        f"{', '.join(terms)} are collinear, constant within strata, or without "
        "events in some of their values; drop one"
    )
    if not np.all(np.isfinite(info)):
        raise ModelError(msg)
    try:
        chol = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        raise ModelError(msg) from None
    if np.min(np.diag(chol) ** 2) <= TOLER_CHOL * max(float(np.max(np.diag(info))), 1e-300):
        raise ModelError(msg)
    y = np.linalg.solve(chol, vec)
    return np.linalg.solve(chol.T, y)


def newton_raphson(
    cd: CoxData,
    *,
    efron: bool,
    max_iter: int,
    tol: float,
    init: np.ndarray | None = None,
) -> tuple[np.ndarray, Evaluation, Evaluation, int, bool]:
    """Maximise the partial likelihood.

    Returns beta, the fit at beta, the fit at the start, the number of
    iterations and whether it converged.

    Step halving when the log likelihood decreases, as R's ``coxph`` does.
    Convergence: relative change of the log likelihood below ``tol`` (R uses
    1e-9; our default 1e-12 is tighter), or a Newton step below 1e-9 relative
    in every coefficient; the returned beta is the one after that step, whose
    error is of the order of the step squared.
    """
    rs, x, w = cd.risk_sets, cd.x, cd.weights
    beta = np.zeros(x.shape[1]) if init is None else np.asarray(init, dtype=float)
    start = evaluate(rs, x, w, beta, efron=efron)
    current = start
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (it is returned)
        step = solve_information(current.info, current.score, cd.terms)
        new_beta = beta + step
        new = evaluate(rs, x, w, new_beta, efron=efron)
        # halve while the likelihood gets worse by more than rounding noise
        slack = 1e-10 * max(1.0, abs(current.loglik))
        halvings = 0
        while (not np.isfinite(new.loglik) or new.loglik < current.loglik - slack) and (
            halvings < 30
        ):
            new_beta = (beta + new_beta) / 2.0
            new = evaluate(rs, x, w, new_beta, efron=efron)
            halvings += 1
        change = abs(new.loglik - current.loglik) / max(abs(current.loglik), 1e-300)
        tiny_step = bool(np.all(np.abs(new_beta - beta) <= 1e-9 * (1 + np.abs(beta))))
        beta, current = new_beta, new
        if np.isfinite(change) and (change <= tol or tiny_step):
            converged = True
            break
    return beta, current, start, it, converged


def cox(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: str | Sequence[str],
    entry: str | None = None,
    strata: str | Sequence[str] | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    ties: Ties = "efron",
    robust: bool | None = None,
    conf_level: float = 0.95,
    concordance: bool = True,
    max_iter: int = 30,
    tol: float = 1e-12,
) -> CoxResult:
    """Fit a Cox proportional-hazards model by Newton-Raphson.

    Parameters
    ----------
    data : DataFrame
        One row per subject, or per interval ``(entry, time]`` of a subject
        (counting-process data, time-varying covariates).
    time, event : str
        Exit time and the 0/1 event indicator at exit.
    covariates : str or list of str
        Numeric columns (code categories as indicator columns).
    entry : str, optional
        Entry time (delayed entry / start of the interval).
    strata : str or list of str, optional
        Columns whose combinations define strata with separate baseline hazards.
    weights : str, optional
        Non-negative case weights.
    cluster : str, optional
        Cluster identifier; gives the cluster-robust (sandwich) variance of
        Lin & Wei (1989), as R's ``coxph(..., cluster=)``.
    ties : {"efron", "breslow"}
        Handling of tied event times.
    robust : bool, optional
        Use the sandwich variance. Default: True when ``cluster`` is given,
        else False. ``robust=True`` without a cluster treats each row as its
        own cluster.
    conf_level : float
        Level of the confidence intervals.
    concordance : bool
        Compute Harrell's concordance as R's ``concordance(fit)`` (within
        strata, against the rows at risk at each event time). O(n log^2 n):
        about 2 s of CPU at a million rows; pass False to skip it.
    max_iter, tol : int, float
        Newton-Raphson limits; a :class:`ConvergenceWarning` is issued when the
        limit is reached.

    Returns
    -------
    CoxResult

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 1, 0, 1, 1, 0],
    ...                    "x": [1, 0, 1, 0, 1, 0]})
    >>> fit = cox(df, time="t", event="d", covariates="x")
    >>> round(float(fit.coef[0]), 4)
    0.2739

    """
    check_literal("ties", ties, ("efron", "breslow"))
    if not (0 < conf_level < 1):
        msg = f"conf_level must lie strictly between 0 and 1; got {conf_level!r}"
        raise ParameterError(msg)
    if robust is not None and not isinstance(robust, bool):
        msg = f"robust must be True, False or None; got {robust!r}"
        raise ParameterError(msg)
    terms = _data.as_names("covariates", covariates)
    if not terms:
        msg = "covariates must name at least one column"
        raise ParameterError(msg)
    cd = CoxData(
        data,
        time=time,
        event=event,
        covariates=terms,
        entry=entry,
        strata=_data.as_names("strata", strata),
        weights=weights,
        cluster=cluster,
    )
    if cd.n_events == 0:
        msg = "there are no events; a Cox model cannot be fitted"
        raise ModelError(msg)
    efron = ties == "efron"
    beta, fit, start, n_iter, converged = newton_raphson(
        cd, efron=efron, max_iter=max_iter, tol=tol
    )
    if not converged:
        warnings.warn(
            f"Cox fit did not converge in {max_iter} iterations; coefficients may be "
            "infinite (monotone likelihood) or the model unidentified",
            ConvergenceWarning,
            stacklevel=2,
        )
    if not (np.isfinite(fit.loglik) and np.all(np.isfinite(fit.info))):
        msg = (
            "the Cox fit diverged (risk sets underflow): a coefficient is probably "
            "infinite because a covariate separates events from non-events; "
            f"check {', '.join(terms)}"
        )
        raise DataError(msg)
    naive_var = solve_information(fit.info, np.eye(len(terms)), terms)
    naive_var = (naive_var + naive_var.T) / 2.0
    warn_infinite(terms, beta, naive_var @ fit.score, converged=converged)
    use_robust = cluster is not None if robust is None else robust
    var = robust_variance(cd, fit, naive_var) if use_robust else naive_var
    p = len(terms)
    score_stat = float(start.score @ solve_information(start.info, start.score, terms))
    wald_stat = float(beta @ np.linalg.pinv(var) @ beta)
    lr_stat = 2.0 * (fit.loglik - start.loglik)
    tests = (
        TestResult("likelihood_ratio", lr_stat, p, float(stats.chi2.sf(lr_stat, p))),
        TestResult("wald", wald_stat, p, float(stats.chi2.sf(wald_stat, p))),
        TestResult("score", score_stat, p, float(stats.chi2.sf(score_stat, p))),
    )
    c_index = None
    if concordance:
        c_index = harrell_c(cd.risk_sets, cd.x @ beta, cd.weights)[3]
    return CoxResult(
        terms=terms,
        concordance=c_index,
        coef=beta,
        var=var,
        naive_var=naive_var,
        robust=use_robust,
        loglik=fit.loglik,
        loglik_null=start.loglik,
        tests=tests,
        n=len(data),
        n_events=cd.n_events,
        n_clusters=None if cd.cluster is None else int(cd.cluster.max()) + 1,
        ties=ties,
        strata=tuple(_data.as_names("strata", strata)),
        conf_level=conf_level,
        n_iter=n_iter,
        converged=converged,
        spec={
            "time": time,
            "event": event,
            "covariates": terms,
            "entry": entry,
            "strata": _data.as_names("strata", strata),
            "weights": weights,
            "cluster": cluster,
        },
    )


def warn_infinite(
    terms: Sequence[str], beta: np.ndarray, step: np.ndarray, *, converged: bool
) -> None:
    """Warn when a coefficient is probably infinite (R's check after convergence).

    A Newton step that is still large relative to its coefficient means the
    likelihood flattened out towards infinity.
    """
    if not converged:
        return
    flat = (np.abs(step) > 1e-9) & (np.abs(step) > np.sqrt(1e-9) * np.abs(beta))
    if np.any(flat):
        names = ", ".join(t for t, f in zip(terms, flat, strict=True) if f)
        warnings.warn(
            f"the log likelihood converged before the coefficients of {names}; "
            "they may be infinite (monotone likelihood)",
            ConvergenceWarning,
            stacklevel=3,
        )


def dfbeta(cd: CoxData, fit: Evaluation, naive_var: np.ndarray) -> np.ndarray:
    """Weighted dfbeta residuals, one row per data row: ``w_i L_i V``."""
    resid = score_residuals(cd.risk_sets, cd.x, fit)
    return (resid * cd.weights[:, None]) @ naive_var


def robust_variance(cd: CoxData, fit: Evaluation, naive_var: np.ndarray) -> np.ndarray:
    """Sandwich variance ``D'D`` with ``D`` the dfbetas summed within clusters."""
    d = dfbeta(cd, fit, naive_var)
    if cd.cluster is not None:
        k = int(cd.cluster.max()) + 1
        collapsed = np.empty((k, d.shape[1]))
        for j in range(d.shape[1]):
            collapsed[:, j] = np.bincount(cd.cluster, weights=d[:, j], minlength=k)
        d = collapsed
    return d.T @ d
