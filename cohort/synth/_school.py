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
from cohort.synth import truth
from cohort.synth._align import align
from cohort.synth._dates import NEVER, age_from, day, year_start
from cohort.synth._residence import Spells
from cohort.synth._store import Store
from cohort.synth._world import COMPARISON_AREAS, N_AREAS, STRAIN, UNIT_GR, UNIT_VP

__all__ = ["absence", "convictions", "exams", "placements"]

FIRST_EXAM_YEAR, FIRST_ABSENCE_YEAR, FIRST_PLACEMENT_YEAR = 2002, 2008, 2000
#: Effect 4 (youth convictions in the areas) from this calendar year on.
FIRST_CONVICTION_YEAR = 1985


def _unit_rates(indicator: str, year: int, unit: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Rates of the local units (estate, comparison estates, rest of Gladsaxe)."""
    vp, g = cal.TARGETS[indicator]
    r_vp, r_g = cal.rate(indicator, vp, year), cal.rate(indicator, g, year)
    r_c = [cal.rate(indicator, cal.comparison_rate(indicator, STRAIN[u]), year)
           for u in range(1, N_AREAS)]
    n_vp = float(np.sum(eligible & (unit == UNIT_VP)))
    n_g = n_vp + float(np.sum(eligible & (unit == UNIT_GR)))
    return np.array([r_vp, *r_c, cal.solve_rest(r_g, r_vp, n_g, n_vp)])


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


#: Offence codes (index in the contract's OFFENCES) and their shares: penal code,
#: weapons, drugs (the qualifying offences of definitions.md sections 2 and 7),
#: traffic, other.
_OFFENCE_CUT = np.array([0.45, 0.5, 0.62, 0.92])
_QUALIFYING = 3  # codes 0-2


def _youth_area_convictions(P: Store, S: Spells, W, rng) -> tuple[np.ndarray, ...]:
    """Effect 4: qualifying convictions of the areas' 15-29-year-olds.

    For each year Y, the persons living in an area on 31 December Y and aged 15-29
    then get a qualifying conviction in Y with probability ``rate * w / mean(w)``
    (``rate``: :func:`cohort.synth.truth.youth_conviction_rate` of the area and
    year; ``w``: sex, age and resources, bounded; the mean is over the area and
    year), so each area's expected share is its rate (no probability reaches 1 at
    these rates). Returns (pid, year, offence) of the
    convictions and the keys ``pid * 64 + Y - 1980`` of the population.
    """
    ages = truth.YOUTH_CONVICTION_AGES
    att = W.att_youth_convictions
    if att is None:
        att = truth.ATT_YOUTH_CONVICTIONS
    in_area = W.addr_unit[S.addr] < UNIT_GR
    sp = Spells(S.pid[in_area], S.addr[in_area], S.start[in_area], S.end[in_area])
    names = ["estate_untreated", *COMPARISON_AREAS]
    out_p, out_y, pop = [], [], []
    for y in range(FIRST_CONVICTION_YEAR, 2020):
        d = day(y, 12, 31)
        m = (sp.start <= d) & (d < sp.end) & (P.death[sp.pid] > d)
        pid, unit = sp.pid[m], W.addr_unit[sp.addr[m]].astype(np.int64)
        age = age_from(P.by[pid], P.bmd[pid], d)
        keep = (age >= ages[0]) & (age <= ages[1])
        pid, unit, age = pid[keep], unit[keep], age[keep]
        if len(pid) == 0:
            continue
        rates = np.array([truth.youth_conviction_rate(g, y) for g in names])
        rates[UNIT_VP] += att.get(y, 0.0)
        rates = np.clip(rates, 0.0, 1.0)
        # capped so that no probability reaches 1 (the expected share stays the rate)
        u = np.minimum(np.exp(-0.5 * P.u[pid].astype(np.float64)), 5.0)
        w = np.where(P.sex[pid] == 1, 1.0, 0.25) * u * np.where(age <= 24, 1.0, 0.5)
        n_unit = np.maximum(np.bincount(unit, minlength=UNIT_GR), 1)
        mean_w = np.bincount(unit, w, minlength=UNIT_GR) / n_unit
        p = np.minimum(1.0, rates[unit] * w / mean_w[unit])
        hit = rng.random(len(pid)) < p
        out_p.append(pid[hit])
        out_y.append(np.full(int(hit.sum()), y, np.int32))
        pop.append(pid * 64 + (y - 1980))
    if not out_p:
        e = np.empty(0, np.int64)
        return e, e.astype(np.int32), e.astype(np.int8), e
    cp, cy = np.concatenate(out_p), np.concatenate(out_y)
    # penal code, weapons, drugs in the general model's proportions (0.45 : 0.05 : 0.12)
    u = rng.random(len(cp)) * _OFFENCE_CUT[_QUALIFYING - 1]
    off = np.searchsorted(_OFFENCE_CUT[:_QUALIFYING], u, side="right").astype(np.int8)
    return cp, cy, off, np.concatenate(pop)


def convictions(
    P: Store, labour: tuple[np.ndarray, ...], S: Spells, W, rng
) -> tuple[np.ndarray, ...]:
    """Court decisions: yearly chance by age, sex, resources and area (strain).

    The qualifying offences of the areas' 15-29-year-olds come from the planted
    model (effect 4, :func:`_youth_area_convictions`); for them this general model
    gives traffic and other offences only.
    """
    pid, year, _status, unit = labour
    age = age_from(P.by[pid], P.bmd[pid], year_start(year.astype(np.int32)) + 182)
    base = np.select([age < 15, age < 25, age < 40], [0.0, 0.06, 0.03], 0.01)
    base = base * np.where(P.sex[pid] == 1, 1.0, 0.25) * np.exp(-0.5 * P.u[pid])
    # the areas: 1.6 times, and more in strained areas
    strain = np.asarray((*STRAIN, 0.0, 0.0))[unit.astype(np.int64)]
    base = base * np.where(unit < UNIT_GR, 1.6 * np.exp(0.5 * strain), 1.0)
    hit = rng.random(len(pid)) < base
    offence = np.searchsorted(_OFFENCE_CUT, rng.random(len(pid)), side="right").astype(np.int8)
    yp, yy, yoff, pop = _youth_area_convictions(P, S, W, rng)
    if len(pop):
        key = pid.astype(np.int64) * 64 + (year.astype(np.int64) - 1980)
        hit &= ~((offence < _QUALIFYING) & np.isin(key, pop))
    sel = np.flatnonzero(hit)
    date = year_start(year[sel].astype(np.int32)) + rng.integers(0, 365, len(sel))
    keep = date < P.death[pid[sel]]
    y_date = year_start(yy) + rng.integers(0, 365, len(yp))
    return (
        np.concatenate([pid[sel][keep], yp]),
        np.concatenate([date[keep], y_date]).astype(np.int32),
        np.concatenate([offence[sel][keep], yoff]),
    )
