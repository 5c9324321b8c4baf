"""Hypothesis strategies: small, valid worlds crowded on the definitions' boundaries."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from cohort.extract.schema import (
    BENEFITS,
    EDUCATION_LEVELS,
    EDUCATION_OUTCOMES,
    LABOUR_STATUSES,
    OFFENCES,
    PLACEMENT_KINDS,
    YOUTH_LEVELS,
)

ADDRESS_IDS = ("vp1", "vp2", "gl1", "gl2", "kb1", "aa1")
_D = dt.date.fromisoformat
#: Reference dates of the indicators and criteria, and their neighbours.
EDGE_DATES = [_D(x) for x in (
    "2015-12-31", "2016-01-01", "2016-06-30", "2016-11-30", "2016-12-31",
    "2017-01-01", "2017-01-02", "2017-06-30", "2017-07-01", "2017-09-30", "2017-11-30",
    "2017-12-01", "2017-12-31", "2018-01-01", "2018-01-02", "2018-06-30", "2018-07-01",
    "2018-09-30", "2018-10-01", "2018-11-30", "2018-12-01", "2018-12-31", "2019-01-01",
    "2019-09-30", "2019-10-01", "2019-11-30", "2019-12-31",
)]
#: Birth dates that put a person exactly on an age bound on a reference date.
EDGE_BIRTHS = [_D(x) for x in (
    "1950-01-01", "1950-01-02", "1951-01-01", "1953-11-30", "1954-11-30", "1958-12-31",
    "1959-01-01", "1988-01-01", "1988-01-02", "1988-12-31", "1989-01-01", "1996-02-29",
    "1994-12-31", "1995-01-01", "2000-01-01", "2000-02-29", "2000-11-30", "2000-12-31",
    "2003-12-31", "2004-01-01", "2017-06-01",
    # 16 / 30 on 30 November and 15 / 30 on 31 December of 2016-2018
    "2000-12-01", "2001-11-30", "2002-11-30", "2002-12-01", "1986-11-30", "1987-11-30",
    "1988-11-30", "1988-12-01", "2001-12-31", "2002-01-01", "2002-12-31", "2003-01-01",
    "1986-12-31", "1987-01-01", "1987-12-31",
)]

dates = st.one_of(st.sampled_from(EDGE_DATES),
                  st.dates(min_value=_D("2015-01-01"), max_value=_D("2020-06-30")))
births = st.one_of(st.sampled_from(EDGE_BIRTHS),
                   st.dates(min_value=_D("1985-01-01"), max_value=_D("2004-12-31")),
                   st.dates(min_value=_D("1945-01-01"), max_value=_D("2017-12-31")))
#: Addresses, the estate's twice as likely as the others.
addresses = st.sampled_from(("vp1", "vp2", "vp1", "vp2", "gl1", "gl2", "kb1", "aa1"))
levels = st.one_of(st.sampled_from(EDUCATION_LEVELS), st.sampled_from(YOUTH_LEVELS))
ends = st.one_of(st.none(), st.integers(min_value=0, max_value=900))
grades = st.one_of(st.none(), st.sampled_from([-3.0, 0.0, 2.0, 4.0, 7.0, 10.0, 12.0]))


def _end(start: dt.date, days: int | None) -> dt.date | None:
    return None if days is None else start + dt.timedelta(days=days)


@st.composite
def person_rows(draw, pid: str) -> dict[str, list[dict]]:
    birth = draw(births)
    out: dict[str, list[dict]] = {k: [] for k in (
        "persons", "residence", "benefits", "exams", "absence", "education", "placements",
        "labour", "income", "convictions")}
    death = draw(st.one_of(st.none(), st.none(), dates.filter(lambda x: x > birth)))
    out["persons"].append({"pid": pid, "birth_date": birth, "sex": "F", "death_date": death})
    # residence: consecutive cut dates, some spells left out (a stay abroad)
    # Most persons arrive long before the reference dates; the rest on one of them.
    early = max(birth, _D("2010-01-01"))
    first = draw(st.one_of(st.just(early), st.just(early), dates.filter(lambda x: x >= birth)))
    later = draw(st.lists(dates.filter(lambda x: x > first), max_size=4))
    cuts = sorted({first, *later})
    for i, start in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else draw(st.one_of(st.none(), dates.filter(
            lambda x, s=start: x > s)))
        if draw(st.integers(0, 4)) == 0:
            continue  # a gap
        out["residence"].append({"pid": pid, "address_id": draw(addresses),
                                 "moved_in": start, "moved_out": end})
    for _ in range(draw(st.integers(0, 2))):
        s = draw(dates)
        out["benefits"].append({"pid": pid, "benefit": draw(st.sampled_from(BENEFITS)),
                                "start_date": s, "end_date": _end(s, draw(ends))})
    for year in draw(st.sets(st.sampled_from([2016, 2017, 2018]), max_size=2)):
        out["exams"].append({"pid": pid, "year": year, "danish": draw(grades),
                             "math": draw(grades)})
    for year in draw(st.sets(st.sampled_from([2016, 2017, 2018]), max_size=2)):
        out["absence"].append({"pid": pid, "year": year,
                               "unauthorised_days": draw(st.integers(0, 8))})
    for _ in range(draw(st.integers(0, 2))):
        s = draw(dates)
        out["education"].append({"pid": pid, "level": draw(levels),
                                 "start_date": s, "end_date": _end(s, draw(ends)),
                                 "outcome": draw(st.sampled_from(EDUCATION_OUTCOMES))})
    for _ in range(draw(st.integers(0, 1))):
        s = draw(dates)
        out["placements"].append({"pid": pid, "start_date": s, "end_date": _end(s, draw(ends)),
                                  "kind": draw(st.sampled_from(PLACEMENT_KINDS))})
    for year in (2016, 2017, 2018, 2019):
        if draw(st.integers(0, 3)) == 0:
            continue  # no labour row that year
        out["labour"].append({"pid": pid, "year": year,
                              "status": draw(st.sampled_from(LABOUR_STATUSES))})
    for year in (2017, 2018, 2019):
        if draw(st.integers(0, 3)) == 0:
            continue
        out["income"].append({"pid": pid, "year": year, "disposable_income": None,
                              "gross_income": draw(st.one_of(
                                  st.none(), st.integers(0, 900_000).map(float)))})
    for _ in range(draw(st.integers(0, 2))):
        out["convictions"].append({"pid": pid, "decision_date": draw(dates),
                                   "offence": draw(st.sampled_from(OFFENCES))})
    return out


@st.composite
def worlds(draw, max_persons: int = 10, min_persons: int = 1) -> dict[str, list[dict]]:
    n = draw(st.integers(min_persons, max_persons))
    world: dict[str, list[dict]] = {}
    for i in range(n):
        for t, rows in draw(person_rows(f"p{i}")).items():
            world.setdefault(t, []).extend(rows)
    return world


def dense_world(seed: int, n: int = 300) -> dict[str, list[dict]]:
    """A larger seeded world with the same distributions, for coverage at scale
    (Hypothesis keeps its examples small)."""
    import random

    rng = random.Random(seed)
    lo, hi = _D("2015-01-01"), _D("2020-06-30")

    def date(after: dt.date | None = None) -> dt.date:
        start = max(lo, after + dt.timedelta(days=1)) if after else lo
        if rng.random() < 0.5:
            edge = [x for x in EDGE_DATES if x >= start]
            if edge:
                return rng.choice(edge)
        return start + dt.timedelta(days=rng.randrange(max(1, (hi - start).days)))

    def end(start: dt.date) -> dt.date | None:
        return None if rng.random() < 0.5 else start + dt.timedelta(days=rng.randrange(901))

    world: dict[str, list[dict]] = {k: [] for k in (
        "persons", "residence", "benefits", "exams", "absence", "education", "placements",
        "labour", "income", "convictions")}
    for i in range(n):
        pid = f"p{i}"
        u = rng.random()
        if u < 0.3:
            birth = rng.choice(EDGE_BIRTHS)
        elif u < 0.65:
            birth = _D("1985-01-01") + dt.timedelta(days=rng.randrange(7300))
        else:
            birth = _D("1945-01-01") + dt.timedelta(days=rng.randrange(26600))
        death = None if rng.random() < 0.85 else date(birth - dt.timedelta(days=1))
        world["persons"].append({"pid": pid, "birth_date": birth, "sex": "F", "death_date": death})
        early = max(birth, _D("2010-01-01"))
        first = early if rng.random() < 0.7 else date(birth - dt.timedelta(days=1))
        cuts = sorted({first, *(date(first) for _ in range(rng.randrange(4)))})
        cuts = [c for c in cuts if c >= first]
        for k, start in enumerate(cuts):
            stop = cuts[k + 1] if k + 1 < len(cuts) else (
                None if rng.random() < 0.7 else date(start))
            if rng.random() < 0.2:
                continue
            world["residence"].append({"pid": pid, "address_id": rng.choice(
                ("vp1", "vp2", "vp1", "vp2", "gl1", "gl2", "kb1", "aa1")), "moved_in": start,
                "moved_out": stop})
        for _ in range(rng.randrange(3)):
            s = date()
            world["benefits"].append({"pid": pid, "benefit": rng.choice(BENEFITS),
                                      "start_date": s, "end_date": end(s)})
        for year in rng.sample([2016, 2017, 2018], rng.randrange(3)):
            g = [None, -3.0, 0.0, 2.0, 4.0, 7.0, 10.0, 12.0]
            world["exams"].append({"pid": pid, "year": year, "danish": rng.choice(g),
                                   "math": rng.choice(g)})
        for year in rng.sample([2016, 2017, 2018], rng.randrange(3)):
            world["absence"].append({"pid": pid, "year": year,
                                     "unauthorised_days": rng.randrange(9)})
        for _ in range(rng.randrange(3)):
            s = date()
            lv = rng.choice(EDUCATION_LEVELS if rng.random() < 0.5 else YOUTH_LEVELS)
            world["education"].append({"pid": pid, "level": lv, "start_date": s,
                                       "end_date": end(s),
                                       "outcome": rng.choice(EDUCATION_OUTCOMES)})
        if rng.random() < 0.3:
            s = date()
            world["placements"].append({"pid": pid, "start_date": s, "end_date": end(s),
                                        "kind": rng.choice(PLACEMENT_KINDS)})
        for year in (2016, 2017, 2018, 2019):
            if rng.random() < 0.75:
                world["labour"].append({"pid": pid, "year": year,
                                        "status": rng.choice(LABOUR_STATUSES)})
        for year in (2017, 2018, 2019):
            if rng.random() < 0.75:
                world["income"].append({"pid": pid, "year": year, "disposable_income": None,
                                        "gross_income": None if rng.random() < 0.1
                                        else float(rng.randrange(900_000))})
        for _ in range(rng.randrange(3) if rng.random() < 0.4 else 0):
            world["convictions"].append({"pid": pid, "decision_date": date(),
                                         "offence": rng.choice(OFFENCES)})
    return world
