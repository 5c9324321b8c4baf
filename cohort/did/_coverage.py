"""Coverage simulation: one treated area among comparison areas.

Run ``python -m cohort.did._coverage`` for the long version reported in
``docs/methods/did.md``; ``tests/did`` runs a short one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coverage_simulation"]


def _one_draw(rng, n_areas, n_t, start, effect):
    area = np.repeat(np.arange(n_areas), n_t)
    t = np.tile(np.arange(n_t), n_areas)
    d = ((area == 0) & (t >= start)).astype(int)
    y = (rng.normal(size=n_areas)[area] + rng.normal(size=n_t)[t]
         + rng.normal(size=n_areas * n_t) + effect * d)
    return pd.DataFrame({"area": area, "t": t, "y": y, "d": d})


def coverage_simulation(
    *,
    reps: int = 1000,
    n_areas: int = 20,
    n_t: int = 6,
    start: int = 3,
    effect: float = 1.0,
    alp: float = 0.05,
    seed: int = 0,
    wild_bootstrap: bool = True,
    biters: int = 999,
    value: float | None = None,
) -> dict[str, float]:
    """Share of replications whose interval covers ``value`` (for WCR: does not reject it).

    ``value`` defaults to the true effect (coverage); any other value gives one
    minus the power against it.

    Each replication draws area and period effects and i.i.d. area-period
    shocks, treats area 0 from period ``start`` on, and computes the TWFE
    estimate with its cluster-robust (by area) t interval, the randomization
    inference and Conley-Taber intervals, and (optionally) the WCR test of
    the true effect.
    """
    from cohort.did import conley_taber, randomization_inference, twfe, wild_cluster_bootstrap

    rng = np.random.default_rng(seed)
    value = effect if value is None else value
    hits = {"cluster_robust": 0, "randomization": 0, "conley_taber": 0}
    if wild_bootstrap:
        hits["wild_bootstrap"] = 0
    kw = {"yname": "y", "idname": "area", "tname": "t"}
    for _ in range(reps):
        d = _one_draw(rng, n_areas, n_t, start, effect)
        row = twfe(d, **kw, treatname="d", alp=alp).tidy().iloc[0]
        hits["cluster_robust"] += row.conf_low <= value <= row.conf_high
        for key, fn in (("randomization", randomization_inference), ("conley_taber", conley_taber)):
            r = fn(d, **kw, treated_unit=0, treat_start=start, alp=alp)
            hits[key] += r.conf_low <= value <= r.conf_high
        if wild_bootstrap:
            w = wild_cluster_bootstrap(d, **kw, treatname="d", null=value, biters=biters,
                                       alp=alp, seed=rng, conf_int=False)
            hits["wild_bootstrap"] += w.p_value > alp
    return {k: v / reps for k, v in hits.items()}


if __name__ == "__main__":  # pragma: no cover - the long run for the docs
    import json
    import sys

    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    out: dict[str, dict] = {"coverage": {}, "power_effect_3": {}}
    for n_areas in (10, 20, 40):
        out["coverage"][n_areas] = coverage_simulation(reps=reps, n_areas=n_areas, seed=2026)
        # power against no effect when the true effect is 3 (about 3.5 SDs of the estimate)
        miss = coverage_simulation(reps=reps, n_areas=n_areas, seed=2027, effect=3.0, value=0.0)
        out["power_effect_3"][n_areas] = {k: 1 - v for k, v in miss.items()}
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
