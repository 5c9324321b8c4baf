"""Generative tests: the DuckDB engine against slow reference versions of the
same definitions (tests/engine/_worlds.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from _worlds import EXTRACT_END, WHERE, tables, worlds
from _worlds import address_on as ref_address_on
from _worlds import highest_level as ref_highest_level
from _worlds import years_in_area as ref_years_in_area
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.engine import address_on, highest_level, lives_in
from cohort.exposure import years_in_area

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
dates = st.dates(dt.date(1998, 1, 1), EXTRACT_END + dt.timedelta(days=3))


@SETTINGS
@given(world=worlds(), when=st.lists(dates, min_size=1, max_size=6))
def test_address_on_and_lives_in_match_the_reference(make_extract, world, when):
    ex = make_extract(tables(world), extract_end=EXTRACT_END.isoformat())
    pids = [p[0] for p in world["persons"]]
    keys = pd.DataFrame([(p, d) for p in pids for d in when], columns=["pid", "date"])
    got = address_on(ex, keys).df()
    got_map = {(p, d.date()): a for p, d, a in zip(got["pid"], got["date"], got["address_id"],
                                                   strict=True)}
    assert len(got) == len(keys.drop_duplicates())
    for p, d in keys.itertuples(index=False):
        want = ref_address_on(world, p, d)
        assert (got_map[(p, d)] if isinstance(got_map[(p, d)], str) else None) == want
    inside = lives_in(ex, "municipality:159", keys).df()
    for p, d, v in zip(inside["pid"], inside["date"], inside["lives_in"], strict=True):
        a = ref_address_on(world, p, d.date())
        assert bool(v) == (a is not None and WHERE[a][0] == 159)


@SETTINGS
@given(world=worlds(), window=st.sampled_from([(6, 16), (0, 5), (10, 12), (15, 16)]))
def test_years_in_area_matches_the_reference(make_extract, world, window):
    ex = make_extract(tables(world), extract_end=EXTRACT_END.isoformat())
    a, b = window
    got = years_in_area(ex, area="vaerebro_park", from_age=a, to_age=b)
    for p, *_ in world["persons"]:
        want = ref_years_in_area(world, p, "vaerebro_park", a, b)
        if want is None:
            assert pd.isna(got[p])
        else:
            assert abs(got[p] - want) < 1e-9


@SETTINGS
@given(world=worlds(education=True), when=st.lists(dates, min_size=1, max_size=5))
def test_highest_level_matches_the_reference(make_extract, world, when):
    ex = make_extract(tables(world) | {"education": [
        tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r)
        for r in world["education"]]}, extract_end=EXTRACT_END.isoformat())
    pids = [p[0] for p in world["persons"]]
    keys = pd.DataFrame([(p, d) for p in pids for d in when], columns=["pid", "date"])
    got = highest_level(ex, keys).df()
    assert len(got) == len(keys.drop_duplicates())
    for p, d, level in zip(got["pid"], got["date"], got["level"], strict=True):
        assert level == ref_highest_level(world, p, d.date())
