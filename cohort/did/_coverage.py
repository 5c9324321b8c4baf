"""Coverage simulations: one treated area among comparison areas.

:func:`coverage_simulation`: area-period means with i.i.d. shocks (run
``python -m cohort.did._coverage`` for the long version in ``docs/methods/did.md``).
:func:`area_year_coverage`: children in areas and exam years with area-by-year
shocks, the intervals the study releases (``docs/methods/did_coverage.py``
prints the table of ``docs/methods/did.md``). ``tests/did`` runs short versions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["area_year_coverage", "children_draw", "coverage_simulation"]


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


def children_draw(rng, *, n_areas: int, n_t: int = 11, start: int = 8, effect: float = 0.04,
                  shock_sd: float = 0.03, base: float = 0.85, area_sd: float = 0.04,
                  year_sd: float = 0.01, sizes: tuple[int, int] = (25, 90)) -> pd.DataFrame:
    """One draw of children in areas and exam years with area-by-year shocks.

    Area 0 is treated from period ``start``; the probability of the outcome is
    ``base + area effect + period effect + area-period shock + effect``
    (shock sd ``shock_sd`` on the share scale), clipped to [0.01, 0.99]; each
    area has its own number of children per period, between ``sizes`` (the
    treated area the smallest, as the estate among the comparison estates).
    Columns ``pid, area, t, y, d, g`` (``g``: first treated period, 0 never).
    """
    sizes_a = np.linspace(sizes[0], sizes[1], n_areas).round().astype(int)
    p = (base + rng.normal(0, area_sd, n_areas)[:, None] + rng.normal(0, year_sd, n_t)[None, :]
         + rng.normal(0, shock_sd, (n_areas, n_t)))
    d = np.zeros((n_areas, n_t))
    d[0, start:] = 1.0
    p = np.clip(p + effect * d, 0.01, 0.99)
    area = np.concatenate([np.full(sizes_a[a] * n_t, a) for a in range(n_areas)])
    t = np.concatenate([np.repeat(np.arange(n_t), sizes_a[a]) for a in range(n_areas)])
    y = (rng.random(len(area)) < p[area, t]).astype(float)
    return pd.DataFrame({"pid": np.arange(len(area)), "area": area, "t": t, "y": y,
                         "d": d[area, t], "g": np.where(area == 0, start, 0)})


def area_year_coverage(*, reps: int = 200, n_areas: int = 4, n_t: int = 11, start: int = 8,
                       effect: float = 0.04, shock_sd: float = 0.03, alp: float = 0.05,
                       seed: int = 0, band_draws: int = 20_000) -> dict[str, float]:
    """Coverage of the intervals the study releases, children in areas with area-year shocks.

    Per replication (:func:`children_draw`): the TWFE estimate with its
    child-level interval (``twfe_children``, what the study used to release) and
    with the area-year interval (``twfe_area_year``); the event study's sup-t
    band covering every event-time coefficient at once (``band_children``,
    ``band_area_year``); the dose bins (one per treated period, relative to the
    pre-period mean) by area-year cells, each bin's coverage averaged
    (``dose_area_year``); randomization inference and Conley-Taber (plain and
    size-corrected) on the area-period shares, whose coverage is reported only
    where :func:`one_treated_limits` says a ``1 - alp`` interval exists (else
    NaN: the study calls them descriptive). Returns the shares of intervals
    containing the truth (``effect``; 0 for pre-period event times).
    """
    from cohort.did import (
        conley_taber,
        dose_response,
        event_study,
        one_treated_limits,
        randomization_inference,
        twfe,
    )

    rng = np.random.default_rng(seed)
    kw = {"yname": "y", "idname": "area", "tname": "t"}
    lim = one_treated_limits(n_areas - 1, alp=alp)
    hits: dict[str, float] = {k: 0.0 for k in (
        "twfe_children", "twfe_area_year", "band_children", "band_area_year",
        "dose_area_year", "randomization", "conley_taber", "conley_taber_sized")}
    for _ in range(reps):
        kids = children_draw(rng, n_areas=n_areas, n_t=n_t, start=start, effect=effect,
                             shock_sd=shock_sd)
        for name, inf in (("children", "cluster"), ("area_year", "area_year")):
            row = twfe(kids, **kw, treatname="d", cluster="pid", alp=alp,
                       inference=inf).tidy().iloc[0]
            hits[f"twfe_{name}"] += row.conf_low <= effect <= row.conf_high
            es = event_study(kids, **kw, gname="g", cluster="pid", alp=alp, inference=inf)
            crit = es.sup_t_critical(draws=band_draws, seed=0)
            truth = np.where(np.asarray(es.event_time) >= 0, effect, 0.0)
            half = crit * np.asarray(es.std_error)
            hits[f"band_{name}"] += bool(np.all(np.abs(np.asarray(es.estimate) - truth) <= half))
        dose = kids.assign(dose=np.where(kids["d"] > 0, kids["t"] - start + 0.5, 0.0))
        fit = dose_response(dose, yname="y", dname="dose", idname="area", tname="t",
                            basis="bins", alp=alp, inference="area_year").curve()
        hits["dose_area_year"] += float(np.mean((fit.att_conf_low <= effect)
                                                & (effect <= fit.att_conf_high)))
        cells = kids.groupby(["area", "t"]).agg(y=("y", "mean"), n=("y", "size")).reset_index()
        one = {**kw, "treated_unit": 0, "treat_start": start, "alp": alp}
        for key, res in (("randomization", randomization_inference(cells, **one)),
                         ("conley_taber", conley_taber(cells, **one)),
                         ("conley_taber_sized", conley_taber(cells, **one, sizename="n"))):
            hits[key] += res.conf_low <= effect <= res.conf_high
    out = {k: v / reps for k, v in hits.items()}
    if not lim["interval"]:
        for k in ("randomization", "conley_taber", "conley_taber_sized"):
            out[k] = float("nan")
    return out


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
