"""Benchmark: cohort.survival.cox against lifelines and statsmodels PHReg.

    python benchmarks/bench_cox.py [--quick]

Prints wall times and ratios against baselines run in the same process, and
the largest coefficient difference between implementations (a sanity check).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from cohort.survival import cox


def simulate(n: int, p: int, *, seed: int, cluster_size: float = 0.0) -> pd.DataFrame:
    """Exponential times in days recorded in weeks (heavy ties), censoring uniform
    over ten years, administrative censoring at ten years (522 distinct weeks)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    beta = np.linspace(-0.5, 0.5, p)
    lin = x @ beta
    if cluster_size:
        fam = np.floor(np.arange(n) / cluster_size).astype(np.int64)
        frailty = rng.gamma(2.0, 0.5, size=fam.max() + 1)[fam]
        lin = lin + np.log(frailty)
    t = rng.exponential(4000.0 * np.exp(-lin))
    c = rng.uniform(0, 7300, size=n)
    week = np.ceil(np.minimum(np.minimum(t, c), 3650.0) / 7.0)
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(p)])
    df["week"] = week
    df["event"] = ((t <= c) & (t <= 3650.0)).astype(int)
    if cluster_size:
        df["family"] = fam
    return df


CPU: list[str] = []


def timed(label: str, fn):  # noqa: ANN001, ANN201
    """Wall time (used for the ratios) and the process CPU time, which is less
    sensitive to other load on a shared machine; the CPU times are collected
    in ``CPU`` and printed at the end."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    CPU.append(f"{label}: wall {wall:.2f} s, cpu {cpu:.2f} s")
    return wall, out


def lifelines_fit(df: pd.DataFrame, covs: list[str], **kw):  # noqa: ANN003, ANN201
    from lifelines import CoxPHFitter

    cols = [*covs, "week", "event"] + (["family"] if "cluster_col" in kw else [])
    return CoxPHFitter().fit(df[cols], duration_col="week", event_col="event", **kw)


def bench_plain(n: int, p: int, *, with_statsmodels: bool) -> None:
    df = simulate(n, p, seed=1)
    covs = [f"x{j}" for j in range(p)]
    t_ours, fit = timed(
        "cohort plain",
        lambda: cox(df, time="week", event="event", covariates=covs, concordance=False),
    )
    print(
        f"[plain] n={n:,} p={p}, {df['week'].nunique()} distinct weeks, "
        f"{int(df['event'].sum()):,} events"
    )
    print(f"  cohort.cox (Efron)          {t_ours:8.2f} s   (without concordance)")
    t_conc, fit_c = timed(
        "cohort plain + concordance",
        lambda: cox(df, time="week", event="event", covariates=covs),
    )
    print(f"  cohort.cox with concordance {t_conc:8.2f} s   C = {fit_c.concordance:.4f}")
    t_ll, ll = timed("lifelines plain", lambda: lifelines_fit(df, covs))
    diff = np.max(np.abs(ll.params_.to_numpy() - fit.coef))
    print(
        f"  lifelines CoxPHFitter       {t_ll:8.2f} s   ratio {t_ll / t_ours:6.1f}x   "
        f"max |coef diff| {diff:.1e}"
    )
    if with_statsmodels:
        import statsmodels.api as sm

        t_sm, sm_fit = timed(
            "statsmodels plain",
            lambda: sm.PHReg(df["week"], df[covs], status=df["event"], ties="efron").fit(),
        )
        diff = np.max(np.abs(np.asarray(sm_fit.params) - fit.coef))
        print(
            f"  statsmodels PHReg (Efron)   {t_sm:8.2f} s   ratio {t_sm / t_ours:6.1f}x   "
            f"max |coef diff| {diff:.1e}"
        )


def bench_cluster(n_lifelines: int, n_ours: int) -> None:
    covs = [f"x{j}" for j in range(5)]
    small = simulate(n_lifelines, 5, seed=2, cluster_size=2.0)
    t_small, fit_small = timed(
        "cohort cluster small",
        lambda: cox(
            small, time="week", event="event", covariates=covs, cluster="family", concordance=False
        ),
    )
    print("[cluster-robust] families of ~2, p=5")
    print(f"  cohort.cox n={n_lifelines:,}          {t_small:8.2f} s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ll, ll = timed(
            "lifelines cluster small",
            lambda: lifelines_fit(small, covs, robust=True, cluster_col="family"),
        )
    se_diff = np.max(np.abs(ll.standard_errors_.to_numpy() / fit_small.std_error - 1))
    print(
        f"  lifelines n={n_lifelines:,}           {t_ll:8.2f} s   ratio {t_ll / t_small:6.1f}x   "
        f"max rel |robust SE diff| {se_diff:.1e}"
    )
    big = simulate(n_ours, 5, seed=3, cluster_size=2.0)
    t_big, _ = timed(
        "cohort cluster big",
        lambda: cox(
            big, time="week", event="event", covariates=covs, cluster="family", concordance=False
        ),
    )
    print(
        f"  cohort.cox n={n_ours:,}        {t_big:8.2f} s   "
        f"(lifelines at n={n_lifelines:,} / ours at n={n_ours:,}: {t_ll / t_big:6.1f}x)"
    )


def bench_time_varying(n_subjects: int, episodes: int) -> None:
    """Counting-process data: each subject split into ``episodes`` intervals with
    a covariate that changes between them."""
    rng = np.random.default_rng(4)
    base = simulate(n_subjects, 4, seed=5)
    rows = np.repeat(np.arange(n_subjects), episodes)
    k = np.tile(np.arange(episodes), n_subjects)
    end = base["week"].to_numpy()[rows]
    start = np.floor(end * k / episodes)
    stop = np.floor(end * (k + 1) / episodes)
    stop[k == episodes - 1] = end[k == episodes - 1]
    keep = stop > start
    df = base.iloc[rows].reset_index(drop=True)[keep]
    df["start"] = start[keep]
    df["stop"] = stop[keep]
    last = np.r_[rows[keep][1:] != rows[keep][:-1], True]
    df["event"] = df["event"].to_numpy() * last
    df["tv"] = rng.normal(size=len(df))
    covs = ["x0", "x1", "x2", "x3", "tv"]
    t_ours, _ = timed(
        "cohort time-varying",
        lambda: cox(
            df, time="stop", entry="start", event="event", covariates=covs, concordance=False
        ),
    )
    print(f"[time-varying] {len(df):,} episodes of {n_subjects:,} subjects, p=5")
    print(f"  cohort.cox (start, stop]    {t_ours:8.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.quick:
        bench_plain(50_000, 10, with_statsmodels=True)
        bench_cluster(5_000, 100_000)
        bench_time_varying(50_000, 5)
    else:
        bench_plain(1_000_000, 10, with_statsmodels=True)
        bench_cluster(100_000, 1_000_000)
        bench_time_varying(1_000_000, 5)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print("wall and CPU time of every timed call, in order:")
    for line in CPU:
        print("  " + line)


if __name__ == "__main__":
    main()
