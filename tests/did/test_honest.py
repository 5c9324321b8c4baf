"""Relative-magnitudes sensitivity analysis (HonestDiD's Delta^RM).

References checked here (CI): moderndid 0.2.0's conditional test (no random
draws), identified sets and original intervals on made-up inputs and on
mpdta (its att_gt/aggte and our event_study), closed forms and brute force
for the identified set, linear programs for the ARP statistics, a
transcription of R's no-nuisance test, mpmath, and a coverage simulation.

Local checks (skipped unless COHORT_HONEST_REF names a folder holding them):
R's HonestDiD results at full precision from its README's knitr cache, the
README's data, and R's random numbers. They were read from the fetched
HonestDiD repository and are not committed. See tests/data/honest/README.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy.optimize import linprog

from cohort.did import aggte, att_gt, event_study, twfe
from cohort.did._arp import (
    conditional_statistics,
    least_favourable_cv,
    lf_draws,
    r_mvnorm,
    r_rnorm,
    rm_constraints,
    rm_moments,
    rm_test_grid,
)
from cohort.did._honest import HonestResult, _identified_set, honest_did
from cohort.exceptions import ParameterError

DATA = Path(__file__).resolve().parents[1] / "data" / "honest"
TOL = 1e-12  # the interval ends are grid points computed like R's: agreement to rounding

# -- moderndid 0.2.0 (committed reference) ------------------------------------------------------
MODERNDID = json.loads((DATA / "moderndid_rm_conditional.json").read_text())

# Made-up event studies; moderndid_rm_conditional.json holds the same numbers as its inputs.
RAW = {
    "raw_a": ([-4, -3, -2, 0, 1, 2], [0.02, -0.01, 0.015, 0.08, 0.11, 0.09],
              np.array([[4.0, 1.6, 0.8, 0.4, 0.2, 0.1],
                        [1.6, 4.0, 1.6, 0.8, 0.4, 0.2],
                        [0.8, 1.6, 4.0, 1.6, 0.8, 0.4],
                        [0.4, 0.8, 1.6, 5.0, 2.0, 1.0],
                        [0.2, 0.4, 0.8, 2.0, 6.0, 2.4],
                        [0.1, 0.2, 0.4, 1.0, 2.4, 7.0]]) * 1e-4),
    "raw_b": ([-3, -2, 0, 1], [-0.03, 0.01, 0.06, 0.04],
              np.array([[3.0, 1.0, 0.5, 0.2],
                        [1.0, 3.0, 1.0, 0.5],
                        [0.5, 1.0, 4.0, 1.5],
                        [0.2, 0.5, 1.5, 5.0]]) * 1e-4),
    "raw_c": ([-5, -4, -3, -2, 0, 1], [0.01, 0.03, 0.0, 0.02, -0.05, -0.04],
              np.array([[2.0, 0.5, 0.2, 0.1, 0.0, 0.0],
                        [0.5, 2.0, 0.5, 0.2, 0.1, 0.0],
                        [0.2, 0.5, 3.0, 0.5, 0.2, 0.1],
                        [0.1, 0.2, 0.5, 3.0, 0.5, 0.2],
                        [0.0, 0.1, 0.2, 0.5, 5.0, 1.5],
                        [0.0, 0.0, 0.1, 0.2, 1.5, 6.0]]) * 1e-4),
}
MPDTA = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}


@pytest.fixture(scope="module")
def mpdta_fits(mpdta) -> dict:
    """The mpdta event studies behind the moderndid reference (ours; moderndid ran its own)."""
    fits = {}
    for cg in ("nevertreated", "notyettreated"):
        gt = att_gt(mpdta, control_group=cg, base_period="universal", bstrap=False, **MPDTA)
        fits[f"mpdta_cs_{cg}"] = aggte(gt, type="dynamic")
    fits["mpdta_twfe_event_study"] = event_study(mpdta, yname="lemp", idname="countyreal",
                                                 tname="year", gname="first.treat")
    return fits


def test_moderndid_inputs(mpdta_fits):
    """The reference was computed on these inputs: ours, and moderndid's own att_gt/aggte."""
    ex = MODERNDID["examples"]
    for name, (et, beta, sigma) in RAW.items():
        assert ex[name]["event_time"] == et and ex[name]["betahat"] == beta
        np.testing.assert_array_equal(np.array(ex[name]["sigma"]), sigma)
    for name, fit in mpdta_fits.items():
        ref = ex[name]
        if name.startswith("mpdta_cs"):  # moderndid's estimates: the reference period dropped
            keep = fit.egt != -1
            inf = fit.influence_egt[:, keep]
            beta, sigma, et = fit.att_egt[keep], inf.T @ inf / inf.shape[0] ** 2, fit.egt[keep]
        else:  # our event_study, stored as moderndid's input
            beta, sigma, et = fit.estimate, fit.vcov, fit.event_time
        assert et.tolist() == ref["event_time"]
        np.testing.assert_allclose(beta, ref["betahat"], rtol=1e-12, atol=0)
        # relative to the matrix: an entry near zero (1e-7 beside 6.5e-4) differs in its
        # 12th digit with the order of a BLAS sum, which is not a difference of the fit
        scale = float(np.max(np.abs(ref["sigma"])))
        np.testing.assert_allclose(sigma, ref["sigma"], rtol=1e-12, atol=1e-12 * scale)


def _run_id(run: dict) -> str:
    return f"{run['example']}-{run['l_vec_label']}"


@pytest.mark.parametrize("run", MODERNDID["runs"], ids=_run_id)
def test_conditional_test_matches_moderndid(run, mpdta_fits):
    """Conditional intervals, identified sets and original intervals, number for number.

    mpdta examples start from our att_gt -> aggte or event_study fit (end to
    end); the made-up ones from betahat and sigma.
    """
    name = run["example"]
    kw = {"mbar": run["mbar"], "l_vec": run["l_vec"], "alp": run["alpha"],
          "grid_points": run["grid_points"], "grid_lb": run["grid_lb"],
          "grid_ub": run["grid_ub"], "method": "Conditional"}
    if name in RAW:
        et, beta, sigma = RAW[name]
        res = honest_did(np.array(beta), sigma, event_time=et, **kw)
    else:
        res = honest_did(mpdta_fits[name], **kw)
    np.testing.assert_allclose(res.conf_low, run["conditional_lb"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, run["conditional_ub"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.id_lb, run["id_lb"], rtol=0, atol=TOL)
    np.testing.assert_allclose(res.id_ub, run["id_ub"], rtol=0, atol=TOL)
    assert res.original_low == pytest.approx(run["original_lb"], abs=TOL)
    assert res.original_high == pytest.approx(run["original_ub"], abs=TOL)


def test_breakdown_between_moderndid_intervals(mpdta_fits):
    """moderndid's average-effect intervals exclude 0 at Mbar = 0.5 and include it at 1."""
    run = next(r for r in MODERNDID["runs"]
               if _run_id(r) == "mpdta_cs_nevertreated-average")
    i = run["mbar"].index(0.5)
    assert run["conditional_ub"][i] < 0 < run["conditional_ub"][i + 1]
    es = mpdta_fits["mpdta_cs_nevertreated"]
    res = honest_did(es, mbar=[0.5, 1], l_vec="average", method="Conditional")
    assert 0.5 < res.breakdown <= 1.0
    just = honest_did(es, mbar=[res.breakdown - 2e-3, res.breakdown], l_vec="average",
                      method="Conditional")
    assert just.conf_high[0] < 0 and just.conf_low[1] <= 0 <= just.conf_high[1]


# -- R's HonestDiD (local check: data not committed) ---------------------------------------------
REF_ENV = "COHORT_HONEST_REF"
REF_DIR = os.environ.get(REF_ENV)
local_r = pytest.mark.skipif(
    not REF_DIR,
    reason=(f"local check against R's HonestDiD: its README's results and data were read from "
            f"the fetched HonestDiD repository and are not committed; set {REF_ENV} to the "
            "folder holding them (tests/data/honest/README.md)"),
)


def _ref_path(name: str) -> Path:
    path = Path(REF_DIR or "") / name
    if not path.is_file():
        msg = f"{REF_ENV}={REF_DIR} has no {name} (see tests/data/honest/README.md)"
        raise FileNotFoundError(msg)
    return path


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(_ref_path(name), float_precision="round_trip")


def _json(name: str) -> dict:
    return json.loads(_ref_path(name).read_text())


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _csv("honestdid_results.csv")


@pytest.fixture(scope="module")
def ehec() -> pd.DataFrame:
    return _csv("ehec.csv")


def _rows(ref, example, l_vec, method):
    sel = ref[(ref.example == example) & (ref.l_vec == l_vec) & (ref.method == method)]
    assert len(sel) > 0
    return sel


@pytest.fixture(scope="module")
def twfe_fit(ehec):
    """The README's TWFE event study, covariance rescaled to fixest's small-sample factor."""
    d = ehec[(ehec.year < 2016) & (ehec.yexp2.isna() | (ehec.yexp2 != 2015))].copy()
    d["g"] = np.where(d.yexp2 == 2014, 2014, 0)
    fit = event_study(d, yname="dins", idname="stfips", tname="year", gname="g")
    n = len(d)
    assert n == 344 and fit.n_clusters == 43
    return dataclasses.replace(fit, vcov=fit.vcov * (n - 57) / (n - 15))


@local_r
def test_r_random_numbers():
    """set.seed(0); rnorm(344) in R, from the README's data."""
    ref = _csv("r_rnorm_seed0.csv")["rnorm"].to_numpy()
    np.testing.assert_allclose(r_rnorm(len(ref), 0), ref, rtol=1e-14, atol=0)


@local_r
def test_raw_betahat_matches_honestdid_sunab(reference):
    d = _json("sunab_event_study.json")
    ref = _rows(reference, "sunab", "first", "C-LF")
    res = honest_did(np.array(d["betahat"]), np.array(d["sigma"]), event_time=d["event_time"],
                     mbar=ref.mbar.to_numpy(), grid_points=100)
    np.testing.assert_allclose(res.conf_low, ref.lb, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, ref.ub, rtol=0, atol=TOL)
    orig = _rows(reference, "sunab", "first", "Original")
    assert res.original_low == pytest.approx(orig.lb.iloc[0], abs=TOL)
    assert res.original_high == pytest.approx(orig.ub.iloc[0], abs=TOL)


@local_r
def test_aggte_matches_honestdid_callaway_santanna(ehec, reference):
    """End to end: att_gt -> aggte(dynamic) -> honest_did, as the README runs R's did."""
    d = ehec.assign(g=ehec.yexp2.fillna(3000))
    fit = att_gt(d, yname="dins", tname="year", idname="stfips", gname="g",
                 control_group="notyettreated", base_period="universal", bstrap=False)
    es = aggte(fit, type="dynamic", min_e=-5, max_e=5)
    ref = _rows(reference, "callaway_santanna", "first", "C-LF")
    res = honest_did(es, mbar=ref.mbar.to_numpy(), grid_points=100)
    np.testing.assert_allclose(res.conf_low, ref.lb, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, ref.ub, rtol=0, atol=TOL)
    orig = _rows(reference, "callaway_santanna", "first", "Original")
    assert res.original_low == pytest.approx(orig.lb.iloc[0], abs=TOL)
    assert res.original_high == pytest.approx(orig.ub.iloc[0], abs=TOL)
    assert res.num_pre == 4 and res.event_time.tolist() == [-5, -4, -3, -2, 0, 1, 2, 3, 4, 5]


@local_r
@pytest.mark.parametrize("l_vec", ["first", "average"])
def test_event_study_matches_honestdid_twfe(twfe_fit, reference, l_vec):
    ref = _rows(reference, "twfe", l_vec, "C-LF")
    res = honest_did(twfe_fit, mbar=ref.mbar.to_numpy(), l_vec=l_vec)
    np.testing.assert_allclose(res.conf_low, ref.lb, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, ref.ub, rtol=0, atol=TOL)
    if l_vec == "average":
        orig = _rows(reference, "twfe", "average", "Original")
        assert res.original_low == pytest.approx(orig.lb.iloc[0], abs=TOL)
        assert res.original_high == pytest.approx(orig.ub.iloc[0], abs=TOL)
        explicit = honest_did(twfe_fit, mbar=ref.mbar.to_numpy(), l_vec=[0.5, 0.5])
        np.testing.assert_array_equal(explicit.conf_low, res.conf_low)


@local_r
def test_conditional_test_matches_moderndid_on_readme_inputs(twfe_fit, reference):
    """moderndid 0.2.0 on the README's TWFE example and HonestDiD's BC data."""
    ref = _rows(reference, "twfe", "first", "Conditional")
    res = honest_did(twfe_fit, mbar=ref.mbar.to_numpy(), method="Conditional")
    np.testing.assert_allclose(res.conf_low, ref.lb, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, ref.ub, rtol=0, atol=TOL)
    bc = _json("bc_event_study.json")
    ref = _rows(reference, "bc", "average", "Conditional")
    res = honest_did(np.array(bc["betahat"]), np.array(bc["sigma"]), event_time=bc["event_time"],
                     reference=bc["reference"], mbar=ref.mbar.to_numpy(), l_vec="average",
                     grid_points=200, method="Conditional")
    np.testing.assert_allclose(res.conf_low, ref.lb, rtol=0, atol=TOL)
    np.testing.assert_allclose(res.conf_high, ref.ub, rtol=0, atol=TOL)


@local_r
def test_breakdown_of_the_readme_example(twfe_fit, reference):
    """R's intervals exclude 0 at Mbar = 1.5 and include it at 2 (the README's breakdown)."""
    res = honest_did(twfe_fit, mbar=[1.5, 2])
    assert 1.5 < res.breakdown <= 2.0
    just = honest_did(twfe_fit, mbar=[res.breakdown - 2e-3, res.breakdown])
    assert just.conf_low[0] > 0 and just.conf_low[1] <= 0 <= just.conf_high[1]


# -- the identified set --------------------------------------------------------------------------
def _closed_form(beta, num_pre, lv, mbar):
    """delta_post ranges over sum_j Delta_j e_j-cumsums, |Delta_j| <= Mbar * D."""
    d = np.abs(np.diff(np.r_[beta[:num_pre], 0.0])).max()
    tail = np.cumsum(lv[::-1])[::-1]  # L_j = sum_{t >= j} l_t
    theta = lv @ beta[num_pre:]
    half = mbar * d * np.abs(tail).sum()
    return theta - half, theta + half


@settings(max_examples=60, deadline=None)
@given(
    num_pre=st.integers(1, 3), num_post=st.integers(1, 3),
    data=st.data(), mbar=st.sampled_from([0.0, 0.3, 1.0, 2.5]),
)
def test_identified_set_equals_closed_form(num_pre, num_post, data, mbar):
    floats = st.floats(-1, 1, allow_nan=False, width=32)
    beta = np.array(data.draw(st.lists(floats, min_size=num_pre + num_post,
                                       max_size=num_pre + num_post)), dtype=float)
    lv = np.array(data.draw(st.lists(floats, min_size=num_post, max_size=num_post)), dtype=float)
    if not np.any(np.abs(lv) > 1e-3):
        lv[0] = 1.0
    lb, ub = _identified_set(beta, num_pre, num_post, lv, mbar)
    want = _closed_form(beta, num_pre, lv, mbar)
    assert lb == pytest.approx(want[0], abs=1e-9)
    assert ub == pytest.approx(want[1], abs=1e-9)


@pytest.mark.parametrize(("beta", "num_pre", "lv", "mbar"), [
    (np.array([0.3, -0.1, 0.5, 0.9, 1.2]), 2, np.array([1.0, 0.0, 0.0]), 1.0),
    (np.array([0.3, -0.1, 0.5, 0.9, 1.2]), 2, np.array([0.2, -0.5, 1.0]), 0.5),
    (np.array([-0.2, 0.1, 0.15, 0.4, 0.2]), 3, np.array([0.5, 0.5]), 2.0),
])
def test_identified_set_brute_force(beta, num_pre, lv, mbar):
    """Every delta_post on a grid that satisfies Delta^RM, checked literally."""
    num_post = len(lv)
    lb, ub = _identified_set(beta, num_pre, num_post, lv, mbar)
    pre_chain = np.r_[beta[:num_pre], 0.0]
    dmax = np.abs(np.diff(pre_chain)).max()
    k = 8  # the grid step divides Mbar * D: the extreme points lie on it
    axis = np.arange(-num_post * k, num_post * k + 1) * (mbar * dmax / k)
    pts = np.stack(np.meshgrid(*[axis] * num_post, indexing="ij"), -1).reshape(-1, num_post)
    chains = np.column_stack([np.zeros(len(pts)), pts])  # delta_0 = 0, then the post-periods
    post_change = np.abs(np.diff(chains, axis=1)).max(axis=1)
    ok = post_change <= mbar * dmax + 1e-12
    theta = lv @ beta[num_pre:] - pts[ok] @ lv
    assert ok.sum() > 10
    assert theta.min() >= lb - 1e-12 and theta.max() <= ub + 1e-12
    assert theta.min() == pytest.approx(lb, abs=1e-12)
    assert theta.max() == pytest.approx(ub, abs=1e-12)


def test_mbar_zero_is_the_point_estimate():
    beta = np.array([0.4, -0.3, 0.2, 0.7, 0.1])
    res = honest_did(beta, np.eye(5) * 0.01, event_time=[-3, -2, 0, 1, 2], mbar=[0, 1],
                     l_vec=[0.2, 0.3, 0.5])
    theta = 0.2 * 0.7 + 0.3 * 0.1 + 0.5 * 0.0
    assert res.estimate == pytest.approx(0.2 * 0.2 + 0.3 * 0.7 + 0.5 * 0.1)
    assert theta != res.estimate  # event time -1 is the reference, omitted
    assert res.id_lb[0] == pytest.approx(res.estimate, abs=1e-12)
    assert res.id_ub[0] == pytest.approx(res.estimate, abs=1e-12)
    assert res.id_lb[1] < res.estimate < res.id_ub[1]


# -- the ARP statistics --------------------------------------------------------------------------
def _random_problem(data, num_pre, num_post):
    n = num_pre + num_post
    floats = st.floats(-1, 1, allow_nan=False, width=32)
    beta = np.array(data.draw(st.lists(floats, min_size=n, max_size=n)), dtype=float)
    root = np.array(data.draw(st.lists(floats, min_size=n * n, max_size=n * n)),
                    dtype=float).reshape(n, n)
    sigma = root @ root.T + 0.05 * np.eye(n)
    lv = np.array(data.draw(st.lists(floats, min_size=num_post, max_size=num_post)), dtype=float)
    if not np.any(np.abs(lv) > 1e-2):
        lv[-1] = 1.0
    return beta, sigma, lv


def _lp_eta(y, sd, x):
    """min eta s.t. y - X delta <= eta sd, with its dual vertex (HiGHS)."""
    k = x.shape[1]
    res = linprog(np.r_[1.0, np.zeros(k)], A_ub=-np.column_stack([sd, x]), b_ub=-y,
                  bounds=(None, None), method="highs",
                  options={"primal_feasibility_tolerance": 1e-10,
                           "dual_feasibility_tolerance": 1e-10})
    assert res.status == 0
    return res.fun, -res.ineqlin.marginals


@settings(max_examples=30, deadline=None)
@given(num_pre=st.integers(1, 3), num_post=st.integers(1, 4), data=st.data(),
       mbar=st.sampled_from([0.0, 0.5, 2.0]), positive=st.booleans())
def test_statistic_and_conditioning_interval_match_linear_programs(
        num_pre, num_post, data, mbar, positive):
    """eta and [v_lo, v_up] from the closed-form dual vertices equal the LP answers.

    The LP uses its own basis for the nuisance parameters (a random invertible
    completion of l, which changes the columns but not the affine sets they
    span), so neither the vertices nor HonestDiD's Gamma enter it.
    """
    beta, sigma, lv = _random_problem(data, num_pre, num_post)
    s = data.draw(st.integers(-(num_pre - 1), 0))
    rows = rm_constraints(num_pre, num_post, mbar, s, positive=positive)
    mom = rm_moments(beta, sigma, num_pre, lv, rows)
    post = rows[np.any(rows[:, num_pre:] != 0, axis=1)]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    gam = np.vstack([lv, rng.normal(size=(num_post - 1, num_post))])
    ag = post[:, num_pre:] @ np.linalg.inv(gam)
    x, a = ag[:, 1:], ag[:, 0]
    sig_y = post @ sigma @ post.T
    sd = np.sqrt(np.diag(sig_y))
    theta = rng.normal(size=4)
    eta, sd_b, v_lo, v_up = conditional_statistics(mom, theta)
    for i, th in enumerate(theta):
        y = post @ beta - a * th
        lp_eta, gamma = _lp_eta(y, sd, x)
        assert eta[i] == pytest.approx(lp_eta, abs=1e-8)
        var = gamma @ sig_y @ gamma
        assert sd_b[i] == pytest.approx(np.sqrt(var), rel=1e-6)
        b = sig_y @ gamma / var
        s_vec = y - b * lp_eta
        scale = 1.0 + abs(lp_eta)
        lo = v_lo[i] if np.isfinite(v_lo[i]) else lp_eta - 10 * scale
        hi = v_up[i] if np.isfinite(v_up[i]) else lp_eta + 10 * scale
        for c in np.linspace(lo, hi, 5)[1:-1]:  # inside: the statistic is c itself
            assert _lp_eta(s_vec + b * c, sd, x)[0] == pytest.approx(c, abs=1e-7 * scale)
        for end, step in ((v_lo[i], -1), (v_up[i], 1)):  # just outside: another vertex wins
            if np.isfinite(end):
                c = end + step * 1e-3 * scale
                assert _lp_eta(s_vec + b * c, sd, x)[0] > c + 1e-9 * scale


def _r_no_nuisance_test(y, sigma, a, alp, lf_cv=None):
    """R's .testInIdentifiedSet_LF_Hybrid (or .testInIdentifiedSet if lf_cv is None),
    transcribed (d = 0): reject?"""
    from scipy.stats import truncnorm

    sd = np.sqrt(np.diag(a @ sigma @ a.T))
    at = a / sd[:, None]
    moments = at @ y
    j = int(np.argmax(moments))
    if lf_cv is not None and moments[j] > lf_cv:
        return True
    gamma = at[j]
    abar = at - at[j]
    c = sigma @ gamma / (gamma @ sigma @ gamma)
    z = y - c * (gamma @ y)
    ac = abar @ c
    obj = -(abar @ z) / np.where(ac == 0, 1.0, ac)
    vlo = obj[ac < 0].max() if np.any(ac < 0) else -np.inf
    vup = obj[ac > 0].min() if np.any(ac > 0) else np.inf
    size = alp if lf_cv is None else (alp - alp / 10) / (1 - alp / 10)
    sdbar = np.sqrt(gamma @ sigma @ gamma)
    crit = max(0.0, truncnorm.ppf(1 - size, vlo / sdbar, vup / sdbar) * sdbar)
    return moments[j] > crit


@pytest.mark.parametrize(("seed", "hybrid"), [(1, True), (2, True), (3, True), (1, False),
                                            (2, False)],
                         ids=["C-LF-1", "C-LF-2", "C-LF-3", "Conditional-1", "Conditional-2"])
def test_single_post_period_is_r_no_nuisance_test(seed, hybrid):
    """One post-period: HonestDiD's no-nuisance LF hybrid or ARP test, transcribed from R.

    (moderndid 0.2.0 cannot serve here: its one-post-period branch of
    compute_conditional_cs_rm fails with an IndexError.)
    """
    rng = np.random.default_rng(seed)
    num_pre = 3
    root = rng.normal(size=(4, 4))
    sigma = (root @ root.T + np.eye(4)) * 0.01
    beta = rng.normal(size=4) * 0.2
    theta = np.linspace(-1.5, 1.5, 301)
    z = lf_draws(1, 0)
    for s in range(-(num_pre - 1), 1):
        for positive in (True, False):
            rows = rm_constraints(num_pre, 1, 1.0, s, positive=positive)
            a = rows[rows[:, -1] != 0]
            xi = r_mvnorm(z, a @ sigma @ a.T)
            lf = np.quantile((xi / np.sqrt(np.diag(a @ sigma @ a.T))).max(axis=1), 0.995)
            mom = rm_moments(beta, sigma, num_pre, np.ones(1), rows)
            assert least_favourable_cv(mom, 0.005, z) == pytest.approx(lf, rel=1e-12)
            got = rm_test_grid(beta, sigma, num_pre=num_pre, l_vec=np.ones(1), a_rows=rows,
                               theta=theta, alp=0.05, hybrid=hybrid, z=z)
            want = [not _r_no_nuisance_test(beta - np.r_[0, 0, 0, th], sigma, a, 0.05,
                                            lf if hybrid else None)
                    for th in theta]
            np.testing.assert_array_equal(got, want)
            assert 0 < got.sum() < len(theta)


def test_truncated_normal_quantile_in_the_tails():
    import mpmath  # a test dependency (pyproject's test extra)

    from cohort.did._arp import _truncnorm_ppf

    lo = np.array([-np.inf, 3.0, 8.0, -2.0])
    up = np.array([1.0, 5.0, 9.5, 12.0])
    got = _truncnorm_ppf(0.95, lo, up)
    mpmath.mp.dps = 50
    for g, a, b in zip(got, lo, up, strict=True):
        fa = mpmath.ncdf(a) if np.isfinite(a) else 0
        target = fa + mpmath.mpf("0.95") * (mpmath.ncdf(b) - fa)
        want = float(mpmath.sqrt(2) * mpmath.erfinv(2 * target - 1))
        assert g == pytest.approx(want, rel=1e-9)


# -- validity ------------------------------------------------------------------------------------
def test_coverage_at_the_boundary_of_delta_rm():
    """theta = 0 at the edge of the identified set: the C-LF interval covers it.

    Pre-period trend -1, -0.5, 0 (largest change c = 0.5); post-period trend
    0.5, 1 (each change exactly Mbar * c with Mbar = 1), effects 0. The
    original interval, which ignores the trend, and the estimated identified
    set, which ignores the sampling error, cover 0 far less often.
    """
    sigma = 0.0625 * np.array([[1, .5, .3, .2], [.5, 1, .5, .3],
                               [.3, .5, 1, .5], [.2, .3, .5, 1.]])
    truth = np.array([-1.0, -0.5, 0.5, 1.0])
    rng = np.random.default_rng(20240611)
    draws = rng.multivariate_normal(truth, sigma, size=200)
    robust = original = identified = 0
    for b in draws:
        res = honest_did(b, sigma, event_time=[-3, -2, 0, 1], mbar=[1], grid_points=100)
        robust += res.conf_low[0] <= 0 <= res.conf_high[0]
        original += res.original_low <= 0 <= res.original_high
        identified += res.id_lb[0] <= 0 <= res.id_ub[0]
    assert robust / len(draws) >= 0.95
    assert original / len(draws) < 0.6
    assert identified / len(draws) < 0.8


@settings(max_examples=25, deadline=None)
@given(num_pre=st.integers(1, 3), num_post=st.integers(1, 3), data=st.data(),
       method=st.sampled_from(["C-LF", "Conditional"]))
def test_interval_contains_the_identified_set(num_pre, num_post, data, method):
    """At theta in the identified set eta <= 0 <= the critical value: never rejected."""
    beta, sigma, lv = _random_problem(data, num_pre, num_post)
    sigma = sigma * 0.01
    et = np.r_[np.arange(-num_pre - 1, -1), np.arange(0, num_post)]
    res = honest_did(beta, sigma, event_time=et, mbar=[0.5, 1.5], l_vec=lv, grid_points=200,
                     method=method)
    spread = np.arange(1, num_post + 1) @ np.abs(lv) * np.abs(
        np.diff(np.r_[beta[:num_pre], 0])).max()
    step = 2 * (np.array([0.5, 1.5]) * spread + 20 * res.std_error) / 199
    assert np.all(res.conf_low <= res.id_lb + step + 1e-12)
    assert np.all(res.conf_high >= res.id_ub - step - 1e-12)


# -- inputs and errors ---------------------------------------------------------------------------
B = np.array([0.01, -0.02, 0.05, 0.07])
S = np.diag([0.01, 0.01, 0.01, 0.02]) ** 2


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"event_time": [-3, -2, 0, 2]}, "consecutive"),
    ({"event_time": [-3, -1, 0, 1]}, "contains the reference"),
    ({"event_time": [0, 1, 2, 3]}, "no pre-periods"),
    ({"event_time": [-5, -4, -3, -2]}, "no post-periods"),
    ({"event_time": [-3, -2, 0]}, "do not conform"),
    ({"event_time": [-3, -2, 0, 1], "mbar": [-1]}, "mbar must be"),
    ({"event_time": [-3, -2, 0, 1], "l_vec": [1, 0, 0]}, "one weight per post-period"),
    ({"event_time": [-3, -2, 0, 1], "l_vec": [0, 0]}, "not all 0"),
    ({"event_time": [-3, -2, 0, 1], "l_vec": "last"}, "l_vec must be one of"),
    ({"event_time": [-3, -2, 0, 1], "method": "FLCI"}, "method must be one of"),
    ({"event_time": [-3, -2, 0, 1], "alp": 1.5}, "alp must lie"),
    ({"event_time": [-3, -2, 0, 1], "grid_points": 1}, "grid_points must lie"),
    ({"event_time": [-3, -2, 0, 1], "grid_lb": 1.0, "grid_ub": 0.0}, "grid_lb must be below"),
    ({}, "sigma and event_time are required"),
    ({"event_time": [-3, -2, 0, 1], "reference": "e=-1"}, "reference must be a finite"),
])
def test_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        honest_did(B, S, **kwargs)


def test_sigma_errors():
    with pytest.raises(ParameterError, match="symmetric"):
        honest_did(B, S + np.triu(np.ones((4, 4)) * 1e-3, 1), event_time=[-3, -2, 0, 1])
    with pytest.raises(ParameterError, match="positive semi-definite"):
        honest_did(B, S - np.eye(4) * 1e-3, event_time=[-3, -2, 0, 1])
    singular = S.copy()
    singular[2:, :] = singular[:, 2:] = 0.0  # post-period coefficients without error
    with pytest.raises(ParameterError, match="no variance"):
        honest_did(B, singular, event_time=[-3, -2, 0, 1])


def test_unsorted_event_times_are_sorted():
    order = [2, 0, 3, 1]
    a = honest_did(B, S, event_time=[-3, -2, 0, 1], mbar=[1])
    b = honest_did(B[order], S[np.ix_(order, order)], event_time=np.array([-3, -2, 0, 1])[order],
                   mbar=[1])
    assert (a.conf_low[0], a.conf_high[0], a.id_lb[0]) == (b.conf_low[0], b.conf_high[0],
                                                           b.id_lb[0])


def test_result_objects_other_than_event_studies_are_refused(mpdta):
    d = mpdta.assign(d=((mpdta["first.treat"] > 0)
                        & (mpdta.year >= mpdta["first.treat"])).astype(float))
    fit = twfe(d, yname="lemp", idname="countyreal", tname="year", treatname="d")
    with pytest.raises(ParameterError, match="no event times"):
        honest_did(fit)
    with pytest.raises(ParameterError, match="only with a raw betahat"):
        honest_did(fit, S)


def test_aggregations_that_do_not_fit_are_refused(mpdta, mpdta_fits):
    varying = aggte(att_gt(mpdta, bstrap=False, **MPDTA), type="dynamic")
    with pytest.raises(ParameterError, match="base_period='universal'"):
        honest_did(varying)
    es = mpdta_fits["mpdta_cs_nevertreated"]
    universal = att_gt(mpdta, base_period="universal", bstrap=False, **MPDTA)
    with pytest.raises(ParameterError, match="type 'dynamic'"):
        honest_did(aggte(universal, type="group"))
    clustered = dataclasses.replace(es, se_egt=es.se_egt * 1.2)
    with pytest.raises(ParameterError, match="clustered"):
        honest_did(clustered)
    boot = dataclasses.replace(es, bstrap=True, se_egt=es.se_egt * 1.2)
    res = honest_did(boot, mbar=[1], grid_points=100)
    assert any("bootstrapped" in n for n in res.notes)
    assert res.conf_low[0] == honest_did(es, mbar=[1], grid_points=100).conf_low[0]


# -- the result object ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> HonestResult:
    return honest_did(B, S, event_time=[-3, -2, 0, 1], mbar=[0, 1, 2], grid_points=200)


def test_tidy(small):
    df = small.tidy()
    assert list(df.columns) == ["mbar", "lb", "ub", "conf_low", "conf_high", "method"]
    assert df.method.tolist() == ["Original", "C-LF", "C-LF", "C-LF"]
    assert np.isnan(df.mbar.iloc[0]) and df.mbar.iloc[1:].tolist() == [0, 1, 2]
    assert df.lb.iloc[0] == df.ub.iloc[0] == pytest.approx(0.05)
    assert df.conf_low.iloc[0] == pytest.approx(0.05 - 1.959963984540054 * 0.01)
    np.testing.assert_allclose(df.lb.iloc[1:], [0.05, 0.02, -0.01], atol=1e-12)  # D = 0.03
    np.testing.assert_allclose(df.ub.iloc[1:], [0.05, 0.08, 0.11], atol=1e-12)


def test_summary_html_and_frozen(small):
    text = small.summary()
    assert "breakdown Mbar" in text and "C-LF test inverted over 200 grid points" in text
    assert "<table" in small._repr_html_() and "Original" in small._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.method = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        small.conf_low[0] = 0.0


def test_plot(small):
    fig = small.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["identified set", "Original", "C-LF"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["orig.", "0", "1", "2"]
    assert ax.get_xticks()[0] == pytest.approx(-1.0)  # one Mbar step left of the smallest
