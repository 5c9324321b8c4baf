"""The whole release as one table to an attacker (definitions §6, last rule).

A :class:`ReleaseSystem` holds every count cell of a release -- the tables
written and the counts declared because model outputs reveal them -- with
their true values, what is suppressed, and the relations an attacker knows
between them: each table's totals and shares (as in
:func:`~cohort.disclosure.suppress_counts`), and the :class:`~cohort.disclosure.policy.Relation` s
between tables and columns (the same cell in two tables, a margin in another
table, rows read = rows accepted + rows quarantined).

Tables join one at a time. When a table joins, the connected part of the
system it touches is checked as one linear program (the attacker of
:mod:`cohort.disclosure._secondary`, with the relations as further
constraints): every suppressed cell in it, old or new, must stay protected,
and cells of the new table are suppressed further until they are. Cells of
tables already written are never changed. The system then answers, for model
output, which rows rest on a suppressed cell (they are withheld), and for a
curve, the first time at which its risk table hides a cell (it is cut there).

:meth:`ReleaseSystem.audit` re-checks every suppressed cell against the whole
release at the end; it finds nothing by construction, and a release is not
written if it does.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cohort.disclosure._secondary import (
    Structure,
    TableSpec,
    attacker_intervals,
    build_structure,
    combine,
    protect,
    required_width,
    with_complements,
)
from cohort.disclosure.policy import CellRef, Counts, Relation, RestsOn, RiskTableRef
from cohort.exceptions import DisclosureError

__all__ = ["ReleaseSystem", "Unprotected"]


def _plain(v: Hashable) -> Hashable:
    if hasattr(v, "item") and not isinstance(v, str):
        return v.item()
    return v


@dataclass
class _Table:
    """The count cells of one table, true values and what is suppressed."""

    name: str
    by: list[str]
    policy: Counts
    keys: pd.DataFrame
    values: dict[str, np.ndarray]
    suppressed: dict[str, np.ndarray]
    written: bool
    latent: bool = False
    index: dict[tuple, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, row in enumerate(self.keys.itertuples(index=False, name=None)):
            self.index[tuple(sorted(zip(self.by, map(_plain, row), strict=True)))] = i

    def row(self, ref: CellRef) -> int:
        try:
            return self.index[ref.key]
        except KeyError:
            msg = (f"a relation names a cell of table {self.name!r} with key columns "
                   f"{[k for k, _ in ref.key]}, which the table does not have "
                   f"(its dimensions: {self.by})")
            raise DisclosureError(msg) from None


@dataclass(frozen=True)
class Unprotected:
    """A suppressed cell an attacker can narrow too far: where, never its value."""

    table: str
    column: str
    row: int
    width: float


@dataclass
class _Block:
    """One LP structure and which table cells its cells are."""

    structure: Structure
    cells: list[tuple[str, str, int]]  # (table, column, row); complements: column "~num"
    unseen: np.ndarray


class ReleaseSystem:
    """The count cells of a release and what an attacker knows of them."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.tables: dict[str, _Table] = {}
        self.relations: list[Relation] = []

    # ------------------------------------------------------------- joining
    def add(self, name: str, df: pd.DataFrame, policy: Counts, by: Sequence[str],
            suppressed: Mapping[str, np.ndarray], *, written: bool = True,
            latent: bool = False) -> dict[str, np.ndarray]:
        """Add a table after its own suppression; return its masks, suppressed further.

        ``df`` holds the true counts; ``suppressed`` is, per count column, what
        the table's own rules suppressed. The result suppresses further cells of
        this table until every suppressed cell of the part of the release it
        touches is protected. A ``latent`` table is never shown, not even through
        outputs: every cell is hidden, and its small ones are protected by the
        tables that join after it (the events between two times of a risk table
        that publishes cumulative counts).
        """
        if name in self.tables:
            msg = f"the release already has counts named {name!r}"
            raise DisclosureError(msg)
        keys = df[list(by)].reset_index(drop=True)
        values = {c: df[c].to_numpy(dtype=np.int64) for c in policy.count_cols}
        masks = {c: (np.ones(len(keys), bool) if latent
                     else np.asarray(suppressed[c], dtype=bool).copy())
                 for c in policy.count_cols}
        table = _Table(name, list(by), policy, keys, values, masks, written, latent)
        self.tables[name] = table
        self.relations.extend(policy.relations)
        self._check_relations(name)
        blocks, eqs = self._component(name)
        if eqs:
            self._protect(name, blocks, eqs)
        return {c: m.copy() for c, m in table.suppressed.items()}

    def _active(self) -> list[Relation]:
        return [r for r in self.relations if r.tables <= set(self.tables)]

    def _cell_value(self, ref: CellRef) -> int:
        t = self.tables[ref.table]
        if ref.column not in t.values:
            msg = (f"a relation names column {ref.column!r} of table {ref.table!r}, which is "
                   f"not one of its count columns {list(t.values)}")
            raise DisclosureError(msg)
        return int(t.values[ref.column][t.row(ref)])

    def _check_relations(self, name: str) -> None:
        """Every relation that touches ``name`` and is now complete must hold."""
        t = self.tables[name]
        for r in self._active():
            if name not in r.tables:
                continue
            left = sum(self._cell_value(c) for c in r.left)
            right = sum(self._cell_value(c) for c in r.right)
            if left != right:
                msg = (f"a relation between tables {sorted(r.tables)} does not hold on the "
                       f"counts (columns {sorted({c.column for c in r.left})} and "
                       f"{sorted({c.column for c in r.right})}): the declaration is wrong")
                raise DisclosureError(msg)
        for col, parts in t.policy.identities.items():
            if (t.values[col] != sum(t.values[p] for p in parts)).any():
                msg = (f"table {name!r}: identities[{col!r}] does not hold: {col!r} is not the "
                       f"sum of {list(parts)} in every row")
                raise DisclosureError(msg)

    # ---------------------------------------------------------- structures
    def _blocks_of(self, t: _Table) -> list[_Block]:
        """LP structures of one table: per column (or share pair) and separate part."""
        p = t.policy
        pairs = list(dict.fromkeys(p.shares.values()))
        in_pairs = {c for pair in pairs for c in pair}
        groups: list[tuple[str, ...]] = [(c,) for c in p.count_cols if c not in in_pairs]
        groups += [tuple(pair) for pair in pairs]
        if p.separate:
            parts = [np.asarray(ix) for ix in
                     t.keys.groupby(list(p.separate), sort=False, dropna=False, observed=True)
                     .indices.values()]
        else:
            parts = [np.arange(len(t.keys))]
        totals = dict(p.totals)
        out = []
        for rows in parts:
            base = build_structure([TableSpec(t.keys.iloc[rows].reset_index(drop=True),
                                              totals)])
            for g in groups:
                if len(g) == 1:
                    cells = [(t.name, g[0], int(r)) for r in rows]
                    out.append(_Block(base, cells, np.full(len(rows), t.latent)))
                else:
                    num, den = g
                    cells = ([(t.name, num, int(r)) for r in rows]
                             + [(t.name, den, int(r)) for r in rows]
                             + [(t.name, f"~{num}~{den}", int(r)) for r in rows])
                    unseen = np.r_[np.full(2 * len(rows), t.latent), np.ones(len(rows), bool)]
                    out.append(_Block(with_complements(base), cells, unseen))
        return out

    def _component(self, name: str) -> tuple[list[_Block], list[tuple[list[tuple], list[int]]]]:
        """The blocks connected to table ``name`` by relations, and the equalities.

        Equalities are lists of (table, column, row), a total first. Tables with
        a population tag are protected with their linked tables by
        :func:`~cohort.disclosure.suppress_counts`; across tables they join the
        system here through their relations.
        """
        active = self._active()
        edges: dict[str, set[str]] = {n: set() for n in self.tables}
        for r in active:
            ts = sorted(r.tables)
            for a in ts:
                edges[a].update(ts)
        seen, todo = {name}, [name]
        while todo:
            n = todo.pop()
            for m in edges[n] - seen:
                seen.add(m)
                todo.append(m)
        eqs: list[tuple[list[tuple], list[int]]] = []
        for n in sorted(seen):
            t = self.tables[n]
            for col, parts in t.policy.identities.items():
                for r in range(len(t.keys)):
                    eqs.append(([(n, col, r), *[(n, pc, r) for pc in parts]],
                                [1] + [-1] * len(parts)))
        for r in active:
            if r.tables <= seen:
                eqs.append(([(c.table, c.column, self.tables[c.table].row(c)) for c in r.cells],
                            list(r.signs)))
        blocks = [b for n in sorted(seen) for b in self._blocks_of(self.tables[n])]
        return blocks, eqs

    def _assemble(self, blocks: list[_Block], eqs: list[tuple[list[tuple], list[int]]]):
        """The combined structure, with copies of a cell tied by equalities."""
        where: dict[tuple, list[int]] = {}
        cells: list[tuple] = []
        for b in blocks:
            for c in b.cells:
                where.setdefault(c, []).append(len(cells))
                cells.append(c)
        equalities = [[where[c][0] for c in eq] for eq, _ in eqs]
        signs = [sg for _, sg in eqs]
        for copies in where.values():  # a denominator shared by two share pairs
            equalities += [[copies[0], k] for k in copies[1:]]
            signs += [[1, -1]] * (len(copies) - 1)
        structure = combine([b.structure for b in blocks], equalities, signs)
        unseen = np.concatenate([b.unseen for b in blocks])
        values = np.array([self._value(c) for c in cells], dtype=np.int64)
        suppressed = np.array([self._hidden(c) for c in cells], dtype=bool)
        return structure, cells, values, suppressed, unseen

    def _value(self, cell: tuple) -> int:
        table, col, row = cell
        t = self.tables[table]
        if col.startswith("~"):
            num, den = col[1:].split("~")
            return int(t.values[den][row] - t.values[num][row])
        return int(t.values[col][row])

    def _hidden(self, cell: tuple) -> bool:
        table, col, row = cell
        if col.startswith("~"):
            return True
        return bool(self.tables[table].suppressed[col][row])

    # ------------------------------------------------------------- protect
    def _protect(self, name: str, blocks: list[_Block],
                 eqs: list[tuple[list[tuple], list[int]]]) -> None:
        try:
            self._protect_cells(name, blocks, eqs)
        except DisclosureError:
            if self.tables[name].written or self.tables[name].latent:
                raise
            # Declared counts are shown only through the outputs resting on them: when
            # no pattern of their cells protects the release (their zeros and the
            # tables before them pin a small cell), all of them are withheld.
            t = self.tables[name]
            for col in t.suppressed:
                t.suppressed[col][:] = True
            structure, cells, values, suppressed, unseen = self._assemble(blocks, eqs)
            fixed = np.array([c[0] != name for c in cells])
            public = _public(structure, suppressed | unseen, fixed, values) & ~unseen
            for i in np.flatnonzero(public & ~fixed):  # shown elsewhere: not hidden
                if 1 <= values[i] < self.threshold:
                    break
                tname, col, row = cells[i]
                t.suppressed[col][row] = False
            if self._unprotected(blocks, eqs):
                msg = (f"the cells of {name!r} cannot be protected even when every output "
                       "resting on them is withheld: the tables written before it give a "
                       "small count away through their relations")
                raise DisclosureError(msg) from None

    def _protect_cells(self, name: str, blocks: list[_Block],
                       eqs: list[tuple[list[tuple], list[int]]]) -> None:
        structure, cells, values, suppressed, unseen = self._assemble(blocks, eqs)
        t = self.threshold
        small = (values >= 1) & (values < t)
        mine = np.array([c[0] == name for c in cells])
        fixed = ~mine
        # a cell of the new table whose value earlier tables already publish (the
        # same cell, or a total of published cells) is public: show it, never hide it
        public = _public(structure, suppressed | unseen, fixed, values)
        for i in np.flatnonzero(public & mine & suppressed & ~unseen):
            if small[i]:
                tname, col, _ = cells[i]
                msg = (f"table {tname!r}, column {col!r}: a count below the threshold that "
                       "tables written before it already give away through their relations")
                raise DisclosureError(msg)
            suppressed[i] = False
        fixed |= public
        primary = (suppressed & ~unseen) | (unseen & small)
        mask = protect(structure, values, primary, threshold=t, fixed=fixed, unseen=unseen)
        for i in np.flatnonzero(mine & ~unseen):
            tname, col, row = cells[i]
            self.tables[tname].suppressed[col][row] = bool(mask[i])
        # a cell with several copies is hidden when any copy is
        for i in np.flatnonzero(mine & ~unseen & mask):
            tname, col, row = cells[i]
            self.tables[tname].suppressed[col][row] = True

    def _unprotected(self, blocks: list[_Block], eqs: list[tuple[list[tuple], list[int]]]
                     ) -> list[Unprotected]:
        """The small hidden cells of a part of the release an attacker narrows too far.

        Small: a count of 1 .. threshold - 1, or such a complement. A larger hidden
        cell that the release gives exactly is published in effect; it gives
        nothing small away by itself, and the small cells are checked with it.
        """
        structure, cells, values, suppressed, unseen = self._assemble(blocks, eqs)
        small = (values >= 1) & (values < self.threshold)
        check = np.flatnonzero(suppressed & small)
        if not len(check):
            return []
        lo, hi = attacker_intervals(structure, values, suppressed | unseen, check,
                                    unseen=unseen)
        width = required_width(self.threshold)
        return [Unprotected(cells[i][0], cells[i][1].strip("~"), cells[i][2], float(b - a))
                for i, a, b in zip(check, lo, hi, strict=True) if b - a < width - 1e-7]

    # --------------------------------------------------------------- audit
    def audit(self) -> list[Unprotected]:
        """Every suppressed cell an attacker can narrow below the width, whole release."""
        out: list[Unprotected] = []
        done: set[str] = set()
        for name in self.tables:
            if name in done:
                continue
            blocks, eqs = self._component(name)
            done |= {c[0] for b in blocks for c in b.cells}
            out += self._unprotected(blocks, eqs)
        return out

    # ------------------------------------------------------ model and curve
    def rests_on_suppressed(self, refs: Sequence[RestsOn], output: pd.DataFrame,
                            on: Sequence[str]) -> np.ndarray:
        """Per output row, whether it rests on a suppressed cell of the release."""
        hit = np.zeros(len(output), dtype=bool)
        for ref in refs:
            if ref.table not in self.tables:
                msg = (f"model output rests on {ref.table!r}, which this release has not "
                       "written or declared; write or declare that table first")
                raise DisclosureError(msg)
            t = self.tables[ref.table]
            cols = list(ref.columns or t.policy.count_cols)
            bad = [c for c in cols if c not in t.suppressed]
            if bad:
                msg = f"RestsOn names columns {bad} that are not counts of {ref.table!r}"
                raise DisclosureError(msg)
            hidden = np.zeros(len(t.keys), dtype=bool)
            for c in cols:
                hidden |= t.suppressed[c]
            if ref.cells is None:
                hit |= bool(hidden.any())
                continue
            # a column of cells names the output's key, the table's key or both
            out_keys = [k for k in ref.cells.columns if k in on]
            tab_keys = [k for k in ref.cells.columns if k in t.by]
            unknown = [k for k in ref.cells.columns if k not in on and k not in t.by]
            if unknown:
                msg = (f"RestsOn.cells for {ref.table!r} has columns {unknown} that are "
                       f"neither keys of the output (on={list(on)}) nor of the table")
                raise DisclosureError(msg)
            cells = ref.cells.copy()
            cells["_ref"] = np.arange(len(cells))
            keyed = t.keys[tab_keys].copy()
            keyed["_hidden"] = hidden
            matched = cells.merge(keyed, on=tab_keys, how="left") if tab_keys else \
                cells.assign(_hidden=bool(hidden.any()))
            if matched["_hidden"].isna().any():
                msg = (f"RestsOn.cells names {int(matched['_hidden'].isna().sum())} cells of "
                       f"{ref.table!r} that the table does not have")
                raise DisclosureError(msg)
            per_out = (matched.groupby(out_keys, sort=False, dropna=False)["_hidden"].any()
                       .reset_index() if out_keys else None)
            if per_out is None:
                hit |= bool(matched["_hidden"].any())
                continue
            rows = output[out_keys].merge(per_out, on=out_keys, how="left")["_hidden"]
            hit |= rows.astype("boolean").fillna(value=False).to_numpy(dtype=bool)
        return hit

    def first_hidden_time(self, ref: RiskTableRef) -> float | None:
        """The first time of the risk table at which a cell of the group is suppressed."""
        if ref.table not in self.tables:
            msg = (f"the curve's risk table {ref.table!r} is not in this release; write it "
                   "before the curve")
            raise DisclosureError(msg)
        t = self.tables[ref.table]
        if ref.time not in t.by:
            msg = f"{ref.time!r} is not a dimension of the risk table {ref.table!r}"
            raise DisclosureError(msg)
        rows = np.ones(len(t.keys), dtype=bool)
        for k, v in ref.where.items():
            rows &= (t.keys[k] == v).to_numpy()
        hidden = np.zeros(len(t.keys), dtype=bool)
        for m in t.suppressed.values():
            hidden |= m
        times = t.keys[ref.time].to_numpy(dtype=float)
        bad = times[rows & hidden]
        return float(bad.min()) if len(bad) else None

    def times(self, ref: RiskTableRef) -> np.ndarray:
        """The risk table's times for the group, sorted."""
        if ref.table not in self.tables:
            msg = (f"the curve's risk table {ref.table!r} is not in this release; write it "
                   "before the curve")
            raise DisclosureError(msg)
        t = self.tables[ref.table]
        rows = np.ones(len(t.keys), dtype=bool)
        for k, v in ref.where.items():
            rows &= (t.keys[k] == v).to_numpy()
        return np.sort(np.unique(t.keys.loc[rows, ref.time].to_numpy(dtype=float)))


def _public(structure: Structure, hidden: np.ndarray, fixed: np.ndarray,
            values: np.ndarray) -> np.ndarray:
    """Cells not fixed whose value follows from fixed published cells through relations.

    Zeros are always published, so they are known too.
    """
    known = (fixed | (values == 0)) & ~hidden
    derived = np.zeros(len(hidden), dtype=bool)
    changed = True
    while changed:
        changed = False
        for rel in (*structure.equalities, *structure.relations):
            unknown = [j for j in rel if not known[j]]
            if len(unknown) == 1 and not fixed[unknown[0]]:
                known[unknown[0]] = derived[unknown[0]] = True
                changed = True
    return derived
