"""yearly(): counts, rates and indices per calendar year (definitions.md §4)."""

from __future__ import annotations

import pytest

from cohort.exceptions import ParameterError
from cohort.flows import yearly

LAB = [(p, y, "employed") for p in ("a", "b", "c") for y in range(2010, 2020)]
EDU = [(p, "bachelor", "2005-06-30", "completed") for p in ("a", "b", "c")]
RESIDENCE = [
    ("a", "e1", "2014-03-01", "2016-01-01"),   # in from abroad 2014; out 1 Jan 2016
    ("a", "k1", "2016-01-01", None),
    ("b", "g1", "2010-01-01", "2015-06-01"),   # in from the rest of 159, 2015
    ("b", "e2", "2015-06-01", None),
    ("c", "e1", "2010-01-01", None),           # resident throughout; dies 2015-09-09
    ("n", "e1", "2015-04-04", None),           # born in the estate 2015
    ("d", "e1", "2010-01-01", "2015-02-01"),   # a gap abroad in 2015
    ("d", "e1", "2015-10-01", None),
]
PERSONS = [("a", "1980-01-01", None), ("b", "1980-01-01", None),
           ("c", "1960-01-01", "2015-09-09"), ("n", "2015-04-04", None),
           ("d", "2000-01-01", None)]


@pytest.fixture(scope="module")
def ex(tmp_path_factory, build):
    e = build(RESIDENCE, persons=PERSONS, labour=LAB, education=EDU,
              root=tmp_path_factory.mktemp("yearly"))
    yield e
    e.close()


def row(t, year, breakdown, group):
    m = (t["year"] == year) & (t["breakdown"] == breakdown) & (t["group"] == group)
    assert m.sum() == 1
    return t[m].iloc[0]


def test_counts_of_2015(ex):
    t = yearly(ex, area="estate", years=[2015, 2016])
    tot = row(t, 2015, "total", "all")
    # 1 Jan 2015: a, c, d
    assert (tot.population, tot.births, tot.deaths, tot.in_moves, tot.out_moves, tot.net) == (
        3, 1, 1, 2, 1, 1)
    assert tot.in_per_1000 == pytest.approx(2000 / 3)
    assert tot.out_per_1000 == pytest.approx(1000 / 3)
    assert tot.net_per_1000 == pytest.approx(1000 / 3)
    assert tot.births_per_1000 == pytest.approx(1000 / 3)
    assert tot.turnover_per_1000 == pytest.approx(1000.0)       # (2 + 1) / 3
    assert tot.effectiveness == pytest.approx(100 / 3)          # (2 - 1) / (2 + 1)
    rs = row(t, 2015, "resource_status", "resource_strong")
    assert (rs.group_population, rs.in_moves, rs.deaths) == (2, 1, 1)  # a, c; b in; c died
    na = row(t, 2015, "resource_status", "not_adult")
    assert (na.group_population, na.births, na.in_moves, na.out_moves) == (1, 1, 1, 1)
    assert na.out_per_1000_group == pytest.approx(1000.0)
    ab = row(t, 2015, "counterpart", "abroad")
    assert (ab.in_moves, ab.out_moves) == (1, 1)
    sm = row(t, 2015, "counterpart", "same_municipality")
    assert (sm.in_moves, sm.out_moves) == (1, 0)
    # the parts add up to the total
    parts = t[(t["year"] == 2015) & (t["breakdown"] == "resource_status")]
    assert parts["in_moves"].sum() == tot.in_moves
    assert parts["group_population"].sum() == tot.population


def test_move_on_1_january_counts_in_its_calendar_year(ex):
    t = yearly(ex, area="estate", years=[2015, 2016])
    assert row(t, 2016, "total", "all").out_moves == 1          # a left on 1 Jan 2016
    assert row(t, 2015, "total", "all").out_moves == 1          # only d's trip abroad
    # ...and between populations it belongs to 2015, so the balance holds exactly
    b = yearly(ex, area="estate", years=[2015, 2016], period="between_populations")
    p15, p16 = row(b, 2015, "total", "all"), row(b, 2016, "total", "all")
    assert p15.out_moves == 2
    assert p16.population == (p15.population + p15.births - p15.deaths + p15.in_moves
                              - p15.out_moves)


def test_complete_flag_and_year_checks(ex):
    t = yearly(ex, area="estate", years=[2019])
    assert t["complete"].all()
    b = yearly(ex, area="estate", years=[2019], period="between_populations")
    assert not b["complete"].any()
    with pytest.raises(ParameterError, match="years"):
        yearly(ex, area="estate", years=[2020])
    with pytest.raises(ParameterError, match="period"):
        yearly(ex, area="estate", years=[2015], period="financial")


def test_every_area(ex):
    t = yearly(ex, area=None, years=[2015])
    assert sorted(set(t["area"])) == ["comparison", "estate", "far"]
    est = t[t["area"] == "estate"].drop(columns="area").reset_index(drop=True)
    one = yearly(ex, area="estate", years=[2015])
    assert est.equals(one)
