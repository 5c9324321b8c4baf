"""The goals analysis (docs/study.md, "The four goals"; docs/indicators.md §7).

Goal 3 is counted by hand on a hand-made extract; the pooled comparison row, the
baseline share, the change and the net are checked on the released table.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort.disclosure import DisclosureSettings, Release
from cohort.exceptions import StudyFileError
from cohort.study.analyses._base import Context
from cohort.study.analyses.goals import GOALS, Goals
from cohort.study.spec import parse_study

_spec_ = importlib.util.spec_from_file_location(
    "_flows_conftest", Path(__file__).resolve().parents[1] / "flows" / "conftest.py")
_flows = importlib.util.module_from_spec(_spec_)
_spec_.loader.exec_module(_flows)

# a, b, y: adults with work and a degree (resource-strong); x: an adult without
LAB = [(p, yr, "employed") for p in ("a", "b", "c", "y") for yr in range(2010, 2020)]
EDU = [(p, "bachelor", "2005-06-30", "completed") for p in ("a", "b", "c", "y")]
RESIDENCE = [
    ("a", "k1", "2010-01-01", "2014-03-01"),
    ("a", "e1", "2014-03-01", "2015-12-01"),   # in 2014 (strong), out within 2 years
    ("a", "k1", "2015-12-01", None),
    ("b", "g1", "2010-01-01", "2015-06-01"),
    ("b", "e2", "2015-06-01", None),           # in 2015 (strong), stays
    ("c", "e1", "2010-01-01", None),           # resident, dies 2015-09-09
    ("x", "k1", "2010-01-01", "2015-02-01"),
    ("x", "e1", "2015-02-01", None),           # in 2015, not resource-strong
    ("y", "e2", "2010-01-01", "2015-05-01"),   # out 2015 (strong)
    ("y", "f1", "2015-05-01", None),
]
PERSONS = [("a", "1980-01-01", None), ("b", "1980-01-01", None),
           ("c", "1960-01-01", "2015-09-09"), ("x", "1980-01-01", None),
           ("y", "1980-01-01", None)]


def _spec(comparison=("comparison", "far")):
    return parse_study({
        "study": {"name": "goals test", "seed": 1},
        "units": {"target": "estate", "municipality": 159, "comparison": list(comparison)},
        "analyses": {"goals": {"years": [2014, 2016], "baseline_year": 2015,
                               "goals": [3]}},
    })


@pytest.fixture(scope="module")
def ex(tmp_path_factory):
    e = _flows.build_extract(RESIDENCE, persons=PERSONS, labour=LAB, education=EDU,
              root=tmp_path_factory.mktemp("goals"))
    yield e
    e.close()


@pytest.fixture(scope="module")
def rows(ex):
    spec = _spec()
    g = Goals()
    params = g.validate(dict(spec.analyses["goals"]), where="[analyses.goals]")
    return g.compute(Context(extract=ex, spec=spec), params)["goals"]


def _cell(rows, indicator, unit, year):
    m = (rows["indicator"] == indicator) & (rows["unit"] == unit) & (rows["year"] == year)
    assert m.sum() == 1, (indicator, unit, year)
    r = rows[m].iloc[0]
    return int(r["numerator"]), int(r["denominator"])


def test_goal_3_counted_by_hand(rows):
    t = "area:estate"
    # 1 January: 2015 a, c, y (all strong); 2016 b (strong) and x (not)
    assert _cell(rows, "resource_strong_share", t, 2015) == (3, 3)
    assert _cell(rows, "resource_strong_share", t, 2016) == (1, 2)
    # adults moving in: 2014 a; 2015 b (strong) and x (not)
    assert _cell(rows, "resource_strong_in_moves", t, 2014) == (1, 1)
    assert _cell(rows, "resource_strong_in_moves", t, 2015) == (1, 2)
    # moving out: 2015 y (strong) and a (strong; c's death is no move)
    assert _cell(rows, "resource_strong_out_moves", t, 2015) == (2, 2)
    # of the strong in-movers, those still there two years later
    assert _cell(rows, "resource_strong_retention", t, 2014) == (0, 1)
    assert _cell(rows, "resource_strong_retention", t, 2015) == (1, 1)
    # every row's goal is the goal of its indicator
    assert set(rows["indicator"]) == set(GOALS[3])
    assert (rows["goal"] == 3).all()


def test_comparison_areas_are_pooled_and_not_released_one_by_one(rows):
    assert set(rows["unit"]) == {"area:estate", "municipality:159", "comparison"}
    # y moved from the estate into the area 'far' on 1 May 2015 (the area
    # 'comparison' has nobody): the pooled areas' counts
    assert _cell(rows, "resource_strong_in_moves", "comparison", 2015) == (1, 1)
    assert _cell(rows, "resource_strong_share", "comparison", 2015) == (0, 0)
    assert _cell(rows, "resource_strong_share", "comparison", 2016) == (1, 1)
    # the municipality (159) holds the estate and g1: a, b, c, x, y at times
    assert _cell(rows, "resource_strong_share", "municipality:159", 2015) == (4, 4)


def test_released_table_has_baseline_change_and_net(rows, tmp_path):
    spec = _spec()
    g = Goals()
    params = g.validate(dict(spec.analyses["goals"]), where="[analyses.goals]")
    # without suppression (the values are tiny): the derived columns are the point
    settings = DisclosureSettings(enabled=False, reason="test of the derived columns")
    ctx = Context(extract=None, spec=spec)
    (out,) = g.present({"goals": rows}, ctx, params)
    with pytest.warns(UserWarning, match="disabled"), \
            Release(tmp_path / "rel", disclosure=settings) as rel:
        released = rel.write_table(out.name, out.data, out.policy)
    r = released.set_index(["indicator", "unit", "year"])
    t = "area:estate"
    base = r.loc[("resource_strong_share", t, 2015)]
    later = r.loc[("resource_strong_share", t, 2016)]
    assert later["baseline_year"] == 2015
    assert later["baseline_share"] == pytest.approx(1.0)
    assert later["change"] == pytest.approx(1 / 2 - 1)
    assert base["change"] == pytest.approx(0.0)
    # net = strong in-moves - strong out-moves, on both move rows
    assert r.loc[("resource_strong_in_moves", t, 2015), "net"] == 1 - 2
    assert r.loc[("resource_strong_out_moves", t, 2015), "net"] == 1 - 2
    assert pd.isna(r.loc[("resource_strong_share", t, 2015), "net"])
    # retention of 2016's in-movers needs data to the end of 2018: there (2019)
    assert ("resource_strong_retention", t, 2016) in r.index


def test_retention_needs_the_years_after(rows, ex):
    assert ex.extract_end == dt.date(2019, 12, 31)
    years = set(rows.loc[rows["indicator"] == "resource_strong_retention", "year"])
    assert years == {2014, 2015, 2016}


@pytest.mark.parametrize(("params", "what"), [
    ({"years": [2014, 2016], "baseline_year": 2018}, "baseline_year"),
    ({"years": [2014, 2016], "baseline_year": 2015, "goals": [5]}, "goals"),
    ({"years": [2014, 2016], "baseline_year": 2015, "goals": [1, 1]}, "goals"),
    ({"years": [2014, 2016], "baseline_year": 2015, "retention_years": 0}, "retention_years"),
])
def test_bad_parameters_are_study_file_errors(params, what):
    with pytest.raises(StudyFileError, match=what):
        Goals().validate(dict(params), where="[analyses.goals]")


def test_shares_are_numerator_over_denominator(rows):
    ok = rows["denominator"] > 0
    np.testing.assert_allclose(rows.loc[ok, "share"],
                               rows.loc[ok, "numerator"] / rows.loc[ok, "denominator"])
    assert rows.loc[~ok, "share"].isna().all()
