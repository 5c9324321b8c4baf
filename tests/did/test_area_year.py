"""Inference that matches the number of areas (issue 20, items 1 and 2).

Area-year inference for the child-level models (the cells' algebra by brute force,
the classical OLS on cells, refusal of regressors that vary within a cell), the
Conley-Taber p-value with the "+1" (never 0: a property test), its symmetric
interval and size correction by hand, what the placebo-area methods can deliver
with J areas, and a coverage simulation with area-by-year shocks where the
child-level standard errors under-cover (4 and 21 areas x 11 exam years).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.did import (
    conley_taber,
    dose_response,
    event_study,
    one_treated_limits,
    randomization_inference,
    twfe,
)
from cohort.did._area_year import area_year_vcov
from cohort.did._coverage import area_year_coverage, children_draw
from cohort.exceptions import ModelError, ParameterError

KW = {"yname": "y", "idname": "area", "tname": "t"}


def _kids(seed=0, n_areas=5, shock_sd=0.05):
    return children_draw(np.random.default_rng(seed), n_areas=n_areas, n_t=6, start=4,
                         shock_sd=shock_sd, sizes=(8, 20))


# ---------------------------------------------------------------- area-year variance


def test_area_year_keeps_the_child_level_estimate():
    kids = _kids()
    a = twfe(kids, **KW, treatname="d", cluster="pid")
    b = twfe(kids, **KW, treatname="d", cluster="pid", inference="area_year")
    assert b.estimate[0] == pytest.approx(a.estimate[0], abs=1e-12)
    assert b.n_clusters == 5 * 6  # the cells
    assert b.df_resid == 5 * 6 - (1 + 5 + 6 - 1)  # cells minus parameters
    assert "area-period cells" in b.notes[0]


def test_area_year_variance_is_the_child_level_sandwich_by_brute_force():
    """The cell algebra equals the child-level sandwich with explicit dummies and
    the covariance ``s2_a`` within a cell plus each cell's own sample variance."""
    kids = _kids(1, shock_sd=0.2)
    es = event_study(kids, **KW, gname="g", cluster="pid", inference="area_year")
    _, _, info = area_year_vcov(
        kids["y"].to_numpy(), np.column_stack([(kids["t"] - kids["g"] == e) & (kids["g"] > 0)
                                               for e in es.event_time]).astype(float),
        pd.factorize(kids["area"], sort=True)[0], pd.factorize(kids["t"], sort=True)[0])
    s2a = info["sd_area_year"] ** 2
    cell = kids["area"].astype(str) + ":" + kids["t"].astype(str)
    x = np.column_stack([((kids["t"] - kids["g"]) == e) & (kids["g"] > 0)
                         for e in es.event_time]).astype(float)
    dummies = np.column_stack([pd.get_dummies(kids["area"], dtype=float).to_numpy(),
                               pd.get_dummies(kids["t"], dtype=float).to_numpy()[:, 1:]])
    full = np.column_stack([x, dummies])
    s2 = kids.groupby(cell)["y"].var(ddof=1)
    same = (cell.to_numpy()[:, None] == cell.to_numpy()[None, :]).astype(float)
    v = s2a * same + np.diag(cell.map(s2).to_numpy())
    bread = np.linalg.inv(full.T @ full)
    brute = (bread @ full.T @ v @ full @ bread)[: x.shape[1], : x.shape[1]]
    np.testing.assert_allclose(es.vcov, brute, rtol=1e-9, atol=1e-14)
    assert s2a > 0


def test_area_year_on_one_row_per_cell_is_classical_ols():
    """An area-year panel of shares: the classical OLS variance of the dummies regression."""
    import statsmodels.api as sm

    kids = _kids(2)
    cells = kids.groupby(["area", "t"]).agg(y=("y", "mean"), d=("d", "first")).reset_index()
    got = twfe(cells, **KW, treatname="d", inference="area_year")
    x = pd.get_dummies(cells[["area", "t"]].astype(str), drop_first=True, dtype=float)
    ols = sm.OLS(cells["y"], sm.add_constant(pd.concat([cells[["d"]], x], axis=1))).fit()
    assert got.estimate[0] == pytest.approx(ols.params["d"], abs=1e-12)
    assert got.std_error[0] == pytest.approx(ols.bse["d"], rel=1e-9)
    assert got.df_resid == ols.df_resid
    row = got.tidy().iloc[0]
    assert row.conf_low == pytest.approx(ols.conf_int().loc["d", 0], rel=1e-9)


def test_area_year_refuses_regressors_varying_within_a_cell():
    kids = _kids(3).assign(x=lambda d: np.random.default_rng(0).normal(size=len(d)))
    with pytest.raises(ModelError, match="constant within each area and period"):
        twfe(kids, **KW, treatname="d", covariates=["x"], inference="area_year")
    with pytest.raises(ParameterError, match="inference must be one of"):
        twfe(kids, **KW, treatname="d", inference="children")


def test_dose_bins_by_area_year_cells_are_the_event_time_effects():
    """An ITT dose that is one value per treated period: its bins are the treated
    periods' effects, with area-year SEs, the same as the TWFE on each period."""
    kids = _kids(4)
    kids["dose"] = np.where(kids["d"] > 0, kids["t"] - 4 + 0.5, 0.0)
    res = dose_response(kids, yname="y", dname="dose", idname="area", tname="t",
                        basis="bins", inference="area_year")
    for k, (att, se) in enumerate(zip(res.att, res.att_se, strict=True)):
        one = kids[(kids["t"] < 4) | (kids["t"] == 4 + k)]
        ref = twfe(one, **KW, treatname="d", inference="area_year")
        assert att == pytest.approx(ref.estimate[0], abs=1e-10)
        assert se > 0
    assert res.n_clusters == 30 and "area-period cells" in res.notes[0]


# ---------------------------------------------------------------- what J areas allow


def test_one_treated_limits():
    three = one_treated_limits(3)
    assert three == {"n_comparison": 3, "smallest_p": 0.25, "interval": False, "level": 1.0}
    assert one_treated_limits(18)["interval"] is False
    nineteen = one_treated_limits(19)
    assert nineteen["interval"] and nineteen["level"] == pytest.approx(0.95)
    assert one_treated_limits(25)["level"] == pytest.approx(25 / 26)
    assert one_treated_limits(9, alp=0.2)["level"] == pytest.approx(0.8)
    with pytest.raises(ParameterError):
        one_treated_limits(0)


def _panel(changes, sizes=None, pre=2, post=2, seed=0):
    """Area x period means whose post-minus-pre change is ``changes`` per area."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, c in enumerate(changes):
        base = rng.normal()
        for t in range(pre + post):
            rows.append({"area": a, "t": t, "y": base + (c if t >= pre else 0.0),
                         "n": (sizes or [10] * len(changes))[a]})
    return pd.DataFrame(rows)


def test_conley_taber_p_value_counts_the_observed_assignment():
    d = _panel([5.0, 0.1, -0.2, 0.3, 0.05])
    res = conley_taber(d, **KW, treated_unit=0, treat_start=2)
    assert res.p_value == pytest.approx(1 / 5)  # no placebo as extreme: 1/(J+1), not 0
    assert res.conf_low == -np.inf and res.conf_high == np.inf  # J = 4 < 19
    assert any("descriptive" in n for n in res.notes)


def test_conley_taber_symmetric_interval_by_hand():
    rng = np.random.default_rng(5)
    changes = np.r_[1.0, rng.normal(size=25)]
    res = conley_taber(_panel(list(changes)), **KW, treated_unit=0, treat_start=2)
    ctrl = changes[1:]
    est = changes[0] - ctrl.mean()
    eta = ctrl - (ctrl.sum() - ctrl) / (len(ctrl) - 1)
    k = int(np.floor(0.05 * 26))  # 1: the largest |eta|
    a_k = np.sort(np.abs(eta))[::-1][k - 1]
    assert res.conf_low == pytest.approx(est - a_k) and res.conf_high == pytest.approx(est + a_k)
    assert res.p_value == pytest.approx((1 + np.sum(np.abs(eta) >= abs(est))) / 26)
    # the test it inverts: tau0 inside iff (1 + #{|eta| >= |est - tau0|}) / (J+1) > 0.05
    for tau0 in np.linspace(est - 2 * a_k, est + 2 * a_k, 41):
        p = (1 + np.sum(np.abs(eta) >= abs(est - tau0) - 1e-12)) / 26
        assert (p > 0.05) == (res.conf_low <= tau0 <= res.conf_high), tau0


def test_conley_taber_size_correction_by_hand():
    rng = np.random.default_rng(7)
    sizes = [5] + list(rng.integers(5, 200, size=24))
    changes = [0.3] + [rng.normal(0, np.sqrt(0.01 + 1.0 / s)) for s in sizes[1:]]
    d = _panel(changes, sizes)
    res = conley_taber(d, **KW, treated_unit=0, treat_start=2, sizename="n")
    assert res.method == "Conley-Taber, size-corrected"
    from scipy.optimize import nnls

    h = np.array([(2 / s) / 4 + (2 / s) / 4 for s in sizes])  # two periods each side
    ctrl = np.array(changes[1:])
    (a, b), _ = nnls(np.column_stack([np.ones(24), h[1:]]), (ctrl - ctrl.mean()) ** 2)
    v = a + b * h
    eta = (ctrl - (ctrl.sum() - ctrl) / 23) * np.sqrt(v[0] / v[1:])
    np.testing.assert_allclose(res.null_distribution, eta, rtol=1e-10)
    plain = conley_taber(d, **KW, treated_unit=0, treat_start=2)
    assert b > 0 and res.conf_high - res.conf_low > plain.conf_high - plain.conf_low
    # equal sizes: nothing to correct
    same = _panel(changes, [50] * 25)
    np.testing.assert_allclose(
        conley_taber(same, **KW, treated_unit=0, treat_start=2, sizename="n").null_distribution,
        conley_taber(same, **KW, treated_unit=0, treat_start=2).null_distribution, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n_areas=st.integers(3, 30), seed=st.integers(0, 10_000),
       scale=st.sampled_from([0.0, 1e-6, 1.0, 1e3]),
       interval=st.sampled_from(["symmetric", "quantile"]), sized=st.booleans())
def test_conley_taber_p_value_is_never_zero(n_areas, seed, scale, interval, sized):
    rng = np.random.default_rng(seed)
    changes = list(rng.normal(size=n_areas) * scale)
    changes[0] += float(rng.choice([0.0, 1e6]))  # an effect far beyond every placebo, or none
    sizes = list(rng.integers(1, 100, size=n_areas))
    res = conley_taber(_panel(changes, sizes, seed=seed), **KW, treated_unit=0, treat_start=2,
                       interval=interval, sizename="n" if sized else None)
    assert res.p_value >= 1 / n_areas - 1e-15  # J + 1 = n_areas assignments
    assert 0 < res.p_value <= 1
    ri = randomization_inference(_panel(changes, sizes, seed=seed), **KW, treated_unit=0,
                                 treat_start=2)
    assert ri.p_value >= 1 / n_areas - 1e-15


# ---------------------------------------------------------------- coverage


def test_coverage_with_area_year_shocks_four_areas():
    """4 areas x 11 exam years, shock sd 0.05: the child-level interval under-covers,
    the area-year intervals (TWFE, sup-t band, dose bins) are near 95 %, and the
    placebo-area methods are descriptive (no coverage to claim)."""
    cov = area_year_coverage(reps=120, n_areas=4, shock_sd=0.05, seed=11, band_draws=4000)
    assert cov["twfe_children"] < 0.9
    assert cov["band_children"] < 0.88
    for key in ("twfe_area_year", "band_area_year", "dose_area_year"):
        assert 0.9 <= cov[key] <= 0.995, (key, cov[key])
    assert all(np.isnan(cov[k]) for k in ("randomization", "conley_taber",
                                          "conley_taber_sized"))


def test_coverage_with_area_year_shocks_twenty_one_areas():
    """21 areas: every released interval labelled 95 % covers near 95 %."""
    cov = area_year_coverage(reps=70, n_areas=21, shock_sd=0.04, seed=12, band_draws=4000)
    assert cov["twfe_children"] < cov["twfe_area_year"]
    for key in ("twfe_area_year", "band_area_year", "conley_taber_sized", "randomization",
                "conley_taber"):
        assert 0.87 <= cov[key] <= 1.0, (key, cov[key])
