"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

Relative-magnitudes bounds Delta^RM(Mbar), as R's HonestDiD
(``createSensitivityResults_relativeMagnitudes``, ``constructOriginalCS``):
the event-study coefficients are ``beta = tau + delta`` with ``tau`` the
effects (0 before treatment) and ``delta`` the difference in trends, 0 at the
reference period. Delta^RM(Mbar) allows each post-period change
``|delta_{t+1} - delta_t|`` to be at most ``Mbar`` times the largest pre-period
change ``max_s |delta_{s+1} - delta_s|``, both chains running through the
reference period. For ``theta = l'tau_post`` we report, for each ``Mbar``,

* the identified set at ``beta = betahat``, exactly, by linear programs over
  the ``2 * num_pre`` polyhedra of Delta^RM (one per location and sign of the
  largest pre-period change);
* a ``1 - alp`` confidence interval by inverting, over a grid of ``theta``,
  the conditional-least-favourable hybrid test of Andrews, Roth & Pakes
  (HonestDiD's ``"C-LF"``, the default) or their conditional test
  (``"Conditional"``); a ``theta`` is in the interval if the test accepts it
  for at least one polyhedron (see :mod:`cohort.did._arp`);
* the original interval ``theta_hat +- z sd(theta_hat)`` and the breakdown
  value: the smallest ``Mbar`` whose interval contains 0.

The methods and what they were checked against are in ``docs/methods/honest_did.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.stats import norm

from cohort._params import check_int_range, check_literal
from cohort.did._arp import lf_draws, rm_constraints, rm_test_grid
from cohort.did.results import AggteResult, ModelResult, _table_html, _table_text
from cohort.exceptions import ParameterError

__all__ = ["HonestResult", "honest_did"]

Method = Literal["C-LF", "Conditional"]
_METHODS = ("C-LF", "Conditional")
_BREAKDOWN_TOL = 1e-3
_BREAKDOWN_MAX = 1024.0


@dataclass(frozen=True)
class HonestResult:
    """Relative-magnitudes sensitivity analysis from :func:`honest_did`.

    One entry per ``mbar``: the identified set ``[id_lb, id_ub]`` at the point
    estimate and the confidence interval ``[conf_low, conf_high]`` (grid
    points of the test inversion; ``nan`` if the test rejected every grid
    point). ``estimate``, ``std_error``, ``original_low`` and ``original_high``
    describe ``theta = l_vec' tau_post`` under exact parallel trends.
    ``breakdown`` is the smallest ``Mbar`` (to 1e-3) whose interval contains
    0 (``inf`` if none up to 1024 does).
    """

    mbar: np.ndarray
    id_lb: np.ndarray
    id_ub: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    method: str
    estimate: float
    std_error: float
    original_low: float
    original_high: float
    breakdown: float
    l_vec: np.ndarray
    event_time: np.ndarray
    reference: float
    num_pre: int
    alp: float
    grid_points: int
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for a in (self.mbar, self.id_lb, self.id_ub, self.conf_low, self.conf_high,
                  self.l_vec, self.event_time):
            a.flags.writeable = False

    def tidy(self) -> pd.DataFrame:
        """The original interval first (``method="Original"``), then one row per ``mbar``.

        Columns ``mbar, lb, ub, conf_low, conf_high, method``: ``lb, ub`` bound
        the identified set (the point estimate for the original row, whose
        ``mbar`` is missing), ``conf_low, conf_high`` the confidence interval.
        """
        first = pd.DataFrame({
            "mbar": [np.nan], "lb": [self.estimate], "ub": [self.estimate],
            "conf_low": [self.original_low], "conf_high": [self.original_high],
            "method": ["Original"],
        })
        rows = pd.DataFrame({
            "mbar": self.mbar, "lb": self.id_lb, "ub": self.id_ub,
            "conf_low": self.conf_low, "conf_high": self.conf_high, "method": self.method,
        })
        return pd.concat([first, rows], ignore_index=True)

    def _notes(self) -> tuple[str, ...]:
        level = f"{100 * (1 - self.alp):g}%"
        post = self.event_time[self.event_time > self.reference]
        weights = ", ".join(f"{w:g} x e={e:g}" for w, e in zip(self.l_vec, post, strict=True)
                            if w != 0)
        brk = (f"{self.breakdown:.3f}" if np.isfinite(self.breakdown)
               else f"none up to {_BREAKDOWN_MAX:g}")
        out = [
            f"theta = {weights}; estimate {self.estimate:.4f} (SE {self.std_error:.4f})",
            f"{self.num_pre} pre-periods, {len(post)} post-periods, reference e = "
            f"{self.reference:g}",
            f"{level} intervals: {self.method} test inverted over {self.grid_points} grid points",
            f"breakdown Mbar (smallest whose interval contains 0): {brk}",
        ]
        return tuple(out) + self.notes

    def summary(self) -> str:
        """Text table of the identified sets and intervals with notes."""
        return _table_text("Relative-magnitudes sensitivity analysis (HonestDiD)", self.tidy(),
                           self._notes())

    def _repr_html_(self) -> str:
        return _table_html("Relative-magnitudes sensitivity analysis (HonestDiD)", self.tidy(),
                           self._notes())

    def plot(self, *, title: str | None = None, show_identified_set: bool = True, **kwargs: Any):
        """Intervals against ``Mbar``, the original one first (HonestDiD's sensitivity plot).

        :func:`cohort.did.plots.plot_honest_did` of ``tidy()``: the original
        interval one ``Mbar`` step left of the smallest ``Mbar``; with
        ``show_identified_set`` the identified sets as thick bars inside the
        intervals. Returns a matplotlib Figure (Agg).
        """
        from cohort.did.plots import plot_honest_did

        return plot_honest_did(
            self.tidy(), show_identified_set=show_identified_set,
            title=title or (f"Sensitivity to violations of parallel trends "
                            f"({100 * (1 - self.alp):g}% intervals)"), **kwargs)


def honest_did(
    result_or_betahat: ModelResult | AggteResult | Any,
    sigma: Any = None,
    *,
    event_time: Any = None,
    reference: float = -1,
    mbar: Any = (0, 0.5, 1, 1.5, 2),
    l_vec: Any = None,
    alp: float = 0.05,
    method: Method = "C-LF",
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    seed: int = 0,
) -> HonestResult:
    """Relative-magnitudes sensitivity analysis of an event study (HonestDiD's Delta^RM).

    Parameters
    ----------
    result_or_betahat : ModelResult, AggteResult or array_like
        An :func:`event_study` fit (its ``estimate``, ``vcov`` and
        ``event_time``), a dynamic :func:`aggte` (its event-time estimates; the
        covariance ``IF'IF / n^2`` of its influence functions, the one behind
        its analytic standard errors and the one HonestDiD's ``honest_did``
        uses for R's ``did``), or the coefficient vector ``betahat``.
    sigma : array_like, optional
        Covariance of ``betahat`` (only with a raw ``betahat``).
    event_time : array_like, optional
        Event time of each element of ``betahat`` (only with a raw
        ``betahat``). The reference period is not among them.
    reference : float
        The event time normalised to 0 (default -1, the period before
        treatment). Event times before it are pre-periods, after it
        post-periods; each side must be consecutive integers adjoining it.
        An aggregation of ATT(g,t) must use ``base_period="universal"``: its
        estimate at the reference is 0 and is dropped.
    mbar : sequence of float
        Values of ``Mbar >= 0``.
    l_vec : array_like, "first" or "average", optional
        Weights of the post-period effects in ``theta`` (default: the first
        post-period, HonestDiD's ``basisVector(1, numPostPeriods)``).
    alp : float
        One minus the coverage of the intervals.
    method : {"C-LF", "Conditional"}
        The conditional-least-favourable hybrid test (HonestDiD's default;
        first-stage size ``alp / 10``, least favourable critical value from
        1,000 draws of R's random numbers with ``set.seed(seed)``) or the
        conditional test alone.
    grid_points, grid_lb, grid_ub
        The grid of ``theta`` over which the test is inverted. Default bounds:
        ``theta_hat -+ (Mbar * sum_t t |l_t| * maxpre + 20 sd(theta_hat))``,
        the identified set widened by 20 standard errors (``maxpre`` the
        largest absolute pre-period change), as in Stata's ``honestdid`` and
        the HonestDiD version behind its README's results; the master branch
        of HonestDiD (0.2.8) uses ``-+ 20 sd(theta_hat)`` around 0, which
        ``grid_lb``, ``grid_ub`` reproduce.
    seed : int
        Seed of R's Mersenne-Twister for the least favourable critical value.

    Returns
    -------
    HonestResult

    Examples
    --------
    >>> import numpy as np
    >>> from cohort.did._honest import honest_did
    >>> b = np.array([0.01, -0.02, 0.05, 0.07])
    >>> s = np.diag([0.01, 0.01, 0.01, 0.02]) ** 2
    >>> r = honest_did(b, s, event_time=[-3, -2, 0, 1], mbar=[0, 1])
    >>> r.tidy()[["mbar", "lb", "ub"]].round(3).to_numpy().tolist()
    [[nan, 0.05, 0.05], [0.0, 0.05, 0.05], [1.0, 0.02, 0.08]]

    """
    check_literal("method", method, _METHODS)
    grid_points = check_int_range("grid_points", grid_points, low=2)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed must be an integer; got {seed!r}"
        raise ParameterError(msg)
    if not (isinstance(alp, int | float) and 0 < alp < 1):
        msg = f"alp must lie in (0, 1); got {alp!r}"
        raise ParameterError(msg)
    if isinstance(reference, bool) or not (isinstance(reference, int | float | np.number)
                                           and np.isfinite(reference)):
        msg = f"reference must be a finite number (an event time); got {reference!r}"
        raise ParameterError(msg)
    beta, sig, et, notes = _inputs(result_or_betahat, sigma, event_time, reference)
    num_pre, num_post = _split(et, reference)
    lv = _l_vec(l_vec, num_post)
    mbars = _mbar(mbar)
    grid_bounds = _grid_bounds(grid_lb, grid_ub)

    post = slice(num_pre, None)
    estimate = float(lv @ beta[post])
    std_error = float(np.sqrt(lv @ sig[post, post] @ lv))
    z = float(norm.ppf(1 - alp / 2))
    hybrid = method == "C-LF"
    draws = lf_draws(num_post, seed) if hybrid else np.empty(0)
    maxpre = float(np.max(np.abs(np.diff(np.r_[beta[:num_pre], 0.0]))))
    spread = float(np.arange(1, num_post + 1) @ np.abs(lv)) * maxpre

    def interval(m: float) -> tuple[float, float, bool]:
        half = m * spread + 20 * std_error
        lo = estimate - half if grid_bounds[0] is None else grid_bounds[0]
        hi = estimate + half if grid_bounds[1] is None else grid_bounds[1]
        theta = np.linspace(lo, hi, grid_points)
        accept = np.zeros(grid_points, dtype=bool)
        for s, positive in _polyhedra(num_pre):
            rows = rm_constraints(num_pre, num_post, m, s, positive=positive)
            accept |= rm_test_grid(beta, sig, num_pre=num_pre, l_vec=lv, a_rows=rows,
                                   theta=theta, alp=alp, hybrid=hybrid, z=draws)
        if not accept.any():
            return np.nan, np.nan, False
        return float(theta[accept].min()), float(theta[accept].max()), bool(accept[[0, -1]].any())

    id_sets = np.array([_identified_set(beta, num_pre, num_post, lv, m) for m in mbars])
    cis = [interval(m) for m in mbars]
    open_at = [f"{m:g}" for m, c in zip(mbars, cis, strict=True) if c[2]]
    if open_at:
        notes.append(f"the interval reaches an end of the grid for Mbar = {', '.join(open_at)}: "
                     "widen grid_lb/grid_ub")
    if any(np.isnan(c[0]) for c in cis):
        notes.append("the test rejected every grid point for some Mbar (interval shown as missing)")
    orig_lo, orig_hi = estimate - z * std_error, estimate + z * std_error
    brk = _breakdown(interval)
    return HonestResult(
        mbar=mbars, id_lb=id_sets[:, 0], id_ub=id_sets[:, 1],
        conf_low=np.array([c[0] for c in cis]), conf_high=np.array([c[1] for c in cis]),
        method=method, estimate=estimate, std_error=std_error, original_low=orig_lo,
        original_high=orig_hi, breakdown=brk, l_vec=lv, event_time=et,
        reference=float(reference), num_pre=num_pre, alp=float(alp), grid_points=grid_points,
        notes=tuple(notes),
    )


# -- inputs ----------------------------------------------------------------------------------
def _inputs(obj, sigma, event_time, reference) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    notes: list[str] = []
    if isinstance(obj, ModelResult | AggteResult):
        if sigma is not None or event_time is not None:
            msg = (f"sigma and event_time are taken from the {type(obj).__name__}; "
                   "pass them only with a raw betahat")
            raise ParameterError(msg)
    if isinstance(obj, ModelResult):
        if obj.event_time is None:
            msg = (f"this {obj.method} result has no event times: pass an event_study() "
                   "result, or betahat, sigma and event_time")
            raise ParameterError(msg)
        keep = np.isfinite(obj.event_time)
        beta = np.asarray(obj.estimate, dtype=float)[keep]
        sig = np.asarray(obj.vcov, dtype=float)[np.ix_(keep, keep)]
        et = np.asarray(obj.event_time, dtype=float)[keep]
        notes.append(f"covariance: the {obj.method.lower()}'s (cluster-robust) vcov; "
                     "normal critical values")
    elif isinstance(obj, AggteResult):
        beta, sig, et = _from_aggte(obj, reference, notes)
    else:
        if sigma is None or event_time is None:
            msg = "with a raw betahat, sigma and event_time are required"
            raise ParameterError(msg)
        beta = _array("betahat", obj, ndim=1)
        sig = _array("sigma", sigma, ndim=2)
        et = _array("event_time", event_time, ndim=1)
        if sig.shape != (len(beta), len(beta)) or len(et) != len(beta):
            msg = (f"betahat ({len(beta)}), sigma {sig.shape} and event_time ({len(et)}) "
                   "do not conform")
            raise ParameterError(msg)
    if np.any(et == reference):
        msg = (f"event_time contains the reference period {reference:g}; it must be omitted "
               "(normalised to 0)")
        raise ParameterError(msg)
    _check_sigma(sig)
    order = np.argsort(et, kind="stable")
    return beta[order], sig[np.ix_(order, order)], et[order], notes


def _from_aggte(obj: AggteResult, reference, notes) -> tuple[np.ndarray, ...]:
    if obj.type != "dynamic" or obj.influence_egt is None:
        msg = f"an AggteResult must be of type 'dynamic' (an event study); got {obj.type!r}"
        raise ParameterError(msg)
    egt = np.asarray(obj.egt, dtype=float)
    att = np.asarray(obj.att_egt, dtype=float)
    inf = np.asarray(obj.influence_egt, dtype=float)
    if not np.all(np.isfinite(att)) or not np.all(np.isfinite(inf)):
        msg = "the aggregation has missing event-time estimates; re-aggregate without them"
        raise ParameterError(msg)
    n = inf.shape[0]
    vcov = inf.T @ inf / n**2
    se = np.sqrt(np.diag(vcov))
    if not obj.bstrap:
        ok = np.isfinite(obj.se_egt)
        if not np.allclose(se[ok], obj.se_egt[ok], rtol=1e-6, atol=0):
            msg = ("the aggregation's standard errors are not those of its influence functions "
                   "(clustered?): sum influence_egt within clusters, S, and pass "
                   "honest_did(att_egt, S.T @ S / n**2, event_time=egt) instead")
            raise ParameterError(msg)
    else:
        notes.append("covariance IF'IF/n^2 of the influence functions (analytic, not "
                     "clustered), as HonestDiD's honest_did(); the aggregation's own SEs are "
                     "bootstrapped")
    at_ref = egt == reference
    if at_ref.any():
        j = int(np.flatnonzero(at_ref)[0])
        if abs(att[j]) > 1e-12 or np.abs(inf[:, j]).max() > 1e-12:
            msg = (f"the estimate at the reference period e = {reference:g} is not 0: aggregate "
                   "an att_gt(base_period='universal') fit (with base_period='varying' the "
                   "pre-period estimates are not event-study coefficients)")
            raise ParameterError(msg)
        keep = ~at_ref
        return att[keep], vcov[np.ix_(keep, keep)], egt[keep]
    return att, vcov, egt


def _array(name: str, value, *, ndim: int) -> np.ndarray:
    try:
        a = np.array(value, dtype=float)
    except (TypeError, ValueError):
        msg = f"{name} must be numeric"
        raise ParameterError(msg) from None
    if ndim == 1 and a.ndim == 2 and 1 in a.shape:
        a = a.ravel()
    if a.ndim != ndim or not np.all(np.isfinite(a)):
        kind = "a vector" if ndim == 1 else "a square matrix"
        msg = f"{name} must be {kind} of finite numbers; got shape {a.shape}"
        raise ParameterError(msg)
    return a


def _check_sigma(sig: np.ndarray) -> None:
    if sig.ndim != 2 or sig.shape[0] != sig.shape[1] or not np.all(np.isfinite(sig)):
        msg = "sigma must be a square matrix of finite numbers"
        raise ParameterError(msg)
    scale = max(float(np.abs(sig).max()), np.finfo(float).tiny)
    if np.abs(sig - sig.T).max() > 1e-8 * scale:
        msg = "sigma must be symmetric"
        raise ParameterError(msg)
    if np.linalg.eigvalsh((sig + sig.T) / 2).min() < -1e-8 * scale:
        msg = "sigma must be positive semi-definite"
        raise ParameterError(msg)


def _split(et: np.ndarray, reference: float) -> tuple[int, int]:
    pre, post = et[et < reference], et[et > reference]
    if len(pre) == 0 or len(post) == 0:
        side = "pre" if len(pre) == 0 else "post"
        msg = (f"no {side}-periods: relative magnitudes need event times on both sides of the "
               f"reference period {reference:g}")
        raise ParameterError(msg)
    if (not np.array_equal(pre, reference - np.arange(len(pre), 0, -1))
            or not np.array_equal(post, reference + np.arange(1, len(post) + 1))):
        msg = (f"event times must be consecutive integers on each side of the reference "
               f"period {reference:g}; got {et.tolist()}")
        raise ParameterError(msg)
    return len(pre), len(post)


def _l_vec(l_vec, num_post: int) -> np.ndarray:
    if l_vec is None or (isinstance(l_vec, str) and l_vec == "first"):
        return np.eye(num_post)[0]
    if isinstance(l_vec, str):
        check_literal("l_vec", l_vec, ("first", "average"))
        return np.full(num_post, 1.0 / num_post)
    lv = _array("l_vec", l_vec, ndim=1)
    if len(lv) != num_post or not np.any(lv != 0):
        msg = f"l_vec must have one weight per post-period ({num_post}), not all 0; got {lv}"
        raise ParameterError(msg)
    return lv


def _mbar(mbar) -> np.ndarray:
    m = np.atleast_1d(_array("mbar", np.atleast_1d(mbar), ndim=1))
    if len(m) == 0 or np.any(m < 0):
        msg = f"mbar must be one or more values >= 0; got {m.tolist()}"
        raise ParameterError(msg)
    return m


def _grid_bounds(lo, hi) -> tuple[float | None, float | None]:
    for name, v in (("grid_lb", lo), ("grid_ub", hi)):
        if v is not None and not (isinstance(v, int | float) and np.isfinite(v)):
            msg = f"{name} must be a finite number or None; got {v!r}"
            raise ParameterError(msg)
    if lo is not None and hi is not None and not lo < hi:
        msg = f"grid_lb must be below grid_ub; got {lo!r} and {hi!r}"
        raise ParameterError(msg)
    return lo, hi


# -- identified set and breakdown -------------------------------------------------------------
def _polyhedra(num_pre: int):
    for s in range(-(num_pre - 1), 1):
        yield s, True
        yield s, False


def _identified_set(beta, num_pre, num_post, lv, m) -> tuple[float, float]:
    """Union over the polyhedra of ``l'beta_post - {l'delta_post : delta feasible}``.

    The programs are solved in units of the largest pre-period change and of
    ``max |l|``, with HiGHS's feasibility tolerances at 1e-10, so that its
    absolute tolerances do not depend on the scale of the outcome.
    """
    theta = float(lv @ beta[num_pre:])
    unit = float(np.max(np.abs(np.diff(np.r_[beta[:num_pre], 0.0]))))
    if unit == 0 or m == 0:  # no pre-period change or no post-period change allowed
        return theta, theta
    weight = float(np.max(np.abs(lv)))
    c = np.r_[np.zeros(num_pre), lv / weight]
    a_eq = np.eye(num_pre, num_pre + num_post)
    opts = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
    lows, highs = [], []
    for s, positive in _polyhedra(num_pre):
        a = rm_constraints(num_pre, num_post, m, s, positive=positive)
        bounds = []
        for sign in (1.0, -1.0):  # min then max of l'delta_post
            res = linprog(sign * c, A_ub=a, b_ub=np.zeros(len(a)), A_eq=a_eq,
                          b_eq=beta[:num_pre] / unit, bounds=(None, None), method="highs",
                          options=opts)
            if res.status == 2:  # this s is not where the largest pre-period change is
                break
            if res.status != 0:  # pragma: no cover - bounded and feasible by construction
                msg = f"identified-set linear program failed: {res.message}"
                raise RuntimeError(msg)
            bounds.append(sign * res.fun * unit * weight)
        if len(bounds) == 2:
            highs.append(theta - bounds[0])
            lows.append(theta - bounds[1])
    return min(lows), max(highs)


def _breakdown(interval) -> float:
    """Smallest ``Mbar`` whose interval contains 0, by doubling then bisection.

    Bisection presumes that the interval, once it contains 0, keeps containing
    it for larger ``Mbar``: true of the identified sets, which are nested, and
    of the intervals up to the discreteness of the grid.
    """
    def covers(m: float) -> bool:
        lo, hi, _ = interval(m)
        return bool(lo <= 0 <= hi)

    if covers(0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while not covers(hi):
        lo, hi = hi, 2 * hi
        if hi > _BREAKDOWN_MAX:
            return float("inf")
    while hi - lo > _BREAKDOWN_TOL:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if covers(mid) else (mid, hi)
    return hi
