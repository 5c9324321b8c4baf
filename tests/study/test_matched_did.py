"""The difference-in-differences on matched comparison children (issue 20 item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from cohort.disclosure import check_release
from cohort.exceptions import StudyFileError
from cohort.study import parse_study, run_study
from cohort.study.analyses import ANALYSES
from cohort.study.analyses._base import Context

UNITS = {"target": "vaerebro_park", "municipality": 159,
         "comparison": ["tingbjerg", "gellerup", "vollsmose"]}
DID = {"exam_years": [2008, 2018], "first_treated_exam_year": 2016,
       "support_first_treated_year": 2017}


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    from cohort.synth import synthesise

    return synthesise(tmp_path_factory.mktemp("matched_did") / "extract", persons=30_000,
                      seed=12).path


def _raw(matched):
    return {"units": UNITS, "study": {"seed": 4},
            "analyses": {"did": {**DID, "matched": matched}}}


@pytest.fixture(scope="module")
def computed(extract):
    return _compute(extract, {"matched": {"k": 3, "on": ["sex", "origin",
                                                         "mother_education"]}},
                    study={"seed": 4})


def test_exact_matching_balances_every_key_and_the_exam_year(computed):
    bal = computed["matching_balance"].pivot(index="term", columns="sample", values="estimate")
    assert (bal["after"].dropna().abs() < 1e-9).all()
    assert bal["before"].abs().max() > 0.1
    assert any(t.startswith("exam_year_level=") for t in bal.index)
    c = computed["matching_counts"].set_index(["group", "status"])["n"]
    for g in ("exposed", "comparison"):
        assert c[g, "eligible"] == c[g, "matched"] + c[g, "unmatched"]
    # every matched child of the estate has at most k = 3 controls, of its own exam year
    cells = computed["matched_panel"]
    est = cells[cells["area"] == "vaerebro_park"].set_index("exam_year")["children"]
    comp = cells[cells["area"] != "vaerebro_park"].groupby("exam_year")["children"].sum()
    assert (comp.reindex(est.index).fillna(0) <= 3 * est).all()
    assert est.sum() == c["exposed", "matched"]


def test_matched_twfe_is_the_weighted_regression_on_its_cells(computed):
    """A child-level regression with area and exam-year effects is one on the cell
    means weighted by the cells' children (statsmodels, independently)."""
    cells = computed["matched_panel"].assign(
        share=lambda d: d["enrolled"] / d["children"],
        treated=lambda d: ((d["area"] == "vaerebro_park") & (d["exam_year"] >= 2016)).astype(int))
    fit = smf.wls("share ~ C(area) + C(exam_year) + treated", data=cells,
                  weights=cells["children"]).fit()
    got = computed["twfe_matched"].set_index("term").loc["att_twfe_matched"]
    assert got["estimate"] == pytest.approx(fit.params["treated"], abs=1e-10)
    assert got["conf_low"] < got["estimate"] < got["conf_high"]
    assert computed["twfe_matched"]["pre_exam_years"].iloc[0] == \
        computed["twfe"]["pre_exam_years"].iloc[0]


def test_the_release_carries_the_matched_did_and_passes_its_check(extract, tmp_path):
    spec = parse_study(_raw({"k": 2, "method": "propensity", "caliper": 0.5,
                             "on": ["sex", "origin", "mother_education", "parent_employed"]}))
    out = tmp_path / "rel"
    run_study(spec, out=out, extract=extract, use_cache=False)
    assert (out / "did_matching.csv").exists() and (out / "did_matching_balance.csv").exists()
    assert not (out / "did_matched_panel.csv").exists()  # the cells are not released
    twfe = pd.read_csv(out / "did_twfe_matched.csv")
    assert list(twfe["term"]) == ["att_twfe_matched"]
    counts = pd.read_csv(out / "did_matching.csv")["n"].dropna()
    assert not ((counts > 0) & (counts < 5)).any()
    # a group's eligible children are its panel cells: a published total never
    # stands beside exactly one hidden cell of its group
    m = pd.read_csv(out / "did_matching.csv").set_index(["group", "status"])["n"]
    panel = pd.read_csv(out / "did_panel.csv")
    for g, mine in (("exposed", panel["area"] == "vaerebro_park"),
                    ("comparison", panel["area"] != "vaerebro_park")):
        if pd.notna(m[g, "eligible"]):
            assert panel.loc[mine, "children"].isna().sum() != 1
    assert np.isfinite(twfe["estimate"]).all() or twfe["estimate"].isna().all()
    assert check_release(out).ok


def test_replacement_is_refused_for_the_did():
    with pytest.raises(StudyFileError, match=r"matched.replace = true is not available"):
        parse_study(_raw({"replace": True}))


def _compute(extract, did_params, intervention=None, study=None):
    """The did analysis's raw tables on ``extract`` (before disclosure control)."""
    import cohort

    raw = {"units": UNITS, "analyses": {"did": {**DID, **did_params}}}
    if intervention:
        raw["intervention"] = intervention
    if study:
        raw["study"] = study
    spec = parse_study(raw)
    did = ANALYSES["did"]
    params = did.validate(dict(spec.analyses["did"]), where="did",
                          intervention=spec.intervention)
    ex = cohort.read_extract(extract)
    try:
        return did.compute(Context(extract=ex, spec=spec), params)
    finally:
        ex.close()


def test_earlier_phases_excluded_leave_their_exam_years_out_of_every_estimate(extract):
    """Phase 1 began in 2013: with 'exclude' exam years 2013-2015 are in no estimate, and
    the TWFE is the regression on the remaining cells (statsmodels, independently)."""
    phases = {"start": "2016-01-01", "phases": [
        {"name": "phase 1", "start": "2013-01-01"},
        {"name": "master plan", "start": "2016-01-01"}]}
    marked = _compute(extract, {"earlier_phases": "mark"}, phases)
    excl = _compute(extract, {"earlier_phases": "exclude"}, phases)
    years = set(excl["panel"]["exam_year"])
    assert not years & {2013, 2014, 2015} and {2012, 2016} <= years
    assert {2013, 2014, 2015} <= set(marked["panel"]["exam_year"])
    assert excl["twfe"]["pre_exam_years"].iloc[0] == "2008-2012"
    terms = set(excl["event_study"]["term"])
    assert not terms & {"e=-3", "e=-2", "e=-1"} and "e=-5" in terms  # reference e=-4 (2012)
    cells = excl["panel"].assign(
        treated=lambda d: ((d["area"] == "vaerebro_park") & (d["exam_year"] >= 2016)).astype(int))
    fit = smf.wls("share ~ C(area) + C(exam_year) + treated", data=cells,
                  weights=cells["children"]).fit()
    assert excl["twfe"]["estimate"].iloc[0] == pytest.approx(fit.params["treated"], abs=1e-10)
    assert excl["twfe"]["estimate"].iloc[0] != pytest.approx(marked["twfe"]["estimate"].iloc[0])
    # the youth-support panel leaves out the years of phase 1 as well (from 2014)
    assert not set(excl["youth_support_cells"]["year"]) & {2014, 2015, 2016}
