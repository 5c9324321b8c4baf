"""Every figure a study releases says, in the image, where it comes from.

The analyses draw their figures with the library's public plotting functions
from the released tables; :func:`released_figure` wraps such a drawing so that
the figure also carries the study's source line and the disclosure note
(:func:`cohort.figures.add_source_note`), in the report's language: a Danish
study's figures get their library-drawn words in Danish
(:func:`cohort.report._text.localize_figure`) and their notes in Danish. To
redraw a released figure, call the same plotting function on the released tables
(with the study's display names for its units), localize it, and add the same two
lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from cohort.figures import add_source_note, disclosure_note, source_line
from cohort.report._text import disclosure_text, localize_figure, source_note

__all__ = ["figure_notes", "released_figure"]

Draw = Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Any]


def figure_notes(ctx: Any) -> tuple[str, str]:
    """The source line and the disclosure note of the study's figures.

    From the study's name and disclosure settings and the extract's name and
    end (``ctx`` is the analyses' :class:`~cohort.study.analyses.Context`).
    """
    ex = ctx.extract
    where = {"study": ctx.spec.name, "extract": getattr(ex, "name", None),
             "extract_end": getattr(ex, "extract_end", None)}
    language = getattr(ctx.spec, "language", "en")
    if language == "en":
        return source_line(**where), disclosure_note(ctx.spec.disclosure)
    return source_note(language, **where), disclosure_text(ctx.spec.disclosure, language)


def released_figure(ctx: Any, draw: Draw) -> Draw:
    """``draw`` (released table, tables released before it) -> the figure with its notes."""
    lines = figure_notes(ctx)
    language = getattr(ctx.spec, "language", "en")

    def figure(released: pd.DataFrame, others: Mapping[str, pd.DataFrame]) -> Any:
        return add_source_note(localize_figure(draw(released, others), language), *lines)

    return figure
