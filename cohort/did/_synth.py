"""Synthetic control (Abadie et al. 2010) and synthetic DiD (Arkhangelsky et al. 2021).

Both work on the area x period means of the outcome with one treated area
(the block design: treated from ``treat_start`` on).

*Synthetic control*: weights ``w >= 0, sum w = 1`` on the comparison areas
minimising the pre-period distance ``||y1_pre - Y0_pre w||^2``; the effect in
period ``t`` is the gap ``y1_t - Y0_t w``, the estimate the mean post gap.
Inference is by placebo areas: the ratio of post- to pre-period root mean
squared gap of the treated area is ranked among those of the comparison
areas, each synthesised from the others.

*Synthetic DiD*: unit weights ``omega`` (simplex, with an intercept and ridge
penalty ``zeta^2 T_pre`` where ``zeta = (T_post)^(1/4) sigma``, ``sigma`` the
sd of the comparison areas' first differences before treatment) and time
weights ``lambda`` (simplex, intercept, penalty ``1e-6 sigma``), then
``tau = (ybar1_post - lambda'y1_pre) - omega'(Ybar0_post - Y0_pre lambda)``.
The regularised problems are solved exactly by non-negative least squares
(R's synthdid stops Frank-Wolfe early and sparsifies, so its weights
differ slightly). The SE is the placebo SE of Arkhangelsky et al.
(Algorithm 4) with every comparison area as placebo in turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from cohort.did._prep import area_period_cells
from cohort.did.results import _frozen, _table_html, _table_text
from cohort.exceptions import DataError

__all__ = ["SynthResult", "synthetic_control", "synthetic_did"]


@dataclass(frozen=True)
class SynthResult:
    """Synthetic control / synthetic DiD estimate with weights and trajectories."""

    method: str
    estimate: float
    std_error: float
    p_value: float
    conf_low: float
    conf_high: float
    alp: float
    units: np.ndarray
    unit_weights: np.ndarray
    periods: np.ndarray
    time_weights: np.ndarray | None
    treated_path: np.ndarray
    synthetic_path: np.ndarray
    treat_start: float
    null_distribution: np.ndarray
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _frozen(self.units, self.unit_weights, self.periods, self.time_weights,
                self.treated_path, self.synthetic_path, self.null_distribution)

    def tidy(self) -> pd.DataFrame:
        """One row: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        stat = self.estimate / self.std_error if self.std_error > 0 else np.nan
        return pd.DataFrame({
            "term": ["treated"], "estimate": [self.estimate], "std_error": [self.std_error],
            "statistic": [stat], "p_value": [self.p_value], "conf_low": [self.conf_low],
            "conf_high": [self.conf_high],
        })

    def weights(self) -> pd.DataFrame:
        """Unit weights of the comparison areas, largest first."""
        df = pd.DataFrame({"unit": self.units, "weight": self.unit_weights})
        return df.sort_values("weight", ascending=False, kind="mergesort").reset_index(drop=True)

    def gaps(self) -> pd.DataFrame:
        """Treated and synthetic outcome by period, and their gap."""
        return pd.DataFrame({"period": self.periods, "treated": self.treated_path,
                             "synthetic": self.synthetic_path,
                             "gap": self.treated_path - self.synthetic_path})

    def _notes(self) -> tuple[str, ...]:
        top = self.weights().head(3)
        w = ", ".join(f"{u}: {v:.2f}" for u, v in zip(top.unit, top.weight, strict=True))
        return (f"{len(self.units)} comparison areas; largest weights {w}",) + self.notes

    def summary(self) -> str:
        """Text table of the estimate with notes."""
        return _table_text(self.method, self.tidy(), self._notes())

    def _repr_html_(self) -> str:
        return _table_html(self.method, self.tidy(), self._notes())

    def plot(self, *, title: str | None = None) -> Any:
        """Treated and synthetic trajectories, treatment start dashed."""
        from cohort.did.plots import _figure

        fig = _figure(7, 4)
        ax = fig.add_subplot()
        ax.plot(self.periods, self.treated_path, "o-", color="#d62728", label="treated")
        ax.plot(self.periods, self.synthetic_path, "s--", color="#1f77b4", label="synthetic")
        ax.axvline(self.treat_start, color="0.3", ls=":", lw=1)
        ax.set_xlabel("period")
        ax.set_ylabel("outcome")
        ax.legend(frameon=False)
        ax.set_title(title or self.method)
        return fig


def _area_matrix(data, yname, idname, tname, treated_unit, treat_start):
    cells, post = area_period_cells(data, yname=yname, idname=idname, tname=tname,
                                    treated_unit=treated_unit, treat_start=treat_start, min_pre=2)
    periods = cells.columns.to_numpy()
    ids = cells.index.to_numpy()
    is_tr = ids == treated_unit
    if (~is_tr).sum() < 2:
        msg = "need at least two comparison areas"
        raise DataError(msg)
    y = cells.to_numpy(dtype=float)
    return y[is_tr][0], y[~is_tr], ids[~is_tr], periods, post


def simplex_least_squares(a: np.ndarray, b: np.ndarray, penalty: float = 0.0) -> np.ndarray:
    """``argmin ||a w - b||^2 + penalty ||w||^2`` over the simplex.

    Solved exactly by Lawson-Hanson non-negative least squares on the system
    augmented with ``sqrt(penalty) I`` rows and a heavily weighted row for
    ``sum w = 1`` (the constraint then holds to rounding; ``w`` is rescaled).
    """
    from scipy.optimize import nnls

    k = a.shape[1]
    scale = max(1.0, float(np.linalg.norm(a, 2)), float(np.abs(b).max(initial=0.0)))
    big = 1e4 * scale
    rows = [a, big * np.ones((1, k))]
    rhs = [b, [big]]
    if penalty > 0:
        rows.append(np.sqrt(penalty) * np.eye(k))
        rhs.append(np.zeros(k))
    w, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=50 * k)
    total = w.sum()
    if total <= 0:
        return np.full(k, 1 / k)
    return w / total


def _sc_weights(y1, y0, pre):
    return simplex_least_squares(y0[:, pre].T, y1[pre])


def synthetic_control(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treated_unit: object,
    treat_start: float,
    alp: float = 0.05,
) -> SynthResult:
    """Synthetic control on pre-period outcomes with placebo-area inference.

    The p-value is ``(1 + #{placebo ratio >= treated ratio}) / (N0 + 1)`` for
    the ratio of post- to pre-period root mean squared gaps (Abadie et al.
    2010). No interval is reported (``conf_low``/``conf_high`` are NaN).
    """
    y1, y0, ids, periods, post = _area_matrix(data, yname, idname, tname, treated_unit,
                                              treat_start)
    pre = ~post
    w = _sc_weights(y1, y0, pre)
    synth = w @ y0
    gap = y1 - synth

    def ratio(g):
        return np.sqrt(np.mean(g[post] ** 2)) / max(np.sqrt(np.mean(g[pre] ** 2)), 1e-12)

    placebo = []
    for j in range(len(ids)):
        others = np.delete(y0, j, axis=0)
        wj = _sc_weights(y0[j], others, pre)
        placebo.append(ratio(y0[j] - wj @ others))
    placebo = np.asarray(placebo)
    r_tr = ratio(gap)
    p = (1 + np.sum(placebo >= r_tr - 1e-12)) / (len(ids) + 1)
    return SynthResult(
        method="Synthetic control", estimate=float(gap[post].mean()), std_error=float("nan"),
        p_value=float(p), conf_low=float("nan"), conf_high=float("nan"), alp=alp, units=ids,
        unit_weights=w, periods=periods, time_weights=None, treated_path=y1,
        synthetic_path=synth, treat_start=treat_start, null_distribution=placebo,
        notes=(f"pre-period RMSPE {np.sqrt(np.mean(gap[pre] ** 2)):.4g}; placebo p-value from "
               "post/pre RMSPE ratios; no interval",),
    )


def _sdid_fit(y1, y0, post):
    """Return (tau, omega, lambda) for one treated row ``y1`` and control rows ``y0``."""
    pre = ~post
    n0, t0, t1 = y0.shape[0], int(pre.sum()), int(post.sum())
    diffs = np.diff(y0[:, pre], axis=1)
    sigma = float(np.std(diffs, ddof=1)) if diffs.size > 1 else 0.0
    zeta_omega = t1 ** 0.25 * sigma
    zeta_lambda = 1e-6 * sigma
    # unit weights: rows = pre periods, columns = control areas, target = treated; centred
    a = y0[:, pre].T
    b = y1[pre]
    a_c, b_c = a - a.mean(axis=0), b - b.mean()
    omega = simplex_least_squares(a_c, b_c, zeta_omega**2 * t0)
    # time weights: rows = controls, columns = pre periods, target = mean post; centred
    a2 = y0[:, pre]
    b2 = y0[:, post].mean(axis=1)
    a2_c, b2_c = a2 - a2.mean(axis=0), b2 - b2.mean()
    lam = simplex_least_squares(a2_c, b2_c, zeta_lambda**2 * n0)
    tr = y1[post].mean() - lam @ y1[pre]
    co = omega @ (y0[:, post].mean(axis=1) - y0[:, pre] @ lam)
    return float(tr - co), omega, lam


def synthetic_did(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treated_unit: object,
    treat_start: float,
    alp: float = 0.05,
) -> SynthResult:
    """Synthetic difference-in-differences with placebo standard errors.

    The SE is the standard deviation (ddof 0) of the estimates obtained by
    treating each comparison area in turn as placebo treated (the treated area
    left out); the interval is ``tau +- z * SE`` and the p-value the normal
    one. With a handful of areas the placebo SE is itself noisy: read it with
    the randomization-inference p-value.
    """
    y1, y0, ids, periods, post = _area_matrix(data, yname, idname, tname, treated_unit,
                                              treat_start)
    if len(ids) < 3:
        msg = "synthetic DiD placebo SEs need at least three comparison areas"
        raise DataError(msg)
    tau, omega, lam = _sdid_fit(y1, y0, post)
    placebo = np.array([
        _sdid_fit(y0[j], np.delete(y0, j, axis=0), post)[0] for j in range(len(ids))
    ])
    se = float(np.sqrt(np.mean((placebo - placebo.mean()) ** 2)))
    z = norm.ppf(1 - alp / 2)
    p = float(2 * norm.sf(abs(tau) / se)) if se > 0 else float("nan")
    lam_full = np.zeros(len(periods))
    lam_full[~post] = lam
    # synthetic path: omega-weighted controls shifted to the treated pre-period level
    synth = omega @ y0
    shift = lam @ (y1[~post] - synth[~post])
    return SynthResult(
        method="Synthetic difference-in-differences", estimate=tau, std_error=se, p_value=p,
        conf_low=float(tau - z * se), conf_high=float(tau + z * se), alp=alp, units=ids,
        unit_weights=omega, periods=periods, time_weights=lam_full, treated_path=y1,
        synthetic_path=synth + shift, treat_start=treat_start, null_distribution=placebo,
        notes=("placebo SE over every comparison area (Arkhangelsky et al. 2021, Alg. 4)",),
    )
