"""Spec tests: the DiD panels built from the registers, at their date boundaries."""

from __future__ import annotations

import datetime as dt

import pytest

from cohort.exceptions import ParameterError
from cohort.panels import AREA_YEAR_COLUMNS, CHILD_COLUMNS, area_year_panel, child_panel

D = dt.date.fromisoformat


def _kids(make_extract):
    """Children born 2000 (exam 2016) and 1998 (exam 2014). Baseline: 30 June 2013 / 2011."""
    return make_extract({
        "persons": [("a", "2000-03-01", "F"), ("b", "2000-03-01", "M"), ("c", "2000-03-01", "F"),
                    ("d", "1998-03-01", "M"), ("e", "2000-03-01", "F"), ("f", "2000-03-01", "M")],
        "residence": [
            # a: in the estate on the baseline day, moves out on 1 April 2016
            ("a", "E1", "2000-03-01", "2016-04-01"), ("a", "G1", "2016-04-01", None),
            # b: moves into the estate the day after the baseline date: not estate at baseline
            ("b", "G1", "2000-03-01", "2013-07-01"), ("b", "E1", "2013-07-01", None),
            # c: in the comparison estate at baseline, moves into the estate on 1 March 2016
            ("c", "K2", "2000-03-01", "2016-03-01"), ("c", "E2", "2016-03-01", None),
            # d: estate, exam 2014 (before the start): no dose
            ("d", "E1", "1998-03-01", None),
            # e: moves out of the estate on the baseline day itself: not in the estate that day
            ("e", "E1", "2000-03-01", "2013-06-30"), ("e", "K2", "2013-06-30", None),
            # f: in the estate at baseline, abroad for the whole window
            ("f", "E1", "2000-03-01", "2015-06-01"), ("f", "E1", "2016-07-01", None),
        ],
        "exams": [("a", 2016), ("b", 2016), ("c", 2016), ("d", 2014), ("e", 2016), ("f", 2016),
                  ("a", 2017)],  # a repeats 9th grade: its first exam year counts
        "education": [
            # a's spell ends on 30 September (exclusive end): not enrolled that day
            ("a", "youth_general", "stx", "2017-08-15", "2017-09-30", "dropped"),
            ("c", "youth_vocational", "eud", "2017-08-15", "2017-10-01", "dropped"),
            ("d", "youth_general", "stx", "2015-08-15", None, "ongoing"),
        ],
    })


def test_child_panel_assigns_by_baseline_and_measures_dose(make_extract):
    ex = _kids(make_extract)
    p = child_panel(ex, target="vaerebro_park", comparison=["other_estate"],
                    exam_years=[2014, 2016], baseline_years_before=3)
    assert tuple(p.columns) == CHILD_COLUMNS
    rows = p.set_index("pid")
    assert sorted(rows.index) == ["a", "c", "d", "e", "f"]  # b lived elsewhere at baseline
    assert rows.loc["a", "area"] == "vaerebro_park"
    assert rows.loc["e", "area"] == "other_estate"  # the move-out day counts at the new address
    assert rows.loc["c", "area"] == "other_estate"
    assert rows.loc["a", "exam_year"] == 2016
    assert rows["enrolled"].to_dict() == {"a": 0, "c": 1, "d": 1, "e": 0, "f": 0}
    assert rows["post"].to_dict() == {"a": 1, "c": 1, "d": 0, "e": 1, "f": 1}
    assert rows["treated"].to_dict() == {"a": 1, "c": 0, "d": 0, "e": 0, "f": 1}
    # intention-to-treat dose: 1 Jan 2016 to 30 June 2016 for the estate's children
    half = (D("2016-06-30") - D("2016-01-01")).days / 365.25
    assert rows.loc["a", "dose_itt"] == pytest.approx(half)
    assert rows.loc["f", "dose_itt"] == pytest.approx(half)
    assert rows.loc["c", "dose_itt"] == 0.0
    assert rows.loc["d", "dose_itt"] == 0.0
    # lived dose: the days actually in the estate in [1 Jan 2016, 30 June 2016)
    assert rows.loc["a", "dose_lived"] == pytest.approx(91 / 365.25)  # Jan-Mar 2016
    assert rows.loc["c", "dose_lived"] == pytest.approx(
        (D("2016-06-30") - D("2016-03-01")).days / 365.25)
    assert rows.loc["f", "dose_lived"] == 0.0  # abroad
    assert rows.loc["d", "dose_lived"] == 0.0


def test_child_panel_refuses_baselines_after_the_start_and_unobserved_outcomes(make_extract):
    ex = _kids(make_extract)
    with pytest.raises(ParameterError, match="not before the intervention start"):
        child_panel(ex, target="vaerebro_park", comparison=["other_estate"],
                    exam_years=[2016], baseline_years_before=0)
    with pytest.raises(ParameterError, match="after the extract's end"):
        child_panel(ex, target="vaerebro_park", comparison=["other_estate"],
                    exam_years=[2019])
    with pytest.raises(ParameterError, match="must differ"):
        child_panel(ex, target="vaerebro_park", comparison=["vaerebro_park"],
                    exam_years=[2016])


def test_area_year_panel_counts_youth_support_on_1_january(make_extract):
    ex = make_extract({
        "persons": [("a", "1995-01-01", "F"), ("b", "1995-01-02", "M"), ("c", "1990-06-01", "F")],
        "residence": [("a", "E1", "2000-01-01", None), ("b", "E1", "2000-01-01", None),
                      ("c", "K2", "2000-01-01", None)],
        # a on support over 1 January 2016 only; c from 1 January 2017 (covers that day)
        "benefits": [("a", "cash_assistance", "2015-12-01", "2016-02-01"),
                     ("c", "cash_assistance", "2017-01-01", None)],
    })
    p = area_year_panel(ex, indicator="youth_public_support", target="vaerebro_park",
                        comparison=["other_estate"], years=[2013, 2016, 2017],
                        first_treated_year=2017)
    assert tuple(p.columns) == AREA_YEAR_COLUMNS
    got = {(r.area, r.year): (r.numerator, r.denominator, r.treated) for r in p.itertuples()}
    # b turns 18 on 2 January 2013: not aged 18-29 on 1 January 2013
    assert got[("vaerebro_park", 2013)] == (0, 1, 0)
    assert got[("vaerebro_park", 2016)] == (1, 2, 0)
    assert got[("vaerebro_park", 2017)] == (0, 2, 1)
    assert got[("other_estate", 2017)] == (1, 1, 0)
    assert set(p.loc[p["area"] == "other_estate", "first_treated"]) == {0}
    with pytest.raises(ParameterError, match="indicator must be one of"):
        area_year_panel(ex, indicator="nope", target="vaerebro_park",
                        comparison=["other_estate"], years=[2016], first_treated_year=2017)


def test_the_connection_never_answers_asof_joins_with_a_nested_loop(make_extract):
    """A misestimated small side made DuckDB loop over the labour register (40 s in the
    demo's origin-destination matrix instead of 1 s): read_extract switches that off."""
    ex = make_extract({"persons": [("a", "2000-01-01", "F")], "residence": []})
    got = ex.con.execute("SELECT current_setting('asof_loop_join_threshold')").fetchall()
    assert got == [(0,)]
