"""The yearly microsimulation of one block of independent families, 1985-2019.

Each year: support and labour (:mod:`._labour`), the careers of the year's
9th-graders (:mod:`._education`), deaths, household moves (selective in the
estate), emigration and return, births, young adults leaving home, and new
households for vacated dwellings (Gladsaxe and the areas) or immigrants (the
national sample). Residence is recorded as events (person, date, address) that
:mod:`._residence` turns into spells.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cohort.synth import truth
from cohort.synth._dates import NEVER, add_years, age_from, birth_keys, day, year_of, year_start
from cohort.synth._education import EduRows, adult_history, primary_spells, youth_careers
from cohort.synth._labour import support_and_labour
from cohort.synth._population import ADULT, CHILD, HouseholdSpec, new_households, new_stores
from cohort.synth._store import Store
from cohort.synth._world import (
    COMPARISON_AREAS,
    N_AREAS,
    RESOURCE_SHIFT,
    STRAIN,
    UNIT_GR,
    UNIT_OTHER,
    UNIT_VP,
    World,
)

__all__ = ["Block", "simulate"]

FIRST_YEAR, LAST_YEAR = 1985, 2019
_Y = 365.25

STOCK = HouseholdSpec(
    (0.36, 0.30, 0.07, 0.27), ((18, 95), (22, 90), (20, 50), (22, 52)), 24, 0.0, (0.96, 0.02, 0.02)
)
STOCK_GR = HouseholdSpec(
    (0.36, 0.30, 0.07, 0.27),
    ((18, 95), (22, 90), (20, 50), (22, 52)),
    24,
    truth.RESOURCE_GLADSAXE,
    (0.93, 0.03, 0.04),
)
STOCK_AREA = HouseholdSpec(
    (0.33, 0.15, 0.22, 0.30), ((18, 85), (22, 85), (20, 50), (22, 50)), 24, -0.5, (0.72, 0.03, 0.25)
)
IN_AREA = HouseholdSpec(
    (0.30, 0.10, 0.27, 0.33),
    ((18, 50), (20, 50), (20, 45), (22, 45)),
    11,
    truth.IN_MOVER_RESOURCE_ESTATE,
    (0.5, 0.05, 0.45),
    1.0,
)
IN_GR = HouseholdSpec(
    (0.36, 0.26, 0.06, 0.32),
    ((18, 60), (22, 70), (22, 45), (24, 45)),
    11,
    truth.RESOURCE_GLADSAXE,
    (0.88, 0.05, 0.07),
)
IMMIGRANTS = HouseholdSpec(
    (0.60, 0.12, 0.08, 0.20), ((18, 40), (20, 45), (20, 40), (22, 42)), 11, -0.3, (0.0, 0.38, 0.62)
)

#: Per unit (estate, comparison estates, rest of Gladsaxe, elsewhere): yearly
#: out-move rate of households, hazard ratio of resource-strong households, share
#: of out-moves that stay in the municipality, share of in-movers to vacated
#: dwellings from abroad and from the same municipality.
_N_COMP = N_AREAS - 1
_MOVE_RATE = np.array([truth.MOVE_RATE_ESTATE, *[0.07] * _N_COMP, 0.06])
_RS_HR = np.array([truth.HR_RESOURCE_STRONG_ESTATE, *[1.5] * _N_COMP, 1.0, 1.0])
_SAME_MUNI = np.array([0.35, *[0.35] * _N_COMP, 0.40, 0.55])
_FROM_ABROAD = np.array([0.2, *[0.25] * _N_COMP, 0.15])
_FROM_SAME = np.array([0.3, *[0.3] * _N_COMP, 0.0])
#: 1985 households and in-movers of each area are the estate's, their mean
#: resource shifted by the area's strain.
_SHIFT = RESOURCE_SHIFT * np.array(STRAIN)
_STOCK_BY_UNIT = tuple(replace(STOCK_AREA, resource=STOCK_AREA.resource + s) for s in _SHIFT)


def _gladsaxe_target(year: int) -> float:
    """Residents of Gladsaxe (estate included) on 1 January, at full scale.

    62,000 in 1985 growing to 70,000 in 2018 (the estate's dwellings are fixed).
    """
    return 62_000 + (70_000 - 62_000) * (min(year, 2019) - 1985) / (2018 - 1985)


@dataclass
class Block:
    """The raw output of one simulated block."""

    P: Store
    H: Store
    events: list = field(default_factory=list)  # (pid, date, addr, prio)
    migrations: list = field(default_factory=list)  # (pid, date, direction 0 in / 1 out)
    support: list = field(default_factory=list)
    labour: list = field(default_factory=list)
    births: list = field(default_factory=list)  # (mother, date)
    exams: list = field(default_factory=list)  # (pid, exam year, unit on 1 January)
    edu: EduRows = field(default_factory=EduRows)


def _enrolment_shares(W: World, year: int) -> np.ndarray:
    """Expected 15-month enrolment share of the year's 9th-graders, by unit (effect 2)."""
    att = truth.ATT if W.att_enrolment is None else W.att_enrolment
    estate = truth.enrolment_share("estate_untreated", year) + att.get(year, 0.0)
    if W.options is not None and W.options.pre_trend:  # the estate drifts from the others
        estate += W.options.pre_trend * (year - truth.PRE_TREND_ZERO_YEAR)
    comp = [truth.enrolment_share(a, year) for a in COMPARISON_AREAS]
    rest, nat = truth.enrolment_share("rest", year), truth.enrolment_share("national", year)
    shares = np.array([estate, *comp, rest, nat])
    shock = W.shock(year)
    if shock is not None:  # one draw shared by the children of an area and exam year
        shares = shares + shock
    return np.clip(shares, 0.001, 0.999)


def _child_shares(W: World, P: Store, ex: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Each 9th-grader's 15-month probability: the unit's share, plus covariates.

    With ``covariate_effects`` a child's ability and sex move the probability on the
    share scale, so the intervention's effect (added to the unit's share) is the
    same for every child of the estate (none is clipped at these values).
    """
    p = share
    if W.options is not None and W.options.covariate_effects:
        girl = (P.sex[ex] == 0).astype(np.float64)
        p = (p + truth.COVARIATE_U * P.u[ex].astype(np.float64)
             + truth.COVARIATE_GIRL * (2.0 * girl - 1.0))
    return np.clip(p, 0.001, 0.999)


def _event(B: Block, pid, date, addr, prio: int) -> None:
    pid = np.asarray(pid, np.int64)
    if len(pid):
        B.events.append(
            (
                pid,
                np.broadcast_to(np.asarray(date, np.int32), pid.shape).copy(),
                np.broadcast_to(np.asarray(addr, np.int64), pid.shape).copy(),
                np.full(len(pid), prio, np.int8),
            )
        )


def _migr(B: Block, pid, date, direction: int) -> None:
    pid = np.asarray(pid, np.int64)
    if len(pid):
        B.migrations.append(
            (
                pid,
                np.broadcast_to(np.asarray(date, np.int32), pid.shape).copy(),
                np.full(len(pid), direction, np.int8),
            )
        )


def _destination(W: World, rng, unit: np.ndarray, muni: np.ndarray, *, local: bool) -> np.ndarray:
    """New addresses for households leaving ``unit``.

    Never into an area, and from outside never into Gladsaxe.
    """
    n = len(unit)
    same = rng.random(n) < _SAME_MUNI[unit]
    out = W.pool_in(rng, W.draw_muni(rng, n, capital=local))
    gr = same & ((unit == UNIT_VP) | (unit == UNIT_GR))
    out[gr] = W.gladsaxe_pool(rng, int(gr.sum()))
    oth = same & ~gr
    out[oth] = W.pool_in(rng, muni[oth].astype(np.int16)) if oth.any() else out[oth]
    return out


def _add_households(
    B, W, rng, spec, dates, addr, *, kind: np.ndarray, year: int, local: bool, shift=0.0
):
    """Households moving in on ``dates`` at ``addr``.

    ``kind``: 0 from abroad, 1 from the same municipality, 2 from another one
    (their previous address). ``shift``: added to the spec's mean resource.
    """
    P, H = B.P, B.H
    if len(dates) == 0:
        return
    from_abroad = kind == 0
    hh, pid = new_households(P, H, rng, dates, spec, from_abroad=from_abroad, shift=shift)
    H.addr[hh] = addr
    H.fam[hh] = hh
    hh_of = P.hh[pid]
    pos = hh_of - hh[0]
    d = dates[pos]
    _event(B, pid, d, addr[pos], 1)
    ab = from_abroad[pos]
    _migr(B, pid[ab], d[ab], 0)
    # previous address for movers from within the country
    prev = np.where(
        kind == 1,
        np.where(
            W.addr_unit[addr] == UNIT_VP,
            W.gladsaxe_pool(rng, len(hh)),
            W.pool_in(rng, W.addr_muni[addr]),
        ),
        W.pool_in(rng, W.draw_muni(rng, len(hh), capital=local)),
    )
    since = dates - (rng.exponential(5.0, len(hh)) * _Y).astype(np.int64) - 30
    m = ~ab
    start = np.maximum(P.birth[pid[m]], since[pos[m]])
    ok = start < d[m]
    _event(B, pid[m][ok], start[ok], prev[pos[m]][ok], 0)
    # education of those past their 9th-grade year
    past = pid[P.by[pid] + 16 < year]
    adult_history(P, past, B.edu, rng)
    # support and labour of the two years before they moved in (they lived in the
    # country then): what their resource status at the move reads
    inland, first_day = pid[m][ok], start[ok]
    for yy in (year - 1, year):
        who = inland[first_day < day(yy)] if yy >= FIRST_YEAR else inland[:0]
        other = np.full(len(who), UNIT_OTHER, np.int8)
        support_and_labour(P, who, other, yy, rng, B.support, B.labour)


def _ref_adults(P: Store, alive: np.ndarray, n_hh: int) -> np.ndarray:
    """The oldest living adult of each household (else its oldest member); -1 if none."""
    cand = np.flatnonzero(alive)
    key_role = (P.role[cand] != ADULT).astype(np.int8)
    order = np.lexsort((P.birth[cand], key_role, P.hh[cand]))
    c = cand[order]
    h = P.hh[c]
    first = np.ones(len(c), bool)
    first[1:] = h[1:] != h[:-1]
    ref = np.full(n_hh, -1, np.int64)
    ref[h[first]] = c[first]
    return ref


def simulate(W: World, rng: np.random.Generator, *, local: bool, stock_households: int) -> Block:
    """Simulate one block: Gladsaxe and the areas (``local``) or a national sample."""
    P, H = new_stores(int(stock_households * 5))
    B = Block(P, H)
    if local:
        for unit in range(UNIT_GR + 1):
            n = int(W.dwellings[unit])
            addr = W.unit_start[unit] + np.arange(n) if unit < UNIT_GR else W.gladsaxe_pool(rng, n)
            spec = STOCK_GR if unit == UNIT_GR else _STOCK_BY_UNIT[unit]
            _stock(B, W, rng, spec, addr)
    else:
        addr = W.pool_in(rng, W.draw_muni(rng, stock_households))
        _stock(B, W, rng, STOCK, addr)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        _year(B, W, rng, year, local=local, stock_households=stock_households)
    # support on 1 January 2020 and labour of 2019
    alive = (P.death > day(LAST_YEAR + 1)) & (H.addr[P.hh] >= 0)
    idx = np.flatnonzero(alive)
    support_and_labour(
        P, idx, W.addr_unit[H.addr[P.hh[idx]]], LAST_YEAR + 1, rng, B.support, B.labour
    )
    return B


def _stock(B: Block, W: World, rng, spec: HouseholdSpec, addr: np.ndarray) -> None:
    P, H = B.P, B.H
    n = len(addr)
    d0 = day(FIRST_YEAR)
    dates = np.full(n, d0, np.int64)
    hh, pid = new_households(P, H, rng, dates, spec, from_abroad=np.zeros(n, bool))
    H.addr[hh] = addr
    H.fam[hh] = hh
    since = d0 - (rng.exponential(8.0, n) * _Y).astype(np.int64) - 1
    pos = P.hh[pid] - hh[0]
    start = np.maximum(P.birth[pid], since[pos])
    _event(B, pid, start, addr[pos], 0)
    adult_history(P, pid[P.by[pid] + 16 < FIRST_YEAR], B.edu, rng)


def _year(B: Block, W: World, rng, year: int, *, local: bool, stock_households: int) -> None:
    P, H = B.P, B.H
    y0, y1 = day(year), day(year + 1)
    ny = y1 - y0
    n_hh = H.n
    alive = P.death > y0
    hh_addr = H.addr[P.hh]
    in_dk = alive & (hh_addr >= 0)
    idx = np.flatnonzero(in_dk)
    p_unit = W.addr_unit[hh_addr[idx]]
    support_and_labour(P, idx, p_unit, year, rng, B.support, B.labour)
    gr_extra = 0
    if local:
        short = _gladsaxe_target(year + 1) * W.scale - np.sum(
            (p_unit == UNIT_GR) | (p_unit == UNIT_VP)
        )
        gr_extra = max(0, int(round(short / 2.2)))

    # the year's 9th-graders (school stability: they live where they lived on 1 January)
    by = P.by
    ex = idx[(by[idx] == year - 16) & (P.planned[idx] == 0)]
    ex_unit = W.addr_unit[hh_addr[ex]]
    share = _child_shares(W, P, ex, _enrolment_shares(W, year)[ex_unit])
    youth_careers(P, ex, -np.log1p(-share), year, B.edu, rng)
    primary_spells(P, ex, B.edu, rng)
    B.exams.append((ex, np.full(len(ex), year, np.int16), ex_unit.astype(np.int8)))

    # deaths (no deaths of children aged 1-17)
    age = age_from(P.by, P.bmd, y0)
    q = np.where(age >= 18, np.exp(-10.3 + 0.093 * age) * np.where(P.sex == 0, 0.65, 1.0), 0.0)
    q = np.where(age == 0, 0.003, np.minimum(q, 0.6))
    dies = alive & (rng.random(P.n) < q)
    death = np.where(dies, y0 + rng.integers(1, ny, P.n), NEVER).astype(np.int32)
    P.death[dies] = death[dies]

    # young adults leaving home
    child = in_dk & (P.role == CHILD)
    l_date = add_years(P.birth, P.leave.astype(np.int32)) + rng.integers(0, 121, P.n)
    l_date += year_start(year_of(l_date)) == l_date  # nothing happens on 1 January
    leaver = child & (year_of(l_date) == year) & (l_date < P.death) & (P.leave < 99)
    l_date = np.where(leaver, l_date, NEVER)

    # household moves
    present = H.addr >= 0
    unit_h = W.addr_unit[np.maximum(H.addr, 0)]
    ref = _ref_adults(P, in_dk, n_hh)
    has_ref = ref >= 0
    refc = np.maximum(ref, 0)
    kid = in_dk & (P.role == CHILD)
    window = kid & (by + 13 <= year) & (year <= by + 16)
    blocked = np.bincount(P.hh[window], minlength=n_hh) > 0
    grade_7_9 = None  # with selective moves: estate households with a child in grades 7-9
    if W.options is not None and W.options.selective_moves:
        strongest = np.full(n_hh, -np.inf)
        np.maximum.at(strongest, P.hh[window], P.u[window].astype(np.float64))
        estate_h = W.addr_unit[np.maximum(H.addr, 0)] < UNIT_GR
        grade_7_9 = blocked & estate_h & (H.addr >= 0)
        sel_hr = np.exp(W.options.selective_moves * np.where(grade_7_9, strongest, 0.0))
    has_kid = np.bincount(P.hh[kid], minlength=n_hh) > 0
    m_date = y0 + rng.integers(1, ny, n_hh)
    ref_age_m = age_from(P.by[refc], P.bmd[refc], m_date)
    rs = (ref_age_m >= 25) & (ref_age_m <= 64) & (P.emp[refc] == 1) & (P.youth_done[refc] <= m_date)
    ref_age = age_from(P.by[refc], P.bmd[refc], y0)
    base = np.where(ref_age < 30, 0.24, np.where(ref_age < 50, 0.11, 0.045))
    lam = np.where(unit_h < UNIT_OTHER, _MOVE_RATE[np.minimum(unit_h, UNIT_GR)], base)
    lam = lam * np.where(rs, _RS_HR[unit_h], 1.0)
    active = present & has_ref & (P.death[refc] > m_date)
    movable = ~blocked
    if grade_7_9 is not None:  # they may move, the more so the stronger their child
        lam = np.where(grade_7_9, lam * sel_hr, lam)
        movable = movable | grade_7_9
    move = active & movable & (rng.random(n_hh) < -np.expm1(-lam))
    imm = np.isin(P.origin[refc], (1, 2))
    p_em = np.where(ref_age < 35, 0.012, 0.003) * np.where(imm, 3.0, 1.0)
    emig = active & ~has_kid & ~blocked & (rng.random(n_hh) < p_em)
    move &= ~emig
    returns = (H.addr < 0) & (H.ret >= y0) & (H.ret < y1)

    new_addr = np.full(n_hh, -1, np.int64)
    mv = np.flatnonzero(move)
    new_addr[mv] = _destination(W, rng, unit_h[mv], W.addr_muni[H.addr[mv]], local=local)
    rt = np.flatnonzero(returns)
    new_addr[rt] = W.pool_in(rng, W.draw_muni(rng, len(rt), capital=local))
    ret_p = np.where(imm, 0.3, 0.5)
    em = np.flatnonzero(emig)
    back = rng.random(len(em)) < ret_p[em]
    ret = m_date[em] + rng.integers(180, 2200, len(em))
    ret += year_start(year_of(ret)) == ret  # nothing happens on 1 January
    H.ret[em] = np.where(back, ret, NEVER)
    when = np.where(returns, H.ret, m_date)

    # members moving with their household: alive then, born before, not yet left home
    hh_p = P.hh
    moving_h = move | emig | returns
    memb = moving_h[hh_p] & (P.death > when[hh_p]) & (P.birth < when[hh_p]) & (l_date >= when[hh_p])
    memb &= (hh_addr >= 0) | returns[hh_p]
    mp = np.flatnonzero(memb)
    _event(B, mp, when[hh_p[mp]], new_addr[hh_p[mp]], 1)
    e_mp = mp[emig[hh_p[mp]]]
    _migr(B, e_mp, when[hh_p[e_mp]], 1)
    r_mp = mp[returns[hh_p[mp]]]
    _migr(B, r_mp, when[hh_p[r_mp]], 0)

    # births (not in households abroad or leaving/returning this year)
    women = in_dk & (P.role == ADULT) & (P.sex == 0) & (age >= 18) & (age <= 44)
    male_adult = in_dk & (P.role == ADULT) & (P.sex == 1)
    partner = np.full(n_hh, -1, np.int64)
    partner[P.hh[male_adult]] = np.flatnonzero(male_adult)
    f = 0.20 * np.exp(-(((age - 30.5) / 5.2) ** 2))
    f = f * np.where(partner[P.hh] >= 0, 1.0, 0.4)
    b_date = y0 + rng.integers(1, ny, P.n)
    mothers = np.flatnonzero(
        women & ~(emig | returns)[P.hh] & (rng.random(P.n) < f) & (b_date < P.death)
    )
    old_addr = H.addr.copy()
    hh0 = P.hh.copy()

    # leavers get their own households
    lv = np.flatnonzero(leaver)
    if len(lv):
        src_h = P.hh[lv]
        src_unit = W.addr_unit[
            np.where(move[src_h] & (l_date[lv] >= m_date[src_h]), new_addr[src_h], old_addr[src_h])
        ]
        src_addr = np.where(
            move[src_h] & (l_date[lv] >= m_date[src_h]), new_addr[src_h], old_addr[src_h]
        )
        dest_unit = np.where(
            src_unit < UNIT_GR, src_unit, np.where(src_unit == UNIT_GR, UNIT_GR, UNIT_OTHER)
        )
        dest = _destination(W, rng, dest_unit, W.addr_muni[src_addr], local=local)
        nh = H.append(len(lv), addr=dest, fam=H.fam[src_h])
        P.hh[lv] = nh
        P.role[lv] = ADULT
        _event(B, lv, l_date[lv], dest, 2)
    new_unit = W.addr_unit[np.maximum(new_addr, 0)]
    gains_gr = int(np.sum(move & (new_unit == UNIT_GR) & (unit_h != UNIT_GR)))
    if len(lv):
        gains_gr += int(np.sum(W.addr_unit[dest] == UNIT_GR))

    # newborns
    if len(mothers):
        mh = P.hh[mothers]
        bd = b_date[mothers]
        addr_b = np.where(move[mh] & (bd >= m_date[mh]), new_addr[mh], old_addr[mh])
        fa = partner[mh]
        mu = np.where(fa >= 0, (P.u[mothers] + P.u[np.maximum(fa, 0)]) / 2, P.u[mothers])
        mo = P.origin[mothers]
        n = len(mothers)
        kby, kbmd = birth_keys(bd)
        kids = P.append(
            n,
            birth=bd,
            by=kby,
            bmd=kbmd,
            sex=(rng.random(n) < 0.512).astype(np.int8),
            mother=mothers,
            father=fa,
            origin=np.select([mo == 1, mo == 2], [3, 4], 0).astype(np.int8),
            u=0.6 * mu + 0.8 * rng.standard_normal(n),
            hh=mh,
            role=CHILD,
            leave=(18 + np.minimum(rng.gamma(2.0, 1.3, n), 8)).astype(np.int8),
            arrival=bd,
            v=rng.random(n),
            ar=rng.standard_normal(n),
        )
        _event(B, kids, bd, addr_b, 0)
        B.births.append((mothers, bd.astype(np.int32)))

    # apply the moves
    H.addr[mv] = new_addr[mv]
    H.addr[em] = -1
    H.addr[rt] = new_addr[rt]

    if local:
        left = (move & (new_unit != unit_h)) | emig
        free_gr = active & (unit_h == UNIT_GR) & ~blocked & ~move & ~emig
        _fill_vacancies(
            B,
            W,
            rng,
            year,
            old_addr,
            unit_h,
            left,
            when,
            gains_gr - gr_extra,
            l_date,
            hh0,
            free_gr,
            refc,
        )
    else:
        n_new = rng.poisson(
            stock_households * (0.006 if year < 1995 else 0.010 if year < 2014 else 0.014)
        )
        dates = y0 + rng.integers(1, ny, n_new)
        addr = W.pool_in(rng, W.draw_muni(rng, n_new))
        _add_households(
            B,
            W,
            rng,
            IMMIGRANTS,
            dates,
            addr,
            kind=np.zeros(n_new, np.int8),
            year=year,
            local=local,
        )


def _fill_vacancies(
    B, W, rng, year, old_addr, unit_h, left, when, gains_gr, l_date, hh0, free_gr, ref
) -> None:
    """New households for dwellings of Gladsaxe and the areas vacated this year."""
    P, H = B.P, B.H
    n_hh = len(old_addr)
    y0, y1 = day(year), day(year + 1)
    n_alive = np.bincount(P.hh[P.death >= y1], minlength=H.n)[:n_hh]
    was_local = (old_addr >= 0) & (unit_h <= UNIT_GR)
    extinct = was_local & ~left & (n_alive == 0)
    # an extinct household's dwelling is free from the last death or departure of a member
    last = np.full(n_hh, y0 + 180, np.int64)
    n_old = len(l_date)
    ev = np.where(
        (P.death[:n_old] >= y0) & (P.death[:n_old] < y1),
        P.death[:n_old],
        np.where(l_date < y1, l_date, 0),
    )
    # leavers already belong to their new household: use the household they left
    np.maximum.at(last, hh0, ev)
    H.addr[np.flatnonzero(extinct)] = -2  # gone for good
    vac = np.flatnonzero((left & was_local) | extinct)
    v_date = np.where(extinct[vac], last[vac], when[vac])
    v_unit = unit_h[vac]
    gr_dates = [v_date[v_unit == UNIT_GR]]
    # the areas' dwellings, all at once (in-movers of a strained area are weaker)
    sel = np.flatnonzero(v_unit < UNIT_GR)
    unit = v_unit[sel].astype(np.int64)
    addr = old_addr[vac[sel]]
    dates = np.minimum(v_date[sel] + rng.integers(7, 61, len(sel)), y1 - 1)
    r = rng.random(len(sel))
    f_abroad, f_same = _FROM_ABROAD[unit], _FROM_SAME[unit]
    kind = np.where(r < f_abroad, 0, np.where(r < f_abroad + f_same, 1, 2)).astype(np.int8)
    # the estate's in-movers from the same municipality: households of the rest of
    # Gladsaxe move in (the others come from other municipalities)
    vp_same = np.flatnonzero((unit == UNIT_VP) & (kind == 1))
    moved = _relocate_into(B, rng, free_gr, ref, addr[vp_same], dates[vp_same])
    gr_dates.append(dates[vp_same][:moved])
    keep = np.ones(len(sel), bool)
    keep[vp_same[:moved]] = False
    kind[vp_same] = 2
    addr, dates, kind, unit = addr[keep], dates[keep], kind[keep], unit[keep]
    _add_households(
        B, W, rng, IN_AREA, dates, addr, kind=kind, year=year, local=True, shift=_SHIFT[unit]
    )
    gr_dates = np.concatenate(gr_dates)
    k = max(0, len(gr_dates) - gains_gr)
    if k:
        dates = np.resize(gr_dates, k) if len(gr_dates) else np.full(k, y0 + 180)
        dates = np.minimum(dates + rng.integers(7, 61, k), y1 - 1)
        addr = W.gladsaxe_pool(rng, k)
        r = rng.random(k)
        kind = np.where(r < _FROM_ABROAD[UNIT_GR], 0, 2).astype(np.int8)
        _add_households(B, W, rng, IN_GR, dates, addr, kind=kind, year=year, local=True)


def _relocate_into(B: Block, rng, free: np.ndarray, ref: np.ndarray, addr, dates) -> int:
    """Move ``free`` households, the weaker the likelier, to ``addr`` on ``dates``.

    Returns how many moved (at most ``len(addr)``).
    """
    P, H = B.P, B.H
    cand = np.flatnonzero(free)
    if len(cand) == 0 or len(addr) == 0:
        return 0
    score = P.u[ref[cand]] + rng.gumbel(0.0, 1.0, len(cand))
    chosen = cand[np.argsort(score, kind="stable")[: len(addr)]]
    n = len(chosen)
    free[chosen] = False
    when = np.zeros(H.n, np.int64)
    when[chosen] = dates[:n]
    target = np.full(H.n, -1, np.int64)
    target[chosen] = addr[:n]
    hh = P.hh
    on = when[hh]
    members = np.flatnonzero((target[hh] >= 0) & (P.death > on) & (P.birth < on + 366))
    # children born later this year join at birth (their birth event is at the old address)
    date = np.maximum(on[members], P.birth[members])
    _event(B, members, date, target[hh[members]], 1)
    H.addr[chosen] = addr[:n]
    return n
