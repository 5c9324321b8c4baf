"""Competing risks against 1 - KM, and the study's survival design (issue 20, item 3).

(a) where emigration is common the naive 1 - Kaplan-Meier and the Aalen-Johansen
cumulative incidence differ, and AJ equals a brute-force count; (b) a group
assigned after the time origin is refused or left out, so no event before the
assignment date counts for a group; (c) the PH test released with the study's
Cox model equals the score test of an explicitly split data set with x g(t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.exceptions import StudyFileError
from cohort.survival import aalen_johansen, kaplan_meier
from cohort.survival._cox import CoxData
from cohort.survival._cox_core import evaluate


def _emigrating(seed: int, n: int = 400) -> pd.DataFrame:
    """Start hazard 0.05 a month, emigration 0.04 a month, administrative end at 36."""
    rng = np.random.default_rng(seed)
    t_event = rng.exponential(1 / 0.05, n)
    t_emig = rng.exponential(1 / 0.04, n)
    t = np.minimum(np.minimum(t_event, t_emig), 36.0)
    cause = np.where(t == t_event, 1, np.where(t == t_emig, 2, 0))
    return pd.DataFrame({"months": np.ceil(t), "cause": cause})


def _aj_brute(df: pd.DataFrame, cause: int) -> tuple[np.ndarray, np.ndarray]:
    """CIF by the definition, one time at a time: sum S(t-) d_k(t) / n(t)."""
    times = np.sort(df["months"].unique())
    s, cif, out = 1.0, 0.0, []
    for t in times:
        n = int((df["months"] >= t).sum())
        d_all = int(((df["months"] == t) & (df["cause"] > 0)).sum())
        d_k = int(((df["months"] == t) & (df["cause"] == cause)).sum())
        cif += s * d_k / n
        s *= 1 - d_all / n
        out.append(cif)
    return times, np.array(out)


def test_naive_one_minus_km_and_aalen_johansen_differ_where_emigration_is_common():
    df = _emigrating(20)
    assert (df["cause"] == 2).mean() > 0.3  # emigration is common
    aj = aalen_johansen(df, time="months", event="cause").tidy()
    cif = aj[aj["cause"] == 1].set_index("time")["estimate"]
    times, brute = _aj_brute(df, 1)
    np.testing.assert_allclose(cif.loc[times].to_numpy(), brute, rtol=0, atol=1e-12)
    naive = 1 - kaplan_meier(df.assign(d=(df["cause"] == 1).astype(int)), time="months",
                             event="d").tidy().set_index("time")["estimate"]
    # 1 - KM counts the emigrants as if they could still start: it is larger, and much
    # so by three years (truth: 0.05 / 0.09 (1 - exp(-0.09 t)), 1 - KM: 1 - exp(-0.05 t))
    assert (naive.loc[times].to_numpy() >= brute - 1e-12).all()
    assert naive.loc[36] - cif.loc[36] > 0.15
    assert cif.loc[36] == pytest.approx(0.05 / 0.09 * (1 - np.exp(-0.09 * 36)), abs=0.06)
    assert naive.loc[36] == pytest.approx(1 - np.exp(-0.05 * 36), abs=0.06)


def test_study_cif_table_starts_at_zero_and_is_aalen_johansen():
    from cohort.study.analyses.survival import _causes, _cif

    exits = pd.Series(["event", "emigration", "death", "extract_end", "max_follow_up"])
    assert _causes(exits).tolist() == [1, 2, 3, 0, 0]
    df = _emigrating(3, n=60)
    table = _cif(aalen_johansen(df, time="months", event="cause"), n=len(df))
    assert table.iloc[0].to_dict() == {"time": 0.0, "n_risk": 60.0, "n_event": 0.0,
                                       "estimate": 0.0, "conf_low": 0.0, "conf_high": 0.0}
    times, brute = _aj_brute(df, 1)
    np.testing.assert_allclose(table["estimate"].iloc[1:], brute, atol=1e-12)


# -- (b) immortal time ---------------------------------------------------------------

def test_years_in_area_is_refused_in_the_study_file():
    from cohort.study import parse_study

    raw = {"units": {"target": "vaerebro_park", "municipality": 159},
           "analyses": {"survival": {"birth_years": [1990, 1999], "exposure": "years_in_area"}}}
    with pytest.raises(StudyFileError, match="immortal time"):
        parse_study(raw)
    raw["analyses"]["survival"]["exposure"] = "resident_at_age"
    parse_study(raw)


def test_no_event_before_the_assignment_date_counts_for_a_group():
    """A child whose group is known only after its origin is left out, and counted."""
    from cohort.study.analyses.survival import _assigned_by_origin

    d = pd.DataFrame({
        "pid": ["a", "b", "c", "d"],
        "group": ["exposed", "exposed", "comparison", "comparison"],
        "reference_date": pd.to_datetime(["2005-03-01", "2005-09-01", "2005-06-30",
                                          "2005-11-11"]),
        "origin_date": pd.to_datetime(["2005-06-30"] * 4),
        # b and d have the event before their group is assigned
        "youth_education_start_time": [60, 62, 61, 63],
    })
    flow = pd.DataFrame([{"step": "in_group", "criterion": "in a group", "n": 4,
                          "excluded": 0, "exposed": 2, "comparison": 2, "neither": 0}])
    kept, flow2 = _assigned_by_origin(d, flow, "youth_education_start")
    assert kept["pid"].tolist() == ["a", "c"]
    event_dates = kept["origin_date"] + pd.to_timedelta(kept["youth_education_start_time"], "D")
    assert (event_dates >= kept["reference_date"]).all()
    last = flow2.iloc[-1]
    assert (last["step"], last["n"], last["excluded"], last["exposed"],
            last["comparison"]) == ("assigned_by_origin", 2, 2, 1, 1)


# -- (c) the PH test released with the model ---------------------------------------------

def _cohort_like(seed: int, n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    exposed = rng.integers(0, 2, n)
    t = np.ceil(rng.exponential(np.where(exposed == 1, 6.0, 10.0)) + 2 * exposed)
    event = (t < 30).astype(int)
    return pd.DataFrame({
        "pid": [f"p{i}" for i in range(n)],
        "group": np.where(exposed == 1, "exposed", "comparison"),
        "months": np.minimum(t, 30.0), "event": event,
        "family": [f"f{i // 2}" for i in range(n)],
        "birth_year": rng.integers(1990, 1993, n),
        "sex": rng.choice(["F", "M"], n),
    })


def _split_score_test(data: pd.DataFrame, covs: list[str], fit_coef: np.ndarray,
                      j: int) -> float:
    """Split at every event time, add x_j g(t) (g = 1 - pooled KM(t-), centred over the
    events), and the score test of its coefficient at (beta, 0), stratified."""
    times = data["months"].to_numpy()
    ev = data["event"].to_numpy() == 1
    ut = np.unique(times)
    s = np.cumprod([1 - np.sum((times == u) & ev) / np.sum(times >= u) for u in ut])
    g = 1 - np.concatenate([[1.0], s[:-1]])[np.searchsorted(ut, times)]
    gmap = dict(zip(times[ev], g[ev] - g[ev].mean(), strict=False))
    cuts = np.unique(times[ev])
    rows = []
    for i in range(len(data)):
        lo = 0.0
        for c in [*cuts[cuts < times[i]], times[i]]:
            row = {"start": lo, "t": c, "d": int(ev[i] and c == times[i]),
                   "stratum": data["birth_year"].iat[i]}
            for k in covs:
                row[k] = data[k].iat[i]
            row["gx"] = data[covs[j]].iat[i] * gmap.get(c, 0.0)
            rows.append(row)
            lo = c
    split = pd.DataFrame(rows)
    cd = CoxData(split, time="t", event="d", covariates=[*covs, "gx"], entry="start",
                 strata=("stratum",), weights=None, cluster=None)
    e = evaluate(cd.risk_sets, cd.x, cd.weights, np.concatenate([fit_coef, [0.0]]),
                 efron=True)
    u = np.concatenate([np.zeros(len(covs)), e.score[len(covs):]])
    return float(u @ np.linalg.solve(e.info, u))


def test_released_ph_test_is_the_score_test_of_x_times_gt():
    from cohort.study.analyses.survival import _cox_tables, _design

    d = _cohort_like(7)
    tables = _cox_tables(d, ["sex", "birth_year"])
    zph = tables["cox_zph"].set_index("term")
    assert list(tables["cox_zph"].columns) == ["term", "statistic", "p_value"]
    assert list(zph.index) == ["exposed", "sex=M" if "sex=M" in zph.index else "sex=F",
                               "GLOBAL"]
    data, covs, _ = _design(d, ["sex", "birth_year"])
    coef = tables["cox"].set_index("term").loc[covs, "estimate"].to_numpy()
    for j, term in enumerate(covs):
        assert zph.loc[term, "statistic"] == pytest.approx(
            _split_score_test(data, covs, coef, j), rel=1e-6)
    assert 0 < zph.loc["GLOBAL", "p_value"] < 1


def test_hazard_ratio_by_period_of_the_time_origin():
    from cohort.study.analyses.survival import _cox_by_period

    d = _cohort_like(11, n=200)
    d["origin_date"] = pd.to_datetime(np.where(np.arange(200) < 100, "2014-06-30",
                                               "2017-06-30"))
    out = _cox_by_period(d, ["sex"], pd.Timestamp("2016-01-01").date(),
                         "youth_education_start")
    table = out["cox_by_period"]
    assert table["period"].tolist() == ["before", "after"]
    assert (table["term"] == "exposed").all()
    support = out["cox_by_period_support"]
    assert support.groupby("period")["n_persons"].sum().to_dict() == {"after": 100,
                                                                       "before": 100}
    # one period alone: the other has no children, so no table
    assert _cox_by_period(d.iloc[:100], ["sex"], pd.Timestamp("2016-01-01").date(),
                          "youth_education_start") is None
