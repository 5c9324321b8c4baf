"""Kaplan-Meier, log-rank and Aalen-Johansen on hand-made tables and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.exceptions import DataError, ParameterError
from cohort.survival import aalen_johansen, kaplan_meier, logrank_test

SIX = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5], "d": [1, 1, 0, 1, 0, 1]})


def test_km_by_hand():
    km = kaplan_meier(SIX, time="t", event="d")
    tab = km.table
    assert tab["time"].tolist() == [1, 2, 3, 4, 5]
    assert tab["n_risk"].tolist() == [6, 5, 3, 2, 1]
    s = [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 5 / 6 * 4 / 5 * 2 / 3, 0.0]
    np.testing.assert_allclose(tab["survival"], s, atol=1e-15)
    # Greenwood: S^2 * sum d / (n (n - d))
    gw = np.sqrt(np.cumsum([1 / 30, 1 / 20, 1 / 6]))
    np.testing.assert_allclose(tab["std_error"][:3], np.array(s[:3]) * gw, atol=1e-15)
    # log CI: exp(log S -+ z * se(H))
    z = 1.959963984540054
    np.testing.assert_allclose(tab["conf_low"][:3], np.array(s[:3]) * np.exp(-z * gw), atol=1e-12)
    assert np.isnan(tab["conf_low"].iloc[4])  # S = 0: log limits undefined, as in R


def test_km_median_rules():
    # the curve drops to exactly 0.5 at t=2 and stays until t=4: median = (2+4)/2 (R's rule)
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 1, 0, 1, 1, 0]})
    km = kaplan_meier(df, time="t", event="d")
    s = km.table.set_index("time")["survival"]
    assert s.loc[2] == pytest.approx(4 / 6)
    df2 = pd.DataFrame({"t": [1, 2, 3, 4], "d": [1, 1, 1, 1]})
    med = kaplan_meier(df2, time="t", event="d").median()
    assert med["estimate"].iloc[0] == pytest.approx(2.5)
    df3 = pd.DataFrame({"t": [1, 2, 3, 4, 5], "d": [1, 1, 1, 1, 1]})
    assert kaplan_meier(df3, time="t", event="d").median()["estimate"].iloc[0] == 3


def test_km_weights_equal_replication_and_entry():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 8, 30).astype(float),
            "d": rng.integers(0, 2, 30),
            "w": rng.integers(1, 4, 30),
        }
    )
    rep = df.loc[df.index.repeat(df["w"])]
    a = kaplan_meier(df, time="t", event="d", weights="w").table
    b = kaplan_meier(rep, time="t", event="d").table
    np.testing.assert_allclose(
        a[["n_risk", "survival", "std_error"]], b[["n_risk", "survival", "std_error"]], rtol=1e-12
    )
    # delayed entry: a subject entering at 3 is not at risk at 1..3
    late = pd.DataFrame({"t": [2.0, 4.0, 5.0], "d": [1, 1, 0], "e": [0.0, 0.0, 3.0]})
    tab = kaplan_meier(late, time="t", event="d", entry="e").table
    assert tab["n_risk"].tolist() == [2, 2, 1]
    assert tab["survival"].tolist() == [0.5, 0.25, 0.25]


@pytest.mark.parametrize("conf_type", ["log-log", "plain"])
def test_conf_types(conf_type):
    km = kaplan_meier(SIX, time="t", event="d", conf_type=conf_type).table.iloc[1]
    s, se = km["survival"], km["se_chaz"]
    z = 1.959963984540054
    if conf_type == "plain":
        assert km["conf_low"] == pytest.approx(s - z * se * s)
    else:
        want = np.exp(-np.exp(np.log(-np.log(s)) - z * se / np.log(s)))
        assert km["conf_low"] == pytest.approx(want)


def test_km_errors():
    with pytest.raises(ParameterError, match="conf_type must be one of"):
        kaplan_meier(SIX, time="t", event="d", conf_type="logit")
    with pytest.raises(DataError, match="missing"):
        kaplan_meier(SIX.assign(t=[1, np.nan, 2, 3, 4, 5]), time="t", event="d")


def test_logrank_by_hand_and_strata():
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 1, 1, 1, 0, 1], "g": [0, 0, 0, 1, 1, 1]})
    res = logrank_test(df, time="t", event="d", group="g")
    # O0 = 3, E0 = 1/2 + 2/5 + 1/4, V = 1/4 + 6/25 + 3/16
    e0, v = 0.5 + 0.4 + 0.25, 0.25 + 0.24 + 0.1875
    assert res.statistic == pytest.approx((3 - e0) ** 2 / v)
    assert res.df == 1
    both = pd.concat([df.assign(s=0), df.assign(s=1)])
    strat = logrank_test(both, time="t", event="d", group="g", strata="s")
    assert strat.statistic == pytest.approx(2 * res.statistic)


@st.composite
def cr_data(draw):
    n = draw(st.integers(3, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    return pd.DataFrame(
        {
            "t": rng.integers(1, 10, n).astype(float),
            "d": rng.integers(0, 2, n),
            "w": rng.uniform(0.2, 3, n),
            "e": rng.integers(-3, 1, n).astype(float),
        }
    )


@settings(max_examples=40, deadline=None)
@given(cr_data())
def test_aj_single_cause_is_one_minus_km(df):
    df = df.assign(d=np.where(np.arange(len(df)) == 0, 1, df["d"]))
    for kw in ({}, {"weights": "w"}, {"entry": "e"}):
        km = kaplan_meier(df, time="t", event="d", **kw).table
        aj = aalen_johansen(df, time="t", event="d", **kw).table
        np.testing.assert_allclose(aj["estimate"], 1 - km["survival"], atol=1e-12)


def test_aj_ties_exact_by_hand():
    # at t=2 one cause-1 and one cause-2 event tie; no jitter: both use S(2-) = 3/4
    df = pd.DataFrame({"t": [1, 2, 2, 3], "e": [1, 2, 1, 0]})
    got = aalen_johansen(df, time="t", event="e").at([1, 2, 3])
    c1 = got[got["cause"] == 1]["estimate"].to_numpy()
    c2 = got[got["cause"] == 2]["estimate"].to_numpy()
    np.testing.assert_allclose(c1, [0.25, 0.25 + 0.75 / 3, 0.5])
    np.testing.assert_allclose(c2, [0.0, 0.25, 0.25])
    s = got[got["cause"] == 1]["survival"].to_numpy()
    np.testing.assert_allclose(c1 + c2 + s, 1.0)


@pytest.mark.parametrize("kw", [{}, {"weights": "w"}, {"weights": "w", "entry": "s"}])
def test_aj_ij_variance_equals_numerical_derivative(kw):
    """SE^2 = sum_i (w_i dCIF/dw_i)^2, the derivative taken by central differences."""
    rng = np.random.default_rng(1)
    n = 15
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 6, n).astype(float),
            "e": rng.integers(0, 3, n),
            "w": rng.uniform(0.5, 2, n),
            "s": rng.integers(-2, 2, n).astype(float),
        }
    )
    fit = aalen_johansen(df, time="t", event="e", **kw).table
    w = df["w"].to_numpy() if "weights" in kw else np.ones(n)
    eps = 1e-6
    infl = []
    for i in range(n):
        up, down = w.copy(), w.copy()
        up[i] += eps
        down[i] -= eps
        cif = [
            aalen_johansen(df.assign(w=v), time="t", event="e", weights="w", entry=kw.get("entry"))
            .table["estimate"]
            .to_numpy()
            for v in (up, down)
        ]
        infl.append(w[i] * (cif[0] - cif[1]) / (2 * eps))
    want = np.sqrt(np.sum(np.square(infl), axis=0))
    np.testing.assert_allclose(fit["std_error"], want, atol=1e-8)
    ok = fit["std_error"] > 0
    np.testing.assert_allclose(
        fit.loc[ok, "conf_low"],
        fit.loc[ok, "estimate"]
        * np.exp(-1.959963984540054 * fit.loc[ok, "std_error"] / fit.loc[ok, "estimate"]),
        rtol=1e-12,
    )


def test_peto_peto_weights_by_hand():
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "d": [1, 1, 1, 1, 0, 1], "g": [0, 0, 0, 1, 1, 1]})
    res = logrank_test(df, time="t", event="d", group="g", rho=1.0)
    # weights S(t-) of the pooled KM: 1, 5/6, 4/6 at the group-0 events
    o = 1 + 5 / 6 + 4 / 6
    e = 0.5 + 5 / 6 * 0.4 + 4 / 6 * 0.25
    v = 0.25 + (5 / 6) ** 2 * 0.24 + (4 / 6) ** 2 * 0.1875
    assert res.statistic == pytest.approx((o - e) ** 2 / v)
