"""One simulated block -> the canonical tables (pyarrow), with global pids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cohort.extract.schema import (
    BENEFITS,
    EDUCATION_LEVELS,
    EDUCATION_OUTCOMES,
    OFFENCES,
    PLACEMENT_KINDS,
    SEXES,
    TABLES,
)
from cohort.synth._dates import NEVER, add_years, day, year_start
from cohort.synth._education import PROGRAMS
from cohort.synth._ids import encode_ids
from cohort.synth._labour import GRANT, LABOUR, PARENTAL, SICK, benefit_spells, income_rows
from cohort.synth._population import ORIGIN_NAMES
from cohort.synth._residence import spells_from_events
from cohort.synth._school import absence, convictions, exams, placements
from cohort.synth._simulate import Block
from cohort.synth._world import AREAS, DISTRICT, World

__all__ = ["EXTRACT_END", "address_table", "block_tables"]

EXTRACT_END = day(2019, 12, 31)
BENEFITS_FROM = day(1984, 1, 1)
_PA = {
    "string": pa.string(),
    "date": pa.date32(),
    "int": pa.int32(),
    "float": pa.float64(),
    "category": pa.string(),
}


def schema(name: str) -> pa.Schema:
    """The Arrow schema of a canonical table."""
    return pa.schema([(c.name, _PA[c.type]) for c in TABLES[name].columns])


def _dates(d: np.ndarray) -> pa.Array:
    d = np.asarray(d, np.int32)
    return pa.array(d, type=pa.int32(), mask=d == NEVER).view(pa.date32())


def _cat(names, codes: np.ndarray) -> pa.Array:
    return pa.array(list(names), pa.string()).take(pa.array(np.asarray(codes, np.int64)))


def _cat_cols(parts: list[tuple]) -> tuple[np.ndarray, ...]:
    return tuple(np.concatenate(c) for c in zip(*parts, strict=True))


def address_table(W: World, *, seed: int) -> pa.Table:
    """Every address of the synthetic country, with its municipality, area and district."""
    n = W.n_addresses
    area_names = [a[0] for a in AREAS]
    area = pa.array(area_names + [None] * 2, pa.string()).take(
        pa.array(W.addr_unit.astype(np.int64))
    )
    district = pa.array([None, DISTRICT], pa.string()).take(
        pa.array(W.addr_district.astype(np.int64))
    )
    cols = {
        "address_id": encode_ids(np.arange(n), seed=seed, prefix="A"),
        "municipality": pa.array(W.addr_muni.astype(np.int32)),
        "area": area,
        "district": district,
    }
    sch = schema("addresses")
    return pa.table([cols[name] for name in sch.names], schema=sch)


def _family_keep(B: Block, quota: int, rng) -> np.ndarray:
    """Keep whole families (in a random order) so that exactly ``quota`` persons remain."""
    P = B.P
    fam = B.H.fam[P.hh]
    if P.n <= quota:
        return np.ones(P.n, bool)
    _, inv, size = np.unique(fam, return_inverse=True, return_counts=True)
    prio = rng.permutation(len(size))
    order = np.argsort(prio, kind="stable")
    cum = np.cumsum(size[order])
    take = np.zeros(len(size), bool)
    take[order[cum <= quota - 50]] = True
    rest = quota - int(size[take].sum())
    singles = np.flatnonzero(~take & (size == 1))
    pairs = np.flatnonzero(~take & (size == 2))
    n_pairs = min(len(pairs), max(0, (rest - len(singles) + 1) // 2))
    if 0 <= rest - 2 * n_pairs <= len(singles):
        take[pairs[:n_pairs]] = True
        take[singles[: rest - 2 * n_pairs]] = True
        return take[inv]
    # too few singles and pairs for the rest (a local block far over its quota, as
    # with the referee's selective moves): the largest families that still fit, in
    # the random order within a size, down to singles; where no such sum is exact,
    # the last families taken are given back one by one and the fill tried again
    first = order[cum <= quota - 50]
    for back in range(len(first) + 1):
        t = take.copy()
        t[first[len(first) - back:]] = False
        r = quota - int(size[t].sum())
        left = np.flatnonzero(~t)
        for f in left[np.lexsort((prio[left], -size[left]))]:
            if size[f] <= r:
                t[f] = True
                r -= int(size[f])
                if r == 0:
                    return t[inv]
    msg = "could not trim a block to its quota of persons"
    raise RuntimeError(msg)


def block_tables(
    B: Block, W: World, rng, *, quota: int, offset: int, seed: int
) -> dict[str, pa.Table]:
    """The canonical tables of one block; persons are numbered from ``offset``."""
    P = B.P
    keep = _family_keep(B, quota, rng)
    pos = np.cumsum(keep) - 1
    kept = np.flatnonzero(keep)
    pids = encode_ids(offset + np.arange(len(kept)), seed=seed, prefix="P")

    def pid_col(local: np.ndarray) -> pa.Array:
        return pids.take(pa.array(pos[local]))

    def parent(col: np.ndarray) -> pa.Array:
        has = col >= 0
        arr = pids.take(pa.array(np.where(has, pos[np.maximum(col, 0)], 0)))
        return pc.if_else(pa.array(has), arr, pa.nulls(len(col), pa.string()))

    ev = _cat_cols(B.events)
    S = spells_from_events(*ev, P.death)
    out: dict[str, pa.Table] = {}
    death = np.where(P.death <= EXTRACT_END, P.death, NEVER)
    out["persons"] = pa.table(
        [
            pids,
            _dates(P.birth[kept]),
            _cat(SEXES, P.sex[kept]),
            parent(P.mother[kept]),
            parent(P.father[kept]),
            _cat(ORIGIN_NAMES, P.origin[kept]),
            _dates(death[kept]),
        ],
        schema=schema("persons"),
    )
    m = keep[S.pid]
    addr_enc = encode_ids(S.addr[m], seed=seed, prefix="A")
    out["residence"] = pa.table(
        [pid_col(S.pid[m]), addr_enc, _dates(S.start[m]), _dates(S.end[m])],
        schema=schema("residence"),
    )
    if B.migrations:
        mp, md, mdir = _cat_cols(B.migrations)
        m = keep[mp] & (md <= EXTRACT_END) & (md < P.death[mp])
        out["migrations"] = pa.table(
            [pid_col(mp[m]), _dates(md[m]), _cat(("in", "out"), mdir[m])],
            schema=schema("migrations"),
        )
    else:
        out["migrations"] = schema("migrations").empty_table()
    out["education"], grants = _education(B, P, keep, pid_col, rng)
    labour = _cat_cols(B.labour)
    lm = keep[labour[0]] & (labour[1] <= 2019)
    labour = tuple(c[lm] for c in labour)
    out["labour"] = pa.table(
        [pid_col(labour[0]), pa.array(labour[1].astype(np.int32)), _cat(LABOUR, labour[2])],
        schema=schema("labour"),
    )
    out["benefits"] = _benefits(B, P, keep, pid_col, labour, grants, rng)
    ip, iy, gross, disp = income_rows(P, labour, rng)
    out["income"] = pa.table(
        [pid_col(ip), pa.array(iy.astype(np.int32)), pa.array(disp), pa.array(gross)],
        schema=schema("income"),
    )
    ex = exams(P, _cat_cols(B.exams), rng)
    m = keep[ex[0]]
    out["exams"] = pa.table(
        [
            pid_col(ex[0][m]),
            pa.array(ex[1][m].astype(np.int32)),
            pa.array(ex[2][m]),
            pa.array(ex[3][m], from_pandas=True),
        ],
        schema=schema("exams"),
    )
    ab = absence(P, S, W, rng)
    m = keep[ab[0]]
    out["absence"] = pa.table(
        [pid_col(ab[0][m]), pa.array(ab[1][m].astype(np.int32)), pa.array(ab[2][m])],
        schema=schema("absence"),
    )
    pl = placements(P, S, W, rng)
    m = keep[pl[0]]
    out["placements"] = pa.table(
        [pid_col(pl[0][m]), _dates(pl[1][m]), _dates(pl[2][m]), _cat(PLACEMENT_KINDS, pl[3][m])],
        schema=schema("placements"),
    )
    cv = convictions(P, labour, S, W, rng)
    m = keep[cv[0]] & (cv[1] <= EXTRACT_END)
    out["convictions"] = pa.table(
        [pid_col(cv[0][m]), _dates(cv[1][m]), _cat(OFFENCES, cv[2][m])],
        schema=schema("convictions"),
    )
    return out


def _education(B, P, keep, pid_col, rng):
    pid, level, start, end, outcome, prog = B.edu.arrays()
    death = P.death[pid]
    m = keep[pid] & (start <= EXTRACT_END) & (start < death)
    pid, level, start, end, outcome, prog = (c[m] for c in (pid, level, start, end, outcome, prog))
    death = death[m]
    cut = end > death
    end = np.where(cut, death, end)
    outcome = np.where(cut, 1, outcome)
    open_ = end > EXTRACT_END
    outcome = np.where(open_, 2, outcome)
    end = np.where(open_, NEVER, end)
    n_prog = np.array([len(p) for p in PROGRAMS])
    flat = [c for p in PROGRAMS for c in p]
    first = np.cumsum(n_prog) - n_prog
    code = first[level] + prog % n_prog[level]
    table = pa.table(
        [
            pid_col(pid),
            _cat(EDUCATION_LEVELS, level),
            _cat(flat, code),
            _dates(start),
            _dates(end),
            _cat(EDUCATION_OUTCOMES, outcome),
        ],
        schema=schema("education"),
    )
    # student grants (SU) for youth and higher education from the 18th birthday
    g = level >= 2
    g_start = np.maximum(start[g], add_years(P.birth[pid[g]], 18))
    g_end = end[g]
    ok = g_start < g_end
    return table, (pid[g][ok], g_start[ok], g_end[ok])


def _benefits(B, P, keep, pid_col, labour, grants, rng) -> pa.Table:
    parts = []
    sp = _cat_cols(B.support)
    bp, bt, bs, be = benefit_spells(P, sp, rng)
    parts.append((bp, bt, bs, be))
    if B.births:
        mo, bd = _cat_cols(B.births)
        parts.append(
            (mo, np.full(len(mo), PARENTAL, np.int8), bd, bd + rng.integers(200, 331, len(mo)))
        )
    gp, gs, ge = grants
    parts.append((gp, np.full(len(gp), GRANT, np.int8), gs, ge))
    # short sickness spells of employed persons, inside February-mid November
    lp, ly, ls, _ = labour
    sick = (ls <= 1) & (rng.random(len(lp)) < 0.05)
    s0 = year_start(ly[sick].astype(np.int32)) + 31 + rng.integers(0, 200, int(sick.sum()))
    parts.append(
        (
            lp[sick],
            np.full(int(sick.sum()), SICK, np.int8),
            s0,
            s0 + rng.integers(14, 90, int(sick.sum())),
        )
    )
    pid, typ, start, end = (np.concatenate(c) for c in zip(*parts, strict=True))
    # the benefit register starts in 1984 (pensions granted earlier start then)
    start = np.maximum(start.astype(np.int64), BENEFITS_FROM)
    end = np.minimum(end.astype(np.int64), P.death[pid])
    m = keep[pid] & (start <= EXTRACT_END) & (start < end)
    pid, typ, start, end = pid[m], typ[m], start[m], end[m]
    end = np.where(end > EXTRACT_END, NEVER, end)
    return pa.table(
        [pid_col(pid), _cat(BENEFITS, typ), _dates(start), _dates(end)], schema=schema("benefits")
    )
