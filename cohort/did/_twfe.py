"""Two-way fixed-effects DiD, event-study regressions and the canonical 2x2 DiD.

Unit and period fixed effects are absorbed by the within transformation:
in one step for a balanced panel (``x - mean_i - mean_t + mean``), by
alternating projections otherwise. By Frisch-Waugh-Lovell the coefficients and
residuals equal those of the regression with explicit dummies. Standard
errors are cluster-robust (CR1) with the small-sample factor statsmodels
uses for the dummies regression, ``G/(G-1) * (N-1)/(N-K)`` where ``K``
counts the absorbed dummies too; tests use a t distribution with ``G - 1``
degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cohort._params import check_literal
from cohort.did._prep import check_columns
from cohort.did.results import ModelResult
from cohort.exceptions import ConvergenceWarning, DataError, ModelError, ParameterError

__all__ = ["did_2x2", "event_study", "twfe"]


def _codes(values) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(np.asarray(values), sort=True)
    return codes, len(uniques)


def demean_two_way(mat: np.ndarray, unit: np.ndarray, time: np.ndarray, *,
                   tol: float = 1e-12, max_iter: int = 10_000) -> np.ndarray:
    """Remove unit and period means from the columns of ``mat`` (n_obs x k)."""
    mat = np.asarray(mat, dtype=float)
    n_u, n_t = unit.max() + 1, time.max() + 1
    cnt_u = np.bincount(unit, minlength=n_u).astype(float)
    cnt_t = np.bincount(time, minlength=n_t).astype(float)

    def means(codes, cnt, x):
        out = np.empty((len(cnt), x.shape[1]))
        for j in range(x.shape[1]):
            out[:, j] = np.bincount(codes, weights=x[:, j], minlength=len(cnt))
        return out / cnt[:, None]

    balanced = len(mat) == n_u * n_t and np.all(cnt_u == n_t)
    if balanced:
        return mat - means(unit, cnt_u, mat)[unit] - means(time, cnt_t, mat)[time] + mat.mean(0)
    x = mat.copy()
    scale = max(1.0, float(np.abs(mat).max(initial=0.0)))
    for _ in range(max_iter):
        x -= means(unit, cnt_u, x)[unit]
        step = means(time, cnt_t, x)
        x -= step[time]
        if np.abs(step).max(initial=0.0) < tol * scale:
            return x
    import warnings

    warnings.warn("fixed-effect demeaning did not converge", ConvergenceWarning, stacklevel=3)
    return x


def ols_cluster(y: np.ndarray, x: np.ndarray, cluster: np.ndarray, *, k_absorbed: int = 0):
    """OLS with CR1 covariance; returns ``(beta, vcov, resid, n_clusters)``."""
    n, k = x.shape
    xtx = x.T @ x
    if np.linalg.matrix_rank(xtx) < k:
        msg = "the regressors are collinear after absorbing the fixed effects"
        raise ModelError(msg)
    bread = np.linalg.inv(xtx)
    beta = bread @ (x.T @ y)
    resid = y - x @ beta
    codes, g = _codes(cluster)
    scores = np.zeros((g, k))
    np.add.at(scores, codes, x * resid[:, None])
    meat = scores.T @ scores
    k_total = k + k_absorbed
    factor = g / (g - 1) * (n - 1) / (n - k_total) if g > 1 and n > k_total else np.nan
    return beta, factor * bread @ meat @ bread, resid, g


def _result(method, terms, beta, vcov, n, g, alp, notes=(), event_time=None, df=None):
    return ModelResult(
        method=method, terms=tuple(terms), estimate=beta, std_error=np.sqrt(np.diag(vcov)),
        df_resid=float(g - 1) if df is None else float(df), n_obs=n, n_clusters=g, alp=alp,
        vcov=vcov, event_time=event_time, notes=tuple(notes),
    )


_INFERENCE = ("cluster", "area_year")


def _fit(y, x, unit, time, cl, inference, k_absorbed):
    """Coefficients and their variance: cluster-robust (CR1) or by area-year cells.

    Returns ``(beta, vcov, n_groups, df, note)``; ``n_groups`` the clusters or
    the cells, ``df`` the t distribution's degrees of freedom.
    """
    from cohort.did._area_year import area_year_vcov

    check_literal("inference", inference, _INFERENCE)
    ymat, xmat = y
    beta, vcov, _, g = ols_cluster(ymat, xmat, cl, k_absorbed=k_absorbed)
    if inference == "cluster":
        return beta, vcov, g, g - 1, None
    vcov, df, info = area_year_vcov(x[0], x[1], unit, time)
    note = (f"SEs from {info['cells']:.0f} area-period cells (area-period shock sd "
            f"{info['sd_area_year']:.4g}, estimated; t with {df:.0f} df)")
    return beta, vcov, int(info["cells"]), df, note


def _frame(data, cols, names):
    check_columns(data, names)
    df = data[cols].dropna()
    if len(df) == 0:
        msg = "no complete rows in the columns used"
        raise DataError(msg)
    return df


def twfe(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treatname: str,
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    alp: float = 0.05,
    inference: str = "cluster",
) -> ModelResult:
    """Two-way fixed-effects regression ``y_it = a_i + l_t + b D_it + x_it'c + e_it``.

    ``treatname`` is the 0/1 treatment indicator (on for treated periods).
    SEs are clustered by ``cluster`` (default: the unit); with
    ``inference="area_year"`` they come from the unit-period cells instead
    (individuals sharing a cell share its shock; see
    :mod:`cohort.did._area_year`), for individual-level data whose regressors
    are constant within a cell. With staggered
    adoption and heterogeneous effects ``b`` is a weighted average with
    possibly negative weights (Goodman-Bacon 2021); prefer :func:`att_gt`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cohort.did import twfe
    >>> d = pd.DataFrame({"i": [1, 1, 2, 2, 3, 3], "t": [1, 2] * 3,
    ...                   "d": [0, 1, 0, 0, 0, 0], "y": [1., 4., 2., 3., 0., 1.2]})
    >>> round(float(twfe(d, yname="y", idname="i", tname="t", treatname="d").estimate[0]), 6)
    1.9

    """
    covs = list(covariates or [])
    cl = cluster or idname
    cols = list(dict.fromkeys([yname, idname, tname, treatname, cl, *covs]))
    df = _frame(data, cols, {"yname": yname, "idname": idname, "tname": tname,
                             "treatname": treatname, "cluster": cl,
                             **{f"covariates[{i}]": c for i, c in enumerate(covs)}})
    unit, n_u = _codes(df[idname])
    time, n_t = _codes(df[tname])
    terms = [treatname, *covs]
    raw = np.column_stack([df[yname], df[terms]]).astype(float)
    mat = demean_two_way(raw, unit, time)
    beta, vcov, g, dof, note = _fit((mat[:, 0], mat[:, 1:]), (raw[:, 0], raw[:, 1:]), unit,
                                    time, df[cl].to_numpy(), inference, n_u + n_t - 1)
    return _result("Two-way fixed effects", terms, beta, vcov, len(df), g, alp,
                   notes=(f"absorbed {n_u} unit and {n_t} period fixed effects; "
                          + (note or f"SEs clustered by {cl}"),), df=dof)


def event_study(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    gname: str,
    leads: int | None = None,
    lags: int | None = None,
    reference: int = -1,
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    alp: float = 0.05,
    inference: str = "cluster",
) -> ModelResult:
    """Dynamic TWFE regression on event-time indicators ``1{t - g = e}``.

    ``inference`` as in :func:`twfe` (``"area_year"``: SEs from the unit-period
    cells; the event-time dummies are constant within a cell when ``gname``
    is constant within a unit).

    ``gname`` is the first treated period (0 or missing: never treated, no
    indicator). Event times from ``-leads`` to ``lags`` get their own
    coefficient and the end points are binned (``e <= -leads``, ``e >=
    lags``); without ``leads``/``lags`` every observed event time is used.
    ``reference`` is omitted. Under staggered adoption with heterogeneous
    effects these coefficients mix periods (Sun & Abraham 2021); prefer
    :func:`aggte` with ``type="dynamic"`` for estimation and keep this for
    comparison.
    """
    covs = list(covariates or [])
    cl = cluster or idname
    cols = list(dict.fromkeys([yname, idname, tname, gname, cl, *covs]))
    check_columns(data, {"gname": gname})
    df = data[cols].copy()
    df[gname] = df[gname].fillna(0)
    df = _frame(df, cols, {"yname": yname, "idname": idname, "tname": tname,
                           "cluster": cl, **{f"covariates[{i}]": c for i, c in enumerate(covs)}})
    g = df[gname].to_numpy(dtype=float)
    ever = g > 0
    e = np.where(ever, df[tname].to_numpy(dtype=float) - g, np.nan)
    lo = -leads if leads is not None else np.nanmin(e)
    hi = lags if lags is not None else np.nanmax(e)
    if not lo <= reference <= hi:
        msg = f"reference={reference} lies outside the event window [{lo:g}, {hi:g}]"
        raise ParameterError(msg)
    e_b = np.clip(e, lo, hi)
    grid = [v for v in np.arange(lo, hi + 1) if v != reference]
    dummies = np.column_stack([(e_b == v).astype(float) for v in grid])
    keep = dummies.any(axis=0)
    grid = [v for v, k in zip(grid, keep, strict=True) if k]
    dummies = dummies[:, keep]
    names = [f"e={v:g}" for v in grid]
    if leads is not None:
        names = [f"e<={v:g}" if v == lo else n for v, n in zip(grid, names, strict=True)]
    if lags is not None:
        names = [f"e>={v:g}" if v == hi else n for v, n in zip(grid, names, strict=True)]
    unit, n_u = _codes(df[idname])
    time, n_t = _codes(df[tname])
    x = np.column_stack([dummies, df[covs].to_numpy(dtype=float)]) if covs else dummies
    yv = df[yname].to_numpy(dtype=float)
    mat = demean_two_way(np.column_stack([yv, x]), unit, time)
    beta, vcov, ncl, dof, note = _fit((mat[:, 0], mat[:, 1:]), (yv, x), unit, time,
                                      df[cl].to_numpy(), inference, n_u + n_t - 1)
    k = len(grid)
    notes = [f"reference event time {reference} omitted; " + (note or f"SEs clustered by {cl}")]
    if not (~ever).any():
        notes.append("no never-treated units: identification rests on timing alone")
    res = _result("Event-study regression", names + covs, beta, vcov, len(df), ncl, alp,
                  notes=notes, event_time=np.r_[np.asarray(grid, dtype=float),
                                                np.full(len(covs), np.nan)], df=dof)
    if covs:  # keep only the event-time coefficients in the result
        res = _result("Event-study regression", names, beta[:k], vcov[:k, :k], len(df), ncl,
                      alp, notes=notes, event_time=np.asarray(grid, dtype=float), df=dof)
    return res


def did_2x2(
    data: pd.DataFrame,
    *,
    yname: str,
    treatname: str,
    postname: str,
    cluster: str | None = None,
    alp: float = 0.05,
) -> ModelResult:
    """Canonical 2x2 DiD: ``y = a + b T + c P + d T*P + e``; returns all four terms.

    ``d`` (term ``"treat:post"``) is the DiD estimate: the difference of the
    treated and comparison groups' before-after changes in means. SEs are
    heteroskedasticity-robust (HC1) or clustered by ``cluster`` (CR1).
    """
    cols = [c for c in dict.fromkeys([yname, treatname, postname, cluster]) if c is not None]
    df = _frame(data, cols, {"yname": yname, "treatname": treatname, "postname": postname,
                             "cluster": cluster})
    tr = df[treatname].to_numpy(dtype=float)
    po = df[postname].to_numpy(dtype=float)
    for name, v in ((treatname, tr), (postname, po)):
        if not np.isin(v, (0.0, 1.0)).all():
            msg = f"column {name!r} must be 0/1"
            raise DataError(msg)
    x = np.column_stack([np.ones(len(df)), tr, po, tr * po])
    cl = df[cluster].to_numpy() if cluster is not None else np.arange(len(df))
    beta, vcov, _, g = ols_cluster(df[yname].to_numpy(dtype=float), x, cl)
    terms = ["(Intercept)", "treat", "post", "treat:post"]
    if cluster is None:  # HC1, t with n - 4 df
        return ModelResult(
            method="Canonical 2x2 DiD", terms=tuple(terms), estimate=beta,
            std_error=np.sqrt(np.diag(vcov)), df_resid=float(len(df) - 4), n_obs=len(df),
            n_clusters=None, alp=alp, vcov=vcov, notes=("HC1 robust SEs",),
        )
    return _result("Canonical 2x2 DiD", terms, beta, vcov, len(df), g, alp,
                   notes=(f"SEs clustered by {cluster}",))
