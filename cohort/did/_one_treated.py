"""Inference when one unit (a housing area) is treated and a handful are not.

Cluster-robust standard errors by area rely on many treated clusters: with one,
the treated area's own shock never averages out, the "robust" variance is
driven by a single residual sum that the estimate itself forces towards zero,
and intervals under-cover (MacKinnon & Webb 2017; Conley & Taber 2011).

Three remedies, all on the area x period means of the outcome:

* :func:`randomization_inference` gives the treatment to each area in turn
  (placebo assignments); the p-value is exact under the sharp null and
  exchangeable areas, the interval comes from inverting the test;
* :func:`conley_taber` uses the comparison areas' placebo estimates as the
  distribution of the treated area's estimation error (Conley & Taber 2011);
* :func:`wild_cluster_bootstrap` is the restricted wild cluster bootstrap
  (WCR) of the two-way fixed-effects t-statistic with Rademacher or Webb
  weights, computed the "fast and wild" way (Roodman et al. 2019) on the
  observation-level data.

The DiD estimate for area ``j`` is ``tau_j = D_j - mean_{k != j} D_k`` with
``D_j`` the mean of area ``j`` after minus before the treatment start.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import pandas as pd

from cohort._params import check_int_range, check_literal
from cohort.did._prep import area_period_cells, check_columns
from cohort.did._twfe import _codes, demean_two_way
from cohort.did.results import OneTreatedResult
from cohort.exceptions import DataError, ParameterError

__all__ = ["conley_taber", "one_treated_limits", "randomization_inference",
           "wild_cluster_bootstrap"]


def one_treated_limits(n_comparison: int, *, alp: float = 0.05) -> dict[str, float | bool]:
    """What placebo-area inference can deliver with ``n_comparison`` comparison areas.

    With ``J`` comparison areas, randomization inference and the Conley-Taber
    test (with the observed assignment counted, the "+1") have ``J + 1``
    equally likely ranks under the null, so:

    * ``smallest_p``: the smallest attainable p-value, ``1 / (J + 1)``;
    * ``interval``: whether a bounded ``1 - alp`` interval exists, that is
      ``floor(alp (J + 1)) >= 1`` (``J >= 19`` at 5 %); without it the
      comparison is descriptive: the interval is the whole line and no
      p-value can fall below ``alp``;
    * ``level``: the coverage the interval attains under exchangeable areas,
      ``1 - floor(alp (J + 1)) / (J + 1)`` (0.95 at ``J = 19``, 0.962 at
      ``J = 25``; 1 when no bounded interval exists).

    Returns a dict with ``n_comparison``, ``smallest_p``, ``interval`` and ``level``.

    >>> one_treated_limits(3)["smallest_p"], one_treated_limits(3)["interval"]
    (0.25, False)
    >>> one_treated_limits(25)["interval"]
    True
    """
    check_int_range("n_comparison", n_comparison, low=1)
    if not 0 < alp < 1:
        msg = f"alp must lie strictly between 0 and 1; got {alp!r}"
        raise ParameterError(msg)
    n = n_comparison + 1
    k = int(np.floor(alp * n + 1e-12))
    return {"n_comparison": n_comparison, "smallest_p": 1 / n, "interval": k >= 1,
            "level": 1 - k / n}


def _area_changes(data, yname, idname, tname, treated_unit, treat_start, sizename=None):
    """Per-area change ``mean(post) - mean(pre)`` of the area-period means.

    Returns ``(change, treated index, h)`` with ``h_j = sum_post 1/n_jt / T_post^2
    + sum_pre 1/n_jt / T_pre^2``, the factor the individual-level variance of area
    ``j``'s change carries (``n_jt`` the cell's size: ``sizename`` summed, or its rows).
    """
    cells, post = area_period_cells(data, yname=yname, idname=idname, tname=tname,
                                    treated_unit=treated_unit, treat_start=treat_start)
    y = cells.to_numpy(dtype=float)
    change = y[:, post].mean(axis=1) - y[:, ~post].mean(axis=1)
    tr = int(np.flatnonzero(cells.index.to_numpy() == treated_unit)[0])
    if len(change) < 3:
        msg = f"need at least two comparison areas; got {len(change) - 1}"
        raise DataError(msg)
    df = data[[c for c in dict.fromkeys([yname, idname, tname, sizename]) if c]].dropna()
    if sizename is None:
        size = df.groupby([idname, tname], sort=True)[yname].size()
    else:
        size = df.groupby([idname, tname], sort=True)[sizename].sum()
    n = size.unstack(tname).reindex(index=cells.index, columns=cells.columns).to_numpy(float)
    if not np.all(n > 0):
        msg = f"column {sizename!r}: every area-period cell needs a positive size"
        raise DataError(msg)
    inv = 1.0 / n
    h = inv[:, post].sum(axis=1) / post.sum() ** 2 + inv[:, ~post].sum(axis=1) / (~post).sum() ** 2
    return change, tr, h


def _placebo_estimates(change: np.ndarray) -> np.ndarray:
    """``tau_j = D_j - mean_{k != j} D_k`` for every area ``j``."""
    n = len(change)
    return change - (change.sum() - change) / (n - 1)


def randomization_inference(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treated_unit: object,
    treat_start: float,
    alp: float = 0.05,
) -> OneTreatedResult:
    """Placebo-in-space randomization inference for one treated area.

    Each of the N areas in turn is treated as if it were the treated one; the
    p-value is the share of areas whose ``|tau_j|`` is at least the treated
    area's (exact under the sharp null of no effect when the assignment is
    exchangeable across areas; the smallest attainable p-value is ``1/N``).
    The interval collects every effect ``tau0`` not rejected at level
    ``alp`` when ``tau0`` is removed from the treated area's post periods; it
    is unbounded when ``1/N > alp``, which is the honest answer with so few
    areas.
    """
    change, tr, _ = _area_changes(data, yname, idname, tname, treated_unit, treat_start)
    n = len(change)
    tau = _placebo_estimates(change)
    est = float(tau[tr])
    others = np.delete(tau, tr)

    def p_value(tau0: float) -> float:
        # removing tau0 from the treated area shifts it by -tau0 and the others by +tau0/(n-1)
        return (1 + np.sum(np.abs(others + tau0 / (n - 1)) >= np.abs(est - tau0) - 1e-12)) / n

    lo, hi = _invert(p_value, est, others, n, alp)
    return OneTreatedResult(
        method="Randomization inference (placebo areas)", estimate=est,
        p_value=float(p_value(0.0)), conf_low=lo, conf_high=hi, alp=alp,
        null_distribution=tau, n_controls=n - 1,
        notes=(f"exact p-value over {n} placebo assignments; smallest attainable {1 / n:.3f}",
               *(() if 1 / n <= alp else (
                   f"no p-value can fall below {alp:g} with so few areas: the interval is "
                   "the whole line and the comparison is descriptive",))),
    )


def _invert(p_value, est, others, n, alp):
    """Hull of ``{tau0 : p(tau0) > alp}``, exactly.

    The p-value only changes where ``|a_j + tau0/(n-1)| = |est - tau0|``; it is
    constant between those roots, so checking each root and each open piece
    between them (at its midpoint) finds the accepted set.
    """
    c = 1 / (n - 1)
    roots = [(est - a) / (1 + c) for a in others]
    roots += [(est + a) / (1 - c) for a in others if abs(1 - c) > 1e-15]
    r = np.unique(np.asarray(roots, dtype=float))
    span = max(1.0, float(np.ptp(np.r_[r, est])))
    # pieces: (lower, upper, point to evaluate)
    pieces = [(-np.inf, r[0], r[0] - span)]
    pieces += [(a, b, (a + b) / 2) for a, b in zip(r[:-1], r[1:], strict=True)]
    pieces += [(x, x, x) for x in r]
    pieces += [(r[-1], np.inf, r[-1] + span)]
    accepted = [(lo, hi) for lo, hi, x in pieces if p_value(x) > alp]
    if not accepted:
        return est, est
    return float(min(a for a, _ in accepted)), float(max(b for _, b in accepted))


def conley_taber(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treated_unit: object,
    treat_start: float,
    alp: float = 0.05,
    interval: str = "symmetric",
    sizename: str | None = None,
    size_correction: bool | None = None,
) -> OneTreatedResult:
    """Conley & Taber (2011) inference for one treated area.

    The estimate's error is the treated area's own shock relative to the
    comparison areas; its distribution is estimated by the ``J`` comparison
    areas' placebo estimates ``eta_j = D_j - mean_{k in controls, k != j} D_k``
    (the treated area excluded). The p-value for no effect counts the observed
    assignment as one of ``J + 1`` (the "+1"): ``(1 + #{|eta_j| >= |est|}) /
    (J + 1)``, never 0, at least ``1 / (J + 1)``.

    ``interval="symmetric"`` (the default) inverts that test: every ``tau0``
    with ``(1 + #{|eta_j| >= |est - tau0|}) / (J + 1) > alp``, that is ``est +-
    a_(K)``, the ``K``-th largest ``|eta_j|`` with ``K = floor(alp (J + 1))``;
    its coverage under exchangeable areas is ``1 - K / (J + 1)`` (at least
    ``1 - alp``), and with ``K = 0`` (``J < 19`` at 5 %) it is the whole line.
    ``interval="quantile"`` is Conley & Taber's equal-tailed ``[est - q(1 -
    alp/2), est - q(alp/2)]`` with type-1 quantiles of ``eta``; with few
    areas these are the extreme placebo values and the coverage is ``(J - 1) /
    (J + 1)``, not ``1 - alp``.

    ``size_correction`` (default: on when ``sizename`` is given) is Ferman &
    Pinto's (2019) correction for areas of unequal size: the variance of an
    area's change is modelled as ``A + B h_j``, ``h_j = sum_post 1/n_jt /
    T_post^2 + sum_pre 1/n_jt / T_pre^2`` (``n_jt`` the cell sizes, column
    ``sizename`` summed per cell, or the rows of a cell; their ``1/M_j`` for
    equal periods), ``A, B >= 0`` fitted by non-negative least squares of
    ``(D_j - mean_controls D)^2`` on ``(1, h_j)`` over the comparison areas,
    and every placebo estimate is rescaled to the treated area's variance,
    ``eta_j sqrt(v_treated / v_j)``, before the p-value and interval.
    """
    from cohort.did._bootstrap import quantile_type1

    check_literal("interval", interval, ("symmetric", "quantile"))
    correct = sizename is not None if size_correction is None else bool(size_correction)
    change, tr, h = _area_changes(data, yname, idname, tname, treated_unit, treat_start,
                                  sizename)
    controls = np.delete(change, tr)
    est = float(change[tr] - controls.mean())
    eta = _placebo_estimates(controls)
    notes = ["error distribution from the comparison areas' placebo estimates"]
    method = "Conley-Taber"
    if correct:
        from scipy.optimize import nnls

        h_c = np.delete(h, tr)
        resid2 = (controls - controls.mean()) ** 2
        (a, b), _ = nnls(np.column_stack([np.ones(len(h_c)), h_c]), resid2)
        v = a + b * h
        if np.all(v > 0):
            eta = eta * np.sqrt(v[tr] / np.delete(v, tr))
            notes.append(f"size-corrected (Ferman & Pinto 2019): variance {a:.3g} + {b:.3g} h")
        else:
            notes.append("size correction not applied: no variance left to model")
        method = "Conley-Taber, size-corrected"
    j = len(eta)
    p = float((1 + np.sum(np.abs(eta) >= abs(est) - 1e-12)) / (j + 1))
    if interval == "quantile":
        q_lo = float(quantile_type1(eta, alp / 2))
        q_hi = float(quantile_type1(eta, 1 - alp / 2))
        lo, hi = est - q_hi, est - q_lo
        notes.append(f"equal-tailed placebo quantiles; coverage {(j - 1) / (j + 1):.3f} "
                     "under exchangeable areas when the quantiles are the extremes")
    else:
        k = int(np.floor(alp * (j + 1) + 1e-12))
        if k == 0:
            lo, hi = -np.inf, np.inf
            notes.append(f"no p-value can fall below {alp:g} with so few comparison areas: "
                         "the interval is the whole line and the comparison is descriptive")
        else:
            a_k = float(np.sort(np.abs(eta))[::-1][k - 1])
            lo, hi = est - a_k, est + a_k
    return OneTreatedResult(
        method=method, estimate=est, p_value=p, conf_low=float(lo), conf_high=float(hi),
        alp=alp, null_distribution=eta, n_controls=j, notes=tuple(notes),
    )


def _webb_weights():
    return np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treatname: str,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    weights: str = "rademacher",
    biters: int = 9999,
    alp: float = 0.05,
    null: float = 0.0,
    seed: int | np.random.Generator | None = 0,
    conf_int: bool = True,
) -> OneTreatedResult:
    """Restricted wild cluster bootstrap (WCR) for the TWFE treatment coefficient.

    Model ``y = a_i + l_t + b D + x'c + e`` with unit (``idname``) and period
    fixed effects; clusters ``cluster`` (default the unit). Under ``H0: b =
    b0`` the restricted residuals are reweighted by one weight per cluster,
    Rademacher (+-1; all ``2^G`` sign vectors when that is at most ``biters``)
    or Webb's six-point distribution, and the CR1 t-statistic is recomputed
    in closed form (Roodman et al. 2019). The p-value is the share of
    ``|t*| >= |t|``; the interval inverts the test over ``b0``. With a single
    treated cluster WCR is known to be very conservative and WCU liberal
    (MacKinnon & Webb 2017): report it next to randomization inference.
    """
    check_literal("weights", weights, ("rademacher", "webb"))
    check_int_range("biters", biters, low=99)
    covs = list(covariates or [])
    cl = cluster or idname
    cols = list(dict.fromkeys([yname, idname, tname, treatname, cl, *covs]))
    check_columns(data, {"yname": yname, "idname": idname, "tname": tname,
                         "treatname": treatname, "cluster": cl})
    df = data[cols].dropna()
    unit, n_u = _codes(df[idname])
    time, n_t = _codes(df[tname])
    ccode, g = _codes(df[cl])
    if g < 3:
        msg = f"need at least 3 clusters; got {g}"
        raise DataError(msg)
    raw = np.column_stack([df[yname], df[treatname], df[covs]]).astype(float)
    dm = demean_two_way(raw, unit, time)
    if covs:
        z = dm[:, 2:]
        dm = dm[:, :2] - z @ np.linalg.lstsq(z, dm[:, :2], rcond=None)[0]
    y_t, x_t = dm[:, 0], dm[:, 1]
    n, k = len(df), 1 + len(covs) + n_u + n_t - 1
    xx = x_t @ x_t
    if xx <= 1e-12 * max(1.0, float(np.abs(raw[:, 1]).max())):
        msg = "the treatment does not vary after absorbing the fixed effects"
        raise DataError(msg)
    factor = g / (g - 1) * (n - 1) / (n - k)

    def annihilate(v):
        """Residual of ``v`` on the fixed effects, covariates and the treatment."""
        r = demean_two_way(v[:, None], unit, time)[:, 0]
        if covs:
            r = r - z @ np.linalg.lstsq(z, r, rcond=None)[0]
        return r - x_t * (x_t @ r) / xx

    def per_cluster(v):
        return np.bincount(ccode, weights=v, minlength=g)

    # restricted residual u(b0) = y_t - b0 x_t; everything is linear in b0
    a_y, a_x = per_cluster(x_t * y_t), per_cluster(x_t * x_t)  # numerators by cluster
    c_y, c_x = np.zeros((g, g)), np.zeros((g, g))
    for h in range(g):
        in_h = ccode == h
        c_y[:, h] = per_cluster(x_t * annihilate(np.where(in_h, y_t, 0.0)))
        c_x[:, h] = per_cluster(x_t * annihilate(np.where(in_h, x_t, 0.0)))

    beta = float(x_t @ y_t / xx)
    resid = y_t - beta * x_t
    s_obs = per_cluster(x_t * resid)
    se = float(np.sqrt(factor * (s_obs @ s_obs)) / xx)

    rng = np.random.default_rng(seed)
    v = _draw_weights(weights, g, biters, rng)

    def boot_t(b0):
        num = v @ (a_y - b0 * a_x) / xx  # b* - b0
        scores = v @ (c_y - b0 * c_x).T  # (B, G) cluster scores of unrestricted residuals
        se_star = np.sqrt(factor * np.einsum("bg,bg->b", scores, scores)) / xx
        with np.errstate(divide="ignore", invalid="ignore"):
            return num / se_star

    def p_value(b0):
        t_obs = (beta - b0) / se
        ts = boot_t(b0)
        ts = ts[np.isfinite(ts)]
        return float(np.mean(np.abs(ts) >= abs(t_obs) - 1e-12))

    lo, hi = (np.nan, np.nan)
    if conf_int:
        lo, hi = _invert_bisect(p_value, beta, se, alp)
    return OneTreatedResult(
        method=f"Wild cluster bootstrap (WCR, {weights})", estimate=beta,
        p_value=p_value(null), conf_low=lo, conf_high=hi, alp=alp,
        null_distribution=boot_t(null), n_controls=g - 1, std_error=se,
        notes=(f"{len(v)} bootstrap draws over {g} clusters; H0: b = {null:g}",),
    )


def _draw_weights(kind, g, biters, rng):
    if kind == "rademacher":
        if 2**g <= biters:
            return np.array(list(product((-1.0, 1.0), repeat=g)))
        return rng.choice(np.array([-1.0, 1.0]), size=(biters, g))
    return rng.choice(_webb_weights(), size=(biters, g))


def _invert_bisect(p_value, beta, se, alp, *, max_width=1e3, iters=60):
    """``[lo, hi]`` with ``p(b0) > alp`` inside; bisection from ``beta`` outwards.

    Returns an infinite end when the test does not reject even ``max_width``
    standard errors away (as happens with a single treated cluster).
    """
    if p_value(beta) <= alp:
        return beta, beta
    ends = []
    for sign in (-1.0, 1.0):
        step, inside = se, beta
        outside = None
        while step <= max_width * se:
            cand = beta + sign * step
            if p_value(cand) <= alp:
                outside = cand
                break
            inside, step = cand, step * 2
        if outside is None:
            ends.append(sign * np.inf)
            continue
        for _ in range(iters):
            mid = (inside + outside) / 2
            if p_value(mid) > alp:
                inside = mid
            else:
                outside = mid
        ends.append(inside)
    return float(ends[0]), float(ends[1])
