"""Reference populations: an area or a municipality.

A unit is written ``"area:<name>"`` (an ``addresses.area``) or
``"municipality:<code>"`` (an ``addresses.municipality``), as in the study file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cohort._sql import sql_int, sql_str
from cohort.exceptions import ParameterError

__all__ = ["Unit", "parse_unit"]


@dataclass(frozen=True)
class Unit:
    """An area or a municipality."""

    kind: Literal["area", "municipality"]
    value: str

    @property
    def label(self) -> str:
        """The unit as written in a study file, e.g. ``"area:vaerebro_park"``."""
        return f"{self.kind}:{self.value}"

    def predicate(self, addresses: str = "a") -> str:
        """SQL that is true for the rows of ``addresses`` that lie in the unit."""
        if self.kind == "area":
            return f"({addresses}.area = {sql_str(self.value)})"
        return f"({addresses}.municipality = {sql_int(int(self.value))})"

    def __str__(self) -> str:
        return self.label


def parse_unit(text: str | Unit) -> Unit:
    """Parse ``"area:<name>"`` or ``"municipality:<code>"``.

    Examples
    --------
    >>> parse_unit("municipality:159")
    Unit(kind='municipality', value='159')

    """
    if isinstance(text, Unit):
        return text
    kind, sep, value = str(text).partition(":")
    if not sep or kind not in ("area", "municipality") or not value:
        msg = f"a unit must be written 'area:<name>' or 'municipality:<code>'; got {text!r}"
        raise ParameterError(msg)
    if kind == "municipality" and not value.isdigit():
        msg = (
            "a municipality unit takes a numeric kommune code, e.g. 'municipality:159'; "
            f"got {text!r}"
        )
        raise ParameterError(msg)
    return Unit(kind, value)  # type: ignore[arg-type]
