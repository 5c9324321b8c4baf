"""Group-time average treatment effects (Callaway & Sant'Anna 2021).

The algorithm mirrors R's ``did::att_gt`` (version 2.5) for panel data:

* units first treated in the first period (+ anticipation) are dropped; a
  group value of 0, or after the last period (+ anticipation), means never
  treated;
* for each treated group ``g`` and period ``t`` one 2x2 DiD compares the
  change from a base period to ``t`` of group ``g`` with the comparison
  group: the never treated, or those not yet treated by the later of the two
  periods (+ anticipation);
* the base period is ``g - 1 - anticipation`` for post-treatment cells; for
  pre-treatment cells it is ``t - 1`` ("varying") or also ``g - 1 -
  anticipation`` ("universal", where the ``t = g - 1`` cell is 0 by
  construction);
* each cell's influence function is scaled by ``n / n_cell`` and stored in an
  ``n x K`` matrix, from which SEs, the Wald pre-test, the multiplier
  bootstrap and :func:`~cohort.did.aggte` are computed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from cohort._params import check_int_range, check_literal
from cohort.did._att_gt_rc import rc_cells, restrict_no_never, to_long
from cohort.did._bootstrap import cluster_sums, multiplier_bootstrap
from cohort.did._drdid import ESTIMATORS, EstimationFailed, logit
from cohort.did._prep import WidePanel, to_wide_panel
from cohort.did.results import AttGtResult
from cohort.exceptions import CohortWarning, DataError, ParameterError

__all__ = ["att_gt"]

_TINY = np.sqrt(np.finfo(float).eps) * 10


def att_gt(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    covariates: Sequence[str] | None = None,
    xformla: str | None = None,
    control_group: str = "nevertreated",
    anticipation: int = 0,
    base_period: str = "varying",
    est_method: str = "dr",
    weightsname: str | None = None,
    panel: bool = True,
    allow_unbalanced_panel: bool = False,
    clustervars: str | Sequence[str] | None = None,
    bstrap: bool = False,
    biters: int = 999,
    alp: float = 0.05,
    cband: bool = False,
    seed: int | np.random.Generator | None = 0,
) -> AttGtResult:
    """Estimate every ATT(g, t) with analytic or multiplier-bootstrap inference.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period.
    yname, tname, idname, gname : str
        Outcome, period, unit id and first-treated period (0 for never
        treated) columns. Periods are numbers (years).
    covariates : sequence of str, optional
        Numeric columns conditioned on (an intercept is added); taken from the
        earlier of the two periods of a cell.
    xformla : str, optional
        Alternatively a formula right-hand side such as ``"~ lpop"`` (patsy).
    control_group : {"nevertreated", "notyettreated"}
        Comparison group.
    anticipation : int
        Periods of anticipation (>= 0).
    base_period : {"varying", "universal"}
        Base period of the pre-treatment cells.
    est_method : {"dr", "ipw", "reg"}
        Doubly robust, inverse probability weighting or outcome regression.
    weightsname : str, optional
        Time-invariant sampling weights.
    panel : bool
        ``False`` for repeated cross-sections: every row is its own unit and
        ``idname`` is ignored.
    allow_unbalanced_panel : bool
        With ``False`` (default) units missing in some period are dropped with
        a warning (as R does); with ``True`` an unbalanced panel is estimated
        with the repeated cross-section estimators, influence functions summed
        by unit (a balanced panel still uses the panel estimators).
    clustervars : str or sequence of str, optional
        One time-invariant cluster column (beyond the unit id).
    bstrap : bool
        Multiplier bootstrap SEs (Mammen weights) instead of analytic ones.
    biters : int
        Bootstrap draws.
    alp : float
        Significance level.
    cband : bool
        Simultaneous confidence band (needs ``bstrap=True``).
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap.

    Returns
    -------
    AttGtResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cohort.did import att_gt
    >>> d = pd.DataFrame({"id": np.repeat([1, 2, 3, 4], 2), "t": [1, 2] * 4,
    ...                   "g": np.repeat([2, 2, 0, 0], 2),
    ...                   "y": [0., 3., 1., 3., 0., 1., 2., 2.]})
    >>> float(att_gt(d, yname="y", tname="t", idname="id", gname="g").att[0])
    2.0

    """
    check_literal("control_group", control_group, ("nevertreated", "notyettreated"))
    check_literal("base_period", base_period, ("varying", "universal"))
    check_literal("est_method", est_method, ("dr", "ipw", "reg"))
    check_int_range("anticipation", anticipation, low=0)
    check_int_range("biters", biters, low=1)
    if not (0 < alp < 1):
        msg = f"alp must lie in (0, 1); got {alp!r}"
        raise ParameterError(msg)
    if cband and not bstrap:
        msg = "cband=True needs bstrap=True (the simultaneous band comes from the bootstrap)"
        raise ParameterError(msg)
    if panel and idname is None:
        msg = "idname is needed for panel data; set panel=False for repeated cross-sections"
        raise ParameterError(msg)
    clustervar = _one_cluster(clustervars, idname)

    common = {"yname": yname, "tname": tname, "gname": gname, "covariates": covariates,
              "xformla": xformla, "weightsname": weightsname, "clustervar": clustervar,
              "anticipation": anticipation}
    cells = {"control_group": control_group, "anticipation": anticipation,
             "base_period": base_period, "est_method": est_method}
    ld = None
    if not panel or allow_unbalanced_panel:
        ld = to_long(data, idname=idname if panel else None, **common)
        if panel and np.all(np.bincount(ld.unit) == len(ld.times)):
            ld = None  # balanced after all: the panel estimator, as R does
    if ld is None:
        wp = to_wide_panel(data, idname=idname, **common)
        wp, glist, notes = _comparison_setup(wp, control_group, anticipation)
        group, time, att, inf, post = _all_cells(wp, glist, **cells)
        units = {"unit_group": wp.g, "unit_weight": wp.w, "cluster": wp.cluster,
                 "times": wp.times, "covariate_names": wp.x_names, "unit_ids": wp.ids}
    else:
        ld, glist, notes = restrict_no_never(ld, control_group, anticipation)
        group, time, att, inf, post = rc_cells(ld, glist, **cells)
        units = {"unit_group": ld.unit_g, "unit_weight": ld.unit_w, "cluster": ld.cluster,
                 "times": ld.times, "covariate_names": ld.x_names, "unit_ids": ld.unit_ids}
        notes.append("repeated cross-sections" if not panel
                     else "unbalanced panel: repeated cross-section estimator, clustered by unit")
    n = inf.shape[0]
    cluster = units["cluster"]
    se = _analytic_se(inf, cluster)
    wald, wald_p, wald_df = _wald_pretest(att, se, inf, cluster, group, time)
    crit = float(norm.ppf(1 - alp / 2))
    if bstrap:
        rng = np.random.default_rng(seed)
        boot = multiplier_bootstrap(inf, biters=biters, rng=rng, alp=alp, cluster=cluster)
        keep_na = np.isnan(se)
        se = np.where(keep_na, np.nan, boot.std_error)
        if cband:
            crit = boot.crit_val
            if crit >= 7:
                warnings.warn(
                    "the simultaneous critical value is 7 or more; the band may be unreliable",
                    CohortWarning, stacklevel=2,
                )
    se = np.where(se <= _TINY, np.nan, se)
    return AttGtResult(
        group=group, time=time, att=att, std_error=se, post=post, crit_val=crit,
        alp=alp, cband=cband, bstrap=bstrap, biters=biters, influence=inf, n_units=n,
        wald_stat=wald, wald_pvalue=wald_p, wald_df=wald_df,
        control_group=control_group, est_method=est_method, base_period=base_period,
        anticipation=anticipation, groups=glist, seed=seed, notes=tuple(notes), panel=panel,
        **units,
    )


def _one_cluster(clustervars, idname: str) -> str | None:
    if clustervars is None:
        return None
    cv = [clustervars] if isinstance(clustervars, str) else list(clustervars)
    cv = [c for c in cv if c not in (idname, "")]
    if len(cv) > 1:
        msg = f"at most one cluster variable beyond idname is supported; got {len(cv)}"
        raise ParameterError(msg)
    return cv[0] if cv else None


def _comparison_setup(wp: WidePanel, control_group: str, anticipation: int):
    """Treated groups; if nobody is never treated, R's rule for the last cohort."""
    notes: list[str] = []
    times = wp.times
    if not np.isinf(wp.g).any():
        latest = float(np.max(wp.g))
        cutoff = latest - anticipation
        keep_t = times < cutoff
        if keep_t.sum() < 2:
            msg = "no never-treated units and too few periods before the last cohort is treated"
            raise DataError(msg)
        g = wp.g.copy()
        if control_group == "nevertreated":
            g[g == latest] = np.inf
            warnings.warn(
                "no never-treated units: the last cohort serves as never treated and periods "
                "from its treatment on are dropped",
                CohortWarning, stacklevel=3,
            )
            notes.append("last-treated cohort used as the never-treated comparison group")
        x = None if wp.x is None else wp.x[keep_t]
        wp = WidePanel(
            ids=wp.ids, times=times[keep_t], y=wp.y[:, keep_t], g=g, w=wp.w, x=x,
            x_names=wp.x_names, cluster=wp.cluster,
            n_dropped_unbalanced=wp.n_dropped_unbalanced, n_dropped_first=wp.n_dropped_first,
            n_dropped_missing=wp.n_dropped_missing,
        )
        glist = np.unique(g[np.isfinite(g)])
        glist = glist[glist < latest]
    else:
        glist = np.unique(wp.g[np.isfinite(wp.g)])
    glist = glist[glist > wp.times[0] + anticipation]
    if len(glist) == 0:
        msg = "no treated groups: gname should hold the first treated period (0 if never treated)"
        raise DataError(msg)
    if wp.n_dropped_unbalanced:
        notes.append(f"{wp.n_dropped_unbalanced} units dropped to balance the panel")
    if wp.n_dropped_first:
        notes.append(f"{wp.n_dropped_first} units dropped: treated in the first period")
    return wp, glist, notes


def _all_cells(wp: WidePanel, glist, *, control_group, anticipation, base_period, est_method):
    times, y, gu, w = wp.times, wp.y, wp.g, wp.w
    n, n_t = y.shape
    est = ESTIMATORS[est_method]
    tfac = 1 if base_period == "varying" else 0
    never = np.isinf(gu)
    n_cells = len(glist) * (n_t - tfac)
    inf_mat = np.zeros((n, n_cells), order="F")  # columns contiguous
    # With never-treated comparisons and time-invariant covariates every cell of
    # a group has the same units and covariates: fit its propensity score once.
    reuse_ps = (control_group == "nevertreated" and est_method in ("dr", "ipw")
                and wp.x is not None and all(np.array_equal(xt, wp.x[0]) for xt in wp.x))
    groups, tt, atts, posts = [], [], [], []
    for g in glist:
        idx_g = np.flatnonzero(times + anticipation < g)
        pret_g = int(idx_g[-1])
        is_g = gu == g
        ps_g = None
        for t in range(n_t - tfac):
            cur = t + tfac
            is_post = g <= times[cur]
            pret = pret_g if (base_period == "universal" or is_post) else t
            groups.append(g)
            tt.append(times[cur])
            posts.append(bool(is_post))
            col = inf_mat[:, len(atts)]
            if base_period == "universal" and pret == cur:
                atts.append(0.0)
                continue
            if control_group == "nevertreated":
                is_c = never
            else:
                cutoff = times[max(t, pret) + tfac] + anticipation
                is_c = never | ((gu > cutoff) & ~is_g)
            kept = np.flatnonzero(is_g | is_c)
            d = is_g[kept].astype(float)
            dy = y[kept, cur] - y[kept, pret]
            early = min(cur, pret)
            x = None if wp.x is None else wp.x[early][kept]
            try:
                if reuse_ps and ps_g is None:
                    ps_g = logit(x, d, w[kept] / w[kept].mean())
                att, inf = _estimate_cell(est, dy, d, x, w[kept], ps_g)
            except EstimationFailed as err:
                warnings.warn(
                    f"ATT({g:g}, {times[cur]:g}) not estimated: {err}", CohortWarning, stacklevel=3
                )
                col[:] = np.nan
                atts.append(np.nan)
                continue
            col[kept] = (n / len(kept)) * inf
            atts.append(att)
    return (np.array(groups), np.array(tt), np.array(atts), inf_mat, np.array(posts))


def _estimate_cell(est, dy, d, x, w, ps=None):
    if d.sum() == 0 or d.sum() == len(d):
        msg = "no treated or no comparison units"
        raise EstimationFailed(msg)
    return est(dy, d, x, w) if ps is None else est(dy, d, x, w, ps=ps)


def _analytic_se(inf: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """``sqrt(sum_i psi_i^2) / n``, or over cluster sums (R's cluster_analytic)."""
    n = inf.shape[0]
    s = inf if cluster is None else cluster_sums(inf, cluster)
    return np.sqrt(np.einsum("ij,ij->j", s, s)) / n


def _wald_pretest(att, se, inf, cluster, group, time):
    """Wald test that all pre-treatment ATT(g,t) are zero (R's W, Wpval)."""
    pre = np.flatnonzero((group > time) & np.isfinite(se))
    if len(pre) == 0:
        return None, None, None
    n = inf.shape[0]
    s = inf[:, pre] if cluster is None else cluster_sums(inf[:, pre], cluster)
    v = np.einsum("ij,ik->jk", s, s) / n  # no BLAS: see _drdid
    if 1 / np.linalg.cond(v) <= np.finfo(float).eps:
        return None, None, None
    a = att[pre]
    stat = float(n * a @ np.linalg.solve(v, a))
    return stat, float(chi2.sf(stat, len(pre))), len(pre)
