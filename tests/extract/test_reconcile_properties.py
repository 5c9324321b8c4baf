"""Generative tests: reconciliation always holds, and the DuckDB row rules agree
with a slow, obviously correct Python reading of the contract."""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.extract import read_extract, write_extract

PIDS = ["P1", "P2", "P3", "P4"]
ADDRS = ["A1", "A2", "A9"]  # A9 is not in addresses
DAY0 = dt.date(2000, 1, 1)

dates = st.integers(0, 60).map(lambda d: DAY0 + dt.timedelta(days=d))
spell = st.tuples(
    st.sampled_from(PIDS + ["P9"]), st.sampled_from(ADDRS), dates,
    st.one_of(st.none(), dates),
)
person = st.tuples(st.sampled_from(PIDS), st.sampled_from(["F", "M", "X"]), st.booleans())


def slow_rules(persons: list, spells: list) -> tuple[dict[int, str], dict[int, str]]:
    """The contract's row rules, one row at a time (first rule wins)."""
    p_rule: dict[int, str] = {}
    counts = {pid: sum(1 for p in persons if p[0] == pid) for pid in PIDS}
    for i, (pid, sex, has_birth) in enumerate(persons, start=1):
        if not has_birth:
            p_rule[i] = "missing_value"
        elif sex not in ("F", "M"):
            p_rule[i] = "invalid_code"
        elif counts[pid] > 1:
            p_rule[i] = "duplicate_pid"
    accepted = {persons[i - 1][0] for i in range(1, len(persons) + 1) if i not in p_rule}
    r_rule: dict[int, str] = {}
    for i, (pid, addr, start, end) in enumerate(spells, start=1):
        if end is not None and end < start:
            r_rule[i] = "end_before_start"
        elif pid not in accepted:
            r_rule[i] = "unknown_pid"
        elif addr == "A9":
            r_rule[i] = "unknown_address"
    ok = [i for i in range(1, len(spells) + 1) if i not in r_rule]
    far = dt.date(9999, 12, 31)
    for i, j in itertools.combinations(ok, 2):
        a, b = spells[i - 1], spells[j - 1]
        if a[0] != b[0]:
            continue
        # half-open [start, end) intervals overlap when each starts before the other ends
        if a[2] < (b[3] or far) and b[2] < (a[3] or far):
            r_rule[i] = r_rule[j] = "overlapping_spells"
    return p_rule, r_rule


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(persons=st.lists(person, min_size=1, max_size=6), spells=st.lists(spell, max_size=12))
def test_rules_match_slow_reference_and_reconcile(tmp_path_factory, persons, spells):
    frames = {
        "persons": pd.DataFrame(
            {"pid": [p[0] for p in persons],
             "birth_date": [DAY0 if p[2] else None for p in persons],
             "sex": [p[1] for p in persons]}
        ),
        "addresses": pd.DataFrame({"address_id": ["A1", "A2"], "municipality": [159, 101]}),
        "residence": pd.DataFrame(
            {"pid": [s[0] for s in spells], "address_id": [s[1] for s in spells],
             "moved_in": [s[2] for s in spells], "moved_out": [s[3] for s in spells]},
            columns=["pid", "address_id", "moved_in", "moved_out"],
        ).astype({"pid": object, "address_id": object}),
    }
    path = write_extract(frames, tmp_path_factory.mktemp("h"), extract_end="2019-12-31")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = read_extract(path)
    with ex:
        p_rule, r_rule = slow_rules(persons, spells)
        for table, expected, n in (("persons", p_rule, len(persons)), ("residence", r_rule, len(spells))):
            rep = ex.report[table]
            assert rep.rows_read == n
            assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined
            assert sum(rep.rules.values()) == rep.rows_quarantined
            q = ex.quarantine(table)
            got = dict(zip(q["_source_row"], q["rule"], strict=True))
            assert got == expected
