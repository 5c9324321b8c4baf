"""Area-year inference for regressions on individuals with area and period fixed effects.

The children of an area and exam year share that area-year's shock (a new
teacher, a cohort's mix): the outcomes are not independent within an
area-year cell, and a child-level (or child-clustered) standard error treats
every child as a new draw. With one treated area, clustering by area does not
help either (the treated area's own shock is absorbed by its coefficient). We
aggregate to the area-year cells instead (Donald & Lang 2007): every regressor
of these models is constant within a cell (the treatment, event-time dummies,
an intention-to-treat dose that depends on the area and year only), so the
child-level OLS coefficients are the weighted least squares fit of the cell
means with the children as weights, and the cell means follow

    ybar_c = z_c' b + u_c + ebar_c,   var(u_c) = s2_a,   var(ebar_c) = s2_c / n_c,

with ``u_c`` the area-year shock (independent across cells, the same variance
in every area: the assumption that lets the comparison areas speak for the
treated one) and ``s2_c`` the within-cell variance of the outcome (the
sample variance of the cell; for a 0/1 outcome ``p (1 - p) n / (n - 1)``).
``s2_a`` is estimated by moments from the weighted residuals ``r_c``:

    E[sum_c n_c r_c^2] = s2_a sum_c n_c m_c + sum_c m_c s2_c,

``m_c = 1 - h_c`` with ``h_c`` the cell's weighted leverage (``s2_a`` is set to
0 if the estimate is negative). The variance of the coefficients is the
sandwich ``A^-1 Z'W S W Z A^-1`` (``A = Z'WZ``, ``W = diag(n_c)``,
``S = diag(s2_a + s2_c / n_c)``) and tests use a t distribution with the
cells' residual degrees of freedom (cells minus parameters). Nothing is drawn:
the result is deterministic. With one row per cell (an area-year panel of
shares) the within-cell variance is unknown and every cell's error variance is
one constant, the classical OLS variance on the cells.
"""

from __future__ import annotations

import numpy as np

from cohort.exceptions import ModelError

__all__ = ["area_year_vcov"]


def area_year_vcov(y: np.ndarray, x: np.ndarray, unit: np.ndarray, time: np.ndarray
                   ) -> tuple[np.ndarray, float, dict[str, float]]:
    """Variance of the coefficients of ``x`` under area-year shocks.

    ``y`` (n,), ``x`` (n, k) the raw (not demeaned) regressors, ``unit`` and
    ``time`` integer codes of the area and period fixed effects. Returns
    ``(vcov, df_resid, info)`` with ``info`` holding ``cells``, ``sd_area_year``
    (the estimated shock sd) and ``sd_within`` (the pooled within-cell sd).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    n_t = int(time.max()) + 1
    key = unit.astype(np.int64) * n_t + time.astype(np.int64)
    cells, cell = np.unique(key, return_inverse=True)
    n_c = np.bincount(cell).astype(float)
    c = len(cells)
    ybar = np.bincount(cell, weights=y) / n_c
    xbar = np.column_stack([np.bincount(cell, weights=x[:, j]) / n_c for j in range(x.shape[1])])
    scale = max(1.0, float(np.abs(x).max(initial=0.0)))
    if np.abs(x - xbar[cell]).max(initial=0.0) > 1e-9 * scale:
        msg = ("area-year inference needs regressors that are constant within each area and "
               "period (the treatment, event-time dummies, a dose by area and period)")
        raise ModelError(msg)
    dev = y - ybar[cell]
    ss_within = np.bincount(cell, weights=dev * dev)
    many = n_c >= 2
    s2 = np.zeros(c)
    if many.any():
        s2[many] = ss_within[many] / (n_c[many] - 1)
        pooled = ss_within[many].sum() / (n_c[many] - 1).sum()
        s2[~many] = pooled
    else:
        pooled = 0.0
    cu, ct = cells // n_t, cells % n_t
    units, cu = np.unique(cu, return_inverse=True)
    times, ct = np.unique(ct, return_inverse=True)
    fe_u = (cu[:, None] == np.arange(len(units))[None, :]).astype(float)
    fe_t = (ct[:, None] == np.arange(1, len(times))[None, :]).astype(float)
    z = np.column_stack([xbar, fe_u, fe_t])
    k = x.shape[1]
    zw = z * n_c[:, None]
    a = z.T @ zw
    if np.linalg.matrix_rank(a) < z.shape[1]:
        msg = "the regressors are collinear with the area and period effects on the cells"
        raise ModelError(msg)
    a_inv = np.linalg.inv(a)
    b = a_inv @ (zw.T @ ybar)
    r = ybar - z @ b
    h = n_c * np.einsum("ij,jk,ik->i", z, a_inv, z)
    m = np.clip(1.0 - h, 0.0, None)
    df = c - z.shape[1]
    if df < 1:
        msg = (f"area-year inference needs more area-period cells than parameters; got {c} "
               f"cells and {z.shape[1]} parameters")
        raise ModelError(msg)
    ssb = float(np.sum(n_c * r * r))
    if many.any():
        s2a = max(0.0, (ssb - float(np.sum(m * s2))) / float(np.sum(n_c * m)))
        var_c = s2a + s2 / n_c
    else:  # one observation per cell: one error variance for every cell (classical OLS)
        s2a = ssb / float(np.sum(m)) if np.any(m > 0) else 0.0
        var_c = np.full(c, s2a)
    meat = zw.T @ (zw * var_c[:, None])
    vcov = (a_inv @ meat @ a_inv)[:k, :k]
    info = {"cells": float(c), "sd_area_year": float(np.sqrt(s2a)),
            "sd_within": float(np.sqrt(pooled))}
    return vcov, float(df), info
