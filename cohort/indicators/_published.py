"""Readable indicator labels and axis titles.

Published values belong to a study (its ``[[published]]`` table), not to the library.
"""

from __future__ import annotations

from cohort.indicators._params import IndicatorParams

__all__ = ["indicator_label", "period_axis"]

def indicator_label(key: str, params: IndicatorParams | None = None) -> str:
    """A readable title for an indicator, with its ages and thresholds.

    Examples
    --------
    >>> indicator_label("youth_public_support")
    'Aged 18-29 on public support (1 January)'

    """
    p = params or IndicatorParams()
    lo, hi = p.youth_ages
    alo, ahi = p.adult_ages
    plo, phi = p.placement_ages
    nlo, nhi = p.labour_ages
    clo, chi = p.conviction_ages
    month = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")[p.labour_on[0] - 1]
    labour_day = f"{p.labour_on[1]} {month}"
    months = 12 * p.education_years_after + p.education_on[0] - p.school_on[0]
    grade = f"{p.grade_average:g}"
    labels = {
        "youth_public_support": f"Aged {lo}-{hi} on public support (1 January)",
        "youth_education_15m": f"In youth education {months} months after 9th grade",
        "adult_public_support": f"Aged {alo}-{ahi} on public support (1 January)",
        "school_absence": f"Pupils with {p.absence_days}+ days' unauthorised absence",
        "exam_grades": f"9th-grade average of {grade}+ in Danish and maths",
        "placements": f"Aged {plo}-{phi} placed outside the home",
        "not_in_education_or_work": (f"Aged {nlo}-{nhi} neither in education nor in work "
                                     f"({labour_day})"),
        "youth_convictions": f"Aged {clo}-{chi} convicted during the year",
    }
    return labels[key]


def period_axis(key: str) -> str:
    """The x-axis label of an indicator's year Y."""
    if key in ("youth_public_support", "adult_public_support"):
        return "Year (status on 1 January)"
    if key in ("placements", "youth_convictions"):
        return "Calendar year"
    if key == "not_in_education_or_work":
        return "Year (status at the end of November)"
    return "School year ending in"
