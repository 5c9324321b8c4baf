"""A slow, obviously correct implementation of definitions §1, §2 and the §7 indicators.

Pure Python over the world dicts of ``_build``: one loop per person, dates as
``datetime.date``. It shares no code with the library (its own age, spell and
support rules), so the generative tests compare two independent readings of the
definitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cohort.indicators import IndicatorParams, VulnerableAreaParams

NOT_SUPPORT = {"student_grant", "parental_leave"}
LEVELS = ["primary", "preparatory", "youth_general", "youth_vocational", "short_cycle",
          "bachelor", "master", "phd"]


def _date(x):
    if x is None or isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(x)


def age(birth: dt.date, on: dt.date) -> int:
    """Completed years; a 29 February birthday is 1 March in common years."""
    years = on.year - birth.year
    if birth.month == 2 and birth.day == 29:
        y = on.year
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        bday = (2, 29) if leap else (3, 1)
    else:
        bday = (birth.month, birth.day)
    if (on.month, on.day) < bday:
        years -= 1
    return years


def covers(start, end, on: dt.date) -> bool:
    start, end = _date(start), _date(end)
    return start <= on and (end is None or on < end)


class World:
    def __init__(self, world: dict[str, list[dict]], addresses: list[dict]):
        self.t = {k: v for k, v in world.items()}
        self.addr = {a["address_id"]: a for a in addresses}
        self.persons = {p["pid"]: p for p in world["persons"]}
        self._by_pid: dict[str, dict[str, list[dict]]] = {}
        for table, rows in world.items():
            index: dict[str, list[dict]] = {}
            for r in rows:
                if "pid" in r:
                    index.setdefault(r["pid"], []).append(r)
            self._by_pid[table] = index

    def rows(self, table: str, pid: str) -> list[dict]:
        return self._by_pid.get(table, {}).get(pid, [])

    def in_unit(self, address_id: str, unit) -> bool:
        a = self.addr[address_id]
        if unit is None:
            return True
        if isinstance(unit, frozenset):
            return a["municipality"] in unit
        kind, _, value = unit.partition(":")
        if kind in ("area", "district"):
            return a.get(kind) == value
        return a["municipality"] == int(value)

    def lives_in(self, pid: str, on: dt.date, unit) -> bool:
        return any(covers(r["moved_in"], r["moved_out"], on) and self.in_unit(r["address_id"], unit)
                   for r in self.rows("residence", pid))

    def age(self, pid: str, on: dt.date) -> int:
        return age(_date(self.persons[pid]["birth_date"]), on)

    def residents(self, on: dt.date, unit, ages=None, min_age=None) -> list[str]:
        out = []
        for pid in self.persons:
            if not self.lives_in(pid, on, unit):
                continue
            a = self.age(pid, on)
            if ages is not None and not ages[0] <= a <= ages[1]:
                continue
            if min_age is not None and a < min_age:
                continue
            out.append(pid)
        return out


def _md(year: int, md: tuple[int, int]) -> dt.date:
    return dt.date(year, md[0], md[1])


def social_balance(world: dict, addresses: list[dict], units: list[str], year: int,
                   p: IndicatorParams | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """{(indicator, unit): (numerator, denominator)}."""
    p = p or IndicatorParams()
    w = World(world, addresses)
    support = set(p.support_benefits)
    out: dict[tuple[str, str], tuple[int, int]] = {}

    def on_support(pid: str, on: dt.date) -> bool:
        return any(b["benefit"] in support and covers(b["start_date"], b["end_date"], on)
                   for b in w.rows("benefits", pid))

    def count(pop: list[str], flag: Callable[[str], bool]) -> tuple[int, int]:
        return sum(1 for x in pop if flag(x)), len(pop)

    for u in units:
        d = _md(year, p.support_on)
        for key, ages in (("youth_public_support", p.youth_ages),
                          ("adult_public_support", p.adult_ages)):
            if "benefits" in world:
                out[(key, u)] = count(w.residents(d, u, ages=ages),
                                      lambda x, d=d: on_support(x, d))
        school = _md(year, p.school_on)
        if "exams" in world:
            ex = [r for r in world["exams"]
                  if r["year"] == year and w.lives_in(r["pid"], school, u)]
            later = _md(year + p.education_years_after, p.education_on)

            def enrolled(x: str, later: dt.date = later) -> bool:
                return any(e["level"] in p.youth_levels
                           and covers(e["start_date"], e["end_date"], later)
                           for e in w.rows("education", x))

            out[("youth_education_15m", u)] = count([r["pid"] for r in ex], enrolled)
            both = [r for r in ex if r["danish"] is not None and r["math"] is not None]
            out[("exam_grades", u)] = (
                sum(1 for r in both if (r["danish"] + r["math"]) / 2 >= p.grade_average), len(both))
        if "absence" in world:
            ab = [r for r in world["absence"]
                  if r["year"] == year and w.lives_in(r["pid"], school, u)]
            out[("school_absence", u)] = (
                sum(1 for r in ab if r["unauthorised_days"] >= p.absence_days), len(ab))
        if "placements" in world:
            d = _md(year, p.placement_on)
            y0, y1 = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)

            def placed(x: str, y0: dt.date = y0, y1: dt.date = y1) -> bool:
                for r in w.rows("placements", x):
                    s, e = _date(r["start_date"]), _date(r["end_date"])
                    if s < y1 and (e is None or e > y0):
                        return True
                return False

            out[("placements", u)] = count(w.residents(d, u, ages=p.placement_ages), placed)
        if "labour" in world and "education" in world:
            d = _md(year, p.labour_on)
            status = {r["pid"]: r["status"] for r in world["labour"] if r["year"] == year}

            def outside(x: str, d: dt.date = d, status: dict = status) -> bool:
                in_education = any(e["level"] in p.enrolled_levels
                                   and covers(e["start_date"], e["end_date"], d)
                                   for e in w.rows("education", x))
                return status[x] not in p.in_work_or_education and not in_education

            pop = [x for x in w.residents(d, u, ages=p.labour_ages) if x in status]
            out[("not_in_education_or_work", u)] = count(pop, outside)
        if "convictions" in world:
            d = _md(year, p.conviction_on)

            def convicted(x: str) -> bool:
                return any(c["offence"] in p.conviction_offences
                           and _date(c["decision_date"]).year == year
                           for c in w.rows("convictions", x))

            out[("youth_convictions", u)] = count(w.residents(d, u, ages=p.conviction_ages),
                                                  convicted)
    return out


def vulnerable(world: dict, addresses: list[dict], area: str, L: int,
               p: VulnerableAreaParams | None = None, region: frozenset | None = None) -> dict:
    """{criterion: (numerator, denominator, missing, value)} plus residents and references."""
    p = p or VulnerableAreaParams()
    w = World(world, addresses)
    unit = f"area:{area}"
    labour = {(r["pid"], r["year"]): r["status"] for r in world.get("labour", [])}
    income = {(r["pid"], r["year"]): r["gross_income"] for r in world.get("income", [])}
    res: dict = {}

    num = den = mis = 0
    for y in (L - 2, L - 1):
        for pid in w.residents(_md(y, p.labour_on), unit, ages=p.labour_ages):
            st = labour.get((pid, y))
            if st is None:
                mis += 1
                continue
            den += 1
            num += st not in p.in_work_or_education
    res["outside_work_education"] = (num, den, mis, num / den if den else float("nan"))

    def convictions(u) -> tuple[int, int]:
        n = m = 0
        for y in (L - 2, L - 1):
            for pid in w.residents(_md(y, p.conviction_on), u, min_age=p.conviction_min_age):
                m += 1
                n += any(c["offence"] in p.conviction_offences
                         and _date(c["decision_date"]).year == y
                         for c in w.rows("convictions", pid))
        return n, m

    n, m = convictions(unit)
    res["convictions"] = (n, m, 0, n / m if m else float("nan"))
    nn, nm = convictions(None)
    res["national_share"] = nn / nm if nm else float("nan")

    on = _md(L - 1, p.education_on)
    n = m = 0
    for pid in w.residents(on, unit, ages=p.education_ages):
        done = [LEVELS.index(e["level"]) for e in w.rows("education", pid)
                if e["outcome"] == "completed" and e["end_date"] is not None
                and _date(e["end_date"]) <= on]
        highest = max(done, default=0)
        m += 1
        n += LEVELS[highest] in p.basic_levels
    res["basic_education_only"] = (n, m, 0, n / m if m else float("nan"))

    def mean_income(u) -> tuple[int, int, float]:
        vals, missing = [], 0
        for pid in w.residents(_md(L - 1, p.income_on), u, ages=p.income_ages):
            if labour.get((pid, L - 1)) in p.income_excluded_statuses:
                continue
            v = income.get((pid, L - 1))
            if v is None:
                missing += 1
            else:
                vals.append(v)
        return len(vals), missing, (sum(vals) / len(vals) if vals else float("nan"))

    k, missing, mean = mean_income(unit)
    res["low_income"] = (None, k, missing, mean)
    if region is not None:
        res["regional_mean"] = mean_income(region)[2]
    res["residents"] = len(w.residents(_md(L - 1, p.residents_on), unit))
    return res
