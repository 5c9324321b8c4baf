"""Disclosure rules for model output and Kaplan-Meier curves (definitions §6).

- A model output (coefficient, ATT, a flow decomposition term) is released only
  when every cell it rests on -- persons, and events where the model counts
  events, per group and per period -- holds at least ``threshold``.
- A Kaplan-Meier curve is released only at times where at least ``threshold``
  persons are at risk, and its steps are pooled so that each released step
  rests on at least ``threshold`` events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cohort._params import check_int_range
from cohort.disclosure.rules import SuppressionLog, SuppressionResult
from cohort.exceptions import DisclosureError

__all__ = ["km_release", "suppress_model_output"]


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        msg = f"{what} lacks the columns {missing}"
        raise DisclosureError(msg)


def suppress_model_output(
    result: pd.DataFrame,
    support: pd.DataFrame | None,
    *,
    threshold: int = 5,
    persons: str = "n_persons",
    events: str | None = None,
    on: Sequence[str] | None = None,
    additive: Sequence[str] | None = None,
    table: str = "model",
    withhold: np.ndarray | None = None,
    complement: bool = True,
) -> SuppressionResult:
    """Blank model estimates that rest on a cell with fewer than ``threshold``.

    Parameters
    ----------
    result
        The model's tidy table (``term, estimate, std_error, ...``).
    support
        One row per cell the model rests on (group x period), with the number of
        persons and, optionally, of events. It is checked, never released.
        ``None`` when the output rests only on count cells of the release that
        are checked by other means (``withhold``).
    threshold
        A cell passes when its persons, and where events are counted its
        events and (``complement``) its non-events (persons - events), are
        ``>= threshold``: a binary outcome can be coded either way round.
    persons, events
        Columns of ``support``; ``events=None`` checks persons only.
    on
        Key columns shared by ``result`` and ``support``: a result row rests on
        the support rows with its key. Without ``on``, every row rests on every
        cell, and one failing cell blanks the whole output.
    additive
        Key columns (a subset of ``on``) grouping rows whose ``estimate``s add up:
        the parts of a decomposition and its total, e.g. ``["year"]`` when each
        year's contributions sum to the year's published change. Any row of such
        a group follows from the others, so a group with exactly one blanked row
        has a second one blanked too: the published row whose support is smallest
        (rule ``additive_secondary``).
    table
        The table's name in the log.
    complement
        Check the non-events too (default); ``False`` for time-to-event models,
        whose non-events are censorings the output does not give back.
    withhold
        Rows to blank for reasons outside the support (one bool per row of
        ``result``), logged as rule ``rests_on_suppressed``: the release found
        them to be exact functions of a suppressed cell. ``additive`` counts
        them as blanked.

    Returns
    -------
    SuppressionResult
        ``frame``: the result with every column except ``term`` and ``on`` set
        to missing in failing rows; ``log``: rows blanked per column, rules
        ``model_support``, ``rests_on_suppressed`` and ``additive_secondary``.

    Examples
    --------
    >>> res = pd.DataFrame({"term": ["att"], "estimate": [0.12]})
    >>> sup = pd.DataFrame({"group": ["t", "c"], "n_persons": [40, 4]})
    >>> suppress_model_output(res, sup).frame["estimate"].isna().tolist()
    [True]

    """
    check_int_range("threshold", threshold, low=2)
    on = list(on or [])
    if support is None:  # rests only on cells of the release: nothing else to check
        support = pd.DataFrame({persons: [2 * threshold],
                                **({events: [threshold]} if events else {})})
        on_support: list[str] = []
    else:
        on_support = on
    _need(support, [persons, *([events] if events else []), *on_support], "support")
    _need(result, on, "result")
    ok = support[persons].to_numpy(dtype=float) >= threshold
    if events:
        ev = support[events].to_numpy(dtype=float)
        ok &= ev >= threshold
        if complement:
            ok &= support[persons].to_numpy(dtype=float) - ev >= threshold
    on_all = on
    on = on_support
    if on:
        cells = support[on].copy()
        cells["_ok"] = ok
        key_ok = cells.groupby(on, sort=False, dropna=False)["_ok"].all().reset_index()
        try:
            merged = result[on].merge(key_ok, on=on, how="left")  # keeps result's row order
        except ValueError:
            msg = f"the key columns {on} have different types in result and support"
            raise DisclosureError(msg) from None
        passed = merged["_ok"].astype("boolean").fillna(value=False).to_numpy(dtype=bool)
    else:
        passed = np.full(len(result), bool(ok.all()))
    out = result.copy().reset_index(drop=True)
    blank = ~passed
    held = np.zeros(len(result), dtype=bool)
    if withhold is not None:
        held = np.asarray(withhold, dtype=bool) & passed
        blank = blank | held
    on = on_all
    entries = []
    n_secondary = 0
    if additive:
        additive = list(additive)
        if not set(additive) <= set(on):
            msg = f"additive keys {additive} must be among the keys on={on}"
            raise DisclosureError(msg)
        n = support[persons].to_numpy(dtype=float)
        if events:
            ev = support[events].to_numpy(dtype=float)
            n = np.minimum(np.minimum(n, ev), n - ev) if complement else np.minimum(n, ev)
        if on_support:
            cells = support[on_support].copy()
            cells["_n"] = n
            least = cells.groupby(on_support, sort=False, dropna=False)["_n"].min().reset_index()
            size = result[on_support].merge(least, on=on_support, how="left")["_n"].fillna(
                np.inf).to_numpy()
        else:
            size = np.zeros(len(result))
        groups = result[additive].astype(str).agg("\x1f".join, axis=1).to_numpy()
        for g in pd.unique(groups):
            rows = np.flatnonzero(groups == g)
            if blank[rows].sum() == 1 and len(rows) > 1:
                shown = rows[~blank[rows]]
                pick = shown[np.argsort(size[shown], kind="stable")[0]]
                blank[pick] = True
                n_secondary += 1
    for col in out.columns:
        if col == "term" or col in on:
            continue
        if blank.any():
            s = out[col]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                s = s.astype("Float64")
            else:
                s = s.astype("object")
            s[blank] = pd.NA
            out[col] = s
            n_support = int(blank.sum()) - n_secondary - int(held.sum())
            if n_support:
                entries.append((table, col, "model_support", n_support))
            if held.any():
                entries.append((table, col, "rests_on_suppressed", int(held.sum())))
            if n_secondary:
                entries.append((table, col, "additive_secondary", n_secondary))
    return SuppressionResult(frame=out, log=SuppressionLog(tuple(entries)))


def _close(rows: list[int], in_part: list[int], pending: float, threshold: int, *,
           closed: bool) -> None:
    """End a break interval of a curve.

    A remainder of 1 .. threshold - 1 events after the interval's last shown step
    joins that step's window: the step is not shown.
    """
    if closed and 0 < pending < threshold and in_part:
        rows.remove(in_part[-1])


def km_release(
    curve: pd.DataFrame,
    *,
    threshold: int = 5,
    time: str = "time",
    estimate: str = "estimate",
    at_risk: str = "n_risk",
    events: str = "n_event",
    keep: Sequence[str] = ("conf_low", "conf_high"),
    table: str = "km",
    breaks: Sequence[float] = (),
) -> SuppressionResult:
    """The releasable part of a Kaplan-Meier curve.

    ``curve`` has one row per distinct time with the number at risk just before
    it, the number of events at it and the estimate just after it (as
    lifelines' ``event_table`` joined with ``survival_function_``). Rows with
    fewer than ``threshold`` at risk, and every later row, are dropped. Of the
    remaining rows, a step is shown only once the events since the last shown
    step reach ``threshold``; the estimate shown is the true one at that time
    (the curve stays flat in between). A last flat row at the last time with
    enough at risk ends the curve. Counts are not released (publish a risk table
    as a count table instead).

    ``breaks`` are the times of a risk table published with the curve, which
    gives the events before each of them: pooling starts afresh at each, and the
    events between the last shown step and the next break (those after the cut
    included) must reach ``threshold`` too, else that step is not shown. Without
    it a step and the risk table together would give a small count of events.

    Returns
    -------
    SuppressionResult
        ``frame`` with columns ``time``, ``estimate`` and ``keep``; ``log`` with
        rules ``km_at_risk`` (rows cut) and ``km_events`` (steps pooled away).

    Examples
    --------
    >>> c = pd.DataFrame({"time": [0, 1, 2, 3, 4], "n_risk": [20, 20, 17, 14, 4],
    ...                   "n_event": [0, 3, 3, 2, 1],
    ...                   "estimate": [1.0, 0.85, 0.7, 0.6, 0.45]})
    >>> km_release(c, keep=()).frame.to_dict("list")
    {'time': [0, 2, 3], 'estimate': [1.0, 0.7, 0.7]}
    >>> # a risk table at 3.5: 2 events after the step at 2, so that step is not shown
    >>> km_release(c, keep=(), breaks=[3.5]).frame.to_dict("list")
    {'time': [0, 3], 'estimate': [1.0, 1.0]}

    """
    check_int_range("threshold", threshold, low=2)
    keep = list(keep)
    _need(curve, [time, estimate, at_risk, events, *keep], "the curve")
    c = curve.sort_values(time, kind="stable").reset_index(drop=True)
    risk = c[at_risk].to_numpy(dtype=float)
    low = np.flatnonzero(risk < threshold)
    cut = int(low[0]) if len(low) else len(c)
    eligible = c.iloc[:cut]
    bounds = np.sort(np.asarray(list(breaks), dtype=float))
    # the break interval of each row: times in [b_k, b_k+1) share one; the last,
    # after every break, is closed by nothing an attacker knows
    part = np.searchsorted(bounds, c[time].to_numpy(dtype=float), side="right")
    ev_all = c[events].to_numpy(dtype=float)
    rows: list[int] = []
    pending = 0.0
    in_part: list[int] = []  # steps shown in the current break interval
    for i in range(len(c)):
        if i and part[i] != part[i - 1]:
            _close(rows, in_part, pending, threshold, closed=bool(len(bounds)))
            pending, in_part = 0.0, []
        if i >= cut:  # not shown, but counted up to the next break
            pending += ev_all[i]
            continue
        if ev_all[i] == 0:
            if i == 0:
                rows.append(i)  # the start of the curve reveals nothing
            continue
        pending += ev_all[i]
        if pending >= threshold:
            rows.append(i)
            in_part.append(i)
            pending = 0.0
    if len(c) and part[-1] < len(bounds):  # the curve's data end before a break
        _close(rows, in_part, pending, threshold, closed=True)
    shown = {i for i in rows if ev_all[i] > 0}
    pooled_away = int(sum(1 for i in range(cut) if ev_all[i] > 0 and i not in shown))
    cols = [time, estimate, *keep]
    out = eligible.iloc[rows][cols].copy()
    if len(eligible) and (not rows or rows[-1] != len(eligible) - 1):
        last = eligible.iloc[[len(eligible) - 1]][cols].copy()
        if len(out):
            for col in [estimate, *keep]:
                last[col] = out[col].iloc[-1]
        else:
            for col in [estimate, *keep]:
                last[col] = 1.0
        out = pd.concat([out, last], ignore_index=True)
    out = out.reset_index(drop=True)
    entries = []
    if len(c) - cut:
        entries.append((table, estimate, "km_at_risk", int(len(c) - cut)))
    if pooled_away:
        entries.append((table, estimate, "km_events", pooled_away))
    return SuppressionResult(frame=out, log=SuppressionLog(tuple(entries)))
