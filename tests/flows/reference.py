"""A slow, obviously correct derivation of moves: day by day, literally comparing
where each person lived on d - 1 with where they live on d (definitions.md §4).

Pure Python over plain tuples; the tests compare cohort.flows with it.
"""

from __future__ import annotations

import datetime as dt

LEVELS = ("primary", "preparatory", "youth_general", "youth_vocational", "short_cycle",
          "bachelor", "master", "phd")
DAY = dt.timedelta(days=1)


def _date(x):
    if x is None:
        return None
    return dt.date.fromisoformat(x) if isinstance(x, str) else x


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years; a 29 February birthday falls on 1 March in common years."""
    try:
        birthday = birth.replace(year=on.year)
    except ValueError:  # 29 February in a common year
        birthday = dt.date(on.year, 3, 1)
    return on.year - birth.year - (1 if on < birthday else 0)


def status_on(pid, d, birth, labour, education, lag=1) -> str:
    """Resource status on d: labour of the latest year before d's year, at most lag back."""
    a = age_on(birth, d)
    if a < 25 or a > 64:
        return "not_adult"
    years = [y for (p, y, _) in labour if p == pid and y < d.year]
    status = None
    if years and (lag is None or max(years) >= d.year - lag):
        latest = max(years)
        status = next(s for (p, y, s) in labour if p == pid and y == latest)
    qualified = any(
        p == pid and o == "completed" and e is not None and _date(e) <= d
        and LEVELS.index(lv) >= LEVELS.index("youth_general")
        for (p, lv, e, o) in education
    )
    if status in ("employed", "self_employed") and qualified:
        return "resource_strong"
    return "not_resource_strong"


def slow_moves(residence, persons, addresses, labour, education, extract_end):
    """All moves of every area, as sorted tuples
    ``(area, pid, date, direction, counterpart, resource_status)``."""
    extract_end = _date(extract_end)
    addr = {a: (m, ar) for a, m, ar in addresses}
    people = {p: (_date(b), _date(dd)) for p, b, dd in persons}
    out = []
    for pid, (birth, death) in people.items():
        spells = [(a, _date(i), _date(o)) for (p, a, i, o) in residence if p == pid]
        if not spells:
            continue

        def where(d, spells=spells, death=death):
            if death is not None and d >= death:
                return None
            for a, i, o in spells:
                if i <= d and (o is None or d < o):
                    return a
            return None

        first = min(i for _, i, _ in spells)
        d = first
        while d <= extract_end:
            before, now = where(d - DAY), where(d)
            area_before = addr[before][1] if before else None
            area_now = addr[now][1] if now else None
            if area_now is not None and area_now != area_before:
                if birth == d:
                    origin = "birth"
                elif before is None:
                    origin = "abroad"
                elif addr[before][0] == addr[now][0]:
                    origin = "same_municipality"
                else:
                    origin = "other_municipality"
                st = status_on(pid, d, birth, labour, education)
                out.append((area_now, pid, d, "in", origin, st))
            if area_before is not None and area_before != area_now:
                if death == d:
                    dest = "death"
                elif now is None:
                    dest = "abroad"
                elif addr[now][0] == addr[before][0]:
                    dest = "same_municipality"
                else:
                    dest = "other_municipality"
                st = status_on(pid, d, birth, labour, education)
                out.append((area_before, pid, d, "out", dest, st))
            d += DAY
    return sorted(out)


def residents_on(residence, persons, addresses, area, d, labour, education):
    """{pid: resource status} of the persons living in ``area`` on ``d``."""
    d = _date(d)
    addr = {a: (m, ar) for a, m, ar in addresses}
    out = {}
    for pid, b, dd in persons:
        birth, death = _date(b), _date(dd)
        if death is not None and d >= death:
            continue
        for p, a, i, o in residence:
            if p == pid and _date(i) <= d and (o is None or d < _date(o)) and addr[a][1] == area:
                out[pid] = status_on(pid, d, birth, labour, education)
    return out
