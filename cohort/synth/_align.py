"""Alignment: give an event to the persons of a cell with the highest propensity."""

from __future__ import annotations

import numpy as np

__all__ = ["align"]


def align(
    cell: np.ndarray, score: np.ndarray, rates: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Select, in each cell, ``floor(n * rate + U)`` persons with the highest ``score``.

    ``cell`` holds a cell number per person (-1: not aligned); ``rates[c]`` is the
    expected share of cell ``c``. The count is ``n * rate`` rounded up or down at
    random (``U`` uniform), so the expected share of every cell is exactly its rate
    and the realised share is within ``1 / n`` of it; who gets the event follows the
    propensity (ties keep input order).
    """
    out = np.zeros(len(cell), dtype=bool)
    idx = np.flatnonzero(cell >= 0)
    if len(idx) == 0:
        return out
    c = cell[idx]
    n_cell = np.bincount(c, minlength=len(rates))
    k = np.floor(n_cell * np.clip(rates, 0.0, 1.0) + rng.random(len(n_cell))).astype(np.int64)
    order = np.lexsort((-score[idx], c))
    sc = c[order]
    starts = np.cumsum(n_cell) - n_cell
    rank = np.arange(len(order)) - starts[sc]
    out[idx[order[rank < k[sc]]]] = True
    return out
