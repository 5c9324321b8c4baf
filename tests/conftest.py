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


def _shared_dir() -> Path:
    env = os.environ.get("COHORT_SHARED")
    if env:
        return Path(env)
    return ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared folder (reference data); skip nothing: it must exist."""
    path = _shared_dir()
    if not path.is_dir():
        msg = f"shared folder not found at {path}; set COHORT_SHARED"
        raise FileNotFoundError(msg)
    return path


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Reference data (R results, public data sets), committed under tests/data."""
    return ROOT / "tests" / "data" / "reference"
