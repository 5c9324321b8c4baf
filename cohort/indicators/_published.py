"""The strategy's published indicator values and readable indicator labels."""

from __future__ import annotations

import pandas as pd

from cohort.indicators._params import IndicatorParams

__all__ = ["PUBLISHED", "indicator_label", "period_axis", "published_values"]

#: The strategy's table (shares in %, Værebro Park vs Gladsaxe Kommune), keyed by
#: indicator: (year Y as :func:`social_balance` counts it, estate %, municipality %).
#: January 2018 -> Y = 2018; the school year 2016/17 and "2017" -> Y = 2017.
PUBLISHED: dict[str, tuple[int, float, float]] = {
    "youth_public_support": (2018, 12.3, 8.9),
    "youth_education_15m": (2017, 86.2, 91.6),
    "adult_public_support": (2018, 24.6, 13.8),
    "school_absence": (2017, 27.0, 12.0),
    "exam_grades": (2017, 52.0, 76.0),
    "placements": (2017, 3.0, 1.0),
}


def published_values() -> pd.DataFrame:
    """The published values as a table.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator, year, role`` (``"estate"`` = Værebro Park,
        ``"municipality"`` = Gladsaxe Kommune), ``percent``, ``share``
        (proportion).

    Examples
    --------
    >>> published_values().query("role == 'estate'").percent.tolist()
    [12.3, 86.2, 24.6, 27.0, 52.0, 3.0]

    """
    rows = []
    for k, (y, est, mun) in PUBLISHED.items():
        rows.append({"indicator": k, "year": y, "role": "estate", "percent": est})
        rows.append({"indicator": k, "year": y, "role": "municipality", "percent": mun})
    df = pd.DataFrame(rows)
    df["share"] = df["percent"] / 100
    return df


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
    months = 12 * p.education_years_after + p.education_on[0] - p.school_on[0]
    grade = f"{p.grade_average:g}"
    labels = {
        "youth_public_support": f"Aged {lo}-{hi} on public support (1 January)",
        "youth_education_15m": f"In youth education {months} months after 9th grade",
        "adult_public_support": f"Aged {alo}-{ahi} on public support (1 January)",
        "school_absence": f"Pupils with {p.absence_days}+ days' unauthorised absence",
        "exam_grades": f"9th-grade average of {grade}+ in Danish and maths",
        "placements": f"Aged {plo}-{phi} placed outside the home",
    }
    return labels[key]


def period_axis(key: str) -> str:
    """The x-axis label of an indicator's year Y."""
    if key in ("youth_public_support", "adult_public_support"):
        return "Year (status on 1 January)"
    if key == "placements":
        return "Calendar year"
    return "School year ending in"
