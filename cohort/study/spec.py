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

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cohort.disclosure import DisclosureSettings
from cohort.exceptions import CohortError, StudyFileError

__all__ = ["StudySpec", "Units", "load_study", "parse_study"]

_SECTIONS = ("study", "extract", "units", "disclosure", "output", "analyses")
_STUDY_KEYS = ("name", "seed", "description")
_EXTRACT_KEYS = ("path",)
_UNIT_KEYS = ("target", "municipality", "comparison")
_DISCLOSURE_KEYS = ("threshold", "rounding", "rounding_base", "enabled", "reason")
_OUTPUT_KEYS = ("folder",)


@dataclass(frozen=True)
class Units:
    """The study's units: the estate, its municipality, the comparison estates."""

    target: str
    municipality: int
    comparison: tuple[str, ...] = ()

    @property
    def target_unit(self) -> str:
        """``"area:<target>"``."""
        return f"area:{self.target}"

    @property
    def municipality_unit(self) -> str:
        """``"municipality:<code>"``."""
        return f"municipality:{self.municipality}"


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
    u = Units(
        target=_typed(units["target"], str, "target", f"{where} [units]"),
        municipality=_typed(units["municipality"], int, "municipality", f"{where} [units]"),
        comparison=tuple(comparison),
    )
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
    analyses_raw = _table(raw, "analyses", where)
    _check_keys(analyses_raw, tuple(ANALYSES), f"{where} [analyses]")
    analyses: dict[str, Mapping[str, Any]] = {}
    for key, params in analyses_raw.items():
        if not isinstance(params, Mapping):
            msg = f"{where}: [analyses.{key}] must be a table"
            raise StudyFileError(msg)
        analyses[key] = ANALYSES[key].validate(dict(params), where=f"{where} [analyses.{key}]")
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
        output=folder,
        description=str(study.get("description", "")),
        source=source,
        raw=dict(raw),
    )


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
