"""Education careers: past histories of adults, and careers after 9th grade.

Children's time to the first youth-education start follows the proportional-
hazards model of :mod:`cohort.synth.truth` (effect 1); the rest of a career
(level, completion, drop-out, re-enrolment, higher education) is drawn from the
person's resource score. Every youth spell that starts on or before 30 September
of the year after 9th grade lasts at least 15 months, so "enrolled on 30 September
of E + 1" is exactly "started by then".
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from cohort.synth._dates import NEVER, day, year_of, year_start
from cohort.synth._store import Store

__all__ = [
    "LEVEL",
    "EduRows",
    "adult_history",
    "primary_spells",
    "youth_careers",
]

LEVEL = {
    "primary": 0,
    "preparatory": 1,
    "youth_general": 2,
    "youth_vocational": 3,
    "short_cycle": 4,
    "bachelor": 5,
    "master": 6,
    "phd": 7,
}
#: Programme codes per level (DST AUDD-like four-digit codes).
PROGRAMS = (
    ("1009",),
    ("1010",),
    ("1145", "1539", "1540", "1199"),
    ("5080", "5505", "5630", "5720"),
    ("6010", "6120"),
    ("6510", "6920", "6155"),
    ("7510", "7630", "7420"),
    ("8010",),
)
COMPLETED, DROPPED = 0, 1


class EduRows:
    """Collected education spells (person index, level, start, end, outcome, program)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, pid, level, start, end, outcome, rng: np.random.Generator) -> None:
        pid = np.asarray(pid, np.int64)
        if len(pid) == 0:
            return
        level = np.broadcast_to(np.asarray(level, np.int8), pid.shape).copy()
        prog = (rng.random(len(pid)) * 4).astype(np.int8)
        self.parts.append(
            (
                pid,
                level,
                np.asarray(start, np.int32),
                np.asarray(end, np.int32),
                np.broadcast_to(np.asarray(outcome, np.int8), pid.shape).copy(),
                prog,
            )
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        if not self.parts:
            return tuple(np.empty(0, t) for t in ("i8", "i1", "i4", "i4", "i1", "i1"))
        return tuple(np.concatenate(c) for c in zip(*self.parts, strict=True))


def _aug(years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return year_start(years) + 211 + rng.integers(0, 14, len(years))  # ~1-14 August


def _june(years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return year_start(years) + 165 + rng.integers(0, 12, len(years))  # ~15-26 June


def _set_slot(P: Store, slot: int, idx: np.ndarray, s: np.ndarray, e: np.ndarray) -> None:
    getattr(P, f"e{slot}s")[idx] = s
    getattr(P, f"e{slot}e")[idx] = e


def adult_history(P: Store, idx: np.ndarray, rows: EduRows, rng: np.random.Generator) -> None:
    """Past education of persons created after their 9th-grade year."""
    if len(idx) == 0:
        return
    P.planned[idx] = 1
    by = year_of(P.birth[idx]).astype(np.float64)
    f = np.clip((by - 1940) / 35, 0, 1)[:, None]
    old = np.array([0.45, 0.04, 0.35, 0.05, 0.08, 0.028, 0.002])
    new = np.array([0.17, 0.08, 0.33, 0.07, 0.21, 0.13, 0.01])
    cum = np.cumsum(old * (1 - f) + new * f, axis=1)
    z = ndtr(0.8 * P.u[idx] + 0.6 * rng.standard_normal(len(idx)))
    rank = (z[:, None] > cum[:, :-1]).sum(axis=1)  # 0 primary .. 6 phd
    immigrant = np.isin(P.origin[idx], (1, 2)) & (P.arrival[idx] > P.birth[idx] + 20 * 365)
    rank = np.where(immigrant & (rng.random(len(idx)) < 0.6), 0, rank)
    byi = by.astype(np.int32)
    # youth spell: general for ranks 1 and 3+, vocational for rank 2
    has_youth = rank >= 1
    gen = (rank == 1) | ((rank >= 3) & (rng.random(len(idx)) < 0.8))
    y_start = _aug(byi + 16 + (~gen) * rng.integers(0, 3, len(idx)), rng)
    y_end = np.where(
        gen, _june(year_of(y_start) + 3, rng), y_start + 1100 + rng.integers(0, 300, len(idx))
    )
    m = has_youth
    rows.add(idx[m], np.where(gen, 2, 3)[m], y_start[m], y_end[m], COMPLETED, rng)
    P.youth_done[idx[m]] = y_end[m]
    _set_slot(P, 0, idx[m], y_start[m], y_end[m])
    # higher education: short (3), bachelor (4), master (5), phd (6)
    h_start = _aug(year_of(y_end) + rng.integers(0, 3, len(idx)), rng)
    m = rank == 3
    s_end = _june(year_of(h_start) + 2, rng)
    rows.add(idx[m], 4, h_start[m], s_end[m], COMPLETED, rng)
    _set_slot(P, 1, idx[m], h_start[m], s_end[m])
    m = rank >= 4
    b_end = _june(year_of(h_start) + 3, rng)
    rows.add(idx[m], 5, h_start[m], b_end[m], COMPLETED, rng)
    _set_slot(P, 1, idx[m], h_start[m], b_end[m])
    m = rank >= 5
    m_start = _aug(year_of(b_end), rng)
    m_end = _june(year_of(m_start) + 2, rng)
    rows.add(idx[m], 6, m_start[m], m_end[m], COMPLETED, rng)
    _set_slot(P, 2, idx[m], m_start[m], m_end[m])
    m = rank >= 6
    p_start = m_end + rng.integers(30, 200, len(idx))
    p_end = p_start + 3 * 365 + rng.integers(0, 200, len(idx))
    rows.add(idx[m], 7, p_start[m], p_end[m], COMPLETED, rng)
    _set_slot(P, 3, idx[m], p_start[m], p_end[m])


# Baseline cumulative hazard of the first youth-education start, days from 30 June
# of the exam year: the August intake, a January intake, the August intake a year
# later (after 10th grade), and a slow rise for ten years. H0 = 1 on day T15
# (30 September of the next year), filled in per exam year.
_KNOTS_T = np.array([0, 38, 52, 184, 200, 380, 402, 416, -1, 3650], dtype=np.float64)
_KNOTS_H = np.array([0, 1e-6, 0.80, 0.83, 0.87, 0.90, 0.93, 0.99, 1.0, 3.5])


def youth_careers(
    P: Store,
    idx: np.ndarray,
    rate: np.ndarray,
    exam_year: int,
    rows: EduRows,
    rng: np.random.Generator,
) -> None:
    """Careers of the children of one exam year; ``rate`` = exp(lp) of effect 1."""
    n = len(idx)
    if n == 0:
        return
    P.planned[idx] = 1
    origin = day(exam_year, 6, 30)
    t15 = day(exam_year + 1, 9, 30) - origin
    knots_t = _KNOTS_T.copy()
    knots_t[8] = t15
    h = rng.exponential(1.0, n) / rate
    started = h < _KNOTS_H[-1]
    t = np.interp(h, _KNOTS_H, knots_t)
    days = np.floor(t).astype(np.int64)
    days = np.where(t >= t15, np.maximum(days, t15 + 1), days)
    start = (origin + days).astype(np.int64)
    u = P.u[idx]
    # 10th grade for those starting at the second August intake
    prep = started & (days >= 380) & (days < 416)
    yrs = np.full(n, exam_year, np.int32)
    rows.add(idx[prep], 1, _aug(yrs[prep], rng), _june(yrs[prep] + 1, rng), COMPLETED, rng)
    general = rng.random(n) < ndtr(0.25 + 0.7 * u)
    done = rng.random(n) < np.where(general, 0.87, 0.68)
    g_end = np.where(
        days < 200, _june(year_of(start) + 3, rng), start + 3 * 365 + rng.integers(0, 120, n)
    )
    v_end = start + 1100 + rng.integers(0, 300, n)
    end1 = np.where(general, g_end, v_end)
    drop1 = start + rng.integers(460, 950, n)
    end1 = np.where(done, end1, drop1)
    m = started
    rows.add(idx[m], np.where(general, 2, 3)[m], start[m], end1[m], np.where(done, 0, 1)[m], rng)
    _set_slot(P, 0, idx[m], start[m], end1[m])
    youth_done = np.where(m & done, end1, NEVER)
    # re-enrolment in vocational education after a drop-out
    re = m & ~done & (rng.random(n) < 0.45)
    s2 = end1 + rng.integers(60, 365, n)
    ok2 = rng.random(n) < 0.6
    e2 = np.where(ok2, s2 + 1000 + rng.integers(0, 300, n), s2 + rng.integers(200, 700, n))
    rows.add(idx[re], 3, s2[re], e2[re], np.where(ok2, 0, 1)[re], rng)
    _set_slot(P, 1, idx[re], s2[re], e2[re])
    youth_done = np.where(re & ok2, e2, youth_done)
    P.youth_done[idx] = youth_done
    # higher education
    gen_done = m & done & general
    voc_done = (m & done & ~general) | (re & ok2)
    h_start = _aug(year_of(np.minimum(youth_done, 2**31 - 4000)) + rng.integers(0, 3, n), rng)
    bach = gen_done & (rng.random(n) < ndtr(0.1 + 0.8 * u))
    short = voc_done & (rng.random(n) < 0.15)
    b_ok = rng.random(n) < 0.85
    b_end = np.where(b_ok, _june(year_of(h_start) + 3, rng), h_start + rng.integers(200, 900, n))
    rows.add(idx[bach], 5, h_start[bach], b_end[bach], np.where(b_ok, 0, 1)[bach], rng)
    s_end = _june(year_of(h_start) + 2, rng)
    rows.add(idx[short], 4, h_start[short], s_end[short], COMPLETED, rng)
    hi_end = np.where(bach, b_end, s_end)
    hm = bach | short
    _set_slot(P, 2, idx[hm], h_start[hm], hi_end[hm])
    mast = bach & b_ok & (rng.random(n) < ndtr(0.0 + 0.7 * u))
    m_start = _aug(year_of(b_end), rng)
    m_end = _june(year_of(m_start) + 2, rng)
    rows.add(idx[mast], 6, m_start[mast], m_end[mast], COMPLETED, rng)
    _set_slot(P, 3, idx[mast], m_start[mast], m_end[mast])
    phd = mast & (rng.random(n) < 0.07)
    p_start = m_end + rng.integers(30, 200, n)
    rows.add(idx[phd], 7, p_start[phd], p_start[phd] + 1100 + rng.integers(0, 200, n)[phd], 0, rng)


def primary_spells(P: Store, idx: np.ndarray, rows: EduRows, rng: np.random.Generator) -> None:
    """Primary school (grades 0-9): from 1 August of the year a child turns 6.

    It ends in late June of the exam year (open when that is after the extract's end).
    """
    if len(idx) == 0:
        return
    by = year_of(P.birth[idx])
    start = np.maximum(year_start(by + 6) + 212, P.arrival[idx])
    end = year_start(by + 16) + 170 + rng.integers(0, 7, len(idx))
    rows.add(idx, 0, start, end, COMPLETED, rng)
