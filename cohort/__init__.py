"""cohort: register-based cohort and moving-pattern studies.

The few names a script needs are re-exported here::

    import cohort
    ex = cohort.read_extract("extract/")
"""

from __future__ import annotations

from cohort.exceptions import CohortError, CohortWarning, UserError

__all__ = [
    "CohortError",
    "CohortWarning",
    "UserError",
    "__version__",
    "build_cohort",
    "read_extract",
]

__version__ = "0.1.0"


def __getattr__(name: str):  # lazy: importing cohort stays cheap
    if name == "read_extract":
        from cohort.extract import read_extract

        return read_extract
    if name == "build_cohort":
        from cohort.cohorts import build_cohort

        return build_cohort
    msg = f"module 'cohort' has no attribute {name!r}"
    raise AttributeError(msg)
