"""What a released table is: the typed release policies.

Every table that leaves through a :class:`~cohort.disclosure.Release` says what
it is, so that disclosure control can see how its numbers relate to the rest
of the release (definitions §6, "the whole release is one table to an
attacker"):

- :class:`Counts`: a count table -- dimensions, count columns, totals, shares
  with their denominators, statistics over a count, and its *relations* to
  other tables of the release (a cell of one table that is the sum of cells of
  another, the same cell shown twice, a column that is the sum of others);
- :class:`ModelOutput`: model output (coefficients, ATTs, decomposition terms)
  with the cells it rests on: the support it is checked against, and the count
  cells of the release it is an exact function of (:class:`RestsOn`);
- :class:`Curve`: a Kaplan-Meier curve, and the risk table its steps must not
  undo (:class:`RiskTableRef`).

The policies are plain data; the rules that read them are pure functions
(:mod:`~cohort.disclosure.rules`, :mod:`~cohort.disclosure.models`,
:mod:`~cohort.disclosure.whole`), and :class:`~cohort.disclosure.Release` does
the writing.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cohort.exceptions import DisclosureError

__all__ = [
    "CellRef",
    "Counts",
    "Curve",
    "Derived",
    "ModelOutput",
    "Policy",
    "Relation",
    "RestsOn",
    "RiskTableRef",
    "same_cells",
]


def _tuple(value: Any, what: str) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        msg = f"{what} must be a list of names, not the string {value!r}"
        raise DisclosureError(msg)
    return tuple(value)


def _key(key: Mapping[str, Hashable]) -> tuple[tuple[str, Hashable], ...]:
    """A key as sorted (column, plain value) pairs: numpy scalars become Python ones."""
    out = []
    for k, v in key.items():
        if hasattr(v, "item") and not isinstance(v, str):
            v = v.item()
        out.append((str(k), v))
    return tuple(sorted(out))


@dataclass(frozen=True)
class CellRef:
    """One count cell of a table in the release: its table, row key and column.

    ``key`` gives the value of every dimension column (``by``) of the table.

    Examples
    --------
    >>> CellRef("flows", {"year": 2010, "group": "all"}, "in_moves").column
    'in_moves'

    """

    table: str
    key: tuple[tuple[str, Hashable], ...]
    column: str

    def __init__(self, table: str, key: Mapping[str, Hashable], column: str) -> None:
        object.__setattr__(self, "table", str(table))
        object.__setattr__(self, "key", _key(key))
        object.__setattr__(self, "column", str(column))


@dataclass(frozen=True)
class Relation:
    """Published knowledge that ``total`` is the sum of ``parts``.

    The cells may lie in different tables and columns of the release. A
    relation is true of the unsuppressed values (checked when all its tables are
    in the release) and is public: anyone who knows what the tables mean knows
    it. ``Relation(a, [b])`` says two tables show the same cell; ``total`` may
    also be several cells, when two sums are equal (the moves of five years in
    one table and of the period in another).

    Examples
    --------
    >>> read = CellRef("validation", {"table": "persons"}, "rows_read")
    >>> parts = [CellRef("validation", {"table": "persons"}, c)
    ...          for c in ("rows_accepted", "rows_quarantined")]
    >>> len(Relation(read, parts).cells)
    3

    """

    left: tuple[CellRef, ...]
    right: tuple[CellRef, ...]

    def __init__(self, total: CellRef | Sequence[CellRef], parts: Sequence[CellRef]) -> None:
        left = (total,) if isinstance(total, CellRef) else tuple(total)
        right = tuple(parts)
        if not left or not right:
            msg = "a relation needs cells on both sides"
            raise DisclosureError(msg)
        object.__setattr__(self, "left", left)
        object.__setattr__(self, "right", right)

    @property
    def cells(self) -> tuple[CellRef, ...]:
        """The left side's cells, then the right side's."""
        return (*self.left, *self.right)

    @property
    def signs(self) -> tuple[int, ...]:
        """+1 for each cell of the left side, -1 for the right."""
        return (1,) * len(self.left) + (-1,) * len(self.right)

    @property
    def tables(self) -> frozenset[str]:
        """The tables the relation touches."""
        return frozenset(c.table for c in self.cells)


def same_cells(
    df: pd.DataFrame,
    *,
    table: str,
    other: str,
    keys: Mapping[str, str] | Sequence[str],
    columns: Mapping[str, str] | Sequence[str],
    where: Mapping[str, Hashable] | None = None,
) -> tuple[Relation, ...]:
    """Relations saying that rows of ``df`` (table ``table``) repeat cells of ``other``.

    ``keys`` maps each key column of ``table`` to the column of ``other`` with
    the same values (a list when the names agree); ``where`` fixes further key
    columns of ``other``; ``columns`` maps count columns likewise.

    Examples
    --------
    >>> df = pd.DataFrame({"year": [2010, 2011], "n": [40, 3]})
    >>> rels = same_cells(df, table="copy", other="series", keys=["year"], columns=["n"],
    ...                   where={"unit": "estate"})
    >>> dict(rels[1].right[0].key)
    {'unit': 'estate', 'year': 2011}

    """
    kmap = dict(keys) if isinstance(keys, Mapping) else {k: k for k in keys}
    cmap = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    out = []
    for row in df[list(kmap)].drop_duplicates().itertuples(index=False, name=None):
        mine = dict(zip(kmap, row, strict=True))
        theirs = {kmap[k]: v for k, v in mine.items()} | dict(where or {})
        for col, ocol in cmap.items():
            out.append(Relation(CellRef(table, mine, col), [CellRef(other, theirs, ocol)]))
    return tuple(out)


@dataclass(frozen=True)
class Counts:
    """A count table: persons or events by dimensions, with what relates its cells.

    Parameters
    ----------
    count_cols
        Columns holding counts of persons or events.
    by
        Dimension columns; default: every column that is not declared otherwise
        (text columns only; a numeric column must be named).
    totals
        Per dimension, the label of its total or a hierarchy ``{parent: [children]}``.
    shares
        ``{share: (numerator, denominator)}``: protected together; a small
        complement ``denominator - numerator`` is protected like a small count.
    values
        ``{statistic: count}``: a mean or median over the persons of a count.
    separate
        Dimensions whose values split the table into independent tables.
    population
        A tag: tables with the same tag count the same persons and are protected
        together over their finest cross-classification.
    identities
        ``{column: (columns...)}``: in every row, ``column`` is the sum of the
        others (rows read = rows accepted + rows quarantined).
    relations
        :class:`Relation` s between cells of this table and of other tables of
        the release (either may come first).
    derived
        ``{column: function}``: columns computed from the table *as released*
        (suppressed cells missing), after disclosure control, by a function of
        the released frame (the change of a share since a baseline year, say).
        They can show nothing the released cells do not. Not in the input.

    """

    count_cols: tuple[str, ...]
    by: tuple[str, ...] | None = None
    totals: Mapping[str, Any] = field(default_factory=dict)
    shares: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    separate: tuple[str, ...] = ()
    population: str | None = None
    identities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    relations: tuple[Relation, ...] = ()
    derived: Mapping[str, Callable[[pd.DataFrame], pd.Series]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count_cols", _tuple(self.count_cols, "count_cols"))
        object.__setattr__(self, "derived", dict(self.derived or {}))
        if self.by is not None:
            object.__setattr__(self, "by", _tuple(self.by, "by"))
        object.__setattr__(self, "separate", _tuple(self.separate, "separate"))
        object.__setattr__(self, "relations", tuple(self.relations))
        object.__setattr__(self, "totals", dict(self.totals or {}))
        object.__setattr__(self, "shares", {k: tuple(v) for k, v in (self.shares or {}).items()})
        object.__setattr__(self, "values", dict(self.values or {}))
        object.__setattr__(self, "identities",
                           {k: _tuple(v, f"identities[{k!r}]")
                            for k, v in (self.identities or {}).items()})
        if not self.count_cols:
            msg = "a count table needs its count columns (count_cols=[...])"
            raise DisclosureError(msg)
        for col, parts in self.identities.items():
            bad = [c for c in (col, *parts) if c not in self.count_cols]
            if bad or not parts:
                msg = (f"identities[{col!r}]: a count column and the count columns it is the "
                       f"sum of; not count columns: {bad}")
                raise DisclosureError(msg)
        for r in self.relations:
            if not isinstance(r, Relation):
                msg = f"relations must be Relation objects; got {type(r).__name__}"
                raise DisclosureError(msg)


@dataclass(frozen=True)
class RestsOn:
    """The count cells of the release an output is an exact function of.

    ``table`` is a count table of the release, written or declared
    (:meth:`~cohort.disclosure.Release.declare_counts`). ``cells``, when given,
    has the output's key columns (``ModelOutput.on``) and key columns of
    ``table``: each output row rests on the rows of ``table`` that match one of
    its rows. Without ``cells``, every output row rests on every row of
    ``table``. ``columns`` limits the count columns (default: all).

    An output row that rests on a suppressed cell is withheld: it is an exact
    function of that cell and of cells that are published, so it would give the
    cell back.
    """

    table: str
    cells: pd.DataFrame | None = None
    columns: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.columns is not None:
            object.__setattr__(self, "columns", _tuple(self.columns, "columns"))
        if self.cells is not None and not isinstance(self.cells, pd.DataFrame):
            msg = "RestsOn.cells must be a DataFrame of keys"
            raise DisclosureError(msg)


@dataclass(frozen=True)
class ModelOutput:
    """Model output and the cells it rests on.

    Parameters
    ----------
    support
        One row per cell the model rests on (group x period) with its persons
        and, where the model counts events, its events. Never released. A row is
        released only when every cell with its key has persons, events and
        (see ``complement``) non-events of at least the threshold.
    persons, events
        Columns of ``support``.
    on
        Key columns shared by the output and ``support`` (and ``RestsOn.cells``).
    additive
        Keys of groups of rows whose estimates add up to a published total.
    rests_on
        The count cells of the release the output is an exact function of
        (:class:`RestsOn`); a row resting on a suppressed cell is withheld.
    complement
        Whether the non-events (persons - events) of a support cell must reach
        the threshold too (the default): a share or a coefficient of a binary
        outcome gives them back. ``False`` for time-to-event models, whose
        non-events are censorings the output does not reveal (a Cox hazard ratio).

    """

    support: pd.DataFrame | None = None
    persons: str = "n_persons"
    events: str | None = None
    on: tuple[str, ...] = ()
    additive: tuple[str, ...] | None = None
    rests_on: tuple[RestsOn, ...] = ()
    complement: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "on", _tuple(self.on, "on"))
        if self.additive is not None:
            object.__setattr__(self, "additive", _tuple(self.additive, "additive"))
        object.__setattr__(self, "rests_on", tuple(self.rests_on))
        if self.support is None and not self.rests_on:
            msg = ("model output needs support= (persons and events per cell it rests on) "
                   "or rests_on= (the count cells of the release it is a function of)")
            raise DisclosureError(msg)
        for r in self.rests_on:
            if not isinstance(r, RestsOn):
                msg = f"rests_on must be RestsOn objects; got {type(r).__name__}"
                raise DisclosureError(msg)


@dataclass(frozen=True)
class RiskTableRef:
    """The risk table a curve is published with: its table, time column and group.

    The curve is released only up to the first time of the risk table at which
    a cell of the group is suppressed: past it, the curve's steps and the
    published counts together could narrow that cell.
    """

    table: str
    time: str
    where: Mapping[str, Hashable] = field(default_factory=dict)


@dataclass(frozen=True)
class Curve:
    """A Kaplan-Meier curve (see :func:`~cohort.disclosure.km_release`)."""

    keep: tuple[str, ...] = ("conf_low", "conf_high")
    risk_table: RiskTableRef | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", _tuple(self.keep, "keep"))


@dataclass(frozen=True)
class Derived:
    """A table computed from tables of the release already written, and nothing else.

    Every value is a function of released values of ``sources`` (p-values adjusted
    for multiplicity from released p-values, a minimum detectable effect from a
    released standard error; a value its source withheld stays missing), so it
    shows nothing they do not. The release refuses it unless every source was
    written before it; it adds no cell to the whole-release check. Declaring a
    table ``Derived`` that uses anything else is a defect of the caller.
    """

    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", _tuple(self.sources, "sources"))
        if not self.sources:
            msg = "a derived table names the released tables it is computed from (sources=)"
            raise DisclosureError(msg)


Policy = Counts | ModelOutput | Curve | Derived
