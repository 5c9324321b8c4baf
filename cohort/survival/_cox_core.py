"""The risk-set engine of the Cox model: partial likelihood, score, information.

Data are counting-process rows ``(entry, exit]`` with an event flag at exit, a
stratum code, a case weight and covariates. One sort at set-up; every evaluation
after that is a handful of sparse products, cumulative sums and ``bincount`` calls
over the rows, so each Newton step costs O(n p^2) with no loop over rows or times.

Notation (one *event group* = a distinct event time within a stratum):

- row *i* is at risk in the event groups ``lo[i] <= g < hi[i]``: those in its
  stratum with time in ``(entry_i, exit_i]``;
- ``S0[g]``, ``S1[g]``: sums of ``w exp(eta)`` and ``w exp(eta) x`` over the
  risk set; ``E[g]``, ``A2[g]`` the same sums over the rows that fail at ``g``;
- Efron's approximation splits a group with ``d`` tied events into ``d`` terms
  ``k = 0..d-1`` with denominators ``S0 - (k/d) E`` (Breslow: all ``k/d = 0``).

Sums over those ``k`` terms are taken once per event (the events of a group
carry the ``k``), which vectorises Efron's approximation exactly as R's
``coxph`` computes it (``coxfit6.c``, ``agfit4.c``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__: list[str] = []


def _group_sum(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Sum ``values`` (1-d or 2-d by rows) into ``size`` bins given by ``index``."""
    if values.ndim == 1:
        return np.bincount(index, weights=values, minlength=size)
    out = np.empty((size, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(index, weights=values[:, j], minlength=size)
    return out


class RiskSets:
    """Risk-set structure of counting-process data, built once per data set."""

    def __init__(
        self,
        stop: np.ndarray,
        event: np.ndarray,
        strata: np.ndarray,
        entry: np.ndarray | None = None,
    ) -> None:
        n = stop.shape[0]
        event = np.asarray(event, dtype=bool)
        # rank all distinct times (exits and entries) so a (stratum, time) pair
        # becomes one sortable integer key
        if entry is None:
            uniq, rank = np.unique(stop, return_inverse=True)
            stop_rank, entry_rank = rank, None
        else:
            uniq, rank = np.unique(np.concatenate([stop, entry]), return_inverse=True)
            stop_rank, entry_rank = rank[:n], rank[n:]
        width = np.int64(uniq.shape[0] + 1)
        base = strata.astype(np.int64) * width
        stop_key = base + stop_rank
        event_keys, first = np.unique(stop_key[event], return_index=True)
        self.n = n
        self.has_entry = entry is not None
        self.stratum = strata.astype(np.int64)
        self.n_groups = g = event_keys.shape[0]
        self.group_time = stop[event][first]
        self.group_stratum = (event_keys // width).astype(np.int64)
        self.hi = np.searchsorted(event_keys, stop_key, side="right")
        if entry_rank is None:
            self.lo = np.searchsorted(event_keys, base, side="left")
        else:
            self.lo = np.searchsorted(event_keys, base + entry_rank, side="right")
        self.lo = np.minimum(self.lo, self.hi)
        self.event = event
        self.event_rows = np.flatnonzero(event)
        # the events, ordered by group; k = position within the group
        gd = self.hi[self.event_rows] - 1
        order = np.argsort(gd, kind="stable")
        self.event_rows = self.event_rows[order]
        self.event_group = gd[order]
        self.n_tied = np.bincount(self.event_group, minlength=g).astype(float)
        starts = np.concatenate([[0], np.cumsum(self.n_tied)[:-1]]).astype(np.int64)
        self.event_k = np.arange(self.event_rows.shape[0]) - starts[self.event_group]
        # +1 at hi (row active for groups below hi), -1 at lo (inactive below lo):
        # reverse exclusive cumulative sums of M @ v give risk-set sums
        data = np.concatenate([np.ones(n), -np.ones(n)])
        rows = np.concatenate([self.hi, self.lo])
        cols = np.concatenate([np.arange(n), np.arange(n)])
        self._m = sp.csr_matrix((data, (rows, cols)), shape=(g + 1, n))
        self._event_cache: tuple | None = None
        self.pooled: np.ndarray | None = None
        self.mult: np.ndarray | None = None

    def set_pool(self, pooled: np.ndarray, mult: np.ndarray) -> None:
        """Mark rows whose weight at event group ``g`` is multiplied by ``mult[g]``.

        Used by the Fine-Gray model: subjects with a competing event stay in
        the risk set with weight ``G(t-) / G(T-)``; ``mult`` is ``G(t-)`` and
        the row's own weight carries ``1 / G(T-)``.
        """
        self.pooled = np.asarray(pooled, dtype=bool)
        self.mult = np.asarray(mult, dtype=float)
        keep = sp.diags((~self.pooled).astype(float))
        pool = sp.diags(self.pooled.astype(float))
        self._m_pool = (self._m @ pool).tocsr()
        self._m = (self._m @ keep).tocsr()

    @staticmethod
    def _reverse_exclusive(net: np.ndarray) -> np.ndarray:
        return np.cumsum(net[::-1], axis=0)[::-1][1:]

    def event_sums(
        self, x: np.ndarray, w: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Covariates and weights of the events and their sums per group.

        They do not depend on beta, so they are computed once per (x, w).
        """
        cache = self._event_cache
        if cache is None or cache[0][0] is not x or cache[0][1] is not w:
            ev, eg, g = self.event_rows, self.event_group, self.n_groups
            x_ev, w_ev = x[ev], w[ev]
            wsum = np.bincount(eg, weights=w_ev, minlength=g)
            wx = _group_sum(eg, w_ev[:, None] * x_ev, g)
            # holding x and w keeps their identity unique while cached
            self._event_cache = ((x, w), (x_ev, w_ev, wsum, wx))
        return self._event_cache[1]

    def at_risk_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (length n, or n x k) over the risk set of every group."""
        out = self._reverse_exclusive(self._m @ values)
        if self.pooled is not None:
            pool = self._reverse_exclusive(self._m_pool @ values)
            out = out + (pool * self.mult if pool.ndim == 1 else pool * self.mult[:, None])
        return out

    def over_interval(self, per_group: np.ndarray) -> np.ndarray:
        """For every row, the sum of ``per_group`` over the groups it is at risk in."""
        out = self._interval_sum(per_group)
        if self.pooled is not None:
            m = self.mult if per_group.ndim == 1 else self.mult[:, None]
            pooled = self._interval_sum(per_group * m)
            mask = self.pooled if per_group.ndim == 1 else self.pooled[:, None]
            out = np.where(mask, pooled, out)
        return out

    def _interval_sum(self, per_group: np.ndarray) -> np.ndarray:
        if per_group.ndim == 1:
            cum = np.concatenate([[0.0], np.cumsum(per_group)])
        else:
            cum = np.vstack([np.zeros((1, per_group.shape[1])), np.cumsum(per_group, axis=0)])
        return cum[self.hi] - cum[self.lo]


@dataclass(frozen=True)
class Evaluation:
    """Partial likelihood and its derivatives at one ``beta``.

    Also the pieces per event group that residuals and the PH test reuse.
    """

    loglik: float
    score: np.ndarray
    info: np.ndarray | None
    risk: np.ndarray  # exp(eta - shift), unweighted; the shift cancels in all uses
    s1: np.ndarray  # S1 per group
    a2: np.ndarray  # A2 per group
    meanwt: np.ndarray  # mean case weight of the group's events
    sum1: np.ndarray  # sum_k 1/den
    sum2: np.ndarray  # sum_k (k/d)/den
    q0: np.ndarray  # sum_k 1/den^2
    q1: np.ndarray  # sum_k (k/d)/den^2
    q2: np.ndarray  # sum_k (k/d)^2/den^2
    group_score: np.ndarray  # score contribution of each group (G x p)


def evaluate(
    rs: RiskSets,
    x: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
    *,
    efron: bool,
    with_info: bool = True,
) -> Evaluation:
    """Log partial likelihood, score and information at ``beta``.

    Far from the optimum (a diverging fit) risk sets can underflow; the
    result is then non-finite and the caller halves its step.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        return _evaluate(rs, x, w, beta, efron=efron, with_info=with_info)


def _evaluate(
    rs: RiskSets,
    x: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
    *,
    efron: bool,
    with_info: bool,
) -> Evaluation:
    eta = x @ beta
    # exp(eta - shift) cannot overflow; every ratio below is invariant to the
    # shift and the log likelihood adds it back
    shift = float(eta.max()) if eta.size else 0.0
    risk = np.exp(eta - shift)
    r = w * risk
    g = rs.n_groups
    ev, eg = rs.event_rows, rs.event_group
    s0 = rs.at_risk_sum(r)
    s1 = rs.at_risk_sum(r[:, None] * x)
    r_ev = r[ev]
    x_ev, w_ev, wsum, wx_events = rs.event_sums(x, w)
    e_sum = np.bincount(eg, weights=r_ev, minlength=g)
    a2 = _group_sum(eg, r_ev[:, None] * x_ev, g)
    meanwt = wsum / rs.n_tied
    tk = rs.event_k / rs.n_tied[eg] if efron else np.zeros(ev.shape[0])
    den = s0[eg] - tk * e_sum[eg]
    inv = 1.0 / den
    sum1 = np.bincount(eg, weights=inv, minlength=g)
    sum2 = np.bincount(eg, weights=tk * inv, minlength=g)
    logden = np.bincount(eg, weights=np.log(den), minlength=g)
    loglik = float(np.dot(w_ev, eta[ev]) - np.dot(meanwt, logden) - shift * wsum.sum())
    group_score = wx_events - meanwt[:, None] * (s1 * sum1[:, None] - a2 * sum2[:, None])
    score = group_score.sum(axis=0)
    inv2 = inv * inv
    q0 = np.bincount(eg, weights=inv2, minlength=g)
    q1 = np.bincount(eg, weights=tk * inv2, minlength=g)
    q2 = np.bincount(eg, weights=tk * tk * inv2, minlength=g)
    ev_ = Evaluation(
        loglik=loglik,
        score=score,
        info=None,
        risk=risk,
        s1=s1,
        a2=a2,
        meanwt=meanwt,
        sum1=sum1,
        sum2=sum2,
        q0=q0,
        q1=q1,
        q2=q2,
        group_score=group_score,
    )
    if not with_info:
        return ev_
    info = information(rs, x, w, ev_, np.ones(g))
    return Evaluation(**{**ev_.__dict__, "info": info})


def information(
    rs: RiskSets, x: np.ndarray, w: np.ndarray, e: Evaluation, gamma: np.ndarray
) -> np.ndarray:
    """Information matrix with event group ``g`` weighted by ``gamma[g]``.

    ``gamma = 1`` gives the usual information; the PH test uses ``g(t)`` and
    ``g(t)^2``.
    """
    mw = gamma * e.meanwt
    r = w * e.risk
    ev, eg = rs.event_rows, rs.event_group
    v = r * rs.over_interval(mw * e.sum1)
    v[ev] -= r[ev] * (mw * e.sum2)[eg]
    info = (x * v[:, None]).T @ x
    s1, a2 = e.s1, e.a2
    info -= (s1 * (mw * e.q0)[:, None]).T @ s1
    cross = (s1 * (mw * e.q1)[:, None]).T @ a2
    info += cross + cross.T
    info -= (a2 * (mw * e.q2)[:, None]).T @ a2
    return (info + info.T) / 2.0


def score_residuals(rs: RiskSets, x: np.ndarray, e: Evaluation) -> np.ndarray:
    """Score residuals per row, unweighted (R's ``residuals(fit, "score")``).

    ``L_i = d_i (x_i - xbar_g) - exp(eta_i) [x_i H_i - XH_i] + d_i exp(eta_i)
    [x_i h2_g - xh2_g]``: the event part, the cumulative-hazard part over the
    row's risk interval, and Efron's correction for the row's own event group.
    """
    mw = e.meanwt
    h = mw * e.sum1
    xh = mw[:, None] * (e.s1 * e.q0[:, None] - e.a2 * e.q1[:, None])
    h_i = rs.over_interval(h)
    xh_i = rs.over_interval(xh)
    risk = e.risk
    resid = -risk[:, None] * (x * h_i[:, None] - xh_i)
    ev, eg = rs.event_rows, rs.event_group
    xbar = (e.s1 * e.sum1[:, None] - e.a2 * e.sum2[:, None]) / rs.n_tied[:, None]
    h2 = mw * e.sum2
    xh2 = mw[:, None] * (e.s1 * e.q1[:, None] - e.a2 * e.q2[:, None])
    xe = x[ev]
    resid[ev] += (xe - xbar[eg]) + risk[ev][:, None] * (xe * h2[eg][:, None] - xh2[eg])
    return resid


def schoenfeld(rs: RiskSets, x: np.ndarray, e: Evaluation) -> np.ndarray:
    """Schoenfeld residuals of the events, in the order of ``rs.event_rows``."""
    xbar = (e.s1 * e.sum1[:, None] - e.a2 * e.sum2[:, None]) / rs.n_tied[:, None]
    return x[rs.event_rows] - xbar[rs.event_group]


def breslow_hazard(rs: RiskSets, e: Evaluation) -> np.ndarray:
    """Baseline hazard increment per event group (Efron-adjusted when Efron)."""
    return e.meanwt * e.sum1
