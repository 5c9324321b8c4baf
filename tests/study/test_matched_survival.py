"""The survival analysis on matched comparison children (issue 20 item 6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.disclosure import check_release
from cohort.exceptions import StudyFileError
from cohort.study import parse_study, run_study

UNITS = {"target": "vaerebro_park", "municipality": 159}


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    from cohort.synth import synthesise

    return synthesise(tmp_path_factory.mktemp("matched") / "extract", persons=30_000,
                      seed=12).path


def _run(extract, out, matched):
    raw = {"units": UNITS, "analyses": {"survival": {"birth_years": [1990, 1999],
                                                     "matched": matched}}}
    run_study(parse_study(raw), out=out, extract=extract, use_cache=False)
    return {n: pd.read_csv(out / f"{n}.csv") for n in
            ("survival_matching", "survival_matching_balance", "survival_cox_matched")}


def _balance(tab: pd.DataFrame) -> pd.DataFrame:
    return tab.pivot(index="term", columns="sample", values="estimate")


def test_exact_matched_survival_releases_counts_balance_and_model(extract, tmp_path):
    out = _run(extract, tmp_path / "rel", {"k": 3, "method": "exact"})
    counts = out["survival_matching"].set_index(["group", "status"])["n"]
    shown = counts.dropna()
    assert not ((shown > 0) & (shown < 5)).any()  # no small count leaves
    for g in ("exposed", "comparison"):
        if counts[[(g, s) for s in ("eligible", "matched", "unmatched")]].notna().all():
            assert counts[g, "eligible"] == counts[g, "matched"] + counts[g, "unmatched"]
    assert counts["exposed", "matched"] > 0
    bal = _balance(out["survival_matching_balance"])
    after = bal["after"].dropna()
    assert len(after) > 0 and (after.abs() < 1e-9).all()  # exact: every key balanced
    assert bal["before"].abs().max() > 0.1  # and it was not before
    cox = out["survival_cox_matched"].set_index("term")
    assert np.isfinite(cox.loc["exposed", "estimate"])
    assert cox.loc["exposed", "conf_low"] < cox.loc["exposed", "conf_high"]
    assert check_release(tmp_path / "rel").ok


def test_propensity_matched_survival_improves_balance(extract, tmp_path):
    out = _run(extract, tmp_path / "rel", {
        "k": 2, "method": "propensity", "caliper": 0.2,
        "on": ["birth_year", "sex", "origin", "mother_education", "household_income"]})
    bal = _balance(out["survival_matching_balance"]).dropna()
    assert len(bal) > 0
    assert bal["after"].abs().max() < bal["before"].abs().max()
    assert "propensity_logit" in set(out["survival_matching_balance"]["term"])


@pytest.mark.parametrize(("matched", "message"), [
    ({"k": 0}, "matched.k"),
    ({"on": ["shoe_size"]}, "matched.on"),
    ({"method": "nearest"}, "matched.method"),
    ({"caliper": 0.1}, "only used with method = 'propensity'"),
    ({"ratio": 2}, "unknown key 'ratio'"),
])
def test_matched_switch_is_checked(matched, message):
    raw = {"units": UNITS, "analyses": {"survival": {"matched": matched}}}
    with pytest.raises(StudyFileError, match=message):
        parse_study(raw)
