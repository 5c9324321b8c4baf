"""Reference populations: an area, a district or a municipality.

A unit is written ``"area:<name>"`` (an ``addresses.area``),
``"district:<name>"`` (an ``addresses.district``, the optional column of the
contract) or ``"municipality:<code>"`` (an ``addresses.municipality``), as in the
study file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cohort._sql import sql_int, sql_str
from cohort.exceptions import MissingTableError, ParameterError

__all__ = ["UNIT_KINDS", "Unit", "check_unit_columns", "parse_unit"]

#: The kinds of unit, each the ``addresses`` column it is read from.
UNIT_KINDS = ("area", "district", "municipality")


@dataclass(frozen=True)
class Unit:
    """An area, a district or a municipality."""

    kind: Literal["area", "district", "municipality"]
    value: str

    @property
    def label(self) -> str:
        """The unit as written in a study file, e.g. ``"area:vaerebro_park"``."""
        return f"{self.kind}:{self.value}"

    def predicate(self, addresses: str = "a") -> str:
        """SQL that is true for the rows of ``addresses`` that lie in the unit."""
        if self.kind in ("area", "district"):
            return f"({addresses}.{self.kind} = {sql_str(self.value)})"
        return f"({addresses}.municipality = {sql_int(int(self.value))})"

    def __str__(self) -> str:
        return self.label


def parse_unit(text: str | Unit) -> Unit:
    """Parse ``"area:<name>"``, ``"district:<name>"`` or ``"municipality:<code>"``.

    Examples
    --------
    >>> parse_unit("municipality:159")
    Unit(kind='municipality', value='159')
    >>> parse_unit("district:bagsvaerd").predicate("a")
    "(a.district = 'bagsvaerd')"

    """
    if isinstance(text, Unit):
        return text
    kind, sep, value = str(text).partition(":")
    if not sep or kind not in UNIT_KINDS or not value:
        msg = ("a unit must be written 'area:<name>', 'district:<name>' or "
               f"'municipality:<code>'; got {text!r}")
        raise ParameterError(msg)
    if kind == "municipality" and not value.isdigit():
        msg = (
            "a municipality unit takes a numeric kommune code, e.g. 'municipality:159'; "
            f"got {text!r}"
        )
        raise ParameterError(msg)
    return Unit(kind, value)  # type: ignore[arg-type]


def check_unit_columns(extract: Any, units: Unit | Iterable[Unit]) -> None:
    """Raise when a unit needs an optional ``addresses`` column the extract lacks.

    A ``district:<name>`` unit reads ``addresses.district``, which the contract
    makes optional. An extract without that column (or whose addresses all leave
    it empty: validation cannot tell the two apart, and either way no address
    lies in any district) raises :class:`~cohort.exceptions.MissingTableError`
    naming the column, instead of reporting an empty population. ``extract``
    needs only a DuckDB connection ``con`` with the view ``addresses``.

    Examples
    --------
    >>> check_unit_columns(ex, [parse_unit("district:bagsvaerd")])  # doctest: +SKIP
    Traceback (most recent call last):
    ...
    cohort.exceptions.MissingTableError: the unit 'district:bagsvaerd' needs the column ...

    """
    items = [units] if isinstance(units, Unit) else list(units)
    districts = [u for u in items if u.kind == "district"]
    if not districts:
        return
    cols = {r[0] for r in extract.con.execute("DESCRIBE addresses").fetchall()}
    filled = 0
    if "district" in cols:
        filled = extract.con.execute(
            "SELECT count(district) FROM addresses").fetchall()[0][0]
    if not filled:
        msg = (f"the unit {districts[0].label!r} needs the column 'district' of the table "
               "'addresses', which this extract does not have (or leaves empty at every "
               "address); add it to addresses (the contract's optional column) or use "
               "'area:<name>' / 'municipality:<code>' units")
        raise MissingTableError(msg)
