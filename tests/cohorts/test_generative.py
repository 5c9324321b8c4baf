"""Generative test: build_cohort against a slow reference of definitions §3,
one person and one day at a time."""

from __future__ import annotations

import datetime as dt
import warnings

from _worlds import EXTRACT_END, WHERE, address_on, birthday, tables, worlds
from hypothesis import HealthCheck, given, settings

from cohort.cohorts import OUTCOMES, CohortSpec, OutcomeSpec, build_cohort

SPEC = CohortSpec(birth_years=(1998, 2004), covariates=("sex",),
                  outcomes=OutcomeSpec(names=OUTCOMES))
OFFENCES = ("penal_code", "weapons", "drugs")
YOUTH = ("youth_general", "youth_vocational")


def _add_years(d: dt.date, years: int) -> dt.date:
    return birthday(d, years)


def _gap(world, pid, origin):
    """The first day on or after ``origin`` (up to extract_end) the person lives nowhere."""
    key = (id(world), pid, origin)
    if key not in _GAPS:
        _GAPS[key] = None
        d = origin
        while d <= EXTRACT_END:
            if address_on(world, pid, d) is None:
                _GAPS[key] = d
                break
            d += dt.timedelta(days=1)
    return _GAPS[key]


_GAPS: dict = {}


def _follow(world, pid, death, origin, event):
    """(time, event, exit) from ``origin`` for an event date (or None)."""
    gap = _gap(world, pid, origin)
    candidates = [(death, "death"), (gap, "emigration"), (EXTRACT_END, "extract_end"),
                  (_add_years(origin, SPEC.censoring.max_follow_up_years), "max_follow_up")]
    cens = min(c for c, _ in candidates if c is not None)
    reason = next(r for c, r in candidates if c == cens)
    if event is not None and event <= cens:
        return (event - origin).days, 1, "event"
    return (cens - origin).days, 0, reason


def reference(world):
    out = {}
    exams = {}
    for p, y, *_ in world["exams"]:
        exams[p] = min(y, exams.get(p, y))
    for pid, birth, _, death in world["persons"]:
        if not 1998 <= birth.year <= 2004:
            continue
        ref = birthday(birth, 15)
        origin = dt.date(exams.get(pid, birth.year + 16), 6, 30)
        alive = death is None or death > origin
        if origin > EXTRACT_END or address_on(world, pid, origin) is None or not alive:
            continue
        if ref > EXTRACT_END:
            continue
        a = address_on(world, pid, ref)
        if a is None or WHERE[a][0] != 159:
            continue
        group = "exposed" if WHERE[a][1] == "vaerebro_park" else "comparison"
        starts, ends = [], []
        for p, level, _, s, e, outcome in world["education"]:
            if p != pid or level not in YOUTH:
                continue
            if s >= origin:
                starts.append(s)
            elif e is None or e > origin:
                starts.append(origin)
            if outcome == "completed" and e is not None:
                ends.append(max(e, origin))
        row = {"group": group,
               "youth_education_start": _follow(world, pid, death, origin,
                                                min(starts, default=None)),
               "youth_education_completion": _follow(world, pid, death, origin,
                                                     min(ends, default=None))}
        o18 = birthday(birth, 18)
        if (o18 <= EXTRACT_END and address_on(world, pid, o18) is not None
                and (death is None or death > o18)):
            jobs = [dt.date(y, 11, 30) for p, y, s in world["labour"]
                    if p == pid and s in ("employed", "self_employed")
                    and dt.date(y, 11, 30) >= o18]
            row["employment"] = _follow(world, pid, death, o18, min(jobs, default=None))
        else:
            row["employment"] = None
        o15 = birthday(birth, 15)
        if (o15 <= EXTRACT_END and address_on(world, pid, o15) is not None
                and (death is None or death > o15)):
            convicted = [d for p, d, offence in world["convictions"]
                         if p == pid and offence in OFFENCES and d >= o15]
            row["first_conviction"] = _follow(world, pid, death, o15,
                                              min(convicted, default=None))
        else:
            row["first_conviction"] = None
        out[pid] = row
    return out


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds(education=True, labour=True, childhoods=True, convictions=True))
def test_outcome_times_match_the_reference(make_extract, world):
    rows = tables(world)
    rows.setdefault("education", [])
    rows.setdefault("labour", [])
    rows.setdefault("convictions", [])
    ex = make_extract(rows, extract_end=EXTRACT_END.isoformat())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = build_cohort(ex, SPEC)
    want = reference(world)
    _GAPS.clear()
    assert set(c.data["pid"]) == set(want)
    for r in c.data.to_dict("records"):
        w = want[r["pid"]]
        assert r["group"] == w["group"]
        for o in OUTCOMES:
            got = (r[f"{o}_time"], r[f"{o}_event"], r[f"{o}_exit"])
            if w[o] is None:
                assert got[2] is None
            else:
                assert got == w[o], o
