"""The linkage engine: relational work on the extract in DuckDB.

The primitives every analysis uses, each on many persons and dates at once
(keys in, a lazy DuckDB relation out; see docs/engine.md):

- where persons live: :func:`address_on`, :func:`residents`, :func:`lives_in`,
  :func:`in_country`, :func:`stays_sql`;
- exposure: :func:`years_in_area`, :func:`resident_at_age` (pandas Series),
  :func:`years_between` (a DataFrame);
- states: :func:`highest_level`, :func:`on_public_support`,
  :func:`labour_status`, :func:`income`, :func:`enrolled_youth`;
- families: :func:`parents`, :func:`siblings`, :func:`parent_attributes`;
- units: :func:`parse_unit` (``area:``, ``district:``, ``municipality:``),
  :func:`check_unit_columns`.
"""

from cohort.engine.exposure import as_unit, resident_at_age, years_between, years_in_area
from cohort.engine.family import parent_attributes, parents, siblings
from cohort.engine.residence import address_on, in_country, lives_in, residents, stays_sql
from cohort.engine.status import (
    enrolled_youth,
    highest_level,
    income,
    labour_status,
    on_public_support,
)
from cohort.engine.units import UNIT_KINDS, Unit, check_unit_columns, parse_unit

__all__ = [
    "UNIT_KINDS",
    "Unit",
    "address_on",
    "as_unit",
    "check_unit_columns",
    "enrolled_youth",
    "highest_level",
    "in_country",
    "income",
    "labour_status",
    "lives_in",
    "on_public_support",
    "parent_attributes",
    "parents",
    "parse_unit",
    "resident_at_age",
    "residents",
    "siblings",
    "stays_sql",
    "years_between",
    "years_in_area",
]
