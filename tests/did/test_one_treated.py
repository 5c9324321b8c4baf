"""Inference with one treated area: hand checks, brute force and a coverage simulation."""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest

from cohort.did import conley_taber, randomization_inference, twfe, wild_cluster_bootstrap
from cohort.did._twfe import demean_two_way
from cohort.exceptions import DataError, ParameterError

KW = {"yname": "y", "idname": "area", "tname": "t"}


def _areas(seed, n_areas=6, n_t=4, start=2, effect=1.0, per_cell=1):
    rng = np.random.default_rng(seed)
    area = np.repeat(np.arange(n_areas), n_t * per_cell)
    t = np.tile(np.repeat(np.arange(n_t), per_cell), n_areas)
    shock = rng.normal(size=(n_areas, n_t))
    d = ((area == 0) & (t >= start)).astype(int)
    y = (rng.normal(size=n_areas)[area] + rng.normal(size=n_t)[t] + shock[area, t]
         + 0.3 * rng.normal(size=len(area)) + effect * d)
    return pd.DataFrame({"area": area, "t": t, "y": y, "d": d})


def test_randomization_inference_by_hand():
    # 4 areas, 2 periods: changes D = (3, 1, 0, -1); area 0 treated
    d = pd.DataFrame({"area": np.repeat([0, 1, 2, 3], 2), "t": [0, 1] * 4,
                      "y": [0, 3, 0, 1, 5, 5, 2, 1]})
    res = randomization_inference(d, **KW, treated_unit=0, treat_start=1, alp=0.5)
    tau = np.array([3, 1, 0, -1]) - (3 - np.array([3, 1, 0, -1])) / 3
    assert res.estimate == pytest.approx(3 - 0)  # 3 - mean(1, 0, -1)
    np.testing.assert_allclose(res.null_distribution, tau)
    assert res.p_value == pytest.approx(0.25)  # only area 0 is as extreme
    # the interval: tau0 accepted iff p(tau0) > 0.5, checked by recomputing the data
    for tau0 in np.linspace(res.conf_low - 1, res.conf_high + 1, 41):
        shifted = d.assign(y=d.y - tau0 * ((d.area == 0) & (d.t == 1)))
        p = randomization_inference(shifted, **KW, treated_unit=0, treat_start=1).p_value
        inside = res.conf_low < tau0 < res.conf_high
        if inside:
            assert p > 0.5, tau0
        elif tau0 < res.conf_low - 1e-9 or tau0 > res.conf_high + 1e-9:
            assert p <= 0.5, tau0


def test_randomization_interval_unbounded_with_few_areas():
    res = randomization_inference(_areas(0), **KW, treated_unit=0, treat_start=2)
    assert res.conf_low == -np.inf and res.conf_high == np.inf  # 1/6 > 0.05
    assert res.p_value >= 1 / 6


def test_conley_taber_by_hand():
    d = _areas(1, n_areas=7)
    res = conley_taber(d, **KW, treated_unit=0, treat_start=2, alp=0.2, interval="quantile")
    m = d.groupby(["area", "t"]).y.mean().unstack()
    change = m[[2, 3]].mean(axis=1) - m[[0, 1]].mean(axis=1)
    ctrl = change.drop(0).to_numpy()
    est = change[0] - ctrl.mean()
    eta = ctrl - (ctrl.sum() - ctrl) / (len(ctrl) - 1)
    assert res.estimate == pytest.approx(est, abs=1e-12)
    np.testing.assert_allclose(np.sort(res.null_distribution), np.sort(eta), atol=1e-12)
    s = np.sort(eta)  # type-1 quantiles of 6 values at 0.1 and 0.9: 1st and 6th
    assert res.conf_low == pytest.approx(est - s[5])
    assert res.conf_high == pytest.approx(est - s[0])
    assert res.estimate == pytest.approx(
        twfe(d, **KW, treatname="d").estimate[0], abs=1e-10)  # same DiD as TWFE


@pytest.mark.parametrize("with_covariate", [False, True])
def test_wild_bootstrap_equals_brute_force(with_covariate):
    d = _areas(2, n_areas=5, per_cell=3)
    d["x"] = np.random.default_rng(7).normal(size=len(d))
    covs = ["x"] if with_covariate else []
    b0 = 0.4
    res = wild_cluster_bootstrap(d, **KW, treatname="d", null=b0, biters=99, conf_int=False,
                                 covariates=covs)
    unit = d.area.to_numpy()
    time = d.t.to_numpy()
    y0 = d.y.to_numpy() - b0 * d.d.to_numpy()
    u = demean_two_way(y0[:, None], unit, time)[:, 0]  # restricted residuals
    if with_covariate:
        xd = demean_two_way(d[["x"]].to_numpy(), unit, time)
        u = u - xd @ np.linalg.lstsq(xd, u, rcond=None)[0]
    fitted = d.y.to_numpy() - u
    brute = []
    for v in product((-1.0, 1.0), repeat=5):
        ystar = fitted + np.asarray(v)[unit] * u
        r = twfe(d.assign(y=ystar), **KW, treatname="d", covariates=covs)
        brute.append((r.estimate[0] - b0) / r.std_error[0])
    np.testing.assert_allclose(np.sort(res.null_distribution), np.sort(brute), atol=1e-9)
    full = twfe(d, **KW, treatname="d", covariates=covs)
    assert res.estimate == pytest.approx(full.estimate[0], abs=1e-12)
    assert res.std_error == pytest.approx(full.std_error[0], rel=1e-10)
    t_obs = (res.estimate - b0) / res.std_error
    assert res.p_value == pytest.approx(np.mean(np.abs(brute) >= abs(t_obs) - 1e-12))


def test_wild_bootstrap_webb_seeded_and_interval():
    d = _areas(3, n_areas=8, per_cell=2)
    a = wild_cluster_bootstrap(d, **KW, treatname="d", weights="webb", biters=399, seed=5)
    b = wild_cluster_bootstrap(d, **KW, treatname="d", weights="webb", biters=399, seed=5)
    assert a.p_value == b.p_value and a.conf_low == b.conf_low
    assert a.conf_low < a.estimate < a.conf_high
    with pytest.raises(ParameterError, match="weights must be one of"):
        wild_cluster_bootstrap(d, **KW, treatname="d", weights="mammen")


def test_one_treated_errors():
    d = _areas(0)
    with pytest.raises(ParameterError, match="treated_unit"):
        conley_taber(d, **KW, treated_unit=99, treat_start=2)
    with pytest.raises(ParameterError, match="treat_start"):
        randomization_inference(d, **KW, treated_unit=0, treat_start=0)
    with pytest.raises(DataError, match="at least two comparison"):
        conley_taber(d[d.area < 2], **KW, treated_unit=0, treat_start=2)


def test_coverage_one_treated_cluster():
    """Cluster-robust intervals under-cover with one treated area; RI and CT do not.

    20 areas, 6 periods, area-period shocks; 60 seeded replications. The long
    version (``python -m cohort.did._coverage``) is reported in docs/methods/did.md.
    """
    from cohort.did._coverage import coverage_simulation

    cov = coverage_simulation(reps=60, n_areas=20, seed=123, wild_bootstrap=False)
    assert cov["cluster_robust"] < 0.7
    assert cov["randomization"] >= 0.85
    assert cov["conley_taber"] >= 0.8
