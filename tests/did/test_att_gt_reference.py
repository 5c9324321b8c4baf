"""att_gt and aggte against R did 2.5.0 on mpdta: every reference row to 1e-8."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.did import aggte, att_gt

KW = {"yname": "lemp", "tname": "year", "idname": "countyreal", "gname": "first.treat"}
TOL = 1e-8


def _cases(ref: pd.DataFrame):
    """(control_group, covariates, est_method) to run; no-covariate rows hold for all three."""
    out = []
    for (cg, cov, em), _ in ref.groupby(["control_group", "covariates", "est_method"]):
        methods = ["dr", "ipw", "reg"] if cov == "none" else [em]
        out += [(cg, cov, em, m) for m in methods]
    return out


REF_CASES = [
    ("never_treated", "none", "dr", "dr"),
    ("never_treated", "none", "dr", "ipw"),
    ("never_treated", "none", "dr", "reg"),
    ("not_yet_treated", "none", "dr", "dr"),
    ("not_yet_treated", "none", "dr", "ipw"),
    ("not_yet_treated", "none", "dr", "reg"),
    ("never_treated", "lpop", "reg", "reg"),
]


def test_reference_cases_cover_every_row(mpdta_reference):
    assert sorted(_cases(mpdta_reference)) == sorted(REF_CASES)
    assert len(mpdta_reference) == 54


@pytest.mark.parametrize(("cg", "cov", "ref_method", "method"), REF_CASES)
def test_every_reference_row(mpdta, mpdta_reference, cg, cov, ref_method, method):
    rows = mpdta_reference[
        (mpdta_reference.control_group == cg)
        & (mpdta_reference.covariates == cov)
        & (mpdta_reference.est_method == ref_method)
    ]
    res = att_gt(
        mpdta,
        control_group=cg.replace("_", ""),
        covariates=None if cov == "none" else [cov],
        est_method=method,
        **KW,
    )
    tidy = res.tidy()
    aggs = {}
    checked = 0
    for row in rows.itertuples():
        if row.quantity == "att_gt":
            sel = (tidy.group == float(row.g_or_element)) & (tidy.time == row.t)
            assert sel.sum() == 1
            est, se = tidy.loc[sel, "estimate"].item(), tidy.loc[sel, "std_error"].item()
        else:
            kind = row.quantity.removeprefix("aggte_")
            agg = aggs.setdefault(kind, aggte(res, type=kind))
            el = row.g_or_element
            if el.startswith("overall"):
                est, se = agg.overall_att, agg.overall_se
            else:
                value = float(el[2:]) if el.startswith("e=") else float(el)
                (j,) = np.flatnonzero(agg.egt == value)
                est, se = agg.att_egt[j], agg.se_egt[j]
        assert est == pytest.approx(row.estimate, abs=TOL, rel=0)
        assert se == pytest.approx(row.std_error, abs=TOL, rel=0)
        checked += 1
    assert checked == len(rows)
    # the att_gt table has exactly the reference cells
    n_cells = int((rows.quantity == "att_gt").sum())
    assert len(tidy) == n_cells


def test_xformla_equals_covariates(mpdta):
    a = att_gt(mpdta, covariates=["lpop"], est_method="dr", **KW)
    b = att_gt(mpdta, xformla="~ lpop", est_method="dr", **KW)
    np.testing.assert_allclose(a.att, b.att, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.std_error, b.std_error, rtol=0, atol=1e-12)


def test_dr_with_covariate_close_to_reg_and_ipw(mpdta):
    # all three are consistent under the same model; on mpdta they differ by < 0.01
    r = {m: att_gt(mpdta, covariates=["lpop"], est_method=m, **KW).att
         for m in ("dr", "ipw", "reg")}
    assert np.max(np.abs(r["dr"] - r["reg"])) < 0.01
    assert np.max(np.abs(r["dr"] - r["ipw"])) < 0.01
    assert np.max(np.abs(r["dr"] - r["reg"])) > 0  # not the same code path


def test_wald_pretest_as_printed_by_r(mpdta):
    # did's README: summary(att_gt(..., xformla = ~1, est_method = "reg")) on mpdta prints
    # "P-value for pre-test of parallel trends assumption: 0.16812" (reg = dr without X)
    res = att_gt(mpdta, **KW)
    assert res.wald_df == 5
    assert round(res.wald_pvalue, 5) == 0.16812
