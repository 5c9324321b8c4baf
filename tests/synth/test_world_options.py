"""A world a referee would test on (issue 20, item 7): the options of the synthetic world."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import cohort
from cohort.exceptions import ParameterError
from cohort.synth import REFEREE_WORLD, WorldOptions, synthesise, truth
from cohort.synth._simulate import _child_shares, _enrolment_shares
from cohort.synth._world import UNIT_OTHER, UNIT_VP, make_world

PERSONS = 40_000


@pytest.fixture(scope="module")
def referee(tmp_path_factory):
    out = tmp_path_factory.mktemp("referee") / "x"
    synthesise(out, persons=PERSONS, seed=11, world=REFEREE_WORLD)
    return out


def test_options_are_checked_and_described():
    assert WorldOptions().default and WorldOptions().describe() == ""
    assert not REFEREE_WORLD.default
    assert "area-year shocks sd 0.03" in REFEREE_WORLD.describe()
    for bad in ({"area_year_shock_sd": -0.1}, {"pre_trend": 0.5}, {"selective_moves": "x"},
                {"covariate_effects": 1}, {"area_year_shock_sd": float("nan")}):
        with pytest.raises(ParameterError, match="WorldOptions"):
            WorldOptions(**bad)
    with pytest.raises(ParameterError, match="world must be"):
        synthesise("unused", persons=2_000, world={"pre_trend": 0.01})


def test_default_options_draw_nothing_and_change_nothing():
    """With every option off the world is the one written without options."""
    a, b = make_world(20_000), make_world(20_000, options=WorldOptions(), seed=3)
    assert b.options is None and b.shocks is None
    for year in (2010, 2016):
        np.testing.assert_array_equal(_enrolment_shares(a, year), _enrolment_shares(b, year))


def test_area_year_shocks_are_one_draw_per_unit_and_year_and_seeded():
    opts = WorldOptions(area_year_shock_sd=0.03)
    w, again, other = (make_world(20_000, options=opts, seed=s) for s in (5, 5, 6))
    plain = make_world(20_000)
    np.testing.assert_array_equal(w.shocks, again.shocks)
    assert not np.array_equal(w.shocks, other.shocks)
    assert w.shocks.shape[0] == UNIT_OTHER + 1
    assert abs(w.shocks.std() - 0.03) < 0.004  # about 1,000 draws
    for year in (2008, 2016, 2018):
        got = _enrolment_shares(w, year) - _enrolment_shares(plain, year)
        np.testing.assert_allclose(got, w.shock(year), atol=1e-12)


def test_pre_trend_moves_the_estate_alone():
    w = make_world(20_000, options=WorldOptions(pre_trend=0.01))
    plain = make_world(20_000)
    for year in (2008, 2015, 2018):
        diff = _enrolment_shares(w, year) - _enrolment_shares(plain, year)
        assert diff[UNIT_VP] == pytest.approx(0.01 * (year - truth.PRE_TREND_ZERO_YEAR))
        assert np.all(diff[1:] == 0)


def test_covariate_effects_add_the_same_to_treated_and_untreated():
    """Ability and sex move a child's probability; the ATT stays the planted one."""
    from cohort.synth._population import new_stores

    w = make_world(20_000, options=WorldOptions(covariate_effects=True))
    P, _ = new_stores(8)
    idx = P.append(4, u=np.array([0.0, 1.0, -1.0, 0.5]), sex=np.array([0, 1, 0, 1]))
    share = np.full(4, 0.8)
    got = _child_shares(w, P, idx, share)
    want = 0.8 + truth.COVARIATE_U * np.array([0.0, 1.0, -1.0, 0.5]) + truth.COVARIATE_GIRL * \
        np.array([1, -1, 1, -1])
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(_child_shares(w, P, idx, share + 0.04) - got, 0.04, atol=1e-6)
    np.testing.assert_array_equal(_child_shares(make_world(20_000), P, idx, share), share)


def test_referee_extract_keeps_the_contract_and_names_its_world(referee):
    meta = tomllib.loads((referee / "extract.toml").read_text())
    assert REFEREE_WORLD.describe() in meta["name"]
    ex = cohort.read_extract(referee)
    try:
        for t, r in ex.report.tables.items():
            assert r.rows_quarantined == 0, t
    finally:
        ex.close()


def _estate_children(path) -> pd.DataFrame:
    """Children with an exam row who lived in an estate at the baseline date: unit then
    and on 1 January of the exam year, and their grades."""
    ex = cohort.read_extract(path)
    try:
        return ex.con.sql("""
            WITH kids AS (
              SELECT e.pid, e.year, (e.danish + e.math) / 2.0 AS grade,
                     make_date(e.year - 3, 6, 30) AS base, make_date(e.year, 1, 1) AS jan
              FROM exams e WHERE e.year BETWEEN 2006 AND 2018),
            res AS (SELECT r.pid, r.moved_in, COALESCE(r.moved_out, DATE '9999-12-31') AS out_,
                           a.area FROM residence r JOIN addresses a USING (address_id))
            SELECT k.pid, k.year, k.grade, b.area AS area_base, j.area AS area_exam
            FROM kids k
            JOIN res b ON b.pid = k.pid AND b.moved_in <= k.base AND k.base < b.out_
            LEFT JOIN res j ON j.pid = k.pid AND j.moved_in <= k.jan AND k.jan < j.out_
            WHERE b.area IS NOT NULL AND b.area <> ''
        """).df()
    finally:
        ex.close()


def test_selective_moves_take_the_stronger_children_out_in_grades_7_to_9(referee, tmp_path):
    kids = _estate_children(referee)
    left = kids["area_exam"].fillna("") != kids["area_base"]
    assert 0.05 < left.mean() < 0.6  # without the option: never (school stability)
    # the children who leave have better grades (ability drives both)
    gap = kids.loc[left, "grade"].mean() - kids.loc[~left, "grade"].mean()
    assert gap > 0.4, gap
    plain = tmp_path / "plain"
    synthesise(plain, persons=PERSONS, seed=11,
               world=replace(REFEREE_WORLD, selective_moves=0.0))
    k0 = _estate_children(plain)
    assert (k0["area_exam"].fillna("") == k0["area_base"]).all()


def test_cli_writes_the_referee_world(tmp_path, capsys):
    from cohort.cli import main

    out = tmp_path / "x"
    assert main(["synth", str(out), "--persons", "2000", "--seed", "1", "--world", "referee",
                 "--pre-trend", "0.005"]) == 0
    name = tomllib.loads((out / "extract.toml").read_text())["name"]
    assert "pre-trend 0.005 a year" in name and "selective moves" in name
    assert "Synthetic extract written" in capsys.readouterr().out


def test_a_block_far_over_its_quota_is_trimmed_to_it_exactly():
    """Too few singles and pairs for the rest: larger families fill it (the referee's
    selective moves can grow the local block beyond its quota)."""
    from types import SimpleNamespace

    from cohort.synth._tables import _family_keep

    sizes = [4] * 300 + [3] * 40 + [1] * 2  # 1,322 persons, 2 singles, no pairs
    fam = np.repeat(np.arange(len(sizes)), sizes)
    block = SimpleNamespace(P=SimpleNamespace(n=len(fam), hh=np.arange(len(fam))),
                            H=SimpleNamespace(fam=fam))
    for quota in (1_000, 1_001, 1_111):
        keep = _family_keep(block, quota, np.random.default_rng(quota))
        assert keep.sum() == quota
        kept = set(fam[keep])  # whole families only
        assert all(keep[fam == f].all() for f in kept)
