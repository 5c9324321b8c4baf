"""Fixtures of synthetic extracts, shared by the synth tests (and reusable elsewhere).

- ``synth_extract``: a small extract (SMALL_PERSONS persons, seed SMALL_SEED),
  written once per session; its path.
- ``synth_default_extract``: the demo's default size and seed (DEFAULT_PERSONS,
  DEFAULT_SEED; what the
  calibration is checked on), written once per session; its path.
- ``load_tables``: a function ``(path, names) -> {name: DataFrame}`` reading the
  tables of an extract folder with ``datetime64`` date columns (what the oracle
  expects).
- ``oracle``: the literal oracle module ``tests/oracles/social_balance.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cohort.synth import DEFAULT_PERSONS, DEFAULT_SEED, synthesise

SMALL_PERSONS = 20_000
SMALL_SEED = 7
_ORACLE = Path(__file__).resolve().parents[1] / "oracles" / "social_balance.py"


def _load_tables(path: Path, names) -> dict:
    """Canonical parquet tables of an extract folder as DataFrames."""
    return {
        n: pq.read_table(Path(path) / f"{n}.parquet").to_pandas(date_as_object=False) for n in names
    }


def _load_oracle():
    """The literal oracle of the six indicators (tests/oracles/social_balance.py)."""
    spec = importlib.util.spec_from_file_location("social_balance_oracle", _ORACLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synth_extract(tmp_path_factory) -> Path:
    """A small synthetic extract (20,000 persons, seed 7), written once per session."""
    out = tmp_path_factory.mktemp("synth") / "small"
    synthesise(out, persons=SMALL_PERSONS, seed=SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def synth_default_extract(tmp_path_factory) -> Path:
    """The default-size synthetic extract (the demo's: 300,000 persons, seed 3)."""
    out = tmp_path_factory.mktemp("synth") / "default"
    synthesise(out, persons=DEFAULT_PERSONS, seed=DEFAULT_SEED)
    return out


@pytest.fixture(scope="session")
def load_tables():
    """``(path, names) -> {name: DataFrame}`` for the parquet tables of an extract."""
    return _load_tables


@pytest.fixture(scope="session")
def oracle():
    """The literal oracle of the six indicators."""
    return _load_oracle()
