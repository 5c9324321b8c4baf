"""What every figure of the library shares: an Agg canvas, and its source line.

The plotting functions of :mod:`cohort.survival`, :mod:`cohort.did` and
:mod:`cohort.flows` draw on :func:`new_figure` (a
:class:`matplotlib.figure.Figure` on the Agg canvas: no pyplot, no global state,
nothing to close). A released figure carries, inside the image, where it comes
from and what disclosure control did to it: :func:`add_source_note` writes
those lines under the drawing, :func:`source_line` and :func:`disclosure_note`
word them. The study runner applies them to every figure it releases; to redraw
a released figure, draw it from the released table with the same public
function and add the same two lines (``docs/study.md``).

Nothing here reads a clock or the environment: the same inputs give the same
figure, byte for byte.

This module imports nothing of the package but its exceptions, so every
concern can use it.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cohort.exceptions import ParameterError

__all__ = ["SUPPRESSED", "add_source_note", "disclosure_note", "new_figure", "source_line"]

#: How a figure shows a suppressed count (as the report's tables do).
SUPPRESSED = "·"

_NOTE_FONTSIZE = 7.0
_NOTE_COLOUR = "0.3"


def new_figure(width: float, height: float, *, layout: str | None = None) -> Figure:
    """A figure of ``width`` x ``height`` inches on the Agg canvas (no pyplot state)."""
    fig = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(fig)
    return fig


def source_line(*, study: str, extract: str | None = None,
                extract_end: dt.date | str | None = None, version: str | None = None) -> str:
    """``Source: <study>, register extract <name> (data to <end>); cohort <version>``.

    Examples
    --------
    >>> source_line(study="A study", extract="dst-2024", extract_end=dt.date(2019, 12, 31),
    ...             version="0.1.0")
    'Source: A study, register extract dst-2024 (data to 2019-12-31); cohort 0.1.0'

    """
    if version is None:
        import cohort

        version = cohort.__version__
    text = f"Source: {study}"
    if extract:
        text += f", register extract {extract}"
    if extract_end is not None:
        end = extract_end.isoformat() if isinstance(extract_end, dt.date) else str(extract_end)
        text += f" (data to {end})"
    return f"{text}; cohort {version}"


def disclosure_note(settings: Any) -> str:
    """What disclosure control did, in words, from the release's settings.

    ``settings`` has ``enabled``, ``threshold``, ``rounding`` and
    ``rounding_base`` (a :class:`cohort.disclosure.DisclosureSettings`).

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> disclosure_note(S(enabled=True, threshold=5, rounding="none", rounding_base=5))
    'Counts below 5, and cells that would reveal them, are suppressed; suppressed cells (·) are not drawn.'

    """  # noqa: E501
    if not getattr(settings, "enabled", True):
        return "Disclosure control was disabled for this release (see manifest.json)."
    threshold = int(settings.threshold)
    text = (f"Counts below {threshold}, and cells that would reveal them, are suppressed; "
            f"suppressed cells ({SUPPRESSED}) are not drawn.")
    rounding = getattr(settings, "rounding", "none")
    if rounding == "base":
        text += f" Counts are rounded to multiples of {settings.rounding_base}."
    elif rounding == "midpoint":
        text += f" Counts are midpoint-rounded (base {settings.rounding_base})."
    return text


def add_source_note(fig: Figure, *lines: str, fontsize: float = _NOTE_FONTSIZE) -> Figure:
    """Write ``lines`` (a source line, a disclosure note) under the drawing of ``fig``.

    The figure grows by the height of the lines and the drawing keeps its size
    and layout: the layout of a constrained-layout figure is computed once and
    fixed, and every axes and figure text moves up. Long lines are wrapped to the
    figure's width. Empty lines are left out. Returns ``fig``, changed in place.
    """
    lines = tuple(str(x) for x in lines if x)
    if not lines:
        return fig
    if fontsize <= 0:
        msg = f"fontsize must be > 0; got {fontsize!r}"
        raise ParameterError(msg)
    if fig.get_layout_engine() is not None:
        fig.draw_without_rendering()  # lay it out once, then keep that layout
        fig.set_layout_engine("none")
    # a figure legend keeps its place over the drawing: pinned by its lower left corner
    legends = []
    if fig.legends:
        fig.draw_without_rendering()
        to_fig = fig.transFigure.inverted()
        legends = [(leg, to_fig.transform(leg.get_window_extent().p0)) for leg in fig.legends]
    width, height = (float(v) for v in fig.get_size_inches())
    chars = max(40, int(width * 72 / (fontsize * 0.55)))
    wrapped = [part for line in lines
               for part in textwrap.wrap(line, chars, break_on_hyphens=False) or [""]]
    line_h = fontsize * 1.4 / 72
    pad = 0.08
    extra = len(wrapped) * line_h + 2 * pad
    new_h = height + extra
    fig.set_size_inches(width, new_h)
    keep, shift = height / new_h, extra / new_h
    for ax in fig.axes:
        pos = ax.get_position(original=True)
        ax.set_position([pos.x0, pos.y0 * keep + shift, pos.width, pos.height * keep])
    for sub in fig.subfigs:  # a subfigure carries its axes, titles and legends with it
        b = sub.bbox_relative
        b.set_points(np.array([[b.x0, b.y0 * keep + shift], [b.x1, b.y1 * keep + shift]]))
    for text in fig.texts:
        if text.get_transform() is fig.transSubfigure:
            x, y = text.get_position()
            text.set_position((x, y * keep + shift))
    for leg, (x, y) in legends:
        leg.set_loc("lower left")
        leg.borderaxespad = 0.0
        leg.set_bbox_to_anchor((x, y * keep + shift), transform=fig.transFigure)
    for i, line in enumerate(wrapped):
        fig.text(0.01, (extra - pad - i * line_h) / new_h, line, ha="left", va="top",
                 fontsize=fontsize, color=_NOTE_COLOUR)
    return fig
