"""Exposure to an area in childhood (definitions.md §3), computed by the engine.

>>> from cohort.exposure import years_in_area
>>> years_in_area(ex, area="vaerebro_park", from_age=6, to_age=16)  # doctest: +SKIP
"""

from cohort.engine.exposure import resident_at_age, years_between, years_in_area

__all__ = ["resident_at_age", "years_between", "years_in_area"]
