"""Residents of the units on given dates, with their resource status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cohort._sql import sql_date
from cohort.engine._sql import covers_sql
from cohort.extract import Extract
from cohort.flows._moves import AreaSpec, spells_sql
from cohort.flows._status import ResourceDefinition, resource_status_sql

__all__ = ["residents_sql"]


def residents_sql(
    extract: Extract,
    spec: AreaSpec,
    dates: Iterable[dt.date],
    *,
    definition: ResourceDefinition,
) -> str:
    """Persons living in each unit on each date (a spell cut at death covers it).

    Columns: ``unit, pid, date, mun, area, birth_date, age, resource_status``.
    """
    values = ", ".join(f"({sql_date(d)})" for d in dates)
    parts = []
    for kind in spec.kinds:
        key = spec.key_sql(kind, area="x.area", municipality="x.mun")
        parts.append(
            f"SELECT {key} AS unit, x.pid, t.d AS date, x.mun, x.area, p.birth_date "
            f"FROM ({spells_sql(extract)}) x JOIN (VALUES {values}) t(d) "
            f"ON {covers_sql('x.s', 'x.e', 't.d')} JOIN persons p ON x.pid = p.pid "
            f"WHERE {key} IS NOT NULL"
        )
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return resource_status_sql(union, date="date", birth="birth_date", definition=definition)
