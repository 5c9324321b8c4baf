"""Spec tests of the disclosure rules: tiny tables that read as the rules."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort.disclosure import (
    DisclosureSettings,
    SuppressionLog,
    round_count,
    round_counts,
    suppress_counts,
)
from cohort.exceptions import DisclosureError, ParameterError


def released(df, **kw):
    return suppress_counts(df, **kw)


def test_counts_one_to_four_are_suppressed_zero_and_five_are_published():
    df = pd.DataFrame({"area": list("abcdefg"), "n": [0, 1, 2, 3, 4, 5, 6]})
    out = released(df, count_cols=["n"]).frame
    assert out["n"].tolist() == [0, pd.NA, pd.NA, pd.NA, pd.NA, 5, 6]


def test_statistics_denmark_threshold_three():
    df = pd.DataFrame({"area": list("abcd"), "n": [1, 2, 3, 4]})
    out = released(df, count_cols=["n"], threshold=3).frame
    assert out["n"].tolist() == [pd.NA, pd.NA, 3, 4]


def test_log_counts_cells_per_rule_never_values():
    df = pd.DataFrame({"sex": ["F", "M", "Total"], "n": [3, 40, 43]})
    res = released(df, count_cols=["n"], totals={"sex": "Total"}, table="t")
    assert res.log.to_records() == [
        {"table": "t", "column": "n", "rule": "primary", "suppressed_cells": 1},
        {"table": "t", "column": "n", "rule": "secondary", "suppressed_cells": 1},
    ]


def test_share_is_suppressed_with_its_numerator_or_denominator():
    df = pd.DataFrame({"area": ["a", "b", "c"], "num": [3, 20, 1], "den": [50, 60, 3]})
    df["share"] = df.num / df.den
    out = released(df, count_cols=["num", "den"], shares={"share": ("num", "den")},
                   by=["area"]).frame
    assert out["share"].isna().tolist() == [True, False, True]
    assert out.loc[1, "share"] == pytest.approx(20 / 60)


def test_small_complement_suppresses_the_numerator():
    # 48 of 50: two persons lack the attribute
    df = pd.DataFrame({"area": ["a", "b"], "num": [48, 20], "den": [50, 60]})
    df["share"] = df.num / df.den
    res = released(df, count_cols=["num", "den"], shares={"share": ("num", "den")})
    assert res.frame["num"].isna().tolist() == [True, False]
    assert res.frame["share"].isna().tolist() == [True, False]
    assert res.log.cells(rule="complement") == 1


def test_value_is_suppressed_with_its_count():
    df = pd.DataFrame({"area": ["a", "b"], "n": [3, 30], "mean_income": [1.5e5, 2.5e5]})
    out = released(df, count_cols=["n"], values={"mean_income": "n"}).frame
    assert out["mean_income"].isna().tolist() == [True, False]


def test_minimum_is_never_a_releasable_value():
    df = pd.DataFrame({"area": ["a"], "n": [30], "max_income": [9.9e6]})
    with pytest.raises(DisclosureError, match="minimum or maximum"):
        released(df, count_cols=["n"], values={"max_income": "n"})


@pytest.mark.parametrize(
    ("counts", "message"),
    [([1, None], "missing values"), ([1, -2], "non-negative whole"), ([1.5, 2], "whole")],
)
def test_bad_counts_are_refused(counts, message):
    df = pd.DataFrame({"area": ["a", "b"], "n": counts})
    with pytest.raises(DisclosureError, match=message):
        released(df, count_cols=["n"])


def test_duplicate_keys_are_refused():
    df = pd.DataFrame({"area": ["a", "a"], "n": [10, 20]})
    with pytest.raises(DisclosureError, match="duplicate keys"):
        released(df, count_cols=["n"])


def test_rounding_to_base_and_midpoint():
    assert [round_count(v, rounding="base", base=5) for v in (0, 5, 7, 8, 12, 13)] == [
        0, 5, 5, 10, 10, 15]
    # OpenSAFELY midpoint 6: 0 -> 0, 1..6 -> 3, 7..12 -> 9, 13..18 -> 15
    assert [round_count(v, rounding="midpoint", base=6) for v in (0, 1, 6, 7, 12, 13, 18)] == [
        0, 3, 3, 9, 9, 15, 15]


def test_round_counts_keeps_suppressed_cells_missing_and_recomputes_shares():
    df = pd.DataFrame({"num": pd.array([12, pd.NA], dtype="Int64"),
                       "den": pd.array([23, 40], dtype="Int64")})
    df["share"] = [12 / 23, pd.NA]
    out = round_counts(df, count_cols=["num", "den"], rounding="base", base=5,
                       shares={"share": ("num", "den")})
    assert out["num"].tolist() == [10, pd.NA]
    assert out["den"].tolist() == [25, 40]
    assert out.loc[0, "share"] == pytest.approx(10 / 25)
    assert pd.isna(out.loc[1, "share"])


def test_settings_validate_and_disabling_needs_a_reason():
    assert DisclosureSettings().threshold == 5
    with pytest.raises(DisclosureError, match="reason"):
        DisclosureSettings(enabled=False)
    with pytest.raises(ParameterError, match="rounding must be one of"):
        DisclosureSettings(rounding="up")
    with pytest.raises(ParameterError, match="threshold"):
        DisclosureSettings(threshold=1)
    off = DisclosureSettings(enabled=False, reason="synthetic data")
    assert off.as_dict()["reason"] == "synthetic data"


def test_logs_add_up():
    a = SuppressionLog((("t", "n", "primary", 2),))
    b = SuppressionLog((("t", "n", "primary", 1), ("u", "n", "secondary", 3)))
    assert (a + b).cells(table="t") == 3
    assert (a + b).cells(rule="secondary") == 3


def test_numerator_above_denominator_is_refused():
    df = pd.DataFrame({"area": ["a"], "num": [10], "den": [9], "share": [1.1]})
    with pytest.raises(DisclosureError, match="exceeds denominator"):
        released(df, count_cols=["num", "den"], shares={"share": ("num", "den")})


def test_separate_parts_are_protected_as_independent_tables():
    import pandas as pd

    from cohort.disclosure import suppress_counts

    df = pd.DataFrame({
        "year": [2018, 2018, 2018, 2019, 2019, 2019],
        "unit": ["all", "a", "b", "all", "a", "b"],
        "n": [50, 3, 47, 60, 30, 30],
    })
    kw = {"count_cols": ["n"], "by": ["year", "unit"], "totals": {"unit": {"all": ["a", "b"]}}}
    whole = suppress_counts(df, separate=["year"], **kw).frame
    parts = pd.concat(
        [suppress_counts(p, **kw).frame for _, p in df.groupby("year")], ignore_index=True
    )
    pd.testing.assert_frame_equal(whole, parts)
    # 2018: a is small, so b (or all) must go too; 2019 has nothing small and stays
    assert whole["n"].iloc[:3].isna().sum() == 2
    assert whole["n"].iloc[3:].notna().all()
