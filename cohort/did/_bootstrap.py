"""Multiplier bootstrap of influence functions (Callaway & Sant'Anna 2021, sec. 4).

Each draw multiplies every unit's (or cluster's) influence function by an
i.i.d. Mammen (1993) weight, mean 0 and variance 1, as R's ``did`` does via
``BMisc::multiplier_bootstrap``. With a cluster variable the influence
functions are first summed within clusters and the weights drawn per cluster
(Remark 10 of the paper). The standard error is the bootstrap interquartile
range over that of the normal; the simultaneous critical value is the
``1 - alp`` quantile (type 1) of the largest absolute t-statistic across
the estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = [
    "BootstrapResult",
    "cluster_sums",
    "mammen",
    "multiplier_bootstrap",
    "quantile_type1",
]

_SQ5 = np.sqrt(5.0)
_MAMMEN_LOW = (1 - _SQ5) / 2
_MAMMEN_HIGH = (1 + _SQ5) / 2
_MAMMEN_P_LOW = (_SQ5 + 1) / (2 * _SQ5)
_TINY = np.sqrt(np.finfo(float).eps) * 10
_CHUNK_CELLS = 6_400_000  # draws x units per block, bounds memory


def mammen(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Mammen's two-point weights: (1-sqrt5)/2 w.p. (sqrt5+1)/(2 sqrt5), else (1+sqrt5)/2."""
    low = rng.random(size, dtype=np.float32) < _MAMMEN_P_LOW
    return np.where(low, _MAMMEN_LOW, _MAMMEN_HIGH)


def cluster_sums(inf: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Sum the rows of ``inf`` within clusters coded ``0..m-1`` (m x K)."""
    order = np.argsort(cluster, kind="stable")
    codes = cluster[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    out = np.zeros((int(cluster.max()) + 1, inf.shape[1]))
    out[codes[starts]] = np.add.reduceat(inf[order], starts, axis=0)
    return out


def _mammen_products(s: np.ndarray, biters: int, rng: np.random.Generator) -> np.ndarray:
    """``(V @ s) / sqrt(m)`` for a ``biters x m`` matrix ``V`` of Mammen weights.

    Written as ``low * colsum(s) + (high - low) * (B @ s)`` with ``B`` the 0/1
    indicator of the high value, in blocks whose buffers are reused (the
    allocation, not the arithmetic, dominates at 100,000 units).
    """
    m, k = s.shape
    out = np.empty((biters, k))
    chunk = int(min(biters, max(1, _CHUNK_CELLS // max(m, 1))))
    uni = np.empty((chunk, m), dtype=np.float32)
    high = np.empty((chunk, m), dtype=bool)
    ind = np.empty((chunk, m))
    colsum = s.sum(axis=0)
    for start in range(0, biters, chunk):
        b = min(chunk, biters - start)
        rng.random(out=uni[:b], dtype=np.float32)
        np.greater_equal(uni[:b], _MAMMEN_P_LOW, out=high[:b])
        np.copyto(ind[:b], high[:b])
        out[start:start + b] = _MAMMEN_LOW * colsum + (_MAMMEN_HIGH - _MAMMEN_LOW) * (ind[:b] @ s)
    return out / np.sqrt(m)


def quantile_type1(x: np.ndarray, p: float, axis: int = 0) -> np.ndarray:
    """R's ``quantile(type = 1)``: the order statistic ``x_(ceil(n p))``."""
    xs = np.sort(x, axis=axis)
    n = xs.shape[axis]
    j = max(int(np.ceil(n * p - 1e-12)), 1) - 1
    return np.take(xs, j, axis=axis)


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap output: draws (biters, K), SEs (K,), simultaneous critical value."""

    draws: np.ndarray
    std_error: np.ndarray
    crit_val: float


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    biters: int,
    rng: np.random.Generator,
    alp: float,
    cluster: np.ndarray | None = None,
    band: np.ndarray | None = None,
) -> BootstrapResult:
    """Bootstrap the columns of ``inf`` (n units x K estimates) jointly.

    ``draws[b, k]`` is ``sqrt(m) * mean_c(v_bc * S_ck)`` with ``S`` the
    influence function summed within the ``m`` clusters (units when
    ``cluster`` is None), matching R's ``mboot``. ``band`` (boolean, K)
    selects the columns the simultaneous critical value covers (default all).
    """
    inf = np.asarray(inf, dtype=float)
    if inf.ndim == 1:
        inf = inf[:, None]
    n, k = inf.shape
    finite = np.isfinite(inf).all(axis=0)
    s = inf[:, finite]
    if cluster is not None:
        s = cluster_sums(s, cluster)
    m = s.shape[0]
    draws = _mammen_products(s, biters, rng)
    full = np.full((biters, k), np.nan)
    full[:, finite] = draws
    ok = finite.copy()
    ok[finite] = (draws**2).sum(axis=0) > _TINY
    iqr_norm = norm.ppf(0.75) - norm.ppf(0.25)
    sigma = np.full(k, np.nan)
    if ok.any():
        b = full[:, ok]
        sigma[ok] = (quantile_type1(b, 0.75) - quantile_type1(b, 0.25)) / iqr_norm
    se = sigma * np.sqrt(m) / n
    good = ok & (sigma > _TINY)
    if band is not None:
        good &= band
    if good.any():
        t_max = np.max(np.abs(full[:, good] / sigma[good]), axis=1)
        crit = float(quantile_type1(t_max[np.isfinite(t_max)], 1 - alp))
    else:
        crit = float("nan")
    return BootstrapResult(draws=full, std_error=se, crit_val=crit)
