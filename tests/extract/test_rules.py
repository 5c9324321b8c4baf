"""Spec tests: one per row rule of the data contract, on tiny hand-made tables.

Each test plants exactly one breach and checks that precisely that row is set
aside, under that rule, with its values as read and its row number, and that
the table reconciles.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

D = dt.date.fromisoformat


def _check(ex, table, *, rule, rows):
    rep = ex.report[table]
    assert rep.reconciles
    assert rep.rules == {rule: len(rows)}
    q = ex.quarantine(table)
    assert list(q["_source_row"]) == rows
    assert set(q["rule"]) == {rule}
    assert len(ex.to_pandas(table)) == rep.rows_read - len(rows)


def test_clean_extract_accepts_every_row(make_extract, frames):
    ex = make_extract(frames)
    assert ex.report.status == "valid"
    for t in ("persons", "addresses", "residence"):
        assert ex.report[t].rows_quarantined == 0
        assert ex.report[t].rows_accepted == len(frames[t])
    assert ex.report.missing_tables[0] == "migrations"


def test_missing_required_value(make_extract, frames):
    frames["persons"].loc[1, "birth_date"] = None
    ex = make_extract(frames)
    _check(ex, "persons", rule="missing_value", rows=[2])
    # P2's residence is then unknown_pid: the person was set aside, not silently dropped
    assert ex.report["residence"].rules == {"unknown_pid": 1}


def test_invalid_date_is_set_aside_not_fatal(make_extract, frames):
    frames["residence"] = frames["residence"].astype({"moved_in": str, "moved_out": str})
    frames["residence"].loc[2, "moved_in"] = "1985-02-30"
    frames["residence"]["moved_out"] = frames["residence"]["moved_out"].replace("None", "")
    ex = make_extract(frames, format="csv")
    _check(ex, "residence", rule="invalid_date", rows=[3])
    assert ex.quarantine("residence")["moved_in"].iloc[0] == "1985-02-30"


def test_invalid_code(make_extract, frames):
    frames["persons"].loc[0, "sex"] = "K"
    ex = make_extract(frames)
    _check(ex, "persons", rule="invalid_code", rows=[1])


def test_out_of_range_grade_and_absence(make_extract, frames):
    frames["exams"] = pd.DataFrame(
        {"pid": ["P1", "P2"], "year": [2016, 2001], "danish": [12.0, 13.0], "math": [None, 4.0]}
    )
    frames["absence"] = pd.DataFrame(
        {"pid": ["P1", "P2"], "year": [2016, 2001], "unauthorised_days": [0, -1]}
    )
    ex = make_extract(frames)
    _check(ex, "exams", rule="out_of_range", rows=[2])
    _check(ex, "absence", rule="out_of_range", rows=[2])
    # a missing grade is allowed: the row with math missing is accepted
    assert ex.to_pandas("exams")["math"].isna().sum() == 1


def test_spell_ending_before_it_starts(make_extract, frames):
    frames["residence"].loc[3, "moved_out"] = D("1994-12-31")
    ex = make_extract(frames)
    _check(ex, "residence", rule="end_before_start", rows=[4])


def test_zero_length_spell_is_not_ending_before_start(make_extract, frames):
    frames["residence"].loc[3, "moved_out"] = D("1995-01-01")
    ex = make_extract(frames)
    assert ex.report["residence"].rows_quarantined == 0


def test_death_before_birth(make_extract, frames):
    frames["persons"]["death_date"] = [None, D("1980-01-01"), None]
    ex = make_extract(frames)
    assert ex.report["persons"].rules == {"end_before_start": 1}


def test_duplicate_pid_sets_aside_every_copy(make_extract, frames):
    frames["persons"] = pd.concat([frames["persons"], frames["persons"].iloc[[1]]])
    ex = make_extract(frames)
    _check(ex, "persons", rule="duplicate_pid", rows=[2, 4])


def test_duplicate_key_in_yearly_table(make_extract, frames):
    frames["labour"] = pd.DataFrame(
        {"pid": ["P2", "P2", "P2"], "year": [2015, 2015, 2016],
         "status": ["employed", "student", "employed"]}
    )
    ex = make_extract(frames)
    _check(ex, "labour", rule="duplicate_key", rows=[1, 2])


def test_unknown_pid(make_extract, frames):
    frames["convictions"] = pd.DataFrame(
        {"pid": ["P2", "P9"], "decision_date": [D("2015-03-01")] * 2,
         "offence": ["drugs", "penal_code"]}
    )
    ex = make_extract(frames)
    _check(ex, "convictions", rule="unknown_pid", rows=[2])


def test_unknown_address(make_extract, frames):
    frames["residence"].loc[2, "address_id"] = "A9"
    ex = make_extract(frames)
    _check(ex, "residence", rule="unknown_address", rows=[3])


def test_overlapping_spells_set_aside_both(make_extract, frames):
    extra = pd.DataFrame(
        {"pid": ["P1"], "address_id": ["A2"], "moved_in": [D("2009-06-01")],
         "moved_out": [D("2009-09-01")]}
    )
    frames["residence"] = pd.concat([frames["residence"], extra], ignore_index=True)
    ex = make_extract(frames)
    _check(ex, "residence", rule="overlapping_spells", rows=[1, 5])


def test_open_spell_followed_by_another_overlaps(make_extract, frames):
    extra = pd.DataFrame(
        {"pid": ["P2"], "address_id": ["A1"], "moved_in": [D("2019-01-01")], "moved_out": [None]}
    )
    frames["residence"] = pd.concat([frames["residence"], extra], ignore_index=True)
    ex = make_extract(frames)
    _check(ex, "residence", rule="overlapping_spells", rows=[3, 5])


def test_adjacent_spells_do_not_overlap(make_extract, frames):
    # P1 leaves A1 on 2010-01-01 and moves into A2 the same day: half-open spells touch
    ex = make_extract(frames)
    assert ex.report["residence"].rules == {}


def test_bad_neighbour_does_not_drag_a_good_spell_into_quarantine(make_extract, frames):
    # a spell set aside for another rule is not used to judge overlaps
    extra = pd.DataFrame(
        {"pid": ["P1"], "address_id": ["A9"], "moved_in": [D("2005-01-01")], "moved_out": [None]}
    )
    frames["residence"] = pd.concat([frames["residence"], extra], ignore_index=True)
    ex = make_extract(frames)
    _check(ex, "residence", rule="unknown_address", rows=[5])


def test_first_rule_wins_and_counts_add_up(make_extract, frames):
    frames["residence"].loc[0, "moved_out"] = D("1999-01-01")  # ends before start
    frames["residence"].loc[0, "address_id"] = "A9"  # and unknown address
    ex = make_extract(frames)
    assert ex.report["residence"].rules == {"end_before_start": 1}


@pytest.mark.parametrize("table", ["education", "benefits", "placements"])
def test_optional_end_column_may_be_absent(make_extract, frames, table):
    cols = {
        "education": {"level": ["youth_general"], "outcome": ["ongoing"]},
        "benefits": {"benefit": ["sickness"]},
        "placements": {"kind": ["institution"]},
    }[table]
    frames[table] = pd.DataFrame({"pid": ["P1"], "start_date": [D("2016-08-01")], **cols})
    ex = make_extract(frames)
    df = ex.to_pandas(table)
    assert df["end_date"].isna().all()
    assert ex.report[table].rows_accepted == 1
