"""Family links from ``persons`` and the parents' attributes as of a child's age.

Parents are ``persons.mother_pid`` / ``father_pid``; a parent need not be in the
extract's ``persons`` (then nothing else is known about them). Siblings share the
mother (``maternal``), or both the mother and the father (``full``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import duckdb

from cohort._params import check_int_range, check_literal, check_literals
from cohort._sql import sql_int, sql_list
from cohort.engine._keys import persons_sql
from cohort.engine._sql import birthday_sql
from cohort.engine.status import highest_level_sql
from cohort.extract import Extract

__all__ = [
    "EMPLOYED_STATUSES",
    "PARENT_ATTRIBUTES",
    "parent_attributes",
    "parent_attributes_sql",
    "parents",
    "siblings",
]

#: Labour statuses that count as employed (definitions §3, §4).
EMPLOYED_STATUSES = ("employed", "self_employed")
#: The parents' attributes :func:`parent_attributes` computes.
PARENT_ATTRIBUTES = ("mother_education", "parent_employed", "household_income")
_NEEDS = {"mother_education": "education", "parent_employed": "labour",
          "household_income": "income"}


def parents(extract: Extract, *, pids: Any = None) -> duckdb.DuckDBPyRelation:
    """Each person's mother and father.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, mother_pid, father_pid`` (NULL where unknown).

    """
    return extract.con.sql(
        f"SELECT pid, mother_pid, father_pid FROM {persons_sql(extract.con, pids)} p"
    )


def siblings(extract: Extract, *, kind: Literal["maternal", "full"] = "maternal",
             pids: Any = None) -> duckdb.DuckDBPyRelation:
    """Pairs of siblings.

    Persons with the same mother (``maternal``), or the same mother and the same
    father (``full``). A person is not their own sibling; persons without a known
    mother (or father, for ``full``) have none.

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid, sibling_pid``: one row per ordered pair (both directions).

    """
    check_literal("kind", kind, ("maternal", "full"))
    on = "s.mother_pid = p.mother_pid"
    if kind == "full":
        on += " AND s.father_pid = p.father_pid"
    return extract.con.sql(
        f"SELECT p.pid, s.pid AS sibling_pid FROM {persons_sql(extract.con, pids)} p "
        f"JOIN persons s ON {on} AND s.pid <> p.pid"
    )


def parent_attributes_sql(extract: Extract, *, age: int, persons: str = "persons",
                          attributes: Sequence[str] = PARENT_ATTRIBUTES) -> str:
    """SQL with ``pid`` and the requested attributes (see :func:`parent_attributes`)."""
    b = birthday_sql("p.birth_date", sql_int(age))
    c = (f"SELECT p.pid, p.mother_pid, p.father_pid, {b} AS d, "
         f"year(p.birth_date) + {sql_int(age)} AS y "
         f"FROM {persons} p")
    links = (
        f"SELECT pid, mother_pid AS parent, y FROM ({c}) WHERE mother_pid IS NOT NULL UNION "
        f"SELECT pid, father_pid AS parent, y FROM ({c}) WHERE father_pid IS NOT NULL"
    )
    cols = ["c.pid"]
    joins = []
    if "mother_education" in attributes:
        keys = (f"(SELECT DISTINCT mother_pid AS pid, d AS date FROM ({c}) "
                "WHERE mother_pid IS NOT NULL)")
        joins.append(f"LEFT JOIN ({highest_level_sql(keys)}) me "
                     "ON me.pid = c.mother_pid AND me.date = c.d")
        cols.append("me.level AS mother_education")
    if "parent_employed" in attributes:
        emp = sql_list(EMPLOYED_STATUSES)
        joins.append(
            "LEFT JOIN (SELECT k.pid, CAST(bool_or(l.status IN (" + emp + ")) AS INTEGER) "
            f"AS parent_employed FROM ({links}) k JOIN labour l ON l.pid = k.parent "
            "AND l.year = k.y GROUP BY k.pid) pe ON pe.pid = c.pid"
        )
        cols.append("pe.parent_employed")
    if "household_income" in attributes:
        joins.append(
            "LEFT JOIN (SELECT k.pid, sum(i.disposable_income) AS household_income "
            f"FROM ({links}) k JOIN income i ON i.pid = k.parent AND i.year = k.y "
            "GROUP BY k.pid) hi ON hi.pid = c.pid"
        )
        cols.append("hi.household_income")
    return f"SELECT {', '.join(cols)} FROM ({c}) c {' '.join(joins)}"


def parent_attributes(extract: Extract, *, age: int = 14, pids: Any = None,
                      attributes: Sequence[str] = PARENT_ATTRIBUTES
                      ) -> duckdb.DuckDBPyRelation:
    """The parents' attributes as of the child's ``age``.

    - ``mother_education``: the mother's highest completed level on the child's
      ``age``-th birthday (``primary`` when she has no completed spell; NULL when
      the mother is unknown).
    - ``parent_employed``: 1 when the mother or the father has labour status
      ``employed`` or ``self_employed`` in the year the child turns ``age``, 0
      when a parent has a labour row that year and none is employed, NULL when
      neither parent has a row.
    - ``household_income``: the sum of the parents' ``disposable_income`` in the
      year the child turns ``age`` (NULL when neither parent has an income row).

    Returns
    -------
    duckdb.DuckDBPyRelation
        Columns ``pid`` and the requested attributes: one row per person.

    """
    check_int_range("age", age, low=0, high=120)
    attributes = check_literals("attributes", attributes, PARENT_ATTRIBUTES)
    for a in attributes:
        extract.require(_NEEDS[a], purpose=f"the parents' attribute {a!r}")
    sql = parent_attributes_sql(extract, age=age, persons=persons_sql(extract.con, pids),
                                attributes=attributes)
    return extract.con.sql(sql)
