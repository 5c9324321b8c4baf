"""The synthetic world of estates: comparison estates in every region, the district
around the estate, youth convictions (planted effect 4), and randomization
inference over the comparison estates.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from cohort.synth import (
    AREA_MUNICIPALITIES,
    COMPARISON_AREAS,
    DEFAULT_PERSONS,
    DEFAULT_SEED,
    DISTRICT,
    TARGET_AREA,
    synthesise,
    truth,
)
from cohort.synth._world import municipalities

NEEDED = ("persons", "residence", "addresses", "convictions")
AREAS = (TARGET_AREA, *COMPARISON_AREAS)
PRE, POST = range(2008, 2016), range(2016, 2020)


def _region_of() -> dict[int, int]:
    codes, regions = municipalities()
    return dict(zip(codes.tolist(), regions.tolist(), strict=True))


def test_comparison_estates_lie_in_every_region():
    assert len(COMPARISON_AREAS) >= 20
    assert len(set(AREAS)) == len(AREAS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", a) for a in AREAS)
    # the first three keep their names and municipalities
    assert COMPARISON_AREAS[:3] == ("tingbjerg", "gellerup", "vollsmose")
    assert [AREA_MUNICIPALITIES[a] for a in COMPARISON_AREAS[:3]] == [101, 751, 461]
    assert AREA_MUNICIPALITIES[TARGET_AREA] == 159
    assert set(AREA_MUNICIPALITIES) == set(AREAS)
    region = _region_of()
    munis = {AREA_MUNICIPALITIES[a] for a in COMPARISON_AREAS}
    assert 159 not in munis and munis <= set(region)
    assert {region[m] for m in munis} == {1081, 1082, 1083, 1084, 1085}
    # randomization inference over them can reject at 5 %
    assert 1 / (len(COMPARISON_AREAS) + 1) < 0.05


def test_truth_of_the_comparison_estates_and_youth_convictions():
    for y in (2008, 2012, 2016, 2018):
        untreated = truth.enrolment_share("estate_untreated", y)
        for a in COMPARISON_AREAS:
            assert untreated - truth.enrolment_share(a, y) == pytest.approx(
                truth.COMPARISON_GAPS[a])
        for a in COMPARISON_AREAS[:3]:
            assert truth.enrolment_share(a, y) == pytest.approx(
                truth.enrolment_share("comparison", y))
        c0 = truth.youth_conviction_rate("estate_untreated", y)
        for a in COMPARISON_AREAS:
            assert c0 - truth.youth_conviction_rate(a, y) == pytest.approx(
                truth.YOUTH_CONVICTION_GAPS[a])
            assert 0.0 < truth.youth_conviction_rate(a, y) < 0.2
        att = truth.youth_conviction_rate("estate", y) - c0
        assert att == pytest.approx(truth.ATT_YOUTH_CONVICTIONS.get(y, 0.0))
    # the estate lies among the comparison estates (a synthetic control can match it)
    gaps = np.array(list(truth.COMPARISON_GAPS.values()))
    assert gaps.min() < 0 < gaps.max()
    assert np.mean(gaps) == pytest.approx(truth.COMPARISON_GAP, abs=0.01)
    assert set(truth.ATT_YOUTH_CONVICTIONS) == set(POST)
    assert all(v < 0 for v in truth.ATT_YOUTH_CONVICTIONS.values())
    with pytest.raises(ValueError, match="unknown group"):
        truth.youth_conviction_rate("rest", 2016)


def _lives_in(t, day: pd.Timestamp) -> pd.DataFrame:
    """(pid, area, municipality, district) of everyone living in the country on ``day``."""
    r = t["residence"]
    r = r[(r["moved_in"] <= day) & (r["moved_out"].isna() | (r["moved_out"] > day))]
    p = t["persons"].set_index("pid")["death_date"].reindex(r["pid"]).to_numpy()
    r = r[pd.isna(p) | (p > day)]
    return r.merge(t["addresses"], on="address_id")[["pid", "area", "municipality", "district"]]


def _youth_convictions(t, years) -> pd.DataFrame:
    """Area x year: persons aged 15-29 living in the area on 31 December of the year
    (``n``) and those of them convicted of a qualifying offence in that year (``k``),
    as definitions.md section 7 (``youth_convictions``)."""
    lo, hi = truth.YOUTH_CONVICTION_AGES
    birth = t["persons"].set_index("pid")["birth_date"]
    c = t["convictions"]
    c = c[c["offence"].isin(truth.YOUTH_CONVICTION_OFFENCES)]
    rows = []
    for y in years:
        live = _lives_in(t, pd.Timestamp(y, 12, 31)).dropna(subset=["area"])
        age = y - birth.reindex(live["pid"]).dt.year.to_numpy()  # birthdays fall by 31 Dec
        live = live[(age >= lo) & (age <= hi)]
        hit = set(c.loc[c["decision_date"].dt.year == y, "pid"])
        g = live.assign(k=live["pid"].isin(hit)).groupby("area")["k"].agg(["size", "sum"])
        rows.append(pd.DataFrame({"area": g.index, "year": y, "n": g["size"].to_numpy(),
                                  "k": g["sum"].to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out["share"] = out["k"] / out["n"]
    return out


@pytest.fixture(scope="module")
def t(synth_default_extract, load_tables):
    return load_tables(synth_default_extract, NEEDED)


@pytest.fixture(scope="module")
def youth(t):
    return _youth_convictions(t, range(2005, 2020))


def test_every_estate_and_the_district_are_in_the_default_extract(t):
    a = t["addresses"]
    areas = a.dropna(subset=["area"]).groupby("area")["municipality"].unique()
    assert set(areas.index) == set(AREAS)
    for name, munis in areas.items():
        assert munis.tolist() == [AREA_MUNICIPALITIES[name]], name
    live = _lives_in(t, pd.Timestamp(2018, 12, 31))
    residents = live["area"].value_counts()
    assert residents[TARGET_AREA] >= 2_200
    assert all(residents[c] >= 250 for c in COMPARISON_AREAS)
    # some comparison estates are large enough for the ministry's list (1,000 residents)
    assert (residents[list(COMPARISON_AREAS)] >= 1_000).sum() >= 5
    # the district: the estate and part of the rest of Gladsaxe, about 20,000 residents
    assert set(a["district"].dropna()) == {DISTRICT}
    d = a[a["district"] == DISTRICT]
    assert set(d["municipality"]) == {159}
    estate = a[a["area"] == TARGET_AREA]
    assert (estate["district"] == DISTRICT).all()
    assert d["area"].dropna().eq(TARGET_AREA).all()
    n = (_lives_in(t, pd.Timestamp(2018, 1, 1))["district"] == DISTRICT).sum()
    assert 17_000 <= n <= 23_000


def test_youth_convictions_have_their_planted_rates(youth):
    """Pooled over 2005-2019, every area's count is its expected count (sum of
    n * rate) within 4 binomial standard deviations."""
    group = {TARGET_AREA: "estate"} | {a: a for a in COMPARISON_AREAS}
    rate = [truth.youth_conviction_rate(group[a], y) for a, y in zip(youth["area"],
                                                                       youth["year"], strict=True)]
    x = youth.assign(e=youth["n"] * np.asarray(rate), v=youth["n"] * np.asarray(rate) * (
        1 - np.asarray(rate)))
    pooled = x.groupby("area")[["k", "e", "v"]].sum()
    z = (pooled["k"] - pooled["e"]) / np.sqrt(pooled["v"])
    assert set(pooled.index) == set(AREAS)
    assert (z.abs() < 4).all(), z[z.abs() >= 4]
    assert youth.loc[youth["area"] == TARGET_AREA, "n"].min() >= 250


def _did(panel: pd.DataFrame) -> tuple[float, float]:
    """The estate's change (post minus pre mean share) minus the mean comparison
    estate's change, with its binomial standard error."""
    def change(d):
        pre, post = d[d["year"].isin(PRE)], d[d["year"].isin(POST)]
        var = (pre["share"] * (1 - pre["share"]) / pre["n"]).sum() / len(pre) ** 2 + (
            post["share"] * (1 - post["share"]) / post["n"]).sum() / len(post) ** 2
        return post["share"].mean() - pre["share"].mean(), var

    ch = {a: change(d) for a, d in panel.groupby("area")}
    comp = [ch[a] for a in COMPARISON_AREAS]
    est = ch[TARGET_AREA][0] - np.mean([c[0] for c in comp])
    var = ch[TARGET_AREA][1] + sum(c[1] for c in comp) / len(comp) ** 2
    return float(est), float(np.sqrt(var))


def test_difference_in_differences_recovers_the_youth_conviction_effect(youth):
    est, se = _did(youth)
    assert abs(est - truth.ATT_YOUTH_CONVICTIONS[2016]) < 3 * se, (est, se)


@pytest.mark.slow
def test_randomization_inference_over_the_estates_rejects_a_large_effect(tmp_path, load_tables):
    """Planted in the generator (a test-only parameter): the estate's youth-conviction
    share rises by 0.10 from 2016. Over the 25 comparison estates the placebo
    distribution has 26 values, so the smallest attainable p-value is 1/26 < 0.05,
    and the planted effect reaches it."""
    from cohort.did import randomization_inference
    from cohort.synth._run import write_canonical

    out = tmp_path / "large"
    write_canonical(out, persons=DEFAULT_PERSONS, seed=DEFAULT_SEED, fmt="parquet",
                    name="Synthetic register extract (test: a large planted effect)",
                    att_youth_convictions={y: 0.10 for y in POST})
    panel = _youth_convictions(load_tables(out, NEEDED), range(PRE[0], POST[-1] + 1))
    assert set(panel["area"]) == set(AREAS)
    ri = randomization_inference(panel, yname="share", idname="area", tname="year",
                                 treated_unit=TARGET_AREA, treat_start=POST[0])
    assert ri.n_controls == len(COMPARISON_AREAS)
    smallest = 1 / (ri.n_controls + 1)
    assert smallest < 0.05
    assert ri.p_value == pytest.approx(smallest)
    assert abs(ri.estimate - 0.10) < 0.03
    # the planted effect is what the estimate finds: the DiD of the same panel
    est, se = _did(panel)
    assert est == pytest.approx(ri.estimate)
    assert abs(est - 0.10) < 3 * se


def test_district_is_written_in_every_format(tmp_path):
    from cohort.extract import read_extract

    for fmt in ("parquet", "csv", "dst"):
        synthesise(tmp_path / fmt, persons=2_000, seed=1, format=fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ex = read_extract(tmp_path / fmt)
        try:
            a = ex.con.sql("SELECT area, municipality, district FROM addresses").df()
        finally:
            ex.close()
        d = a[a["district"].notna()]
        assert set(d["district"]) == {DISTRICT}, fmt
        assert set(d["municipality"]) == {159}, fmt
        assert a.loc[a["area"] == TARGET_AREA, "district"].eq(DISTRICT).all(), fmt
        assert len(d) > (a["area"] == TARGET_AREA).sum(), fmt
