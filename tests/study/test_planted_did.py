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
    intervals are from the area x exam-year cells, and the truth is ATT = 0.04.

    The estimates are read as computed: the release withholds those that rest on a
    suppressed cell of the panel (a small complement in one exam year is enough),
    and shows the others unchanged (checked at the end)."""
    from cohort.synth import synthesise

    extract = synthesise(tmp_path / "extract", seed=3).path
    raw = {
        "units": {"target": "vaerebro_park", "municipality": 159,
                  "comparison": ["tingbjerg", "gellerup", "vollsmose"]},
        "intervention": {"start": "2016-01-01", "phases": [
            {"name": "phase 1", "start": "2013-01-01"},
            {"name": "the master plan", "start": "2016-01-01"}]},
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
    # the ITT dose is one value per exam year: each bin names its exam years
    assert list(bins["exam_years"]) == ["2016", "2017", "2018"]
    for _, r in dose[dose["term"].isin(["att_dose", "att_overall"])].iterrows():
        assert r["conf_low"] < att < r["conf_high"]
    # the change per year of dose allows a jump at the start: the flat planted
    # effect has slope 0 (a line forced through zero would make it a slope)
    slope = dose[dose["term"] == "slope_per_year"].iloc[0]
    assert slope["conf_low"] < 0 < slope["conf_high"]
    # the event study's simultaneous band (area-year cells) covers the planted
    # effects at every exam year at once: 0 before 2016, 0.04 from it
    events = _computed(out, "event_study")
    band = float(_computed(out, "event_study_band")["crit"].iloc[0])
    truth_e = events["event_exam_year"].map(lambda y: truth.ATT.get(int(y), 0.0))
    assert ((events["estimate"] - truth_e).abs() <= band * events["std_error"]).all()
    # the phases: exam years 2013-2015 lie in phase 1, marked, and a placebo starts there
    assert events.set_index("event_exam_year").loc[2014, "phase_exam_year"] == 2013
    assert events.set_index("event_exam_year").loc[2017, "phase_event_time"] == 1
    assert events.set_index("event_exam_year").loc[2010, ["phase_exam_year"]].isna().all()
    placebo = _computed(out, "placebo").set_index("start_exam_year")
    assert bool(placebo.loc[2013, "phase_start"]) and not placebo.loc[2012, "phase_start"]
    assert (placebo["conf_low"] < 0).all() and (0 < placebo["conf_high"]).all()
    # Honest DiD: parallel trends hold exactly in the synthetic registers, so every
    # interval covers the planted effect, and the identified sets widen with M
    honest = _computed(out, "honest")
    assert (honest["conf_low"] < att).all() and (att < honest["conf_high"]).all()
    by_m = honest[honest["mbar"] != "none"].assign(m=lambda d: d["mbar"].astype(float))
    by_m = by_m.sort_values("m")
    assert by_m["lb"].is_monotonic_decreasing and by_m["ub"].is_monotonic_increasing
    # named as relative to its own reference, not the pre-period mean of the TWFE
    assert (honest["reference_exam_year"] == 2015).all()
    assert (_computed(out, "twfe")["pre_exam_years"] == "2008-2015").all()
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
    # what the one-treated methods can deliver with 3 comparison estates is in the
    # released table, row by row, whatever the disclosure control withholds: the
    # randomization-inference floor 1/(3+1), no 95 % interval, and the words
    shown = pd.read_csv(out / "did_one_treated.csv").set_index("term")
    assert set(shown.index) == {"randomization_inference", "conley_taber",
                                "conley_taber_size_corrected"}
    assert (shown["smallest_p_value"] == 0.25).all()
    assert (shown["comparison_areas"] == 3).all()
    assert (shown["interval"] == "descriptive").all()
    assert shown["note"].str.startswith("descriptive: ").all()
    computed = _computed(out, "one_treated").set_index("term")
    assert (computed["p_value"] >= 0.25).all()  # the "+1": never 0, at least 1/(J+1)
    assert (computed["conf_low"] == -float("inf")).all()
    assert (computed["conf_high"] == float("inf")).all()
    panel = pd.read_csv(tmp_path / "release" / "did_panel.csv")
    assert set(panel["area"]) == {"vaerebro_park", "tingbjerg", "gellerup", "vollsmose"}
