"""The synthetic country: study units, the scaling rule for ``persons`` and the addresses.

Units (``unit`` codes used throughout the generator):

===  =================  ============  ==========================================
code name               municipality  what
===  =================  ============  ==========================================
0    vaerebro_park      159 Gladsaxe  the target area (a 1960s social-housing estate)
1    tingbjerg          101           comparison social-housing area
2    gellerup           751           comparison social-housing area
3    vollsmose          461           comparison social-housing area
4    (rest of Gladsaxe) 159           addresses without an area
5    (elsewhere)        other 96      addresses without an area
===  =================  ============  ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = [
    "AREAS",
    "AREA_UNITS",
    "FULL_DWELLINGS",
    "GLADSAXE",
    "MIN_PERSONS",
    "N_FULL",
    "UNIT_GR",
    "UNIT_OTHER",
    "UNIT_VP",
    "World",
    "make_world",
    "municipalities",
]

UNIT_VP, UNIT_GR, UNIT_OTHER = 0, 4, 5
AREA_UNITS = (0, 1, 2, 3)
#: (area name, municipality) of units 0-3.
AREAS = (("vaerebro_park", 159), ("tingbjerg", 101), ("gellerup", 751), ("vollsmose", 461))
GLADSAXE = 159
#: Dwellings at full scale: the four areas, then the rest of Gladsaxe (unit 4).
FULL_DWELLINGS = (1060, 1100, 1200, 1100, 28000)
#: From this many persons on, Gladsaxe and the areas have their full size.
N_FULL = 300_000
#: The smallest ``persons`` the generator accepts.
MIN_PERSONS = 2_000
#: Addresses per expected person of the national sample (address pools are reused).
_POOL_PER_PERSON = 0.45
#: Relative population weights of the largest municipalities (all others 1).
_WEIGHTS = {101: 13.0, 751: 7.5, 461: 4.4, 851: 4.4, 147: 2.3, 561: 2.5, 630: 2.4, 615: 1.9}


def municipalities() -> tuple[np.ndarray, np.ndarray]:
    """Municipality codes and region codes shipped with the library."""
    text = resources.files("cohort").joinpath("data/municipalities.csv").read_text("utf-8")
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    codes = np.array([int(r[0]) for r in rows], dtype=np.int16)
    regions = np.array([int(r[2]) for r in rows], dtype=np.int16)
    return codes, regions


@dataclass
class World:
    """Scale, units and the address register shared by every chunk."""

    persons: int
    scale: float
    dwellings: np.ndarray  # per unit 0-4
    addr_muni: np.ndarray  # int16 per address
    addr_unit: np.ndarray  # int8 per address
    unit_start: np.ndarray  # first address of each unit 0-4 (units 0-3: dwellings; 4: pool)
    muni_codes: np.ndarray  # other municipalities (not Gladsaxe)
    muni_start: np.ndarray
    muni_size: np.ndarray
    muni_weight: np.ndarray  # national weights
    muni_weight_capital: np.ndarray  # weights of local out-movers (region Hovedstaden favoured)

    @property
    def n_addresses(self) -> int:
        return len(self.addr_muni)

    def unit_muni(self, unit: int) -> int:
        return AREAS[unit][1] if unit < 4 else GLADSAXE

    def pool_in(self, rng: np.random.Generator, munis: np.ndarray) -> np.ndarray:
        """A random address of each municipality in ``munis`` (never Gladsaxe, never an area)."""
        pos = np.searchsorted(self.muni_codes, munis)
        off = (rng.random(len(munis)) * self.muni_size[pos]).astype(np.int64)
        return self.muni_start[pos] + off

    def draw_muni(self, rng: np.random.Generator, n: int, *, capital: bool = False) -> np.ndarray:
        w = self.muni_weight_capital if capital else self.muni_weight
        cum = np.cumsum(w)
        return self.muni_codes[np.searchsorted(cum, rng.random(n) * cum[-1], side="right")]

    def gladsaxe_pool(self, rng: np.random.Generator, n: int) -> np.ndarray:
        start, size = self.unit_start[UNIT_GR], self.pool_gr
        return start + (rng.random(n) * size).astype(np.int64)

    @property
    def pool_gr(self) -> int:
        return int(self.unit_start[UNIT_GR + 1] - self.unit_start[UNIT_GR])


def scale_for(persons: int) -> float:
    """The scaling rule: Gladsaxe and the areas at ``min(1, persons / N_FULL)`` of full size."""
    return min(1.0, persons / N_FULL)


def make_world(persons: int) -> World:
    """Build the address register for an extract of ``persons`` persons."""
    k = scale_for(persons)
    dwell = np.array(
        [max(8, round(k * d)) for d in FULL_DWELLINGS[:4]]
        + [max(200, round(k * FULL_DWELLINGS[4]))]
    )
    gr_pool = int(round(dwell[4] * 1.5))
    codes, regions = municipalities()
    order = np.argsort(codes, kind="stable")
    codes, regions = codes[order], regions[order]
    other = codes[codes != GLADSAXE]
    other_regions = regions[codes != GLADSAXE]
    weight = np.array([_WEIGHTS.get(int(c), 1.0) for c in other])
    national = max(persons * 0.3, persons - k * 215_000)
    size = np.maximum(30, np.round(weight / weight.sum() * national * _POOL_PER_PERSON)).astype(
        np.int64
    )
    capital = weight * np.where(other_regions == 1084, 4.0, 1.0)
    unit_sizes = np.concatenate([dwell[:4], [gr_pool]]).astype(np.int64)
    unit_start = np.concatenate([[0], np.cumsum(unit_sizes)])
    muni_start = unit_start[-1] + np.concatenate([[0], np.cumsum(size)[:-1]])
    addr_unit = np.concatenate(
        [np.repeat(np.arange(5, dtype=np.int8), unit_sizes), np.full(size.sum(), 5, np.int8)]
    )
    area_munis = np.array([m for _, m in AREAS] + [GLADSAXE], dtype=np.int16)
    addr_muni = np.concatenate(
        [np.repeat(area_munis, unit_sizes), np.repeat(other.astype(np.int16), size)]
    )
    return World(
        persons=persons,
        scale=k,
        dwellings=dwell,
        addr_muni=addr_muni,
        addr_unit=addr_unit,
        unit_start=unit_start,
        muni_codes=other,
        muni_start=muni_start,
        muni_size=size,
        muni_weight=weight,
        muni_weight_capital=capital,
    )
