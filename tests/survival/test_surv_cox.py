"""Cox model: hand-computed likelihoods, brute-force residuals and sandwich, invariances."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from cohort.exceptions import ConvergenceWarning, DataError, ModelError, ParameterError
from cohort.survival import cox

# six rows, a tie of two events at t=2
TINY = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "d": [1, 1, 1, 0, 1, 0], "x": [1, 0, 1, 1, 0, 0]})


def hand_loglik(b: float, ties: str) -> float:
    """Partial likelihood of TINY written out by hand."""
    e = np.exp(b)
    ll = b - np.log(3 * e + 3)  # t=1: row 0 (x=1) fails; at risk 3 with x=1, 3 with x=0
    # t=2: rows 1 (x=0) and 2 (x=1) fail; at risk rows 1..5: x=1 rows 2,3; x=0 rows 1,4,5
    ll += b
    if ties == "breslow":
        ll -= 2 * np.log(2 * e + 3)
    else:
        ll -= np.log(2 * e + 3) + np.log(2 * e + 3 - (e + 1) / 2)
    ll -= np.log(2.0)  # t=4: row 4 (x=0) fails; rows 4, 5 at risk, both x=0
    return float(ll)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_tiny_matches_hand_likelihood(ties):
    fit = cox(TINY, time="t", event="d", covariates="x", ties=ties)
    best = minimize_scalar(
        lambda b: -hand_loglik(b, ties), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
    )
    assert fit.coef[0] == pytest.approx(best.x, abs=1e-6)
    assert fit.loglik == pytest.approx(hand_loglik(fit.coef[0], ties), abs=1e-12)
    assert fit.loglik_null == pytest.approx(hand_loglik(0.0, ties), abs=1e-12)
    h = 1e-4
    curv = (
        hand_loglik(fit.coef[0] + h, ties)
        - 2 * hand_loglik(fit.coef[0], ties)
        + hand_loglik(fit.coef[0] - h, ties)
    ) / h**2
    assert fit.std_error[0] == pytest.approx(1 / np.sqrt(-curv), rel=1e-5)


@pytest.mark.parametrize("module", ["_cox", "_km", "_competing", "_poisson"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"cohort.survival.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------------------
# the slow, obvious computations


def slow_fit_pieces(df, covs, beta, ties, entry=None, strata=None, weights=None):
    """Loglik, score and score residuals by explicit loops over rows and times."""
    n = len(df)
    x = df[covs].to_numpy(float)
    stop = df["t"].to_numpy(float)
    start = df[entry].to_numpy(float) if entry else np.full(n, -np.inf)
    ev = df["d"].to_numpy().astype(bool)
    s = df[strata].to_numpy() if strata else np.zeros(n)
    w = df[weights].to_numpy(float) if weights else np.ones(n)
    risk = np.exp(x @ beta)
    ll = 0.0
    score = np.zeros(len(covs))
    resid = np.zeros((n, len(covs)))
    for stratum in np.unique(s):
        for t in np.unique(stop[ev & (s == stratum)]):
            at_risk = [i for i in range(n) if s[i] == stratum and start[i] < t <= stop[i]]
            dead = [i for i in at_risk if ev[i] and stop[i] == t]
            d = len(dead)
            meanwt = sum(w[i] for i in dead) / d
            for k in range(d):
                frac = k / d if ties == "efron" else 0.0
                den = sum(w[i] * risk[i] * (1 - frac * (i in dead)) for i in at_risk)
                xbar = sum(w[i] * risk[i] * (1 - frac * (i in dead)) * x[i] for i in at_risk) / den
                ll -= meanwt * np.log(den)
                score -= meanwt * xbar
                for i in at_risk:
                    c = 1 - frac if i in dead else 1.0
                    resid[i] -= risk[i] * c * meanwt / den * (x[i] - xbar)
                for i in dead:
                    resid[i] += (x[i] - xbar) / d
            for i in dead:
                ll += w[i] * np.log(risk[i])
                score += w[i] * x[i]
    return ll, score, resid


def slow_sandwich(resid, w, naive_var, cluster):
    dfb = (resid * w[:, None]) @ naive_var
    groups = {}
    for i, c in enumerate(cluster):
        groups[c] = groups.get(c, 0) + dfb[i]
    d = np.array(list(groups.values()))
    return d.T @ d


@st.composite
def datasets(draw):
    n = draw(st.integers(8, 30))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, size=n).astype(float),
            "t": rng.integers(1, 6, size=n).astype(float),  # heavy ties
            "d": rng.integers(0, 2, size=n),
            "s": rng.integers(0, 2, size=n),
            "w": rng.uniform(0.5, 2.0, size=n),
            "cl": rng.integers(0, max(2, n // 3), size=n),
        }
    )
    df["e"] = df["t"] - rng.integers(1, 4, size=n)  # entry: some before 0, some later
    df.loc[df.index[0], "d"] = 1
    df.loc[df.index[1], "d"] = 1
    use_entry = draw(st.booleans())
    use_strata = draw(st.booleans())
    use_weights = draw(st.booleans())
    ties = draw(st.sampled_from(["efron", "breslow"]))
    return df, use_entry, use_strata, use_weights, ties


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_fast_equals_slow_loglik_score_and_sandwich(case):
    df, use_entry, use_strata, use_weights, ties = case
    kw = dict(
        entry="e" if use_entry else None,
        strata="s" if use_strata else None,
        weights="w" if use_weights else None,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = cox(
                df,
                time="t",
                event="d",
                covariates=["x1", "x2"],
                ties=ties,
                cluster="cl",
                max_iter=50,
                **kw,
            )
    except DataError:
        return  # no events at risk, a constant covariate, a diverging fit: nothing to compare
    if not fit.converged or np.any(np.abs(fit.coef) > 8):
        return
    beta = np.asarray(fit.coef)
    ll, score, resid = slow_fit_pieces(
        df, ["x1", "x2"], beta, ties, kw["entry"], kw["strata"], kw["weights"]
    )
    assert fit.loglik == pytest.approx(ll, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(score, 0.0, atol=1e-6)
    w = df["w"].to_numpy() if use_weights else np.ones(len(df))
    want = slow_sandwich(resid, w, np.asarray(fit.naive_var), df["cl"].to_numpy())
    np.testing.assert_allclose(fit.var, want, rtol=1e-7, atol=1e-12)


def test_weights_equal_replication():
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 10, n).astype(float),
            "d": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "w": rng.integers(1, 4, n),
        }
    )
    rep = df.loc[df.index.repeat(df["w"])].reset_index(drop=True)
    # exact for Breslow; R's weighted Efron (mean weight per tied set) is not replication
    a = cox(df, time="t", event="d", covariates="x", weights="w", ties="breslow")
    b = cox(rep, time="t", event="d", covariates="x", ties="breslow")
    assert a.coef[0] == pytest.approx(b.coef[0], rel=1e-9)
    assert a.std_error[0] == pytest.approx(b.std_error[0], rel=1e-9)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-9)


def test_splitting_rows_changes_nothing():
    """(start, stop] episodes of the same subjects give the same fit."""
    rng = np.random.default_rng(11)
    n = 60
    df = pd.DataFrame(
        {
            "t": rng.integers(2, 20, n).astype(float),
            "d": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "id": np.arange(n),
        }
    )
    cut = np.floor(df["t"] / 2)
    first = df.assign(start=0.0, t=cut, d=0)
    second = df.assign(start=cut)
    split = pd.concat([first, second], ignore_index=True)
    a = cox(df, time="t", event="d", covariates="x", cluster="id")
    b = cox(split, time="t", entry="start", event="d", covariates="x", cluster="id")
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-10)
    np.testing.assert_allclose(b.var, a.var, rtol=1e-8)
    np.testing.assert_allclose(b.naive_var, a.naive_var, rtol=1e-8)


def test_strata_are_separate_baselines():
    rng = np.random.default_rng(5)
    n = 80
    df = pd.DataFrame(
        {
            "t": rng.exponential(size=n),
            "d": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "s": rng.integers(0, 2, n),
        }
    )
    fit = cox(df, time="t", event="d", covariates="x", strata="s")
    # shifting one stratum's times does not change the stratified fit
    shifted = df.assign(t=np.where(df["s"] == 1, df["t"] * 10 + 3, df["t"]))
    fit2 = cox(shifted, time="t", event="d", covariates="x", strata="s")
    assert fit2.coef[0] == pytest.approx(fit.coef[0], rel=1e-10)
    unstratified = cox(shifted, time="t", event="d", covariates="x")
    assert abs(unstratified.coef[0] - fit.coef[0]) > 1e-6


def test_errors():
    with pytest.raises(ParameterError, match="ties must be one of"):
        cox(TINY, time="t", event="d", covariates="x", ties="exact")
    with pytest.raises(ParameterError, match="columns not in the data"):
        cox(TINY, time="t", event="d", covariates="nope")
    bad = TINY.assign(d=[1, 2, 0, 0, 1, 0])
    with pytest.raises(DataError, match="must be 0/1"):
        cox(bad, time="t", event="d", covariates="x")
    with pytest.raises(ModelError, match="collinear"):  # a DataError: exit code 2
        cox(TINY.assign(x2=TINY["x"] * 2), time="t", event="d", covariates=["x", "x2"])
    with pytest.raises(DataError, match="entry"):
        cox(TINY.assign(e=TINY["t"]), time="t", entry="e", event="d", covariates="x")


def test_result_is_frozen_and_tidy_columns():
    fit = cox(TINY, time="t", event="d", covariates="x")
    with pytest.raises(AttributeError):
        fit.coef = np.zeros(1)  # type: ignore[misc]
    with pytest.raises(ValueError):
        fit.coef[0] = 1.0
    assert list(fit.tidy().columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    hr = fit.tidy(exponentiate=True)
    assert hr["estimate"].iloc[0] == pytest.approx(np.exp(fit.coef[0]))
    assert "hazard_ratio" in fit.summary()
    assert "<table" in fit._repr_html_()


def test_monotone_likelihood_warns():
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1] * 6, "x": [1, 1, 1, 0, 0, 0]})
    with pytest.warns(ConvergenceWarning, match="infinite"):
        fit = cox(df, time="t", event="d", covariates="x")
    assert fit.coef[0] > 10


def slow_concordance(stop, entry, ev, s, eta, w):
    conc = disc = tied = 0.0
    for i in np.flatnonzero(ev):
        for j in range(len(stop)):
            if s[j] != s[i] or not (entry[j] < stop[i] <= stop[j]):
                continue
            if ev[j] and stop[j] == stop[i]:
                continue  # tied in time: not comparable
            pw = w[i] * w[j]
            if eta[i] > eta[j]:
                conc += pw
            elif eta[i] < eta[j]:
                disc += pw
            else:
                tied += pw
    total = conc + disc + tied
    return (conc + tied / 2) / total if total else float("nan")  # no comparable pair


@settings(max_examples=40, deadline=None)
@given(datasets())
def test_concordance_equals_pairwise_count(case):
    df, use_entry, use_strata, use_weights, ties = case
    df = df.assign(x2=np.round(df["x1"], 0))  # ties in the score
    kw = dict(
        entry="e" if use_entry else None,
        strata="s" if use_strata else None,
        weights="w" if use_weights else None,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = cox(df, time="t", event="d", covariates=["x2"], ties=ties, **kw)
    except DataError:
        return
    n = len(df)
    eta = df["x2"].to_numpy() * fit.coef[0]
    want = slow_concordance(
        df["t"].to_numpy(),
        df["e"].to_numpy() if use_entry else np.full(n, -np.inf),
        df["d"].to_numpy() == 1,
        df["s"].to_numpy() if use_strata else np.zeros(n),
        eta,
        df["w"].to_numpy() if use_weights else np.ones(n),
    )
    if np.isnan(want):
        assert np.isnan(fit.concordance)
    else:
        assert fit.concordance == pytest.approx(want, rel=1e-10)


def test_robust_without_cluster_is_one_cluster_per_row():
    rng = np.random.default_rng(17)
    n = 50
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 12, n).astype(float),
            "d": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "id": np.arange(n),
        }
    )
    a = cox(df, time="t", event="d", covariates="x", robust=True)
    b = cox(df, time="t", event="d", covariates="x", cluster="id")
    c = cox(df, time="t", event="d", covariates="x", cluster="id", robust=False)
    assert a.robust and b.robust and not c.robust
    np.testing.assert_allclose(a.var, b.var, rtol=1e-12)
    np.testing.assert_allclose(c.var, a.naive_var, rtol=1e-12)
    assert abs(a.std_error[0] / a.naive_std_error[0] - 1) > 1e-4
