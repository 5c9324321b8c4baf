"""The synthetic country: study units, the scaling rule for ``persons`` and the addresses.

Units (``unit`` codes used throughout the generator): ``0`` the target area
``vaerebro_park`` (159 Gladsaxe, a 1960s social-housing estate); ``1 ... N_AREAS - 1``
the comparison social-housing estates of :data:`AREAS` (``tingbjerg``
101, ``gellerup`` 751, ``vollsmose`` 461 first, then 22 more in all five regions);
``UNIT_GR`` the rest of Gladsaxe (addresses without an area) and ``UNIT_OTHER``
everything else (the other 97 municipalities, addresses without an area).

The district ``bagsvaerd`` (:data:`DISTRICT`) is the estate and a share
:data:`DISTRICT_SHARE_GR` of the rest of Gladsaxe's addresses (about 20,000
residents at full size).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from cohort.synth.options import WorldOptions

__all__ = [
    "AREAS",
    "AREA_UNITS",
    "COMPARISON_AREAS",
    "DISTRICT",
    "DISTRICT_SHARE_GR",
    "FULL_DWELLINGS",
    "GLADSAXE",
    "MIN_PERSONS",
    "N_AREAS",
    "N_FULL",
    "RESOURCE_SHIFT",
    "STRAIN",
    "UNIT_GR",
    "UNIT_OTHER",
    "UNIT_VP",
    "World",
    "make_world",
    "municipalities",
]

#: The areas: (name, municipality, dwellings at full size, strain). Unit ``i`` is
#: row ``i``: the target area first, then the comparison estates. Names are real
#: estates of the ministry's lists; the sizes are stand-ins (the real estates are
#: larger: at 300,000 persons all of them have to fit beside Gladsaxe). ``strain``
#: (-1 ... 1, 0 for the target and the first three comparison estates) places an
#: estate among the others: a strained estate has weaker residents, more support,
#: absence and placements, fewer good grades, less youth education and more youth
#: convictions (see :data:`RESOURCE_SHIFT`, ``calibration.comparison_rate`` and
#: ``truth.COMPARISON_GAPS``, ``truth.YOUTH_CONVICTION_GAPS``).
AREAS: tuple[tuple[str, int, int, float], ...] = (
    ("vaerebro_park", 159, 1060, 0.0),
    # the first three comparison estates (stand-ins of the estate's size)
    ("tingbjerg", 101, 1100, 0.0),
    ("gellerup", 751, 1200, 0.0),
    ("vollsmose", 461, 1100, 0.0),
    # Region Hovedstaden (1084)
    ("mjoelnerparken", 101, 460, 0.6),
    ("aldersrogade", 101, 150, -0.3),
    ("taastrupgaard", 169, 200, 0.2),
    ("gadehavegaard", 169, 180, 0.8),
    ("vejleaaparken", 183, 170, 0.4),
    ("brondby_strand", 153, 460, -0.5),
    ("noejsomhed", 217, 130, -0.1),
    ("farum_midtpunkt", 190, 130, -0.9),
    # Region Sjaelland (1085)
    ("ringparken", 330, 160, 0.5),
    ("motalavej", 330, 120, 0.9),
    ("agervang", 316, 130, -0.4),
    ("aeblehaven", 265, 140, -0.7),
    # Region Syddanmark (1083)
    ("korsloekkeparken", 461, 150, 0.3),
    ("skovparken", 621, 180, 0.1),
    ("stengaardsvej", 561, 120, -0.2),
    ("finlandsparken", 630, 130, -0.6),
    ("korskaerparken", 607, 120, 0.7),
    # Region Midtjylland (1082)
    ("bispehaven", 751, 460, 1.0),
    ("sundparken", 615, 160, -0.8),
    ("holtbjerg", 657, 120, 0.0),
    # Region Nordjylland (1081)
    ("kildeparken", 851, 160, -1.0),
    ("loevvangen", 851, 120, 0.35),
)
#: Number of areas (the target and the comparison estates).
N_AREAS = len(AREAS)
UNIT_VP, UNIT_GR, UNIT_OTHER = 0, N_AREAS, N_AREAS + 1
AREA_UNITS = tuple(range(N_AREAS))
#: The comparison estates' area names, in unit order (``tingbjerg``, ``gellerup``,
#: ``vollsmose`` first).
COMPARISON_AREAS: tuple[str, ...] = tuple(a[0] for a in AREAS[1:])
#: Strain of each area (unit order), see :data:`AREAS`.
STRAIN = tuple(a[3] for a in AREAS)
#: Shift of the mean resource score of an area's 1985 households and of its
#: in-movers, per unit strain (a comparison estate of strain 1 is 0.4 SD weaker).
RESOURCE_SHIFT = -0.4
GLADSAXE = 159
#: The district ("bydel") of the target area: the estate and part of Gladsaxe.
DISTRICT = "bagsvaerd"
#: Share of the rest of Gladsaxe's addresses in the district (residents: the
#: estate's about 2,400 and this share of the rest's about 70,000, about 20,000).
DISTRICT_SHARE_GR = 0.25
#: Dwellings at full scale: the areas, then the rest of Gladsaxe (unit ``UNIT_GR``).
FULL_DWELLINGS = tuple(a[2] for a in AREAS) + (28000,)
#: From this many persons on, Gladsaxe and the areas have their full size.
N_FULL = 300_000
#: The smallest ``persons`` the generator accepts.
MIN_PERSONS = 2_000
#: Persons of the local block (everyone who ever lives in Gladsaxe or an area) at
#: full size (measured; it sizes the national address pools only).
LOCAL_FULL = 258_000
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
    dwellings: np.ndarray  # per unit 0 ... UNIT_GR
    addr_muni: np.ndarray  # int16 per address
    addr_unit: np.ndarray  # int8 per address
    addr_district: np.ndarray  # bool per address: in DISTRICT
    unit_start: np.ndarray  # first address of each unit 0 ... UNIT_GR (areas: dwellings; GR: pool)
    muni_codes: np.ndarray  # other municipalities (not Gladsaxe)
    muni_start: np.ndarray
    muni_size: np.ndarray
    muni_weight: np.ndarray  # national weights
    muni_weight_capital: np.ndarray  # weights of local out-movers (region Hovedstaden favoured)
    #: Planted effects other than truth.ATT / truth.ATT_YOUTH_CONVICTIONS (tests only;
    #: None: the truth's).
    att_enrolment: dict[int, float] | None = None
    att_youth_convictions: dict[int, float] | None = None
    #: The referee's options (cohort.synth.options); the default world when None.
    options: WorldOptions | None = None
    #: Area-year shocks of the 15-month share by unit 0 ... UNIT_OTHER (rows) and
    #: exam year FIRST_SHOCK_YEAR ... (columns); None without the option.
    shocks: np.ndarray | None = None

    def shock(self, year: int) -> np.ndarray | None:
        """The area-year shocks of exam year ``year``, by unit (None: no shocks)."""
        if self.shocks is None:
            return None
        return self.shocks[:, min(max(year - FIRST_SHOCK_YEAR, 0), self.shocks.shape[1] - 1)]

    @property
    def n_addresses(self) -> int:
        return len(self.addr_muni)

    def unit_muni(self, unit: int) -> int:
        return AREAS[unit][1] if unit < UNIT_GR else GLADSAXE

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


#: Exam years with an area-year shock of their own (earlier years share the first).
FIRST_SHOCK_YEAR, LAST_SHOCK_YEAR = 1985, 2020
#: The random stream of the area-year shocks (apart from every block's stream).
_SHOCK_STREAM = 1_000_003


def scale_for(persons: int) -> float:
    """The scaling rule: Gladsaxe and the areas at ``min(1, persons / N_FULL)`` of full size."""
    return min(1.0, persons / N_FULL)


def make_world(
    persons: int,
    *,
    att_enrolment: dict[int, float] | None = None,
    att_youth_convictions: dict[int, float] | None = None,
    options: WorldOptions | None = None,
    seed: int = 0,
) -> World:
    """Build the address register for an extract of ``persons`` persons.

    ``att_enrolment`` and ``att_youth_convictions`` replace the planted effects of
    :mod:`cohort.synth.truth` (by year; for tests that need another effect size).
    ``options`` makes the world harder (:class:`~cohort.synth.options.WorldOptions`);
    its area-year shocks are drawn from their own stream of ``seed``.
    """
    shocks = None
    if options is not None and options.area_year_shock_sd > 0:
        srng = np.random.default_rng([seed, _SHOCK_STREAM])
        shocks = srng.normal(0.0, options.area_year_shock_sd,
                             (UNIT_OTHER + 1, LAST_SHOCK_YEAR - FIRST_SHOCK_YEAR + 1))
    k = scale_for(persons)
    # at least 8 dwellings for the estate and the first three comparison estates, 2
    # for the others (small extracts), 200 households for the rest of Gladsaxe
    floor = [8 if unit < 4 else 2 for unit in range(UNIT_GR)]
    dwell = np.array(
        [max(f, round(k * d)) for f, d in zip(floor, FULL_DWELLINGS[:UNIT_GR], strict=True)]
        + [max(200, round(k * FULL_DWELLINGS[UNIT_GR]))]
    )
    gr_pool = int(round(dwell[UNIT_GR] * 1.5))
    codes, regions = municipalities()
    order = np.argsort(codes, kind="stable")
    codes, regions = codes[order], regions[order]
    other = codes[codes != GLADSAXE]
    other_regions = regions[codes != GLADSAXE]
    weight = np.array([_WEIGHTS.get(int(c), 1.0) for c in other])
    national = max(persons * 0.1, persons - k * LOCAL_FULL)
    size = np.maximum(30, np.round(weight / weight.sum() * national * _POOL_PER_PERSON)).astype(
        np.int64
    )
    capital = weight * np.where(other_regions == 1084, 4.0, 1.0)
    unit_sizes = np.concatenate([dwell[:UNIT_GR], [gr_pool]]).astype(np.int64)
    unit_start = np.concatenate([[0], np.cumsum(unit_sizes)])
    muni_start = unit_start[-1] + np.concatenate([[0], np.cumsum(size)[:-1]])
    addr_unit = np.concatenate(
        [
            np.repeat(np.arange(UNIT_GR + 1, dtype=np.int8), unit_sizes),
            np.full(size.sum(), UNIT_OTHER, np.int8),
        ]
    )
    area_munis = np.array([a[1] for a in AREAS] + [GLADSAXE], dtype=np.int16)
    addr_muni = np.concatenate(
        [np.repeat(area_munis, unit_sizes), np.repeat(other.astype(np.int16), size)]
    )
    # the district: the estate's dwellings and the first part of Gladsaxe's pool
    # (households draw pool addresses uniformly, so any part is a random part)
    addr_district = addr_unit == UNIT_VP
    gr0 = int(unit_start[UNIT_GR])
    addr_district[gr0 : gr0 + int(round(DISTRICT_SHARE_GR * gr_pool))] = True
    return World(
        persons=persons,
        scale=k,
        dwellings=dwell,
        addr_muni=addr_muni,
        addr_unit=addr_unit,
        addr_district=addr_district,
        unit_start=unit_start,
        muni_codes=other,
        muni_start=muni_start,
        muni_size=size,
        muni_weight=weight,
        muni_weight_capital=capital,
        att_enrolment=att_enrolment,
        att_youth_convictions=att_youth_convictions,
        options=None if options is None or options.default else options,
        shocks=shocks,
    )
