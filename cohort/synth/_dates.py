"""Dates as int32 day numbers (days since 1970-01-01), vectorised.

The generator works on integer day numbers throughout; they convert to numpy
``datetime64[D]`` by a view. Ages follow the contract: completed years, and a
person born on 29 February has the birthday on 1 March in years that are not
leap years.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NEVER",
    "add_years",
    "age_from",
    "birth_keys",
    "age_on",
    "day",
    "is_leap",
    "year_of",
    "year_start",
    "ymd",
]

#: Sentinel for "no date" (an open spell, a person who did not die).
NEVER = np.int32(2**31 - 1)


def day(y: int, m: int = 1, d: int = 1) -> int:
    """The day number of a calendar date."""
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "D").astype(np.int64))


def _from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day) arrays (proleptic Gregorian; H. Hinnant)."""
    y = np.asarray(y, np.int64) - (np.asarray(m) <= 2)
    m = np.asarray(m, np.int64)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(m > 2, m - 3, m + 9) + 2) // 5 + np.asarray(d, np.int64) - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468).astype(np.int32)


def year_start(years: np.ndarray) -> np.ndarray:
    """Day number of 1 January of each year."""
    y = np.asarray(years, dtype=np.int64)
    return _from_civil(y, np.ones_like(y), np.ones_like(y))


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day of month (1-31) of day numbers."""
    z = np.asarray(days, dtype=np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    dom = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year.astype(np.int32), month.astype(np.int32), dom.astype(np.int32)


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of day numbers."""
    return ymd(days)[0]


def is_leap(years: np.ndarray) -> np.ndarray:
    """Whether each year is a leap year."""
    y = np.asarray(years)
    return (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))


def _md(month: np.ndarray, dom: np.ndarray) -> np.ndarray:
    return month * 100 + dom


def age_on(birth: np.ndarray, on: np.ndarray | int) -> np.ndarray:
    """Age in completed years on a date (29 February rule of the contract)."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(np.broadcast_to(np.asarray(on), np.shape(birth)))
    bmd = _md(bm, bd)
    bmd = np.where((bmd == 229) & ~is_leap(oy), 301, bmd)
    return (oy - by - (_md(om, od) < bmd)).astype(np.int32)


def birth_keys(birth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Birth year and month*100+day, cached by the person store for fast ages."""
    y, m, d = ymd(birth)
    return y.astype(np.int16), (m * 100 + d).astype(np.int16)


def age_from(by: np.ndarray, bmd: np.ndarray, on: np.ndarray | int) -> np.ndarray:
    """:func:`age_on` from cached birth keys."""
    if np.ndim(on) == 0:
        oy, om, od = (int(v[0]) for v in ymd(np.array([on])))
        leap = bool(is_leap(np.array([oy]))[0])
        omd = om * 100 + od
    else:
        oy, om, od = ymd(on)
        leap = is_leap(oy)
        omd = om * 100 + od
    b = np.where((bmd == 229) & ~leap, 301, bmd)
    return (oy - by.astype(np.int32) - (omd < b)).astype(np.int32)


def add_years(birth: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """The date of the ``years``-th birthday (1 March for 29 February in non-leap years)."""
    by, bm, bd = ymd(birth)
    ty = by + np.asarray(years, dtype=np.int32)
    feb29 = (bm == 2) & (bd == 29) & ~is_leap(ty)
    bm = np.where(feb29, 3, bm)
    bd = np.where(feb29, 1, bd)
    return _from_civil(ty, bm, bd)
