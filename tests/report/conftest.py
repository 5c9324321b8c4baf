"""A small synthetic extract shared by the study tests."""

from __future__ import annotations

from pathlib import Path

import pytest


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
