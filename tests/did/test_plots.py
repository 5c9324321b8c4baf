"""Figures: types, content, intervention lines, deterministic bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.figure import Figure

from cohort.did import aggte, att_gt, event_study, randomization_inference, synthetic_did
from cohort.did._simulate import simulate_staggered
from cohort.exceptions import ParameterError

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
