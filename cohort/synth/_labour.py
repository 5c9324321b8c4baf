"""Public support on 1 January, labour status at the end of November, benefits, income.

Inside the yearly loop, for every person living in the country on 1 January of
year Y: whether he or she is on public support (aligned in Gladsaxe and the areas,
see :mod:`cohort.synth.calibration`), which benefit it is, and the labour status
of the end of November of Y - 1, which the next moves read (resource-strong).
After the loop, consecutive years on support become benefit spells that cover
30 November and 1 January of those years and no other 1 January.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from cohort.synth import calibration as cal
from cohort.synth._align import align
from cohort.synth._dates import NEVER, add_years, age_from, age_on, day, year_of, year_start
from cohort.synth._store import Store
from cohort.synth._world import N_AREAS, STRAIN, UNIT_GR, UNIT_VP

__all__ = [
    "LABOUR",
    "benefit_spells",
    "income_rows",
    "support_and_labour",
]

LABOUR = (
    "employed",
    "self_employed",
    "student",
    "unemployed",
    "public_support",
    "retired",
    "other",
)
EMPLOYED, SELF, STUDENT, UNEMPLOYED, SUPPORT, RETIRED, OTHER = range(7)
# benefit codes = index in schema.BENEFITS
UI, CASH, EDU_ASSIST, INTEGRATION, SICK, DISAB, FLEX, REHAB, EARLY, PENSION, PARENTAL, GRANT = (
    range(12)
)


def enrolled(P: Store, on: int | np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Whether persons ``idx`` are in youth or higher education on a date."""
    out = np.zeros(len(idx), dtype=bool)
    for s in range(4):
        start = getattr(P, f"e{s}s")[idx]
        end = getattr(P, f"e{s}e")[idx]
        out |= (start <= on) & (on < end)
    return out


def _benefit_type(P: Store, idx: np.ndarray, age: np.ndarray, year: int) -> np.ndarray:
    v = P.v[idx]
    out = np.full(len(idx), CASH, np.int8)
    mid = np.select(
        [v < 0.25, v < 0.45, v < 0.55, v < 0.80, v < 0.92],
        [CASH, UI, SICK, DISAB, FLEX],
        REHAB,
    )
    young = (
        np.select([v < 0.6, v < 0.85], [EDU_ASSIST, CASH], SICK)
        if year >= 2014
        else np.select([v < 0.6, v < 0.85], [CASH, UI], SICK)
    )
    out = np.where(age < 30, young, mid)
    out = np.where(age >= 60, np.where(v < 0.65, EARLY, DISAB), out)
    recent = np.isin(P.origin[idx], (1, 2)) & (year - year_of(P.arrival[idx]) < 3) & (age < 60)
    recent &= P.arrival[idx] > P.birth[idx]
    out = np.where(recent, INTEGRATION if year >= 1999 else CASH, out)
    return out.astype(np.int8)


def _targets(indicator: str, year: int) -> tuple[float, float, np.ndarray, float]:
    """Rates of the estate, Gladsaxe, each comparison estate (units 1 ...) and the country."""
    vp, g = cal.TARGETS[indicator]
    comp = np.array(
        [cal.rate(indicator, cal.comparison_rate(indicator, STRAIN[u]), year)
         for u in range(1, N_AREAS)]
    )
    return (
        cal.rate(indicator, vp, year),
        cal.rate(indicator, g, year),
        comp,
        cal.rate(indicator, cal.NATIONAL[indicator], year),
    )


def support_and_labour(
    P: Store,
    idx: np.ndarray,
    unit: np.ndarray,
    year: int,
    rng: np.random.Generator,
    out_support: list,
    out_labour: list,
) -> None:
    """Support on 1 January ``year`` and labour status of ``year - 1``.

    For persons ``idx``, alive and in the country on 1 January; ``unit``: their unit then.
    """
    y0 = day(year)
    age = age_from(P.by[idx], P.bmd[idx], y0)
    ar = P.ar[idx]
    ar = 0.85 * ar + np.sqrt(1 - 0.85**2) * rng.standard_normal(len(idx)).astype(np.float32)
    P.ar[idx] = ar
    student = enrolled(P, y0, idx)
    score = -0.8 * P.u[idx] + 0.6 * ar - 1.2 * student
    adult = (age >= 18) & (age < 65)
    pension = age >= 65
    band = np.where(age < 30, 0, 1)
    local = unit <= UNIT_GR
    cell = np.where(adult & local, unit * 2 + band, -1)

    yv, yg, yc, yn = _targets("youth_public_support", year)
    av, ag, ac, an = _targets("adult_public_support", year)

    n_units = UNIT_GR + 1

    def count(lo, hi):
        m = local & (age >= lo) & (age <= hi)
        return np.bincount(unit[m].astype(np.int64), minlength=n_units).astype(np.float64)

    c_young, c_adult, c_mid, c_old = count(18, 29), count(18, 67), count(30, 64), count(65, 67)
    # 18-29: the estate and the comparison areas at their rates, the rest of Gladsaxe
    # solved so that Gladsaxe (estate included) has its rate.
    rates = np.zeros(2 * n_units)
    n_vy = c_young[UNIT_VP]
    rates[UNIT_VP * 2] = yv
    rates[UNIT_GR * 2] = cal.solve_rest(yg, yv, n_vy + c_young[UNIT_GR], n_vy)
    rates[2 : 2 * UNIT_GR : 2] = yc
    # 30-64: the expected 18-67 count left after the young and the pensioners (65-67)
    n_va = c_adult[UNIT_VP]
    k_adult = np.zeros(n_units)
    k_adult[UNIT_VP] = av * n_va
    k_adult[UNIT_GR] = ag * (n_va + c_adult[UNIT_GR]) - av * n_va
    k_adult[1:UNIT_GR] = ac * c_adult[1:UNIT_GR]
    k_mid = k_adult - rates[0::2] * c_young - c_old
    rates[1::2] = np.where(c_mid > 0, k_mid / np.maximum(c_mid, 1.0), 0.0)
    on = align(cell, score, rates, rng)
    thr = np.where(band == 0, yn, an)
    free = adult & ~local
    on |= free & (ndtr(score) > 1 - thr)
    btype = _benefit_type(P, idx, age, year)
    sel = np.flatnonzero(on)
    out_support.append((idx[sel], np.full(len(sel), year, np.int16), btype[sel]))

    # labour status at the end of November of year - 1
    nov = day(year - 1, 11, 30)
    age_n = age_from(P.by[idx], P.bmd[idx], nov)
    lab = (age_n >= 15) & (age_n <= 74) & (P.arrival[idx] <= nov)
    status = np.full(len(idx), OTHER, np.int8)
    p_emp = ndtr(1.0 + 0.8 * P.u[idx]) * np.select(
        [age_n < 18, age_n < 25, age_n < 60], [0.35, 0.8, 0.97], 0.7
    )
    r = rng.random(len(idx))
    emp = r < p_emp
    self_emp = emp & (age_n >= 25) & (rng.random(len(idx)) < 0.08)
    status = np.where(emp, EMPLOYED, np.where(rng.random(len(idx)) < 0.45, UNEMPLOYED, OTHER))
    status = np.where(self_emp, SELF, status)
    status = np.where(enrolled(P, nov, idx), STUDENT, status)
    status = np.where(on, np.where(btype == EARLY, RETIRED, SUPPORT), status)
    status = np.where(pension | (age_n >= 65), RETIRED, status).astype(np.int8)
    P.emp[idx] = (lab & ((status == EMPLOYED) | (status == SELF))).astype(np.int8)
    sel = np.flatnonzero(lab)
    if year - 1 >= 1985:
        out_labour.append(
            (
                idx[sel],
                np.full(len(sel), year - 1, np.int16),
                status[sel],
                unit[sel].astype(np.int8),
            )
        )


def benefit_spells(
    P: Store, support: tuple[np.ndarray, ...], rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Spells from the yearly support states, plus old-age pensions.

    Consecutive years Y1..Yk on the same benefit become one spell from 32-330 days
    before 1 January Y1 to 1-300 days after 1 January Yk: it covers 30 November
    Y1-1 ... and 1 January Y1..Yk, and no other 1 January.
    """
    pid, year, btype = support
    order = np.lexsort((year, pid))
    pid, year, btype = pid[order], year[order], btype[order]
    new = np.ones(len(pid), bool)
    new[1:] = (pid[1:] != pid[:-1]) | (year[1:] != year[:-1] + 1) | (btype[1:] != btype[:-1])
    run = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    last = np.r_[first[1:] - 1, len(pid) - 1] if len(pid) else first
    s_pid = pid[first]
    start = year_start(year[first]) - rng.integers(32, 331, len(first))
    end = year_start(year[last]) + rng.integers(1, 301, len(first))
    del run
    # old-age pension from the 65th birthday
    p65 = add_years(P.birth, 65)
    has = (p65 < P.death) & (p65 <= day(2019, 12, 31)) & (year_of(P.birth) >= 1880)
    pp = np.flatnonzero(has)
    b_pid = np.concatenate([s_pid, pp])
    b_type = np.concatenate([btype[first], np.full(len(pp), PENSION, np.int8)])
    b_start = np.concatenate([start, p65[pp]]).astype(np.int32)
    b_end = np.concatenate([end, np.full(len(pp), NEVER, np.int32)]).astype(np.int32)
    death = P.death[b_pid]
    b_end = np.minimum(b_end, death)
    keep = b_start < b_end
    return b_pid[keep], b_type[keep], b_start[keep], b_end[keep]


def income_rows(
    P: Store, labour: tuple[np.ndarray, ...], rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """Gross and disposable income of every labour row's person and year (DKK)."""
    pid, year, status, _unit = labour
    n = len(pid)
    age = age_on(P.birth[pid], year_start(year.astype(np.int32)) + 364)
    base = np.array([330e3, 360e3, 60e3, 190e3, 150e3, 170e3, 70e3])[status]
    ageprof = np.clip(0.55 + 0.03 * (age - 18), 0.55, 1.15)
    ageprof = np.where(status <= 1, ageprof, 1.0)
    level = np.exp(0.22 * P.u[pid] * (status <= 1) + rng.normal(0, 0.25, n))
    growth = 1.028 ** (year.astype(np.float64) - 2000)
    gross = np.round(base * ageprof * level * growth, 0)
    tax = np.clip(0.28 + 0.12 * np.log(np.maximum(gross, 1e4) / 2e5), 0.15, 0.5)
    disp = np.round(gross * (1 - tax) + rng.normal(0, 5000, n), 0)
    return pid, year, gross, disp
