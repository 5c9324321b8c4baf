"""Study files: a TOML file that says what to run, on which extract, how to release it.

A study file is validated on load: an unknown key, a missing key or a value of
the wrong kind gives a :class:`~cohort.exceptions.StudyFileError` that names the
key and the allowed values. Example (``analyses/bagsvaerd.toml``)::

    [study]
    name = "Bagsværd i social balance"
    seed = 2018

    [extract]
    path = "extract"                    # relative to the study file

    [units]
    target = "vaerebro_park"            # addresses.area of the estate
    municipality = 159                  # its kommune
    comparison = ["tingbjerg", "gellerup", "vollsmose"]

    [disclosure]
    threshold = 5

    [output]
    folder = "release"

    [analyses.indicators]
    years = [2010, 2019]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cohort.disclosure import DisclosureSettings
from cohort.exceptions import CohortError, StudyFileError

__all__ = ["LANGUAGES", "Intervention", "Phase", "StudySpec", "Units", "load_study",
           "parse_study"]

_SECTIONS = ("study", "extract", "units", "intervention", "published", "report", "disclosure",
             "output", "analyses")
_STUDY_KEYS = ("name", "seed", "description")
_EXTRACT_KEYS = ("path", "working_copy")
_UNIT_KEYS = ("target", "municipality", "comparison", "district", "names")
_INTERVENTION_KEYS = ("name", "start", "phases")
_PHASE_KEYS = ("name", "start")
_PUBLISHED_KEYS = ("unit", "indicator", "year", "percent", "period", "source")
_REPORT_KEYS = ("language",)
LANGUAGES = ("en", "da")
_DISCLOSURE_KEYS = ("threshold", "rounding", "rounding_base", "enabled", "reason")
_OUTPUT_KEYS = ("folder", "dated")


@dataclass(frozen=True)
class Units:
    """The study's units: the estate, its municipality, its district, the comparison estates.

    ``names`` maps a unit (``"area:vaerebro_park"``, ``"municipality:159"``,
    ``"district:bagsvaerd"``; a bare area name counts as ``area:``) to the name a
    reader knows it by (``"Værebro Park"``); an area or district without one is
    shown by its code unchanged (``"vaerebro_park"``: nothing invented), a
    municipality by the shipped municipality table (``"Gladsaxe Kommune"``).
    """

    target: str
    municipality: int
    comparison: tuple[str, ...] = ()
    district: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def district_unit(self) -> str | None:
        """``"district:<district>"``, or None."""
        return f"district:{self.district}" if self.district else None

    def name(self, unit: str) -> str:
        """The display name of a unit (or of a bare area name)."""
        key = unit if ":" in str(unit) else f"area:{unit}"
        if key in self.names:
            return self.names[key]
        kind, _, value = key.partition(":")
        if kind == "municipality":
            from cohort.indicators.plots import unit_name

            return unit_name(key)
        return value

    @property
    def target_unit(self) -> str:
        """``"area:<target>"``."""
        return f"area:{self.target}"

    @property
    def municipality_unit(self) -> str:
        """``"municipality:<code>"``."""
        return f"municipality:{self.municipality}"


@dataclass(frozen=True)
class Phase:
    """A phase of the intervention: its name and the day it began."""

    name: str
    start: dt.date


@dataclass(frozen=True)
class Intervention:
    """What the study measures the effect of (``[intervention]`` of the study file).

    ``start`` is the day the area is treated from; ``phases`` name the steps of
    the effort (marked in the figures), the main one included.
    """

    name: str = "the intervention"
    start: dt.date | None = None
    phases: tuple[Phase, ...] = ()


@dataclass(frozen=True)
class StudySpec:
    """A validated study file."""

    name: str
    seed: int
    units: Units
    disclosure: DisclosureSettings
    analyses: Mapping[str, Mapping[str, Any]]
    extract: Path | None = None
    output: Path = Path("release")
    description: str = ""
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    intervention: Intervention = field(default_factory=Intervention)
    #: published values (``[[published]]``): unit, indicator, year, percent, period,
    #: source -- drawn beside the computed ones where given, nowhere else
    published: tuple[Mapping[str, Any], ...] = ()
    language: str = "en"
    #: ``[output] dated = true``: the folder is a parent of dated releases,
    #: ``<folder>/<study>-<extract_end>`` (as ``cohort run --dated``)
    dated: bool = False
    #: ``[extract] working_copy``: the folder of validated working copies of
    #: deliveries (read once, reuse); None: ``.cohort-cache/working-copy`` beside
    #: the release folder
    working_copy: Path | None = None

    @property
    def slug(self) -> str:
        """The study's short name in a dated release folder: the study file's stem.

        Without a file, the study's name; letters, digits, ``_`` and ``-`` only.
        """
        import re

        stem = self.source.stem if self.source is not None else self.name
        slug = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_")
        return slug or "study"

    def fingerprint(self, *parts: object) -> str:
        """A stable hash of the study's settings and ``parts`` (for the cache)."""
        payload = json.dumps([self.raw, [str(p) for p in parts]], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        msg = f"{where}: [{key}] must be a table"
        raise StudyFileError(msg)
    return value


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for k in table:
        if k not in allowed:
            listed = ", ".join(repr(a) for a in allowed)
            msg = f"{where}: unknown key {k!r} (allowed: {listed})"
            raise StudyFileError(msg)


def _typed(value: Any, kind: type | tuple[type, ...], key: str, where: str) -> Any:
    if isinstance(value, bool) and kind is not bool:
        value = None
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        msg = f"{where}: {key} must be {names}; got {value!r}"
        raise StudyFileError(msg)
    return value


def parse_study(raw: Mapping[str, Any], *, source: Path | None = None) -> StudySpec:
    """Validate a parsed study file (a dict) and return the spec."""
    from cohort.study.analyses import ANALYSES

    where = source.name if source else "study file"
    _check_keys(raw, _SECTIONS, where)
    study = _table(raw, "study", where)
    _check_keys(study, _STUDY_KEYS, f"{where} [study]")
    name = _typed(study.get("name", source.stem if source else "study"), str, "name",
                  f"{where} [study]")
    seed = _typed(study.get("seed", 0), int, "seed", f"{where} [study]")
    extract = _table(raw, "extract", where)
    _check_keys(extract, _EXTRACT_KEYS, f"{where} [extract]")
    extract_path = None
    if "path" in extract:
        p = Path(_typed(extract["path"], str, "path", f"{where} [extract]"))
        extract_path = p if p.is_absolute() or source is None else source.parent / p
    working_copy = None
    if "working_copy" in extract:
        p = Path(_typed(extract["working_copy"], str, "working_copy", f"{where} [extract]"))
        working_copy = p if p.is_absolute() or source is None else source.parent / p
    units = _table(raw, "units", where)
    _check_keys(units, _UNIT_KEYS, f"{where} [units]")
    for req in ("target", "municipality"):
        if req not in units:
            msg = f"{where} [units]: key {req!r} is missing"
            raise StudyFileError(msg)
    comparison = units.get("comparison", [])
    if not isinstance(comparison, list) or not all(isinstance(c, str) for c in comparison):
        msg = f"{where} [units]: comparison must be a list of area names; got {comparison!r}"
        raise StudyFileError(msg)
    names = units.get("names", {})
    if not isinstance(names, Mapping) or not all(isinstance(v, str) for v in names.values()):
        msg = (f"{where} [units.names]: a table of unit = \"display name\", e.g. "
               f"\"area:vaerebro_park\" = \"Værebro Park\"; got {names!r}")
        raise StudyFileError(msg)
    district = units.get("district")
    if district is not None:
        _typed(district, str, "district", f"{where} [units]")
    u = Units(
        target=_typed(units["target"], str, "target", f"{where} [units]"),
        municipality=_typed(units["municipality"], int, "municipality", f"{where} [units]"),
        comparison=tuple(comparison),
        district=district,
        names={(k if ":" in k else f"area:{k}"): v for k, v in names.items()},
    )
    intervention = _intervention(_table(raw, "intervention", where), f"{where} [intervention]")
    published = _published(raw.get("published", []), f"{where} [[published]]")
    report = _table(raw, "report", where)
    _check_keys(report, _REPORT_KEYS, f"{where} [report]")
    language = report.get("language", "en")
    if language not in LANGUAGES:
        msg = f"{where} [report]: language must be one of {list(LANGUAGES)}; got {language!r}"
        raise StudyFileError(msg)
    disc = _table(raw, "disclosure", where)
    _check_keys(disc, _DISCLOSURE_KEYS, f"{where} [disclosure]")
    try:
        settings = DisclosureSettings(**dict(disc))
    except (CohortError, TypeError, ValueError) as err:
        msg = f"{where} [disclosure]: {err}"
        raise StudyFileError(msg) from None
    output = _table(raw, "output", where)
    _check_keys(output, _OUTPUT_KEYS, f"{where} [output]")
    folder = Path(_typed(output.get("folder", "release"), str, "folder", f"{where} [output]"))
    if source is not None and not folder.is_absolute():
        folder = source.parent / folder
    dated = _typed(output.get("dated", False), bool, "dated", f"{where} [output]")
    analyses_raw = _table(raw, "analyses", where)
    _check_keys(analyses_raw, tuple(ANALYSES), f"{where} [analyses]")
    analyses: dict[str, Mapping[str, Any]] = {}
    for key, params in analyses_raw.items():
        if not isinstance(params, Mapping):
            msg = f"{where}: [analyses.{key}] must be a table"
            raise StudyFileError(msg)
        analyses[key] = ANALYSES[key].validate(dict(params), where=f"{where} [analyses.{key}]",
                                               intervention=intervention)
    if not analyses:
        msg = f"{where}: [analyses] names no analysis (choose from {', '.join(ANALYSES)})"
        raise StudyFileError(msg)
    return StudySpec(
        name=name,
        seed=seed,
        units=u,
        disclosure=settings,
        analyses=analyses,
        extract=extract_path,
        working_copy=working_copy,
        output=folder,
        description=str(study.get("description", "")),
        source=source,
        raw=dict(raw),
        intervention=intervention,
        published=published,
        language=language,
        dated=dated,
    )


def _date(value: Any, key: str, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        msg = f"{where}: {key} must be a date, e.g. 2016-01-01; got {value!r}"
        raise StudyFileError(msg)
    return value


def _intervention(table: Mapping[str, Any], where: str) -> Intervention:
    _check_keys(table, _INTERVENTION_KEYS, where)
    name = _typed(table.get("name", "the intervention"), str, "name", where)
    start = _date(table["start"], "start", where) if "start" in table else None
    phases_raw = table.get("phases", [])
    if not isinstance(phases_raw, list):
        msg = f"{where}: phases must be a list of {{name, start}}; got {phases_raw!r}"
        raise StudyFileError(msg)
    phases = []
    for p in phases_raw:
        if not isinstance(p, Mapping):
            msg = f"{where}: each phase must be a table {{name, start}}; got {p!r}"
            raise StudyFileError(msg)
        _check_keys(p, _PHASE_KEYS, f"{where} phases")
        phases.append(Phase(_typed(p.get("name"), str, "name", f"{where} phases"),
                            _date(p.get("start"), "start", f"{where} phases")))
    phases.sort(key=lambda ph: ph.start)
    return Intervention(name=name, start=start, phases=tuple(phases))


def _published(rows: Any, where: str) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(rows, list):
        msg = f"{where}: an array of tables [[published]]; got {rows!r}"
        raise StudyFileError(msg)
    out = []
    for r in rows:
        if not isinstance(r, Mapping):
            msg = f"{where}: each entry is a table; got {r!r}"
            raise StudyFileError(msg)
        _check_keys(r, _PUBLISHED_KEYS, where)
        missing = [k for k in ("unit", "indicator", "year", "percent") if k not in r]
        if missing:
            msg = f"{where}: keys {missing} are missing (unit, indicator, year, percent)"
            raise StudyFileError(msg)
        unit = _typed(r["unit"], str, "unit", where)
        out.append({
            "unit": unit if ":" in unit else f"area:{unit}",
            "indicator": _typed(r["indicator"], str, "indicator", where),
            "year": _typed(r["year"], int, "year", where),
            "percent": float(_typed(r["percent"], (int, float), "percent", where)),
            "period": str(r.get("period", r["year"])),
            "source": str(r.get("source", "")),
        })
    return tuple(out)


def load_study(path: str | Path) -> StudySpec:
    """Read and validate a study file."""
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: the study file does not exist"
        raise StudyFileError(msg)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"{path.name}: not valid TOML ({err})"
        raise StudyFileError(msg) from None
    except OSError as err:
        msg = f"{path}: the study file cannot be read ({err.strerror})"
        raise StudyFileError(msg) from None
    return parse_study(raw, source=path)
