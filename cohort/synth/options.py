"""What a referee would test on: options of the synthetic world (issue 20, item 7).

The default world is kind to every design: parallel trends hold exactly, children of
an area and exam year share no shock, no household moves while a child is in grades
7-9, and the youth-education outcome depends on nothing but the area and the year.
A design that is right only in such a world is not shown to be right. The options
below make the world harder, one at a time or together (:data:`REFEREE_WORLD`):

>>> from cohort.synth import REFEREE_WORLD, WorldOptions, synthesise
>>> synthesise("x", persons=20_000, seed=5, world=REFEREE_WORLD)    # doctest: +SKIP
>>> WorldOptions(pre_trend=0.005).describe()
'pre-trend 0.005 a year'

Every option is off by default, and with every option off the extract is byte for
byte the one written without options (the options draw from their own random
streams). What each option plants, and the truth it leaves, is in
``docs/synthetic.md`` ("A world a referee would test on") and in
:mod:`cohort.synth.truth`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cohort.exceptions import ParameterError

__all__ = ["REFEREE_WORLD", "WorldOptions"]


@dataclass(frozen=True)
class WorldOptions:
    """Options of the synthetic world; all off by default.

    Attributes
    ----------
    area_year_shock_sd
        Standard deviation (share scale) of a shock common to the children of one
        area and exam year: their 15-month youth-education probability moves by
        the same normal draw, independent across units (the estate, every
        comparison estate, the rest of Gladsaxe, the country) and exam years. The
        children of an area-year are then not independent draws, and child-level
        standard errors are too small.
    pre_trend
        A differential trend of the estate (share points per exam year, on the
        share scale): the estate's untreated 15-month share moves by
        ``pre_trend * (E - 2015)`` in exam year ``E`` (zero in 2015, the last
        untreated exam year). Parallel trends fail: the pre-period coefficients of
        an event study are ``pre_trend * (E - 2015)`` and a difference in
        differences over all pre-years is biased.
    selective_moves
        Log hazard ratio, per standard deviation of the child's latent ability, of
        an out-move of an estate household (the estate or a comparison estate)
        with a child in grades 7-9. Without this option such households never
        move (school stability); with it they move at the estate's rate times
        ``exp(selective_moves * u)`` (``u`` the ability of the household's
        strongest child in grades 7-9), so the estate's strongest children leave
        before their exam: residence at 15 differs from residence at the baseline
        date, and who lives in the estate at 15 is selected.
    covariate_effects
        The child's 15-month youth-education probability depends on the child's
        own characteristics: ``+ 0.04`` per standard deviation of the latent
        ability (which parents' education and employment predict) and ``+ 0.03``
        for girls, ``- 0.03`` for boys (:data:`cohort.synth.truth.COVARIATE_U`,
        :data:`~cohort.synth.truth.COVARIATE_GIRL`), added on the share scale to
        the area's share. An area's share then moves with its composition.

    """

    area_year_shock_sd: float = 0.0
    pre_trend: float = 0.0
    selective_moves: float = 0.0
    covariate_effects: bool = False

    def __post_init__(self) -> None:
        for name in ("area_year_shock_sd", "pre_trend", "selective_moves"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
                msg = f"WorldOptions.{name} must be a number; got {type(v).__name__}"
                raise ParameterError(msg)
        if not 0.0 <= self.area_year_shock_sd <= 0.2:
            msg = ("WorldOptions.area_year_shock_sd must lie in [0, 0.2] (share scale); "
                   f"got {self.area_year_shock_sd}")
            raise ParameterError(msg)
        if not -0.02 <= self.pre_trend <= 0.02:
            msg = f"WorldOptions.pre_trend must lie in [-0.02, 0.02] a year; got {self.pre_trend}"
            raise ParameterError(msg)
        if not 0.0 <= self.selective_moves <= 2.0:
            msg = f"WorldOptions.selective_moves must lie in [0, 2]; got {self.selective_moves}"
            raise ParameterError(msg)
        if not isinstance(self.covariate_effects, bool):
            msg = "WorldOptions.covariate_effects must be True or False"
            raise ParameterError(msg)

    @property
    def default(self) -> bool:
        """Whether every option is off (the default world)."""
        return self == WorldOptions()

    def describe(self) -> str:
        """The options that are on, in words (empty for the default world)."""
        parts = []
        if self.area_year_shock_sd:
            parts.append(f"area-year shocks sd {self.area_year_shock_sd:g}")
        if self.pre_trend:
            parts.append(f"pre-trend {self.pre_trend:g} a year")
        if self.selective_moves:
            parts.append(f"selective moves in grades 7-9 ({self.selective_moves:g})")
        if self.covariate_effects:
            parts.append("covariate effects")
        return ", ".join(parts)


#: The world of the coverage table (docs/methods/registers.md): area-year shocks
#: of sd 0.03, selective moves in grades 7-9 (log hazard ratio 0.5 per SD of
#: ability) and covariate effects; parallel trends hold (add ``pre_trend`` with
#: :func:`dataclasses.replace` for the world where they fail).
REFEREE_WORLD = WorldOptions(area_year_shock_sd=0.03, selective_moves=0.5,
                             covariate_effects=True)
