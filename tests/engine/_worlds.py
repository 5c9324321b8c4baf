"""Hypothesis strategies for small register worlds, and slow, obviously correct
reference versions of the contract's definitions (one date at a time, in plain
Python) to compare the DuckDB engine with.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from cohort.extract.schema import EDUCATION_LEVELS, LABOUR_STATUSES, OFFENCES, YOUTH_LEVELS

ADDRESS_IDS = ("E1", "E2", "G1", "K1", "K2")
#: (municipality, area) per address, as in _tiny_extracts.ADDRESSES
WHERE = {"E1": (159, "vaerebro_park"), "E2": (159, "vaerebro_park"), "G1": (159, None),
         "K1": (101, None), "K2": (101, "other_estate")}
EXTRACT_END = dt.date(2019, 12, 31)
_BIRTHS = [dt.date(1999, 3, 1), dt.date(2000, 2, 29), dt.date(2000, 12, 31), dt.date(2001, 6, 30),
           dt.date(2002, 1, 1), dt.date(2003, 7, 1), dt.date(2004, 2, 29)]


def birthday(birth: dt.date, age: int) -> dt.date:
    """The age-th birthday; 29 February -> 1 March in common years."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return dt.date(birth.year + age, 3, 1)


@st.composite
def worlds(draw, *, max_persons: int = 8, education: bool = False, labour: bool = False,
           childhoods: bool = False, convictions: bool = False):
    """A list of persons with residence spells (gaps, open ends, deaths), and
    optionally education spells, labour rows, exams rows and convictions (decided
    around the 15th birthday, the spells' ends and later). ``childhoods`` makes
    most persons live in the country from birth, with long spells and youth
    education, so that most of them enter a cohort of children."""
    n = draw(st.integers(3 if childhoods else 1, max_persons))
    persons, residence, edu, lab, exams, conv = [], [], [], [], [], []
    for i in range(n):
        pid = f"p{i}"
        birth = draw(st.one_of(st.sampled_from(_BIRTHS),
                               st.dates(dt.date(1998, 1, 1), dt.date(2004, 12, 31))))
        # boundary dates a spell may start or end on: birthdays and 30 June at 16
        marks = [birthday(birth, a) for a in (6, 15, 16, 18)] + [dt.date(birth.year + 16, 6, 30)]
        from_birth = draw(st.integers(0, 4)) > 0 if childhoods else draw(st.booleans())
        t = birth if from_birth else birth + dt.timedelta(days=draw(st.integers(1, 4000)))
        k = draw(st.integers(1 if childhoods else 0, 5))
        last_out = None
        for j in range(k):
            dur = draw(st.integers(1, 6000 if childhoods else 3000))
            open_end = j == k - 1 and draw(st.booleans())
            out = None if open_end else t + dt.timedelta(days=dur)
            later = [m for m in marks if m > t]
            if out is not None and later and draw(st.integers(0, 2)) == 0:
                out = draw(st.sampled_from(later))
            if out is not None and out > EXTRACT_END + dt.timedelta(days=400):
                out = None
            residence.append((pid, draw(st.sampled_from(ADDRESS_IDS)), t, out))
            last_out = out
            if out is None or out > EXTRACT_END:
                break
            gap = draw(st.sampled_from([0, 0, 1, 30, 400]))
            t = out + dt.timedelta(days=gap)
        death = None
        if last_out is not None and last_out <= EXTRACT_END and draw(st.integers(0, 3)) == 0:
            death = last_out
        persons.append((pid, birth, draw(st.sampled_from(["F", "M"])), death))
        if education:
            for _ in range(draw(st.integers(0, 3))):
                origin = dt.date(birth.year + 16, 6, 30)
                start = draw(st.sampled_from([
                    birth + dt.timedelta(days=draw(st.integers(13 * 365, 20 * 365))),
                    origin, origin - dt.timedelta(days=300)]))
                end = draw(st.sampled_from([
                    None, start + dt.timedelta(days=draw(st.integers(0, 1500))), origin,
                    start + dt.timedelta(days=draw(st.integers(0, 1500)))]))
                if end is not None and end < start:
                    end = start
                outcome = ("ongoing" if end is None
                           else draw(st.sampled_from(["completed", "dropped"])))
                if start <= EXTRACT_END and (end is None or end <= EXTRACT_END):
                    levels = (YOUTH_LEVELS * 3 + EDUCATION_LEVELS if childhoods
                              else EDUCATION_LEVELS)
                    edu.append((pid, draw(st.sampled_from(levels)), None, start, end, outcome))
        if labour:
            for y in draw(st.sets(st.integers(birth.year + 15, 2019), max_size=6)):
                lab.append((pid, y, draw(st.sampled_from(LABOUR_STATUSES))))
            if draw(st.booleans()):
                exams.append((pid, birth.year + draw(st.sampled_from([15, 16, 17])), 7.0, 7.0))
        if convictions:
            b15 = birthday(birth, 15)
            ends = [o for p, _, _, o in residence if p == pid and o is not None]
            for _ in range(draw(st.integers(0, 3))):
                d = draw(st.one_of(
                    st.sampled_from([b15 - dt.timedelta(days=1), b15, b15 + dt.timedelta(days=1),
                                     *ends]),
                    st.dates(birth + dt.timedelta(days=13 * 365), EXTRACT_END)))
                if d <= EXTRACT_END:
                    conv.append((pid, d, draw(st.sampled_from(OFFENCES))))
    return {"persons": persons, "residence": residence, "education": edu, "labour": lab,
            "exams": exams, "convictions": conv}


def tables(world: dict) -> dict[str, list[tuple]]:
    """The world as rows for _tiny_extracts.frame (ISO strings for dates)."""
    def iso(v):
        return v.isoformat() if isinstance(v, dt.date) else v

    out = {
        "persons": [(p, iso(b), s, None, None, None, iso(d)) for p, b, s, d in world["persons"]],
        "residence": [tuple(iso(v) for v in r) for r in world["residence"]],
    }
    for t in ("education", "labour", "exams", "convictions"):
        if world.get(t):
            out[t] = [tuple(iso(v) for v in r) for r in world[t]]
    return out


# -- reference definitions, one person and one date at a time --------------------
def spell_end(out: dt.date | None) -> dt.date:
    """Open spells run through the extract's end."""
    return EXTRACT_END + dt.timedelta(days=1) if out is None else out


def address_on(world: dict, pid: str, d: dt.date) -> str | None:
    for p, a, i, o in world["residence"]:
        if p == pid and i <= d < spell_end(o):
            return a
    return None


def years_in_area(world: dict, pid: str, area: str, a: int, b: int) -> float | None:
    birth = next(bd for p, bd, _, _ in world["persons"] if p == pid)
    start, stop = birthday(birth, a), birthday(birth, b)
    if stop > EXTRACT_END + dt.timedelta(days=1):
        return None
    days = 0
    d = start
    while d < stop:
        addr = address_on(world, pid, d)
        if addr is not None and WHERE[addr][1] == area:
            days += 1
        d += dt.timedelta(days=1)
    return days / 365.25


def highest_level(world: dict, pid: str, d: dt.date) -> str:
    best = 0
    for p, level, _, _, end, outcome in world["education"]:
        if p == pid and outcome == "completed" and end is not None and end <= d:
            best = max(best, EDUCATION_LEVELS.index(level))
    return EDUCATION_LEVELS[best]
