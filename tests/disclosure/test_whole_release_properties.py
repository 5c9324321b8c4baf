"""Property tests of the whole-release check: random saturated designs and random
decompositions over random count tables, attacked with what they publish.

The attacker here is written independently of the package: a linear program over
the released count cells (children and enrolled per area and year; the classes of
a decomposition) in which every *published* model output is an equation. A
saturated coefficient is a difference of cell means, linear in the enrolled counts
once the children are known; a decomposition term (r - S0 n) / N1 gives its class's
counts back whole. If the release published an output resting on a suppressed
cell, the attacker would pin or narrow that cell, and the test fails.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from cohort.disclosure import Counts, ModelOutput, Release, RestsOn
from cohort.flows._decompose import ENTRANTS, LEAVERS

THRESHOLD = 5
WIDTH = 3


def bounds(n_vars: int, a_eq: list, b_eq: list, lower: list, upper: list, objective: int):
    c = np.zeros(n_vars)
    c[objective] = 1.0
    kw = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq)} if a_eq else {}
    lo = linprog(c, bounds=list(zip(lower, upper, strict=True)), method="highs", **kw)
    hi = linprog(-c, bounds=list(zip(lower, upper, strict=True)), method="highs", **kw)
    assert lo.status == 0 and hi.status in (0, 3), "the true values are always feasible"
    return lo.fun, np.inf if hi.status == 3 else -hi.fun


# ------------------------------------------------------------ saturated designs
@st.composite
def panels(draw):
    n_areas = draw(st.integers(2, 4))
    years = list(range(2015, 2015 + draw(st.integers(2, 4))))
    rows = []
    for a in range(n_areas):
        for y in years:
            children = draw(st.one_of(st.integers(1, 9), st.integers(10, 60)))
            enrolled = draw(st.one_of(st.integers(0, children),
                                      st.integers(max(0, children - 4), children)))
            rows.append({"area": f"a{a}", "year": y, "children": children,
                         "enrolled": enrolled})
    return pd.DataFrame(rows)


def saturated_outputs(panel: pd.DataFrame):
    """Cell-mean differences against the first year and first area, and their average."""
    mean = (panel.set_index(["area", "year"])["enrolled"]
            / panel.set_index(["area", "year"])["children"])
    areas, years = sorted(panel["area"].unique()), sorted(panel["year"].unique())
    ref_a, ref_y = areas[0], years[0]
    rows, cells = [], []
    for a in areas[1:]:
        for y in years[1:]:
            term = f"{a}:{y}"
            used = [(a, y), (a, ref_y), (ref_a, y), (ref_a, ref_y)]
            coef = {(a, y): 1, (a, ref_y): -1, (ref_a, y): -1, (ref_a, ref_y): 1}
            rows.append({"term": term,
                         "estimate": sum(c * mean[k] for k, c in coef.items()),
                         "coef": coef})
            cells += [{"term": term, "area": k[0], "year": k[1]} for k in used]
    avg = {}
    for r in rows:
        for k, c in r["coef"].items():
            avg[k] = avg.get(k, 0) + c / len(rows)
    rows.append({"term": "average", "estimate": sum(c * mean[k] for k, c in avg.items()),
                 "coef": avg})
    cells += [{"term": "average", "area": k[0], "year": k[1]} for k in avg]
    return rows, pd.DataFrame(cells)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(panel=panels(), margins=st.booleans())
def test_no_saturated_coefficient_gives_a_suppressed_cell_back(tmp_path_factory, panel,
                                                               margins):
    panel = panel.assign(share=panel.enrolled / panel.children)
    rows, cells = saturated_outputs(panel)
    tidy = pd.DataFrame([{"term": r["term"], "estimate": r["estimate"]} for r in rows])
    with Release(tmp_path_factory.mktemp("rel") / "r") as rel:
        if margins:  # the panel with a total over areas per year
            tot = panel.groupby("year", as_index=False)[["children", "enrolled"]].sum()
            tot["area"] = "all"
            tot["share"] = tot.enrolled / tot.children
            table = pd.concat([panel, tot[panel.columns]], ignore_index=True)
            policy = Counts(count_cols=("children", "enrolled"), by=("area", "year"),
                            shares={"share": ("enrolled", "children")},
                            totals={"area": "all"}, separate=("year",))
        else:
            table = panel
            policy = Counts(count_cols=("children", "enrolled"), by=("area", "year"),
                            shares={"share": ("enrolled", "children")}, separate=("year",))
        shown = rel.write_table("panel", table, policy)
        out = rel.write_table("model", tidy, ModelOutput(
            on=("term",), rests_on=(RestsOn("panel", cells=cells),)))
    # --- the attacker: unknowns are the enrolled and children counts of every cell
    keys = [tuple(k) for k in table[["area", "year"]].itertuples(index=False, name=None)]
    ix = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    true_e = table["enrolled"].to_numpy()
    true_c = table["children"].to_numpy()
    pub = shown.set_index(["area", "year"])
    a_eq, b_eq = [], []
    # variables: enrolled 0..n-1, non-enrolled n..2n-1 (children = e + non)
    lower, upper = [0] * (2 * n), [None] * (2 * n)
    for k in keys:
        e, c = pub.loc[k, "enrolled"], pub.loc[k, "children"]
        if pd.notna(e):
            row = np.zeros(2 * n)
            row[ix[k]] = 1
            a_eq.append(row)
            b_eq.append(float(e))
        else:
            lower[ix[k]] = 1  # zeros are published: a hidden count is at least 1
        if pd.notna(c):
            row = np.zeros(2 * n)
            row[ix[k]] = row[n + ix[k]] = 1
            a_eq.append(row)
            b_eq.append(float(c))
    if margins:
        for y in sorted(panel["year"].unique()):
            parts = [k for k in keys if k[1] == y and k[0] != "all"]
            for off in (0, n):
                row = np.zeros(2 * n)
                row[off + ix[("all", y)]] = 1
                for k in parts:
                    row[off + ix[k]] -= 1
                a_eq.append(row)
                b_eq.append(0.0)
    published = out.set_index("term")["estimate"]
    for r in rows:
        if pd.isna(published[r["term"]]):
            continue
        # a published coefficient is linear in the enrolled counts of its cells; the
        # attacker needs their children, which the release must then publish
        assert all(pd.notna(pub.loc[k, "children"]) for k in r["coef"])
        row = np.zeros(2 * n)
        for k, c in r["coef"].items():
            row[ix[k]] += c / float(pub.loc[k, "children"])
        a_eq.append(row)
        b_eq.append(float(published[r["term"]]))
    for k in keys:
        i = ix[k]
        hidden_e = pd.isna(pub.loc[k, "enrolled"])
        non = true_c[i] - true_e[i]
        if hidden_e and true_e[i] > 0:
            lo, hi = bounds(2 * n, a_eq, b_eq, lower, upper, i)
            assert hi - lo >= WIDTH - 1e-6, (k, "enrolled", lo, hi)
        if hidden_e and 1 <= non < THRESHOLD:
            lo, hi = bounds(2 * n, a_eq, b_eq, lower, upper, n + i)
            assert hi - lo >= WIDTH - 1e-6, (k, "not enrolled", lo, hi)


# --------------------------------------------------------------- decompositions
CLASSES = (*ENTRANTS, *LEAVERS)


@st.composite
def decompositions(draw):
    stayers = draw(st.integers(20, 200))
    s0 = draw(st.integers(0, stayers))
    lost = draw(st.integers(0, min(12, s0)))
    gained = draw(st.integers(0, min(12, stayers - s0 + lost)))
    cls = {}
    for c in CLASSES:
        persons = 0 if c == "births" else draw(st.one_of(st.integers(0, 8),
                                                         st.integers(9, 40)))
        cls[c] = (persons, draw(st.integers(0, persons)))
    return stayers, s0, gained, lost, cls


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=decompositions())
def test_no_decomposition_term_gives_a_hidden_class_back(tmp_path_factory, data):
    from cohort.study.analyses.flows import _decomposition_outputs

    stayers, s0, gained, lost, cls = data
    s1 = s0 + gained - lost
    n0 = stayers + sum(cls[c][0] for c in LEAVERS)
    r0 = s0 + sum(cls[c][1] for c in LEAVERS)
    n1 = stayers + sum(cls[c][0] for c in ENTRANTS)
    r1 = s1 + sum(cls[c][1] for c in ENTRANTS)
    year = 2010
    rows = [{"year": year, "class": "start", "persons": n0, "strong": r0},
            {"year": year, "class": "end", "persons": n1, "strong": r1},
            {"year": year, "class": "stayers_start", "persons": stayers, "strong": s0},
            {"year": year, "class": "stayers_end", "persons": stayers, "strong": s1}]
    rows += [{"year": year, "class": c, "persons": p, "strong": r} for c, (p, r) in cls.items()]
    classes = pd.DataFrame(rows)
    classes["share"] = classes.strong / classes.persons.where(classes.persons > 0)
    status = pd.DataFrame({"year": year, "direction": ["gained", "lost"],
                           "persons": [gained, lost]})
    sh0 = r0 / n0
    terms = [{"year": year, "term": c,
              "estimate": 100 * (1 if c in ENTRANTS else -1) * (r - sh0 * p) / n1}
             for c, (p, r) in cls.items()]
    terms += [{"year": year, "term": "status_change", "estimate": 100 * (gained - lost) / n1},
              {"year": year, "term": "change", "estimate": 100 * (r1 / n1 - sh0)}]
    # the population on 1 January of both years, as flows_by_status publishes it
    pop = pd.DataFrame({"year": [year] * 3 + [year + 1] * 3,
                        "group": ["resource_strong", "not_resource_strong", "all"] * 2,
                        "population": [r0, n0 - r0, n0, r1, n1 - r1, n1]})
    tables = {"decomposition": pd.DataFrame(terms), "decomposition_classes": classes,
              "decomposition_status": status}
    with Release(tmp_path_factory.mktemp("rel") / "r") as rel:
        fbs = rel.write_table("flows_by_status", pop, Counts(
            count_cols=("population",), by=("year", "group"),
            totals={"group": {"all": ["resource_strong", "not_resource_strong"]}},
            separate=("year",)))
        outs = _decomposition_outputs(tables, {year, year + 1})
        for o in outs:
            if o.written:
                released = rel.write_table(o.name, o.data, o.policy)
            else:
                rel.declare_counts(o.name, o.data, o.policy)
    # --- the attacker: unknowns are each class's persons and resource-strong
    est = released.set_index("term")["estimate"]
    pub = fbs.set_index(["year", "group"])["population"]
    # it needs S0 and N1 to read a term; without them it learns nothing from terms
    known_n0 = pub.get((year, "all")), pub.get((year, "resource_strong"))
    known_n1 = pub.get((year + 1, "all"))
    names = ["stayers", "s0", "s1", "gained", "lost",
             *[f"{c}.n" for c in CLASSES], *[f"{c}.r" for c in CLASSES]]
    v = {k: i for i, k in enumerate(names)}
    a_eq, b_eq = [], []

    def eq(coefs: dict, rhs: float) -> None:
        row = np.zeros(len(names))
        for k, c in coefs.items():
            row[v[k]] += c
        a_eq.append(row)
        b_eq.append(rhs)

    lower = [0.0] * len(names)
    upper = [None] * len(names)
    if pd.notna(pub.get((year, "all"))):
        eq({"stayers": 1, **{f"{c}.n": 1 for c in LEAVERS}}, float(n0))
    if pd.notna(pub.get((year, "resource_strong"))):
        eq({"s0": 1, **{f"{c}.r": 1 for c in LEAVERS}}, float(r0))
    if pd.notna(pub.get((year + 1, "all"))):
        eq({"stayers": 1, **{f"{c}.n": 1 for c in ENTRANTS}}, float(n1))
    if pd.notna(pub.get((year + 1, "resource_strong"))):
        eq({"s1": 1, **{f"{c}.r": 1 for c in ENTRANTS}}, float(r1))
    eq({"s1": 1, "lost": 1, "s0": -1, "gained": -1}, 0.0)
    eq({"births.n": 1}, 0.0)
    readable = all(pd.notna(x) for x in (*known_n0, known_n1))
    for c in CLASSES:
        if pd.notna(est.get(c)) and readable:
            # the term gives (n, r) back: the attacker knows them exactly
            eq({f"{c}.n": 1}, float(cls[c][0]))
            eq({f"{c}.r": 1}, float(cls[c][1]))
    if pd.notna(est.get("status_change")) and readable:
        eq({"gained": 1, "lost": -1}, float(gained - lost))
    a_ub = []  # r <= n in every class
    for c in CLASSES:
        row = np.zeros(len(names))
        row[v[f"{c}.r"]] = 1
        row[v[f"{c}.n"]] = -1
        a_ub.append(row)
    for c in CLASSES:
        p, r = cls[c]
        for what, value in (("n", p), ("r", r), ("n-r", p - r)):
            if not 1 <= value < THRESHOLD:
                continue
            if pd.notna(est.get(c)) and readable:
                raise AssertionError(f"{c} published although its {what} is {value}")
            obj = np.zeros(len(names))
            if what == "n-r":
                obj[v[f"{c}.n"]], obj[v[f"{c}.r"]] = 1, -1
            else:
                obj[v[f"{c}.{what}"]] = 1
            lo = linprog(obj, A_ub=np.array(a_ub), b_ub=np.zeros(len(a_ub)),
                         A_eq=np.array(a_eq), b_eq=np.array(b_eq),
                         bounds=list(zip(lower, upper, strict=True)), method="highs")
            hi = linprog(-obj, A_ub=np.array(a_ub), b_ub=np.zeros(len(a_ub)),
                         A_eq=np.array(a_eq), b_eq=np.array(b_eq),
                         bounds=list(zip(lower, upper, strict=True)), method="highs")
            assert lo.status == 0
            width = np.inf if hi.status == 3 else -hi.fun - lo.fun
            assert width >= WIDTH - 1e-6, (c, what, value, lo.fun, width)
