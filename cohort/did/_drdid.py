"""Two-period, two-group DiD estimators on panel data with influence functions.

These are the building blocks of :func:`cohort.did.att_gt`: for one (g, t)
cell, the change in the outcome ``dy`` of treated (``d == 1``) and comparison
(``d == 0``) units. They follow Sant'Anna & Zhao (2020) as implemented in R's
``DRDID`` (``drdid_panel``, ``std_ipw_did_panel``, ``reg_did_panel``): the
outcome regression is weighted least squares on the comparison units, the
propensity score a logit fitted by maximum likelihood, comparison units with a
propensity score of 0.995 or more are trimmed, and the influence function
includes the estimation effect of both nuisance models.

All functions return ``(att, influence)`` where ``influence`` has one entry per
unit of the cell, scaled so that ``sqrt(mean(influence**2) / n)`` is the SE.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import expit

from cohort.exceptions import ConvergenceWarning

__all__ = ["EstimationFailed", "dr_panel", "ipw_panel", "logit", "reg_panel"]

_TRIM = 0.995
_PS_MAX = 1 - 1e-6


class EstimationFailed(Exception):  # noqa: N818 - internal control flow, caught by att_gt
    """A 2x2 cell cannot be estimated (singular design, no overlap)."""


def logit(x: np.ndarray | None, d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted logit MLE by Newton's method; returns fitted probabilities.

    ``x=None`` means the intercept only, whose MLE is the weighted share.
    """
    if x is None:
        p = _dot(w, d) / float(w.sum())
        return np.full(d.shape[0], p)
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = expit(x @ beta)
        grad = x.T @ (w * (d - p))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError as err:
            msg = "singular propensity-score design"
            raise EstimationFailed(msg) from err
        beta = beta + step
        if np.max(np.abs(step)) < 1e-11 * (1 + np.max(np.abs(beta))):
            break
    else:
        warnings.warn("propensity-score logit did not converge", ConvergenceWarning, stacklevel=4)
    return expit(x @ beta)


def _wols(x: np.ndarray | None, y: np.ndarray, w: np.ndarray, n: int):
    """WLS fit on the rows with positive weight ``w``; returns (fitted, x'wx/n inverse)."""
    if x is None:
        sw = w.sum()
        if sw <= 0:
            msg = "no comparison units"
            raise EstimationFailed(msg)
        beta = _dot(w, y) / sw
        return np.full(y.shape[0], beta), np.array([[n / sw]])
    xtx = (x * w[:, None]).T @ x / n
    if np.linalg.cond(xtx) > 1 / np.finfo(float).eps:
        msg = "singular outcome-regression design"
        raise EstimationFailed(msg)
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (x.T @ (w * y)) / n
    return x @ beta, xtx_inv


# Helpers that treat ``x=None`` as the intercept-only design without forming a
# column of ones: the intercept-only path then makes no BLAS call, which keeps
# it fast on machines where multithreaded BLAS competes with other processes.


def _xmat(x: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones((n, 1)) if x is None else x


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum())


def _cmean(x: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """Column means of ``v[:, None] * x``."""
    return np.array([v.mean()]) if x is None else (v[:, None] * x).mean(axis=0)


def _xdot(x: np.ndarray | None, vec: np.ndarray):
    """``x @ vec`` (a scalar for the intercept-only design)."""
    return float(vec[0]) if x is None else x @ vec


def _gram(x: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """``x' diag(v) x``."""
    return np.array([[v.sum()]]) if x is None else (x * v[:, None]).T @ x


def _ps_weights(x, d, w, ps=None):
    """Propensity score (fitted unless given), trimming and the two weight vectors."""
    ps = np.minimum(logit(x, d, w) if ps is None else ps, _PS_MAX)
    trim = (d == 1) | (ps < _TRIM)
    w_treat = trim * w * d
    w_cont = trim * w * ps * (1 - d) / (1 - ps)
    return ps, w_treat, w_cont


def _ps_linrep(x: np.ndarray | None, d, w, ps, m: np.ndarray) -> np.ndarray:
    """Asymptotic linear representation of the logit times ``m`` (k,)."""
    n = d.shape[0]
    info = _gram(x, ps * (1 - ps) * w)
    try:
        h = np.linalg.inv(info) * n
    except np.linalg.LinAlgError as err:
        msg = "singular propensity-score information"
        raise EstimationFailed(msg) from err
    return (w * (d - ps)) * _xdot(x, h @ m)


def reg_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, w: np.ndarray):
    """Outcome-regression DiD (Heckman, Ichimura & Todd 1997), panel data."""
    n = d.shape[0]
    w = w / w.mean()
    w_ols = w * (1 - d)
    fit, xtx_inv = _wols(x, dy, w_ols, n)
    w_t = w * d
    mw = w_t.mean()
    if mw <= 0:
        msg = "no treated units"
        raise EstimationFailed(msg)
    eta_t = _dot(w_t, dy) / n / mw
    eta_c = _dot(w_t, fit) / n / mw
    att = eta_t - eta_c
    inf_t = (w_t * dy - w_t * eta_t) / mw
    m1 = _cmean(x, w_t)
    ols_rep = (w_ols * (dy - fit)) * _xdot(x, xtx_inv @ m1)
    inf_c = (w_t * fit - w_t * eta_c + ols_rep) / mw
    return float(att), inf_t - inf_c


def ipw_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, w: np.ndarray,
              ps: np.ndarray | None = None):
    """Standardised (Hajek) inverse-probability-weighted DiD (Abadie 2005), panel.

    ``ps`` is an already fitted propensity score for these units (optional).
    """
    n = d.shape[0]
    w = w / w.mean()
    ps, w_t, w_c = _ps_weights(x, d, w, ps)
    mt, mc = w_t.mean(), w_c.mean()
    if mt <= 0 or mc <= 0:
        msg = "no treated or no comparison units after trimming"
        raise EstimationFailed(msg)
    eta_t = _dot(w_t, dy) / n / mt
    eta_c = _dot(w_c, dy) / n / mc
    att = eta_t - eta_c
    inf_t = (w_t * dy - w_t * eta_t) / mt
    m2 = _cmean(x, w_c * (dy - eta_c))
    inf_c = (w_c * dy - w_c * eta_c + _ps_linrep(x, d, w, ps, m2)) / mc
    return float(att), inf_t - inf_c


def dr_panel(dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, w: np.ndarray,
             ps: np.ndarray | None = None):
    """Locally efficient doubly robust DiD (Sant'Anna & Zhao 2020), panel data.

    ``ps`` is an already fitted propensity score for these units (optional).
    """
    n = d.shape[0]
    w = w / w.mean()
    ps, w_t, w_c = _ps_weights(x, d, w, ps)
    w_ols = w * (1 - d)
    fit, xtx_inv = _wols(x, dy, w_ols, n)
    mt, mc = w_t.mean(), w_c.mean()
    if mt <= 0 or mc <= 0:
        msg = "no treated or no comparison units after trimming"
        raise EstimationFailed(msg)
    resid = dy - fit
    eta_t = _dot(w_t, resid) / n / mt
    eta_c = _dot(w_c, resid) / n / mc
    att = eta_t - eta_c
    ols_score = w_ols * resid
    m1 = _cmean(x, w_t)
    inf_t = (w_t * resid - w_t * eta_t - ols_score * _xdot(x, xtx_inv @ m1)) / mt
    m2 = _cmean(x, w_c * (resid - eta_c))
    m3 = _cmean(x, w_c)
    inf_c = (
        w_c * resid
        - w_c * eta_c
        + _ps_linrep(x, d, w, ps, m2)
        - ols_score * _xdot(x, xtx_inv @ m3)
    ) / mc
    return float(att), inf_t - inf_c


ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel}
