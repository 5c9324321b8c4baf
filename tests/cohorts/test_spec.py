"""The cohort spec: defaults, TOML round trip, validation messages."""

from __future__ import annotations

import dataclasses

import pytest

from cohort.cohorts import (
    CensoringSpec,
    CohortSpec,
    ComparisonSpec,
    ExposureSpec,
    OutcomeSpec,
)
from cohort.exceptions import ParameterError, StudyFileError

EXAMPLE = """
[cohort]
birth_years = [1995, 2000]
target_area = "vaerebro_park"

[cohort.exposure]
form = "years_in_area"
from_age = 6
to_age = 16
threshold_years = 5

[cohort.comparison]
kind = "areas"
areas = ["other_estate"]

[cohort.censoring]
max_follow_up_years = 8
"""


def test_defaults_follow_definitions():
    s = CohortSpec()
    assert s.birth_years == (1990, 2005)
    assert s.target_area == "vaerebro_park"
    assert s.exposure == ExposureSpec("resident_at_age", 15, 6, 16, 5.0)
    assert s.comparison.kind == "municipality"
    assert s.outcomes.names == ("youth_education_start", "youth_education_completion",
                                "employment")
    assert s.censoring.max_follow_up_years == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.target_area = "x"  # type: ignore[misc]


def test_toml_example_and_round_trip():
    s = CohortSpec.from_toml(EXAMPLE)
    assert s.birth_years == (1995, 2000)
    assert s.exposure.form == "years_in_area"
    assert s.exposure.threshold_years == 5.0
    assert s.comparison == ComparisonSpec("areas", ("other_estate",))
    assert s.censoring == CensoringSpec(8)
    assert s.outcomes == OutcomeSpec()
    assert CohortSpec.from_toml(s.to_toml()) == s
    assert CohortSpec.from_toml(s.to_toml("cohort")) == s
    assert s.to_toml("cohort").startswith("[cohort]\nbirth_years = [1995, 2000]\n")


@pytest.mark.parametrize(("text", "error", "message"), [
    ("[exposure]\nform = 'ever'", ParameterError,
     "exposure.form must be one of 'resident_at_age', 'years_in_area'; got 'ever'"),
    ("birth_years = [2005, 1990]", ParameterError, "first <= last"),
    ("birth_years = 1990", ParameterError, "birth_years must be a list; got 1990"),
    ("target_area = 'area:x'", ParameterError, "target_area must be an area name"),
    ("[outcomes]\nnames = ['death']", ParameterError,
     "outcomes.names must be one of 'youth_education_start', "
     "'youth_education_completion', 'employment', 'first_conviction'; got 'death'"),
    ("[comparison]\nkind = 'areas'", ParameterError, "comparison.areas must name at least one"),
    ("[censoring]\nmax_follow_up_years = 0", ParameterError,
     r"censoring.max_follow_up_years must lie in \[1, 100\]; got 0"),
    ("[exposure]\nthreshold_years = 11", ParameterError,
     r"exposure.threshold_years must lie in \[0, 10\]"),
    ("covariates = ['income']", ParameterError, "covariates must be one of 'sex'"),
    ("exposures = 1", StudyFileError, "cohort: unknown key 'exposures' \\(allowed: "),
    ("[exposure]\nforms = 1", StudyFileError, "cohort.exposure: unknown key 'forms'"),
    ("exposure = 3", StudyFileError, "cohort.exposure must be a table"),
    ("birth_years = [", StudyFileError, "not valid TOML"),
])
def test_validation_names_the_key(text, error, message):
    with pytest.raises(error, match=message):
        CohortSpec.from_toml(text)
