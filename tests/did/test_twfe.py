"""TWFE, event-study and 2x2 regressions against statsmodels with explicit dummies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from cohort.did import did_2x2, event_study, twfe
from cohort.did._simulate import simulate_staggered
from cohort.exceptions import DataError, ParameterError


def _panel(seed=0, n=12, periods=5, drop=0):
    d = simulate_staggered(n, periods, effect=0.8, seed=seed)
    d["d"] = ((d.g > 0) & (d.t >= d.g)).astype(int)
    d["x"] = d.x + np.random.default_rng(seed).normal(size=len(d))
    d["state"] = d.id % 4
    if drop:
        d = d.drop(index=np.random.default_rng(seed + 1).choice(len(d), drop, replace=False))
    return d.reset_index(drop=True)


@pytest.mark.parametrize("drop", [0, 7])
@pytest.mark.parametrize("covs", [[], ["x"]])
def test_twfe_equals_dummies_regression(drop, covs):
    d = _panel(drop=drop)
    rhs = " + ".join(["d", *covs, "C(id)", "C(t)"])
    ref = smf.ols(f"y ~ {rhs}", d).fit(cov_type="cluster", cov_kwds={"groups": d.id})
    res = twfe(d, yname="y", idname="id", tname="t", treatname="d", covariates=covs)
    tidy = res.tidy().set_index("term")
    for term in ["d", *covs]:
        assert tidy.loc[term, "estimate"] == pytest.approx(ref.params[term], abs=1e-9)
        assert tidy.loc[term, "std_error"] == pytest.approx(ref.bse[term], rel=1e-8)
    assert res.n_obs == len(d)


def test_twfe_cluster_other_than_unit():
    d = _panel()
    ref = smf.ols("y ~ d + C(id) + C(t)", d).fit(cov_type="cluster", cov_kwds={"groups": d.state})
    res = twfe(d, yname="y", idname="id", tname="t", treatname="d", cluster="state")
    assert res.std_error[0] == pytest.approx(ref.bse["d"], rel=1e-8)
    assert res.n_clusters == 4


@pytest.mark.parametrize("covs", [[], ["x"]])
def test_event_study_equals_dummies_regression(covs):
    d = _panel(n=30, periods=6)
    res = event_study(d, yname="y", idname="id", tname="t", gname="g", leads=2, lags=2,
                      covariates=covs)
    e = np.where(d.g > 0, d.t - d.g, np.nan)
    eb = np.clip(e, -2, 2)
    cols = {}
    for v in (-2, 0, 1, 2):
        name = f"ev{v + 2}"
        d[name] = (eb == v).astype(float)
        cols[name] = v
    ref = smf.ols("y ~ " + " + ".join([*cols, *covs]) + " + C(id) + C(t)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d.id})
    assert res.terms == ("e<=-2", "e=0", "e=1", "e>=2")
    assert res.event_time.tolist() == [-2, 0, 1, 2]
    np.testing.assert_allclose(res.estimate, ref.params[list(cols)].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(res.std_error, ref.bse[list(cols)].to_numpy(), rtol=1e-8)


def test_event_study_recovers_planted_dynamics():
    d = simulate_staggered(600, 8, effect=1.0, dynamic=0.25, share_never=0.5, seed=4)
    res = event_study(d, yname="y", idname="id", tname="t", gname="g", leads=3, lags=3)
    tidy = res.tidy().set_index("event_time")
    for e, truth in ((-3, 0.0), (-2, 0.0), (0, 1.0), (1, 1.25), (2, 1.5)):
        assert tidy.loc[e, "conf_low"] < truth < tidy.loc[e, "conf_high"], e
    with pytest.raises(ParameterError, match="reference"):
        event_study(d, yname="y", idname="id", tname="t", gname="g", leads=1, lags=1,
                    reference=-3)


def test_did_2x2_by_hand_and_hc1():
    rng = np.random.default_rng(2)
    n = 80
    d = pd.DataFrame({"treat": rng.integers(0, 2, n), "post": rng.integers(0, 2, n)})
    d["y"] = 1 + 0.5 * d.treat + 0.3 * d.post + 2.0 * d.treat * d.post + rng.normal(size=n)
    res = did_2x2(d, yname="y", treatname="treat", postname="post")
    m = d.groupby(["treat", "post"]).y.mean()
    hand = (m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0])
    tidy = res.tidy().set_index("term")
    assert tidy.loc["treat:post", "estimate"] == pytest.approx(hand, abs=1e-12)
    ref = smf.ols("y ~ treat * post", d).fit(cov_type="HC1")
    assert tidy.loc["treat:post", "std_error"] == pytest.approx(ref.bse["treat:post"], rel=1e-10)
    d["pair"] = np.arange(n) // 4
    clus = did_2x2(d, yname="y", treatname="treat", postname="post", cluster="pair")
    ref_c = smf.ols("y ~ treat * post", d).fit(cov_type="cluster", cov_kwds={"groups": d.pair})
    assert clus.std_error[3] == pytest.approx(ref_c.bse["treat:post"], rel=1e-10)
    assert clus.n_clusters == 20
    with pytest.raises(DataError, match="0/1"):
        did_2x2(d.assign(post=d.post * 2), yname="y", treatname="treat", postname="post")


def test_model_result_outputs():
    d = _panel()
    res = twfe(d, yname="y", idname="id", tname="t", treatname="d")
    assert list(res.tidy().columns) == ["term", "estimate", "std_error", "statistic",
                                        "p_value", "conf_low", "conf_high"]
    assert "Two-way fixed effects" in res.summary()
    assert "<table" in res._repr_html_()
    with pytest.raises(ParameterError, match="treatname='nope'"):
        twfe(d, yname="y", idname="id", tname="t", treatname="nope")


def test_sup_t_critical_value_against_closed_forms():
    from scipy.stats import norm

    from cohort.did import ModelResult

    def model(vcov):
        k = len(vcov)
        return ModelResult(method="m", terms=tuple(f"b{i}" for i in range(k)),
                           estimate=np.zeros(k), std_error=np.sqrt(np.diag(vcov)),
                           df_resid=100.0, n_obs=100, n_clusters=None, alp=0.05,
                           vcov=np.asarray(vcov, dtype=float))

    # independent coefficients: the Sidak quantile, whatever their scales
    k = 5
    c = model(np.diag([1.0, 4.0, 0.25, 9.0, 1.0])).sup_t_critical(draws=400_000)
    assert c == pytest.approx(norm.ppf((1 + 0.95 ** (1 / k)) / 2), abs=0.01)
    # perfectly correlated coefficients: one test, the pointwise quantile
    c = model(np.full((4, 4), 2.0)).sup_t_critical(draws=400_000)
    assert c == pytest.approx(norm.ppf(0.975), abs=0.01)
    # between the pointwise and the Bonferroni quantiles for correlated ones
    v = 0.5 * np.eye(3) + 0.5
    c = model(v).sup_t_critical()
    assert norm.ppf(0.975) < c < norm.ppf(1 - 0.025 / 3)
