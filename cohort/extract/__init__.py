"""Reading a register extract: the data contract as code.

>>> import cohort
>>> ex = cohort.read_extract("extract/")          # doctest: +SKIP
>>> ex.report["residence"].rows_quarantined        # doctest: +SKIP
"""

from cohort.extract._extract import Extract, read_extract, validate_extract
from cohort.extract._write import write_extract
from cohort.extract.report import TableReport, ValidationReport
from cohort.extract.schema import RULES, TABLES

__all__ = [
    "RULES",
    "TABLES",
    "Extract",
    "TableReport",
    "ValidationReport",
    "read_extract",
    "validate_extract",
    "write_extract",
]
