"""Who lives where on a date: the population queries of the indicators.

Small SQL builders over the extract's canonical views (``persons``,
``residence``, ``addresses``), written with the engine's fragments in
:mod:`cohort.engine._sql` so that "lives in", "age" and the half-open spell are
defined once. They stand in for the engine's "residents of a unit on a date"
primitive and can be swapped for it.
"""

from __future__ import annotations

from cohort._sql import sql_int
from cohort.engine._sql import age_sql, covers_sql

__all__ = ["residents_sql"]


def residents_sql(
    on: str,
    *,
    where: str = "TRUE",
    ages: tuple[int, int] | None = None,
    min_age: int | None = None,
) -> str:
    """SQL selecting ``pid, age`` of the persons who live where ``where`` holds on ``on``.

    Parameters
    ----------
    on
        A DuckDB date expression (e.g. ``sql_date(...)`` of :mod:`cohort._sql`).
    where
        A predicate over the address alias ``a`` (``Unit.predicate("a")``, or
        ``a.municipality IN (...)`` for a region); ``TRUE`` is the whole country.
    ages
        Inclusive range of the age in completed years on ``on``.
    min_age
        Lowest age (inclusive) when there is no upper bound.

    Notes
    -----
    "Lives in A on d" (data-contract.md): a residence spell with
    ``moved_in <= d < moved_out`` (or open) at an address that ``addresses``
    maps to A, read literally as the engine's ``residents`` reads it (residence
    ends at death in the registers). One row per person (``EXISTS``). Callers
    keep ``d <= extract_end``: an open spell says nothing after it.

    """
    age = age_sql("p.birth_date", on)
    filters = ["TRUE"]
    if ages is not None:
        filters.append(f"{age} BETWEEN {sql_int(int(ages[0]))} AND {sql_int(int(ages[1]))}")
    if min_age is not None:
        filters.append(f"{age} >= {sql_int(int(min_age))}")
    cover = covers_sql("r.moved_in", "r.moved_out", on)
    return (
        f"SELECT p.pid, {age} AS age FROM persons p "
        f"WHERE {' AND '.join(filters)} AND EXISTS ("
        "SELECT 1 FROM residence r JOIN addresses a ON a.address_id = r.address_id "
        f"WHERE r.pid = p.pid AND {cover} AND {where})"
    )
