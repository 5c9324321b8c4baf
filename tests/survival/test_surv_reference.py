"""Agreement with R survival 3.5-3 on the Rossi data (values under tests/data/reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.survival import aalen_johansen, cox, cox_zph, kaplan_meier

COVS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


@pytest.fixture(scope="module")
def rossi(reference_dir) -> pd.DataFrame:
    df = pd.read_csv(reference_dir / "rossi.csv")
    df["grp"] = np.arange(len(df)) % 40
    df["etype"] = np.where(df["arrest"] == 0, 0, np.where(df["prio"] > 2, 1, 2))
    return df


MODELS = {
    "cox_efron": {"covariates": COVS},
    "cox_breslow": {"covariates": COVS, "ties": "breslow"},
    "cox_efron_cluster_grp40": {"covariates": COVS, "cluster": "grp"},
    "cox_efron_strata_wexp": {"covariates": [c for c in COVS if c != "wexp"], "strata": "wexp"},
}


def _cox_rows(reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_cox_reference.csv")
    return [tuple(r) for r in ref.itertuples(index=False)]


def test_every_reference_model_is_covered(reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_cox_reference.csv")
    assert set(ref["model"]) == set(MODELS)
    for model, kw in MODELS.items():
        assert list(ref.loc[ref["model"] == model, "term"]) == list(kw["covariates"])


@pytest.mark.parametrize("model", sorted(MODELS))
def test_cox_matches_r(rossi, reference_dir, model):
    ref = pd.read_csv(reference_dir / "rossi_cox_reference.csv")
    ref = ref[ref["model"] == model].set_index("term")
    fit = cox(rossi, time="week", event="arrest", **MODELS[model])
    got = fit.tidy().set_index("term").loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-6)


def test_cox_global_tests_match_r(rossi):
    # print(summary(coxph(Surv(week, arrest) ~ ., rossi))): LR 33.27, Wald 32.11, score 33.53
    fit = cox(rossi, time="week", event="arrest", covariates=COVS)
    assert fit.test("likelihood_ratio").statistic == pytest.approx(33.27, abs=0.005)
    assert fit.test("wald").statistic == pytest.approx(32.11, abs=0.005)
    assert fit.test("score").statistic == pytest.approx(33.53, abs=0.005)
    assert fit.loglik == pytest.approx(-658.7477, abs=5e-5)  # ours; R prints LR only


def test_concordance_matches_r_print(rossi):
    # summary(coxph(Surv(week, arrest) ~ ., rossi)) prints "Concordance= 0.64";
    # the exact pair counts are checked against a pairwise count in test_surv_cox.py
    fit = cox(rossi, time="week", event="arrest", covariates=COVS)
    assert fit.concordance == pytest.approx(0.64, abs=0.005)


def test_cluster_fit_keeps_naive_se(rossi, reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_cox_reference.csv")
    naive = ref[ref["model"] == "cox_efron"]["std_error"].to_numpy()
    fit = cox(rossi, time="week", event="arrest", covariates=COVS, cluster="grp")
    assert fit.robust
    np.testing.assert_allclose(fit.naive_std_error, naive, rtol=1e-6)


def test_km_matches_r_summary_at_times(rossi, reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_km_reference.csv")
    km = kaplan_meier(rossi, time="week", event="arrest", group="fin", conf_type="log")
    got = km.at(sorted(ref["time"].unique()))
    merged = ref.merge(got, on=["fin", "time"], suffixes=("_r", ""), validate="1:1")
    assert len(merged) == len(ref) == 22
    np.testing.assert_array_equal(merged["n_risk"], merged["n_risk_r"])
    for mine, theirs in [
        ("survival", "survival_r"),
        ("std_error", "std_err"),
        ("conf_low", "lower"),
        ("conf_high", "upper"),
    ]:
        np.testing.assert_allclose(merged[mine], merged[theirs], rtol=0, atol=1e-9)


def test_aj_matches_r(rossi, reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_aj_reference.csv")
    aj = aalen_johansen(rossi, time="week", event="etype")
    got = aj.at(ref["time"])
    for cause, col in [(1, "cif_arrest_prior"), (2, "cif_arrest_noprior")]:
        est = got.loc[got["cause"] == cause, "estimate"].to_numpy()
        np.testing.assert_allclose(est, ref[col], rtol=0, atol=1e-9)


def test_zph_matches_r(rossi, reference_dir):
    ref = pd.read_csv(reference_dir / "rossi_zph_reference.csv")
    fit = cox(rossi, time="week", event="arrest", covariates=COVS)
    z = cox_zph(fit, rossi, transform="km")
    assert list(z.table["term"]) == list(ref["term"])
    np.testing.assert_allclose(z.table["chisq"], ref["chisq"], rtol=1e-6)
    np.testing.assert_allclose(z.table["p"], ref["p"], rtol=1e-6)
    np.testing.assert_array_equal(z.table["df"], ref["df"])
