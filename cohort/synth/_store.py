"""Growable column stores for persons and households (struct of numpy arrays)."""

from __future__ import annotations

import numpy as np

__all__ = ["Store"]


class Store:
    """Named numpy columns of equal length that grow by appending blocks.

    ``store.birth`` is the live view ``birth[:n]``; assigning through it writes
    into the store. Appending doubles the capacity when needed.
    """

    def __init__(self, dtypes: dict[str, np.dtype | str], fill: dict[str, object], capacity: int):
        self._dtypes = {k: np.dtype(v) for k, v in dtypes.items()}
        self._fill = fill
        self._cols = {k: np.empty(max(capacity, 16), dtype=t) for k, t in self._dtypes.items()}
        self.n = 0

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is None or name not in cols:
            raise AttributeError(name)
        return cols[name][: self.n]

    def append(self, count: int, **values: object) -> np.ndarray:
        """Append ``count`` rows (missing columns take their fill value); return their indices."""
        need = self.n + count
        cap = len(next(iter(self._cols.values())))
        if need > cap:
            new_cap = max(need, 2 * cap)
            for k, a in self._cols.items():
                b = np.empty(new_cap, dtype=a.dtype)
                b[: self.n] = a[: self.n]
                self._cols[k] = b
        for k, a in self._cols.items():
            a[self.n : need] = values[k] if k in values else self._fill[k]
        idx = np.arange(self.n, need, dtype=np.int64)
        self.n = need
        return idx
