"""Fine-Gray: the direct estimator against R's finegray expansion built by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.exceptions import DataError, ModelError
from cohort.survival import cox, fine_gray


def censoring_km(t, cause):
    """G after each censoring jump, events leaving before censorings at a tie (slow)."""
    jumps, surv, g = [], [], 1.0
    for c in np.unique(t[cause == 0]):
        at_risk = np.sum(t > c) + np.sum((t == c) & (cause == 0))
        g *= 1 - np.sum((t == c) & (cause == 0)) / at_risk
        jumps.append(c)
        surv.append(g)
    return np.array(jumps), np.array(surv)


def finegray_expand(df, target):
    """R's finegray() data set, one loop per subject (no merging of intervals)."""
    t, cause = df["t"].to_numpy(float), df["e"].to_numpy()
    jt, jg = censoring_km(t, cause)
    ct2 = np.append(jt, t.max())
    cp2 = np.append(1.0, jg)
    rows = []
    for i in range(len(df)):
        base = {"id": i, "x1": df["x1"].iat[i], "x2": df["x2"].iat[i]}
        if cause[i] == 0 or cause[i] == target:
            rows.append(
                {**base, "start": 0.0, "stop": t[i], "status": int(cause[i] == target), "wt": 1.0}
            )
            continue
        j = int(np.searchsorted(ct2, t[i], side="left"))  # first cut >= t_i
        rows.append({**base, "start": 0.0, "stop": ct2[j], "status": 0, "wt": 1.0})
        for k in range(j + 1, len(ct2)):
            if ct2[k] <= ct2[k - 1]:
                continue  # the last cut can repeat the last censoring time
            rows.append(
                {**base, "start": ct2[k - 1], "stop": ct2[k], "status": 0, "wt": cp2[k] / cp2[j]}
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_fine_gray_equals_weighted_cox_on_finegray_data(seed, ties):
    rng = np.random.default_rng(seed)
    n = 120
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.integers(0, 2, n).astype(float),
            "t": rng.integers(1, 25, n).astype(float),
            "e": rng.choice([0, 1, 2], size=n, p=[0.35, 0.35, 0.3]),
        }
    )
    fg = fine_gray(df, time="t", event="e", covariates=["x1", "x2"], cause=1, ties=ties)
    exp = finegray_expand(df, 1)
    ref = cox(
        exp,
        time="stop",
        entry="start",
        event="status",
        covariates=["x1", "x2"],
        weights="wt",
        cluster="id",
        ties=ties,
    )
    np.testing.assert_allclose(fg.coef, ref.coef, rtol=1e-8)
    np.testing.assert_allclose(fg.naive_var, ref.naive_var, rtol=1e-8)
    np.testing.assert_allclose(fg.var, ref.var, rtol=1e-7)
    assert fg.loglik == pytest.approx(ref.loglik, rel=1e-10)


def test_fine_gray_recovers_planted_effect():
    """Subdistribution hazard ratio 2 (Fine & Gray 1999, simulation design 1)."""
    rng = np.random.default_rng(7)
    n, p, beta = 4000, 0.6, np.log(2.0)
    x = rng.integers(0, 2, n).astype(float)
    # P(cause 1 | x) = 1 - (1-p)^exp(beta x); given cause 1, F1 inverted exactly
    p1 = 1 - (1 - p) ** np.exp(beta * x)
    u = rng.uniform(size=n)
    is1 = rng.uniform(size=n) < p1
    # cause-1 time: F1(t|x) = 1 - (1 - p(1 - exp(-t)))^exp(bx), conditional on cause 1
    v = u * p1
    t1 = -np.log(1 - (1 - (1 - v) ** np.exp(-beta * x)) / p)
    t2 = rng.exponential(1.0 / np.exp(beta * x * 0), size=n)
    t = np.where(is1, t1, t2)
    c = rng.uniform(0, 3, n)
    df = pd.DataFrame(
        {"t": np.minimum(t, c), "x": x, "e": np.where(t <= c, np.where(is1, 1, 2), 0)}
    )
    fit = fine_gray(df, time="t", event="e", covariates="x", cause=1)
    row = fit.tidy().iloc[0]
    assert row["conf_low"] < beta < row["conf_high"]
    assert abs(row["estimate"] - beta) < 0.15


def test_fine_gray_errors():
    df = pd.DataFrame({"t": [1.0, 2.0], "e": [0, 2], "x": [0.0, 1.0]})
    with pytest.raises(ModelError, match="no events of cause 1"):
        fine_gray(df, time="t", event="e", covariates="x", cause=1)
    with pytest.raises(DataError, match="positive integer"):
        fine_gray(df.assign(e=[0.5, 1]), time="t", event="e", covariates="x")
