"""The survival analysis of the study recovers the planted hazard ratio."""

from __future__ import annotations

import math

import pandas as pd

from cohort.study import parse_study, run_study
from cohort.synth import truth


def test_cox_recovers_planted_estate_hazard_ratio(tmp_path):
    """One seeded draw: a 95 % interval misses the truth in 1 draw of 20 by design.
    Measured at 60,000 persons, seeds 11-14 gave log HR -0.59, -0.33, -0.29, -0.41
    (SE about 0.1) against the planted -0.378; seed 11 is such a miss."""
    from cohort.synth import synthesise

    extract = synthesise(tmp_path / "extract", persons=60_000, seed=12).path
    raw = {
        "units": {"target": "vaerebro_park", "municipality": 159},
        # exam years up to 2015: before the intervention, the hazard ratio is HR_ESTATE
        "analyses": {"survival": {"birth_years": [1990, 1999]}},
    }
    run_study(parse_study(raw), out=tmp_path / "release", extract=extract, use_cache=False)
    model = pd.read_csv(tmp_path / "release" / "cox_model.csv").set_index("term")
    row = model.loc["exposed"]
    true = math.log(truth.HR_ESTATE)
    assert row["conf_low"] < true < row["conf_high"]
    # and the effect is there: the interval excludes no effect
    assert row["conf_high"] < 0
