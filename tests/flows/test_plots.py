"""The figures and the tables they are drawn from."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle

from cohort.exceptions import ParameterError
from cohort.flows import COMPONENTS
from cohort.flows.plots import (
    decomposition_table,
    flow_diagram_table,
    flows_over_time_table,
    plot_decomposition,
    plot_flow_diagram,
    plot_flow_diagrams,
    plot_flow_rates,
    plot_flows_over_time,
)


def _yearly() -> pd.DataFrame:
    rows = []
    for y in (2015, 2016):
        rows.append((y, "total", "all", 100, pd.NA, 20, 10))
        for g, gp, i, o in (("resource_strong", 40, 5, 8), ("not_resource_strong", 40, 10, 1),
                            ("not_adult", 20, 5, 1)):
            rows.append((y, "resource_status", g, 100, gp, i, o))
    return pd.DataFrame(rows, columns=["year", "breakdown", "group", "population",
                                       "group_population", "in_moves", "out_moves"])


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50, metadata={"Software": None})
    return buf.getvalue()


def test_flows_over_time_table_and_figure():
    t = flows_over_time_table(_yearly())
    assert len(t) == 6
    rs = t[(t["year"] == 2015) & (t["resource_status"] == "resource_strong")].iloc[0]
    assert rs["out_per_1000_group"] == pytest.approx(200.0)
    fig = plot_flows_over_time(t)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert _png(fig) == _png(plot_flows_over_time(t))    # same input, same bytes
    # one drawing: the rates of the released flows_by_status form
    same = t.rename(columns={"resource_status": "group", "group_population": "population"})
    assert _png(fig) == _png(plot_flow_rates(same))


def test_flow_diagram_table_and_figure():
    od = pd.DataFrame({
        "period": ["p", "p", "p", "p"],
        "origin": ["abroad", "rest_of_country", "estate", "estate"],
        "destination": ["estate", "estate", "abroad", "estate"],
        "resource_status": ["not_adult"] * 4,
        "moves": [7, 9, 6, 3],
    })
    t = flow_diagram_table(od, area="estate")
    assert t.values.tolist() == [["in", "abroad", 7], ["in", "rest_of_country", 9],
                                 ["out", "abroad", 6]]
    t.loc[0, "moves"] = pd.NA  # as after suppression
    fig = plot_flow_diagram(t, area="estate")
    texts = [x.get_text() for x in fig.axes[0].texts]
    # the drawn flows carry their counts; the suppressed one is named and marked, no count
    assert "rest of country  9" in texts and "abroad  6" in texts
    assert "abroad  ·" in texts
    assert not any(x.endswith(" 7") or x.endswith(" 0") for x in texts)
    assert "estate" in texts
    bands = [p for p in fig.axes[0].patches if isinstance(p, PathPatch)]
    assert len(bands) == 2  # the suppressed flow is not drawn (not even as a zero)


def _svg(fig: Figure, name: str = "figure") -> bytes:
    """The SVG bytes as ``Release.write_figure`` writes them (fixed metadata and ids)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cohort"})
    return buf.getvalue()


def test_flow_diagrams_from_the_released_od_table():
    od = pd.DataFrame({
        "period": ["2012-2015"] * 4 + ["2016-2019"] * 3,
        "origin": ["abroad", "rest_of_region", "estate", "estate", "abroad", "estate", "estate"],
        "destination": ["estate", "estate", "abroad", "death", "estate", "abroad", "death"],
        "moves": pd.array([12, pd.NA, 30, 8, 11, 25, pd.NA], dtype="Int64"),
    })
    fig = plot_flow_diagrams(od, area="estate")
    assert [ax.get_title() for ax in fig.axes] == ["Moves 2012-2015", "Moves 2016-2019"]
    first = [t.get_text() for t in fig.axes[0].texts]
    assert {"abroad  12", "rest of region  ·", "abroad  30", "death  8"} <= set(first)
    second = [t.get_text() for t in fig.axes[1].texts]
    assert {"abroad  11", "abroad  25", "death  ·"} <= set(second)
    assert _svg(fig) == _svg(plot_flow_diagrams(od, area="estate"))


def _decomposition() -> pd.DataFrame:
    return pd.DataFrame({"year": [2015, 2016], "change": [0.01, -0.02],
                         **{f"contribution_{c}": [v, -v] for c, v in (
                             ("in_moves", 0.02), ("out_moves", -0.03),
                             ("status_change", 0.015), ("ageing_in", 0.004),
                             ("ageing_out", 0.001), ("births", 0.0), ("deaths", 0.0))}})


def test_decomposition_from_the_released_table():
    t = decomposition_table(_decomposition())
    # the study's released form: year, term, estimate; the change as its own term
    released = pd.concat([
        t.rename(columns={"component": "term", "contribution": "estimate"})[
            ["year", "term", "estimate"]],
        t.drop_duplicates("year").assign(term="change").rename(
            columns={"change": "estimate"})[["year", "term", "estimate"]],
    ], ignore_index=True)
    assert _svg(plot_decomposition(released)) == _svg(plot_decomposition(t))
    # a suppressed part is not drawn and its year is marked
    released.loc[(released["year"] == 2016) & (released["term"] == "out_moves"),
                 "estimate"] = np.nan
    fig = plot_decomposition(released)
    ax = fig.axes[0]
    assert [(x.get_text(), x.get_position()[0]) for x in ax.texts] == [("·", 1)]
    out_colour = ax.containers[2].patches[1].get_facecolor()  # out_moves, positive parts
    heights = [p.get_height() for c in ax.containers for p in c.patches
               if isinstance(p, Rectangle) and p.get_facecolor() == out_colour]
    assert heights[1] == 0 and heights[3] == 0  # 2016: nothing drawn for it
    assert len(ax.containers) == 2 * len(COMPONENTS)


def test_flow_rates_from_the_released_table():
    status = pd.DataFrame({
        "year": [2015] * 4 + [2016] * 4,
        "group": ["resource_strong", "not_resource_strong", "not_adult", "all"] * 2,
        "population": pd.array([40, 40, 20, 100, 50, pd.NA, 25, 110], dtype="Int64"),
        "in_moves": pd.array([5, 10, 5, 20, 6, 9, pd.NA, 21], dtype="Int64"),
        "out_moves": pd.array([8, 6, 6, 20, 5, 7, 7, 19], dtype="Int64"),
    })
    fig = plot_flow_rates(status)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert lines["resource strong"].get_ydata().tolist() == pytest.approx([125.0, 120.0])
    y = lines["not resource strong"].get_ydata()
    assert y[0] == pytest.approx(250.0) and np.isnan(y[1])  # suppressed population: a gap
    assert np.isnan(lines["not adult"].get_ydata()[1])  # suppressed moves: a gap
    assert "all" not in lines


def test_decomposition_table_and_figure():
    d = pd.DataFrame({"year": [2015], "change": [0.01],
                      **{f"contribution_{c}": [v] for c, v in (
                          ("in_moves", 0.02), ("out_moves", -0.03), ("status_change", 0.015),
                          ("ageing_in", 0.004), ("ageing_out", 0.001), ("births", 0.0),
                          ("deaths", 0.0))}})
    t = decomposition_table(d)
    assert t["contribution"].sum() == pytest.approx(1.0)   # percentage points
    assert t["change"].tolist() == pytest.approx([1.0] * 7)
    fig = plot_decomposition(t)
    assert isinstance(fig, Figure)


def test_plot_needs_its_table():
    with pytest.raises(ParameterError, match="columns"):
        plot_decomposition(pd.DataFrame({"year": [1]}))
