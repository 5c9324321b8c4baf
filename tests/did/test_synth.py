"""Synthetic control and synthetic DiD: exact cases, weighted-TWFE identity, placebos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from cohort.did import synthetic_control, synthetic_did
from cohort.did._synth import simplex_least_squares
from cohort.exceptions import DataError, ParameterError

KW = {"yname": "y", "idname": "area", "tname": "t"}


def _long(y: np.ndarray) -> pd.DataFrame:
    n, t = y.shape
    return pd.DataFrame({"area": np.repeat(np.arange(n), t), "t": np.tile(np.arange(t), n),
                         "y": y.ravel()})


def _factor_panel(seed, n=9, t=10, start=7, effect=2.0, noise=0.05):
    rng = np.random.default_rng(seed)
    load = rng.uniform(0.5, 1.5, size=n)
    f = np.cumsum(rng.normal(size=t))
    y = rng.normal(size=n)[:, None] + load[:, None] * f[None, :] + noise * rng.normal(size=(n, t))
    y[0, start:] += effect
    return y


def test_simplex_least_squares_matches_slsqp():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(12, 6)), rng.normal(size=12)
    for pen in (0.0, 0.7):
        w = simplex_least_squares(a, b, pen)
        obj = lambda v, pen=pen: np.sum((a @ v - b) ** 2) + pen * v @ v  # noqa: E731
        ref = minimize(obj, np.full(6, 1 / 6), method="SLSQP", bounds=[(0, 1)] * 6,
                       constraints={"type": "eq", "fun": lambda v: v.sum() - 1},
                       options={"ftol": 1e-14, "maxiter": 1000})
        assert w.sum() == pytest.approx(1) and (w >= 0).all()
        assert obj(w) <= ref.fun + 1e-9


def test_synthetic_control_exact_convex_combination():
    rng = np.random.default_rng(1)
    y0 = rng.normal(size=(5, 8)).cumsum(axis=1)
    w_true = np.array([0.5, 0.3, 0.2, 0.0, 0.0])
    y1 = w_true @ y0
    y1[5:] += 1.5
    res = synthetic_control(_long(np.vstack([y1, y0])), **KW, treated_unit=0, treat_start=5)
    np.testing.assert_allclose(res.unit_weights, w_true, atol=1e-6)
    assert res.estimate == pytest.approx(1.5, abs=1e-5)
    assert res.p_value == pytest.approx(1 / 6)  # the treated ratio is the largest
    assert res.weights().unit.iloc[0] == 1


def test_sdid_parallel_trends_exact():
    rng = np.random.default_rng(2)
    y = rng.normal(size=7)[:, None] + rng.normal(size=9)[None, :]
    y[0, 6:] += 0.8
    res = synthetic_did(_long(y), **KW, treated_unit=0, treat_start=6)
    assert res.estimate == pytest.approx(0.8, abs=1e-8)


def test_sdid_equals_weighted_twfe():
    y = _factor_panel(3)
    res = synthetic_did(_long(y), **KW, treated_unit=0, treat_start=7)
    n, t = y.shape
    post = np.arange(t) >= 7
    unit_w = np.r_[1.0, res.unit_weights]
    time_w = np.where(post, 1 / post.sum(), res.time_weights)
    d = _long(y)
    d["d"] = ((d.area == 0) & (d.t >= 7)).astype(float)
    x = pd.get_dummies(d[["area", "t"]].astype(str), drop_first=True).astype(float)
    x.insert(0, "d", d["d"])
    x.insert(0, "const", 1.0)
    wts = unit_w[d.area] * time_w[d.t]
    keep = wts > 0
    sw = np.sqrt(wts[keep])[:, None]
    coef = np.linalg.lstsq(x[keep].to_numpy() * sw, d.y[keep].to_numpy() * sw[:, 0],
                           rcond=None)[0]
    assert res.estimate == pytest.approx(coef[1], abs=1e-6)  # column 0 is the constant
    assert res.time_weights[post].sum() == 0 and res.time_weights.sum() == pytest.approx(1)


def test_sdid_planted_effect_and_placebo_se():
    y = _factor_panel(4, n=15, noise=0.3)
    res = synthetic_did(_long(y), **KW, treated_unit=0, treat_start=7)
    assert res.conf_low < 2.0 < res.conf_high
    assert len(res.null_distribution) == 14
    assert res.std_error == pytest.approx(np.std(res.null_distribution))
    assert "Synthetic difference-in-differences" in res.summary()
    assert res.gaps().shape == (10, 4)


def test_synth_errors():
    y = _factor_panel(5)
    with pytest.raises(ParameterError, match="treat_start"):
        synthetic_did(_long(y), **KW, treated_unit=0, treat_start=1)
    with pytest.raises(DataError, match="comparison areas"):
        synthetic_control(_long(y[:2]), **KW, treated_unit=0, treat_start=7)
