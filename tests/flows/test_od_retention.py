"""The origin-destination matrix between the study's units, and retention."""

from __future__ import annotations

import pytest

from cohort.exceptions import ParameterError
from cohort.flows import od_matrix, od_pivot, retention_cox, retention_data, retention_km
from cohort.flows._od import municipality_regions

# e1, e2: estate (159 Gladsaxe); g1: rest of 159; c1: area "comparison" (159);
# k1: 101 København (same region, 1084); f1: area "far" in 101.
RESIDENCE = [
    ("a", "g1", "2010-01-01", "2015-03-01"),
    ("a", "e1", "2015-03-01", "2016-03-01"),   # rest_of_municipality -> estate (2015)
    ("a", "c1", "2016-03-01", None),           # estate -> comparison (2016)
    ("b", "k1", "2010-01-01", "2015-05-01"),
    ("b", "e2", "2015-05-01", "2015-09-01"),   # rest_of_region -> estate (2015)
    ("b", "f1", "2015-09-01", None),           # estate -> rest_of_region (2015; far is no unit)
    ("c", "e1", "2015-07-07", "2017-01-01"),   # abroad -> estate (2015), estate -> abroad (2017)
    ("n", "e1", "2015-04-04", None),           # birth -> estate (2015)
    ("x", "g1", "2014-01-01", "2015-02-02"),   # rest_of_municipality -> rest_of_region (2015)
    ("x", "k1", "2015-02-02", None),
]
PERSONS = [("a", "1980-01-01", None), ("b", "1980-01-01", None), ("c", "1980-01-01", None),
           ("n", "2015-04-04", None), ("x", "1980-01-01", "2016-06-06")]


@pytest.fixture(scope="module")
def ex(tmp_path_factory, build):
    lab = [(p, y, "employed") for p in ("a",) for y in range(2010, 2020)]
    edu = [("a", "youth_general", "2000-06-30", "completed")]
    e = build(RESIDENCE, persons=PERSONS, labour=lab, education=edu,
              root=tmp_path_factory.mktemp("od"))
    yield e
    e.close()


def test_regions_are_shipped():
    regions = municipality_regions()
    assert regions[159] == 1084 and regions[101] == 1084
    assert len(set(regions.values())) == 5


def test_od_matrix_2015(ex):
    od = od_matrix(ex, area="estate", comparison=["comparison"], periods=[2015, 2016, 2017])
    m = od_pivot(od, period="2015")
    assert m.loc["rest_of_municipality", "estate"] == 1
    assert m.loc["rest_of_region", "estate"] == 1
    assert m.loc["estate", "rest_of_region"] == 1
    assert m.loc["abroad", "estate"] == 1
    assert m.loc["birth", "estate"] == 1
    assert m.loc["rest_of_municipality", "rest_of_region"] == 1
    assert int(m.to_numpy().sum()) == 6
    m16 = od_pivot(od, period="2016")
    assert m16.loc["estate", "comparison"] == 1
    assert m16.loc["rest_of_region", "death"] == 1
    assert int(m16.to_numpy().sum()) == 2
    m17 = od_pivot(od, period="2017")
    assert m17.loc["estate", "abroad"] == 1
    # the resource status of a's move into the estate
    a_in = od[(od["period"] == "2015") & (od["origin"] == "rest_of_municipality")
              & (od["destination"] == "estate")]
    assert a_in["resource_status"].astype(str).tolist() == ["resource_strong"]
    assert list(od.columns) == ["period", "origin", "destination", "resource_status", "moves"]


def test_od_periods_as_ranges(ex):
    od = od_matrix(ex, area="estate", periods={"2015-17": (2015, 2017)})
    assert int(od["moves"].sum()) == 9
    with pytest.raises(ParameterError, match="periods"):
        od_matrix(ex, area="estate", periods={"bad": (2017, 2015)})
    with pytest.raises(ParameterError, match="comparison"):
        od_matrix(ex, area="estate", comparison=["estate"], periods=[2015])


def test_retention_episodes(ex):
    r = retention_data(ex, area="estate")
    got = {(p, e): (x, int(ev), int(d)) for p, e, x, ev, d in
           r[["pid", "episode", "exit", "event", "days"]].itertuples(index=False)}
    assert got == {
        ("a", 1): ("moved_out", 1, 366),   # 2015-03-01 -> 2016-03-01
        ("b", 1): ("moved_out", 1, 123),
        ("c", 1): ("moved_out", 1, 544),
    }
    withb = retention_data(ex, area="estate", include_births=True)
    n = withb[withb["origin"] == "birth"].iloc[0]
    assert (n.exit, n.event, n.exit_date.date().isoformat()) == ("end_of_data", 0, "2019-12-31")
    km = retention_km(r)
    assert set(km.table["resource_status"]) == {"resource_strong", "not_resource_strong"}


def test_retention_censored_at_death(make_extract):
    ex = make_extract([("p", "e1", "2015-01-01", None), ("q", "e1", "2015-01-01", "2016-01-01"),
                       ("r", "e1", "2015-01-01", "2015-07-01"), ("s", "e1", "2015-01-01", None),
                       ("t", "e1", "2015-01-01", None), ("u", "e1", "2015-01-01", "2017-02-02")],
                      persons=[("p", "1980-01-01", "2017-01-01"), ("q", "1980-01-01", None),
                               ("r", "1980-01-01", None), ("s", "1980-01-01", None),
                               ("t", "1980-01-01", None), ("u", "1980-01-01", None)],
                      labour=[(p, 2014, "employed") for p in "qrt"],
                      education=[(p, "youth_vocational", "2000-01-01", "completed")
                                 for p in "qrt"])
    r = retention_data(ex, area="estate")
    assert r.set_index("pid")["exit"].astype(str).to_dict() == {
        "p": "died", "q": "moved_out", "r": "moved_out", "s": "end_of_data",
        "t": "end_of_data", "u": "moved_out"}
    assert r.set_index("pid")["event"].to_dict() == {"p": 0, "q": 1, "r": 1, "s": 0,
                                                     "t": 0, "u": 1}
    fit = retention_cox(r)
    tidy = fit.tidy()
    assert tidy["term"].tolist() == ["resource_strong"]
    assert tidy["estimate"].iloc[0] > 0   # the resource-strong leave sooner here


def test_retention_with_delayed_entry_against_a_hand_count(make_extract):
    """In-moves before the window enter the risk set at their duration on its first day.

    Window from 2015-01-01. a left before it and e on its first day (both out); b
    (in 2012) and d (in 2013) enter late; c and f moved in inside the window.
    """
    import datetime as dt

    import numpy as np

    ex = make_extract(
        [("a", "e1", "2010-01-01", "2014-06-01"), ("b", "e1", "2012-01-01", "2016-01-01"),
         ("c", "e1", "2015-07-01", "2017-07-01"), ("d", "e2", "2013-01-01", None),
         ("e", "e2", "2014-12-31", "2015-01-01"), ("f", "e1", "2016-01-01", "2016-07-01")],
        labour=[("b", 2000, "unemployed")])
    periods = {"2010-2014": (2010, 2014), "2015-2019": (2015, 2019)}
    r = retention_data(ex, area="estate", window_start=dt.date(2015, 1, 1), periods=periods)
    got = {p: (int(e0), int(e1), int(ev), str(per)) for p, e0, e1, ev, per in
           r[["pid", "entry_days", "days", "event", "period"]].itertuples(index=False)}
    assert got == {"b": (1096, 1461, 1, "2010-2014"),   # 2012-01-01 -> 2015-01-01 -> 2016-01-01
                   "c": (0, 731, 1, "2015-2019"),
                   "d": (730, 2555, 0, "2010-2014"),    # still there at the end of the data
                   "f": (0, 182, 1, "2015-2019")}
    assert r["status_observed"].all()  # labour from 2000: the year before each in-move is in it
    # by hand, (entry, exit] at risk: 182 days: c, f -> 1/2; 731: c, d -> 1/4; 1461: b, d -> 1/8
    km = retention_km(r, by="period")
    assert set(km.table["period"]) == set(periods)
    pooled = retention_km(r.assign(resource_status="not_resource_strong"))
    t = pooled.tidy()
    steps = t[t["n_event"] > 0]
    np.testing.assert_allclose(steps["time"], np.array([182, 731, 1461]) / 365.25)
    np.testing.assert_array_equal(steps["n_risk"], [2, 2, 2])
    np.testing.assert_allclose(steps["estimate"], [1 / 2, 1 / 4, 1 / 8])
    late = km.tidy()[km.tidy()["period"] == "2010-2014"]
    assert late.loc[late["n_event"] > 0, "estimate"].tolist() == [0.5]
    # without the window: every in-move from the day it happened, a and e among them
    naive = retention_km(retention_data(ex, area="estate").assign(
        resource_status="not_resource_strong")).tidy()
    assert naive["n_risk"].iloc[0] == 6
    with pytest.raises(ParameterError, match="periods"):
        retention_data(ex, area="estate", periods={"x": (2015, 2010)})
    with pytest.raises(ParameterError, match="period"):
        retention_km(retention_data(ex, area="estate"), by="period")
