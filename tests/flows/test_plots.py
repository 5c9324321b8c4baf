"""The figures and the tables they are drawn from."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from matplotlib.figure import Figure

from cohort.exceptions import ParameterError
from cohort.flows.plots import (
    decomposition_table,
    flow_diagram_table,
    flows_over_time_table,
    plot_decomposition,
    plot_flow_diagram,
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
    assert "1 suppressed cell(s) not drawn" in texts
    assert "abroad" in texts and "estate" in texts


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
