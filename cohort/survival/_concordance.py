"""Harrell's concordance of a Cox model, O(n log^2 n) without a loop over rows.

Each event is compared with every row at risk at its time (in its stratum)
that does not have an event at that same time: concordant when the event has
the higher linear predictor, tied when equal. This is R's ``concordance()``
for a ``coxph`` fit: ``(concordant + tied / 2) / (concordant + discordant +
tied)``, with case weights multiplying per pair.

Counting, for every event, the at-risk rows with a smaller score is a 2-d
dominance count (rows with ``lo <= g`` and score below, minus rows with ``hi <=
g`` and score below). It is answered offline with a merge-sort tree built level
by level with ``lexsort`` and queried with one ``searchsorted`` per level.
"""

from __future__ import annotations

import numpy as np

from cohort.survival._cox_core import RiskSets

__all__: list[str] = []


def _dominance(
    px: np.ndarray, py: np.ndarray, pw: np.ndarray, qx: np.ndarray, qys: list[np.ndarray]
) -> list[np.ndarray]:
    """Weighted 2-d dominance counts.

    For each query and each ``qy`` in ``qys``: the weight of points with
    ``px <= qx`` and ``py < qy``; ``py`` and the ``qy`` are integer ranks.
    """
    order = np.argsort(px, kind="stable")
    px, py, pw = px[order], py[order], pw[order]
    n = px.shape[0]
    m = np.searchsorted(px, qx, side="right")  # the prefix [0, m) qualifies
    outs = [np.zeros(qx.shape[0]) for _ in qys]
    top = max([int(py.max(initial=0))] + [int(q.max(initial=0)) for q in qys])
    width = np.int64(top + 2)
    idx = np.arange(n, dtype=np.int64)
    srt = np.arange(n)
    k = 0
    while (1 << k) <= n:
        size = 1 << k
        key = (idx >> k) * width + py
        # the previous level's order is sorted runs: timsort merges them in O(n)
        srt = srt[np.argsort(key[srt], kind="stable")]
        skey = key[srt]
        csum = np.concatenate([[0.0], np.cumsum(pw[srt])])
        has = (m >> k) & 1 == 1  # this level's block is part of the prefix
        if np.any(has):
            b = (m[has] >> (k + 1)) << 1
            lo = b * size  # blocks lie contiguously after sorting by block
            for out, qy in zip(outs, qys, strict=True):
                pos = np.searchsorted(skey, b * width + qy[has], side="left")
                out[has] += csum[pos] - csum[lo]
        k += 1
    return outs


def _below(py: np.ndarray, pw: np.ndarray, qys: list[np.ndarray]) -> list[np.ndarray]:
    """For each ``qy``: the weight of all points with ``py < qy``."""
    srt = np.argsort(py, kind="stable")
    csum = np.concatenate([[0.0], np.cumsum(pw[srt])])
    spy = py[srt]
    return [csum[np.searchsorted(spy, qy, side="left")] for qy in qys]


def concordance(rs: RiskSets, eta: np.ndarray, w: np.ndarray) -> tuple[float, float, float, float]:
    """Concordant, discordant and tied (in the score) pair weights, and C."""
    ev, eg = rs.event_rows, rs.event_group
    uniq, rank = np.unique(eta, return_inverse=True)
    rank = rank.astype(np.int64)
    q_rank = rank[ev]
    q_group = eg.astype(np.int64)

    # at-risk weight at the event's group with rank below / not above its own:
    # rows entered by the group minus rows that left before it
    # ranks made stratum-major, so that "below" also means "in an earlier
    # stratum": those rows have entered and left before any group of this one
    n_rank = np.int64(uniq.shape[0] + 1)
    rank2 = rs.stratum * n_rank + rank
    q2 = rs.group_stratum[eg] * n_rank + q_rank
    qys = [q2, q2 + 1]
    if rs.has_entry:
        entered = _dominance(rs.lo, rank2, w, q_group, qys)
    else:  # every row of this and earlier strata is in before the first group
        entered = _below(rank2, w, qys)
    left = _dominance(rs.hi, rank2, w, q_group, qys)
    less, less_eq = entered[0] - left[0], entered[1] - left[1]
    at_risk_total = rs.at_risk_sum(w)[eg]
    # remove the event's own group (tied in time), itself included
    key = q_group * np.int64(uniq.shape[0] + 2) + q_rank
    srt = np.argsort(key, kind="stable")
    csum = np.concatenate([[0.0], np.cumsum(w[ev][srt])])
    skey = key[srt]
    g_less = (
        csum[np.searchsorted(skey, key, side="left")]
        - csum[np.searchsorted(skey, q_group * np.int64(uniq.shape[0] + 2), side="left")]
    )
    g_less_eq = (
        csum[np.searchsorted(skey, key, side="right")]
        - csum[np.searchsorted(skey, q_group * np.int64(uniq.shape[0] + 2), side="left")]
    )
    g_total = np.bincount(eg, weights=w[ev], minlength=rs.n_groups)[eg]
    wi = w[ev]
    conc = float(np.dot(wi, less - g_less))
    tied = float(np.dot(wi, (less_eq - less) - (g_less_eq - g_less)))
    disc = float(np.dot(wi, (at_risk_total - less_eq) - (g_total - g_less_eq)))
    total = conc + disc + tied
    c = (conc + tied / 2) / total if total > 0 else float("nan")
    return conc, disc, tied, c
