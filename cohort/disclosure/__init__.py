"""Disclosure control, the release checker, pseudonymisation and provenance.

The rules (:mod:`~cohort.disclosure.rules`, :mod:`~cohort.disclosure.models`)
are pure functions over DataFrames; :class:`Release` is the one place they are
applied on the way out; :func:`check_release` scans a folder before it leaves
the server. See ``docs/disclosure.md``.
"""

from __future__ import annotations

from cohort.disclosure.check import Finding, ReleaseCheck, check_release
from cohort.disclosure.logfilter import PidScrubFilter, install_log_filter
from cohort.disclosure.models import km_release, suppress_model_output
from cohort.disclosure.policy import (
    CellRef,
    Counts,
    Curve,
    Derived,
    ModelOutput,
    Policy,
    Relation,
    RestsOn,
    RiskTableRef,
    same_cells,
)
from cohort.disclosure.pseudonymise import (
    PSEUDONYM_HEX,
    PseudonymiseReport,
    SecretKey,
    generate_key_file,
    pseudonymise_file,
    pseudonymise_values,
    read_key,
)
from cohort.disclosure.release import MANIFEST, Release, sha256_file
from cohort.disclosure.rules import (
    DisclosureSettings,
    SuppressionLog,
    SuppressionResult,
    round_count,
    round_counts,
    suppress_counts,
)
from cohort.disclosure.whole import ReleaseSystem

__all__ = [
    "MANIFEST",
    "PSEUDONYM_HEX",
    "CellRef",
    "Counts",
    "Curve",
    "Derived",
    "DisclosureSettings",
    "Finding",
    "ModelOutput",
    "PidScrubFilter",
    "Policy",
    "PseudonymiseReport",
    "Relation",
    "Release",
    "ReleaseCheck",
    "ReleaseSystem",
    "RestsOn",
    "RiskTableRef",
    "SecretKey",
    "SuppressionLog",
    "SuppressionResult",
    "check_release",
    "generate_key_file",
    "install_log_filter",
    "km_release",
    "pseudonymise_file",
    "pseudonymise_values",
    "read_key",
    "round_count",
    "round_counts",
    "same_cells",
    "sha256_file",
    "suppress_counts",
    "suppress_model_output",
]
