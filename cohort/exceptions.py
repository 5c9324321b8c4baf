"""The package's exceptions and warnings.

Every error the library raises on purpose derives from :class:`CohortError`.
Errors caused by the user's input (a study file, a parameter, an extract that
breaks the contract) derive from :class:`UserError`; the command line prints
their message without a traceback and exits with the class's ``exit_code``.

Messages carry table names, column names, rule names and counts only, never a
pid or any other value of a single person.

Warnings form a parallel tree rooted in :class:`CohortWarning`, so a user can
filter them by category::

    import warnings
    from cohort.exceptions import DataQualityWarning
    warnings.simplefilter("ignore", DataQualityWarning)
"""

from __future__ import annotations

__all__ = [
    "EXIT_DATA",
    "EXIT_FINDINGS",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USER",
    "CohortError",
    "CohortWarning",
    "ContractError",
    "ConvergenceWarning",
    "CprDetectedError",
    "DataError",
    "DataQualityWarning",
    "DisclosureError",
    "DisclosureWarning",
    "MissingTableError",
    "ModelError",
    "OutputError",
    "ParameterError",
    "StudyFileError",
    "UserError",
]

#: Exit codes of the command line, fixed: scripts rely on them.
EXIT_OK = 0
#: The command finished, but found something (rows quarantined, release findings).
EXIT_FINDINGS = 1
#: The input data broke the contract fatally; nothing was analysed.
EXIT_DATA = 2
#: The command was called wrongly (bad option, bad study file, missing path).
EXIT_USER = 3
#: A defect in the library itself; please report it.
EXIT_INTERNAL = 4


class CohortError(Exception):
    """Base class of every error the library raises on purpose.

    Examples
    --------
    >>> try:
    ...     raise ParameterError("bad")
    ... except CohortError as err:
    ...     print(type(err).__name__)
    ParameterError

    """

    exit_code: int = EXIT_INTERNAL


class UserError(CohortError):
    """An error in what the user asked for or gave; printed without a traceback.

    Examples
    --------
    >>> raise UserError("the study file names no extract")
    Traceback (most recent call last):
    ...
    cohort.exceptions.UserError: the study file names no extract

    """

    exit_code = EXIT_USER


class ParameterError(UserError, ValueError):
    """A parameter has a value outside what it allows.

    Examples
    --------
    >>> from cohort._params import check_literal
    >>> check_literal("format", "xlsx", ("parquet", "csv", "dst"))
    Traceback (most recent call last):
    ...
    cohort.exceptions.ParameterError: format must be one of 'parquet', 'csv', 'dst'; got 'xlsx'

    """


class StudyFileError(UserError):
    """A study file is missing, unreadable, or has an unknown or invalid key.

    Examples
    --------
    >>> raise StudyFileError("study.toml: unknown key 'analysis' (allowed: 'analyses')")
    Traceback (most recent call last):
    ...
    cohort.exceptions.StudyFileError: study.toml: unknown key 'analysis' (allowed: 'analyses')

    """


class DataError(UserError):
    """The register extract cannot be used as it is.

    Examples
    --------
    >>> raise DataError("extract.toml is missing")
    Traceback (most recent call last):
    ...
    cohort.exceptions.DataError: extract.toml is missing

    """

    exit_code = EXIT_DATA


class ContractError(DataError):
    """A table breaks the contract fatally; validation stops.

    The table is unreadable, lacks a required column, or has a column that
    cannot be converted to its type.

    Examples
    --------
    >>> raise ContractError("persons.csv: required column 'birth_date' is missing")
    Traceback (most recent call last):
    ...
    cohort.exceptions.ContractError: persons.csv: required column 'birth_date' is missing

    """


class CprDetectedError(ContractError):
    """Values shaped like CPR numbers were found.

    Validation stops before anything is written.

    Examples
    --------
    >>> raise CprDetectedError("persons.csv, column 'pid': CPR-like values (rule cpr_shaped)")
    Traceback (most recent call last):
    ...
    cohort.exceptions.CprDetectedError: persons.csv, column 'pid': CPR-like values (rule cpr_shaped)

    """


class MissingTableError(DataError):
    """An analysis needs an optional table that the extract does not have.

    Examples
    --------
    >>> raise MissingTableError("the indicator 'exam_grades' needs the table 'exams'")
    Traceback (most recent call last):
    ...
    cohort.exceptions.MissingTableError: the indicator 'exam_grades' needs the table 'exams'

    """


class ModelError(DataError):
    """The data cannot identify a model: a singular or collinear design, no events.

    A :class:`DataError` (exit code 2): the fix lies in the data or the model's
    specification, not in the code.

    Examples
    --------
    >>> raise ModelError("there are no events; a Cox model cannot be fitted")
    Traceback (most recent call last):
    ...
    cohort.exceptions.ModelError: there are no events; a Cox model cannot be fitted

    """


class OutputError(UserError):
    """An output folder cannot be used or written.

    It is not ours, it is busy, or the disk or the permissions refuse it. Nothing
    of the user's is touched.

    Examples
    --------
    >>> OutputError("release: a folder that is not a release of this study").exit_code
    3

    """


class DisclosureError(UserError):
    """An output would breach disclosure control, or its settings are invalid.

    Examples
    --------
    >>> raise DisclosureError("threshold must be at least 1")
    Traceback (most recent call last):
    ...
    cohort.exceptions.DisclosureError: threshold must be at least 1

    """


class CohortWarning(UserWarning):
    """Base class of the library's warnings."""


class DataQualityWarning(CohortWarning):
    """Input data are usable but something in them deserves a look."""


class ConvergenceWarning(CohortWarning):
    """A model fit did not converge or converged to a boundary."""


class DisclosureWarning(CohortWarning):
    """Disclosure control suppressed or changed part of an output."""
