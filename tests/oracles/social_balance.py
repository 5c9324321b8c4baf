"""A slow, literal oracle of the indicators of social balance (definitions.md §1, §7).

Every function follows the definition text word for word with plain pandas, so it
can be read against ``../shared/definitions.md`` and ``data-contract.md``:

- "lives in the unit on date d": has a residence spell with
  ``moved_in <= d < moved_out`` (or ``moved_out`` empty) at an address that
  ``addresses`` maps to the unit;
- age on a date: completed years; a person born on 29 February has the birthday
  on 1 March in years that are not leap years;
- "on public support" on a date: a benefit spell covering that date whose benefit
  is any benefit except ``student_grant`` and ``parental_leave``;
- "enrolled in youth education" on a date: a ``youth_general`` or
  ``youth_vocational`` education spell covering the date.

Tables are pandas DataFrames with the canonical columns; date columns are
``datetime64`` (missing = NaT). A unit is ``("area", name)``, ``("district", name)``
or ``("municipality", code)``. Each indicator returns ``(numerator, denominator)``.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping

import pandas as pd

__all__ = [
    "INDICATORS",
    "adult_public_support",
    "age_on",
    "exam_grades",
    "lives_in",
    "not_in_education_or_work",
    "on_public_support",
    "placements",
    "school_absence",
    "youth_convictions",
    "youth_education_15m",
    "youth_public_support",
]

Tables = Mapping[str, pd.DataFrame]
Unit = tuple[str, object]

NOT_PUBLIC_SUPPORT = ("student_grant", "parental_leave")
YOUTH_LEVELS = ("youth_general", "youth_vocational")


def _date(d) -> pd.Timestamp:
    return pd.Timestamp(d)


def covers(start: pd.Series, end: pd.Series, d) -> pd.Series:
    """A half-open spell [start, end) covers date d; an empty end means still open."""
    d = _date(d)
    return (start <= d) & (end.isna() | (d < end))


def lives_in(t: Tables, unit: Unit, d) -> set:
    """The pids that live in the unit on date d."""
    kind, value = unit
    addresses = t["addresses"]
    if kind in ("area", "district"):
        in_unit = addresses[kind] == value
    elif kind == "municipality":
        in_unit = addresses["municipality"] == value
    else:
        raise ValueError(kind)
    unit_addresses = set(addresses.loc[in_unit, "address_id"])
    res = t["residence"]
    here = res["address_id"].isin(unit_addresses) & covers(res["moved_in"], res["moved_out"], d)
    return set(res.loc[here, "pid"])


def age_on(birth: pd.Series, d) -> pd.Series:
    """Age in completed years on date d, with the 29 February rule."""
    d = _date(d)
    month = birth.dt.month
    day = birth.dt.day
    feb29 = (month == 2) & (day == 29) & (not calendar.isleap(d.year))
    month = month.where(~feb29, 3)
    day = day.where(~feb29, 1)
    before_birthday = (d.month < month) | ((d.month == month) & (d.day < day))
    return d.year - birth.dt.year - before_birthday.astype(int)


def _ages(t: Tables, pids: set, d) -> pd.Series:
    persons = t["persons"]
    p = persons[persons["pid"].isin(pids)]
    return pd.Series(age_on(p["birth_date"], d).to_numpy(), index=p["pid"].to_numpy())


def on_public_support(t: Tables, d) -> set:
    """The pids on public support on date d."""
    b = t["benefits"]
    support = ~b["benefit"].isin(NOT_PUBLIC_SUPPORT)
    return set(b.loc[support & covers(b["start_date"], b["end_date"], d), "pid"])


def _support_share(t: Tables, unit: Unit, year: int, low: int, high: int) -> tuple[int, int]:
    d = pd.Timestamp(year, 1, 1)
    residents = lives_in(t, unit, d)
    ages = _ages(t, residents, d)
    population = set(ages.index[(ages >= low) & (ages <= high)])
    numerator = population & on_public_support(t, d)
    return len(numerator), len(population)


def youth_public_support(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Lives in the unit on 1 January Y, aged 18-29 then; on public support then."""
    return _support_share(t, unit, year, 18, 29)


def adult_public_support(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Lives in the unit on 1 January Y, aged 18-67 then; on public support then."""
    return _support_share(t, unit, year, 18, 67)


def youth_education_15m(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Has an exams row for Y and lives in the unit on 30 June Y; enrolled in youth
    education (a youth-level spell covers the date) on 30 September Y+1."""
    exams = t["exams"]
    population = set(exams.loc[exams["year"] == year, "pid"]) & lives_in(
        t, unit, pd.Timestamp(year, 6, 30)
    )
    e = t["education"]
    youth = e["level"].isin(YOUTH_LEVELS)
    enrolled = set(
        e.loc[youth & covers(e["start_date"], e["end_date"], pd.Timestamp(year + 1, 9, 30)), "pid"]
    )
    return len(population & enrolled), len(population)


def school_absence(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Has an absence row for Y and lives in the unit on 30 June Y; 5+ unauthorised days."""
    a = t["absence"]
    a = a[a["year"] == year]
    residents = lives_in(t, unit, pd.Timestamp(year, 6, 30))
    a = a[a["pid"].isin(residents)]
    return int((a["unauthorised_days"] >= 5).sum()), len(a)


def exam_grades(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Has an exams row for Y with both grades and lives in the unit on 30 June Y;
    (danish + math) / 2 >= 4."""
    x = t["exams"]
    x = x[(x["year"] == year) & x["danish"].notna() & x["math"].notna()]
    residents = lives_in(t, unit, pd.Timestamp(year, 6, 30))
    x = x[x["pid"].isin(residents)]
    return int(((x["danish"] + x["math"]) / 2 >= 4).sum()), len(x)


def placements(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Lives in the unit on 31 December Y, aged 0-22 then; has a placement spell
    that overlaps calendar year Y."""
    d = pd.Timestamp(year, 12, 31)
    residents = lives_in(t, unit, d)
    ages = _ages(t, residents, d)
    population = set(ages.index[(ages >= 0) & (ages <= 22)])
    p = t["placements"]
    overlaps = (p["start_date"] <= d) & (
        p["end_date"].isna() | (p["end_date"] > pd.Timestamp(year, 1, 1))
    )
    placed = set(p.loc[overlaps, "pid"])
    return len(population & placed), len(population)


IN_WORK_OR_EDUCATION = ("employed", "self_employed", "student")
CONVICTION_OFFENCES = ("penal_code", "weapons", "drugs")


def not_in_education_or_work(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Lives in the unit on 30 November Y, aged 16-29 then, has a labour row for Y;
    labour status not in {employed, self_employed, student} and no education spell
    covers 30 November Y."""
    d = pd.Timestamp(year, 11, 30)
    residents = lives_in(t, unit, d)
    ages = _ages(t, residents, d)
    labour = t["labour"]
    labour = labour[labour["year"] == year]
    population = set(ages.index[(ages >= 16) & (ages <= 29)]) & set(labour["pid"])
    outside_status = set(labour.loc[~labour["status"].isin(IN_WORK_OR_EDUCATION), "pid"])
    e = t["education"]
    in_education = set(e.loc[covers(e["start_date"], e["end_date"], d), "pid"])
    numerator = (population & outside_status) - in_education
    return len(numerator), len(population)


def youth_convictions(t: Tables, unit: Unit, year: int) -> tuple[int, int]:
    """Lives in the unit on 31 December Y, aged 15-29 then; has a conviction for
    penal_code, weapons or drugs with decision_date in calendar year Y."""
    d = pd.Timestamp(year, 12, 31)
    residents = lives_in(t, unit, d)
    ages = _ages(t, residents, d)
    population = set(ages.index[(ages >= 15) & (ages <= 29)])
    c = t["convictions"]
    in_year = (c["decision_date"].dt.year == year) & c["offence"].isin(CONVICTION_OFFENCES)
    convicted = set(c.loc[in_year, "pid"])
    return len(population & convicted), len(population)


INDICATORS = {
    "youth_public_support": youth_public_support,
    "youth_education_15m": youth_education_15m,
    "adult_public_support": adult_public_support,
    "school_absence": school_absence,
    "exam_grades": exam_grades,
    "placements": placements,
    "not_in_education_or_work": not_in_education_or_work,
    "youth_convictions": youth_convictions,
}
