"""Every figure a study releases says, in the image, where it comes from.

The analyses draw their figures with the library's public plotting functions
from the released tables; :func:`released_figure` wraps such a drawing so that
the figure also carries the study's source line and the disclosure note
(:func:`cohort.figures.add_source_note`). To redraw a released figure, call the
same plotting function on the released tables and add the same two lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from cohort.figures import add_source_note, disclosure_note, source_line

__all__ = ["figure_notes", "released_figure"]

Draw = Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Any]


def figure_notes(ctx: Any) -> tuple[str, str]:
    """The source line and the disclosure note of the study's figures.

    From the study's name and disclosure settings and the extract's name and
    end (``ctx`` is the analyses' :class:`~cohort.study.analyses.Context`).
    """
    ex = ctx.extract
    source = source_line(study=ctx.spec.name, extract=getattr(ex, "name", None),
                         extract_end=getattr(ex, "extract_end", None))
    return source, disclosure_note(ctx.spec.disclosure)


def released_figure(ctx: Any, draw: Draw) -> Draw:
    """``draw`` (released table, tables released before it) -> the figure with its notes."""
    lines = figure_notes(ctx)

    def figure(released: pd.DataFrame, others: Mapping[str, pd.DataFrame]) -> Any:
        return add_source_note(draw(released, others), *lines)

    return figure
