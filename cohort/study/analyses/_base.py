"""What an analysis in a study is: parameters, a computation, its outputs.

An analysis is split in two so that the cache and disclosure control sit
between the halves:

- ``compute(ctx, params) -> dict[str, DataFrame]``: the heavy work on the
  extract; its raw (not yet disclosure-controlled) aggregate tables are what the
  cache keeps.
- ``present(tables, ctx, params) -> list[TableOutput]``: cheap; says how each
  table is released (its count columns, shares, model support) and how its
  figure is drawn. A figure is always drawn from the *released* table, so it can
  show nothing that disclosure control took out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cohort.disclosure import Policy
from cohort.exceptions import StudyFileError

__all__ = ["LATEST", "NOTES", "Analysis", "Context", "ExtractFacts", "Param", "TableOutput",
           "left_out", "ordered", "study_text"]

#: The end of a year range that rolls forward with the extract: ``years = [2016, "latest"]``.
LATEST = "latest"


@dataclass(frozen=True)
class Param:
    """One parameter of an analysis in the study file."""

    name: str
    kind: type | tuple[type, ...]
    default: Any
    doc: str = ""
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class TableOutput:
    """A table to release, its release policy, and the figure drawn from it.

    ``policy`` says what the table is (:class:`~cohort.disclosure.Counts`,
    :class:`~cohort.disclosure.ModelOutput` or :class:`~cohort.disclosure.Curve`),
    with its relations to the other tables of the release. ``written=False``
    declares counts that are not written but that model outputs of the release
    reveal, and ``latent=True`` as well counts that nothing shows but that the
    published tables determine (see :meth:`~cohort.disclosure.Release.declare_counts`);
    neither has a title in the report or a figure.

    ``figure(released, released_so_far)`` gets the released table and every table
    of the same analysis released before it (by name), so a figure can combine
    curves that are released one per table.
    """

    name: str
    title: str
    data: pd.DataFrame
    policy: Policy
    figure: Callable[[pd.DataFrame, Mapping[str, pd.DataFrame]], Any] | None = None
    caption: str = ""
    written: bool = True
    latent: bool = False


#: The name of the raw table in which an analysis lists outputs it left out, with why
#: (one column ``note``); the runner shows them in the report and exits 1.
NOTES = "_left_out"


@dataclass(frozen=True)
class ExtractFacts:
    """What a study file is checked against before any analysis runs."""

    extract_end: dt.date
    areas: frozenset[str]
    municipalities: frozenset[int]


def ordered(df: pd.DataFrame, column: str, order: Sequence[Any]) -> pd.DataFrame:
    """``df`` with ``column`` categorical in ``order``: the release keeps that order.

    Values not in ``order`` follow, in the order they first appear.
    """
    values = list(dict.fromkeys([*[v for v in order if v in set(df[column])],
                                 *df[column].tolist()]))
    return df.assign(**{column: pd.Categorical(df[column], categories=values)})


def left_out(tables: dict[str, pd.DataFrame], note: str) -> None:
    """Record in an analysis's raw tables that an output is left out, and why."""
    notes = tables.get(NOTES, pd.DataFrame({"note": pd.Series([], dtype=object)}))
    tables[NOTES] = pd.concat([notes, pd.DataFrame({"note": [note]})], ignore_index=True)


@dataclass(frozen=True)
class Context:
    """What an analysis gets to work with.

    ``released`` holds the tables the release has written so far, by name (as
    released): an analysis declares relations to them.
    """

    extract: Any
    spec: Any
    notes: list[str] = field(default_factory=list)
    released: dict[str, pd.DataFrame] = field(default_factory=dict)



def study_text(spec: Any, key: str, **fmt: Any) -> str:
    """The report catalog's text of ``key`` in the study's report language."""
    from cohort.report._text import text

    return text(key, getattr(spec, "language", "en"), **fmt)


class Analysis:
    """Base class: subclasses set ``key``, ``title``, ``params`` and implement the halves."""

    key: str = ""
    title: str = ""
    description: str = ""
    params: tuple[Param, ...] = ()

    def validate(self, params: dict[str, Any], *, where: str,
                 intervention: Any = None) -> dict[str, Any]:
        """Check the study file's table for this analysis; fill in defaults.

        ``intervention`` (the study's ``[intervention]``) lets an analysis take
        its defaults from the study's dates.
        """
        names = tuple(p.name for p in self.params)
        for k in params:
            if k not in names:
                listed = ", ".join(repr(n) for n in names) or "none"
                msg = f"{where}: unknown key {k!r} (allowed: {listed})"
                raise StudyFileError(msg)
        out: dict[str, Any] = {}
        derived = self.defaults(params, intervention, where=where)
        rolling = self.rolling_params()
        for p in self.params:
            value = params.get(p.name, derived.get(p.name, p.default))
            kinds = p.kind if isinstance(p.kind, tuple) else (p.kind,)
            if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
                names_ = " or ".join(k.__name__ for k in kinds)
                msg = f"{where}: {p.name} must be {names_}; got {value!r}"
                raise StudyFileError(msg)
            if p.allowed is not None and value not in p.allowed:
                listed = ", ".join(repr(a) for a in p.allowed)
                msg = f"{where}: {p.name} must be one of {listed}; got {value!r}"
                raise StudyFileError(msg)
            if p.name in rolling:
                _check_rolling(value, rolling[p.name], where=where, name=p.name)
            out[p.name] = value
        if not any(_has_latest(out[n]) for n in rolling):
            # the checks across parameters need the years: with "latest" they run once
            # the extract is read (resolve_latest), still before anything computes
            self.check(out, where=where)
        return out

    def rolling_params(self) -> dict[str, str]:
        """The parameters that may end in ``"latest"``: ``{name: "range" | "periods"}``.

        A year range (``[first, last]``: a parameter named ``*years`` whose default
        is two years) or a list of them (named ``*periods``).
        """
        out = {}
        for p in self.params:
            d = p.default
            if p.name.endswith("years") and _is_pair(d):
                out[p.name] = "range"
            elif (p.name.endswith("periods") and isinstance(d, list) and d
                  and all(_is_pair(x) for x in d)):
                out[p.name] = "periods"
        return out

    def latest_year(self, facts: ExtractFacts, param: str) -> int:  # noqa: ARG002
        """The year ``"latest"`` stands for in ``param``, on an extract.

        The default: the last full calendar year the extract covers (its end year
        when it ends on 31 December, else the year before). An analysis whose
        outcome needs follow-up after the last year overrides this.
        """
        end = facts.extract_end
        return end.year if (end.month, end.day) == (12, 31) else end.year - 1

    def resolve_latest(self, params: Mapping[str, Any], facts: ExtractFacts, *, where: str,
                       intervention: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """``params`` with every ``"latest"`` replaced by :meth:`latest_year`, checked whole.

        Returns the parameters and the resolved ranges by parameter (for the
        manifest); a range that no longer fits (its first year after the resolved
        last, a cross-check that fails) is a :class:`StudyFileError` naming what
        ``"latest"`` became.
        """
        resolved: dict[str, Any] = dict(params)
        years: dict[str, Any] = {}
        for name, kind in self.rolling_params().items():
            value = params.get(name)
            if not _has_latest(value):
                continue
            last = self.latest_year(facts, name)
            if kind == "range":
                resolved[name] = [value[0], last]
            else:
                resolved[name] = [[a, last if b == LATEST else b] for a, b in value]
            years[name] = resolved[name]
        if not years:
            return dict(params), {}
        try:
            return self.validate(resolved, where=where, intervention=intervention), years
        except StudyFileError as err:
            said = "; ".join(f"{n} with \"{LATEST}\" is {v} on this extract" for n, v in
                             years.items())
            msg = (f"{err} ({said}, which ends {facts.extract_end.isoformat()}: "
                   f"\"{LATEST}\" is the last year the extract covers for this analysis)")
            raise StudyFileError(msg) from None

    def defaults(self, params: Mapping[str, Any], intervention: Any, *,  # noqa: ARG002
                 where: str) -> dict[str, Any]:
        """Defaults that follow from the study (its intervention's dates), by parameter."""
        return {}

    def heading(self, spec: Any, params: Mapping[str, Any]) -> str:  # noqa: ARG002
        """The analysis's heading in the report and the progress line."""
        return self.title

    def describe(self, spec: Any, params: Mapping[str, Any]) -> str:  # noqa: ARG002
        """The paragraph under the heading."""
        return self.description

    def check(self, params: dict[str, Any], *, where: str) -> None:  # noqa: B027 - optional hook
        """Further checks across parameters (raise StudyFileError)."""

    def check_extract(self, params: Mapping[str, Any], facts: ExtractFacts,  # noqa: ARG002
                      spec: Any) -> list[str]:
        """How the parameters do not fit the extract (years past its end, ...), if at all.

        Runs for every analysis of the study before any of them computes, so a study
        that cannot run stops at once (exit 3) instead of after the analyses before.
        """
        return []

    def compute(self, ctx: Context, params: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        """The heavy half: raw aggregate tables by name."""
        raise NotImplementedError

    def present(
        self, tables: Mapping[str, pd.DataFrame], ctx: Context, params: Mapping[str, Any]
    ) -> list[TableOutput]:
        """The cheap half: how each table is released and drawn."""
        raise NotImplementedError


def year_range(value: list, *, where: str, name: str = "years") -> list[int]:
    """``[first, last]`` in a study file -> the years, inclusive."""
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or value[0] > value[1]
    ):
        msg = f"{where}: {name} must be [first, last], e.g. [2010, 2019]; got {value!r}"
        raise StudyFileError(msg)
    return list(range(value[0], value[1] + 1))


def _is_pair(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value))


def _has_latest(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_latest(v) for v in value)
    return value == LATEST


def _check_rolling(value: Any, kind: str, *, where: str, name: str) -> None:
    """``"latest"`` only as the last year of a range; the first is a year."""
    if not _has_latest(value):
        return
    pairs = [value] if kind == "range" else value
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int)
                and not isinstance(pair[0], bool)
                and (pair[1] == LATEST or (isinstance(pair[1], int)
                                           and not isinstance(pair[1], bool)))):
            example = ('[2010, "latest"]' if kind == "range"
                       else '[[2010, 2014], [2015, "latest"]]')
            msg = (f"{where}: {name} must be [first, last] with a year first and a year or "
                   f"\"latest\" last, e.g. {example}; got {value!r}")
            raise StudyFileError(msg)
