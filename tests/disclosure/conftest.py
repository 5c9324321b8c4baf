"""Fixtures of the disclosure tests.

``lp``: an attacker's linear program for a two-way table with margins,

Written independently of cohort.disclosure._secondary (dense matrices, interior
cells as the unknowns), so the property tests do not check the code with itself.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

TOTAL = "T"


def table_long(m: np.ndarray) -> pd.DataFrame:
    """Interior cells, row totals, column totals and the grand total, long form."""
    rows = []
    n_r, n_c = m.shape
    for i in range(n_r):
        for j in range(n_c):
            rows.append((f"r{i}", f"c{j}", int(m[i, j])))
        rows.append((f"r{i}", TOTAL, int(m[i].sum())))
    for j in range(n_c):
        rows.append((TOTAL, f"c{j}", int(m[:, j].sum())))
    rows.append((TOTAL, TOTAL, int(m.sum())))
    return pd.DataFrame(rows, columns=["row", "col", "n"])


def _coef(key: tuple[str, str], n_r: int, n_c: int) -> np.ndarray:
    r, c = key
    a = np.zeros((n_r, n_c))
    ri = slice(None) if r == TOTAL else int(r[1:])
    ci = slice(None) if c == TOTAL else int(c[1:])
    a[ri, ci] = 1.0
    return a.ravel()


def attacker_bounds(released: pd.DataFrame, n_r: int, n_c: int) -> dict[tuple, tuple]:
    """For every suppressed cell: (min, max) given the published cells, x >= 0,
    and suppressed cells >= 1 (zeros are published)."""
    a_eq, b_eq, a_ub, b_ub, hidden = [], [], [], [], []
    for r, c, v in released[["row", "col", "n"]].itertuples(index=False):
        coef = _coef((r, c), n_r, n_c)
        if pd.isna(v):
            a_ub.append(-coef)
            b_ub.append(-1.0)
            hidden.append((r, c))
        else:
            a_eq.append(coef)
            b_eq.append(float(v))
    out = {}
    for key in hidden:
        coef = _coef(key, n_r, n_c)
        bounds = []
        for sign in (1.0, -1.0):
            res = linprog(sign * coef, A_ub=np.array(a_ub) if a_ub else None,
                          b_ub=np.array(b_ub) if b_ub else None,
                          A_eq=np.array(a_eq) if a_eq else None,
                          b_eq=np.array(b_eq) if b_eq else None,
                          bounds=(0, None), method="highs")
            if res.status == 3:
                bounds.append(-sign * np.inf)
            else:
                assert res.status == 0, res.message
                bounds.append(sign * res.fun)
        out[key] = (bounds[0], bounds[1])
    return out


@pytest.fixture(scope="session")
def lp() -> SimpleNamespace:
    """The attacker's LP helpers: TOTAL, table_long, attacker_bounds."""
    return SimpleNamespace(TOTAL=TOTAL, table_long=table_long, attacker_bounds=attacker_bounds)
