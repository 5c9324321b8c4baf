"""Matched comparison children (``cohort.cohorts.match_controls``, issue 20 item 6)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cohort.cohorts import match_controls
from cohort.exceptions import ParameterError

KEYS = ["birth_year", "sex", "origin", "mother_education"]


def _hand_table() -> pd.DataFrame:
    """Cells of every shape: more controls than k x exposed, fewer, none, missing keys."""
    rows = []
    pid = 0

    def add(n_exp: int, n_ctl: int, by: int, sex: str, origin: str, edu: str | None) -> None:
        nonlocal pid
        for e in [1] * n_exp + [0] * n_ctl:
            rows.append({"pid": 1000 + 7 * pid, "exposed": e, "birth_year": by, "sex": sex,
                         "origin": origin, "mother_education": edu})
            pid += 1

    add(2, 9, 1995, "F", "danish", "primary")        # plenty: 2 x 3 = 6 of 9 used
    add(3, 4, 1995, "M", "danish", "primary")        # scarce: 4 controls for 3 exposed
    add(2, 1, 1996, "F", "western", "higher")        # scarcer than the exposed: one unmatched
    add(1, 0, 1996, "M", "non_western", "youth")     # no controls at all: unmatched
    add(0, 5, 1997, "F", "danish", "youth")          # controls only
    add(1, 3, 1995, "F", "danish", None)             # missing education is a level
    add(1, 2, 1996, "F", "danish", "primary")        # differs from cell 1 by birth year only
    return pd.DataFrame(rows)


def _key(row: pd.Series) -> tuple:
    return tuple("NA" if pd.isna(row[c]) else row[c] for c in KEYS)


def _brute_force_check(d: pd.DataFrame, m, k: int, *, replace: bool) -> None:
    data = m.data
    by_pid = d.set_index("pid")
    for mid, grp in data.groupby("match_id"):
        exp = grp[grp["match_role"] == "exposed"]
        ctl = grp[grp["match_role"] == "comparison"]
        assert len(exp) == 1, mid
        assert 1 <= len(ctl) <= k
        assert ctl["pid"].is_unique  # distinct controls within a group
        assert (by_pid.loc[ctl["pid"], "exposed"] == 0).all()
        want = _key(by_pid.loc[exp["pid"].iloc[0]].rename(None).to_frame().T.iloc[0])
        for p in ctl["pid"]:
            assert _key(by_pid.loc[p]) == want  # every match agrees on every key
        assert np.allclose(ctl["match_weight"], 1 / len(ctl))
        assert (exp["match_weight"] == 1).all()
    ctl_rows = data[data["match_role"] == "comparison"]
    if not replace:
        assert ctl_rows["pid"].is_unique  # a comparison child in at most one group


@pytest.mark.parametrize("replace", [False, True])
def test_exact_matches_agree_on_every_key_and_respect_k(replace):
    d = _hand_table()
    k = 3
    m = match_controls(d, k=k, on=KEYS, replace=replace, seed=11)
    _brute_force_check(d, m, k, replace=replace)
    # the number of controls each exposed child gets, by brute force over the cells
    d["cell"] = d[KEYS].astype(str).agg("|".join, axis=1)
    n_ctl = m.data[m.data["match_role"] == "comparison"].groupby("match_id").size()
    exp_of = m.data[m.data["match_role"] == "exposed"].set_index("match_id")["pid"]
    cell_of = d.set_index("pid")["cell"]
    for cell, part in d.groupby("cell"):
        e, c = int(part["exposed"].sum()), int((part["exposed"] == 0).sum())
        got = sorted(n_ctl[exp_of[exp_of.map(cell_of) == cell].index].tolist())
        if e == 0:
            continue
        if replace:
            want = [min(k, c)] * e if c else []
        else:  # round robin: min(c, e k) controls dealt out evenly, the rest unmatched
            take = min(c, e * k)
            want = sorted([take // e + (1 if i < take % e else 0) for i in range(e)])
            want = [w for w in want if w > 0]
        assert got == want, cell


def test_unmatched_exposed_are_counted():
    d = _hand_table()
    m = match_controls(d, k=3, on=KEYS, seed=1)
    c = m.counts.set_index(["group", "status"])["n"]
    # one exposed child of the 2-exposed/1-control cell and the one without controls
    assert c["exposed", "eligible"] == 10
    assert c["exposed", "unmatched"] == 2
    assert c["exposed", "matched"] == 8 == m.data["match_id"].nunique()
    assert c["comparison", "eligible"] == 24
    # used: 6 + 4 + 1 + 0 + 0 + 3 + 2
    assert c["comparison", "matched"] == 16
    assert c["comparison", "unmatched"] == 8
    assert m.counts.columns.tolist() == ["group", "status", "n"]


def test_exact_matching_is_deterministic_given_the_seed():
    d = _hand_table()
    a = match_controls(d, k=2, on=KEYS, seed=5).data
    shuffled = d.sample(frac=1, random_state=3)
    b = match_controls(shuffled, k=2, on=KEYS, seed=5).data
    pd.testing.assert_frame_equal(a, b)  # the same seed: the same groups, row order aside
    other = [match_controls(d, k=2, on=KEYS, seed=s).data for s in range(6, 12)]
    assert any(not o["pid"].equals(a["pid"]) for o in other)  # the seed does choose


def test_match_id_is_a_cluster_and_stratum():
    m = match_controls(_hand_table(), k=2, on=KEYS, seed=0)
    ids = m.data["match_id"]
    assert ids.dtype == "int64"
    assert sorted(ids.unique()) == list(range(1, ids.nunique() + 1))
    # the exposed child first in each group
    assert (m.data.groupby("match_id")["match_role"].first() == "exposed").all()


def test_smd_against_the_hand_formula():
    # 4 exposed, 8 comparison; sex and a numeric covariate
    d = pd.DataFrame({
        "pid": range(12),
        "exposed": [1] * 4 + [0] * 8,
        "sex": ["F", "F", "F", "M"] + ["F", "F", "M", "M", "M", "M", "M", "M"],
        "income": [10.0, 12.0, 14.0, 20.0] + [1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0],
        "grp": ["a", "b", "b", "b"] + ["a", "b", "a", "a", "b", "a", "a", "b"],
    })
    m = match_controls(d, k=1, on=["sex"], seed=0, balance=["income", "grp"])
    b = m.balance.set_index(["term", "sample"])
    # before: p1 = 3/4, p0 = 2/8
    p1, p0 = 0.75, 0.25
    den = math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    assert b.loc[("sex=F", "before"), "smd"] == pytest.approx((p1 - p0) / den)
    assert b.loc[("sex=M", "before"), "smd"] == pytest.approx(-(p1 - p0) / den)
    # after exact matching on sex the shares agree: 0, same denominator
    assert b.loc[("sex=F", "after"), "smd"] == pytest.approx(0.0)
    # numeric: pooled sample SDs (ddof 1) of the eligible children
    x1 = np.array([10.0, 12.0, 14.0, 20.0])
    x0 = np.array([1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0])
    den_x = math.sqrt((x1.var(ddof=1) + x0.var(ddof=1)) / 2)
    assert b.loc[("income", "before"), "smd"] == pytest.approx((x1.mean() - x0.mean()) / den_x)
    # after: the matched controls' mean, weighted 1/m within each group, same denominator
    ctl = m.data[m.data["match_role"] == "comparison"]
    exp = m.data[m.data["match_role"] == "exposed"]
    m0 = float((ctl["income"] * ctl["match_weight"]).sum() / ctl["match_weight"].sum())
    assert b.loc[("income", "after"), "smd"] == pytest.approx(
        (exp["income"].mean() - m0) / den_x)
    # a level not matched on: after matching, the shares differ; the denominator stays
    q1, q0 = 0.25, 5 / 8
    den_q = math.sqrt((q1 * (1 - q1) + q0 * (1 - q0)) / 2)
    assert b.loc[("grp=a", "before"), "smd"] == pytest.approx((q1 - q0) / den_q)
    a1 = float((exp["grp"] == "a").mean())
    a0 = float(((ctl["grp"] == "a") * ctl["match_weight"]).sum() / ctl["match_weight"].sum())
    assert a1 != a0
    assert b.loc[("grp=a", "after"), "smd"] == pytest.approx((a1 - a0) / den_q)
    assert m.tidy().columns.tolist() == ["term", "sample", "estimate"]


def test_propensity_matching_recovers_a_planted_effect():
    """A confounder drives exposure and the outcome; the naive contrast is biased."""
    rng = np.random.default_rng(20)
    n = 6000
    conf = rng.normal(size=n)
    sex = rng.choice(["F", "M"], size=n)
    p = 1 / (1 + np.exp(-(-2.0 + 1.2 * conf + 0.3 * (sex == "M"))))
    exposed = (rng.random(n) < p).astype(int)
    effect = 0.5
    y = 1.0 * conf + 0.4 * (sex == "M") + effect * exposed + rng.normal(scale=0.5, size=n)
    d = pd.DataFrame({"pid": np.arange(n), "exposed": exposed, "sex": sex,
                      "income": conf, "y": y})
    naive = d.loc[d.exposed == 1, "y"].mean() - d.loc[d.exposed == 0, "y"].mean()
    assert naive - effect > 0.6  # badly biased
    for replace in (False, True):
        m = match_controls(d, k=2, on=["income", "sex"], method="propensity", caliper=0.2,
                           replace=replace, seed=3)
        md = m.data
        e = md[md["match_role"] == "exposed"]
        c = md[md["match_role"] == "comparison"]
        matched = e["y"].mean() - np.average(c["y"], weights=c["match_weight"])
        assert abs(matched - effect) < 0.08, (replace, matched)
        after = m.balance.set_index(["term", "sample"])["smd"]
        assert abs(after["income", "before"]) > 0.8
        assert abs(after["income", "after"]) < 0.1
        assert "propensity_logit" in set(m.balance["term"])
        # every pair within the caliper
        lo = md.groupby("match_id")["propensity_logit"].agg(lambda s: (s - s.iloc[0]).abs().max())
        assert (lo <= m.caliper_width + 1e-12).all()


def test_propensity_caliper_leaves_exposed_unmatched_and_counts_them():
    rng = np.random.default_rng(4)
    n = 3000
    conf = rng.normal(size=n)
    exposed = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 2.5 * conf)))).astype(int)
    d = pd.DataFrame({"pid": np.arange(n), "exposed": exposed, "income": conf})
    tight = match_controls(d, k=3, on=["income"], method="propensity", caliper=0.05, seed=1)
    loose = match_controls(d, k=3, on=["income"], method="propensity", caliper=None, seed=1)
    ct = tight.counts.set_index(["group", "status"])["n"]
    cl = loose.counts.set_index(["group", "status"])["n"]
    assert ct["exposed", "unmatched"] > cl["exposed", "unmatched"] >= 0
    assert ct["exposed", "matched"] + ct["exposed", "unmatched"] == int(exposed.sum())
    a = match_controls(d, k=3, on=["income"], method="propensity", caliper=0.05, seed=1)
    pd.testing.assert_frame_equal(a.data, tight.data)  # deterministic


def test_parameters_are_checked():
    d = _hand_table()
    with pytest.raises(ParameterError, match="k must"):
        match_controls(d, k=0, on=KEYS)
    with pytest.raises(ParameterError, match="method must be one of"):
        match_controls(d, on=KEYS, method="nearest")
    with pytest.raises(ParameterError, match="no column"):
        match_controls(d, on=["household_income"])
    with pytest.raises(ParameterError, match="caliper"):
        match_controls(d, on=KEYS, method="propensity", caliper=-1)


def test_balance_table_passes_disclosure(tmp_path):
    """Small cells: the released counts hold none, the SMDs resting on them are withheld."""
    from cohort.disclosure import Counts, ModelOutput, Release, check_release

    rng = np.random.default_rng(2)
    n = 400
    d = pd.DataFrame({
        "pid": np.arange(n),
        "exposed": (np.arange(n) < 80).astype(int),
        "sex": rng.choice(["F", "M"], size=n),
        # a rare origin: 2 exposed children and 3 comparison children have it
        "origin": ["rare"] * 2 + ["danish"] * 78 + ["rare"] * 3 + ["danish"] * 317,
    })
    # two exposed children in a cell without controls: 2 unmatched
    d.loc[[10, 11], "sex"] = "X"
    m = match_controls(d, k=2, on=["sex", "origin"], seed=0)
    c = m.counts.set_index(["group", "status"])["n"]
    assert 0 < c["exposed", "unmatched"] < 5  # a small count the release must not show
    with Release(tmp_path / "rel", seed=1) as rel:
        counts = rel.write_table("matching", m.counts, Counts(
            count_cols=("n",), by=("group", "status"),
            totals={"status": {"eligible": ["matched", "unmatched"]}}))
        bal = rel.write_table("balance", m.tidy(), ModelOutput(
            support=m.balance_support, persons="n_persons", on=("term", "sample")))
    shown = counts["n"].dropna().astype(int)
    assert not ((shown > 0) & (shown < 5)).any()
    # the unmatched cell is hidden, and so is its partner: the total cannot give it back
    assert counts["n"].isna().sum() >= 2
    b = bal.set_index(["term", "sample"])["estimate"]
    assert b[["origin=rare"]].isna().all()  # 2 and 3 children: withheld
    assert b[["origin=danish"]].isna().all()  # its complement: the same children
    assert b[["sex=F"]].notna().all()
    assert check_release(tmp_path / "rel").ok
