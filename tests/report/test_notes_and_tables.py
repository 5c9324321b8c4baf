"""A figure's source line and disclosure note, and long tables in the report."""

from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from cohort.disclosure import DisclosureSettings
from cohort.disclosure.check import scan_file
from cohort.figures import add_source_note, disclosure_note, new_figure, source_line
from cohort.report.html import _MAX_ROWS, table_html

SOURCE = source_line(study="Bagsværd i social balance: Værebro Park",
                     extract="dst-2024-07", extract_end=dt.date(2023, 12, 31), version="0.1.0")


def _svg(fig, name: str = "figure") -> bytes:
    """The SVG bytes as ``Release.write_figure`` writes them (fixed metadata and ids)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cohort"})
    return buf.getvalue()


def _drawing(layout: str | None = None):
    fig = new_figure(6, 4, layout=layout)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1, 3, 2])
    ax.set_title("a drawing")
    fig.suptitle("the figure")
    return fig


def test_the_lines_say_source_version_and_threshold():
    assert SOURCE == ("Source: Bagsværd i social balance: Værebro Park, register extract "
                      "dst-2024-07 (data to 2023-12-31); cohort 0.1.0")
    assert source_line(study="s").startswith("Source: s; cohort ")
    assert disclosure_note(DisclosureSettings(threshold=3)).startswith("Counts below 3,")
    assert "multiples of 5" in disclosure_note(DisclosureSettings(rounding="base"))
    off = SimpleNamespace(enabled=False, threshold=5, rounding="none", rounding_base=5)
    assert "disabled" in disclosure_note(off)


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_notes_go_under_the_drawing_which_keeps_its_size(layout):
    fig = _drawing(layout)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    before = ax.get_position().height * fig.get_figheight()
    note = disclosure_note(DisclosureSettings())
    add_source_note(fig, SOURCE, note)
    assert fig.get_figheight() > 4
    engine = fig.get_layout_engine()  # the layout is fixed once
    assert engine is None or isinstance(engine, PlaceHolderLayoutEngine)
    fig.draw_without_rendering()
    assert ax.get_position().height * fig.get_figheight() == pytest.approx(before)
    texts = {t.get_text(): t for t in fig.texts}
    assert SOURCE in texts and note in texts
    # under the drawing: below the axes, and in the order given
    assert texts[SOURCE].get_position()[1] < ax.get_position().y0
    assert texts[note].get_position()[1] < texts[SOURCE].get_position()[1]
    assert fig.texts[0].get_text() == "the figure"  # the suptitle stays on top
    assert fig.texts[0].get_position()[1] > ax.get_position().y1


def test_notes_are_deterministic_and_wrapped():
    long = "Source: " + "a study with a very long name " * 10
    a, b = add_source_note(_drawing(), long), add_source_note(_drawing(), long)
    assert _svg(a) == _svg(b)
    lines = [t.get_text() for t in a.texts[1:]]
    assert len(lines) > 1 and " ".join(lines) == long.strip()
    assert add_source_note(_drawing(), "", None) is not None  # nothing to add: unchanged


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_a_figure_with_its_notes_passes_the_release_checker(tmp_path, threshold):
    fig = add_source_note(_drawing(), SOURCE, disclosure_note(DisclosureSettings(
        threshold=threshold)))
    path = tmp_path / "f.svg"
    path.write_bytes(_svg(fig))
    assert b"Counts below" in path.read_bytes()  # the text is in the SVG (comments)
    assert scan_file(path, name="f.svg", threshold=threshold) == []


def test_short_tables_inline_long_ones_linked_and_folded():
    short = pd.DataFrame({"group": ["a", "b"], "n": [10, np.nan]})
    html = table_html(short, name="short")
    assert html.startswith("<table>") and "·" in html
    folded = table_html(short, name="short", collapsed=True)
    assert folded.startswith("<details><summary>Table short (2 rows; short.csv)</summary>")
    long = pd.DataFrame({"time": np.arange(3000) / 10, "estimate": np.linspace(1, 0.2, 3000)})
    html = table_html(long, name="km_exposed")
    assert '<a href="km_exposed.csv">km_exposed.csv</a>' in html
    assert "3,000 rows" in html
    assert len(re.findall("<tr>", html)) == _MAX_ROWS + 1  # the header and the first rows
    assert html.index("<details>") < html.index("<table>")
    assert table_html(long, name="km_exposed", collapsed=True) == html


def test_a_figure_legend_stays_over_the_notes():
    """A legend of the figure (not of an axes), laid out outside the axes, moves up with
    the drawing: the notes go under it, not over it."""
    fig = _drawing("constrained")
    fig.axes[0].lines[0].set_label("a line")
    fig.legend(loc="outside lower center")
    fig.draw_without_rendering()
    before = fig.legends[0].get_window_extent()
    add_source_note(fig, SOURCE, disclosure_note(DisclosureSettings()))
    fig.draw_without_rendering()
    legend = fig.legends[0].get_window_extent()
    notes = [t.get_window_extent() for t in fig.texts if t.get_text() == SOURCE]
    assert legend.y0 > notes[0].y1  # above the notes
    assert legend.width == pytest.approx(before.width)  # the same legend
