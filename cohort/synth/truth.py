"""The planted effects of the synthetic registers and their true values.

Later analyses are tested on whether they recover these numbers. Each is stated in
the terms of ``definitions.md``; "the estate" is the area ``vaerebro_park``,
"rest of Gladsaxe" is municipality 159 outside it, "the comparison areas" are the
25 comparison estates :data:`COMPARISON_AREAS` (``tingbjerg``, ``gellerup``,
``vollsmose`` first; they differ from each other by their *strain*, see
``cohort.synth._world.AREAS``, in level only, never in trend).

**School stability.** A household does not move, emigrate or arrive while one of
its children is in grades 7-9: from 1 January of the year the child turns 13 to
31 December of the year it turns 16 (its 9th-grade exam year ``E = birth year +
16``), and no child aged 1-17 dies. So for every child with an ``exams`` row the
unit it lives in on 30 June of ``E - 3``, on its 15th birthday and on 30 June of
``E`` is the same, and every such child lives in the country at its time origin.
Every child living in the country on 30 June of its exam year has an ``exams`` row
(for exam years from 2002).

1. **Youth-education enrolment, proportional hazards.** The time from the end of
   9th grade (30 June of ``E``) to the first start of a youth-level education
   spell (outcome ``youth_education_start`` of definitions.md section 3) has the
   cumulative hazard ``H0(t) * exp(lp)``, with one baseline ``H0`` (steps at the
   August intakes; ``H0`` = 1 on 30 September of ``E + 1``) and
   ``lp = c(E, group) + BETA_ESTATE * estate``, where ``estate`` = lived in the
   estate on the 15th birthday (``resident_at_age(15)``), comparison group = lived
   elsewhere in Gladsaxe on that date. For exam years up to 2015 the hazard ratio
   estate vs rest of Gladsaxe is exactly ``HR_ESTATE = exp(BETA_ESTATE)``; a Cox
   model stratified by exam year (or birth year) recovers it; an unstratified fit
   pooled over years is attenuated very slightly (the level ``c`` varies by year).
   From exam year 2016 the estate's children are also treated (effect 2), so
   their hazard ratio is ``HR_ESTATE_TREATED[E]``. The outcome does not depend on
   anything else (not on grades, sex or family), and censoring (emigration, death)
   is independent of it.

2. **The 2016 intervention, difference in differences.** Treated: children who
   lived in the estate on the baseline date 30 June of ``E - 3`` (always before
   2016 for the exam years 2016-2018, intention to treat); comparison: children who
   lived in a comparison area on that date. Outcome: the ``youth_education_15m``
   indicator (enrolled in youth education on 30 September of ``E + 1``). Post
   period: exam years ``E >= INTERVENTION_FIRST_EXAM_YEAR`` (2016). The true ATT on
   the share scale is ``ATT[E]`` (0.04 for 2016, 2017, 2018; 2019 is not
   observable before ``extract_end``). In expectation the untreated share of the
   estate and the share of comparison area ``a`` differ by the constant
   ``COMPARISON_GAPS[a]`` in every exam year (``COMPARISON_GAP`` = 0.02 for
   ``tingbjerg``, ``gellerup``, ``vollsmose``; -0.02 ... 0.06 over all 25), so
   parallel trends hold exactly on the share scale for every comparison area and
   every set of them (with area fixed effects). :func:`enrolment_share` gives
   each share.

3. **Selective moves.** A household's yearly out-move probability is
   ``1 - exp(-lambda)``. In the estate ``lambda = MOVE_RATE_ESTATE`` times
   ``HR_RESOURCE_STRONG_ESTATE`` when the household's reference person (its oldest
   adult member) is resource-strong on the move's date (definitions.md section 4:
   aged 25-64, ``employed``/``self_employed`` in the latest labour year before the
   move's year, highest completed level at least youth education). So the
   out-move hazard ratio of resource-strong households of the estate is
   ``HR_RESOURCE_STRONG_ESTATE`` (2.0). Partners and children move with the
   household; at person level (every resident aged 25-64 by own status) the ratio
   is diluted towards 1 by couples whose statuses differ, to about 1.6.
   In-movers to the estate are weaker: households from other municipalities or
   abroad (70-80 % of them) have resource scores of mean
   ``IN_MOVER_RESOURCE_ESTATE`` (-0.8 SD) against 0 in the country and
   ``RESOURCE_GLADSAXE`` (+0.2) in the rest of Gladsaxe, and the households that
   come from the rest of Gladsaxe are the weaker ones (the lowest of resource
   score plus Gumbel noise), so in-movers are less often employed, educated and
   resource-strong than out-movers.

4. **Youth convictions.** Indicator ``youth_convictions`` (definitions.md section
   7): persons living in an area on 31 December of year ``Y`` and aged 15-29 on
   that date (:data:`YOUTH_CONVICTION_AGES`); event: a conviction for one of
   :data:`YOUTH_CONVICTION_OFFENCES` (``penal_code``, ``weapons``, ``drugs``)
   with its decision date in ``Y``. In the estate and every comparison estate the
   expected share of year ``Y`` is exactly ``youth_conviction_rate(group, Y)``
   given who lives there (each resident's probability is the rate times a weight
   of sex, age and resources over its mean in the area and year):
   ``YOUTH_CONVICTION_ESTATE`` (0.065) in 2016 for the untreated estate, changing
   by ``YOUTH_CONVICTION_TREND`` (-0.002) a year from 2005 on (earlier years keep
   the 2005 value); the intervention lowers the estate's share by
   ``-ATT_YOUTH_CONVICTIONS[Y]`` (0.02) from 2016 (area-level effect on the
   residents of each year, no baseline assignment); a comparison estate's share
   is the untreated estate's minus ``YOUTH_CONVICTION_GAPS[a]`` (0 for the first
   three), every year (parallel trends hold exactly on the share scale). The
   difference in differences of the area x year shares estimates
   ``ATT_YOUTH_CONVICTIONS``. The rest of Gladsaxe and the country are not planted.

**A world a referee would test on** (:class:`cohort.synth.WorldOptions`, off by
default; the statements above hold for the default world). With
``area_year_shock_sd`` the 15-month probability of the children of one unit and
exam year moves by a common normal draw (effect 2 still holds in expectation over
the draws; effect 1's hazard ratio holds only on average over years). With
``pre_trend`` the estate's untreated share moves by ``pre_trend * (E -
PRE_TREND_ZERO_YEAR)`` (parallel trends fail; the ATT is unchanged). With
``selective_moves`` estate households (the estate and the comparison estates) may
move while a child is in grades 7-9, at a rate that grows with the child's
ability: school stability no longer holds there, a child's unit at the baseline
date and on its 15th birthday can differ, and the ATT of the baseline-assigned
(intention-to-treat) comparison is ``ATT[E]`` times the share of the estate's
baseline children who still live there on 1 January of ``E`` (the unit whose share
they get). With ``covariate_effects`` a child's probability is the unit's share
``+ COVARIATE_U * u + COVARIATE_GIRL * (+1 girl, -1 boy)`` (``u`` the latent
ability, standard normal in the country, lower in strained estates): the ATT is
unchanged (it is added to every treated child's probability), an area's share
moves with its composition, and the hazard ratio of effect 1 holds only
conditionally on ``u`` (a Cox model without ``u`` estimates another number).
"""

from __future__ import annotations

import math

from cohort.synth._world import AREAS, COMPARISON_AREAS
from cohort.synth.calibration import (
    GLADSAXE_CHILD_SHARE_VP,
    TARGETS,
    cloglog,
    inv_cloglog,
)

__all__ = [
    "ATT",
    "ATT_YOUTH_CONVICTIONS",
    "BETA_ESTATE",
    "BASELINE_OFFSET_YEARS",
    "COMPARISON_AREAS",
    "COMPARISON_GAP",
    "COMPARISON_GAPS",
    "COVARIATE_GIRL",
    "COVARIATE_U",
    "ENROL_TREND",
    "EXPOSURE_AGE",
    "HR_ESTATE",
    "HR_ESTATE_TREATED",
    "HR_RESOURCE_STRONG_ESTATE",
    "INTERVENTION_FIRST_EXAM_YEAR",
    "INTERVENTION_START",
    "IN_MOVER_RESOURCE_ESTATE",
    "MOVE_RATE_ESTATE",
    "PRE_TREND_ZERO_YEAR",
    "RESOURCE_GLADSAXE",
    "YOUTH_CONVICTION_AGES",
    "YOUTH_CONVICTION_ESTATE",
    "YOUTH_CONVICTION_GAPS",
    "YOUTH_CONVICTION_OFFENCES",
    "YOUTH_CONVICTION_TREND",
    "enrolment_share",
    "youth_conviction_rate",
]

#: The intervention (the social master plan) starts on this date.
INTERVENTION_START = "2016-01-01"
#: The first exam year whose children are treated.
INTERVENTION_FIRST_EXAM_YEAR = 2016
#: Treatment is assigned by residence on 30 June of exam year minus this.
BASELINE_OFFSET_YEARS = 3
#: Exposure of effect 1: lives in the estate on this birthday.
EXPOSURE_AGE = 15
#: True ATT of the intervention on ``youth_education_15m`` (share scale) by exam year.
ATT: dict[int, float] = {2016: 0.04, 2017: 0.04, 2018: 0.04, 2019: 0.04}
#: Untreated estate share minus comparison-area share, every exam year, for the
#: comparison estates of strain 0 (``tingbjerg``, ``gellerup``, ``vollsmose``,
#: ``holtbjerg``).
COMPARISON_GAP = 0.02
#: Enrolment gap per unit of strain (a strained estate enrols fewer).
_GAP_PER_STRAIN = 0.04
#: Untreated estate share minus the share of each comparison estate, every exam
#: year: ``COMPARISON_GAP + 0.04 * strain`` (-0.02 ... 0.06; mean 0.02).
COMPARISON_GAPS: dict[str, float] = {
    name: COMPARISON_GAP + _GAP_PER_STRAIN * strain for name, _, _, strain in AREAS[1:]
}
#: With the option ``pre_trend``, the estate's drift is zero in this exam year.
PRE_TREND_ZERO_YEAR = 2015
#: With the option ``covariate_effects``: the change of a child's 15-month
#: probability per standard deviation of its latent ability, and half the
#: difference girls minus boys (share scale).
COVARIATE_U = 0.04
COVARIATE_GIRL = 0.03
#: Yearly change of the rest of Gladsaxe's 15-month share (share points per year).
ENROL_TREND = 0.004

_VP, _G = TARGETS["youth_education_15m"]
_REST_2017 = (_G - GLADSAXE_CHILD_SHARE_VP * _VP) / (1 - GLADSAXE_CHILD_SHARE_VP)
_VP0_2017 = _VP - ATT[2017]
#: Log hazard ratio of enrolment, estate vs rest of Gladsaxe (untreated years).
BETA_ESTATE = cloglog(_VP0_2017) - cloglog(_REST_2017)
HR_ESTATE = math.exp(BETA_ESTATE)

#: Out-move rate (per year) of a non-resource-strong household of the estate.
MOVE_RATE_ESTATE = 0.065
#: Hazard ratio of out-moves from the estate, resource-strong vs not.
HR_RESOURCE_STRONG_ESTATE = 2.0
#: Mean resource score of households moving into the estate (country mean 0, SD 1).
IN_MOVER_RESOURCE_ESTATE = -0.8
#: Mean resource score of households moving into the rest of Gladsaxe.
RESOURCE_GLADSAXE = 0.2


def enrolment_share(group: str, exam_year: int) -> float:
    """Expected ``youth_education_15m`` share of a group of children in an exam year.

    ``group`` is ``"rest"`` (rest of Gladsaxe), ``"estate_untreated"`` (the estate
    without the intervention), ``"estate"`` (as generated, treated from 2016),
    ``"comparison"`` (a comparison estate of strain 0: ``tingbjerg``,
    ``gellerup``, ``vollsmose``), the name of a comparison estate (one of
    :data:`COMPARISON_AREAS`) or ``"national"`` (everyone else).
    """
    rest = min(0.985, max(0.5, _REST_2017 + ENROL_TREND * (exam_year - 2017)))
    if group == "rest":
        return rest
    if group == "national":
        return rest - 0.01
    untreated = inv_cloglog(cloglog(rest) + BETA_ESTATE)
    if group == "estate_untreated":
        return untreated
    if group == "comparison":
        return untreated - COMPARISON_GAP
    if group in COMPARISON_GAPS:
        return untreated - COMPARISON_GAPS[group]
    if group == "estate":
        return untreated + ATT.get(exam_year, 0.0)
    msg = f"unknown group {group!r}"
    raise ValueError(msg)


#: Hazard ratio of the estate's (treated) children vs the rest of Gladsaxe, by exam year.
HR_ESTATE_TREATED: dict[int, float] = {
    y: math.exp(cloglog(enrolment_share("estate", y)) - cloglog(enrolment_share("rest", y)))
    for y in ATT
}


#: Effect 4: youth convictions. Population: lives in the area on 31 December of
#: year Y and is aged 15-29 on that date; event: a conviction for one of these
#: offences with a decision date in Y (definitions.md section 7, ``youth_convictions``).
YOUTH_CONVICTION_AGES = (15, 29)
YOUTH_CONVICTION_OFFENCES = ("penal_code", "weapons", "drugs")
#: The estate's untreated youth-conviction share in 2016.
YOUTH_CONVICTION_ESTATE = 0.065
#: Yearly change of every area's youth-conviction share from 2005 on (earlier
#: years keep the 2005 value).
YOUTH_CONVICTION_TREND = -0.002
#: True effect of the intervention on the estate's youth-conviction share (share
#: scale) by calendar year: the share falls by 2 points from 2016 on.
ATT_YOUTH_CONVICTIONS: dict[int, float] = {2016: -0.02, 2017: -0.02, 2018: -0.02, 2019: -0.02}
#: Untreated estate share minus the share of each comparison estate, every year:
#: ``-0.025 * strain`` (strained estates have more convictions; 0 for the first three).
YOUTH_CONVICTION_GAPS: dict[str, float] = {
    name: -0.025 * strain for name, _, _, strain in AREAS[1:]
}


def youth_conviction_rate(group: str, year: int) -> float:
    """Expected ``youth_convictions`` share of an area in calendar ``year``.

    ``group`` is ``"estate_untreated"``, ``"estate"`` (as generated: treated from
    2016) or the name of a comparison estate (one of :data:`COMPARISON_AREAS`).
    The share is exact in expectation given who lives there (the probabilities are
    normalised within each area and year). The rest of Gladsaxe and the country
    are not planted (their convictions follow the general model).
    """
    untreated = YOUTH_CONVICTION_ESTATE + YOUTH_CONVICTION_TREND * (max(year, 2005) - 2016)
    if group == "estate_untreated":
        return untreated
    if group == "estate":
        return untreated + ATT_YOUTH_CONVICTIONS.get(year, 0.0)
    if group in YOUTH_CONVICTION_GAPS:
        return untreated - YOUTH_CONVICTION_GAPS[group]
    msg = f"unknown group {group!r}"
    raise ValueError(msg)
