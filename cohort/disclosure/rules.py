"""The disclosure rules as pure functions over DataFrames.

A *count table* is a DataFrame in long form: dimension columns (``by``), one
or more count columns (persons, events, ...), and optionally share columns
computed from two count columns. Totals are rows of the same table, marked by a
label in a dimension column (``totals={"sex": "Total"}``) or by a hierarchy
(``totals={"area": {"Gladsaxe": ["vaerebro_park", "rest"]}}``); secondary
suppression uses them to know which cells add up to which.

Rules (definitions §6, threshold a parameter):

- *primary*: a count in ``1 .. threshold - 1`` is suppressed; zero is published;
- *complement*: where a numerator is declared with its denominator (``shares``),
  the complement ``denominator - numerator`` is a count too: a small one must
  not be derivable, which usually suppresses the numerator;
- *secondary*: further cells are suppressed until no suppressed cell (and no
  small complement) can be narrowed by the declared totals, by linked tables,
  or by ``0 <= numerator <= denominator`` (see :mod:`cohort.disclosure._secondary`);
- *share*: a share or rate whose numerator or denominator is suppressed is
  suppressed;
- optional *rounding* of the published counts, after suppression.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cohort._params import check_int_range, check_literal
from cohort.disclosure._secondary import (
    TableSpec,
    build_structure,
    protect,
    with_complements,
)
from cohort.exceptions import DisclosureError, ParameterError

__all__ = [
    "DisclosureSettings",
    "SuppressionLog",
    "SuppressionResult",
    "round_count",
    "round_counts",
    "suppress_counts",
]

RoundingKind = ("none", "base", "midpoint")
_MINMAX = re.compile(r"(?i)(^|_)(min|max|minimum|maximum|range)(_|$)")


@dataclass(frozen=True)
class DisclosureSettings:
    """How disclosure control is applied to a release.

    Parameters
    ----------
    enabled
        On by default. Turning it off needs ``reason``; the release's manifest
        records both.
    threshold
        Counts ``1 .. threshold - 1`` are suppressed: 5 by default (the
        health-data rule), 3 for Statistics Denmark's own rule.
    rounding
        ``"none"``; ``"base"``: published counts rounded to the nearest multiple
        of ``rounding_base`` (halves up); ``"midpoint"``: OpenSAFELY's midpoint
        rounding, ``ceil(x / base) * base - floor(base / 2)`` for ``x > 0``.
    rounding_base
        The base of rounding (OpenSAFELY uses 5 for ``"base"``, 6 for ``"midpoint"``).
    reason
        Why disclosure control is disabled; required when ``enabled=False``.

    Examples
    --------
    >>> DisclosureSettings(threshold=3).threshold
    3
    >>> DisclosureSettings(enabled=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cohort.exceptions.DisclosureError: disclosure control can only be disabled with a reason...

    """

    enabled: bool = True
    threshold: int = 5
    rounding: str = "none"
    rounding_base: int = 5
    reason: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            msg = f"enabled must be True or False; got {self.enabled!r}"
            raise ParameterError(msg)
        check_int_range("threshold", self.threshold, low=2)
        check_literal("rounding", self.rounding, RoundingKind)
        check_int_range("rounding_base", self.rounding_base, low=2)
        if not self.enabled and not (isinstance(self.reason, str) and self.reason.strip()):
            msg = ("disclosure control can only be disabled with a reason: "
                   'DisclosureSettings(enabled=False, reason="...")')
            raise DisclosureError(msg)

    def as_dict(self) -> dict[str, object]:
        """The settings as recorded in a manifest."""
        return {
            "enabled": self.enabled,
            "threshold": self.threshold,
            "rounding": self.rounding,
            "rounding_base": self.rounding_base,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SuppressionLog:
    """What was suppressed and why: counts of cells per table, column and rule.

    Never holds a value. Logs add up: ``log_a + log_b``.

    Examples
    --------
    >>> log = SuppressionLog((("t", "n", "primary", 2),))
    >>> (log + log).cells(rule="primary")
    4

    """

    entries: tuple[tuple[str, str, str, int], ...] = ()

    def __add__(self, other: SuppressionLog) -> SuppressionLog:
        merged: dict[tuple[str, str, str], int] = {}
        for t, c, r, n in (*self.entries, *other.entries):
            merged[(t, c, r)] = merged.get((t, c, r), 0) + n
        return SuppressionLog(tuple((t, c, r, n) for (t, c, r), n in merged.items()))

    def cells(self, *, table: str | None = None, rule: str | None = None) -> int:
        """Number of cells, optionally for one table and/or rule."""
        return sum(n for t, _, r, n in self.entries
                   if (table is None or t == table) and (rule is None or r == rule))

    def to_records(self) -> list[dict[str, object]]:
        """The entries as dicts (``table, column, rule, suppressed_cells``), sorted."""
        return [{"table": t, "column": c, "rule": r, "suppressed_cells": n}
                for t, c, r, n in sorted(self.entries)]


@dataclass(frozen=True)
class SuppressionResult:
    """A table after disclosure control, and the log of what was done to it."""

    frame: pd.DataFrame
    log: SuppressionLog = field(default_factory=SuppressionLog)


def round_count(value: int, *, rounding: str, base: int) -> int:
    """Round one published count.

    Examples
    --------
    >>> [round_count(v, rounding="base", base=5) for v in (0, 7, 8, 12, 13)]
    [0, 5, 10, 10, 15]
    >>> [round_count(v, rounding="midpoint", base=6) for v in (0, 1, 6, 7, 12, 13)]
    [0, 3, 3, 9, 9, 15]

    """
    check_literal("rounding", rounding, RoundingKind)
    if rounding == "none":
        return int(value)
    if rounding == "base":
        return int(base * math.floor(value / base + 0.5))
    if value == 0:
        return 0
    return int(math.ceil(value / base) * base - base // 2)


def round_counts(
    df: pd.DataFrame,
    *,
    count_cols: Sequence[str],
    rounding: str,
    base: int,
    shares: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Round the published (non-missing) counts; recompute shares from rounded counts.

    Examples
    --------
    >>> df = pd.DataFrame({"n": pd.array([12, None], dtype="Int64")})
    >>> round_counts(df, count_cols=["n"], rounding="base", base=5)["n"].tolist()
    [10, <NA>]

    """
    check_literal("rounding", rounding, RoundingKind)
    out = df.copy()
    if rounding == "none":
        return out
    for col in count_cols:
        s = out[col].astype("Int64")
        out[col] = pd.array(
            [pd.NA if pd.isna(v) else round_count(int(v), rounding=rounding, base=base)
             for v in s], dtype="Int64")
    for share, (num, den) in (shares or {}).items():
        out[share] = _share(out[num], out[den])
    return out


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    n = num.astype("Float64")
    d = den.astype("Float64")
    return (n / d).where(d > 0, pd.NA)


def _check_counts(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if s.isna().any():
        msg = (f"count column {col!r} has {int(s.isna().sum())} missing values; "
               "pass the counts before any suppression")
        raise DisclosureError(msg)
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        msg = f"count column {col!r} must be numeric; got dtype {s.dtype}"
        raise DisclosureError(msg)
    v = s.to_numpy(dtype=float)
    if (v < 0).any() or (v != np.round(v)).any():
        msg = f"count column {col!r} must hold non-negative whole numbers"
        raise DisclosureError(msg)
    return v.astype(np.int64)


def _check_dims(df: pd.DataFrame, by: Sequence[str], totals: Mapping) -> None:
    for d in by:
        if d not in df.columns:
            msg = f"by names a column the table does not have: {d!r}"
            raise DisclosureError(msg)
        if df[d].isna().any():
            msg = f"dimension column {d!r} has missing values; label them (e.g. 'unknown')"
            raise DisclosureError(msg)
    for d in totals:
        if d not in by:
            msg = f"totals names {d!r}, which is not among the dimension columns {list(by)}"
            raise DisclosureError(msg)
    if by and df.duplicated(subset=list(by)).any():
        dup = int(df.duplicated(subset=list(by)).sum())
        msg = f"the table has {dup} duplicate keys in {list(by)}"
        raise DisclosureError(msg)


def suppress_counts(
    df: pd.DataFrame,
    *,
    count_cols: Sequence[str],
    threshold: int = 5,
    by: Sequence[str] | None = None,
    totals: Mapping[str, Hashable | Mapping[Hashable, Sequence[Hashable]]] | None = None,
    shares: Mapping[str, tuple[str, str]] | None = None,
    values: Mapping[str, str] | None = None,
    table: str = "table",
    linked: Sequence[tuple[pd.DataFrame, Sequence[str], Mapping]] = (),
    separate: Sequence[str] = (),
) -> SuppressionResult:
    """Suppress small counts and their complements; return a new table and a log.

    Parameters
    ----------
    df
        The table, one row per cell (totals as rows, see ``totals``).
    count_cols
        Columns holding counts of persons or events. Each is protected on its own.
    threshold
        Counts ``1 .. threshold - 1`` are suppressed.
    by
        Dimension columns; default: every column that is not a count or share.
    totals
        Per dimension, the label of its total (``"Total"``) or a hierarchy
        ``{parent: [children]}``; without it, no cell is a sum of others.
    shares
        ``{share_col: (numerator_col, denominator_col)}``: the share is
        suppressed with either count; the two counts are protected together,
        and a small ``denominator - numerator`` is protected like a small count
        (numerator cells suppressed for it are logged as rule ``complement``).
    values
        ``{value_col: count_col}``: a statistic over the persons a count column
        counts (a mean income, a median age); suppressed with that count (rule
        ``value``). Never a minimum or maximum: those are a person's value.
    table
        The table's name in the log.
    linked
        Tables already published about the same population: ``(published_df, by,
        totals)`` with the count columns as published (suppressed cells missing;
        a count column the table lacks is treated as unknown). Their published
        cells constrain the attacker; only ``df`` is suppressed further.
    separate
        Dimension columns whose values split the table into independent tables:
        cells of different years, say, do not add up to one another, so totals
        relations are checked within each part only (protecting the whole table
        at once would suppress far more than needed). Not combined with ``linked``.

    Returns
    -------
    SuppressionResult
        ``frame``: a copy with suppressed counts and shares as ``<NA>`` (nullable
        dtypes); ``log``: cells per column and rule.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["F", "M", "Total"], "n": [3, 40, 43]})
    >>> res = suppress_counts(df, count_cols=["n"], totals={"sex": "Total"})
    >>> res.frame["n"].tolist()
    [<NA>, <NA>, 43]
    >>> res.log.to_records()[0]["rule"], res.log.cells(rule="secondary")
    ('primary', 1)

    """
    check_int_range("threshold", threshold, low=2)
    if separate:
        if linked:
            msg = f"table {table!r}: separate and linked tables cannot be combined"
            raise DisclosureError(msg)
        frames, log = [], SuppressionLog()
        for _, part in df.groupby(list(separate), sort=False, dropna=False, observed=True):
            res = suppress_counts(part, count_cols=count_cols, threshold=threshold, by=by,
                                  totals=totals, shares=shares, values=values, table=table)
            frames.append(res.frame.set_axis(part.index))
            log = log + res.log
        out = pd.concat(frames).loc[df.index].reset_index(drop=True)
        return SuppressionResult(out, log)
    count_cols = list(count_cols)
    shares = dict(shares or {})
    values = dict(values or {})
    totals = dict(totals or {})
    for col in [*count_cols, *[c for pair in shares.values() for c in pair], *values,
                *values.values()]:
        if col not in df.columns:
            msg = f"table {table!r} has no column {col!r}"
            raise DisclosureError(msg)
    for share, (num, den) in shares.items():
        if num not in count_cols or den not in count_cols:
            msg = f"share {share!r}: its numerator and denominator must be count columns"
            raise DisclosureError(msg)
    for vcol, ccol in values.items():
        if ccol not in count_cols:
            msg = f"value {vcol!r}: {ccol!r} must be a count column"
            raise DisclosureError(msg)
        if _MINMAX.search(vcol):
            msg = (f"value {vcol!r} looks like a minimum or maximum, which is one person's "
                   "value and is not released")
            raise DisclosureError(msg)
    if by is None:
        by = [c for c in df.columns
              if c not in count_cols and c not in shares and c not in values]
    by = list(by)
    _check_dims(df, by, totals)

    specs = [TableSpec(df[by].reset_index(drop=True), totals)]
    for ldf, lby, ltot in linked:
        specs.append(TableSpec(ldf[list(lby)].reset_index(drop=True), dict(ltot)))
    structure = build_structure(specs)
    n_own = len(df)

    out = df.copy().reset_index(drop=True)
    log: dict[tuple[str, str], int] = {}
    vals = {col: _check_counts(df, col) for col in count_cols}
    prim = {col: (v >= 1) & (v < threshold) for col, v in vals.items()}
    for col in count_cols:
        log[(col, "primary")] = int(prim[col].sum())
    pairs = list(dict.fromkeys(shares.values()))
    small_comp: dict[tuple[str, str], np.ndarray] = {}
    for num, den in pairs:
        diff = vals[den] - vals[num]
        if (diff < 0).any():
            msg = f"numerator {num!r} exceeds denominator {den!r} in {int((diff < 0).sum())} rows"
            raise DisclosureError(msg)
        small_comp[(num, den)] = (diff >= 1) & (diff < threshold)

    def column(col: str) -> tuple[np.ndarray, ...]:
        """values, primary, fixed, unseen over own + linked cells for one column."""
        parts = [(vals[col], prim[col], np.zeros(n_own, bool), np.zeros(n_own, bool))]
        for ldf, _, _ in linked:
            if col in ldf.columns:
                lsupp = ldf[col].isna().to_numpy()
                lv = ldf[col].fillna(1).to_numpy(dtype=np.int64)
                parts.append((lv, lsupp, ~lsupp, np.zeros(len(ldf), bool)))
            else:  # the linked table does not show this column
                k = len(ldf)
                parts.append((np.zeros(k, np.int64), np.zeros(k, bool), np.zeros(k, bool),
                              np.ones(k, bool)))
        return tuple(np.concatenate(x) for x in zip(*parts, strict=True))

    masks: dict[str, np.ndarray] = {col: np.zeros(n_own, dtype=bool) for col in count_cols}
    in_pairs = {c for pair in pairs for c in pair}
    for col in count_cols:
        if col in in_pairs:
            continue
        v_all, p_all, f_all, u_all = column(col)
        masks[col] = protect(structure, v_all, p_all, threshold=threshold, fixed=f_all,
                             unseen=u_all)[:n_own]
    if pairs:
        # a numerator and its denominator are protected together: the attacker
        # also knows 0 <= numerator <= denominator (see with_complements)
        big = with_complements(structure)
        n_all = len(structure.cell_atoms)
        for num, den in pairs:
            vn, pn, fn, un = column(num)
            vd, pd_, fd, ud = column(den)
            comp_primary = np.zeros(n_all, dtype=bool)
            comp_primary[:n_own] = small_comp[(num, den)]
            mask = protect(
                big,
                np.concatenate([vn, vd, vd - vn]),
                np.concatenate([pn, pd_, comp_primary]),
                threshold=threshold,
                fixed=np.concatenate([fn, fd, np.zeros(n_all, bool)]),
                unseen=np.concatenate([un, ud, np.ones(n_all, bool)]),
            )
            masks[num] |= mask[:n_own]
            masks[den] |= mask[n_all:n_all + n_own]
    for col in count_cols:
        comp = np.zeros(n_own, dtype=bool)
        for (num, _), sc in small_comp.items():
            if num == col:
                comp |= sc & masks[col] & ~prim[col]
        if comp.any():
            log[(col, "complement")] = int(comp.sum())
        log[(col, "secondary")] = int((masks[col] & ~prim[col] & ~comp).sum())
        out[col] = pd.array(np.where(masks[col], 0, vals[col]), dtype="Int64")
        out.loc[masks[col], col] = pd.NA
    for share, (num, den) in shares.items():
        hide = masks[num] | masks[den]
        s = out[share].astype("Float64")
        log[(share, "share")] = int((hide & s.notna().to_numpy()).sum())
        s[hide] = pd.NA
        out[share] = s
    for vcol, ccol in values.items():
        hide = masks[ccol]
        s = out[vcol]
        s = s.astype("Float64") if pd.api.types.is_numeric_dtype(s) else s.astype("object")
        log[(vcol, "value")] = int((hide & s.notna().to_numpy()).sum())
        s[hide] = pd.NA
        out[vcol] = s
    entries = tuple((table, c, r, n) for (c, r), n in log.items() if n > 0)
    return SuppressionResult(frame=out, log=SuppressionLog(entries))
