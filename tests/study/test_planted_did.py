"""The difference-in-differences analysis of the study recovers the planted effect."""

from __future__ import annotations

import pandas as pd

from cohort.study import parse_study, run_study
from cohort.synth import truth


def _computed(out, name):
    """A table as the analysis computed it (the cache, before disclosure control)."""
    (folder,) = (out.parent / ".cohort-cache" / "did").iterdir()
    return pd.read_parquet(folder / f"{name}.parquet")


def test_twfe_interval_covers_the_planted_att(tmp_path):
    """One seeded draw at the default size (the estate at its real size); the
    interval is from children-level robust SEs, and the truth is ATT = 0.04.

    The estimates are read as computed: the release withholds those that rest on a
    suppressed cell of the panel (a small complement in one exam year is enough),
    and shows the others unchanged (checked at the end)."""
    from cohort.synth import synthesise

    extract = synthesise(tmp_path / "extract", seed=3).path
    raw = {
        "units": {"target": "vaerebro_park", "municipality": 159,
                  "comparison": ["tingbjerg", "gellerup", "vollsmose"]},
        "intervention": {"start": "2016-01-01"},
        "analyses": {"did": {"exam_years": [2008, 2018]}},
    }
    out = tmp_path / "release"
    run_study(parse_study(raw), out=out, extract=extract)
    row = _computed(out, "twfe").iloc[0]
    att = truth.ATT[2016]
    assert row["conf_low"] < att < row["conf_high"]
    # the dose-response: the planted effect is the same for every dose (0.04 for exam
    # years 2016-2018, about 0.5, 1.5 and 2.5 years in the estate after the start)
    dose = _computed(out, "dose")
    bins = dose[dose["term"] == "att_dose"]
    assert list(bins["dose_years"]) == ["(0,1]", "(1,2]", "(2,3]"]
    for _, r in dose[dose["term"].isin(["att_dose", "att_overall"])].iterrows():
        assert r["conf_low"] < att < r["conf_high"]
    # Honest DiD: parallel trends hold exactly in the synthetic registers, so every
    # interval covers the planted effect, and the identified sets widen with M
    honest = _computed(out, "honest")
    assert (honest["conf_low"] < att).all() and (att < honest["conf_high"]).all()
    by_m = honest[honest["mbar"] != "none"].assign(m=lambda d: d["mbar"].astype(float))
    by_m = by_m.sort_values("m")
    assert by_m["lb"].is_monotonic_decreasing and by_m["ub"].is_monotonic_increasing
    # what the release shows is the computed estimate or nothing
    for name, table in (("twfe", "did_twfe"), ("dose", "did_dose"), ("honest", "did_honest")):
        shown = pd.read_csv(out / f"{table}.csv", dtype={"mbar": str})
        computed = _computed(out, name)
        keys = [c for c in ("term", "dose_years", "mbar") if c in shown.columns]
        both = shown.merge(computed, on=keys, suffixes=("", "_computed"))
        assert len(both) == len(computed)
        ok = both["estimate"].isna() | (both["estimate"] - both["estimate_computed"]).abs().lt(
            1e-12)
        assert ok.all()
    panel = pd.read_csv(tmp_path / "release" / "did_panel.csv")
    assert set(panel["area"]) == {"vaerebro_park", "tingbjerg", "gellerup", "vollsmose"}
