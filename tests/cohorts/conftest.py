"""Fixtures of the cohort tests: the engine tests' tiny hand-made extracts."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))

from _tiny_extracts import make_extract  # noqa: E402, F401 - a fixture
