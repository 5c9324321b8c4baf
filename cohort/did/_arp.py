"""Andrews-Roth-Pakes tests for the relative-magnitudes set Delta^RM, as HonestDiD runs them.

Rambachan & Roth (2023) invert the conditional test of Andrews, Roth & Pakes
(ARP, 2023) for the moment inequalities ``E[y - X nu] <= 0`` with
``y = A betahat - a theta`` and nuisance parameters ``nu``: the statistic is

    eta(y) = min_{eta, nu} eta   s.t.  y - X nu <= eta * sd(y),

by linear-programming duality ``eta(y) = max_gamma gamma'y`` over the vertices
of ``{gamma >= 0, sd'gamma = 1, X'gamma = 0}``. For the post-period rows of
Delta^RM this polytope has a closed form (:func:`_dual_vertices`): its vertices
are among ``p + 2`` points, so ``eta``, the optimal vertex and the conditioning
interval ``[v_lo, v_up]`` of ARP are exact linear algebra instead of one linear
program per grid point and per simulation draw (R solves LPs and finds
``v_lo, v_up`` by bisection to 1e-6).

The conditional-least-favourable hybrid ("C-LF", HonestDiD's default) first
rejects when ``eta`` exceeds the ``1 - kappa`` quantile of ``eta`` under the
least favourable null (``kappa = alpha / 10``), simulated from 1,000 normal draws;
otherwise it compares ``eta / sigma_B`` with the ``1 - (alpha - kappa)/(1 - kappa)``
quantile of the normal truncated to ``[v_lo, min(v_up, c_LF)] / sigma_B``.
The draws reproduce R's ``set.seed(seed); mvtnorm::rmvnorm(1000, sigma = S)``
(Mersenne-Twister, inversion, eigen square root), so the critical values and
intervals are those of HonestDiD, not a different Monte Carlo draw of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr, ndtri, ndtri_exp

from cohort.exceptions import ParameterError

__all__ = [
    "Moments",
    "conditional_statistics",
    "least_favourable_cv",
    "lf_draws",
    "r_mvnorm",
    "r_rnorm",
    "rm_constraints",
    "rm_moments",
    "rm_test_grid",
]

SIMS = 1000  # HonestDiD's number of draws for the least favourable critical value
_DEN_TOL = 1e-10


# -- R's random numbers --------------------------------------------------------------------
def _r_mt_key(seed: int) -> np.ndarray:
    """State of R's Mersenne-Twister after ``set.seed(seed)`` (R's ``RNG_Init``)."""
    s = int(seed) & 0xFFFFFFFF
    for _ in range(50):
        s = (69069 * s + 1) & 0xFFFFFFFF
    key = np.empty(625, dtype=np.uint32)
    for j in range(625):
        s = (69069 * s + 1) & 0xFFFFFFFF
        key[j] = s
    return key[1:]  # key[0] is R's position slot, reset to 624 by FixupSeeds


def r_rnorm(n: int, seed: int) -> np.ndarray:
    """``set.seed(seed); rnorm(n)`` in R (Mersenne-Twister, inversion).

    Examples
    --------
    >>> np.round(r_rnorm(3, 0), 7).tolist()
    [1.2629543, -0.3262334, 1.3297993]

    """
    bitgen = np.random.MT19937()
    bitgen.state = {"bit_generator": "MT19937", "state": {"key": _r_mt_key(seed), "pos": 624}}
    u = bitgen.random_raw(2 * n).astype(np.float64) * 2.3283064365386963e-10
    half = 0.5 * 2.328306437080797e-10  # R's fixup keeps unif_rand inside (0, 1)
    u = np.clip(u, half, 1.0 - half)
    big = 134217728.0  # R's norm_rand: two uniforms for 2^27 * 2^32 resolution
    return ndtri((np.floor(big * u[0::2]) + u[1::2]) / big)


def r_mvnorm(z: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``mvtnorm::rmvnorm(n, sigma = sigma)`` (its default eigen method) from R's normals.

    ``z`` holds ``n * k`` draws of :func:`r_rnorm`, filled into the ``n x k``
    matrix by row, as rmvnorm does; the square root is the symmetric one,
    ``V diag(sqrt(max(lambda, 0))) V'``, which does not depend on the signs or
    the order of the eigenvectors.
    """
    lam, vec = np.linalg.eigh(sigma)
    root = (vec * np.sqrt(np.maximum(lam, 0.0))) @ vec.T
    return z.reshape(-1, sigma.shape[0]) @ root


# -- Delta^RM --------------------------------------------------------------------------------
def rm_constraints(num_pre: int, num_post: int, mbar: float, s: int, *,
                   positive: bool) -> np.ndarray:
    """Rows of ``A delta <= 0`` for Delta^RM with the largest pre-period change at ``s``.

    ``delta`` has the pre- then post-period coefficients, the reference period
    (normalised to 0) left out. Consecutive differences ``delta_{t+1} - delta_t``
    run over the whole chain including the reference; ``s`` in ``-(num_pre-1)..0``
    indexes the pre-period difference ending at event time ``s`` (relative to
    the reference), taken with its sign (``positive``) as the largest. Every
    pre-period difference is at most it in absolute value, every post-period
    difference at most ``mbar`` times it. Rows are in R's order: ``+`` block
    then ``-`` block, all-zero rows dropped (HonestDiD's ``.create_A_RM``).
    """
    n = num_pre + num_post
    diffs = np.zeros((n, n + 1))
    diffs[np.arange(n), np.arange(n)] = -1.0
    diffs[np.arange(n), np.arange(n) + 1] = 1.0
    vmax = np.zeros(n + 1)
    vmax[num_pre + s - 1] = -1.0
    vmax[num_pre + s] = 1.0
    if not positive:
        vmax = -vmax
    bound = np.vstack([np.tile(vmax, (num_pre, 1)), np.tile(mbar * vmax, (num_post, 1))])
    a = np.vstack([diffs - bound, -diffs - bound])
    a = a[(a * a).sum(axis=1) > 1e-10]
    return np.delete(a, num_pre, axis=1)


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix with first row ``l'`` (HonestDiD's ``.construct_Gamma``).

    The other rows are unit vectors, all but the one of ``l``'s largest entry
    (R drops the one of its last non-zero entry, which is ill-conditioned when
    that entry is tiny). The test does not depend on the choice: another
    completion adds to ``a`` a vector in the span of ``X``, which every dual
    vertex annihilates.
    """
    p = len(l_vec)
    keep = int(np.argmax(np.abs(l_vec)))
    return np.vstack([l_vec, np.delete(np.eye(p), keep, axis=0)])


def _dual_vertices(sd: np.ndarray, l_vec: np.ndarray) -> np.ndarray:
    """Points of ``{gamma >= 0, sd'gamma = 1, X'gamma = 0}`` that include all its vertices.

    The ``2p`` post-period rows of Delta^RM are ``+-(delta_t - delta_{t-1})``
    plus pre-period terms, rows ``t`` (``+``) and ``p + t`` (``-``). Then
    ``X'gamma = 0`` says ``w = gamma_+ - gamma_-`` is ``c * u`` with
    ``D'u = l`` (``D`` the first-difference matrix), and writing
    ``gamma_{+-,t} = (c u_t)^{+-} + r_t`` with ``r_t >= 0`` leaves one equality
    in ``(c, r)``: every vertex has a single non-zero coordinate, ``c > 0``,
    ``c < 0`` or one ``r_t``. Points that are not extreme do no harm: ``eta`` is
    a maximum and the conditioning interval an intersection of linear
    conditions, which their extreme components already imply.
    """
    p = len(l_vec)
    if p == 1:  # no nuisance parameter: the vertices of the simplex
        return np.diag(1.0 / sd)
    d = np.eye(p) - np.eye(p, k=-1)
    u = np.linalg.solve(d.T, l_vec)
    pts = [np.r_[np.maximum(u, 0), np.maximum(-u, 0)], np.r_[np.maximum(-u, 0), np.maximum(u, 0)]]
    for t in range(p):
        g = np.zeros(2 * p)
        g[[t, p + t]] = 1.0
        pts.append(g)
    v = np.array(pts)
    return v / (v @ sd)[:, None]


@dataclass(frozen=True)
class Moments:
    """``y(theta) = y0 - a theta`` with covariance ``sigma`` and the dual vertices."""

    y0: np.ndarray
    a: np.ndarray
    sigma: np.ndarray
    vertices: np.ndarray


def rm_moments(betahat, sigma, num_pre, l_vec, a_rows) -> Moments:
    """The post-period moments of one polyhedron, in R's row order, and their dual vertices."""
    num_post = len(l_vec)
    post = a_rows[:, num_pre:]
    rows = np.flatnonzero(np.any(post != 0, axis=1))  # R's rowsForARP / postPeriodRows
    a_rows = a_rows[rows]
    ag = a_rows[:, num_pre:] @ np.linalg.inv(_gamma_matrix(l_vec))
    sig = a_rows @ sigma @ a_rows.T
    if len(rows) != 2 * num_post:  # pragma: no cover - guarded by rm_constraints' structure
        msg = "unexpected constraint rows for Delta^RM"
        raise RuntimeError(msg)
    sd = np.sqrt(np.maximum(np.diag(sig), 0.0))
    if np.any(sd <= 1e-12 * max(float(sd.max()), np.finfo(float).tiny)):
        msg = ("sigma gives a change between consecutive periods no variance; the test needs "
               "every post-period change to be estimated with error")
        raise ParameterError(msg)
    return Moments(y0=a_rows @ betahat, a=ag[:, 0], sigma=sig, vertices=_dual_vertices(sd, l_vec))


def lf_draws(num_post: int, seed: int) -> np.ndarray:
    """The standard normals behind HonestDiD's least favourable critical value.

    R calls ``set.seed(seed)`` before each polyhedron's ``rmvnorm(1000, ...)``
    over its ``2 * num_post`` moments, so every polyhedron uses the same draws.
    """
    return r_rnorm(SIMS * 2 * num_post, seed)


def least_favourable_cv(mom: Moments, kappa: float, z: np.ndarray) -> float:
    """``1 - kappa`` quantile (R's type 7) of ``eta(xi)``, ``xi ~ N(0, sigma)``."""
    xi = r_mvnorm(z, mom.sigma)
    return float(np.quantile((xi @ mom.vertices.T).max(axis=1), 1 - kappa))


def conditional_statistics(mom: Moments, theta: np.ndarray) -> tuple[np.ndarray, ...]:
    """``eta``, ``sigma_B`` and ARP's conditioning interval ``[v_lo, v_up]`` at each ``theta``.

    With ``gamma`` the optimal vertex at ``y = y(theta)``, ``b = Sigma gamma /
    sigma_B^2`` and ``s = y - b eta``, the statistic stays ``c = gamma'y``
    along ``s + b c`` exactly while no vertex overtakes ``gamma``:
    ``gamma_v's <= c (1 - gamma_v'b)`` for every vertex ``v``. The interval
    of such ``c`` is the one R finds by bisection (``.vlo_vup_dual_fn``) or,
    for a non-degenerate basis, from the primal (ARP's Lemma). ``sigma_B`` is
    ``nan`` where ``gamma'Sigma gamma`` is 0 to machine precision.
    """
    v = mom.vertices
    vals = (mom.y0[None, :] - theta[:, None] * mom.a[None, :]) @ v.T
    best = vals.argmax(axis=1)
    eta = vals[np.arange(len(theta)), best]
    sd_b = np.full(len(theta), np.nan)
    v_lo = np.full(len(theta), -np.inf)
    v_up = np.full(len(theta), np.inf)
    for j in np.unique(best):
        rows = np.flatnonzero(best == j)
        g = v[j]
        var = float(g @ mom.sigma @ g)
        if var < np.finfo(float).eps:
            continue
        sd_b[rows] = np.sqrt(var)
        vb = v @ (mom.sigma @ g) / var
        den = 1.0 - vb
        num = vals[rows] - eta[rows, None] * vb[None, :]
        lo_mask, up_mask = den > _DEN_TOL, den < -_DEN_TOL
        if lo_mask.any():
            v_lo[rows] = np.max(num[:, lo_mask] / den[lo_mask], axis=1)
        if up_mask.any():
            v_up[rows] = np.min(num[:, up_mask] / den[up_mask], axis=1)
    return eta, sd_b, v_lo, v_up


def rm_test_grid(
    betahat: np.ndarray,
    sigma: np.ndarray,
    *,
    num_pre: int,
    l_vec: np.ndarray,
    a_rows: np.ndarray,
    theta: np.ndarray,
    alp: float,
    hybrid: bool,
    z: np.ndarray,
) -> np.ndarray:
    """Acceptance (bool per ``theta``) of the ARP test, C-LF hybrid if ``hybrid``.

    ``a_rows`` are the constraint rows of one polyhedron of Delta^RM
    (:func:`rm_constraints`); only the rows involving post-period coefficients
    enter, as in HonestDiD (``postPeriodMomentsOnly = TRUE``). With one
    post-period HonestDiD's no-nuisance test is reproduced: the hybrid's
    truncation at the least favourable value and the range check are absent
    there. ``z`` are the draws of :func:`lf_draws` (unused unless ``hybrid``).
    """
    mom = rm_moments(betahat, sigma, num_pre, l_vec, a_rows)
    kappa = alp / 10
    nuisance = len(l_vec) > 1
    lf_cv = least_favourable_cv(mom, kappa, z) if hybrid else np.inf
    size = (alp - kappa) / (1 - kappa) if hybrid else alp

    eta, sd_b, v_lo, v_up = conditional_statistics(mom, theta)
    degenerate = np.isnan(sd_b)  # R: reject iff eta > 0
    reject = (eta > lf_cv) | (degenerate & (eta > 0))
    stat = eta / sd_b
    z_lo = v_lo / sd_b
    z_up = (np.minimum(v_up, lf_cv) if nuisance else v_up) / sd_b
    testable = ~reject & ~degenerate & (stat > 0)  # the critical value is at least 0
    if nuisance:  # R does not reject when the statistic falls outside its interval
        testable &= (z_lo <= stat + 1e-12 * np.abs(stat)) & (stat <= z_up)
    if testable.any():
        cval = np.maximum(0.0, _truncnorm_ppf(1 - size, z_lo[testable], z_up[testable]))
        reject[testable] = stat[testable] > cval
    return ~reject


def _truncnorm_ppf(q: float, lo: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Quantile of the standard normal truncated to ``[lo, up]`` (TruncatedNormal::norminvp).

    ``x`` solves ``F(x) = (1 - q) F(lo) + q F(up)``, in logs, with ``F`` the
    normal distribution function where ``lo < 0`` and its survival function
    (mirrored) where ``lo >= 0``, so that neither tail loses precision.
    """
    out = np.array(lo, dtype=float, copy=True)  # an empty interval: its lower end
    ok = lo < up
    a, b = lo[ok], up[ok]
    upper = a >= 0
    a_, b_ = np.where(upper, -b, a), np.where(upper, -a, b)
    w_a, w_b = np.where(upper, q, 1 - q), np.where(upper, 1 - q, q)
    with np.errstate(divide="ignore"):
        logp = np.logaddexp(np.log(w_a) + log_ndtr(a_), np.log(w_b) + log_ndtr(b_))
    x = ndtri_exp(logp)
    out[ok] = np.where(upper, -x, x)
    return out
