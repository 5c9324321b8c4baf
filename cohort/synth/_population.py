"""Persons and households: the stores, and the generator of new households.

A household is the unit that moves: its members share an address. Households are
created for the 1985 population (the *stock*), for dwellings of Gladsaxe and the
areas that fall vacant (*in-movers*), for immigrants, and when a young adult
leaves home. Children are born into households during the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cohort.synth._dates import NEVER, birth_keys
from cohort.synth._store import Store

__all__ = [
    "ADULT",
    "CHILD",
    "HouseholdSpec",
    "ORIGIN_NAMES",
    "new_households",
    "new_stores",
]

ADULT, CHILD = 0, 1
#: Origin codes: index into the contract's ORIGINS.
ORIGIN_NAMES = (
    "danish",
    "immigrant_western",
    "immigrant_nonwestern",
    "descendant_western",
    "descendant_nonwestern",
)
_YEAR = 365.25

PERSON_COLUMNS = {
    "birth": "i4",
    "by": "i2",
    "bmd": "i2",
    "sex": "i1",
    "mother": "i8",
    "father": "i8",
    "origin": "i1",
    "death": "i4",
    "u": "f4",
    "hh": "i8",
    "role": "i1",
    "leave": "i1",
    "arrival": "i4",
    "v": "f4",
    "youth_done": "i4",
    "planned": "i1",
    "emp": "i1",
    "ar": "f4",
    "e0s": "i4",
    "e0e": "i4",
    "e1s": "i4",
    "e1e": "i4",
    "e2s": "i4",
    "e2e": "i4",
    "e3s": "i4",
    "e3e": "i4",
}
PERSON_FILL = {
    "mother": -1,
    "father": -1,
    "death": NEVER,
    "youth_done": NEVER,
    "planned": 0,
    "emp": 0,
    "role": ADULT,
    "leave": 99,
    **{f"e{i}{x}": NEVER for i in range(4) for x in "se"},
}
HOUSEHOLD_COLUMNS = {"addr": "i8", "ret": "i4", "fam": "i8"}
HOUSEHOLD_FILL = {"ret": NEVER}


def new_stores(capacity: int) -> tuple[Store, Store]:
    """Empty person and household stores."""
    fill = {k: PERSON_FILL.get(k, 0) for k in PERSON_COLUMNS}
    persons = Store(PERSON_COLUMNS, fill, capacity)
    hfill = {k: HOUSEHOLD_FILL.get(k, 0) for k in HOUSEHOLD_COLUMNS}
    households = Store(HOUSEHOLD_COLUMNS, hfill, capacity // 2)
    return persons, households


@dataclass(frozen=True)
class HouseholdSpec:
    """Who the new households of one kind are."""

    #: Probabilities of single adult, couple, single parent, couple with children.
    types: tuple[float, float, float, float]
    #: Age range (years) of the reference adult, by type.
    ages: tuple[tuple[float, float], ...]
    #: Oldest child still living at home.
    max_child_age: float
    #: Mean resource score of the adults.
    resource: float
    #: Probabilities of danish, western and non-western origin of the adults.
    origins: tuple[float, float, float]
    #: Mean number of children beyond the first (Poisson).
    extra_children: float = 0.7


def _leave_ages(rng: np.random.Generator, n: int) -> np.ndarray:
    return (18 + np.minimum(rng.gamma(2.0, 1.3, n), 8)).astype(np.int8)


def new_households(
    persons: Store,
    households: Store,
    rng: np.random.Generator,
    dates: np.ndarray,
    spec: HouseholdSpec,
    *,
    from_abroad: np.ndarray,
    shift: float | np.ndarray = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Create households existing from ``dates``; return (household ids, person ids).

    Addresses, units and families of the households are left to the caller.
    ``from_abroad`` marks households arriving from abroad on their date: their
    children were born abroad, and every member's ``arrival`` is that date.
    ``shift`` (a number or one per household) is added to the spec's mean resource.
    """
    n = len(dates)
    mean_res = np.broadcast_to(np.asarray(spec.resource + shift, np.float64), (n,))
    dates = np.asarray(dates, dtype=np.int64)
    typ = np.searchsorted(np.cumsum(spec.types), rng.random(n) * sum(spec.types), side="right")
    typ = np.minimum(typ, 3)
    lo = np.array([a[0] for a in spec.ages])[typ]
    hi = np.array([a[1] for a in spec.ages])[typ]
    age = lo + rng.random(n) * (hi - lo)
    couple = (typ == 1) | (typ == 3)
    with_kids = typ >= 2
    org = np.searchsorted(np.cumsum(spec.origins), rng.random(n), side="right").astype(np.int8)
    org = np.minimum(org, 2)
    res = mean_res + rng.standard_normal(n)
    ref_sex = np.where(couple | (typ == 2), 0, (rng.random(n) < 0.5).astype(np.int64))
    ref_sex = np.where((typ == 2) & (rng.random(n) < 0.12), 1, ref_sex)
    ref_birth = dates - (age * _YEAR).astype(np.int64) - rng.integers(0, 365, n)

    # partner (father) for couples
    p_age = np.maximum(18.0, age + rng.normal(2.5, 3.0, n))
    p_birth = dates - (p_age * _YEAR).astype(np.int64) - rng.integers(0, 365, n)
    p_res = mean_res + 0.5 * (res - mean_res) + 0.87 * rng.standard_normal(n)

    # children: up to 4 slots
    nkids = np.where(with_kids, 1 + np.minimum(rng.poisson(spec.extra_children, n), 3), 0)
    slots = 4
    k_mab_lo = np.maximum(19.0, age - spec.max_child_age)
    k_mab_hi = np.minimum(42.0, age - 0.05)
    mab = k_mab_lo[:, None] + rng.random((n, slots)) * (k_mab_hi - k_mab_lo)[:, None]
    k_birth = ref_birth[:, None] + (mab * _YEAR).astype(np.int64)
    leave = _leave_ages(rng, n * slots).reshape(n, slots)
    k_age = (dates[:, None] - k_birth) / _YEAR
    keep = (
        (np.arange(slots)[None, :] < nkids[:, None])
        & (k_mab_hi > k_mab_lo)[:, None]
        & (k_birth < dates[:, None])
        & (k_age < leave)
        & (k_age < spec.max_child_age)
    )
    # layout: ref adult, partner, kids
    n_members = 1 + couple.astype(np.int64) + keep.sum(axis=1)
    hh = households.append(n)
    first = persons.n
    total = int(n_members.sum())
    pid = persons.append(total)
    hh_of = np.repeat(hh, n_members)
    pos = np.arange(total) - np.repeat(np.cumsum(n_members) - n_members, n_members)

    ref_i = first + np.cumsum(n_members) - n_members
    par_i = ref_i[couple] + 1
    kid_mask = pos >= (1 + np.repeat(couple, n_members))
    kid_i = pid[kid_mask]
    kid_rows, kid_cols = np.nonzero(keep)  # row-major: matches member order

    birth = np.empty(total, np.int64)
    sex = np.empty(total, np.int8)
    u = np.empty(total, np.float32)
    origin = np.empty(total, np.int8)
    role = np.full(total, ADULT, np.int8)
    leave_m = np.full(total, 99, np.int8)
    rel = lambda idx: idx - first  # noqa: E731
    birth[rel(ref_i)] = ref_birth
    sex[rel(ref_i)] = ref_sex
    u[rel(ref_i)] = res
    origin[rel(ref_i)] = org
    birth[rel(par_i)] = p_birth[couple]
    sex[rel(par_i)] = 1
    u[rel(par_i)] = p_res[couple]
    # partners share origin mostly
    origin[rel(par_i)] = np.where(rng.random(couple.sum()) < 0.85, org[couple], 0)
    birth[rel(kid_i)] = k_birth[kid_rows, kid_cols]
    sex[rel(kid_i)] = (rng.random(len(kid_i)) < 0.512).astype(np.int8)
    parents_res = np.where(couple, (res + p_res) / 2, res)[kid_rows]
    kid_mean = mean_res[kid_rows]
    u[rel(kid_i)] = kid_mean + 0.6 * (parents_res - kid_mean) + 0.8 * rng.standard_normal(
        len(kid_i)
    )
    abroad_kid = from_abroad[kid_rows]
    korg = org[kid_rows]
    origin[rel(kid_i)] = np.where(korg == 0, 0, np.where(abroad_kid, korg, korg + 2))
    role[rel(kid_i)] = 1
    leave_m[rel(kid_i)] = leave[kid_rows, kid_cols]

    mother = np.full(total, -1, np.int64)
    father = np.full(total, -1, np.int64)
    mother_of_kid = np.where(ref_sex[kid_rows] == 0, ref_i[kid_rows], -1)
    father_of_kid = np.where(
        ref_sex[kid_rows] == 1, ref_i[kid_rows], np.where(couple[kid_rows], ref_i[kid_rows] + 1, -1)
    )
    mother[rel(kid_i)] = mother_of_kid
    father[rel(kid_i)] = father_of_kid

    arrival = np.where(np.repeat(from_abroad, n_members), np.repeat(dates, n_members), birth)
    s = slice(first, first + total)
    persons._cols["birth"][s] = birth
    persons._cols["by"][s], persons._cols["bmd"][s] = birth_keys(birth)
    persons._cols["sex"][s] = sex
    persons._cols["u"][s] = u
    persons._cols["origin"][s] = origin
    persons._cols["role"][s] = role
    persons._cols["leave"][s] = leave_m
    persons._cols["mother"][s] = mother
    persons._cols["father"][s] = father
    persons._cols["hh"][s] = hh_of
    persons._cols["arrival"][s] = arrival
    persons._cols["v"][s] = rng.random(total)
    persons._cols["ar"][s] = rng.standard_normal(total)
    return hh, pid
