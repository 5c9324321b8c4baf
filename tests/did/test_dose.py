"""Continuous-dose DiD: against statsmodels with explicit dummies, hand-computed
differences of means, and dose-responses planted in simulated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from cohort.did import dose_response
from cohort.exceptions import DataError, ParameterError


def _unbalanced(seed: int = 0, n: int = 600) -> pd.DataFrame:
    """People in 12 areas and 6 periods; areas 0-2 get doses from period 3 on."""
    rng = np.random.default_rng(seed)
    area = rng.integers(0, 12, n)
    t = rng.integers(0, 6, n)
    dose = np.where((area < 3) & (t >= 3), rng.choice([0.5, 1.0, 1.5, 2.5, 3.0], n), 0.0)
    y = 0.3 * area / 12 + 0.1 * t + 0.2 * dose - 0.03 * dose**2 + rng.normal(0, 0.5, n)
    return pd.DataFrame({"area": area, "t": t, "dose": dose, "y": y,
                         "cl": rng.integers(0, 40, n)})


@pytest.mark.parametrize("basis", ["linear", "affine", "bins", "spline"])
@pytest.mark.parametrize("cluster", [None, "cl"])
def test_coefficients_and_ses_equal_statsmodels_with_dummies(basis, cluster):
    d = _unbalanced()
    r = dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis=basis,
                      cluster=cluster, n_knots=1, degree=2)
    from cohort.did._dose import _make_basis

    b = _make_basis(d.loc[d["dose"] > 0, "dose"].to_numpy(), basis, None, 1, 2)
    x = pd.DataFrame(b.values(d["dose"].to_numpy()), columns=[f"b{k}" for k in range(len(r.coef))])
    dd = pd.concat([d, x], axis=1)
    formula = "y ~ " + " + ".join(x.columns) + " + C(area) + C(t)"
    if cluster:
        fit = smf.ols(formula, dd).fit(cov_type="cluster", cov_kwds={"groups": dd["cl"]})
    else:
        fit = smf.ols(formula, dd).fit(cov_type="HC1")
    np.testing.assert_allclose(r.coef, fit.params[list(x.columns)].to_numpy(), rtol=1e-8,
                               atol=1e-10)
    np.testing.assert_allclose(np.sqrt(np.diag(r.vcov)), fit.bse[list(x.columns)].to_numpy(),
                               rtol=1e-7)


def test_bins_in_a_two_period_panel_are_differences_of_mean_changes():
    rng = np.random.default_rng(5)
    units = 30
    dose = np.r_[np.zeros(12), np.repeat([1.0, 2.0, 4.0], 6)]
    y0 = rng.normal(size=units)
    y1 = y0 + 0.5 + 0.3 * dose + rng.normal(size=units)
    d = pd.DataFrame({"i": np.tile(np.arange(units), 2), "t": np.repeat([0, 1], units),
                      "dose": np.r_[np.zeros(units), dose], "y": np.r_[y0, y1]})
    r = dose_response(d, yname="y", dname="dose", idname="i", tname="t", basis="bins")
    change = y1 - y0
    expect = [change[dose == v].mean() - change[dose == 0].mean() for v in (1.0, 2.0, 4.0)]
    np.testing.assert_allclose(r.att, expect, rtol=1e-10)
    assert list(r.grid) == [1.0, 2.0, 4.0]
    # ATT_o: the average of ATT(d) over the treated units, here equal-sized bins
    assert r.att_o == pytest.approx(np.mean(expect))
    # coarser bins pool doses: (0, 2] holds the units with 1 and 2
    r2 = dose_response(d, yname="y", dname="dose", idname="i", tname="t", basis="bins",
                       bins=[0, 2, 4])
    pooled = change[(dose > 0) & (dose <= 2)].mean() - change[dose == 0].mean()
    assert r2.att[0] == pytest.approx(pooled)
    assert np.isnan(r2.acrt_o)


def test_planted_linear_dose_response_is_recovered():
    """Children in 60 areas over 10 cohorts; 10 areas treated from cohort 5, dose = years
    of exposure (cohort-dependent, varying within cohort by moves); ATT(d) = 0.03 d."""
    rng = np.random.default_rng(11)
    n = 60_000
    area = rng.integers(0, 60, n)
    cohort = rng.integers(0, 10, n)
    treated = (area < 10) & (cohort >= 5)
    dose = np.where(treated, np.clip((cohort - 4) + rng.normal(0, 0.7, n), 0.1, None), 0.0)
    p = 0.6 + 0.002 * area + 0.01 * cohort + 0.03 * dose
    y = (rng.random(n) < p).astype(float)
    d = pd.DataFrame({"area": area, "cohort": cohort, "dose": dose, "y": y, "pid": np.arange(n)})
    r = dose_response(d, yname="y", dname="dose", idname="area", tname="cohort")
    lo, hi = r.tidy().set_index("term").loc["ACRT_o", ["conf_low", "conf_high"]]
    assert lo <= 0.03 <= hi
    assert r.coef[0] == pytest.approx(0.03, abs=0.01)
    truth_o = 0.03 * dose[dose > 0].mean()
    row = r.tidy().set_index("term").loc["ATT_o"]
    assert row["conf_low"] <= truth_o <= row["conf_high"]


def test_planted_curved_dose_response_is_recovered_by_the_spline():
    rng = np.random.default_rng(12)
    n = 80_000
    area = rng.integers(0, 50, n)
    t = rng.integers(0, 8, n)
    dose = np.where((area < 15) & (t >= 4), rng.uniform(0.2, 5.0, n), 0.0)

    def truth(v):
        return 0.4 * v - 0.06 * v**2

    y = area / 50 + 0.1 * t + truth(dose) + rng.normal(0, 1, n)
    d = pd.DataFrame({"area": area, "t": t, "dose": dose, "y": y})
    grid = np.array([0.5, 1.5, 2.5, 3.5, 4.5])
    r = dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="spline",
                      n_knots=2, degree=3, grid=grid)
    c = r.curve()
    z = (c["att"] - truth(grid)) / c["att_std_error"]
    assert (np.abs(z) < 4).all()
    dz = (c["acrt"] - (0.4 - 0.12 * grid)) / c["acrt_std_error"]
    assert (np.abs(dz) < 4).all()
    # the derivative is the derivative of the fitted curve (central differences)
    h = 1e-5
    up = dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="spline",
                       n_knots=2, degree=3, grid=grid + h).att
    dn = dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="spline",
                       n_knots=2, degree=3, grid=grid - h).att
    np.testing.assert_allclose(r.acrt, (up - dn) / (2 * h), rtol=1e-5, atol=1e-7)
    # the linear TWFE slope is a single number and cannot follow the curve
    lin = dose_response(d, yname="y", dname="dose", idname="area", tname="t")
    assert lin.acrt[0] == pytest.approx(lin.acrt[-1])


def test_bad_input_is_named():
    d = _unbalanced()
    with pytest.raises(DataError, match="must be >= 0"):
        dose_response(d.assign(dose=d["dose"] - 1), yname="y", dname="dose", idname="area",
                      tname="t")
    with pytest.raises(DataError, match="untreated"):
        dose_response(d.assign(dose=1.0), yname="y", dname="dose", idname="area", tname="t")
    with pytest.raises(ParameterError, match="bins must be increasing"):
        dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="bins",
                      bins=[2, 1])
    with pytest.raises(DataError, match="outside the bins"):
        dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="bins",
                      bins=[0, 1])
    with pytest.raises(ParameterError, match="basis"):
        dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="cubic")
    with pytest.raises(ParameterError, match="grid"):
        dose_response(d, yname="y", dname="dose", idname="area", tname="t", grid=[0.0])


def test_a_dose_bin_without_variation_is_a_model_error():
    from cohort.exceptions import ModelError

    d = pd.DataFrame({"i": [1, 1, 2, 2], "t": [1, 2, 1, 2], "dose": [0, 1.0, 0, 0],
                      "y": [1.0, 2.0, 1.0, 1.5]})
    # one treated cell and a linear and an affine term: the jump and the slope coincide
    with pytest.raises(ModelError, match="collinear with the fixed effects"):
        dose_response(d, yname="y", dname="dose", idname="i", tname="t", basis="affine")


def test_result_renders():
    r = dose_response(_unbalanced(), yname="y", dname="dose", idname="area", tname="t",
                      basis="affine", cluster="cl")
    assert "ATT_o" in r.summary()
    assert "<table" in r._repr_html_()
    fig = r.plot()
    assert fig.axes[0].get_ylabel() == "ATT(d)"
    assert r.plot(what="acrt").axes[0].get_ylabel() == "ACRT(d)"
    with pytest.raises(ValueError, match="read-only"):
        r.coef[0] = 1.0
