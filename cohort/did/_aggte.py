"""Aggregations of ATT(g,t) (Callaway & Sant'Anna 2021, sec. 3) as in R's ``did::aggte``.

Every aggregate is ``theta = sum_k w_k ATT_k`` over a selection of cells with
weights ``w_k = P(G = g_k) / sum P(G = g_j)``. Its influence function is the
weighted sum of the cells' influence functions plus, where the weights are
estimated group shares, the influence of the estimated weights ("wif")::

    wif_i = sum_k ATT_k [ (c_ik) / S - p_k sum_j c_ij / S^2 ],
    c_ik = w_i 1{G_i = g_k} - p_k,   S = sum_k p_k.

Types: ``simple`` (post-treatment cells weighted by group size), ``group``
(mean over a group's post-treatment periods, then groups weighted by size),
``dynamic`` (by event time e = t - g; overall is the mean over e >= 0) and
``calendar`` (by period; overall is the mean over periods).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from cohort._params import check_literal
from cohort.did._bootstrap import multiplier_bootstrap
from cohort.did.results import AggteResult, AttGtResult
from cohort.exceptions import CohortWarning, ParameterError

__all__ = ["aggte"]

_TINY = np.sqrt(np.finfo(float).eps) * 10


def aggte(
    result: AttGtResult,
    *,
    type: str = "group",  # noqa: A002 - R's name, kept for familiarity
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    na_rm: bool = False,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alp: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> AggteResult:
    """Aggregate ATT(g,t) into simple, group, event-time or calendar effects.

    Options left at ``None`` are inherited from ``result``. With ``bstrap``
    the SEs and (if ``cband``) the simultaneous critical value come from one
    multiplier bootstrap of all elements jointly.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from cohort.did import att_gt, aggte
    >>> d = pd.DataFrame({"id": np.repeat([1, 2, 3, 4], 2), "t": [1, 2] * 4,
    ...                   "g": np.repeat([2, 2, 0, 0], 2),
    ...                   "y": [0., 3., 1., 3., 0., 1., 2., 2.]})
    >>> r = att_gt(d, yname="y", tname="t", idname="id", gname="g")
    >>> float(aggte(r, type="simple").overall_att)
    2.0

    """
    check_literal("type", type, ("simple", "group", "dynamic", "calendar"))
    if not isinstance(result, AttGtResult):
        msg = f"result must be an AttGtResult from att_gt(); got {result.__class__.__name__}"
        raise ParameterError(msg)
    bstrap = result.bstrap if bstrap is None else bstrap
    cband = result.cband if cband is None else cband
    biters = result.biters if biters is None else biters
    alp = result.alp if alp is None else alp
    seed = result.seed if seed is None else seed
    if cband and not bstrap:
        msg = "cband=True needs bstrap=True (the simultaneous band comes from the bootstrap)"
        raise ParameterError(msg)

    group, time, att, inf = result.group, result.time, result.att, result.influence
    if na_rm:
        ok = np.isfinite(att)
        group, time, att, inf = group[ok], time[ok], att[ok], inf[:, ok]
    elif np.isnan(att).any():
        msg = "some ATT(g,t) are missing; set na_rm=True to aggregate the others"
        raise ParameterError(msg)

    glist = np.unique(group)
    g_unit = result.unit_group
    w_unit = result.unit_weight
    # unit-level group index into glist (-1 for never treated / not a group)
    pos = np.searchsorted(glist, g_unit)
    pos = np.where((pos < len(glist)) & (glist[np.minimum(pos, len(glist) - 1)] == g_unit), pos, -1)
    pgg = np.array([np.mean(w_unit * (g_unit == g)) for g in glist])
    gidx = np.searchsorted(glist, group)
    pg = pgg[gidx]
    agg = _Agg(inf=inf, att=att, pg=pg, gidx=gidx, pos=pos, w_unit=w_unit)

    z = float(norm.ppf(1 - alp / 2))
    notes: list[str] = []
    if type == "simple":
        keep = np.flatnonzero((group <= time) & (time <= group + max_e))
        est, psi = agg.combine(keep, with_wif=True)
        if bstrap:
            se = _boot_se(psi[:, None], result, biters, seed, alp)[0][0]
        else:
            se = _se(psi, result.cluster)
        return AggteResult(
            type=type, overall_att=est, overall_se=_na(se), egt=None, att_egt=None,
            se_egt=None, crit_val_egt=z, alp=alp, cband=False, bstrap=bstrap,
            influence_overall=psi, influence_egt=None, max_e=max_e,
        )

    if type == "group":
        elems = glist
        sels = [np.flatnonzero((group == g) & (g <= time) & (time <= group + max_e)) for g in glist]
        pieces = [agg.combine(s, with_wif=False) for s in sels]
    elif type == "dynamic":
        e_all = time - group
        incl = np.ones(len(att), dtype=bool)
        eseq = np.unique(e_all)
        if balance_e is not None:
            t_first = min(result.times.min(), glist.min())
            incl = (time.max() - group) >= balance_e
            eseq = np.unique(e_all[incl])
            eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - time.max() + t_first)]
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        if len(eseq) == 0:
            msg = "no event times fall within min_e, max_e (and balance_e)"
            raise ParameterError(msg)
        elems = eseq
        sels = [np.flatnonzero((e_all == e) & incl) for e in eseq]
        pieces = [agg.combine(s, with_wif=True) for s in sels]
    else:  # calendar
        if np.isfinite(min_e) or np.isfinite(max_e) or balance_e is not None:
            notes.append("min_e, max_e and balance_e are ignored for calendar aggregation")
        tl = np.unique(time)
        tl = tl[tl >= group.min()]
        tl = np.array([t1 for t1 in tl if np.any((time == t1) & (group <= time))])
        elems = tl
        sels = [np.flatnonzero((time == t1) & (group <= time)) for t1 in tl]
        pieces = [agg.combine(s, with_wif=True) for s in sels]

    att_e = np.array([p[0] for p in pieces])
    inf_e = np.column_stack([p[1] for p in pieces])

    if type == "group":
        keep_g = np.isfinite(att_e)
        sub = _Agg(inf=inf_e, att=att_e, pg=pgg, gidx=np.arange(len(glist)), pos=pos,
                   w_unit=w_unit)
        overall, psi = sub.combine(np.flatnonzero(keep_g), with_wif=True)
    elif type == "dynamic":
        epos = np.flatnonzero(elems >= 0)
        if len(epos) == 0:
            overall, psi = np.nan, np.full(inf.shape[0], np.nan)
        else:
            overall = float(np.mean(att_e[epos]))
            psi = inf_e[:, epos].mean(axis=1)
    else:
        overall = float(np.mean(att_e))
        psi = inf_e.mean(axis=1)

    crit = z
    if bstrap:
        se_all, crit_b = _boot_se(np.column_stack([inf_e, psi]), result, biters, seed, alp,
                                  band_cols=inf_e.shape[1])
        se_e, overall_se = se_all[:-1], se_all[-1]
        if cband:
            crit = crit_b
    else:
        se_e = np.array([_se(inf_e[:, j], result.cluster) for j in range(inf_e.shape[1])])
        overall_se = _se(psi, result.cluster)
    if cband:
        if not np.isfinite(crit) or crit < z:
            notes.append("simultaneous critical value unusable; pointwise intervals shown")
            crit, cband = z, False
        elif crit >= 7:
            import warnings

            warnings.warn("the simultaneous critical value is 7 or more; the band may be "
                          "unreliable", CohortWarning, stacklevel=2)
    se_e = np.where(se_e <= _TINY, np.nan, se_e)
    return AggteResult(
        type=type, overall_att=float(overall), overall_se=_na(overall_se), egt=np.asarray(elems),
        att_egt=att_e, se_egt=se_e, crit_val_egt=float(crit), alp=alp, cband=cband,
        bstrap=bstrap, influence_overall=psi, influence_egt=inf_e, min_e=min_e, max_e=max_e,
        balance_e=balance_e, notes=tuple(notes),
    )


class _Agg:
    """Weighted combinations of ATT columns with the estimated-weights term."""

    def __init__(self, *, inf, att, pg, gidx, pos, w_unit):
        self.inf, self.att, self.pg, self.gidx = inf, att, pg, gidx
        self.pos, self.w_unit = pos, w_unit

    def combine(self, keep: np.ndarray, *, with_wif: bool) -> tuple[float, np.ndarray]:
        n = self.inf.shape[0]
        if len(keep) == 0:
            return np.nan, np.full(n, np.nan)
        pgk = self.pg[keep]
        s = pgk.sum()
        wk = pgk / s
        a = self.att[keep]
        est = float(np.dot(wk, a))
        psi = np.einsum("ij,j->i", self.inf[:, keep], wk)
        if with_wif:
            psi = psi + self._wif_times_att(keep, a, s)
        return est, psi

    def _wif_times_att(self, keep, a, s) -> np.ndarray:
        """``wif(keep) @ att[keep]`` without forming the n x |keep| matrix."""
        pgk = self.pg[keep]
        gk = self.gidx[keep]
        # sum of att_k and count over kept cells sharing each group index
        size = int(max(self.gidx.max(initial=0), self.pos.max(initial=0))) + 1
        a_by_g = np.bincount(gk, weights=a, minlength=size)
        c_by_g = np.bincount(gk, minlength=size).astype(float)
        has = self.pos >= 0
        ind_a = np.zeros(self.pos.shape[0])
        ind_c = np.zeros(self.pos.shape[0])
        ind_a[has] = a_by_g[self.pos[has]]
        ind_c[has] = c_by_g[self.pos[has]]
        # centered_ik = w_i 1{G_i = g_k} - p_k
        centered_at = self.w_unit * ind_a - np.dot(pgk, a)  # sum_k c_ik a_k
        centered_sum = self.w_unit * ind_c - pgk.sum()  # sum_k c_ik
        return centered_at / s - centered_sum * np.dot(pgk, a) / s**2


def _se(psi: np.ndarray, cluster: np.ndarray | None) -> float:
    n = psi.shape[0]
    if cluster is None:
        return float(np.sqrt((psi * psi).sum()) / n)
    s = np.bincount(cluster, weights=psi)
    return float(np.sqrt((s * s).sum()) / n)


def _na(se: float) -> float:
    return float("nan") if not np.isfinite(se) or se <= _TINY else float(se)


def _boot_se(mat, result, biters, seed, alp, band_cols=None):
    rng = np.random.default_rng(seed)
    band = None
    if band_cols is not None:
        band = np.arange(mat.shape[1]) < band_cols
    boot = multiplier_bootstrap(mat, biters=biters, rng=rng, alp=alp, cluster=result.cluster,
                                band=band)
    return boot.std_error, boot.crit_val
