"""The municipality -> region table shipped with the package (DST codes)."""

from __future__ import annotations

import functools
import io
from importlib import resources

import pandas as pd

__all__ = ["regions"]


@functools.cache
def _read() -> pd.DataFrame:
    raw = resources.files("cohort").joinpath("data/municipalities.csv").read_text(
        encoding="utf-8"
    )
    df = pd.read_csv(io.StringIO(raw), dtype={"name": str, "region_name": str})
    return df.astype({"municipality": "int64", "region_code": "int64"})


def regions() -> pd.DataFrame:
    """The 98 municipalities and their regions (DST codes 1081-1085).

    Returns
    -------
    pandas.DataFrame
        Columns ``municipality`` (kommune code), ``name``, ``region_code``,
        ``region_name``; a fresh copy on every call.

    Examples
    --------
    >>> r = regions()
    >>> r.loc[r.municipality == 159, "region_name"].item()
    'Region Hovedstaden'
    >>> sorted(r.region_code.unique().tolist())
    [1081, 1082, 1083, 1084, 1085]

    """
    return _read().copy()
