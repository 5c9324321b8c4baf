"""The parameters of the indicators and criteria, with the defaults of definitions.md.

Every number in a definition (ages, dates, thresholds, sets of codes) is a field
here; a study changes one with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from cohort.exceptions import ParameterError
from cohort.extract.schema import (
    BENEFITS,
    EDUCATION_LEVELS,
    LABOUR_STATUSES,
    OFFENCES,
    PUBLIC_SUPPORT_BENEFITS,
    YOUTH_LEVELS,
)

__all__ = ["IndicatorParams", "VulnerableAreaParams", "day_in_year"]

MonthDay = tuple[int, int]


def day_in_year(year: int, month_day: MonthDay, *, name: str) -> dt.date:
    """The date ``(month, day)`` of ``year``; a :class:`ParameterError` names ``name``.

    Examples
    --------
    >>> day_in_year(2018, (1, 1), name="support_on")
    datetime.date(2018, 1, 1)

    """
    month, day = month_day
    try:
        return dt.date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        msg = f"{name} must be a (month, day) that exists in year {year}; got {month_day!r}"
        raise ParameterError(msg) from None


def _check_month_day(name: str, value: object) -> None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if ok:
        try:
            dt.date(2000, value[0], value[1])  # type: ignore[index]  # a leap year
        except ValueError:
            ok = False
    if not ok:
        msg = f"{name} must be a (month, day) tuple of integers, e.g. (1, 1); got {value!r}"
        raise ParameterError(msg)


def _check_ages(name: str, value: object) -> None:
    ok = (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]  # type: ignore[index,operator]
    )
    if not ok:
        msg = (f"{name} must be an inclusive (low, high) age range with 0 <= low <= high; "
               f"got {value!r}")
        raise ParameterError(msg)


def _check_codes(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, tuple) or not value or any(v not in allowed for v in value):
        listed = ", ".join(repr(a) for a in allowed)
        msg = f"{name} must be a non-empty tuple of codes among {listed}; got {value!r}"
        raise ParameterError(msg)


def _check_number(name: str, value: object, *, low: float = 0.0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= low:
        msg = f"{name} must be a number >= {low}; got {value!r}"
        raise ParameterError(msg)


@dataclass(frozen=True, kw_only=True)
class IndicatorParams:
    """The indicators of social balance, every number a field.

    The strategy's six (definitions §1) and the two of its goals (§7:
    ``not_in_education_or_work``, ``youth_convictions``). Dates are
    ``(month, day)`` of the indicator's year ``Y``; age ranges are inclusive,
    in completed years on the population date.

    Examples
    --------
    >>> IndicatorParams().youth_ages
    (18, 29)
    >>> import dataclasses
    >>> dataclasses.replace(IndicatorParams(), absence_days=10).absence_days
    10

    """

    #: Population and numerator date of the two public-support indicators (1 January Y).
    support_on: MonthDay = (1, 1)
    youth_ages: tuple[int, int] = (18, 29)
    adult_ages: tuple[int, int] = (18, 67)
    #: Benefits that count as public support (all but student grants and parental leave).
    support_benefits: tuple[str, ...] = PUBLIC_SUPPORT_BENEFITS
    #: Population date of the school-year indicators (30 June of the school year's end Y).
    school_on: MonthDay = (6, 30)
    #: Numerator date of ``youth_education_15m``: 30 September of year Y + 1.
    education_on: MonthDay = (9, 30)
    education_years_after: int = 1
    youth_levels: tuple[str, ...] = YOUTH_LEVELS
    #: ``school_absence``: unauthorised days at or above this count.
    absence_days: int = 5
    #: ``exam_grades``: (danish + math) / 2 at or above this average.
    grade_average: float = 4.0
    #: Population date of ``placements`` (31 December Y) and its age range.
    placement_on: MonthDay = (12, 31)
    placement_ages: tuple[int, int] = (0, 22)
    #: ``not_in_education_or_work``: residents on 30 November Y (the date of the
    #: labour register's status for year Y) aged 16-29, with a ``labour`` row for Y;
    #: counted when the status is none of ``in_work_or_education`` and no education
    #: spell of ``enrolled_levels`` (any outcome) covers the date.
    labour_on: MonthDay = (11, 30)
    labour_ages: tuple[int, int] = (16, 29)
    in_work_or_education: tuple[str, ...] = ("employed", "self_employed", "student")
    enrolled_levels: tuple[str, ...] = EDUCATION_LEVELS
    #: ``youth_convictions``: residents on 31 December Y aged 15-29; counted with a
    #: conviction for one of ``conviction_offences`` decided in calendar year Y.
    conviction_on: MonthDay = (12, 31)
    conviction_ages: tuple[int, int] = (15, 29)
    conviction_offences: tuple[str, ...] = ("penal_code", "weapons", "drugs")

    def __post_init__(self) -> None:
        for f in ("support_on", "school_on", "education_on", "placement_on", "labour_on",
                  "conviction_on"):
            _check_month_day(f, getattr(self, f))
        for f in ("youth_ages", "adult_ages", "placement_ages", "labour_ages",
                  "conviction_ages"):
            _check_ages(f, getattr(self, f))
        _check_codes("support_benefits", self.support_benefits, BENEFITS)
        _check_codes("youth_levels", self.youth_levels, EDUCATION_LEVELS)
        _check_codes("in_work_or_education", self.in_work_or_education, LABOUR_STATUSES)
        _check_codes("enrolled_levels", self.enrolled_levels, EDUCATION_LEVELS)
        _check_codes("conviction_offences", self.conviction_offences, OFFENCES)
        for f in ("absence_days", "education_years_after"):
            _check_number(f, getattr(self, f))
            if not isinstance(getattr(self, f), int):
                msg = f"{f} must be an integer; got {getattr(self, f)!r}"
                raise ParameterError(msg)
        _check_number("grade_average", self.grade_average, low=-3.0)

    def as_dict(self) -> dict[str, object]:
        """The parameters as a plain dict (for a manifest)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, kw_only=True)
class VulnerableAreaParams:
    """The four criteria for a vulnerable housing area (definitions §2).

    Shares and thresholds are proportions (0.40 = 40 %).

    Examples
    --------
    >>> VulnerableAreaParams().min_residents
    1000

    """

    #: ``outside_work_education``: population aged 18-64 at the end of November
    #: (30 November) of the labour years L-2 and L-1.
    labour_on: MonthDay = (11, 30)
    labour_ages: tuple[int, int] = (18, 64)
    in_work_or_education: tuple[str, ...] = ("employed", "self_employed", "student")
    outside_work_threshold: float = 0.40
    #: ``convictions``: residents on 31 December of L-2 and L-1 aged 18+.
    conviction_on: MonthDay = (12, 31)
    conviction_min_age: int = 18
    conviction_offences: tuple[str, ...] = ("penal_code", "weapons", "drugs")
    conviction_multiple: float = 3.0
    #: ``basic_education_only``: residents on 31 December L-1 aged 30-59.
    education_on: MonthDay = (12, 31)
    education_ages: tuple[int, int] = (30, 59)
    basic_levels: tuple[str, ...] = ("primary", "preparatory")
    basic_education_threshold: float = 0.60
    #: ``low_income``: residents on 31 December L-1 aged 15-64, not students in L-1.
    income_on: MonthDay = (12, 31)
    income_ages: tuple[int, int] = (15, 64)
    income_excluded_statuses: tuple[str, ...] = ("student",)
    income_fraction: float = 0.55
    #: Classification: residents on 31 December L-1 and criteria met.
    residents_on: MonthDay = (12, 31)
    min_residents: int = 1000
    min_criteria: int = 2

    def __post_init__(self) -> None:
        for f in ("labour_on", "conviction_on", "education_on", "income_on", "residents_on"):
            _check_month_day(f, getattr(self, f))
        for f in ("labour_ages", "education_ages", "income_ages"):
            _check_ages(f, getattr(self, f))
        _check_codes("in_work_or_education", self.in_work_or_education, LABOUR_STATUSES)
        _check_codes("conviction_offences", self.conviction_offences, OFFENCES)
        _check_codes("basic_levels", self.basic_levels, EDUCATION_LEVELS)
        _check_codes("income_excluded_statuses", self.income_excluded_statuses, LABOUR_STATUSES)
        for f in ("outside_work_threshold", "conviction_multiple", "basic_education_threshold",
                  "income_fraction", "conviction_min_age", "min_residents", "min_criteria"):
            _check_number(f, getattr(self, f))
        for f in ("conviction_min_age", "min_residents", "min_criteria"):
            if not isinstance(getattr(self, f), int):
                msg = f"{f} must be an integer; got {getattr(self, f)!r}"
                raise ParameterError(msg)

    def as_dict(self) -> dict[str, object]:
        """The parameters as a plain dict (for a manifest)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
