"""Exams, school absence, placements and convictions, after the yearly loop.

Grades, absence and placements are aligned per unit (see
:mod:`cohort.synth.calibration`) on the indicator's own population: children with
an ``exams`` row (grades) or an ``absence`` row (absence) living in the unit on
30 June, and persons aged 0-22 living in the unit on 31 December (placements).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from cohort.synth import calibration as cal
from cohort.synth._align import align
from cohort.synth._dates import NEVER, age_from, day, year_start
from cohort.synth._residence import Spells
from cohort.synth._store import Store
from cohort.synth._world import UNIT_GR, UNIT_VP

__all__ = ["absence", "convictions", "exams", "placements"]

FIRST_EXAM_YEAR, FIRST_ABSENCE_YEAR, FIRST_PLACEMENT_YEAR = 2002, 2008, 2000


def _unit_rates(indicator: str, year: int, unit: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Rates of the five local units (estate, three comparison areas, rest of Gladsaxe)."""
    vp, g = cal.TARGETS[indicator]
    r_vp, r_g = cal.rate(indicator, vp, year), cal.rate(indicator, g, year)
    r_c = cal.rate(indicator, cal.COMPARISON[indicator], year)
    n_vp = float(np.sum(eligible & (unit == UNIT_VP)))
    n_g = n_vp + float(np.sum(eligible & (unit == UNIT_GR)))
    return np.array([r_vp, r_c, r_c, r_c, cal.solve_rest(r_g, r_vp, n_g, n_vp)])


def _aligned(indicator, year, unit, eligible, score, rng) -> np.ndarray:
    rates = _unit_rates(indicator, year, unit, eligible)
    cell = np.where(eligible & (unit >= 0) & (unit <= UNIT_GR), unit, -1)
    on = align(cell, score, rates, rng)
    p = cal.rate(indicator, cal.NATIONAL[indicator], year)
    free = eligible & (cell < 0)
    sd = np.std(score[free]) if free.any() else 1.0
    on |= free & (ndtr((score - np.mean(score[free] if free.any() else 0)) / max(sd, 1e-9)) > 1 - p)
    return on


def exams(P: Store, records: tuple[np.ndarray, ...], rng) -> tuple[np.ndarray, ...]:
    """Exam rows (pid, year, danish, math) of the 9th-graders from 2002 on."""
    pid, year, unit = records
    m = year >= FIRST_EXAM_YEAR
    pid, year, unit = pid[m], year[m], unit[m].astype(np.int64)
    n = len(pid)
    both = rng.random(n) >= 0.02
    score = P.u[pid] + 0.8 * rng.standard_normal(n)
    passed = np.zeros(n, bool)
    for y in np.unique(year):
        sel = year == y
        passed[sel] = _aligned("exam_grades", int(y), unit[sel], both[sel], score[sel], rng)
    a = np.where(
        passed,
        np.clip(rng.normal(7.0, 2.0, n), 4.1, 12.0),
        np.clip(rng.normal(2.3, 1.3, n), -3.0, 3.9),
    )
    a10 = np.clip(np.round(a * 10), 41, 120)
    a10 = np.where(passed, a10, np.clip(np.round(a * 10), -30, 39)).astype(np.int64)
    r = np.minimum(np.minimum(15, a10 + 30), 120 - a10)
    e10 = np.floor(rng.random(n) * (2 * r + 1)).astype(np.int64) - r
    danish = (a10 + e10) / 10.0
    math_ = np.where(both, (a10 - e10) / 10.0, np.nan)
    # a missing grade: draw the one that is there freely
    danish = np.where(both, danish, np.round(rng.uniform(-3, 12, n), 1))
    return pid, year, danish, math_


def absence(P: Store, S: Spells, W, rng) -> tuple[np.ndarray, ...]:
    """Unauthorised absence days of pupils (grades 0-9) living in the country on 30 June."""
    out = []
    z = rng.standard_normal(P.n)
    for y in range(FIRST_ABSENCE_YEAR, 2020):
        addr = S.address_on(day(y, 6, 30), P.n)
        pupil = (addr >= 0) & (P.by >= y - 16) & (P.by <= y - 7)
        idx = np.flatnonzero(pupil)
        unit = W.addr_unit[addr[idx]].astype(np.int64)
        z[idx] = 0.7 * z[idx] + 0.71 * rng.standard_normal(len(idx))
        score = -0.7 * P.u[idx] + 0.8 * z[idx]
        hi = _aligned("school_absence", y, unit, np.ones(len(idx), bool), score, rng)
        days = np.where(
            hi,
            4 + rng.geometric(0.15, len(idx)),
            np.where(rng.random(len(idx)) < 0.55, 0, rng.integers(1, 5, len(idx))),
        )
        out.append((idx, np.full(len(idx), y, np.int16), days.astype(np.int32)))
    return tuple(np.concatenate(c) for c in zip(*out, strict=True))


def placements(P: Store, S: Spells, W, rng) -> tuple[np.ndarray, ...]:
    """Placement spells: persons aged 0-22 placed in a year, persistent over years."""
    z = rng.standard_normal(P.n)
    placed_p, placed_y = [], []
    for y in range(FIRST_PLACEMENT_YEAR, 2020):
        d = day(y, 12, 31)
        addr = S.address_on(d, P.n)
        age = age_from(P.by, P.bmd, d)
        idx = np.flatnonzero((addr >= 0) & (age >= 0) & (age <= 22) & (P.birth <= d))
        z[idx] = 0.92 * z[idx] + 0.39 * rng.standard_normal(len(idx))
        score = 0.8 * z[idx] - 0.6 * P.u[idx]
        unit = W.addr_unit[addr[idx]].astype(np.int64)
        on = _aligned("placements", y, unit, np.ones(len(idx), bool), score, rng)
        placed_p.append(idx[on])
        placed_y.append(np.full(int(on.sum()), y, np.int32))
    pid, year = np.concatenate(placed_p), np.concatenate(placed_y)
    order = np.lexsort((year, pid))
    pid, year = pid[order], year[order]
    new = np.ones(len(pid), bool)
    new[1:] = (pid[1:] != pid[:-1]) | (year[1:] != year[:-1] + 1)
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(pid) - 1] if len(pid) else first
    y1, yk = year[first], year[last]
    n = len(first)
    start = year_start(y1) + rng.integers(0, 365, n)
    start = np.maximum(start, P.birth[pid[first]])
    lo = np.where(y1 == yk, start + 1, year_start(yk) + 1)
    hi = year_start(yk + 1)
    end = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    end = np.minimum(end, hi)
    # ongoing at the extract's end: mostly open, otherwise ended during 2019
    end = np.where(((yk == 2019) & (rng.random(n) < 0.8)) | (end > day(2019, 12, 31)), NEVER, end)
    kind = np.searchsorted([0.5, 0.85], rng.random(n), side="right").astype(np.int8)
    return pid[first], start.astype(np.int32), end.astype(np.int32), kind


def convictions(P: Store, labour: tuple[np.ndarray, ...], rng) -> tuple[np.ndarray, ...]:
    """Court decisions: yearly chance by age, sex, resources and area."""
    pid, year, _status, unit = labour
    age = age_from(P.by[pid], P.bmd[pid], year_start(year.astype(np.int32)) + 182)
    base = np.select([age < 15, age < 25, age < 40], [0.0, 0.06, 0.03], 0.01)
    base = base * np.where(P.sex[pid] == 1, 1.0, 0.25) * np.exp(-0.5 * P.u[pid])
    base = base * np.where(unit <= 3, 1.6, 1.0)
    hit = rng.random(len(pid)) < base
    sel = np.flatnonzero(hit)
    date = year_start(year[sel].astype(np.int32)) + rng.integers(0, 365, len(sel))
    offence = np.searchsorted([0.45, 0.5, 0.62, 0.92], rng.random(len(sel)), side="right").astype(
        np.int8
    )
    keep = date < P.death[pid[sel]]
    return pid[sel][keep], date[keep].astype(np.int32), offence[keep]
