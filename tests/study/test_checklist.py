"""A referee's checklist (docs/study.md): roles, multiplicity by hand, the minimum
detectable effect, the Derived policy, and a study run that shows it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.disclosure import Derived, Release
from cohort.exceptions import StudyFileError, UserError
from cohort.study.analyses.checklist import Checklist, collect, minimum_detectable_effect

RELEASED = {
    "did_twfe": pd.DataFrame({"term": ["att_twfe"], "estimate": [0.05], "std_error": [0.02],
                              "p_value": [0.012]}),
    "did_event_study": pd.DataFrame({"term": ["e=-2", "e=0", "e=1"],
                                     "estimate": [0.01, 0.04, 0.06],
                                     "std_error": [0.02, 0.02, 0.03],
                                     "p_value": [0.6, 0.04, 0.03]}),
    "cox_model": pd.DataFrame({"term": ["exposed", "sex", "origin=western"],
                               "estimate": [-0.3, 0.1, 0.2], "std_error": [0.1, 0.05, 0.1],
                               "p_value": [0.003, 0.04, 0.05]}),
    "placebo": pd.DataFrame({"term": ["att_twfe"], "estimate": [0.0], "std_error": [0.02],
                             "p_value": [np.nan]}),  # withheld in its table
    "counts": pd.DataFrame({"year": [2018], "n": [40]}),
}


def _params(**kw):
    p = {"primary": [{"goal": 1, "table": "did_twfe", "term": "att_twfe"}],
         "multiplicity": "holm", "alpha": 0.05, "power": 0.8,
         "negative_controls": [{"table": "placebo", "term": "att_twfe", "what": "placebo"}],
         "covariates": ["sex", "origin", "birth_year"]}  # e=-2 is an event time, kept
    p.update(kw)
    return Checklist().validate(p, where="[analyses.checklist]")


def _holm(p):
    """Holm's adjusted p-values by hand: sorted p times (m - rank), running max, cap 1."""
    p = np.asarray(p, float)
    m, order = len(p), np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, (m - i) * p[j])
        adj[j] = min(1.0, running)
    return adj


def _bh(p):
    """Benjamini-Hochberg by hand: p * m / rank, running min from the largest, cap 1."""
    p = np.asarray(p, float)
    m, order = len(p), np.argsort(p)[::-1]
    adj = np.empty(m)
    running = 1.0
    for i, j in enumerate(order):
        running = min(running, p[j] * m / (m - i))
        adj[j] = running
    return adj


def test_roles_and_the_covariates_left_out():
    rows, sources = collect(RELEASED, _params())
    role = dict(zip(zip(rows["table"], rows["term"], strict=True), rows["role"], strict=True))
    assert role[("did_twfe", "att_twfe")] == "primary"
    assert role[("placebo", "att_twfe")] == "negative_control"
    assert role[("cox_model", "exposed")] == "secondary"
    # covariates of the Cox model are not effects: not tested, not adjusted
    assert ("cox_model", "sex") not in role and ("cox_model", "origin=western") not in role
    assert "counts" not in sources and set(sources) == {"did_twfe", "did_event_study",
                                                        "cox_model", "placebo"}
    assert rows.loc[rows["role"] == "primary", "goal"].tolist() == [1]
    assert rows["role"].tolist()[:2] == ["primary", "negative_control"]


@pytest.mark.parametrize(("method", "by_hand"), [("holm", _holm), ("bh", _bh)])
def test_secondary_p_values_adjusted_as_by_hand(method, by_hand):
    rows, _ = collect(RELEASED, _params(multiplicity=method))
    sec = rows[rows["role"] == "secondary"]
    np.testing.assert_allclose(sec["p_adjusted"], by_hand(sec["p_value"]), rtol=1e-12)
    # the primary and the control are not adjusted with them
    assert rows.loc[rows["role"] != "secondary", "p_adjusted"].isna().all()


def test_minimum_detectable_effect_of_the_primary():
    rows, _ = collect(RELEASED, _params(alpha=0.05, power=0.8))
    mde = rows.loc[rows["role"] == "primary", "mde"].iloc[0]
    # z(0.975) = 1.959964, z(0.8) = 0.841621
    assert mde == pytest.approx((1.959964 + 0.841621) * 0.02, rel=1e-6)
    assert minimum_detectable_effect(0.02, alpha=0.1, power=0.9) == pytest.approx(
        (1.644854 + 1.281552) * 0.02, rel=1e-6)
    assert rows.loc[rows["role"] != "primary", "mde"].isna().all()


@pytest.mark.parametrize("bad", [
    {"primary": [{"goal": 1, "table": "t"}]},
    {"primary": [{"goal": 1, "table": "t", "term": "a"}, {"goal": 1, "table": "t", "term": "b"}]},
    {"primary": [{"goal": "one", "table": "t", "term": "a"}]},
    {"negative_controls": [{"table": "t"}]},
    {"alpha": 1.5},
    {"multiplicity": "bonferroni"},
])
def test_bad_checklists_are_study_file_errors(bad):
    with pytest.raises(StudyFileError):
        _params(**bad)


def test_a_derived_table_needs_its_sources_written_first(tmp_path):
    from cohort.disclosure import Counts

    rows, sources = collect(RELEASED, _params())
    with Release(tmp_path / "rel") as rel, pytest.raises(UserError, match="has not written"):
        rel.write_table("checklist", rows, Derived(sources=sources))
    counts = pd.DataFrame({"year": [2017, 2018], "n": [40, 50]})
    with Release(tmp_path / "rel2") as rel:
        rel.write_table("counts", counts, Counts(count_cols=["n"], by=["year"]))
        mean = pd.DataFrame({"what": ["mean n"], "value": [45.0]})
        out = rel.write_table("summary", mean, Derived(sources=("counts",)))
    pd.testing.assert_frame_equal(out, mean)
    assert pd.read_csv(tmp_path / "rel2" / "summary.csv")["value"].tolist() == [45.0]


def test_study_shows_the_checklist(small_extract, tmp_path):
    from cohort.cli import main

    study = tmp_path / "study.toml"
    study.write_text("""
[study]
name = "checklist test"
seed = 1
[units]
target = "vaerebro_park"
municipality = 159
comparison = ["tingbjerg", "gellerup", "vollsmose"]
[intervention]
name = "the plan"
start = 2016-01-01
[analyses.survival]
birth_years = [1995, 2001]
[analyses.checklist]
primary = [{ goal = 1, table = "cox_model", term = "exposed" }]
multiplicity = "bh"
""")
    out = tmp_path / "release"
    assert main(["run", str(study), "--extract", str(small_extract), "--out", str(out)]) in (0, 1)
    table = pd.read_csv(out / "checklist.csv")
    primary = table[table["role"] == "primary"]
    assert primary[["table", "term"]].values.tolist() == [["cox_model", "exposed"]]
    cox = pd.read_csv(out / "cox_model.csv").set_index("term")
    if pd.notna(cox.loc["exposed", "std_error"]):
        assert primary["mde"].iloc[0] == pytest.approx(
            float(minimum_detectable_effect(cox.loc["exposed", "std_error"])))
    report = (out / "report.html").read_text()
    assert "A referee&#x27;s checklist" in report or "A referee's checklist" in report
    assert "Goal 2 has no declared primary outcome" in report
    assert main(["check-release", str(out)]) == 0


def test_a_term_repeated_by_period_is_named_with_it():
    released = {"cox_by_period": pd.DataFrame({
        "period": ["before", "after"], "term": ["exposed", "exposed"],
        "estimate": [-0.3, -0.1], "std_error": [0.05, 0.09], "p_value": [1e-6, 0.2]})}
    params = _params(primary=[{"goal": 1, "table": "cox_by_period",
                               "term": "exposed [period=after]"}], negative_controls=[])
    rows, _ = collect(released, params)
    assert rows["term"].tolist() == ["exposed [period=after]", "exposed [period=before]"]
    assert rows["role"].tolist() == ["primary", "secondary"]
