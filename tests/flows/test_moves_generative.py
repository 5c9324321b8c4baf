"""moves() against the slow day-by-day reference on random residence histories."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.flows import moves

ADDRESS_IDS = ["e1", "e2", "g1", "c1", "k1", "f1"]
ADDRESS_ROWS = [("e1", 159, "estate"), ("e2", 159, "estate"), ("g1", 159, None),
                ("c1", 159, "comparison"), ("k1", 101, None), ("f1", 101, "far")]
START = dt.date(2014, 12, 20)
END = dt.date(2015, 12, 31)
STATUSES = ["employed", "self_employed", "student", "unemployed", "other"]
LEVELS = ["primary", "preparatory", "youth_general", "youth_vocational", "bachelor"]
# birth dates near the 25 / 65 boundaries of the window, one on 29 February
BIRTHS = [dt.date(1990, 3, 1), dt.date(1990, 7, 10), dt.date(1988, 2, 29),
          dt.date(1950, 9, 1), dt.date(1951, 2, 28), dt.date(1970, 1, 1)]


@st.composite
def person(draw, pid):
    spells = []
    d = START + dt.timedelta(days=draw(st.integers(0, 30)))
    for _ in range(draw(st.integers(1, 5))):
        length = draw(st.integers(1, 120))
        out = d + dt.timedelta(days=length)
        spells.append([pid, draw(st.sampled_from(ADDRESS_IDS)), d, out])
        d = out + dt.timedelta(days=draw(st.sampled_from([0, 0, 0, 1, 2, 30])))
    if draw(st.booleans()):
        spells[-1][3] = None  # open at the end of the data
    born_on_first = draw(st.integers(0, 4)) == 0
    birth = spells[0][2] if born_on_first else draw(st.sampled_from(BIRTHS))
    death = None
    if draw(st.integers(0, 3)) == 0:
        pick = draw(st.integers(0, len(spells) - 1))
        s, e = spells[pick][2], spells[pick][3]
        kind = draw(st.sampled_from(["end", "inside", "after"]))
        if kind == "end" and e is not None:
            death = e
        elif kind == "inside":
            death = s + dt.timedelta(days=draw(st.integers(1, 40)))
        else:
            death = (e or END) + dt.timedelta(days=draw(st.integers(0, 40)))
        death = max(death, birth)
    labour = [(pid, y, draw(st.sampled_from(STATUSES)))
              for y in draw(st.sets(st.integers(2012, 2015), max_size=3))]
    education = [(pid, draw(st.sampled_from(LEVELS)),
                  START + dt.timedelta(days=draw(st.integers(-400, 300))),
                  draw(st.sampled_from(["completed", "completed", "dropped"])))
                 for _ in range(draw(st.integers(0, 2)))]
    return (pid, birth, death), [tuple(x) for x in spells], labour, education


@st.composite
def histories(draw):
    n = draw(st.integers(1, 10))  # persons are independent: many per extract
    people = [draw(person(f"q{i}")) for i in range(n)]
    end = draw(st.sampled_from([dt.date(2015, 6, 30), dt.date(2015, 12, 31)]))
    return people, end


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_moves_match_day_by_day_reference(build, reference, data):
    people, end = data
    persons = [p for p, *_ in people]
    residence = [s for _, sp, *_ in people for s in sp]
    labour = [x for *_, lab, _ in people for x in lab]
    education = [x for *_, edu in people for x in edu]
    root = Path(tempfile.mkdtemp(prefix="flows-gen-"))
    try:
        ex = build(residence, persons=persons, labour=labour, education=education,
                   extract_end=end.isoformat(), root=root)
        with ex:
            got = moves(ex, area=None)
        got_rows = sorted(
            (r.area, r.pid, r.date.date(), r.direction, r.counterpart, r.resource_status)
            for r in got.itertuples()
        )
        want = reference.slow_moves(residence, persons, ADDRESS_ROWS, labour, education, end)
        assert got_rows == want
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_one_area_equals_its_rows_of_all_areas(build, data):
    people, end = data
    persons = [p for p, *_ in people]
    residence = [s for _, sp, *_ in people for s in sp]
    root = Path(tempfile.mkdtemp(prefix="flows-gen-"))
    try:
        ex = build(residence, persons=persons, extract_end=end.isoformat(), root=root)
        with ex:
            one = moves(ex, area="estate")
            every = moves(ex, area=None)
            mun = moves(ex, area="municipality:159")
        sub = every[every["area"] == "estate"].drop(columns="area").reset_index(drop=True)
        assert one.astype(str).equals(sub.astype(str))
        # the municipality as a unit: a move between its areas is not a move of it
        assert set(mun["counterpart"].astype(str)) <= {"birth", "death", "abroad",
                                                       "other_municipality"}
    finally:
        shutil.rmtree(root, ignore_errors=True)
