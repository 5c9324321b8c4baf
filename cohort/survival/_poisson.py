"""Poisson regression of event counts on person-time (Lexis-split data)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cohort.exceptions import ConvergenceWarning, DataError, ParameterError
from cohort.survival import _data
from cohort.survival.results import PoissonResult

__all__ = ["poisson_rates"]


def _design(data: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Design matrix with an intercept.

    Numeric columns as they are; other columns as indicators of each level
    except the first (sorted), named ``column[level]``.
    """
    parts = [pd.DataFrame({"intercept": np.ones(len(data))}, index=data.index)]
    for c in covariates:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            parts.append(pd.DataFrame({c: _data.numeric(data, c)}, index=data.index))
        else:
            nmiss = int(col.isna().sum())
            if nmiss:
                msg = f"column {c!r} has {nmiss} missing values"
                raise DataError(msg)
            levels = sorted(col.unique(), key=str)
            for lev in levels[1:]:
                parts.append(
                    pd.DataFrame({f"{c}[{lev}]": (col == lev).astype(float)}, index=data.index)
                )
    return pd.concat(parts, axis=1)


def poisson_rates(
    data: pd.DataFrame,
    *,
    events: str,
    person_time: str,
    covariates: str | Sequence[str] = (),
    cluster: str | None = None,
    conf_level: float = 0.95,
) -> PoissonResult:
    """Rate ratios from a Poisson GLM with ``log(person_time)`` as offset.

    One row per cell of Lexis-split data (e.g. person x time band): the
    number of events and the person-time at risk. Non-numeric covariates
    become indicators against their first level. With ``cluster`` the
    cluster-robust (sandwich) covariance of statsmodels (``cov_type="cluster"``,
    with its small-sample correction) is used.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"d": [10, 20], "pt": [1000.0, 1000.0], "x": [0, 1]})
    >>> fit = poisson_rates(df, events="d", person_time="pt", covariates="x")
    >>> round(float(fit.tidy(exponentiate=True).set_index("term").loc["x", "estimate"]), 6)
    2.0

    """
    import statsmodels.api as sm

    if not (0 < conf_level < 1):
        msg = f"conf_level must lie strictly between 0 and 1; got {conf_level!r}"
        raise ParameterError(msg)
    covs = _data.as_names("covariates", covariates)
    _data.check_columns(data, [events, person_time, *covs] + ([cluster] if cluster else []))
    y = _data.numeric(data, events)
    pt = _data.numeric(data, person_time)
    if np.any(y < 0):
        msg = f"column {events!r} has negative event counts"
        raise DataError(msg)
    if np.any(pt <= 0):
        msg = (
            f"column {person_time!r} has {int(np.sum(pt <= 0))} rows without positive "
            "person-time; drop them"
        )
        raise DataError(msg)
    x = _design(data, covs)
    model = sm.GLM(y, x.to_numpy(), family=sm.families.Poisson(), offset=np.log(pt))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if cluster is None:
            res = model.fit()
        else:
            groups, _ = _data.codes(data, [cluster])
            res = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    if any("converge" in str(w.message).lower() for w in caught) or not res.converged:
        warnings.warn("Poisson fit did not converge", ConvergenceWarning, stacklevel=2)
    return PoissonResult(
        terms=tuple(x.columns),
        coef=np.asarray(res.params),
        var=np.asarray(res.cov_params()),
        robust=cluster is not None,
        n=len(data),
        events=float(y.sum()),
        person_time=float(pt.sum()),
        deviance=float(res.deviance),
        df_resid=float(res.df_resid),
        loglik=float(res.llf),
        conf_level=conf_level,
    )
