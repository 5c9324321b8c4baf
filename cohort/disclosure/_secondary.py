"""Secondary suppression, checked by linear programming.

A table (or a group of tables about the same population) is modelled as
*atoms*: the cells of the finest cross-classification of all its dimensions.
Every published cell is a sum of atoms. An attacker who sees the published
cells knows, for the unknown atoms ``x``:

- ``x >= 0``;
- ``sum(x[a] for a in cell) == value`` for every published cell (zeros included,
  and every leaf combination a table leaves out counts as a published zero);
- ``sum(x[a] for a in cell) >= 1`` for every suppressed cell (zeros are
  published, so a suppressed cell is not zero).

For each suppressed cell we solve ``min`` and ``max`` of its sum under these
constraints (scipy's HiGHS). The cell is *protected* when ``hi - lo >=
required_width(threshold)``: the attacker cannot narrow it to fewer values than
primary suppression already admits (the ``threshold - 1`` values
``1 .. threshold - 1``), and never to a single value.

Suppressing a further cell only removes an equality (and adds an inequality the
true values satisfy), so intervals only widen: a protected cell stays
protected, and the greedy loop below needs to re-check only unprotected cells.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from cohort.exceptions import CohortError, DisclosureError

__all__ = ["Structure", "TableSpec", "attacker_intervals", "build_structure", "combine",
           "protect", "required_width", "with_complements"]

Hierarchy = Mapping[Hashable, Sequence[Hashable]]
TotalsSpec = Mapping[str, "Hashable | Hierarchy"]

_MAX_ATOMS = 2_000_000


def required_width(threshold: int) -> int:
    """Width an attacker's interval must have: ``max(1, threshold - 2)``.

    Examples
    --------
    >>> required_width(5), required_width(3)
    (3, 1)

    """
    return max(1, threshold - 2)


@dataclass(frozen=True)
class TableSpec:
    """The keys of one table: its dimension columns and declared totals."""

    keys: pd.DataFrame  # the dimension columns only, one row per cell
    totals: TotalsSpec


@dataclass(frozen=True)
class Structure:
    """Cells as sums of atoms, for one or more tables."""

    n_atoms: int
    cell_atoms: tuple[np.ndarray, ...]  # per cell: atom indices
    cell_table: np.ndarray  # per cell: index of its table
    cell_keys: tuple[tuple[Hashable, ...], ...]  # per cell: its key in its table
    table_dims: tuple[tuple[str, ...], ...]
    zero_atoms: np.ndarray  # bool per atom: known to be zero (left-out combinations)
    relations: tuple[np.ndarray, ...] = ()  # cells: a total first, then its parts
    #: relations between cells that do not share atoms (cells of different tables or
    #: columns): each is a constraint ``total = sum(parts)`` of the attacker's LP too
    equalities: tuple[np.ndarray, ...] = ()
    #: per equality, +1 for the cells of its left side and -1 for the right; by
    #: default the first cell is the left side (a total and its parts)
    equality_signs: tuple[np.ndarray, ...] = ()


def _children_map(spec: Hashable | Hierarchy) -> tuple[Hashable | None, dict[Hashable, list]]:
    """Split a totals spec into (grand-total label or None, parent -> children)."""
    if isinstance(spec, Mapping):
        return None, {p: list(c) for p, c in spec.items()}
    return spec, {}


def _dim_leaves(dim: str, specs: Sequence[TableSpec]) -> tuple[list, dict[Hashable, set]]:
    """Leaves of a dimension and, for every label, the leaves it covers."""
    grand: set = set()
    parents: dict[Hashable, list] = {}
    observed: list = []
    for spec in specs:
        if dim not in spec.keys.columns:
            continue
        if dim in spec.totals:
            g, p = _children_map(spec.totals[dim])
            if g is not None:
                grand.add(g)
            for k, v in p.items():
                parents.setdefault(k, [])
                parents[k] = list(dict.fromkeys([*parents[k], *v]))
        observed.extend(spec.keys[dim].tolist())
    children_all = [c for cs in parents.values() for c in cs]
    leaves = [v for v in dict.fromkeys([*observed, *children_all])
              if v not in grand and v not in parents]
    cover: dict[Hashable, set] = {}

    def leaves_of(label: Hashable, seen: tuple = ()) -> set:
        if label in cover:
            return cover[label]
        if label in grand:
            out = set(range(len(leaves)))
        elif label in parents:
            if label in seen:
                msg = f"totals for {dim!r}: the hierarchy has a cycle"
                raise DisclosureError(msg)
            out = set().union(*(leaves_of(c, (*seen, label)) for c in parents[label]))
        else:
            out = {leaves.index(label)}
        cover[label] = out
        return out

    for v in dict.fromkeys([*observed, *grand, *parents]):
        leaves_of(v)
    return leaves, cover


def build_structure(specs: Sequence[TableSpec]) -> Structure:
    """Build the atom structure of one table or of linked tables."""
    dims = list(dict.fromkeys(d for s in specs for d in s.keys.columns))
    per_dim = {d: _dim_leaves(d, specs) for d in dims}
    sizes = [max(1, len(per_dim[d][0])) for d in dims]
    n_atoms = math.prod(sizes) if dims else 1
    if n_atoms > _MAX_ATOMS:
        msg = (f"the tables' dimensions span {n_atoms} cells, more than {_MAX_ATOMS}; "
               "split the table or declare fewer linked tables")
        raise DisclosureError(msg)
    strides = np.cumprod([1, *sizes[::-1]])[:-1][::-1] if dims else np.array([], dtype=int)

    def atoms_of(per_dim_sets: list[list[int]]) -> np.ndarray:
        idx = np.zeros(1, dtype=np.int64)
        for stride, s in zip(strides, per_dim_sets, strict=True):
            idx = (idx[:, None] + stride * np.asarray(sorted(s), dtype=np.int64)[None, :]).ravel()
        return idx

    cell_atoms: list[np.ndarray] = []
    cell_table: list[int] = []
    cell_keys: list[tuple] = []
    covered = np.zeros(n_atoms, dtype=bool)
    relations: list[np.ndarray] = []
    for t, spec in enumerate(specs):
        tdims = list(spec.keys.columns)
        first = len(cell_atoms)
        relations += _relations(spec, first)
        seen_leaf_keys = set()
        for key in spec.keys.itertuples(index=False, name=None):
            sets = []
            for d in dims:
                leaves, cover = per_dim[d]
                sets.append(sorted(cover[key[tdims.index(d)]]) if d in tdims
                            else list(range(len(leaves))))
            cell_atoms.append(atoms_of(sets))
            cell_table.append(t)
            cell_keys.append(tuple(key))
            if all(len(per_dim[d][1][key[tdims.index(d)]]) == 1
                   and key[tdims.index(d)] in per_dim[d][0] for d in tdims):
                seen_leaf_keys.add(tuple(key))
        # leaf combinations the table leaves out are published zeros
        leaf_lists = [per_dim[d][0] for d in tdims]
        if set(tdims) == set(dims):  # one atom per combination: vectorised
            present = np.zeros(n_atoms, dtype=bool)
            for i, key in enumerate(spec.keys.itertuples(index=False, name=None)):
                if tuple(key) in seen_leaf_keys:
                    present[cell_atoms[first + i]] = True
            covered |= ~present
            continue
        if math.prod(len(v) for v in leaf_lists) > _MAX_ATOMS // 10:
            msg = "a linked table has too many combinations; link fewer or smaller tables"
            raise DisclosureError(msg)
        for combo in itertools.product(*leaf_lists):
            if combo in seen_leaf_keys:
                continue
            sets = [[per_dim[d][0].index(combo[tdims.index(d)])] if d in tdims
                    else list(range(len(per_dim[d][0]))) for d in dims]
            covered[atoms_of(sets)] = True
    return Structure(
        n_atoms=n_atoms,
        cell_atoms=tuple(cell_atoms),
        cell_table=np.asarray(cell_table, dtype=np.int64),
        cell_keys=tuple(cell_keys),
        table_dims=tuple(tuple(s.keys.columns) for s in specs),
        zero_atoms=covered,
        relations=tuple(relations),
    )


def with_complements(structure: Structure) -> Structure:
    """Numerator, denominator and complement cells over doubled atoms.

    Atoms ``0..N-1`` count persons with the attribute, ``N..2N-1`` those
    without. Cells ``0..n-1`` are the numerator cells, ``n..2n-1`` the
    denominator cells (both halves), ``2n..3n-1`` the complements
    ``denominator - numerator``; each row adds the relation
    ``denominator = numerator + complement``. Non-negative atoms then encode
    ``numerator <= denominator``.
    """
    big_n = structure.n_atoms
    n = len(structure.cell_atoms)
    n_tables = len(structure.table_dims)
    num = list(structure.cell_atoms)
    den = [np.concatenate([a, a + big_n]) for a in structure.cell_atoms]
    comp = [a + big_n for a in structure.cell_atoms]
    relations = [*structure.relations, *(r + n for r in structure.relations),
                 *(r + 2 * n for r in structure.relations),
                 *(np.asarray([n + i, i, 2 * n + i], dtype=np.int64) for i in range(n))]
    return Structure(
        n_atoms=2 * big_n,
        cell_atoms=tuple(num + den + comp),
        cell_table=np.concatenate([structure.cell_table + k * n_tables for k in range(3)]),
        cell_keys=structure.cell_keys * 3,
        table_dims=structure.table_dims * 3,
        zero_atoms=np.concatenate([structure.zero_atoms, structure.zero_atoms]),
        relations=tuple(relations),
    )


def combine(structures: Sequence[Structure], equalities: Sequence[Sequence[int]] = (),
            signs: Sequence[Sequence[int]] | None = None) -> Structure:
    """One structure of several, side by side, with ``equalities`` between their cells.

    The atoms and cells of ``structures[k]`` follow those of the structures
    before it; ``equalities`` are lists of cell indices of the result, by default
    a total first (``total = sum(parts)``), or with ``signs`` (+1 left, -1 right)
    two sums that are equal: the relations between tables and columns of a
    release that no shared atom expresses.
    """
    atom_off = np.cumsum([0, *[s.n_atoms for s in structures]])
    cell_off = np.cumsum([0, *[len(s.cell_atoms) for s in structures]])
    table_off = np.cumsum([0, *[len(s.table_dims) for s in structures]])
    eqs = tuple(np.asarray(e, dtype=np.int64) for e in equalities)
    if signs is None:
        sg = tuple(np.r_[1.0, -np.ones(len(e) - 1)] for e in eqs)
    else:
        sg = tuple(np.asarray(x, dtype=float) for x in signs)
    return Structure(
        n_atoms=int(atom_off[-1]),
        cell_atoms=tuple(a + atom_off[k] for k, s in enumerate(structures)
                         for a in s.cell_atoms),
        cell_table=np.concatenate([s.cell_table + table_off[k]
                                   for k, s in enumerate(structures)]).astype(np.int64)
        if structures else np.zeros(0, np.int64),
        cell_keys=tuple(k for s in structures for k in s.cell_keys),
        table_dims=tuple(d for s in structures for d in s.table_dims),
        zero_atoms=np.concatenate([s.zero_atoms for s in structures])
        if structures else np.zeros(0, bool),
        relations=(*(r + cell_off[k] for k, s in enumerate(structures) for r in s.relations),
                   *eqs),
        equalities=(*(e + cell_off[k] for k, s in enumerate(structures)
                      for e in s.equalities), *eqs),
        equality_signs=(*(x for s in structures for x in _signs(s)), *sg),
    )


def _signs(structure: Structure) -> tuple[np.ndarray, ...]:
    if structure.equality_signs:
        return structure.equality_signs
    return tuple(np.r_[1.0, -np.ones(len(e) - 1)] for e in structure.equalities)


def _relations(spec: TableSpec, offset: int) -> list[np.ndarray]:
    """The additive relations of one table: ``[total, part, part, ...]`` cell indices."""
    keys = [tuple(k) for k in spec.keys.itertuples(index=False, name=None)]
    index = {k: i + offset for i, k in enumerate(keys)}
    tdims = list(spec.keys.columns)
    out = []
    for d, tspec in spec.totals.items():
        k_d = tdims.index(d)
        grand, parents = _children_map(tspec)
        aggregates = {*parents, *([grand] if grand is not None else [])}
        for key in keys:
            label = key[k_d]
            if label == grand:
                children = [v for v in dict.fromkeys(k[k_d] for k in keys)
                            if v not in aggregates]
            elif label in parents:
                children = parents[label]
            else:
                continue
            parts = [index[c] for c in (key[:k_d] + (v,) + key[k_d + 1:] for v in children)
                     if c in index]
            out.append(np.asarray([index[key], *parts], dtype=np.int64))
    return out


def _matrix(structure: Structure, rows: np.ndarray) -> sparse.csr_matrix:
    indptr = [0]
    indices: list[np.ndarray] = []
    for r in rows:
        a = structure.cell_atoms[r]
        indices.append(a)
        indptr.append(indptr[-1] + len(a))
    ind = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix(
        (np.ones(len(ind)), ind, np.asarray(indptr)), shape=(len(rows), structure.n_atoms)
    )


def _equality_matrix(structure: Structure) -> sparse.csr_matrix:
    """Rows ``atoms(total) - sum(atoms(parts)) = 0``, one per equality."""
    rows, cols, vals = [], [], []
    for i, (eq, sg) in enumerate(zip(structure.equalities, _signs(structure), strict=True)):
        for cell, sign in zip(eq, sg, strict=True):
            a = structure.cell_atoms[cell]
            rows.append(np.full(len(a), i))
            cols.append(a)
            vals.append(np.full(len(a), sign))
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(structure.equalities), structure.n_atoms))


def attacker_intervals(
    structure: Structure,
    values: np.ndarray,
    suppressed: np.ndarray,
    cells: np.ndarray,
    *,
    unseen: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Min and max an attacker can derive for each of ``cells`` (none published).

    ``suppressed`` cells are not published; those not also ``unseen`` are known
    to be at least 1 (zeros are published). ``unseen`` cells are never
    published and carry no such floor (a complement ``denominator -
    numerator``, or a column a linked table lacks).
    """
    published = np.flatnonzero(~suppressed)
    floor = suppressed & (values >= 1)  # zeros are published, so hidden means >= 1
    if unseen is not None:
        floor &= ~unseen
    hidden = np.flatnonzero(floor)
    a_eq = _matrix(structure, published)
    b_eq = values[published].astype(float)
    if structure.equalities:
        a_eq = sparse.vstack([a_eq, _equality_matrix(structure)]).tocsr()
        b_eq = np.concatenate([b_eq, np.zeros(len(structure.equalities))])
    a_ub = -_matrix(structure, hidden)
    b_ub = -np.ones(len(hidden))
    bounds = np.zeros((structure.n_atoms, 2))
    bounds[:, 1] = np.where(structure.zero_atoms, 0.0, np.inf)
    lo = np.empty(len(cells))
    hi = np.empty(len(cells))
    has_eq = a_eq.shape[0] > 0
    for i, c in enumerate(cells):
        obj = np.zeros(structure.n_atoms)
        obj[structure.cell_atoms[c]] = 1.0
        for sign, out in ((1.0, lo), (-1.0, hi)):
            res = linprog(sign * obj, A_ub=a_ub if len(hidden) else None,
                          b_ub=b_ub if len(hidden) else None,
                          A_eq=a_eq if has_eq else None,
                          b_eq=b_eq if has_eq else None,
                          bounds=bounds, method="highs")
            if res.status == 3:
                out[i] = -sign * np.inf
            elif res.status == 0:
                out[i] = sign * res.fun
            else:  # pragma: no cover - the true values are always feasible
                msg = f"secondary suppression: linear program failed ({res.message})"
                raise CohortError(msg)
    return lo, hi


def _connected(structure: Structure) -> np.ndarray:
    """Per cell, the label of its connected part (cells linked by atoms or relations)."""
    n = len(structure.cell_atoms)
    rows = [np.full(len(a), i, dtype=np.int64) for i, a in enumerate(structure.cell_atoms)]
    cols = [np.asarray(a, dtype=np.int64) + n for a in structure.cell_atoms]
    k = n + structure.n_atoms
    for r in (*structure.relations, *structure.equalities):
        # a relation is a node joined to each of its cells
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.full(len(r), k, dtype=np.int64))
        k += 1
    r_ = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c_ = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    graph = sparse.csr_matrix((np.ones(len(r_)), (r_, c_)), shape=(k, k))
    _, labels = connected_components(graph, directed=False)
    return labels[:n]


def _partners(structure: Structure, c: int, candidates: np.ndarray) -> dict[int, list[int]]:
    """Candidate cells on a line through ``c`` (key differs in one dimension), by dimension."""
    t = structure.cell_table[c]
    key = structure.cell_keys[c]
    out: dict[int, list[int]] = {}
    for j in candidates:
        if structure.cell_table[j] != t:
            continue
        diff = [k for k, (a, b) in enumerate(zip(key, structure.cell_keys[j], strict=True))
                if a != b]
        if len(diff) == 1:
            out.setdefault(diff[0], []).append(int(j))
    return out


def protect(
    structure: Structure,
    values: np.ndarray,
    primary: np.ndarray,
    *,
    threshold: int,
    fixed: np.ndarray | None = None,
    unseen: np.ndarray | None = None,
) -> np.ndarray:
    """Return the suppression mask: ``primary`` plus complementary cells.

    ``fixed`` marks cells already published (earlier tables of a linked group):
    they constrain the attacker and are never suppressed. ``unseen`` marks cells
    that are never published (see :func:`attacker_intervals`); they are
    protected when ``primary`` and never chosen. Raises
    :class:`DisclosureError` when no pattern protects the primary cells.
    """
    n = len(values)
    fixed = np.zeros(n, dtype=bool) if fixed is None else fixed
    unseen = np.zeros(n, dtype=bool) if unseen is None else unseen
    fixed = fixed | unseen
    suppressed = primary | unseen
    width = required_width(threshold)
    # Cells are checked one at a time; a protected cell stays protected (see the
    # module's docstring), so it leaves the queue for good.
    pending = list(np.flatnonzero(primary))
    # how many published cells cover each atom: an atom no published cell covers
    # (and not a known zero) is unbounded, and so is every cell containing it
    cover = np.zeros(structure.n_atoms, dtype=np.int64)
    for j in np.flatnonzero(~suppressed):
        cover[structure.cell_atoms[j]] += 1
    for eq in structure.equalities:  # an equality can bound atoms no published cell covers
        for j in eq:
            cover[structure.cell_atoms[j]] += 1
    # Hiding a cell that no relation, equality or shared atom connects to c cannot
    # widen c's interval: candidates come from c's connected part only.
    part = _connected(structure)
    while pending:
        c = pending[0]
        atoms = structure.cell_atoms[c]
        if ((cover[atoms] == 0) & ~structure.zero_atoms[atoms]).any():
            pending.pop(0)
            continue
        pinned = any(suppressed[r].sum() == 1 for r in structure.relations if c in r)
        if not pinned:
            lo, hi = attacker_intervals(structure, values, suppressed, np.asarray([c]),
                                        unseen=unseen)
            if hi[0] - lo[0] >= width - 1e-7:
                pending.pop(0)
                continue
        open_ = np.flatnonzero(~suppressed & ~fixed & (values > 0) & (part == part[c]))
        # A relation with a single suppressed cell reveals that cell exactly: fix
        # those first (c's own, then any), else widen one of c's relations.
        # Parts are preferred to totals, which would cascade upwards.
        is_open = np.zeros(n, dtype=bool)
        is_open[open_] = True
        rels = [r for r in structure.relations if c in r]
        # (an unseen cell that is not small -- a complement -- may be revealed)
        guarded = suppressed & ~(unseen & ~primary)
        lonely = [r for r in rels if suppressed[r].sum() == 1] or [
            r for r in structure.relations
            if suppressed[r].sum() == 1 and guarded[r].any()]
        chosen = lonely or rels
        best = [int(j) for r in chosen for j in r[1:] if is_open[j]]
        best = best or [int(r[0]) for r in chosen if is_open[r[0]]]
        if best:
            pick = min(best, key=lambda j: (values[j], j))
            suppressed[pick] = True
            cover[structure.cell_atoms[pick]] -= 1
            pending.append(pick)
            continue
        lines = _partners(structure, c, open_)
        # prefer a line along which c is the only suppressed cell: it pins c down
        hidden = np.flatnonzero(suppressed)
        hidden_lines = _partners(structure, c, hidden)
        best: list[int] = [j for d, js in lines.items() if d not in hidden_lines for j in js]
        if not best:
            best = [j for js in lines.values() for j in js]
        if not best:
            best = [int(j) for j in open_ if structure.cell_table[j] == structure.cell_table[c]]
        if not best:  # c is in a linked table: cells of the new table that overlap it
            mine = structure.cell_atoms[c]
            best = [int(j) for j in open_
                    if np.intersect1d(structure.cell_atoms[j], mine).size]
        if not best:
            best = [int(j) for j in open_]
        if not best and not primary[c]:
            # c was hidden to protect other cells, and what is published pins it:
            # its value is no secret (it is not small), and the cells it was meant to
            # protect are checked on their own, with c's value known to the attacker.
            pending.pop(0)
            continue
        if not best:
            msg = ("secondary suppression cannot protect a suppressed cell: every other cell "
                   "is suppressed or was published in a linked table")
            raise DisclosureError(msg)
        # Prefer a cell that lies inside a published cell which also contains c (a
        # total of a linked table, say): hiding it widens c's interval, whereas a
        # cell elsewhere can end up pinned itself by its own published totals.
        covering = [set(structure.cell_atoms[k].tolist()) for k in np.flatnonzero(~suppressed)
                    if set(atoms.tolist()) <= set(structure.cell_atoms[k].tolist())]

        def shares_cover(j: int, covering: list[set] = covering) -> int:
            aj = set(structure.cell_atoms[j].tolist())
            return 0 if any(aj <= cov for cov in covering) else 1

        pick = min(best, key=lambda j: (shares_cover(j), values[j], j))
        suppressed[pick] = True
        cover[structure.cell_atoms[pick]] -= 1
        pending.append(pick)
    return suppressed
