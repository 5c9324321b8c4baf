"""att_gt and aggte on tiny hand-made panels, planted effects, errors and the bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.did import aggte, att_gt
from cohort.did._simulate import simulate_staggered
from cohort.exceptions import DataQualityWarning, ParameterError

KW = {"yname": "y", "tname": "t", "idname": "id", "gname": "g"}


def _two_by_two(seed=0, n_treat=7, n_ctrl=11):
    rng = np.random.default_rng(seed)
    n = n_treat + n_ctrl
    g = np.r_[np.full(n_treat, 2), np.zeros(n_ctrl)]
    y0 = rng.normal(size=n)
    y1 = y0 + rng.normal(size=n) + 0.7 * (g == 2)
    return pd.DataFrame({
        "id": np.repeat(np.arange(n), 2), "t": np.tile([1, 2], n),
        "g": np.repeat(g, 2), "y": np.column_stack([y0, y1]).ravel(),
    }), y1 - y0, g == 2


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_two_by_two_equals_hand_computation(method):
    data, dy, treated = _two_by_two()
    res = att_gt(data, est_method=method, **KW)
    att = dy[treated].mean() - dy[~treated].mean()
    se = np.sqrt(dy[treated].var() / treated.sum() + dy[~treated].var() / (~treated).sum())
    assert res.att.tolist() == pytest.approx([att], abs=1e-12)
    assert res.std_error.tolist() == pytest.approx([se], abs=1e-12)


def test_regression_adjustment_by_hand():
    rng = np.random.default_rng(3)
    n = 40
    g = np.where(np.arange(n) < 15, 2, 0)
    x = rng.normal(size=n) + 0.5 * (g == 2)
    y0 = rng.normal(size=n)
    y1 = y0 + 0.3 + 0.8 * x + 1.5 * (g == 2) + rng.normal(size=n) * 0.1
    data = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "t": np.tile([1, 2], n),
                         "g": np.repeat(g, 2), "x": np.repeat(x, 2),
                         "y": np.column_stack([y0, y1]).ravel()})
    res = att_gt(data, covariates=["x"], est_method="reg", **KW)
    dy = y1 - y0
    c = g == 0
    xc = np.column_stack([np.ones(c.sum()), x[c]])
    beta = np.linalg.lstsq(xc, dy[c], rcond=None)[0]
    att = np.mean(dy[~c] - (beta[0] + beta[1] * x[~c]))
    assert res.att[0] == pytest.approx(att, abs=1e-12)
    assert res.att[0] == pytest.approx(1.5, abs=0.15)


def _staggered_small():
    # groups 3 and 4, never treated; periods 1..4
    rng = np.random.default_rng(5)
    g = np.repeat([3, 4, 0], [6, 5, 9])
    n = len(g)
    y = rng.normal(size=(n, 4)).cumsum(axis=1)
    return pd.DataFrame({"id": np.repeat(np.arange(n), 4), "t": np.tile([1, 2, 3, 4], n),
                         "g": np.repeat(g, 4), "y": y.ravel()}), y, g


def test_cells_and_comparison_groups_by_hand():
    data, y, g = _staggered_small()
    never = att_gt(data, **KW)
    nyt = att_gt(data, control_group="notyettreated", **KW)
    cells = list(zip(never.group.tolist(), never.time.tolist(), strict=True))
    assert cells == [(3, 2), (3, 3), (3, 4), (4, 2), (4, 3), (4, 4)]

    def did(t_post, t_pre, treat, ctrl):
        d = y[:, t_post - 1] - y[:, t_pre - 1]
        return d[treat].mean() - d[ctrl].mean()

    # ATT(3,3): base period 2; never treated vs (never + group 4, not yet treated at 3)
    assert never.att[1] == pytest.approx(did(3, 2, g == 3, g == 0), abs=1e-12)
    assert nyt.att[1] == pytest.approx(did(3, 2, g == 3, (g == 0) | (g == 4)), abs=1e-12)
    # ATT(3,4): long difference from 2; group 4 is treated at 4, so not a control
    assert nyt.att[2] == pytest.approx(did(4, 2, g == 3, g == 0), abs=1e-12)
    # pre-period ATT(4,2) with varying base: change from 1 to 2
    assert never.att[3] == pytest.approx(did(2, 1, g == 4, g == 0), abs=1e-12)


def test_universal_base_period():
    data, y, g = _staggered_small()
    uni = att_gt(data, base_period="universal", **KW)
    var = att_gt(data, **KW)
    tidy = uni.tidy()
    # the reference cell t = g - 1 is zero by construction, with no SE
    ref = tidy[(tidy.group == 4) & (tidy.time == 3)]
    assert ref.estimate.item() == 0.0 and np.isnan(ref.std_error.item())
    # pre-period cell (4, 1) is the difference 1 -> 3 with reversed sign
    d = y[:, 0] - y[:, 2]
    cell = tidy[(tidy.group == 4) & (tidy.time == 1)].estimate.item()
    assert cell == pytest.approx(d[g == 4].mean() - d[g == 0].mean(), abs=1e-12)
    # post-treatment cells agree with the varying base period
    post_u = tidy[tidy.post].estimate.to_numpy()
    post_v = var.tidy().query("post").estimate.to_numpy()
    np.testing.assert_allclose(post_u, post_v, atol=1e-12)


def test_planted_effect_recovered_within_ci():
    data = simulate_staggered(3000, 6, effect=0.5, seed=11)
    res = att_gt(data, **KW)
    for kind in ("simple", "group", "dynamic", "calendar"):
        a = aggte(res, type=kind)
        lo, hi = a.overall_att - 1.96 * a.overall_se, a.overall_att + 1.96 * a.overall_se
        assert lo < 0.5 < hi, kind
    dyn = aggte(res, type="dynamic")
    pre = dyn.att_egt[dyn.egt < 0]
    assert np.all(np.abs(pre / dyn.se_egt[dyn.egt < 0]) < 3.5)
    assert res.wald_pvalue is not None and res.wald_pvalue > 0.001


def test_dynamic_window_and_balance():
    data = simulate_staggered(1500, 6, effect=1.0, dynamic=0.5, seed=2)
    res = att_gt(data, **KW)
    dyn = aggte(res, type="dynamic", min_e=-2, max_e=2)
    assert dyn.egt.tolist() == [-2, -1, 0, 1, 2]
    np.testing.assert_allclose(dyn.att_egt[2:], [1.0, 1.5, 2.0], atol=0.2)
    bal = aggte(res, type="dynamic", balance_e=1)
    # balanced on e = 1: only groups observed at e = 1 (g <= 5), event times up to 1
    assert bal.egt.max() == 1
    with pytest.raises(ParameterError, match="no event times"):
        aggte(res, type="dynamic", min_e=10)


def test_cluster_on_unit_equals_unclustered(mpdta):
    kw = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
    a = att_gt(mpdta, **kw)
    d = mpdta.assign(unit=mpdta.countyreal)
    b = att_gt(d, clustervars="unit", **kw)
    np.testing.assert_allclose(a.std_error, b.std_error, atol=1e-14)
    # a coarser cluster changes the SEs
    d2 = mpdta.assign(state=mpdta.countyreal // 1000)
    c = att_gt(d2, clustervars=["countyreal", "state"], **kw)
    assert np.max(np.abs(c.std_error - a.std_error)) > 1e-4
    assert aggte(c, type="simple").overall_se != pytest.approx(aggte(a, type="simple").overall_se)
    # the cluster bootstrap agrees with the clustered analytic SEs
    cb = att_gt(d2, clustervars="state", bstrap=True, biters=999, seed=4, **kw)
    np.testing.assert_allclose(cb.std_error, c.std_error, rtol=0.3)
    assert np.max(np.abs(cb.std_error / c.std_error - 1)) > 0  # a different computation


def test_bootstrap_close_to_analytic_and_seeded(mpdta):
    kw = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
    a = att_gt(mpdta, **kw)
    b = att_gt(mpdta, bstrap=True, cband=True, biters=999, seed=1, **kw)
    b2 = att_gt(mpdta, bstrap=True, cband=True, biters=999, seed=1, **kw)
    np.testing.assert_array_equal(b.std_error, b2.std_error)
    np.testing.assert_allclose(b.std_error, a.std_error, rtol=0.15)
    np.testing.assert_array_equal(b.att, a.att)
    assert 2.2 < b.crit_val < 3.6  # simultaneous over 12 cells: above 1.96
    dyn = aggte(b, type="dynamic")
    assert dyn.cband and dyn.crit_val_egt > 1.96
    dyn_a = aggte(a, type="dynamic")
    np.testing.assert_allclose(dyn.se_egt, dyn_a.se_egt, rtol=0.15)
    tidy = dyn.tidy()
    width = (tidy.conf_high - tidy.conf_low)[1:].to_numpy()
    np.testing.assert_allclose(width, 2 * dyn.crit_val_egt * dyn.se_egt)


def test_unbalanced_units_dropped_with_warning():
    data, _, _ = _staggered_small()
    holed = data.drop(index=[0, 9])  # two units lose a period
    with pytest.warns(DataQualityWarning, match="2 units are missing"):
        res = att_gt(holed, **KW)
    assert res.n_units == 18
    assert res.unit_ids.tolist() == [i for i in range(20) if i not in (0, 2)]
    assert res.influence.shape == (18, len(res.att))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"control_group": "never"}, "control_group must be one of"),
        ({"est_method": "ols"}, "est_method must be one of"),
        ({"base_period": "fixed"}, "base_period must be one of"),
        ({"cband": True}, "cband=True needs bstrap=True"),
        ({"anticipation": -1}, "anticipation"),
        ({"yname": "nope"}, "yname='nope' is not a column"),
        ({"xformla": "~ nope"}, "cannot be evaluated"),
        ({"covariates": ["y"], "xformla": "~ y"}, "not both"),
    ],
)
def test_parameter_errors(kwargs, match):
    data, _, _ = _staggered_small()
    with pytest.raises(ParameterError, match=match):
        att_gt(data, **{**KW, **kwargs})


def test_no_never_treated_uses_last_cohort_rule():
    data, _, _ = _staggered_small()
    d = data[data.g != 0]
    with pytest.warns(UserWarning):
        never = att_gt(d, **KW)  # last cohort becomes the comparison group
    assert never.groups.tolist() == [3]
    assert never.times.tolist() == [1, 2, 3]
    nyt = att_gt(d, control_group="notyettreated", **KW)
    assert nyt.groups.tolist() == [3]
    np.testing.assert_allclose(nyt.att, never.att, atol=1e-12)


def test_failed_cell_is_missing_and_aggte_needs_na_rm():
    data, _, g = _staggered_small()
    # x constant among the never treated: the outcome regression on them alone is singular
    x = np.where(g == 0, 1.0, np.arange(len(g), dtype=float))
    data = data.assign(x=np.repeat(x, 4))
    with pytest.warns(UserWarning, match="not estimated"):
        res = att_gt(data, covariates=["x"], est_method="reg", control_group="notyettreated", **KW)
    tidy = res.tidy()
    bad = tidy[tidy.estimate.isna()]
    assert {(3.0, 4.0)} <= set(zip(bad.group, bad.time, strict=True))
    assert tidy.loc[(tidy.group == 3) & (tidy.time == 3), "estimate"].notna().item()
    with pytest.raises(ParameterError, match="na_rm=True"):
        aggte(res, type="simple")
    agg = aggte(res, type="simple", na_rm=True)
    assert np.isfinite(agg.overall_att) and np.isfinite(agg.overall_se)


def test_results_frozen_and_rendered(mpdta):
    kw = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
    res = att_gt(mpdta, **kw)
    with pytest.raises(ValueError, match="read-only"):
        res.att[0] = 1.0
    with pytest.raises(AttributeError):
        res.alp = 0.1  # type: ignore[misc]
    assert "Group-time average treatment effects" in res.summary()
    assert "<table" in res._repr_html_()
    assert "Wald pre-test" in res.summary()
    assert list(res.tidy().columns[:3]) == ["term", "group", "time"]
    agg = aggte(res, type="group")
    assert agg.tidy().term.tolist() == ["overall", "group=2004", "group=2006", "group=2007"]


def test_aggte_checks_its_input():
    with pytest.raises(ParameterError, match="AttGtResult"):
        aggte("not a result", type="simple")  # type: ignore[arg-type]
    data, _, _ = _staggered_small()
    res = att_gt(data, **KW)
    with pytest.raises(ParameterError, match="type must be one of"):
        aggte(res, type="event")
    with pytest.raises(ParameterError, match="cband=True needs bstrap=True"):
        aggte(res, type="dynamic", cband=True)


def test_ipw_logit_and_trimming_by_hand():
    import statsmodels.api as sm

    rng = np.random.default_rng(12)
    n = 400
    x = rng.normal(size=n)
    treated = rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 3.0 * x)))
    x[np.flatnonzero(~treated)[:3]] = 3.0  # controls with a propensity score above 0.995
    g = np.where(treated, 2, 0)
    y0 = rng.normal(size=n)
    dy = 0.5 * x + 1.0 * treated + rng.normal(size=n)
    data = pd.DataFrame({"id": np.repeat(np.arange(n), 2), "t": np.tile([1, 2], n),
                         "g": np.repeat(g, 2), "x": np.repeat(x, 2),
                         "y": np.column_stack([y0, y0 + dy]).ravel()})
    res = att_gt(data, covariates=["x"], est_method="ipw", **KW)
    xm = sm.add_constant(x)
    glm = sm.GLM(treated.astype(float), xm, family=sm.families.Binomial())
    ps = glm.fit(tol=1e-12).fittedvalues
    ps = np.minimum(ps, 1 - 1e-6)
    keep = treated | (ps < 0.995)
    assert (~keep).sum() == 3  # trimming is exercised
    w1 = treated.astype(float)
    w0 = keep * ps * (~treated) / (1 - ps)
    att = np.sum(w1 * dy) / w1.sum() - np.sum(w0 * dy) / w0.sum()
    assert res.att[0] == pytest.approx(att, abs=1e-8)


@pytest.mark.parametrize("method", ["dr", "ipw"])
def test_cached_propensity_score_equals_per_cell_fit(method):
    from cohort.did._drdid import ESTIMATORS

    d = simulate_staggered(800, 5, covariate=True, seed=13)
    res = att_gt(d, covariates=["x"], est_method=method, **KW)
    tidy = res.tidy()
    wide = d.pivot(index="id", columns="t", values="y")
    unit = d.groupby("id")[["g", "x"]].first()
    # ATT(4, 5): the group's third cell, computed from scratch
    keep = unit.g.isin([0, 4]).to_numpy()
    dy = (wide[5] - wide[3]).to_numpy()[keep]
    x = np.column_stack([np.ones(keep.sum()), unit.x.to_numpy()[keep]])
    dd = (unit.g.to_numpy()[keep] == 4).astype(float)
    att, inf = ESTIMATORS[method](dy, dd, x, np.ones(keep.sum()))
    cell = tidy[(tidy.group == 4) & (tidy.time == 5)]
    assert cell.estimate.item() == pytest.approx(att, abs=1e-12)
    se = np.sqrt(np.sum((len(unit) / keep.sum() * inf) ** 2)) / len(unit)
    assert cell.std_error.item() == pytest.approx(se, abs=1e-12)
