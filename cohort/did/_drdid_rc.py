"""Two-period DiD estimators for repeated cross-sections, with influence functions.

The repeated cross-section counterparts of :mod:`cohort.did._drdid`, as in
R's ``DRDID`` (``drdid_rc``: the locally efficient doubly robust estimator of
Sant'Anna & Zhao 2020; ``std_ipw_did_rc``; ``reg_did_rc``). ``y`` is the
outcome of each observation, ``post`` marks the later period and ``d`` the
treated group. Returns ``(att, influence)`` with one entry per observation.
"""

from __future__ import annotations

import numpy as np

from cohort.did._drdid import EstimationFailed, _cmean, _gram, _ps_weights, _wols, _xdot

__all__ = ["ESTIMATORS_RC", "dr_rc", "ipw_rc", "reg_rc"]


def _mean_pos(v: np.ndarray, what: str) -> float:
    m = float(v.mean())
    if m <= 0:
        msg = f"no {what} observations"
        raise EstimationFailed(msg)
    return m


def _ols_part(x, y, w, n):
    """WLS fit on the rows with ``w > 0``: fitted values and ``m -> linrep @ m``.

    The second return value maps a vector to the OLS asymptotic linear
    representation times that vector.
    """
    fit, xtx_inv = _wols(x, y, w, n)
    score = w * (y - fit)

    def rep(m: np.ndarray) -> np.ndarray:
        return score * _xdot(x, xtx_inv @ m)

    return fit, rep


def _ps_rep(x, d, w, ps):
    n = d.shape[0]
    info = _gram(x, ps * (1 - ps) * w)
    try:
        h = np.linalg.inv(info) * n
    except np.linalg.LinAlgError as err:
        msg = "singular propensity-score information"
        raise EstimationFailed(msg) from err
    score = w * (d - ps)

    def rep(m: np.ndarray) -> np.ndarray:
        return score * _xdot(x, h @ m)

    return rep


def _centred(weight: np.ndarray, value: np.ndarray, what: str):
    """Hajek mean of ``value`` with ``weight`` and its influence function."""
    mw = _mean_pos(weight, what)
    eta = weight * value / mw
    att = float(eta.mean())
    return att, eta - weight * att / mw, mw


def reg_rc(y, post, d, x, w):
    """Outcome-regression DiD for repeated cross-sections."""
    n = d.shape[0]
    w = w / w.mean()
    fit_pre, rep_pre = _ols_part(x, y, w * (1 - d) * (1 - post), n)
    fit_post, rep_post = _ols_part(x, y, w * (1 - d) * post, n)
    a_t1, inf_t1, _ = _centred(w * d * post, y, "treated post-period")
    a_t0, inf_t0, _ = _centred(w * d * (1 - post), y, "treated pre-period")
    w_c = w * d
    mc = _mean_pos(w_c, "treated")
    eta_c = float((w_c * (fit_post - fit_pre)).mean() / mc)
    att = (a_t1 - a_t0) - eta_c
    m1 = _cmean(x, w_c)
    inf_c = (w_c * (fit_post - fit_pre) - w_c * eta_c + rep_post(m1) - rep_pre(m1)) / mc
    return float(att), (inf_t1 - inf_t0) - inf_c


def ipw_rc(y, post, d, x, w):
    """Standardised inverse-probability-weighted DiD for repeated cross-sections."""
    w = w / w.mean()
    ps, w_t, w_c = _ps_weights(x, d, w)
    a_t1, inf_t1, _ = _centred(w_t * post, y, "treated post-period")
    a_t0, inf_t0, _ = _centred(w_t * (1 - post), y, "treated pre-period")
    a_c1, inf_c1, m_c1 = _centred(w_c * post, y, "comparison post-period")
    a_c0, inf_c0, m_c0 = _centred(w_c * (1 - post), y, "comparison pre-period")
    att = (a_t1 - a_t0) - (a_c1 - a_c0)
    m2_pre = _cmean(x, w_c * (1 - post) * (y - a_c0)) / m_c0
    m2_post = _cmean(x, w_c * post * (y - a_c1)) / m_c1
    inf_ps = _ps_rep(x, d, w, ps)(m2_post - m2_pre)
    return float(att), (inf_t1 - inf_t0) - (inf_c1 - inf_c0 + inf_ps)


def dr_rc(y, post, d, x, w):
    """Locally efficient doubly robust DiD for repeated cross-sections."""
    n = d.shape[0]
    w = w / w.mean()
    ps, w_d, w_cont = _ps_weights(x, d, w)  # w_d = trim * w * d
    fit_c0, rep_c0 = _ols_part(x, y, w * (1 - d) * (1 - post), n)
    fit_c1, rep_c1 = _ols_part(x, y, w * (1 - d) * post, n)
    fit_t0, rep_t0 = _ols_part(x, y, w * d * (1 - post), n)
    fit_t1, rep_t1 = _ols_part(x, y, w * d * post, n)
    fit_c = post * fit_c1 + (1 - post) * fit_c0
    resid = y - fit_c
    w_t0, w_t1 = w_d * (1 - post), w_d * post
    w_c0, w_c1 = w_cont * (1 - post), w_cont * post
    a_t0, inf_t0, m_t0 = _centred(w_t0, resid, "treated pre-period")
    a_t1, inf_t1, m_t1 = _centred(w_t1, resid, "treated post-period")
    a_c0, inf_c0, m_c0 = _centred(w_c0, resid, "comparison pre-period")
    a_c1, inf_c1, m_c1 = _centred(w_c1, resid, "comparison post-period")
    gap1, gap0 = fit_t1 - fit_c1, fit_t0 - fit_c0
    a_d1, inf_d1, m_d = _centred(w_d, gap1, "treated")
    a_dt1, inf_dt1, m_dt1 = _centred(w_t1, gap1, "treated post-period")
    a_d0, inf_d0, _ = _centred(w_d, gap0, "treated")
    a_dt0, inf_dt0, m_dt0 = _centred(w_t0, gap0, "treated pre-period")
    att = (a_t1 - a_t0) - (a_c1 - a_c0) + (a_d1 - a_dt1) - (a_d0 - a_dt0)

    def cm(v):
        return _cmean(x, v)

    inf_treat_or = rep_c1(-cm(w_t1 * post) / m_t1) + rep_c0(-cm(w_t0 * (1 - post)) / m_t0)
    m2_pre = cm(w_c0 * (resid - a_c0)) / m_c0
    m2_post = cm(w_c1 * (resid - a_c1)) / m_c1
    inf_cont_ps = _ps_rep(x, d, w, ps)(m2_post - m2_pre)
    inf_cont_or = rep_c1(-cm(w_c1 * post) / m_c1) + rep_c0(-cm(w_c0 * (1 - post)) / m_c0)
    inf_eff = (inf_d1 - inf_dt1) - (inf_d0 - inf_dt0)
    mom_post = cm(w_d / m_d - w_t1 / m_dt1)
    mom_pre = cm(w_d / m_d - w_t0 / m_dt0)
    inf_or = (rep_t1(mom_post) - rep_c1(mom_post)) - (rep_t0(mom_pre) - rep_c0(mom_pre))
    inf_treat = inf_t1 - inf_t0 + inf_treat_or
    inf_cont = inf_c1 - inf_c0 + inf_cont_ps + inf_cont_or
    return float(att), inf_treat - inf_cont + inf_eff + inf_or


ESTIMATORS_RC = {"dr": dr_rc, "ipw": ipw_rc, "reg": reg_rc}
