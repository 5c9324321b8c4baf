"""The whole release as one table to an attacker: relations between tables and
columns, model output resting on suppressed cells, curves cut at their risk table.

Every protection claim is checked by an attacker written here, independently of
the package: a linear program over the *released* cells and the relations an
outsider knows (scipy's HiGHS on the cells themselves, not on the package's atoms).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from cohort.disclosure import (
    CellRef,
    Counts,
    Curve,
    ModelOutput,
    Relation,
    Release,
    RestsOn,
    RiskTableRef,
    same_cells,
)
from cohort.disclosure.whole import ReleaseSystem
from cohort.exceptions import CohortError, DisclosureError

WIDTH = 3  # threshold 5: an attacker's interval must span at least 3


def attack(cells: dict, equalities: list, lower_one: bool = True) -> dict:
    """LP bounds of every unknown cell.

    ``cells``: name -> published value or None (suppressed); ``equalities``: lists
    of names, total first (total = sum of parts). Suppressed cells are >= 1 (zeros
    are published); every cell is >= 0; extra unknowns (complements) may be
    named with a leading '~' and have no floor.
    """
    unknown = [k for k, v in cells.items() if v is None]
    idx = {k: i for i, k in enumerate(unknown)}
    a_eq, b_eq = [], []
    for eq in equalities:
        row = np.zeros(len(unknown))
        rhs = 0.0
        for j, name in enumerate(eq):
            sign = 1.0 if j == 0 else -1.0
            if cells[name] is None:
                row[idx[name]] += sign
            else:
                rhs -= sign * cells[name]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(0 if str(k).startswith("~") or not lower_one else 1, None) for k in unknown]
    out = {}
    for k in unknown:
        c = np.zeros(len(unknown))
        c[idx[k]] = 1
        lo = linprog(c, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                     bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                     bounds=bounds, method="highs")
        out[k] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def released(frame: pd.DataFrame, table: str, by: list[str], cols: list[str]) -> dict:
    out = {}
    for row in frame.itertuples(index=False):
        key = tuple(getattr(row, b) for b in by)
        for c in cols:
            v = getattr(row, c)
            out[(table, key, c)] = None if pd.isna(v) else int(v)
    return out


VALIDATION = pd.DataFrame({
    "table": ["persons", "residence", "income"],
    "rows_read": [300, 900, 5000],
    "rows_accepted": [300, 897, 4990],
    "rows_quarantined": [0, 3, 10],
})
COLS = ["rows_read", "rows_accepted", "rows_quarantined"]


def test_a_row_identity_is_known_to_the_attacker(tmp_path):
    # without the identity the quarantined 3 comes back as read - accepted
    naive = {"read": 900, "acc": 897, "q": None}
    assert attack(naive, [["read", "acc", "q"]])["q"] == (3, 3)
    with Release(tmp_path / "rel") as rel:
        out = rel.write_table("validation", VALIDATION, Counts(
            count_cols=COLS, by=["table"], identities={"rows_read": ("rows_accepted",
                                                                     "rows_quarantined")}))
    cells = released(out, "v", ["table"], COLS)
    eqs = [[("v", (t,), "rows_read"), ("v", (t,), "rows_accepted"),
            ("v", (t,), "rows_quarantined")] for t in VALIDATION["table"]]
    bounds = attack(cells, eqs)
    q = ("v", ("residence",), "rows_quarantined")
    assert cells[q] is None
    assert bounds[q][1] - bounds[q][0] >= WIDTH
    # only what is needed: the other rows are published whole
    assert out.set_index("table").loc["income"].notna().all()
    manifest = json.loads((tmp_path / "rel" / "manifest.json").read_text())
    rules = {r["rule"] for r in manifest["suppression"]}
    # which blanks are primary is not said: that would bound them by the threshold
    assert rules == {"suppressed"}
    assert manifest["whole_release"]["cells_suppressed_further"] == 1


SERIES = pd.DataFrame({
    "year": [2017] * 3 + [2018] * 3,
    "unit": ["a", "b", "T"] * 2,
    "num": [3, 40, 43, 20, 30, 50],
    "den": [50, 60, 110, 55, 66, 121],
})
SERIES_POLICY = Counts(count_cols=["num", "den"], by=["year", "unit"],
                       totals={"unit": {"T": ["a", "b"]}}, separate=["year"])


def test_the_same_cells_in_a_second_table_stay_suppressed(tmp_path):
    copy = SERIES[SERIES.unit == "a"][["year", "unit", "num", "den"]]
    with Release(tmp_path / "rel") as rel:
        s = rel.write_table("series", SERIES, SERIES_POLICY)
        # the copy alone would publish b's 40, giving a's 3 as 43 - 40 in the series
        copy_b = SERIES[SERIES.unit == "b"][["year", "unit", "num", "den"]]
        c = rel.write_table("copy_b", copy_b, Counts(
            count_cols=["num", "den"], by=["year", "unit"],
            relations=same_cells(copy_b, table="copy_b", other="series",
                                 keys=["year", "unit"], columns=["num", "den"])))
        rel.write_table("copy_a", copy, Counts(
            count_cols=["num", "den"], by=["year", "unit"],
            relations=same_cells(copy, table="copy_a", other="series",
                                 keys=["year", "unit"], columns=["num", "den"])))
    assert s.set_index(["year", "unit"]).loc[(2017, "a"), "num"] is pd.NA
    assert c.set_index(["year", "unit"]).loc[(2017, "b"), "num"] is pd.NA
    # 2018 has nothing to hide: shown in both
    assert c.set_index(["year", "unit"]).loc[(2018, "b"), "num"] == 30


def test_a_margin_in_another_table_is_known_to_the_attacker(tmp_path):
    groups = pd.DataFrame({"criterion": ["analysed"], "exposed": [57], "comparison": [300]})
    exits = pd.DataFrame({"group": ["exposed"] * 3, "exit": ["event", "emigrated", "end"],
                          "n": [40, 3, 14]})
    rel_ = [Relation(CellRef("groups", {"criterion": "analysed"}, "exposed"),
                     [CellRef("exits", {"group": "exposed", "exit": e}, "n")
                      for e in exits["exit"]])]
    with Release(tmp_path / "rel") as rel:
        rel.write_table("groups", groups, Counts(count_cols=["exposed", "comparison"],
                                                 by=["criterion"]))
        out = rel.write_table("exits", exits, Counts(count_cols=["n"], by=["group", "exit"],
                                                     relations=rel_))
    cells = released(out, "x", ["group", "exit"], ["n"])
    cells["total"] = 57
    bounds = attack(cells, [["total", *[("x", ("exposed", e), "n") for e in exits["exit"]]]])
    lo, hi = bounds[("x", ("exposed", "emigrated"), "n")]
    assert hi - lo >= WIDTH
    # without the relation the table alone publishes 40 and 14 and the margin gives 3
    with Release(tmp_path / "naive") as rel:
        rel.write_table("groups", groups, Counts(count_cols=["exposed", "comparison"],
                                                 by=["criterion"]))
        naive = rel.write_table("exits", exits, Counts(count_cols=["n"], by=["group", "exit"]))
    assert naive["n"].notna().sum() == 2


def test_a_relation_that_does_not_hold_is_a_declaration_error(tmp_path):
    exits = pd.DataFrame({"group": ["exposed"], "exit": ["event"], "n": [40]})
    groups = pd.DataFrame({"criterion": ["analysed"], "exposed": [57]})
    bad = [Relation(CellRef("groups", {"criterion": "analysed"}, "exposed"),
                    [CellRef("exits", {"group": "exposed", "exit": "event"}, "n")])]
    with Release(tmp_path / "rel") as rel:
        rel.write_table("groups", groups, Counts(count_cols=["exposed"], by=["criterion"]))
        with pytest.raises(DisclosureError, match="does not hold"):
            rel.write_table("exits", exits, Counts(count_cols=["n"], by=["group", "exit"],
                                                   relations=bad))


def test_a_cell_published_elsewhere_is_shown_not_hidden(tmp_path):
    # the copy on its own would hide b (secondary to a's 3) but the series shows
    # b's denominator... the copy's secondary cell is public already
    series = pd.DataFrame({"unit": ["a", "b", "c", "T"], "n": [3, 40, 30, 73]})
    copy = pd.DataFrame({"unit": ["a", "b", "T"], "n": [3, 40, 43]})
    # series hides a and the smallest other (c); the copy (a, b and their sum)
    # would hide a and b, but b is public in the series: it hides its total instead
    with Release(tmp_path / "rel") as rel:
        s = rel.write_table("series", series, Counts(count_cols=["n"], by=["unit"],
                                                     totals={"unit": "T"}))
        c = rel.write_table("copy", copy, Counts(
            count_cols=["n"], by=["unit"], totals={"unit": {"T": ["a", "b"]}},
            relations=same_cells(copy[copy.unit != "T"], table="copy", other="series",
                                 keys=["unit"], columns=["n"])))
    assert s.set_index("unit")["n"].isna().to_dict() == {"T": False, "a": True, "b": False,
                                                         "c": True}
    assert c.set_index("unit")["n"].isna().to_dict() == {"T": True, "a": True, "b": False}


PANEL = pd.DataFrame({
    "area": ["e", "e", "c", "c"], "year": [2017, 2018, 2017, 2018],
    "children": [40, 43, 60, 70], "enrolled": [30, 41, 45, 50],
})
PANEL["share"] = PANEL.enrolled / PANEL.children


def _panel(rel):
    return rel.write_table("panel", PANEL, Counts(
        count_cols=["children", "enrolled"], by=["area", "year"],
        shares={"share": ("enrolled", "children")}, separate=["year"]))


def test_model_rows_resting_on_a_suppressed_cell_are_withheld(tmp_path):
    coefs = pd.DataFrame({"term": ["e=-1", "e=0", "att"], "estimate": [0.01, 0.2, 0.15],
                          "std_error": [0.05, 0.05, 0.04]})
    cells = pd.DataFrame({"term": ["e=-1", "e=-1", "e=0", "e=0", "e=0", "e=0"],
                          "area": ["e", "c", "e", "c", "e", "c"],
                          "year": [2017, 2017, 2018, 2018, 2017, 2017]})
    with Release(tmp_path / "rel") as rel:
        p = _panel(rel)
        m = rel.write_table("es", coefs[coefs.term != "att"], ModelOutput(
            on=["term"], rests_on=[RestsOn("panel", cells=cells)]))
        a = rel.write_table("att", coefs[coefs.term == "att"], ModelOutput(
            rests_on=[RestsOn("panel")]))
    # 41 of 43 enrolled: the complement 2 hides the 2018 estate cell
    assert p.set_index(["area", "year"]).loc[("e", 2018), "enrolled"] is pd.NA
    assert m.set_index("term")["estimate"].isna().to_dict() == {"e=-1": False, "e=0": True}
    assert a["estimate"].isna().all() and a["std_error"].isna().all()
    log = (tmp_path / "rel" / "manifest.json").read_text()
    assert '"rests_on_suppressed"' in log and '"model_rows_withheld": 2' in log


def test_model_support_counts_the_complement(tmp_path):
    tidy = pd.DataFrame({"term": ["hr"], "estimate": [1.2]})
    support = pd.DataFrame({"group": ["a", "b"], "n_persons": [43, 90], "n_events": [41, 50]})
    with Release(tmp_path / "rel") as rel:
        out = rel.write_table("cox", tidy, ModelOutput(support=support, events="n_events"))
    assert out["estimate"].isna().all()  # 2 persons without the event


def test_rests_on_a_table_the_release_lacks_is_refused(tmp_path):
    with Release(tmp_path / "rel") as rel:
        with pytest.raises(DisclosureError, match="has not written or declared"):
            rel.write_table("m", pd.DataFrame({"term": ["a"], "estimate": [1.0]}),
                            ModelOutput(rests_on=[RestsOn("panel")]))


def test_declared_counts_are_protected_and_not_written(tmp_path):
    # the decomposition's classes: start = stayers + leavers, published start
    pop = pd.DataFrame({"year": [2010], "adults": [100]})
    classes = pd.DataFrame({"year": [2010] * 4, "cls": ["start", "stayers", "out", "ageing_out"],
                            "persons": [100, 80, 17, 3]})
    rels = [Relation(CellRef("classes", {"year": 2010, "cls": "start"}, "persons"),
                     [CellRef("classes", {"year": 2010, "cls": c}, "persons")
                      for c in ("stayers", "out", "ageing_out")]),
            Relation(CellRef("classes", {"year": 2010, "cls": "start"}, "persons"),
                     [CellRef("pop", {"year": 2010}, "adults")])]
    terms = pd.DataFrame({"term": ["out", "ageing_out", "stayers"],
                          "estimate": [-1.0, -0.5, 0.2]})
    cells = pd.DataFrame({"term": ["out", "ageing_out", "stayers"],
                          "cls": ["out", "ageing_out", "stayers"]})
    with Release(tmp_path / "rel") as rel:
        rel.write_table("pop", pop, Counts(count_cols=["adults"], by=["year"]))
        d = rel.declare_counts("classes", classes, Counts(count_cols=["persons"],
                                                          by=["year", "cls"], relations=rels))
        out = rel.write_table("terms", terms, ModelOutput(
            on=["term"], rests_on=[RestsOn("classes", cells=cells)]))
    hidden = set(d.loc[d.persons.isna(), "cls"])
    assert "ageing_out" in hidden and len(hidden) >= 2
    assert set(out.loc[out.estimate.isna(), "term"]) == hidden - {"start"}
    names = {p.name for p in (tmp_path / "rel").iterdir()}
    assert not any(n.startswith("classes") for n in names)
    cells_ = {c: (None if pd.isna(v) else int(v)) for c, v in zip(d.cls, d.persons,
                                                                    strict=True)}
    cells_["pop"] = 100
    bounds = attack(cells_, [["start", "stayers", "out", "ageing_out"], ["start", "pop"]])
    lo, hi = bounds["ageing_out"]
    assert hi - lo >= WIDTH


def test_a_curve_is_cut_where_its_risk_table_hides_a_cell(tmp_path):
    risk = pd.DataFrame({"group": ["x"] * 4, "months": [0, 6, 12, 18],
                         "at_risk": [60, 48, 40, 30], "events": [0, 7, 17, 25],
                         "censored": [0, 5, 3, 5]})
    curve = pd.DataFrame({"time": [0, 2, 5, 7, 11, 14, 20], "n_risk": [60, 58, 52, 49, 42, 38, 20],
                          "n_event": [0, 6, 5, 6, 5, 5, 5],
                          "estimate": [1.0, .9, .8, .7, .6, .5, .4]})
    ref = RiskTableRef("risk", time="months", where={"group": "x"})
    with Release(tmp_path / "rel") as rel:
        r = rel.write_table("risk", risk, Counts(count_cols=["at_risk", "events", "censored"],
                                                 by=["group", "months"],
                                                 separate=["months"]))
        k = rel.write_table("km", curve, Curve(keep=(), risk_table=ref))
    first_hidden = r.loc[r[["at_risk", "events", "censored"]].isna().any(axis=1), "months"]
    assert first_hidden.min() == 12
    assert k["time"].max() <= 6


def test_the_audit_refuses_a_release_it_finds_leaking(tmp_path, monkeypatch):
    # the relation-aware step switched off: the audit at the end catches it
    monkeypatch.setattr(ReleaseSystem, "_protect", lambda *a, **k: None)
    with pytest.raises(CohortError, match="whole-release check found") as err:
        with Release(tmp_path / "rel") as rel:
            rel.write_table("validation", VALIDATION, Counts(
                count_cols=COLS, by=["table"],
                identities={"rows_read": ("rows_accepted", "rows_quarantined")}))
    assert not (tmp_path / "rel").exists()
    assert err.value.exit_code == 4  # a defect in the package, not the user's doing


def test_derived_columns_come_from_the_released_cells(tmp_path):
    df = pd.DataFrame({"year": [2018, 2019, 2020], "n": [3, 40, 50], "d": [100, 100, 100]})
    df["share"] = df.n / df.d

    def change(t):  # the change since 2018: only from what the release shows
        base = t.loc[t.year == 2018, "share"].astype("Float64").iloc[0]
        return t["share"].astype("Float64") - base

    policy = Counts(count_cols=["n", "d"], by=["year"], shares={"share": ("n", "d")},
                    derived={"change": change})
    with Release(tmp_path / "rel") as rel:
        out = rel.write_table("t", df, policy)
        with pytest.raises(DisclosureError, match="leave them out of the input"):
            rel.write_table("t2", df.assign(change=0.0), policy)
    # the baseline's 3 is hidden: a change against it would give it back
    assert out["change"].isna().all()
    df.loc[0, "n"] = 30
    df["share"] = df.n / df.d
    with Release(tmp_path / "rel2") as rel:
        out = rel.write_table("t", df, policy)
    assert out["change"].round(9).tolist() == [0.0, 0.1, 0.2]
