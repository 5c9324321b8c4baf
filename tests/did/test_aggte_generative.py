"""Generative tests: the fast aggregation against R's n x K construction, weights, anticipation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.did import aggte, att_gt
from cohort.did._simulate import simulate_staggered

KW = {"yname": "y", "tname": "t", "idname": "id", "gname": "g"}


def _slow_aggte(res, kind):
    """R's compute.aggte, literally: the wif matrix is formed column by column."""
    group, time, att, inf = res.group, res.time, res.att, res.influence
    glist = np.unique(group)
    g_unit, w_unit = res.unit_group, res.unit_weight
    pg_all = np.array([np.mean(w_unit * (g_unit == g)) for g in glist])
    pg = pg_all[np.searchsorted(glist, group)]

    def wif(keep, pg_, grp):
        s = pg_[keep].sum()
        centred = np.column_stack([w_unit * (g_unit == grp[k]) - pg_[k] for k in keep])
        return centred / s - np.outer(centred.sum(axis=1), pg_[keep] / s**2)

    def combine(keep, a=att, infm=inf, pg_=pg, grp=group, with_wif=True):
        wk = pg_[keep] / pg_[keep].sum()
        psi = infm[:, keep] @ wk
        if with_wif:
            psi = psi + wif(keep, pg_, grp) @ a[keep]
        return float(wk @ a[keep]), psi

    n = inf.shape[0]
    if kind == "simple":
        est, psi = combine(np.flatnonzero(group <= time))
        return est, np.sqrt(np.mean(psi**2) / n), None
    if kind == "dynamic":
        elems = np.unique(time - group)
        out = [combine(np.flatnonzero(time - group == e)) for e in elems]
    else:
        elems = [t for t in np.unique(time) if np.any((time == t) & (group <= t))]
        out = [combine(np.flatnonzero((time == t) & (group <= time))) for t in elems]
    se = np.array([np.sqrt(np.mean(p**2) / n) for _, p in out])
    return np.array([e for e, _ in out]), se, elems


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_units=st.integers(60, 200), periods=st.integers(3, 6),
       weighted=st.booleans())
def test_fast_aggregation_equals_slow(seed, n_units, periods, weighted):
    d = simulate_staggered(n_units, periods, share_never=0.3, seed=seed)
    if weighted:
        rng = np.random.default_rng(seed)
        d["w"] = np.repeat(rng.uniform(0.5, 2.0, n_units), periods)
    res = att_gt(d, weightsname="w" if weighted else None, **KW)
    est, se, _ = _slow_aggte(res, "simple")
    fast = aggte(res, type="simple")
    assert fast.overall_att == pytest.approx(est, abs=1e-12)
    assert fast.overall_se == pytest.approx(se, abs=1e-12)
    for kind in ("dynamic", "calendar"):
        est, se, elems = _slow_aggte(res, kind)
        fast = aggte(res, type=kind)
        np.testing.assert_allclose(fast.egt, elems)
        np.testing.assert_allclose(fast.att_egt, est, atol=1e-12)
        np.testing.assert_allclose(fast.se_egt, se, atol=1e-12)


def test_integer_weights_equal_replicated_units():
    d = simulate_staggered(150, 5, seed=3)
    rng = np.random.default_rng(0)
    reps = rng.integers(1, 4, 150)
    d["w"] = np.repeat(reps, 5)
    wide = d.loc[d.index.repeat(d.w)].copy()
    wide["id"] = wide["id"].astype(str) + "_" + wide.groupby(["id", "t"]).cumcount().astype(str)
    a = att_gt(d, weightsname="w", **KW)
    b = att_gt(wide, **KW)
    np.testing.assert_allclose(a.att, b.att, atol=1e-12)
    for kind in ("simple", "group", "dynamic", "calendar"):
        assert aggte(a, type=kind).overall_att == pytest.approx(
            aggte(b, type=kind).overall_att, abs=1e-12)


def test_anticipation_moves_the_base_period():
    d = simulate_staggered(400, 6, seed=6)
    res = att_gt(d, anticipation=1, **KW)
    tidy = res.tidy()
    y = d.pivot(index="id", columns="t", values="y")
    g = d.groupby("id").g.first()
    # ATT(5, 5) with one period of anticipation: base period 3 (= g - 1 - 1)
    dy = y[5] - y[3]
    hand = dy[g == 5].mean() - dy[g == 0].mean()
    cell = tidy[(tidy.group == 5) & (tidy.time == 5)].estimate.item()
    assert cell == pytest.approx(hand, abs=1e-12)
    # cohort 3 has no period before 3 - 1 = 2 other than 1: base period 1
    dy = y[3] - y[1]
    hand = dy[g == 3].mean() - dy[g == 0].mean()
    assert tidy[(tidy.group == 3) & (tidy.time == 3)].estimate.item() == pytest.approx(hand)
    assert isinstance(tidy, pd.DataFrame)
