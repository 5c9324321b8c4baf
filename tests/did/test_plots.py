"""Figures: types, content, intervention lines, deterministic bytes; drawn from tables."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cohort.did import (
    aggte,
    att_gt,
    dose_response,
    event_study,
    honest_did,
    plot_dose,
    plot_event_study,
    plot_honest_did,
    plot_panel,
    randomization_inference,
    synthetic_did,
)
from cohort.did._simulate import simulate_staggered
from cohort.exceptions import ParameterError

TIDY = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]

KW = {"yname": "y", "tname": "t", "idname": "id", "gname": "g"}


@pytest.fixture(scope="module")
def panel():
    return simulate_staggered(400, 6, effect=1.0, seed=9)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def test_event_study_figure_with_band_and_interventions(panel):
    res = att_gt(panel, bstrap=True, cband=True, biters=199, seed=3, **KW)
    dyn = aggte(res, type="dynamic")
    fig = dyn.plot(intervention_dates=[0, 2], intervention_labels=["start", "phase 2"])
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    vlines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert sorted(ln.get_xdata()[0] for ln in vlines) == [0, 2]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("simultaneous band") for lab in labels)
    assert "pre-period" in labels and "post-period" in labels
    assert [t.get_text() for t in ax.texts] == ["start", "phase 2"]
    assert _png(fig) == _png(dyn.plot(intervention_dates=[0, 2],
                                      intervention_labels=["start", "phase 2"]))


def test_other_figures(panel):
    res = att_gt(panel, **KW)
    fig = res.plot()
    assert len(fig.axes) == len(res.groups)
    reg = event_study(panel, **KW, leads=2, lags=2)
    fig2 = reg.plot(intervention_dates=[0])
    pts = [ln for ln in fig2.axes[0].get_lines() if ln.get_marker() == "o"]
    assert pts  # the reference period is drawn
    with pytest.raises(ParameterError, match="type='simple'"):
        aggte(res, type="simple").plot()
    with pytest.raises(ParameterError, match="one label per"):
        aggte(res, type="dynamic").plot(intervention_dates=[0], intervention_labels=["a", "b"])
    area = panel.assign(area=panel.id % 8)
    ri = randomization_inference(area, yname="y", idname="area", tname="t", treated_unit=0,
                                 treat_start=4)
    assert isinstance(ri.plot(), Figure)
    sd = synthetic_did(area, yname="y", idname="area", tname="t", treated_unit=0, treat_start=4)
    assert np.allclose(sd.plot().axes[0].get_lines()[0].get_ydata(), sd.treated_path)


def _svg(fig: Figure, name: str = "figure") -> bytes:
    """The SVG bytes as ``Release.write_figure`` writes them (fixed metadata and ids)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cohort"})
    return buf.getvalue()


def _released_event_study(es, tmp_path) -> pd.DataFrame:
    """The study's released event-study table: the tidy columns (no event_time) and the
    sup-t critical value as the row ``sup_t_critical``, written to CSV and read back."""
    table = pd.concat([es.tidy()[TIDY], pd.DataFrame({"term": ["sup_t_critical"],
                                                      "estimate": [es.sup_t_critical()]})],
                      ignore_index=True)
    table.to_csv(tmp_path / "did_event_study.csv", index=False)
    # read back exactly (pandas' default parser may change a float's last bit)
    return pd.read_csv(tmp_path / "did_event_study.csv", float_precision="round_trip")


def test_event_study_redrawn_from_the_released_table_is_result_plot(panel, tmp_path):
    es = event_study(panel, **KW, leads=3, lags=2)
    released = _released_event_study(es, tmp_path)
    assert _svg(plot_event_study(released, reference=-1)) == _svg(es.plot())
    # the band is estimate +- c * se with the released critical value
    fig = plot_event_study(released)
    ax = fig.axes[0]
    crit = float(released.loc[released["term"] == "sup_t_critical", "estimate"].iloc[0])
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(list(2 * crit * es.std_error))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == f"simultaneous band (c = {crit:.2f})"


def test_event_study_does_not_draw_a_withheld_row(panel, tmp_path):
    es = event_study(panel, **KW, leads=3, lags=2)
    released = _released_event_study(es, tmp_path)
    withheld = released["term"].isin(["e=1", "sup_t_critical"])
    released.loc[withheld, TIDY[1:]] = np.nan  # as the release blanks them
    fig = plot_event_study(released, period_labels=("before", "after"))
    ax = fig.axes[0]
    drawn = sorted(x for ln in ax.get_lines() if ln.get_marker() == "o"
                   for x in ln.get_xdata())
    assert 1.0 not in drawn and 0.0 in drawn and -3.0 in drawn
    assert not ax.patches  # no critical value: no band
    assert [t.get_text() for t in ax.texts] == ["·"]  # the withheld row is marked
    assert ax.texts[0].xy == (1.0, 0)


def test_honest_did_from_the_released_table_is_result_plot():
    res = honest_did(np.array([0.01, -0.02, 0.05, 0.07]),
                     np.diag([0.01, 0.01, 0.01, 0.02]) ** 2, event_time=[-3, -2, 0, 1],
                     mbar=[0, 1, 2], grid_points=200)
    t = res.tidy()
    # the study's form: mbar as text, "none" for the original interval, no method
    study = t.assign(mbar=["none", *[f"{m:g}" for m in t["mbar"].iloc[1:]]]).drop(
        columns="method")
    title = "Sensitivity"
    fig = plot_honest_did(study, title=title)
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["orig.", "0", "1", "2"]
    # the result's plot is the same drawing: only the legend's method label differs
    study["method"] = "C-LF"
    assert _svg(plot_honest_did(study, title=title)) == _svg(res.plot(title=title))
    study.loc[study["mbar"] == "1", ["lb", "ub", "conf_low", "conf_high"]] = np.nan
    ax = plot_honest_did(study).axes[0]
    assert [x.get_text() for x in ax.texts] == ["·"] and ax.texts[0].xy == (1.0, 0)


def test_dose_from_the_released_table():
    released = pd.DataFrame({
        "term": ["att_dose"] * 3 + ["att_overall", "slope_per_year"],
        "dose_years": ["(0,1]", "(1,2]", "(2,3]", "all", "all"],
        "estimate": [0.02, np.nan, 0.05, 0.03, 0.01],
        "conf_low": [-0.01, np.nan, 0.01, 0.0, -0.01],
        "conf_high": [0.05, np.nan, 0.09, 0.06, 0.03],
    })
    fig = plot_dose(released, dose="dose_years")
    ax = fig.axes[0]
    assert [x.get_text() for x in ax.get_xticklabels()] == ["(0,1]", "(1,2]", "(2,3]"]
    (points,) = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert points.get_xdata().tolist() == [0.0, 2.0]  # the withheld bin is not drawn
    assert points.get_ydata().tolist() == [0.02, 0.05]
    assert [(x.get_text(), x.xy) for x in ax.texts] == [("·", (1.0, 0))]
    # the result's plot is the same function on its own curve
    rng = np.random.default_rng(1)
    d = pd.DataFrame({"area": np.repeat(np.arange(6), 20), "t": np.tile(np.arange(4), 30)})
    d["dose"] = np.where((d["area"] < 3) & (d["t"] >= 2), d["area"] + 1.0, 0.0)
    d["y"] = 0.1 * d["dose"] + rng.normal(0, 0.1, len(d))
    r = dose_response(d, yname="y", dname="dose", idname="area", tname="t", basis="bins",
                      bins=[0, 1, 2, 3])
    c = r.curve()
    table = pd.DataFrame({"term": "att_dose", "dose": c["dose"], "estimate": c["att"],
                          "std_error": c["att_std_error"], "conf_low": c["att_conf_low"],
                          "conf_high": c["att_conf_high"]})
    assert _svg(r.plot()) == _svg(plot_dose(table, style="points", title="Dose-response"))


def test_panel_from_the_released_table():
    panel = pd.DataFrame({"area": ["estate"] * 3 + ["other"] * 3,
                          "exam_year": [2014, 2015, 2016] * 2,
                          "share": [0.8, np.nan, 0.9, 0.7, 0.75, 0.72]})
    fig = plot_panel(panel, unit="area", time="exam_year", treated="estate", treat_start=2016,
                     percent=True)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert [ln.get_label() for ln in lines] == ["estate", "other"]  # the table's order
    y = lines[0].get_ydata()
    assert y[0] == pytest.approx(80.0) and np.isnan(y[1])  # a suppressed cell is a gap
    assert lines[0].get_linewidth() > lines[1].get_linewidth()
    (vline,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert vline.get_xdata()[0] == 2015.5
