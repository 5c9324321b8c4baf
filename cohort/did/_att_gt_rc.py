"""ATT(g,t) for repeated cross-sections and unbalanced panels (R's ``panel = FALSE`` path).

Every observation is used on its own: a cell holds the observations of the
two periods that belong to the treated or comparison group, the repeated
cross-section 2x2 estimator (:mod:`cohort.did._drdid_rc`) gives one influence
value per observation, scaled by ``n / n_cell`` (``n`` units, ``n_cell``
observations in the cell) and summed within unit. For true repeated
cross-sections each observation is its own unit; for an unbalanced panel the
unit is the id, so the influence function, and every SE from it, is clustered
by unit (R's ``allow_unbalanced_panel = TRUE``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort.did._drdid import EstimationFailed
from cohort.did._drdid_rc import ESTIMATORS_RC
from cohort.did._prep import check_columns, design_columns
from cohort.exceptions import CohortWarning, DataError, DataQualityWarning

__all__ = ["LongData", "rc_cells", "to_long"]


@dataclass(frozen=True)
class LongData:
    """Observations as arrays (internal); ``unit`` codes index the units 0..n-1."""

    unit: np.ndarray
    tidx: np.ndarray
    times: np.ndarray
    y: np.ndarray
    g: np.ndarray
    w: np.ndarray
    x: np.ndarray | None
    x_names: tuple[str, ...]
    n_units: int
    unit_ids: np.ndarray
    unit_g: np.ndarray
    unit_w: np.ndarray
    cluster: np.ndarray | None
    notes: tuple[str, ...]


def to_long(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str | None,
    gname: str,
    covariates: Sequence[str] | None,
    xformla: str | None,
    weightsname: str | None,
    clustervar: str | None,
    anticipation: int,
) -> LongData:
    """Validate long data; ``idname=None`` makes every row its own unit."""
    check_columns(data, {"yname": yname, "tname": tname, "idname": idname, "gname": gname,
                         "weightsname": weightsname, "clustervars": clustervar})
    used = [c for c in (yname, tname, idname, gname, weightsname, clustervar) if c is not None]
    used += [c for c in (covariates or []) if c not in used]
    n_rows = len(data)
    df = data.dropna(subset=used) if xformla is not None else data[used].dropna()
    notes: list[str] = []
    if len(df) < n_rows:
        warnings.warn(f"dropped {n_rows - len(df)} rows with missing values", DataQualityWarning,
                      stacklevel=3)
        notes.append(f"{n_rows - len(df)} rows with missing values dropped")
    if idname is not None:
        if df.duplicated(subset=[idname, tname]).any():
            msg = f"some rows repeat a ({idname}, {tname}) pair"
            raise DataError(msg)
        for col in (gname, clustervar):
            if col is not None and (df.groupby(idname)[col].nunique() > 1).any():
                msg = f"column {col!r} varies within unit; it must be constant"
                raise DataError(msg)
    g = df[gname].to_numpy(dtype=float).copy()
    times = np.sort(df[tname].unique()).astype(float)
    g[g == 0] = np.inf
    g[g > times[-1] + anticipation] = np.inf
    first = np.isfinite(g) & (g <= times[0] + anticipation)
    if first.any():
        warnings.warn(f"dropped {int(first.sum())} observations of units already treated in "
                      "the first period", DataQualityWarning, stacklevel=3)
        notes.append(f"{int(first.sum())} observations treated in the first period dropped")
        df, g = df[~first], g[~first]
    xmat, x_names = design_columns(df, covariates, xformla)
    ids = df[idname].to_numpy() if idname is not None else np.arange(len(df))
    unit, uniques = pd.factorize(ids, sort=True)
    n_units = int(unit.max()) + 1
    w = df[weightsname].to_numpy(dtype=float) if weightsname else np.ones(len(df))
    w = w / w.mean()
    cnt = np.bincount(unit, minlength=n_units)
    unit_w = np.bincount(unit, weights=w, minlength=n_units) / cnt
    unit_g = np.full(n_units, np.inf)
    unit_g[unit] = g
    cluster = None
    if clustervar is not None:
        codes = pd.factorize(df[clustervar].to_numpy(), sort=True)[0]
        cluster = np.zeros(n_units, dtype=np.int64)
        cluster[unit] = codes
    tidx = np.searchsorted(times, df[tname].to_numpy(dtype=float))
    return LongData(unit=unit, tidx=tidx, times=times, y=df[yname].to_numpy(dtype=float), g=g,
                    w=w, x=xmat, x_names=x_names, n_units=n_units,
                    unit_ids=np.asarray(uniques), unit_g=unit_g,
                    unit_w=unit_w, cluster=cluster, notes=tuple(notes))


def restrict_no_never(ld: LongData, control_group: str, anticipation: int):
    """R's rule without never-treated units; returns (data, treated groups, notes)."""
    notes = list(ld.notes)
    if np.isinf(ld.g).any():
        glist = np.unique(ld.g[np.isfinite(ld.g)])
    else:
        latest = float(ld.g.max())
        keep = ld.times[ld.tidx] < latest - anticipation
        g = ld.g.copy()
        if control_group == "nevertreated":
            g[g == latest] = np.inf
            warnings.warn("no never-treated units: the last cohort serves as never treated and "
                          "periods from its treatment on are dropped", CohortWarning,
                          stacklevel=3)
            notes.append("last-treated cohort used as the never-treated comparison group")
        times = ld.times[ld.times < latest - anticipation]
        if len(times) < 2:
            msg = "no never-treated units and too few periods before the last cohort is treated"
            raise DataError(msg)
        unit_g = ld.unit_g.copy()
        if control_group == "nevertreated":
            unit_g[unit_g == latest] = np.inf
        ld = LongData(unit=ld.unit[keep], tidx=ld.tidx[keep], times=times, y=ld.y[keep],
                      g=g[keep], w=ld.w[keep], x=None if ld.x is None else ld.x[keep],
                      x_names=ld.x_names, n_units=ld.n_units, unit_ids=ld.unit_ids,
                      unit_g=unit_g, unit_w=ld.unit_w,
                      cluster=ld.cluster, notes=ld.notes)
        glist = np.unique(g[np.isfinite(g)])
        glist = glist[glist < latest]
    glist = glist[glist > ld.times[0] + anticipation]
    if len(glist) == 0:
        msg = "no treated groups: gname should hold the first treated period (0 if never treated)"
        raise DataError(msg)
    return ld, glist, notes


def rc_cells(ld: LongData, glist, *, control_group, anticipation, base_period, est_method):
    """All ATT(g,t) cells; returns (group, time, att, influence n x K, post)."""
    times, n_t, n = ld.times, len(ld.times), ld.n_units
    est = ESTIMATORS_RC[est_method]
    tfac = 1 if base_period == "varying" else 0
    never = np.isinf(ld.g)
    by_period = [np.flatnonzero(ld.tidx == k) for k in range(n_t)]
    inf_mat = np.zeros((n, len(glist) * (n_t - tfac)), order="F")
    groups, tt, atts, posts = [], [], [], []
    for g in glist:
        pret_g = int(np.flatnonzero(times + anticipation < g)[-1])
        for t in range(n_t - tfac):
            cur = t + tfac
            is_post = g <= times[cur]
            pret = pret_g if (base_period == "universal" or is_post) else t
            col = inf_mat[:, len(atts)]
            groups.append(g)
            tt.append(times[cur])
            posts.append(bool(is_post))
            if base_period == "universal" and pret == cur:
                atts.append(0.0)
                continue
            rows = np.sort(np.r_[by_period[cur], by_period[pret]])
            gr = ld.g[rows]
            is_g = gr == g
            if control_group == "nevertreated":
                is_c = never[rows]
            else:
                cutoff = times[max(t, pret) + tfac] + anticipation
                is_c = never[rows] | ((gr > cutoff) & ~is_g)
            rows = rows[is_g | is_c]
            d = (ld.g[rows] == g).astype(float)
            post = (ld.tidx[rows] == cur).astype(float)
            try:
                _check_cell(d, post)
                att, inf = est(ld.y[rows], post, d, None if ld.x is None else ld.x[rows],
                               ld.w[rows])
            except EstimationFailed as err:
                warnings.warn(f"ATT({g:g}, {times[cur]:g}) not estimated: {err}", CohortWarning,
                              stacklevel=3)
                col[:] = np.nan
                atts.append(np.nan)
                continue
            col[:] = np.bincount(ld.unit[rows], weights=(n / len(rows)) * inf, minlength=n)
            atts.append(att)
    return np.array(groups), np.array(tt), np.array(atts), inf_mat, np.array(posts)


def _check_cell(d: np.ndarray, post: np.ndarray) -> None:
    for mask, what in (((d == 1) & (post == 1), "treated units in the period"),
                       ((d == 1) & (post == 0), "treated units in the base period"),
                       ((d == 0) & (post == 1), "comparison units in the period"),
                       ((d == 0) & (post == 0), "comparison units in the base period")):
        if not mask.any():
            msg = f"no {what}"
            raise EstimationFailed(msg)
