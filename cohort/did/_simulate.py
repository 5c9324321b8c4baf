"""Seeded synthetic panels with a planted treatment effect (tests, benchmarks, docs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_staggered"]


def simulate_staggered(
    n_units: int = 1000,
    n_periods: int = 10,
    *,
    effect: float = 1.0,
    dynamic: float = 0.0,
    share_never: float = 0.4,
    covariate: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """Balanced panel with staggered adoption and a known ATT.

    Periods are ``1..n_periods``; groups start in periods 3..n_periods (0 =
    never treated). The effect in event time ``e >= 0`` is ``effect + dynamic
    * e``; parallel trends hold (conditionally on ``x`` if ``covariate``).
    Columns: ``id, t, g, x, y``.
    """
    rng = np.random.default_rng(seed)
    cohorts = np.arange(3, n_periods + 1)
    p_treated = (1 - share_never) / len(cohorts)
    probs = np.r_[share_never, [p_treated] * len(cohorts)]
    g = rng.choice(np.r_[0, cohorts], size=n_units, p=probs)
    x = rng.normal(size=n_units)
    unit_fe = rng.normal(size=n_units) + 0.5 * (g > 0)
    t = np.arange(1, n_periods + 1)
    trend = 0.1 * t[None, :] + (0.2 * x[:, None] * t[None, :] / n_periods if covariate else 0.0)
    e = t[None, :] - g[:, None]
    treated = (g[:, None] > 0) & (e >= 0)
    tau = np.where(treated, effect + dynamic * e, 0.0)
    y = unit_fe[:, None] + trend + tau + rng.normal(size=(n_units, n_periods))
    return pd.DataFrame({
        "id": np.repeat(np.arange(n_units), n_periods),
        "t": np.tile(t, n_units),
        "g": np.repeat(g, n_periods),
        "x": np.repeat(x, n_periods),
        "y": y.ravel(),
    })
