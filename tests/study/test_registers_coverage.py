"""The coverage script of docs/methods/registers.md computes the truths it claims."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cohort.synth import REFEREE_WORLD, WorldOptions

_SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "methods" / "registers_coverage.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("registers_coverage", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_truths_in_the_default_and_the_referee_world(script):
    df = script.run(1, 30_000, worlds={"default": WorldOptions(), "referee": REFEREE_WORLD})
    d = df[df["world"] == "default"]
    twfe = d.loc[d["table"] == "did_twfe", "truth"]
    # school stability: every baseline child of the estate gets the planted 0.04
    assert twfe.tolist() == pytest.approx([0.04])
    es = d[d["table"] == "did_event_study"]
    assert (es.loc[es["term"] == "e (pre)", "truth"] == 0).all()
    assert es.loc[es["term"] == "e (post)", "truth"].tolist() == pytest.approx([0.04] * 3)
    r = df[(df["world"] == "referee") & (df["table"] == "did_twfe")]["truth"].iloc[0]
    assert 0 < r < 0.04  # children who left before their exam are not reached
    assert set(df["table"]) >= {"did_placebo", "did_dose", "survival_cox",
                                "survival_cox_by_period", "did_one_treated"}
    text = script.table(df)
    assert "| did_twfe | att_twfe |" in text and "unbounded" in text
