"""Lexis splitting: a worked example and properties (person-time and events are
preserved; no episode crosses a cut)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohort.cohorts import area_states, lexis_split
from cohort.exceptions import ParameterError

D = dt.date.fromisoformat


def _one(birth, origin, time, event, **kw):
    data = pd.DataFrame({"pid": ["a"], "birth_date": [pd.Timestamp(birth)],
                         "origin_date": [pd.Timestamp(origin)], "x_time": [time],
                         "x_event": [event]})
    return lexis_split(data, outcome="x", **kw)


def test_worked_example_with_a_29_february_birth():
    # born 29 Feb 2000, origin 30 Jun 2016, followed to 1 Jan 2019 with the event
    t = (D("2019-01-01") - D("2016-06-30")).days
    out = _one("2000-02-29", "2016-06-30", t, 1, age_breaks=[17, 18],
               period_breaks=[2017, 2018, 2019], time_breaks=[1, 2])
    cuts = {
        "2017-01-01", "2017-03-01",  # period; 17th birthday (2017 is a common year)
        "2017-06-30", "2018-01-01", "2018-03-01", "2018-06-30",
    }
    days = sorted((D(c) - D("2016-06-30")).days for c in cuts)
    assert list(out["start"]) == [0, *days]
    assert list(out["stop"]) == [*days, t]
    assert list(out["event"]) == [0] * 6 + [1]
    assert list(out["age_band"].astype(str)) == ["<17", "<17", "[17,18)", "[17,18)", "[17,18)",
                                                 ">=18", ">=18"]
    assert list(out["period"].astype(str)) == ["<2017", "[2017,2018)", "[2017,2018)",
                                               "[2017,2018)", "[2018,2019)", "[2018,2019)",
                                               "[2018,2019)"]
    assert list(out["time_band"].astype(str)) == ["<1", "<1", "<1", "[1,2)", "[1,2)", "[1,2)",
                                                  ">=2"]
    assert out["person_time"].sum() == t


def test_event_at_time_zero_keeps_one_episode_and_zero_censored_none():
    out = _one("2000-01-01", "2016-06-30", 0, 1, age_breaks=[16])
    assert list(out[["start", "stop", "event"]].itertuples(index=False, name=None)) == [(0, 0, 1)]
    assert len(_one("2000-01-01", "2016-06-30", 0, 0, age_breaks=[16])) == 0


def test_states_cut_and_label():
    states = pd.DataFrame({"pid": ["a", "a", "a"],
                           "date": pd.to_datetime(["2010-01-01", "2017-01-01", "2018-01-01"]),
                           "in_area": [1, 0, 1]})
    out = _one("2000-01-01", "2016-06-30", 1000, 0, states=states)
    assert list(out["start"]) == [0, 185, 550]
    assert list(out["in_area"]) == [1, 0, 1]


def test_breaks_are_checked():
    with pytest.raises(ParameterError, match="age_breaks must be increasing"):
        _one("2000-01-01", "2016-06-30", 10, 0, age_breaks=[18, 17])


@st.composite
def follow_up(draw):
    n = draw(st.integers(1, 30))
    births = draw(st.lists(st.dates(D("1990-01-01"), D("2005-12-31")), min_size=n, max_size=n))
    data = pd.DataFrame({
        "pid": [f"p{i}" for i in range(n)],
        "birth_date": pd.to_datetime(births),
        "origin_date": pd.to_datetime([dt.date(b.year + 16, 6, 30) for b in births]),
        "x_time": draw(st.lists(st.integers(0, 4000), min_size=n, max_size=n)),
        "x_event": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
    })
    return data


@settings(max_examples=40, deadline=None)
@given(data=follow_up(), ages=st.sampled_from([[16, 18, 20, 25], [17], [21, 22]]),
       periods=st.sampled_from([[2008, 2012, 2016], [2010], [2000, 2020]]),
       times=st.sampled_from([[1, 2, 5], [3]]))
def test_person_time_and_events_are_preserved_and_no_episode_crosses_a_cut(data, ages,
                                                                           periods, times):
    out = lexis_split(data, outcome="x", age_breaks=ages, period_breaks=periods,
                      time_breaks=times)
    kept = data[(data["x_time"] > 0) | (data["x_event"] == 1)]
    assert out["person_time"].sum() == kept["x_time"].sum()
    assert out["event"].sum() == kept["x_event"].sum()
    assert (out["stop"] >= out["start"]).all()
    per = out.groupby("pid").agg(first=("start", "min"), last=("stop", "max"),
                                 pt=("person_time", "sum"))
    assert (per["first"] == 0).all()
    assert (per["last"] == kept.set_index("pid")["x_time"].loc[per.index]).all()
    # no episode crosses a cut: every cut date lies outside each episode's interior
    merged = out.merge(data[["pid", "birth_date", "origin_date"]], on="pid")
    o = merged["origin_date"].to_numpy().astype("datetime64[D]")
    s = o + merged["start"].to_numpy().astype("timedelta64[D]")
    e = o + merged["stop"].to_numpy().astype("timedelta64[D]")
    cuts = []
    for a in ages:
        b = merged["birth_date"]
        cuts.append(np.array([_bday(x, a) for x in b], dtype="datetime64[D]"))
    for y in periods:
        cuts.append(np.full(len(merged), np.datetime64(f"{y}-01-01", "D")))
    for k in times:
        cuts.append(np.array([_bday(x, k) for x in merged["origin_date"]], dtype="datetime64[D]"))
    for c in cuts:
        assert not np.any((c > s) & (c < e))


def _bday(ts: pd.Timestamp, years: int) -> dt.date:
    d = ts.date()
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return dt.date(d.year + years, 3, 1)


def test_area_states_from_residence(make_extract):
    ex = make_extract({
        "persons": [("a", "2000-01-01", "F")],
        "residence": [("a", "G1", "2000-01-01", "2010-01-01"), ("a", "E1", "2010-01-01",
                                                                 "2012-01-01"),
                      ("a", "E2", "2012-01-01", "2017-01-01"), ("a", "G1", "2017-03-01", None)],
    })
    data = pd.DataFrame({"pid": ["a"]})
    st_ = area_states(ex, data, area="vaerebro_park")
    assert list(zip(st_["date"].dt.date, st_["in_area"], strict=True)) == [
        (D("2000-01-01"), 0), (D("2010-01-01"), 1), (D("2017-01-01"), 0)]
