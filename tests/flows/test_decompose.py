"""The decomposition of the change in the share of resource-strong adults."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohort.exceptions import ParameterError
from cohort.flows import COMPONENTS, ResourceDefinition, decompose, decomposition_long

ADDRESS_ROWS = [("e1", 159, "estate"), ("e2", 159, "estate"), ("g1", 159, None),
                ("c1", 159, "comparison"), ("k1", 101, None), ("f1", 101, "far")]


def exact_parts(row) -> dict[str, Fraction]:
    """The contributions recomputed in rational arithmetic from the counts."""
    s0 = Fraction(int(row.strong_start), int(row.adults_start))
    n1 = int(row.adults_end)
    parts = {"status_change": Fraction(int(row.status_gained) - int(row.status_lost), n1)}
    for c in ("in_moves", "ageing_in", "births"):
        parts[c] = (int(getattr(row, f"{c}_strong")) - s0 * int(getattr(row, c))) / n1
    for c in ("out_moves", "ageing_out", "deaths"):
        parts[c] = -(int(getattr(row, f"{c}_strong")) - s0 * int(getattr(row, c))) / n1
    return parts


def test_hand_made_years(make_extract):
    lab = [(p, y, "employed") for p in "abc" for y in range(2010, 2020)] + [("d", 2015, "employed")]
    edu = [(p, "bachelor", "2005-01-01", "completed") for p in "abcd"]
    ex = make_extract(
        [("a", "e1", "2012-03-01", "2016-05-01"), ("b", "e1", "2012-03-01", None),
         ("c", "e2", "2015-06-01", None), ("d", "e2", "2010-01-01", None),
         ("e", "e1", "2010-01-01", None), ("f", "k1", "2010-01-01", "2016-03-03"),
         ("f", "e2", "2016-03-03", None)],
        persons=[("a", "1980-01-01", None), ("b", "1980-01-01", "2016-08-01"),
                 ("c", "1980-01-01", None), ("d", "1980-01-01", None),
                 ("e", "1991-06-01", None), ("f", "1950-06-01", None)],
        labour=lab, education=edu)
    d = decompose(ex, area="estate", years=[2015, 2016]).set_index("year")
    # 2015: a, b strong, d not (no labour year before 2015) -> 2/3; 2016: a, b, c, d -> 4/4
    assert (d.loc[2015, "adults_start"], d.loc[2015, "strong_start"]) == (3, 2)
    assert (d.loc[2015, "adults_end"], d.loc[2015, "strong_end"]) == (4, 4)
    assert d.loc[2015, "contribution_status_change"] == pytest.approx(1 / 4)   # d found work
    assert d.loc[2015, "contribution_in_moves"] == pytest.approx((1 - 2 / 3) / 4)  # c moved in
    # 2016: a moved out, b died (both strong, share 1: no effect); e turned 25 (not strong);
    # d has no labour row for 2016, and the lookback is one year: d is not resource-strong
    # on 1 January 2017 (a status lost): c of c, d, e strong
    assert (d.loc[2016, "out_moves"], d.loc[2016, "deaths"], d.loc[2016, "ageing_in"]) == (1, 1, 1)
    assert d.loc[2016, "contribution_ageing_in"] == pytest.approx(-1 / 3)
    assert d.loc[2016, "contribution_status_change"] == pytest.approx(-1 / 3)
    assert d.loc[2016, "change"] == pytest.approx(1 / 3 - 1)
    # with an unlimited lookback d's 2015 job still counts: c, d of c, d, e
    old = decompose(ex, area="estate", years=[2016],
                    definition=ResourceDefinition(labour_max_lag=None)).set_index("year")
    assert old.loc[2016, "change"] == pytest.approx(2 / 3 - 1)
    assert old.loc[2016, "contribution_status_change"] == 0
    long = decomposition_long(d.reset_index())
    assert list(long["component"].cat.categories) == list(COMPONENTS)
    assert len(long) == 2 * len(COMPONENTS)
    with pytest.raises(ParameterError, match="extract_end"):
        decompose(ex, area="estate", years=[2019])


BIRTHS = [dt.date(1990, 3, 1), dt.date(1991, 7, 10), dt.date(1989, 2, 28), dt.date(1951, 9, 1),
          dt.date(1950, 2, 28), dt.date(1970, 1, 1), dt.date(1980, 5, 5)]
STATUSES = ["employed", "self_employed", "unemployed", "student"]


@st.composite
def population(draw):
    residence, persons, labour, education = [], [], [], []
    n = draw(st.integers(3, 14))
    for i in range(n):
        pid = f"p{i}"
        d = dt.date(2014, 6, 1) + dt.timedelta(days=draw(st.integers(0, 400)))
        spells = []
        for _ in range(draw(st.integers(1, 4))):
            out = d + dt.timedelta(days=draw(st.integers(30, 500)))
            spells.append([pid, draw(st.sampled_from(["e1", "e1", "e2", "g1", "k1"])), d, out])
            d = out + dt.timedelta(days=draw(st.sampled_from([0, 0, 20])))
        if draw(st.booleans()):
            spells[-1][3] = None
        birth = draw(st.sampled_from(BIRTHS))
        if draw(st.integers(0, 6)) == 0:
            birth = spells[0][2]
        death = None
        if draw(st.integers(0, 4)) == 0:
            death = spells[0][2] + dt.timedelta(days=draw(st.integers(1, 900)))
        residence += [tuple(s) for s in spells]
        persons.append((pid, birth, death))
        labour += [(pid, y, draw(st.sampled_from(STATUSES)))
                   for y in draw(st.sets(st.integers(2013, 2016), max_size=4))]
        if draw(st.booleans()):
            education.append((pid, "youth_vocational",
                              dt.date(2014, 6, 1) + dt.timedelta(days=draw(st.integers(0, 900))),
                              "completed"))
    # an anchor, so that the estate has adults on every 1 January
    residence.append(("z", "e1", dt.date(2010, 1, 1), None))
    persons.append(("z", dt.date(1970, 1, 1), None))
    labour += [("z", y, "employed") for y in range(2013, 2017)]
    education.append(("z", "youth_general", dt.date(1990, 6, 1), "completed"))
    return residence, persons, labour, education


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(population())
def test_parts_add_up_to_the_change_in_every_year(build, reference, pop):
    residence, persons, labour, education = pop
    root = Path(tempfile.mkdtemp(prefix="flows-dec-"))
    try:
        ex = build(residence, persons=persons, labour=labour, education=education,
                   extract_end="2017-12-31", root=root)
        with ex:
            table = decompose(ex, area="estate", years=[2015, 2016])
        for row in table.itertuples():
            # the populations at both ends, against the slow reference
            for when, n_col, r_col in ((dt.date(row.year, 1, 1), "adults_start", "strong_start"),
                                       (dt.date(row.year + 1, 1, 1), "adults_end", "strong_end")):
                st_ = reference.residents_on(residence, persons, ADDRESS_ROWS, "estate", when,
                                             labour, education)
                adults = [s for s in st_.values() if s != "not_adult"]
                assert getattr(row, n_col) == len(adults)
                assert getattr(row, r_col) == sum(s == "resource_strong" for s in adults)
            # the accounting identity, exactly in rationals ...
            parts = exact_parts(row)
            change = (Fraction(int(row.strong_end), int(row.adults_end))
                      - Fraction(int(row.strong_start), int(row.adults_start)))
            assert sum(parts.values()) == change
            # ... and the float columns are those rationals
            for c in COMPONENTS:
                assert getattr(row, f"contribution_{c}") == pytest.approx(float(parts[c]),
                                                                          abs=1e-12)
            assert sum(getattr(row, f"contribution_{c}") for c in COMPONENTS) == pytest.approx(
                row.change, abs=1e-12)
            # persons reconcile: start + entrants - leavers = end
            assert row.adults_start + row.in_moves + row.ageing_in + row.births - (
                row.out_moves + row.ageing_out + row.deaths) == row.adults_end
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_movers_are_classified_at_the_move(make_extract):
    """Status gained after moving in is a status change in the area, not a strong in-move.

    p moves in on 1 March 2015, unemployed in labour year 2014 and employed in 2015:
    not resource-strong at the move, resource-strong on 1 January 2016. q, strong on
    1 January 2015 at 64, turns 65 on 1 June and moves out on 1 October: not adult at
    the move. z is a strong anchor. Start: z, q (2 of 2); end: z, p (2 of 2).
    """
    from cohort.flows import moves, yearly

    lab = ([("z", y, "employed") for y in range(2010, 2020)]
           + [("p", 2014, "unemployed"), ("p", 2015, "employed")]
           + [("q", y, "employed") for y in range(2010, 2016)])
    edu = [(x, "bachelor", "2005-06-30", "completed") for x in "zpq"]
    ex = make_extract(
        [("z", "e1", "2010-01-01", None),
         ("p", "k1", "2010-01-01", "2015-03-01"), ("p", "e1", "2015-03-01", None),
         ("q", "e2", "2010-01-01", "2015-10-01"), ("q", "g1", "2015-10-01", None)],
        persons=[("z", "1970-01-01", None), ("p", "1980-01-01", None),
                 ("q", "1950-06-01", None)],
        labour=lab, education=edu)
    mv = moves(ex, area="estate")
    got = {(r.pid, r.direction): r.resource_status for r in mv.itertuples()}
    assert got[("p", "in")] == "not_resource_strong"
    assert got[("q", "out")] == "not_adult"
    y = yearly(ex, area="estate", years=[2015]).set_index(["breakdown", "group"])
    assert y.loc[("resource_status", "resource_strong"), "in_moves"] == 0
    assert y.loc[("resource_status", "not_resource_strong"), "in_moves"] == 1
    d = decompose(ex, area="estate", years=[2015]).set_index("year").loc[2015]
    assert (d["adults_start"], d["strong_start"], d["adults_end"], d["strong_end"]) == (2, 2, 2, 2)
    assert (d["in_moves"], d["in_moves_strong"]) == (1, 0)      # at the move, not 1 January
    assert (d["out_moves"], d["out_moves_strong"]) == (1, 0)    # at the move, not 1 January
    assert (d["status_gained"], d["status_lost"]) == (1, 1)     # p gained, q lost (turned 65)
    assert (d["stayers"], d["stayers_strong_start"], d["stayers_strong_end"]) == (1, 1, 1)
    assert d["contribution_in_moves"] == pytest.approx(-1 / 2)  # (0 - 1 * 1) / 2
    assert d["contribution_out_moves"] == pytest.approx(1 / 2)  # -(0 - 1 * 1) / 2
    assert d["contribution_status_change"] == 0
    assert d["change"] == 0
