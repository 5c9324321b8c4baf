"""The data contract as code: canonical tables, columns, types and row rules.

This module is the single source of truth for what ``../shared/data-contract.md``
says about the canonical tables. Readers, validation, presets and the synthetic
generator all read it; nothing else lists columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BENEFITS",
    "DIRECTIONS",
    "EDUCATION_LEVELS",
    "EDUCATION_OUTCOMES",
    "LABOUR_STATUSES",
    "OFFENCES",
    "ORIGINS",
    "PLACEMENT_KINDS",
    "PUBLIC_SUPPORT_BENEFITS",
    "RULES",
    "SEXES",
    "TABLES",
    "YOUTH_LEVELS",
    "Column",
    "Table",
    "table",
]

ColumnType = Literal["string", "date", "int", "float", "category"]

SEXES = ("F", "M")
ORIGINS = (
    "danish",
    "immigrant_western",
    "immigrant_nonwestern",
    "descendant_western",
    "descendant_nonwestern",
)
#: Education levels, lowest first: the order defines "highest completed level".
EDUCATION_LEVELS = (
    "primary",
    "preparatory",
    "youth_general",
    "youth_vocational",
    "short_cycle",
    "bachelor",
    "master",
    "phd",
)
YOUTH_LEVELS = ("youth_general", "youth_vocational")
EDUCATION_OUTCOMES = ("completed", "dropped", "ongoing")
LABOUR_STATUSES = (
    "employed",
    "self_employed",
    "student",
    "unemployed",
    "public_support",
    "retired",
    "other",
)
BENEFITS = (
    "unemployment_insurance",
    "cash_assistance",
    "education_assistance",
    "integration_benefit",
    "sickness",
    "disability_pension",
    "flex_job_benefit",
    "rehabilitation",
    "early_retirement",
    "old_age_pension",
    "parental_leave",
    "student_grant",
)
#: "On public support": every benefit except student grants and parental leave.
PUBLIC_SUPPORT_BENEFITS = tuple(b for b in BENEFITS if b not in ("student_grant", "parental_leave"))
PLACEMENT_KINDS = ("foster_family", "institution", "other")
OFFENCES = ("penal_code", "weapons", "drugs", "traffic", "other")
DIRECTIONS = ("in", "out")

#: Row rules, in the order they are checked. A quarantined row is recorded with the
#: first rule it breaks, so the counts per rule add up to the rows quarantined.
RULES: dict[str, str] = {
    "missing_value": "a required column is empty",
    "invalid_date": "a date that is not a date",
    "invalid_code": "a code outside the column's category list",
    "out_of_range": "a number outside the column's allowed range",
    "end_before_start": "a spell (or life) that ends before it starts",
    "duplicate_pid": "a pid that occurs more than once in persons (every copy is set aside)",
    "duplicate_key": "a key that occurs more than once in its table (every copy is set aside)",
    "unknown_pid": "a pid that is not among the accepted persons",
    "unknown_address": "an address_id that is not among the accepted addresses",
    "overlapping_spells": "residence spells of one person that overlap (each of them is set aside)",
}


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    type: ColumnType
    required: bool = False
    categories: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    #: Holds person identifiers: values never appear in any message.
    identifier: bool = False


@dataclass(frozen=True)
class Table:
    """One canonical table and the row rules that apply to it."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    #: Columns whose combination must be unique (duplicate_pid / duplicate_key).
    key: tuple[str, ...] = ()
    #: (start, end) columns of a spell: end before start is a row rule.
    spell: tuple[str, str] | None = None
    #: Spells of one person must not overlap.
    no_overlap: bool = False
    #: The pid must be among the accepted persons.
    person_ref: bool = True
    #: The address_id must be among the accepted addresses.
    address_ref: bool = False
    dst_name: str = ""
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The canonical column names, in order."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _pid() -> Column:
    return Column("pid", "string", required=True, identifier=True)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "persons",
            (
                _pid(),
                Column("birth_date", "date", required=True),
                Column("sex", "category", required=True, categories=SEXES),
                Column("mother_pid", "string", identifier=True),
                Column("father_pid", "string", identifier=True),
                Column("origin", "category", categories=ORIGINS),
                Column("death_date", "date"),
            ),
            required=True,
            key=("pid",),
            spell=("birth_date", "death_date"),
            person_ref=False,
            dst_name="BEF",
            description="one row per person",
        ),
        Table(
            "residence",
            (
                _pid(),
                Column("address_id", "string", required=True, identifier=True),
                Column("moved_in", "date", required=True),
                Column("moved_out", "date"),
            ),
            required=True,
            spell=("moved_in", "moved_out"),
            no_overlap=True,
            address_ref=True,
            dst_name="BEFBOP",
            description="address spells [moved_in, moved_out)",
        ),
        Table(
            "addresses",
            (
                Column("address_id", "string", required=True, identifier=True),
                Column("municipality", "int", required=True, low=0),
                Column("area", "string"),
                Column("district", "string"),
            ),
            required=True,
            key=("address_id",),
            person_ref=False,
            dst_name="BEFADR",
            description="where each address lies",
        ),
        Table(
            "migrations",
            (
                _pid(),
                Column("date", "date", required=True),
                Column("direction", "category", required=True, categories=DIRECTIONS),
            ),
            dst_name="VNDS",
            description="crossings of the border",
        ),
        Table(
            "education",
            (
                _pid(),
                Column("level", "category", required=True, categories=EDUCATION_LEVELS),
                Column("program", "string"),
                Column("start_date", "date", required=True),
                Column("end_date", "date"),
                Column("outcome", "category", required=True, categories=EDUCATION_OUTCOMES),
            ),
            spell=("start_date", "end_date"),
            dst_name="KOTRE",
            description="enrolment spells",
        ),
        Table(
            "labour",
            (
                _pid(),
                Column("year", "int", required=True),
                Column("status", "category", required=True, categories=LABOUR_STATUSES),
            ),
            key=("pid", "year"),
            dst_name="AKM",
            description="labour-market status at the end of November",
        ),
        Table(
            "benefits",
            (
                _pid(),
                Column("benefit", "category", required=True, categories=BENEFITS),
                Column("start_date", "date", required=True),
                Column("end_date", "date"),
            ),
            spell=("start_date", "end_date"),
            dst_name="DREAM",
            description="spells of public transfer payments",
        ),
        Table(
            "income",
            (
                _pid(),
                Column("year", "int", required=True),
                Column("disposable_income", "float"),
                Column("gross_income", "float"),
            ),
            key=("pid", "year"),
            dst_name="IND",
            description="yearly income (DKK)",
        ),
        Table(
            "exams",
            (
                _pid(),
                Column("year", "int", required=True),
                Column("danish", "float", low=-3, high=12),
                Column("math", "float", low=-3, high=12),
            ),
            key=("pid", "year"),
            description="9th-grade leaving exams",
        ),
        Table(
            "absence",
            (
                _pid(),
                Column("year", "int", required=True),
                Column("unauthorised_days", "int", required=True, low=0),
            ),
            key=("pid", "year"),
            description="unauthorised school absence per school year",
        ),
        Table(
            "placements",
            (
                _pid(),
                Column("start_date", "date", required=True),
                Column("end_date", "date"),
                Column("kind", "category", required=True, categories=PLACEMENT_KINDS),
            ),
            spell=("start_date", "end_date"),
            dst_name="BUA",
            description="children placed outside the home",
        ),
        Table(
            "convictions",
            (
                _pid(),
                Column("decision_date", "date", required=True),
                Column("offence", "category", required=True, categories=OFFENCES),
            ),
            dst_name="KRAF",
            description="court decisions",
        ),
    )
}


def table(name: str) -> Table:
    """The canonical table called ``name``.

    Examples
    --------
    >>> table("persons").key
    ('pid',)

    """
    from cohort._params import check_literal

    check_literal("table", name, tuple(TABLES))
    return TABLES[name]
