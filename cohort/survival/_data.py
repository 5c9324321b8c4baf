"""Turning DataFrame columns into checked numpy arrays for the estimators.

Every message names columns and counts only, never a value of a single person.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cohort.exceptions import DataError, ParameterError

__all__: list[str] = []


def as_names(name: str, value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Return a tuple of column names from a name, a list of names or None."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        msg = f"{name} must be a column name or a list of column names; got {value!r}"
        raise ParameterError(msg)
    return out


def check_columns(data: pd.DataFrame, names: Sequence[str]) -> None:
    """Raise :class:`ParameterError` if the data lack any of the named columns."""
    if not isinstance(data, pd.DataFrame):
        msg = f"data must be a pandas DataFrame; got {type(data).__name__}"
        raise ParameterError(msg)
    missing = [c for c in names if c not in data.columns]
    if missing:
        msg = f"columns not in the data: {', '.join(repr(c) for c in missing)}"
        raise ParameterError(msg)


def numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as a float array without missing or infinite values."""
    col = data[column]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        msg = (
            f"column {column!r} must be numeric (got dtype {col.dtype}); "
            "code categorical variables as 0/1 indicator columns"
        )
        raise DataError(msg)
    arr = col.to_numpy(dtype=float, na_value=np.nan)
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        msg = f"column {column!r} has {bad} missing or infinite values; drop or impute them first"
        raise DataError(msg)
    return arr


def event_indicator(data: pd.DataFrame, column: str) -> np.ndarray:
    """A 0/1 event column as a boolean array."""
    arr = numeric(data, column)
    bad = int(np.count_nonzero((arr != 0) & (arr != 1)))
    if bad:
        msg = f"event column {column!r} must be 0/1 (or boolean); {bad} rows are neither"
        raise DataError(msg)
    return arr == 1


def event_codes(data: pd.DataFrame, column: str) -> np.ndarray:
    """A competing-risks event column: 0 = censored, 1, 2, ... = the causes."""
    arr = numeric(data, column)
    bad = int(np.count_nonzero((arr < 0) | (arr != np.round(arr))))
    if bad:
        msg = (
            f"event column {column!r} must hold 0 (censored) or a positive integer "
            f"cause code; {bad} rows do not"
        )
        raise DataError(msg)
    return arr.astype(np.int64)


def times(data: pd.DataFrame, time: str, entry: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Exit times and (optional) entry times, checked: entry < exit, exit >= 0."""
    stop = numeric(data, time)
    if entry is None:
        if np.any(stop < 0):
            msg = f"column {time!r} has {int(np.sum(stop < 0))} negative times"
            raise DataError(msg)
        return stop, None
    start = numeric(data, entry)
    bad = int(np.count_nonzero(start >= stop))
    if bad:
        msg = (
            f"{bad} rows have entry ({entry!r}) not before exit ({time!r}); "
            "each row must describe an interval (entry, exit] of positive length"
        )
        raise DataError(msg)
    return stop, start


def case_weights(data: pd.DataFrame, weights: str | None, n: int) -> np.ndarray:
    """Case weights (all ones when ``weights`` is None); must be non-negative."""
    if weights is None:
        return np.ones(n)
    w = numeric(data, weights)
    if np.any(w < 0):
        msg = f"weights column {weights!r} has {int(np.sum(w < 0))} negative values"
        raise DataError(msg)
    if not np.any(w > 0):
        msg = f"weights column {weights!r} has no positive weight"
        raise DataError(msg)
    return w


def codes(data: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes 0..k-1 for the combinations of ``columns`` and a table of the levels.

    With no columns every row gets code 0 and the level table has one empty row.
    """
    n = len(data)
    if not columns:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=[0])
    for c in columns:
        nmiss = int(data[c].isna().sum())
        if nmiss:
            msg = f"column {c!r} has {nmiss} missing values"
            raise DataError(msg)
    if len(columns) == 1:
        code, uniques = pd.factorize(data[columns[0]], sort=True)
        levels = pd.DataFrame({columns[0]: np.asarray(uniques)})
        return np.asarray(code, dtype=np.int64), levels
    frame = data[list(columns)].reset_index(drop=True)
    code, uniques = pd.MultiIndex.from_frame(frame).factorize(sort=True)
    levels = uniques.to_frame(index=False)
    levels.columns = list(columns)
    return np.asarray(code, dtype=np.int64), levels


def curve_inputs(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | Sequence[str] | None,
    entry: str | None,
    weights: str | None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray | None, np.ndarray]:
    """Checked inputs of a curve estimator: group columns, stop and entry times, weights."""
    groups = as_names("group", group)
    check_columns(data, [time, event, *groups] + [c for c in (entry, weights) if c is not None])
    if len(data) == 0:
        msg = "data has no rows"
        raise DataError(msg)
    stop, start = times(data, time, entry)
    return groups, stop, start, case_weights(data, weights, len(data))

