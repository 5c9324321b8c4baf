"""Fixtures for the DiD tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def mpdta(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mpdta.csv")


@pytest.fixture(scope="session")
def mpdta_reference(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mpdta_did_reference.csv")
