"""Repeated cross-sections (panel=False) and unbalanced panels (allow_unbalanced_panel=True)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.did import aggte, att_gt
from cohort.did._simulate import simulate_staggered
from cohort.exceptions import ParameterError

KW = {"yname": "y", "tname": "t", "gname": "g"}
MP = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}


def _cross_sections(seed=0, n=300, covariate=False):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"t": rng.integers(1, 3, n), "g": rng.choice([0, 2], n)})
    d["x"] = rng.normal(size=n) + 0.5 * (d.g == 2)
    d["y"] = (rng.normal(size=n) + 0.5 * (d.g == 2) * (d.t == 2) + 0.2 * d.t
              + (0.7 * d.x * d.t if covariate else 0))
    return d


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_rc_two_by_two_by_hand(method):
    d = _cross_sections()
    res = att_gt(d, idname=None, panel=False, est_method=method, **KW)
    cells = d.groupby(["g", "t"]).y
    mu, var, k = cells.mean(), cells.var(ddof=0), cells.size()
    att = (mu[2, 2] - mu[2, 1]) - (mu[0, 2] - mu[0, 1])
    assert res.att[0] == pytest.approx(att, abs=1e-12)
    assert res.std_error[0] == pytest.approx(np.sqrt((var / k).sum()), abs=1e-12)
    assert res.n_units == len(d) and not res.panel


def test_rc_regression_adjustment_by_hand():
    d = _cross_sections(1, n=600, covariate=True)
    res = att_gt(d, idname=None, panel=False, covariates=["x"], est_method="reg", **KW)

    def beta(sub):
        x = np.column_stack([np.ones(len(sub)), sub.x])
        return np.linalg.lstsq(x, sub.y, rcond=None)[0]

    b1, b0 = beta(d[(d.g == 0) & (d.t == 2)]), beta(d[(d.g == 0) & (d.t == 1)])
    tr = d[d.g == 2]
    pred = (b1[0] - b0[0]) + (b1[1] - b0[1]) * tr.x
    att = tr[tr.t == 2].y.mean() - tr[tr.t == 1].y.mean() - pred.mean()
    assert res.att[0] == pytest.approx(att, abs=1e-12)
    dr = att_gt(d, idname=None, panel=False, covariates=["x"], est_method="dr", **KW)
    assert dr.att[0] == pytest.approx(0.5, abs=0.35)
    assert abs(dr.att[0] - res.att[0]) < 0.2


def test_rc_planted_effect_staggered():
    panel = simulate_staggered(3000, 5, effect=0.6, seed=8)
    # one observation per unit: a repeated cross-section
    rc = panel.groupby("id").sample(n=1, random_state=1).reset_index(drop=True)
    res = att_gt(rc, idname=None, panel=False, **KW)
    agg = aggte(res, type="simple")
    assert agg.overall_att - 1.96 * agg.overall_se < 0.6 < agg.overall_att + 1.96 * agg.overall_se


def test_balanced_panel_with_allow_unbalanced_uses_panel_estimator(mpdta):
    a = att_gt(mpdta, **MP)
    b = att_gt(mpdta, allow_unbalanced_panel=True, **MP)
    np.testing.assert_array_equal(a.att, b.att)
    np.testing.assert_array_equal(a.std_error, b.std_error)


def test_unbalanced_panel_uses_every_observation(mpdta):
    # drop the 2003 row of three never-treated counties
    never = mpdta[mpdta["first.treat"] == 0].countyreal.unique()[:3]
    holed = mpdta[~(mpdta.countyreal.isin(never) & (mpdta.year == 2003))]
    res = att_gt(holed, allow_unbalanced_panel=True, **MP)
    assert res.n_units == 500
    assert "unbalanced panel" in " ".join(res.notes)
    # ATT(2004, 2004): difference of mean changes over the observed rows
    sub = holed[holed.year.isin([2003, 2004]) & holed["first.treat"].isin([0, 2004])]
    m = sub.groupby(["first.treat", "year"]).lemp.mean()
    att = (m[2004, 2004] - m[2004, 2003]) - (m[0, 2004] - m[0, 2003])
    assert res.att[0] == pytest.approx(att, abs=1e-12)
    # clustering by unit matters: the same rows as independent cross-sections differ
    rc = att_gt(holed, panel=False, **MP)
    assert rc.att[0] == pytest.approx(att, abs=1e-12)
    assert rc.std_error[0] > 5 * res.std_error[0]
    # the default drops the three counties instead
    with pytest.warns(UserWarning, match="3 units are missing"):
        dropped = att_gt(holed, **MP)
    assert dropped.n_units == 497


def test_panel_needs_idname():
    d = _cross_sections()
    with pytest.raises(ParameterError, match="idname is needed"):
        att_gt(d, idname=None, **KW)
