"""A released figure is its table drawn by the library's public function.

One run of the survival, flows and DiD analyses on the small synthetic extract;
then, as a reader with nothing but the release would, each figure is drawn again
from the released CSV files with the public plotting function of its topic and
the same source line and disclosure note, and written with the release's fixed
metadata: the bytes are the release's.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from cohort.disclosure import DisclosureSettings
from cohort.figures import add_source_note, disclosure_note, source_line
from cohort.study import parse_study, run_study

STUDY = "figure test"
FIRST = 2016  # the first treated exam year: [intervention] start 2016-01-01
RAW = {
    "study": {"name": STUDY, "seed": 1},
    "units": {"target": "vaerebro_park", "municipality": 159,
              "comparison": ["tingbjerg", "gellerup", "vollsmose"]},
    "intervention": {"name": "the plan", "start": dt.date(2016, 1, 1)},
    "analyses": {"survival": {"birth_years": [1990, 1999]},
                 "flows": {"years": [2012, 2019], "od_periods": [[2012, 2015], [2016, 2019]]},
                 "did": {"exam_years": [2008, 2018]}},
}


@pytest.fixture(scope="module")
def release(small_extract, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("figures") / "release"
    run_study(parse_study(RAW), out=out, extract=small_extract, use_cache=False)
    return out


def _read(release: Path, name: str) -> pd.DataFrame:
    # exactly as written (pandas' default float parser may change a last bit)
    return pd.read_csv(release / f"{name}.csv", float_precision="round_trip")


def _redraw(release: Path, name: str):
    """The figure ``name`` drawn from the released tables by the public functions."""
    from cohort.did import plot_dose, plot_event_study, plot_honest_did, plot_panel
    from cohort.flows import plot_decomposition, plot_flow_diagrams, plot_flow_rates
    from cohort.survival import plot_km

    t = lambda n: _read(release, n)  # noqa: E731
    if name == "cif_exposed_figure":
        return plot_km({"exposed": t("cif_exposed"), "comparison": t("cif_comparison")},
                       risk_table=t("risk_table"), risk_time="months",
                       labels={"exposed": "grew up in the estate", "comparison": "comparison"},
                       colours={"exposed": "#b2182b", "comparison": "#2166ac"},
                       scale="incidence", percent=True, horizon=36,
                       xlabel="months since the end of 9th grade",
                       ylabel="started youth education (%)",
                       title="Time to youth education: estate against comparison")
    if name == "retention_resource_strong_figure":
        return plot_km({"resource_strong": t("retention_resource_strong"),
                        "not_resource_strong": t("retention_not_resource_strong")},
                       labels={"resource_strong": "resource strong",
                               "not_resource_strong": "not resource strong"},
                       colours={"resource_strong": "#1b7837", "not_resource_strong": "#762a83"},
                       percent=True, xlabel="years since moving in",
                       ylabel="still living in the estate (%)",
                       title="Retention of in-movers by resource status at the in-move")
    if name == "flows_by_status_figure":
        return plot_flow_rates(t("flows_by_status"))
    if name == "flows_od_figure":
        return plot_flow_diagrams(t("flows_od"), area="vaerebro_park")
    if name == "flows_decomposition_figure":
        return plot_decomposition(t("flows_decomposition"),
                                  title="Change in the share of resource-strong adults")
    if name == "did_panel_figure":
        return plot_panel(t("did_panel"), unit="area", time="exam_year", outcome="share",
                          treated="vaerebro_park", treat_start=FIRST, percent=True,
                          xlabel="exam year (end of 9th grade)",
                          ylabel="enrolled 15 months later (%)",
                          title="Youth education by baseline estate (intention to treat)")
    if name == "did_event_study_figure":
        return plot_event_study(t("did_event_study"), intervention_dates=[-0.5],
                                intervention_labels=[f"intervention ({FIRST})"],
                                period_labels=("before the intervention",
                                               "after the intervention"),
                                xlabel=f"exam years since {FIRST}",
                                ylabel="effect on the share enrolled",
                                title="Event study: estate against comparison estates")
    if name == "did_honest_figure":
        return plot_honest_did(t("did_honest"), original_label="parallel\ntrends",
                               xlabel="M (relative magnitudes)",
                               ylabel="average effect on the share enrolled",
                               title="Honest DiD: relative magnitudes")
    if name == "did_dose_figure":
        return plot_dose(t("did_dose"), dose="dose_years", term="att_dose",
                         xlabel="years in the estate after the start, by the end of 9th grade",
                         ylabel="effect on the share enrolled",
                         title=f"Dose-response of the intervention (from {FIRST})")
    raise AssertionError(f"no redraw for {name}")


def _written(fig, name: str) -> tuple[bytes, bytes]:
    """PNG and SVG as ``Release.write_figure`` writes them."""
    from cohort.disclosure.release import _versions

    software = f"cohort {_versions(('cohort',))['cohort']}"
    png, svg = io.BytesIO(), io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
        fig.savefig(png, format="png", metadata={"Software": software})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": software})
    return png.getvalue(), svg.getvalue()


def test_every_released_figure_is_its_table_redrawn(release, small_extract):
    meta = tomllib.loads((small_extract / "extract.toml").read_text())
    notes = (source_line(study=STUDY, extract=meta["name"], extract_end=meta["extract_end"]),
             disclosure_note(DisclosureSettings()))
    figures = sorted(p.stem for p in release.glob("*_figure.svg"))
    assert {"cif_exposed_figure", "retention_resource_strong_figure", "flows_by_status_figure",
            "flows_od_figure", "flows_decomposition_figure", "did_panel_figure",
            "did_event_study_figure", "did_dose_figure"} <= set(figures)
    for name in figures:
        svg = (release / f"{name}.svg").read_bytes()
        # the source line and the disclosure note are in the image (wrapped to its width)
        words = " ".join(_comments(svg))
        for line in notes:
            assert line in words, (name, line)
        fig = add_source_note(_redraw(release, name), *notes)
        png, redrawn = _written(fig, name)
        assert redrawn == svg, name
        assert png == (release / f"{name}.png").read_bytes(), name


def _comments(svg: bytes) -> list[str]:
    return re.findall(r"<!-- (.*?) -->", svg.decode())


def test_km_figure_shows_the_released_risk_table(release):
    risk = _read(release, "risk_table")
    texts = _comments((release / "cif_exposed_figure.svg").read_bytes())
    table = texts[texts.index("at risk") - 1:]  # from the first group's header on
    for group, label in (("exposed", "grew up in the estate"), ("comparison", "comparison")):
        part = risk[risk["group"] == group].sort_values("months")
        i = table.index(label)
        for k, col in enumerate(("at_risk", "events", "competing", "censored")):
            row = table[i + 1 + k * (len(part) + 1):i + 1 + (k + 1) * (len(part) + 1)]
            assert row[0] == {"competing": "competing events"}.get(col, col.replace("_", " "))
            want = ["·" if pd.isna(v) else f"{int(v):,}" for v in part[col]]
            assert row[1:] == want, (group, col)
    assert risk[["at_risk", "events"]].isna().any().any()  # the small extract hides cells


def test_sankey_shows_the_released_counts(release):
    od = _read(release, "flows_od")
    texts = set(_comments((release / "flows_od_figure.svg").read_bytes()))
    into = od[(od["destination"] == "vaerebro_park") & (od["origin"] != "vaerebro_park")]
    for r in into.itertuples(index=False):
        shown = "·" if pd.isna(r.moves) else f"{int(r.moves):,}"
        if shown == "·" or r.moves > 0:
            assert f"{r.origin.replace('_', ' ')}  {shown}" in texts
    assert into["moves"].isna().any()
