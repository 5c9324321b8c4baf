"""Model-output and Kaplan-Meier release rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort.disclosure import km_release, suppress_model_output
from cohort.exceptions import DisclosureError

TIDY = pd.DataFrame({
    "term": ["att", "att"], "group": ["2016", "2017"], "estimate": [0.1, 0.2],
    "std_error": [0.05, 0.04], "conf_low": [0.0, 0.12], "conf_high": [0.2, 0.28],
})


def test_an_output_resting_on_a_small_cell_is_blanked():
    support = pd.DataFrame({"group": ["2016", "2016", "2017", "2017"],
                            "period": [1, 2, 1, 2],
                            "n_persons": [40, 40, 40, 40], "n_events": [12, 4, 9, 10]})
    res = suppress_model_output(TIDY, support, events="n_events", on=["group"], table="did")
    assert res.frame["estimate"].isna().tolist() == [True, False]
    assert res.frame["conf_high"].isna().tolist() == [True, False]
    assert res.frame["term"].tolist() == ["att", "att"]
    assert res.log.cells(rule="model_support") == 4  # one row, four value columns


def test_without_keys_one_small_cell_blanks_the_whole_output():
    support = pd.DataFrame({"group": ["t", "c"], "n_persons": [400, 4]})
    res = suppress_model_output(TIDY, support)
    assert res.frame["estimate"].isna().all()


def test_zero_persons_behind_a_cell_fails_too():
    support = pd.DataFrame({"group": ["2016", "2017"], "n_persons": [0, 50]})
    res = suppress_model_output(TIDY, support, on=["group"])
    assert res.frame["estimate"].isna().tolist() == [True, False]


def test_missing_support_columns_are_named():
    with pytest.raises(DisclosureError, match="n_events"):
        suppress_model_output(TIDY, pd.DataFrame({"n_persons": [9]}), events="n_events")


def km_curve():
    n_risk = [30, 30, 27, 25, 21, 18, 12, 6, 4]
    n_event = [0, 3, 2, 4, 3, 5, 1, 2, 1]
    est = np.cumprod([1 - d / n for d, n in zip(n_event, n_risk, strict=True)])
    return pd.DataFrame({"time": range(9), "n_risk": n_risk, "n_event": n_event,
                         "estimate": est, "conf_low": est - 0.1, "conf_high": est + 0.1})


def test_km_is_cut_where_fewer_than_threshold_are_at_risk():
    out = km_release(km_curve()).frame
    assert out["time"].max() == 7  # 4 at risk at time 8


def test_km_steps_each_rest_on_threshold_events():
    c = km_curve()
    res = km_release(c)
    out = res.frame
    shown = out["time"].tolist()
    assert shown == [0, 2, 4, 5, 7]
    # events since the previous shown step are >= 5 at every step but the flat end
    cum = c.set_index("time")["n_event"]
    steps = [t for t in shown[1:] if out.set_index("time").loc[t, "estimate"]
             != out.set_index("time")["estimate"].shift().loc[t]]
    prev = 0
    for t in steps:
        assert cum.loc[prev + 1:t].sum() >= 5
        prev = t
    # the shown estimates are the true ones at their times
    true = c.set_index("time")["estimate"]
    assert out.set_index("time").loc[5, "estimate"] == pytest.approx(true.loc[5])
    assert res.log.cells(rule="km_at_risk") == 1
    assert list(out.columns) == ["time", "estimate", "conf_low", "conf_high"]


def test_km_with_too_few_at_risk_releases_only_the_start():
    c = km_curve()
    c["n_risk"] = 4
    assert km_release(c).frame.empty


def test_keys_of_different_types_are_refused():
    support = pd.DataFrame({"group": [2016, 2017], "n_persons": [40, 40]})
    with pytest.raises(DisclosureError, match="different types"):
        suppress_model_output(TIDY, support, on=["group"])


def _decomposition(parts_n):
    """Two years of a decomposition: parts a, b, c and their total, with their support."""
    rows, sup = [], []
    for year, ns in parts_n.items():
        for term, n in ns.items():
            rows.append({"year": year, "term": term, "estimate": float(n) / 10})
            sup.append({"year": year, "term": term, "n_persons": n})
    return pd.DataFrame(rows), pd.DataFrame(sup)


def test_additive_parts_blank_a_second_row_when_one_is_blanked():
    res, sup = _decomposition({
        2018: {"a": 3, "b": 50, "c": 7, "total": 60},   # a fails: c (smallest shown) goes too
        2019: {"a": 20, "b": 30, "c": 40, "total": 90},  # nothing fails
    })
    out = suppress_model_output(res, sup, on=["year", "term"], additive=["year"])
    blank = out.frame.set_index(["year", "term"])["estimate"].isna()
    assert sorted(blank[blank].index) == [(2018, "a"), (2018, "c")]
    assert out.log.cells(rule="model_support") == 1  # one row, one value column
    assert out.log.cells(rule="additive_secondary") == 1
    # without the relation only the failing row is blanked
    plain = suppress_model_output(res, sup, on=["year", "term"])
    assert plain.frame["estimate"].isna().sum() == 1


def test_additive_total_row_counts_like_a_part():
    res, sup = _decomposition({2018: {"a": 30, "b": 50, "c": 70, "total": 2}})
    out = suppress_model_output(res, sup, on=["year", "term"], additive=["year"])
    blank = out.frame.set_index("term")["estimate"].isna()
    assert sorted(blank[blank].index) == ["a", "total"]  # a has the smallest support shown


def test_additive_never_leaves_a_single_blank_in_a_group():
    rng = np.random.default_rng(4)
    for _ in range(200):
        parts = {y: {t: int(rng.integers(1, 12)) for t in ("a", "b", "c", "d", "total")}
                 for y in (2017, 2018, 2019)}
        res, sup = _decomposition(parts)
        out = suppress_model_output(res, sup, on=["year", "term"], additive=["year"])
        frame = out.frame
        for year, part in frame.groupby("year"):
            nblank = int(part["estimate"].isna().sum())
            assert nblank != 1, (year, parts[year])
            small = sum(1 for n in parts[year].values() if n < 5)
            assert nblank == (small if small != 1 else 2)


def test_additive_keys_must_be_keys():
    res, sup = _decomposition({2018: {"a": 30, "total": 30}})
    with pytest.raises(DisclosureError, match="additive keys"):
        suppress_model_output(res, sup, on=["term"], additive=["year"])
