"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# CI runs the property tests on a fixed set of examples (same run, same result);
# a developer's run explores new ones each time.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Reference data (R results, public data sets), committed under tests/data."""
    return ROOT / "tests" / "data" / "reference"


# -- a small synthetic extract and a study file, shared by the study and report tests
@pytest.fixture(scope="session")
def small_extract(tmp_path_factory) -> Path:
    from cohort.synth import synthesise

    path = tmp_path_factory.mktemp("study") / "extract"
    synthesise(path, persons=20_000, seed=3)
    return path


@pytest.fixture
def study_file(tmp_path) -> Path:
    text = """
[study]
name = "test study"
seed = 7

[units]
target = "vaerebro_park"
municipality = 159
comparison = ["tingbjerg", "gellerup", "vollsmose"]

[analyses.indicators]
years = [2016, 2018]

[analyses.vulnerable_area]
list_years = [2018, 2019]
"""
    p = tmp_path / "study.toml"
    p.write_text(text)
    return p
