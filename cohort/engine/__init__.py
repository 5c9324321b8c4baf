"""The linkage engine: relational work on the extract in DuckDB."""

from cohort.engine.units import Unit, parse_unit

__all__ = ["Unit", "parse_unit"]
