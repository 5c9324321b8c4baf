"""PH test against an explicit time-varying score test; Poisson rate models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.exceptions import ParameterError
from cohort.survival import cox, cox_zph, poisson_rates
from cohort.survival._cox import CoxData
from cohort.survival._cox_core import evaluate


def _data(seed, n=50):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "t": rng.integers(1, 15, n).astype(float),
            "d": rng.integers(0, 2, n),
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, n).astype(float),
        }
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("transform", ["identity", "log", "rank", "km"])
def test_zph_is_the_score_test_of_x_times_gt(ties, transform):
    """Split at every event time, add x_j * g(t), evaluate the score test at (beta, 0)."""
    df = _data(4)
    fit = cox(df, time="t", event="d", covariates=["x1", "x2"], ties=ties)
    z = cox_zph(fit, df, transform=transform)
    times = df["t"].to_numpy()
    ev = df["d"].to_numpy() == 1
    if transform == "identity":
        g = times
    elif transform == "log":
        g = np.log(times)
    elif transform == "rank":
        g = pd.Series(times).rank().to_numpy()
    else:
        ut = np.unique(times)
        s = np.cumprod([1 - np.sum((times == u) & ev) / np.sum(times >= u) for u in ut])
        g = 1 - np.concatenate([[1.0], s[:-1]])[np.searchsorted(ut, times)]
    gmap = dict(zip(times[ev], g[ev] - g[ev].mean(), strict=False))
    cuts = np.unique(times[ev])
    rows = []
    for i in range(len(df)):
        lo = 0.0
        for c in [*cuts[cuts < times[i]], times[i]]:
            gc = gmap.get(c, 0.0)
            rows.append(
                {
                    "start": lo,
                    "t": c,
                    "d": int(ev[i] and c == times[i]),
                    "x1": df["x1"].iat[i],
                    "x2": df["x2"].iat[i],
                    "g1": df["x1"].iat[i] * gc,
                    "g2": df["x2"].iat[i] * gc,
                }
            )
            lo = c
    split = pd.DataFrame(rows)
    for j in range(2):
        cd = CoxData(
            split,
            time="t",
            event="d",
            covariates=["x1", "x2", f"g{j + 1}"],
            entry="start",
            strata=(),
            weights=None,
            cluster=None,
        )
        # evaluate on raw (uncentred) covariates: the score test is invariant to centring
        beta = np.concatenate([fit.coef, [0.0]])
        e = evaluate(cd.risk_sets, cd.x, cd.weights, beta, efron=ties == "efron")
        u = np.concatenate([[0.0, 0.0], e.score[2:]])
        stat = u @ np.linalg.solve(e.info, u)
        assert z.table["chisq"].iloc[j] == pytest.approx(stat, rel=1e-7)


def test_zph_errors_and_plot():
    df = _data(1)
    fit = cox(df, time="t", event="d", covariates=["x1", "x2"])
    with pytest.raises(ParameterError, match="transform must be one of"):
        cox_zph(fit, df, transform="sqrt")
    with pytest.raises(ParameterError, match="same rows"):
        cox_zph(fit, df.iloc[1:])
    z = cox_zph(fit, df)
    assert z.y.shape == (int(df["d"].sum()), 2)
    fig = z.plot("x1")
    assert len(fig.axes) == 1
    assert len(fig.axes[0].collections) == 1  # the points
    assert len(z.plot("x1", points=False).axes[0].collections) == 0
    with pytest.raises(ParameterError):
        z.plot("nope")


def test_poisson_single_band_is_the_exponential_model():
    """One time band: the Poisson MLE is the exponential MLE d / person-time,
    and the rate ratio is the ratio of the groups' d / PT, SE sqrt(1/d1 + 1/d0)."""
    rng = np.random.default_rng(8)
    n = 500
    x = rng.integers(0, 2, n)
    t = rng.exponential(1 / (0.1 * np.exp(0.7 * x)))
    c = rng.uniform(0, 20, n)
    df = pd.DataFrame({"d": (t <= c).astype(int), "pt": np.minimum(t, c), "x": x})
    fit = poisson_rates(df, events="d", person_time="pt", covariates="x")
    tab = fit.tidy().set_index("term")
    d0, d1 = df.groupby("x")["d"].sum()
    p0, p1 = df.groupby("x")["pt"].sum()
    assert tab.loc["intercept", "estimate"] == pytest.approx(np.log(d0 / p0), rel=1e-8)
    assert tab.loc["x", "estimate"] == pytest.approx(np.log((d1 / p1) / (d0 / p0)), rel=1e-8)
    assert tab.loc["x", "std_error"] == pytest.approx(np.sqrt(1 / d0 + 1 / d1), rel=1e-6)


def test_poisson_recovers_planted_rate_ratio_with_bands_and_clusters():
    rng = np.random.default_rng(9)
    n = 3000
    rows = []
    x = rng.integers(0, 2, n)
    family = np.arange(n) // 2
    for band, base in enumerate([0.02, 0.05, 0.1]):
        pt = rng.uniform(0.5, 5, n)
        rows.append(
            pd.DataFrame(
                {
                    "d": rng.poisson(base * np.exp(np.log(1.5) * x) * pt),
                    "pt": pt,
                    "x": x,
                    "band": f"b{band}",
                    "fam": family,
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    fit = poisson_rates(df, events="d", person_time="pt", covariates=["x", "band"], cluster="fam")
    tab = fit.tidy(exponentiate=True).set_index("term")
    assert list(tab.index) == ["intercept", "x", "band[b1]", "band[b2]"]
    assert tab.loc["x", "conf_low"] < 1.5 < tab.loc["x", "conf_high"]
    assert tab.loc["band[b2]", "estimate"] == pytest.approx(5.0, rel=0.2)
    assert fit.robust and "cluster-robust" in fit.summary()
