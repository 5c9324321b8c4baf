"""The cohort spec (definitions.md §3): what a cohort of children is, declaratively.

A :class:`CohortSpec` is frozen and typed; it can be written as a TOML table
(:meth:`CohortSpec.to_toml`) and read back (:meth:`CohortSpec.from_toml`). Every
value is checked when the spec is made, with a message that names the key, lists
what it allows and echoes what it got.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cohort._params import check_int_range, check_literal, check_literals
from cohort.exceptions import ParameterError, StudyFileError
from cohort.extract.schema import LABOUR_STATUSES, OFFENCES

__all__ = [
    "COVARIATES",
    "DEFAULT_OUTCOMES",
    "EXIT_REASONS",
    "OUTCOMES",
    "CensoringSpec",
    "CohortSpec",
    "ComparisonSpec",
    "ExposureSpec",
    "OutcomeSpec",
]

#: The outcomes a cohort can follow: those of definitions §3 and the time to the
#: first conviction (the strategy's goal 4, §7).
OUTCOMES = ("youth_education_start", "youth_education_completion", "employment",
            "first_conviction")
#: The outcomes a spec follows when it names none: those of definitions §3
#: (``first_conviction`` needs the optional table ``convictions``; name it to get it).
DEFAULT_OUTCOMES = ("youth_education_start", "youth_education_completion", "employment")
#: Baseline covariates a cohort can carry.
COVARIATES = ("sex", "origin", "birth_year", "mother_education", "parent_employed",
              "household_income")
#: Why follow-up of an outcome ended.
EXIT_REASONS = ("event", "emigration", "death", "extract_end", "max_follow_up")


def _check_number(name: str, value: Any, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a number; got {value!r}"
        raise ParameterError(msg)
    if not low <= value <= high:
        msg = f"{name} must lie in [{low}, {high}]; got {value!r}"
        raise ParameterError(msg)
    return float(value)


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or ":" in value:
        msg = (f"{name} must be an area name as in addresses.area, e.g. 'vaerebro_park'; "
               f"got {value!r}")
        raise ParameterError(msg)
    return value


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class ExposureSpec:
    """How exposure to the target area is measured and who counts as exposed.

    ``form = "resident_at_age"``: lives in the target area on the ``age``-th
    birthday. ``form = "years_in_area"``: days lived there from the
    ``from_age``-th to the ``to_age``-th birthday / 365.25 is at least
    ``threshold_years``. Both measures are computed; ``form`` picks the one that
    assigns the group.
    """

    form: Literal["resident_at_age", "years_in_area"] = "resident_at_age"
    age: int = 15
    from_age: int = 6
    to_age: int = 16
    threshold_years: float = 5.0

    def __post_init__(self) -> None:
        check_literal("exposure.form", self.form, ("resident_at_age", "years_in_area"))
        check_int_range("exposure.age", self.age, low=0, high=30)
        check_int_range("exposure.from_age", self.from_age, low=0, high=30)
        check_int_range("exposure.to_age", self.to_age, low=1, high=30)
        if self.to_age <= self.from_age:
            msg = (f"exposure.to_age must be greater than exposure.from_age; got "
                   f"from_age={self.from_age}, to_age={self.to_age}")
            raise ParameterError(msg)
        span = self.to_age - self.from_age
        _set(self, "threshold_years", _check_number(
            "exposure.threshold_years", self.threshold_years, low=0, high=span))

    @property
    def reference_age(self) -> int:
        """The birthday the group is assigned on.

        ``age`` for ``resident_at_age``, ``to_age`` for ``years_in_area``.
        """
        return self.age if self.form == "resident_at_age" else self.to_age


@dataclass(frozen=True)
class ComparisonSpec:
    """The comparison group.

    Children of the same cohorts who, on the reference date, live elsewhere in
    the target area's municipality (``kind = "municipality"``) or in one of the
    named ``areas`` (``kind = "areas"``).
    """

    kind: Literal["municipality", "areas"] = "municipality"
    areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_literal("comparison.kind", self.kind, ("municipality", "areas"))
        areas = tuple(_check_name("comparison.areas", a) for a in _as_tuple(
            "comparison.areas", self.areas))
        if self.kind == "areas" and not areas:
            msg = "comparison.areas must name at least one area when comparison.kind = 'areas'"
            raise ParameterError(msg)
        if self.kind == "municipality" and areas:
            msg = ("comparison.areas is only used with comparison.kind = 'areas'; "
                   f"got kind 'municipality' and {len(areas)} areas")
            raise ParameterError(msg)
        _set(self, "areas", areas)


@dataclass(frozen=True)
class OutcomeSpec:
    """The outcomes and their time origins.

    Education outcomes start at the end of 9th grade: ``origin_month``/
    ``origin_day`` (30 June) of the first ``exams`` year, or of the year the
    child turns ``no_exams_age`` (16) without an exams row. ``employment`` starts
    at the ``employment_age``-th birthday (18); its event is the first labour
    year with a status in ``employment_statuses``, dated 30 November.
    ``first_conviction`` starts at the ``conviction_age``-th birthday (15, the age
    of criminal responsibility in Denmark); its event is the first
    ``decision_date`` of a conviction for one of ``conviction_offences`` on or
    after that birthday.
    """

    names: tuple[str, ...] = DEFAULT_OUTCOMES
    origin_month: int = 6
    origin_day: int = 30
    no_exams_age: int = 16
    employment_age: int = 18
    employment_statuses: tuple[str, ...] = ("employed", "self_employed")
    conviction_age: int = 15
    conviction_offences: tuple[str, ...] = ("penal_code", "weapons", "drugs")

    def __post_init__(self) -> None:
        names = check_literals("outcomes.names", _as_tuple("outcomes.names", self.names),
                               OUTCOMES)
        if not names or len(set(names)) != len(names):
            msg = (f"outcomes.names must list distinct outcomes among {list(OUTCOMES)}; "
                   f"got {list(names)}")
            raise ParameterError(msg)
        _set(self, "names", names)
        check_int_range("outcomes.origin_month", self.origin_month, low=1, high=12)
        check_int_range("outcomes.origin_day", self.origin_day, low=1, high=28
                        if self.origin_month == 2 else 30 if self.origin_month in (4, 6, 9, 11)
                        else 31)
        check_int_range("outcomes.no_exams_age", self.no_exams_age, low=10, high=25)
        check_int_range("outcomes.employment_age", self.employment_age, low=10, high=40)
        st = check_literals("outcomes.employment_statuses",
                            _as_tuple("outcomes.employment_statuses", self.employment_statuses),
                            LABOUR_STATUSES)
        if not st:
            msg = "outcomes.employment_statuses must name at least one labour status"
            raise ParameterError(msg)
        _set(self, "employment_statuses", st)
        check_int_range("outcomes.conviction_age", self.conviction_age, low=10, high=40)
        off = check_literals("outcomes.conviction_offences",
                             _as_tuple("outcomes.conviction_offences", self.conviction_offences),
                             OFFENCES)
        if not off or len(set(off)) != len(off):
            msg = ("outcomes.conviction_offences must name distinct offences, at least one; "
                   f"got {list(off)}")
            raise ParameterError(msg)
        _set(self, "conviction_offences", off)


@dataclass(frozen=True)
class CensoringSpec:
    """Censoring of follow-up.

    The start of a residence gap (emigration), death and ``extract_end`` always
    apply; follow-up also ends ``max_follow_up_years`` calendar years after the
    origin.
    """

    max_follow_up_years: int = 10

    def __post_init__(self) -> None:
        check_int_range("censoring.max_follow_up_years", self.max_follow_up_years,
                        low=1, high=100)


@dataclass(frozen=True)
class CohortSpec:
    """A cohort of children and its follow-up (definitions.md §3).

    Examples
    --------
    >>> spec = CohortSpec(birth_years=(1995, 2000))
    >>> CohortSpec.from_toml(spec.to_toml()) == spec
    True

    """

    birth_years: tuple[int, int] = (1990, 2005)
    target_area: str = "vaerebro_park"
    exposure: ExposureSpec = field(default_factory=ExposureSpec)
    comparison: ComparisonSpec = field(default_factory=ComparisonSpec)
    outcomes: OutcomeSpec = field(default_factory=OutcomeSpec)
    censoring: CensoringSpec = field(default_factory=CensoringSpec)
    covariates: tuple[str, ...] = COVARIATES
    covariate_age: int = 14

    def __post_init__(self) -> None:
        years = _as_tuple("birth_years", self.birth_years)
        if len(years) != 2:
            msg = f"birth_years must be [first, last]; got {list(years)}"
            raise ParameterError(msg)
        for y in years:
            check_int_range("birth_years", y, low=1900, high=2100)
        if years[1] < years[0]:
            msg = f"birth_years must be [first, last] with first <= last; got {list(years)}"
            raise ParameterError(msg)
        _set(self, "birth_years", years)
        _check_name("target_area", self.target_area)
        if self.target_area in self.comparison.areas:
            msg = "comparison.areas must not include the target_area"
            raise ParameterError(msg)
        for name, cls in (("exposure", ExposureSpec), ("comparison", ComparisonSpec),
                          ("outcomes", OutcomeSpec), ("censoring", CensoringSpec)):
            if not isinstance(getattr(self, name), cls):
                msg = f"{name} must be a {cls.__name__}; got {type(getattr(self, name)).__name__}"
                raise ParameterError(msg)
        _set(self, "covariates", check_literals(
            "covariates", _as_tuple("covariates", self.covariates), COVARIATES))
        check_int_range("covariate_age", self.covariate_age, low=0, high=30)

    # -- TOML -----------------------------------------------------------------
    @classmethod
    def from_toml(cls, source: str | Mapping[str, Any]) -> CohortSpec:
        """Read a spec from TOML text or a parsed table.

        The table holds the keys of :class:`CohortSpec`, with sub-tables
        ``exposure``, ``comparison``, ``outcomes``, ``censoring``. A document
        whose only table is ``[cohort]`` is read from that table. Keys left out
        take their defaults.

        Raises
        ------
        StudyFileError
            The text is not TOML, or a key is unknown or of the wrong shape.
        ParameterError
            A value is outside what its key allows.

        """
        if isinstance(source, str):
            try:
                table: Mapping[str, Any] = tomllib.loads(source)
            except tomllib.TOMLDecodeError as err:
                msg = f"cohort spec: not valid TOML ({err})"
                raise StudyFileError(msg) from None
        elif isinstance(source, Mapping):
            table = source
        else:
            msg = f"cohort spec must be TOML text or a table; got {type(source).__name__}"
            raise StudyFileError(msg)
        if set(table) == {"cohort"} and isinstance(table["cohort"], Mapping):
            table = table["cohort"]
        return _from_table(cls, table, "cohort")

    def to_toml(self, table: str | None = None) -> str:
        """The spec as TOML; under ``[table]`` (e.g. ``"cohort"``) when given."""
        prefix = f"{table}." if table else ""
        top, subs = [], []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if dataclasses.is_dataclass(v):
                lines = [f"{k.name} = {_toml(getattr(v, k.name))}" for k in dataclasses.fields(v)]
                subs.append(f"[{prefix}{f.name}]\n" + "\n".join(lines))
            else:
                top.append(f"{f.name} = {_toml(v)}")
        head = f"[{table}]\n" if table else ""
        return head + "\n".join(top) + "\n\n" + "\n\n".join(subs) + "\n"


def _as_tuple(name: str, value: Any) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    msg = f"{name} must be a list; got {value!r}"
    raise ParameterError(msg)


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    msg = f"cannot write {type(v).__name__} as TOML"
    raise TypeError(msg)


def _from_table(cls: type, table: Mapping[str, Any], where: str) -> Any:
    if not isinstance(table, Mapping):
        msg = f"{where} must be a table; got {type(table).__name__}"
        raise StudyFileError(msg)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in table if k not in fields]
    if unknown:
        msg = (f"{where}: unknown key {unknown[0]!r} (allowed: "
               f"{', '.join(repr(k) for k in fields)})")
        raise StudyFileError(msg)
    kwargs: dict[str, Any] = {}
    for k, v in table.items():
        sub = _NESTED.get(k) if cls is CohortSpec else None
        if sub is not None:
            kwargs[k] = _from_table(sub, v, f"{where}.{k}")
        elif isinstance(v, list):
            kwargs[k] = tuple(v)
        elif isinstance(v, Mapping):
            msg = f"{where}.{k} must be a value, not a table"
            raise StudyFileError(msg)
        else:
            kwargs[k] = v
    return cls(**kwargs)


_NESTED: dict[str, type] = {"exposure": ExposureSpec, "comparison": ComparisonSpec,
                            "outcomes": OutcomeSpec, "censoring": CensoringSpec}
