"""Checking and reshaping a long panel into the arrays the estimators use.

The estimators work on a *wide* panel: one row per unit, one column per period,
with the units sorted by id. Everything here is plain pandas/numpy; nothing
knows about registers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort.exceptions import DataError, DataQualityWarning, ParameterError

__all__ = ["WidePanel", "check_columns", "design_columns", "to_wide_panel"]


@dataclass(frozen=True)
class WidePanel:
    """A balanced panel as arrays (internal).

    Attributes
    ----------
    ids : unit ids, sorted (n,)
    times : the periods, sorted (T,)
    y : outcomes (n, T)
    g : first treated period per unit; ``inf`` for never treated (n,)
    w : sampling weights per unit, mean one (n,)
    x : design per period (T, n, k) including the intercept; ``None`` when
        the design is the intercept only
    x_names : names of the design's columns
    cluster : cluster code per unit (n,) or ``None``
    n_dropped_unbalanced, n_dropped_first : units dropped, for the summary

    """

    ids: np.ndarray
    times: np.ndarray
    y: np.ndarray
    g: np.ndarray
    w: np.ndarray
    x: np.ndarray | None
    x_names: tuple[str, ...]
    cluster: np.ndarray | None
    n_dropped_unbalanced: int
    n_dropped_first: int
    n_dropped_missing: int


def check_columns(data: pd.DataFrame, names: dict[str, str | None]) -> None:
    """Raise :class:`ParameterError` if a named column is missing from ``data``."""
    if not isinstance(data, pd.DataFrame):
        msg = f"data must be a pandas DataFrame; got {type(data).__name__}"
        raise ParameterError(msg)
    for param, col in names.items():
        if col is not None and col not in data.columns:
            msg = f"{param}={col!r} is not a column of data (columns: {len(data.columns)})"
            raise ParameterError(msg)


def design_columns(
    data: pd.DataFrame, covariates: Sequence[str] | None, xformla: str | None
) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Return the design matrix (with intercept) for the rows of ``data``.

    ``covariates`` names numeric columns; ``xformla`` is a formula's right-hand
    side such as ``"~ lpop + C(region)"`` (needs patsy). Returns ``(None,
    ("(Intercept)",))`` for the intercept-only design.
    """
    if covariates is not None and xformla is not None:
        msg = "give covariates or xformla, not both"
        raise ParameterError(msg)
    if xformla is not None:
        text = xformla.strip()
        if text.replace(" ", "") in ("~1", "1", ""):
            return None, ("(Intercept)",)
        try:
            import patsy
        except ImportError as err:  # pragma: no cover - patsy ships with statsmodels
            msg = "xformla needs patsy; pass covariates=[...] instead"
            raise ParameterError(msg) from err
        rhs = text[1:] if text.startswith("~") else text
        try:
            mat = patsy.dmatrix(rhs, data, NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as err:
            msg = f"xformla {xformla!r} cannot be evaluated: {err.message}"
            raise ParameterError(msg) from err
        return mat.to_numpy(dtype=float), tuple(str(c) for c in mat.columns)
    if not covariates:
        return None, ("(Intercept)",)
    cols = list(covariates)
    check_columns(data, {f"covariates[{i}]": c for i, c in enumerate(cols)})
    x = data[cols].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(data)), x])
    return x, ("(Intercept)", *cols)


def to_wide_panel(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    covariates: Sequence[str] | None,
    xformla: str | None,
    weightsname: str | None,
    clustervar: str | None,
    anticipation: int,
) -> WidePanel:
    """Validate a long panel and return it as a balanced :class:`WidePanel`.

    Rows with a missing value in a used column are dropped, then units not
    observed in every period (R's ``did`` does the same, with a warning), then
    units already treated in the first period (+ anticipation).
    """
    check_columns(
        data,
        {"yname": yname, "tname": tname, "idname": idname, "gname": gname,
         "weightsname": weightsname, "clustervars": clustervar},
    )
    used = [yname, tname, idname, gname]
    if weightsname is not None:
        used.append(weightsname)
    if clustervar is not None:
        used.append(clustervar)
    if covariates:
        used.extend(c for c in covariates if c not in used)
    df = data
    if xformla is None:
        df = data[used]
    n_rows = len(df)
    df = df.dropna(subset=used)
    n_dropped_missing = n_rows - len(df)
    if n_dropped_missing:
        warnings.warn(
            f"dropped {n_dropped_missing} rows with missing values in {', '.join(used)}",
            DataQualityWarning,
            stacklevel=3,
        )
    if df.duplicated(subset=[idname, tname]).any():
        k = int(df.duplicated(subset=[idname, tname]).sum())
        msg = f"{k} rows repeat a ({idname}, {tname}) pair; a panel has one row per unit and period"
        raise DataError(msg)
    for col in (yname, tname, gname):
        if not pd.api.types.is_numeric_dtype(df[col]):
            msg = f"column {col!r} must be numeric; got {df[col].dtype}"
            raise DataError(msg)
    # time-invariant group (and cluster, weights)
    for col, param in ((gname, "gname"), (clustervar, "clustervars"), (weightsname, "weightsname")):
        if col is None:
            continue
        nun = df.groupby(idname, sort=False)[col].nunique()
        if (nun > 1).any():
            k = int((nun > 1).sum())
            msg = f"{param}={col!r} varies within unit for {k} units; it must be constant"
            raise DataError(msg)

    times_all = np.sort(df[tname].unique())
    counts = df.groupby(idname, sort=False)[tname].size()
    incomplete = counts.index[counts.to_numpy() < len(times_all)]
    n_unbal = len(incomplete)
    if n_unbal:
        warnings.warn(
            f"{n_unbal} units are missing in some periods; dropping them to balance the panel",
            DataQualityWarning,
            stacklevel=3,
        )
        df = df[~df[idname].isin(incomplete)]
    if len(df) == 0:
        msg = "no units are observed in every period; nothing left to estimate"
        raise DataError(msg)

    df = df.sort_values([idname, tname], kind="mergesort")
    times = np.sort(df[tname].unique()).astype(float)
    n_t = len(times)
    n_units = len(df) // n_t
    ids = df[idname].to_numpy()[::n_t]
    y = df[yname].to_numpy(dtype=float).reshape(n_units, n_t)
    g = df[gname].to_numpy(dtype=float)[::n_t].copy()
    g[g == 0] = np.inf
    g[g > times[-1] + anticipation] = np.inf
    if weightsname is not None:
        w = df[weightsname].to_numpy(dtype=float)[::n_t]
        if (w < 0).any():
            msg = f"weightsname={weightsname!r} has negative values"
            raise DataError(msg)
    else:
        w = np.ones(n_units)
    cluster = None
    if clustervar is not None:
        cluster = pd.factorize(df[clustervar].to_numpy()[::n_t], sort=True)[0]
    xmat, x_names = design_columns(df, covariates, xformla)
    x = None if xmat is None else xmat.reshape(n_units, n_t, -1).transpose(1, 0, 2).copy()

    first = np.isfinite(g) & (g <= times[0] + anticipation)
    n_first = int(first.sum())
    if n_first:
        warnings.warn(
            f"dropped {n_first} units already treated in the first period",
            DataQualityWarning,
            stacklevel=3,
        )
        keep = ~first
        ids, y, g, w = ids[keep], y[keep], g[keep], w[keep]
        x = None if x is None else x[:, keep, :]
        cluster = None if cluster is None else cluster[keep]
    w = w / w.mean()
    return WidePanel(
        ids=ids, times=times, y=y, g=g, w=w, x=x, x_names=x_names, cluster=cluster,
        n_dropped_unbalanced=n_unbal, n_dropped_first=n_first,
        n_dropped_missing=n_dropped_missing,
    )


def area_period_cells(
    data: pd.DataFrame,
    *,
    yname: str,
    idname: str,
    tname: str,
    treated_unit: object,
    treat_start: float,
    min_pre: int = 1,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Area x period means for the one-treated-area methods, and the post mask.

    Every area needs an observation in every period, the treated unit must be
    an area, and ``treat_start`` must leave at least ``min_pre`` periods before
    it and one from it on.
    """
    check_columns(data, {"yname": yname, "idname": idname, "tname": tname})
    df = data[[yname, idname, tname]].dropna()
    cells = df.groupby([idname, tname], sort=True)[yname].mean().unstack(tname)
    if cells.isna().any().any():
        msg = "every area needs at least one observation in every period"
        raise DataError(msg)
    if treated_unit not in cells.index:
        msg = f"treated_unit is not a value of {idname!r}"
        raise ParameterError(msg)
    post = cells.columns.to_numpy() >= treat_start
    if not post.any() or (~post).sum() < min_pre:
        before = "one period" if min_pre == 1 else f"{min_pre} periods"
        msg = f"treat_start must leave at least {before} before and one from it on"
        raise ParameterError(msg)
    return cells, post

