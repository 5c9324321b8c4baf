"""The proportional-hazards test of R survival >= 3.0 (``cox.zph``).

For each covariate *j* the Cox model is extended by a term ``beta_j' x_j g(t)``
with ``g`` a transform of time centred on the event times; the score test for
``beta' = 0`` at the fitted ``beta`` uses the full ``2p x 2p`` information matrix
(survival 3.0 onwards), not the Grambsch-Therneau (1994) approximation from
the scaled Schoenfeld residuals that survival < 3.0 and lifelines use.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from cohort._params import check_literal
from cohort.exceptions import ParameterError
from cohort.survival._cox import CoxData
from cohort.survival._cox_core import evaluate, information, schoenfeld
from cohort.survival._km import at_risk_counts
from cohort.survival.results import CoxResult, ZphResult

__all__ = ["cox_zph"]

Transform = Literal["km", "identity", "rank", "log"]


def _left_km(stop: np.ndarray, entry: np.ndarray | None, event: np.ndarray) -> np.ndarray:
    """``S(t-)`` of the pooled, unweighted KM curve at each row's exit time."""
    t, inv = np.unique(stop, return_inverse=True)
    d = np.bincount(inv, weights=event.astype(float), minlength=t.shape[0])
    n = at_risk_counts(stop, entry, np.ones(stop.shape[0]), t)
    surv = np.cumprod(np.where(n > 0, 1 - d / np.where(n > 0, n, 1), 1.0))
    left = np.concatenate([[1.0], surv[:-1]])
    return left[inv]


def _transformed(cd: CoxData, transform: str) -> np.ndarray:
    """``g(t)`` at each row's exit time, not centred."""
    times = cd.stop
    if transform == "identity":
        g = times.copy()
    elif transform == "log":
        if np.any(times <= 0):
            msg = "transform='log' needs positive exit times"
            raise ParameterError(msg)
        g = np.log(times)
    elif transform == "rank":
        g = stats.rankdata(times)
    else:
        g = 1.0 - _left_km(times, cd.entry, cd.event)
    return g


def cox_zph(
    fit: CoxResult,
    data: pd.DataFrame,
    *,
    transform: Transform = "km",
    global_test: bool = True,
) -> ZphResult:
    """Test proportional hazards of a fitted Cox model, as R's ``cox.zph``.

    Parameters
    ----------
    fit : CoxResult
        The model, from :func:`cohort.survival.cox`.
    data : DataFrame
        The data it was fitted on (the same rows).
    transform : {"km", "identity", "rank", "log"}
        The time scale ``g(t)``: ``"km"`` is ``1 - S(t-)`` of the pooled
        Kaplan-Meier curve (R's default).
    global_test : bool
        Add the joint test of all terms.

    Returns
    -------
    ZphResult
        ``table`` with ``term, chisq, df, p``; the scaled Schoenfeld
        residuals ``y`` at the event times ``x`` (transformed) for plotting.

    """
    check_literal("transform", transform, ("km", "identity", "rank", "log"))
    if not isinstance(fit, CoxResult) or not fit.spec:
        msg = "fit must be the result of cohort.survival.cox"
        raise ParameterError(msg)
    spec = fit.spec
    if len(data) != fit.n:
        msg = f"data has {len(data)} rows but the model was fitted on {fit.n}; pass the same rows"
        raise ParameterError(msg)
    cd = CoxData(
        data,
        time=spec["time"],
        event=spec["event"],
        covariates=spec["covariates"],
        entry=spec["entry"],
        strata=spec["strata"],
        weights=spec["weights"],
        cluster=None,
    )
    rs = cd.risk_sets
    beta = np.asarray(fit.coef)
    e = evaluate(rs, cd.x, cd.weights, beta, efron=fit.ties == "efron", with_info=False)
    graw = _transformed(cd, transform)
    gtime = graw - graw[cd.event].mean()
    # g(t) of each event group: every event of a group shares its exit time
    gamma = np.zeros(rs.n_groups)
    gamma[rs.event_group] = gtime[rs.event_rows]
    p = beta.shape[0]
    ones = np.ones(rs.n_groups)
    i11 = information(rs, cd.x, cd.weights, e, ones)
    i12 = information(rs, cd.x, cd.weights, e, gamma)
    i22 = information(rs, cd.x, cd.weights, e, gamma * gamma)
    imat = np.block([[i11, i12], [i12.T, i22]])
    u2 = gamma @ e.group_score
    u = np.concatenate([np.zeros(p), u2])
    rows = []
    for j, term in enumerate(fit.terms):
        kk = np.concatenate([np.arange(p), [p + j]])
        uj = u[kk]
        stat = float(uj @ np.linalg.solve(imat[np.ix_(kk, kk)], uj))
        rows.append((term, stat, 1))
    if global_test:
        stat = float(u @ np.linalg.solve(imat, u))
        rows.append(("GLOBAL", stat, p))
    table = pd.DataFrame(rows, columns=["term", "chisq", "df"])
    table["p"] = stats.chi2.sf(table["chisq"], table["df"])
    # scaled Schoenfeld residuals: V^-1 r_k + beta, V = information / events
    n_ev = rs.event_rows.shape[0]
    resid = schoenfeld(rs, cd.x, e)
    scaled = np.linalg.solve(i11 / n_ev, resid.T).T + beta
    order = np.lexsort((cd.stop[rs.event_rows], cd.strata[rs.event_rows]))
    return ZphResult(
        table=table,
        terms=fit.terms,
        transform=transform,
        x=graw[rs.event_rows][order],
        time=cd.stop[rs.event_rows][order],
        y=scaled[order],
        coef=beta,
    )
