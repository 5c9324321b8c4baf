"""An independent attacker on a release folder (test support, not part of the package).

Given only the published files of a release and the public meaning of each table
(the analyses' definitions, which are public method documentation), the attacker
sets up what it knows about the suppressed cells and asks a linear program how
far each one can be narrowed.

The core is :class:`System`: unknown cells (a suppressed count, a hidden count
such as a complement, a latent count, a real number) and linear relations
between them and published numbers. For every suppressed or hidden count it
gives the interval ``[lo, hi]`` an attacker can narrow it to (scipy's HiGHS; LP
by default, MILP on request) and whether it is *protected*: a suppressed count
is protected when its interval spans at least ``max(1, threshold - 2)``; a
hidden count (a complement, a difference of cumulative counts, the persons of a
decomposition class) must obey the same rule when its value lies in
``1 .. threshold - 1``.

On top of it, one function per *family* of relations adds what an outsider
knows about the bundled study's tables (:data:`FAMILIES`), and solvers for model
output: the DiD models replayed from the cell counts of ``did_panel``
(:func:`did_models_from_cells`, :func:`did_exact`) and the integer solution of
the composition decomposition (:func:`decomposition_attack`). Everything reads
the CSV files only; nothing here imports :mod:`cohort`.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

THRESHOLD = 5


def required_width(threshold: int = THRESHOLD) -> int:
    """The width a suppressed cell's interval must reach (3 for threshold 5)."""
    return max(1, threshold - 2)


# --------------------------------------------------------------------------- core


@dataclass(frozen=True)
class Ref:
    """A cell: the table, its key (the dimension values, as text) and the column."""

    table: str
    key: tuple[str, ...]
    column: str

    def __str__(self) -> str:
        return f"{self.table}[{', '.join(self.key)}].{self.column}"


def ref(table: str, key: Iterable[object], column: str) -> Ref:
    return Ref(table, tuple(_txt(k) for k in key), column)


def _txt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (np.integer,)):
        return str(int(v))
    return str(v)


class Expr:
    """A linear expression ``sum(coef * var) + const`` over a system's variables."""

    __slots__ = ("const", "terms")

    def __init__(self, terms: Mapping[int, float] | None = None, const: float = 0.0):
        self.terms = {k: float(v) for k, v in (terms or {}).items() if v != 0}
        self.const = float(const)

    @staticmethod
    def of(x: Expr | float | int) -> Expr:
        return x if isinstance(x, Expr) else Expr(const=float(x))

    def __add__(self, o):
        o = Expr.of(o)
        t = dict(self.terms)
        for k, v in o.terms.items():
            t[k] = t.get(k, 0.0) + v
        return Expr(t, self.const + o.const)

    __radd__ = __add__

    def __neg__(self):
        return Expr({k: -v for k, v in self.terms.items()}, -self.const)

    def __sub__(self, o):
        return self + (-Expr.of(o))

    def __rsub__(self, o):
        return Expr.of(o) - self

    def __mul__(self, a: float):
        a = float(a)
        return Expr({k: v * a for k, v in self.terms.items()}, self.const * a)

    __rmul__ = __mul__

    def __truediv__(self, a: float):
        return self * (1.0 / float(a))

    @property
    def known(self) -> bool:
        return not self.terms

    def __repr__(self) -> str:
        parts = [f"{v:+g}*x{k}" for k, v in self.terms.items()]
        return " ".join(parts + [f"{self.const:+g}"])


def total(exprs: Iterable[Expr | float]) -> Expr:
    out = Expr()
    for e in exprs:
        out = out + e
    return out


@dataclass
class Var:
    index: int
    name: str
    kind: str  # "suppressed" | "hidden" | "latent" | "real"
    lo: float
    hi: float | None
    integer: bool
    ref: Ref | None = None


@dataclass(frozen=True)
class Interval:
    lo: float
    hi: float
    integer: bool

    @property
    def ilo(self) -> float:
        return math.ceil(self.lo - 1e-6) if self.integer and math.isfinite(self.lo) else self.lo

    @property
    def ihi(self) -> float:
        return math.floor(self.hi + 1e-6) if self.integer and math.isfinite(self.hi) else self.hi

    @property
    def width(self) -> float:
        return self.ihi - self.ilo

    @property
    def exact(self) -> bool:
        return self.width <= (0 if self.integer else 1e-7 * max(1.0, abs(self.lo)))

    def __str__(self) -> str:
        def f(x):
            return f"{x:g}" if isinstance(x, (int, float)) else str(x)
        return f"[{f(self.ilo)}, {f(self.ihi)}]"


@dataclass(frozen=True)
class Finding:
    """What the attacker learnt about one cell."""

    cell: str
    kind: str  # suppressed | hidden | estimate
    interval: Interval | None
    status: str  # recovered | narrowed | possible | protected | safe
    attack: str
    note: str = ""

    @property
    def disclosed(self) -> bool:
        return self.status in ("recovered", "narrowed")

    def __str__(self) -> str:
        iv = f" in {self.interval}" if self.interval is not None else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.status}: {self.kind} {self.cell}{iv} [{self.attack}]{note}"


class Inconsistent(AssertionError):
    """The attacker's relations contradict the published numbers."""


class System:
    """Unknown cells and the linear relations an attacker knows about them.

    ``cell(r, value)`` registers a count cell: its value when published (the
    expression is a constant), else a *suppressed* variable ``>= 1`` (zeros are
    published). ``hidden(name, expr)`` names a count that is never published but
    follows from others (a complement, a difference of cumulative counts): a
    variable ``>= 0`` tied to ``expr``. ``eq``/``le`` add relations; an equation
    with float coefficients (model output) takes a tolerance.
    """

    def __init__(self, threshold: int = THRESHOLD, *, integer: bool = False,
                 zero_floor: bool = False):
        self.threshold = threshold
        self.use_milp = integer
        self.zero_floor = zero_floor  # suppressed cells may be 0 (rounded releases)
        self.vars: list[Var] = []
        self.cells: dict[Ref, Expr] = {}
        self.hidden_cells: dict[str, tuple[Expr, str]] = {}
        self.rows: list[tuple[dict[int, float], float, float, str]] = []
        self.families: list[str] = []
        self._cache = None

    # -- variables
    def _new(self, name, kind, lo, hi, integer, r=None) -> Expr:
        v = Var(len(self.vars), name, kind, lo, hi, integer, r)
        self.vars.append(v)
        self._cache = None
        return Expr({v.index: 1.0})

    def cell(self, r: Ref, value: object = None) -> Expr:
        """A count cell: a constant when published, else a suppressed variable."""
        if r in self.cells:
            return self.cells[r]
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            e = self._new(str(r), "suppressed", 0.0 if self.zero_floor else 1.0, None, True, r)
        else:
            e = Expr(const=float(value))
        self.cells[r] = e
        return e

    def has(self, r: Ref) -> bool:
        return r in self.cells

    def latent(self, name: str, lo: float = 0.0, hi: float | None = None,
               integer: bool = True) -> Expr:
        """An unknown the attacker does not need to learn (not judged)."""
        return self._new(name, "latent", lo, hi, integer)

    def real(self, name: str, lo: float | None = None, hi: float | None = None) -> Expr:
        return self._new(name, "real", -np.inf if lo is None else lo, hi, False)

    def hidden(self, name: str, expr: Expr, note: str = "") -> Expr:
        """A count that follows from others and is never published (>= 0, judged)."""
        if name in self.hidden_cells:
            return self.hidden_cells[name][0]
        if expr.known:
            self.hidden_cells[name] = (expr, note)
            return expr
        h = self._new(name, "hidden", 0.0, None, _integral(expr, self.vars))
        self.eq(h, expr, label=f"hidden {name}")
        self.hidden_cells[name] = (h, note)
        return h

    def bound(self, e: Expr, lo: float | None = None, hi: float | None = None,
              label: str = "") -> None:
        if e.known:
            return
        self._row(e, -np.inf if lo is None else lo, np.inf if hi is None else hi, label)

    # -- relations
    def _row(self, e: Expr, lo: float, hi: float, label: str) -> None:
        self.rows.append((dict(e.terms), lo - e.const, hi - e.const, label))
        self._cache = None

    def eq(self, a: Expr | float, b: Expr | float = 0.0, *, tol: float = 0.0,
           label: str = "") -> None:
        e = Expr.of(a) - Expr.of(b)
        if e.known:
            if abs(e.const) > tol + 1e-7 * max(1.0, abs(Expr.of(b).const)):
                msg = f"published numbers contradict the relation {label!r}: off by {e.const:g}"
                raise Inconsistent(msg)
            return
        self._row(e, -tol, tol, label)

    def le(self, a: Expr | float, b: Expr | float = 0.0, *, label: str = "") -> None:
        e = Expr.of(a) - Expr.of(b)
        if e.known:
            if e.const > 1e-7 * max(1.0, abs(Expr.of(b).const)):
                msg = f"published numbers contradict the inequality {label!r}"
                raise Inconsistent(msg)
            return
        self._row(e, -np.inf, 0.0, label)

    def ge(self, a, b=0.0, *, label: str = "") -> None:
        self.le(b, a, label=label)

    def total(self, whole: Expr, parts: Iterable[Expr], label: str = "") -> None:
        self.eq(whole, total(parts), label=label)

    # -- solving
    def _used(self) -> set[int]:
        if getattr(self, "_used_cache", None) is None or self._used_cache[0] != len(self.rows):
            self._used_cache = (len(self.rows), {k for r in self.rows for k in r[0]})
        return self._used_cache[1]

    def _matrices(self):
        if self._cache is None:
            n = len(self.vars)
            a = np.zeros((len(self.rows), n))
            lo = np.empty(len(self.rows))
            hi = np.empty(len(self.rows))
            for i, (t, row_lo, row_hi, _) in enumerate(self.rows):
                for k, v in t.items():
                    a[i, k] += v
                lo[i], hi[i] = row_lo, row_hi
            vlo = np.array([v.lo for v in self.vars], dtype=float)
            vhi = np.array([np.inf if v.hi is None else v.hi for v in self.vars], dtype=float)
            self._cache = (a, lo, hi, vlo, vhi)
        return self._cache

    def _optimise(self, c: np.ndarray) -> float | None:
        """min c.x; None when infeasible, -inf when unbounded."""
        a, lo, hi, vlo, vhi = self._matrices()
        if self.use_milp:
            integrality = np.array([1 if v.integer else 0 for v in self.vars])
            cons = [LinearConstraint(a, lo, hi)] if len(a) else []
            # milp needs finite bounds to detect unboundedness cleanly
            res = milp(c, constraints=cons, integrality=integrality,
                       bounds=Bounds(vlo, vhi), options={"time_limit": 20})
            if res.status == 2:
                return None
            if res.status == 3 or res.x is None:
                return -np.inf
            return float(res.fun)
        eq = np.isclose(lo, hi) & np.isfinite(lo)
        ub_rows = ~eq
        a_ub = np.vstack([a[ub_rows & np.isfinite(hi)], -a[ub_rows & np.isfinite(lo)]])
        b_ub = np.concatenate([hi[ub_rows & np.isfinite(hi)], -lo[ub_rows & np.isfinite(lo)]])
        res = linprog(
            c,
            A_ub=a_ub if len(a_ub) else None,
            b_ub=b_ub if len(b_ub) else None,
            A_eq=a[eq] if eq.any() else None,
            b_eq=(lo[eq] + hi[eq]) / 2 if eq.any() else None,
            bounds=list(zip(vlo, [None if math.isinf(h) else h for h in vhi], strict=True)),
            method="highs",
        )
        if res.status == 2:
            return None
        if res.status == 3:
            return -np.inf
        if res.status != 0:
            msg = f"the LP failed: {res.message}"
            raise RuntimeError(msg)
        return float(res.fun)

    def feasible(self) -> bool:
        if not self.vars:
            return True
        return self._optimise(np.zeros(len(self.vars))) is not None

    def interval(self, e: Expr) -> Interval:
        integer = _integral(e, self.vars)
        if e.known:
            return Interval(e.const, e.const, integer)
        if not any(k in self._used() for k in e.terms):  # in no relation: its own bounds
            lo = hi = e.const
            for k, v in e.terms.items():
                vlo, vhi = self.vars[k].lo, self.vars[k].hi
                vhi = np.inf if vhi is None else vhi
                lo += v * (vlo if v > 0 else vhi)
                hi += v * (vhi if v > 0 else vlo)
            return Interval(lo, hi, integer)
        c = np.zeros(len(self.vars))
        for k, v in e.terms.items():
            c[k] = v
        lo = self._optimise(c)
        hi = self._optimise(-c)
        if lo is None or hi is None:
            labels = sorted({r[3].split(" ")[0] for r in self.rows})
            msg = f"the relations are infeasible (families {self.families}; {labels[:8]})"
            raise Inconsistent(msg)
        return Interval(lo + e.const, -hi + e.const, integer)

    # -- judging
    def judge_suppressed(self, r: Ref, iv: Interval, attack: str) -> Finding:
        need = required_width(self.threshold)
        if iv.exact:
            status = "recovered"
        elif iv.width < need:
            status = "narrowed"
        else:
            status = "protected"
        return Finding(str(r), "suppressed", iv, status, attack)

    def judge_hidden(self, name: str, iv: Interval, attack: str, note: str = "",
                     truth: float | None = None) -> Finding:
        t = self.threshold
        need = required_width(t)
        value = truth if truth is not None else (iv.ilo if iv.exact else None)
        if value is not None:
            if not 1 <= value <= t - 1:
                status = "safe"
            elif iv.exact:
                status = "recovered"
            elif iv.width < need:
                status = "narrowed"
            else:
                status = "protected"
        elif iv.ihi < 1 or iv.ilo > t - 1:
            status = "safe"
        elif iv.width >= need:
            status = "protected"
        elif iv.ilo >= 1 and iv.ihi <= t - 1:
            status = "narrowed"  # certainly a small count
        else:
            status = "possible"  # narrow, and small if the truth lies low
        return Finding(name, "hidden", iv, status, attack, note)

    def findings(self, attack: str = "", *, truth: Mapping[str, float] | None = None,
                 only: Callable[[str], bool] | None = None) -> list[Finding]:
        """Judge every suppressed cell and every hidden count."""
        out = []
        for r, e in self.cells.items():
            if e.known or (only is not None and not only(str(r))):
                continue
            out.append(self.judge_suppressed(r, self.interval(e), attack))
        for name, (e, note) in self.hidden_cells.items():
            if only is not None and not only(name):
                continue
            out.append(self.judge_hidden(name, self.interval(e), attack, note,
                                         None if truth is None else truth.get(name)))
        return out


def _integral(e: Expr, vars_: list[Var]) -> bool:
    return (float(e.const).is_integer()
            and all(vars_[k].integer and float(v).is_integer() for k, v in e.terms.items()))


def union_intervals(ivs: Iterable[Interval | None]) -> Interval | None:
    ivs = [i for i in ivs if i is not None]
    if not ivs:
        return None
    return Interval(min(i.lo for i in ivs), max(i.hi for i in ivs), all(i.integer for i in ivs))


# --------------------------------------------------------------------- the release

#: The count tables of the bundled study: dimensions and count columns (public:
#: the analyses' definitions; the manifest lists the count columns as well).
COUNT_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "validation": (("table",), ("rows_read", "rows_accepted", "rows_quarantined")),
    "did_panel": (("area", "exam_year"), ("children", "enrolled")),
    "indicators_series": (("year", "unit", "indicator", "period"), ("numerator", "denominator")),
    "strategy_table": (("indicator", "period", "unit"), ("numerator", "denominator")),
    "flows_by_status": (("year", "group"),
                        ("population", "births", "deaths", "in_moves", "out_moves")),
    "flows_by_origin": (("year", "group"), ("in_moves", "out_moves")),
    "flows_od": (("period", "origin", "destination"), ("moves",)),
    "survival_flow": (("criterion",), ("n", "excluded")),
    "survival_flow_groups": (("criterion",), ("exposed", "comparison", "neither")),
    "survival_exits": (("group", "exit"), ("n",)),
    "risk_table": (("group", "months"), ("at_risk", "events", "censored")),
    "vulnerable_area_status": (("area", "list_year", "municipality"), ("residents",)),
    "vulnerable_area_criteria": (("area", "list_year", "criterion"),
                                 ("numerator", "denominator", "missing")),
    "vulnerable_area_income": (("area", "list_year", "criterion"), ("denominator", "missing")),
    "goals": (("goal", "indicator", "unit", "year", "period"), ("numerator", "denominator")),
}


class ReleaseFolder:
    """The published files of a release, read as an outsider reads them."""

    def __init__(self, path: str | Path, threshold: int | None = None):
        self.path = Path(path)
        mpath = self.path / "manifest.json"
        self.manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
        t = self.manifest.get("disclosure", {}).get("threshold")
        self.threshold = int(threshold if threshold is not None else (t or THRESHOLD))
        self._tables: dict[str, pd.DataFrame | None] = {}

    def table(self, name: str) -> pd.DataFrame | None:
        if name not in self._tables:
            f = self.path / f"{name}.csv"
            self._tables[name] = (
                pd.read_csv(f, keep_default_na=False, na_values=[""]) if f.is_file() else None)
        return self._tables[name]

    def has(self, *names: str) -> bool:
        return all(self.table(n) is not None for n in names)

    def dims(self, name: str) -> tuple[str, ...]:
        return COUNT_TABLES[name][0]

    def count_cols(self, name: str) -> tuple[str, ...]:
        m = self.manifest.get("tables", {}).get(name, {}).get("count_cols")
        return tuple(m) if m else COUNT_TABLES[name][1]

    def rows(self, name: str) -> dict[tuple[str, ...], dict[str, object]]:
        df = self.table(name)
        if df is None:
            return {}
        dims = self.dims(name)
        out = {}
        for rec in df.to_dict("records"):
            out[tuple(_txt(rec[d]) for d in dims)] = rec
        return out


def _val(rec: Mapping[str, object] | None, col: str) -> float | None:
    """A published number, None when blank; a missing row is a published zero."""
    if rec is None:
        return 0.0
    v = rec.get(col)
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def cells_of(system: System, rel: ReleaseFolder, name: str,
             columns: Iterable[str] | None = None) -> dict[tuple[tuple[str, ...], str], Expr]:
    """Register every count cell of a table; ``{(key, column): expr}``."""
    out = {}
    cols = tuple(columns) if columns is not None else rel.count_cols(name)
    for key, rec in rel.rows(name).items():
        for c in cols:
            out[key, c] = system.cell(Ref(name, key, c), _val(rec, c))
    return out


def get(system: System, rel: ReleaseFolder, name: str, key: Iterable[object], col: str) -> Expr:
    """One cell; a key the table leaves out is a published zero."""
    key = tuple(_txt(k) for k in key)
    r = Ref(name, key, col)
    if system.has(r):
        return system.cells[r]
    return system.cell(r, _val(rel.rows(name).get(key), col))


# ------------------------------------------------------------------- public facts


@dataclass(frozen=True)
class Study:
    """What the study file (public) says about the units and the DiD."""

    target: str = "vaerebro_park"
    comparison: tuple[str, ...] = ("tingbjerg", "gellerup", "vollsmose")
    municipality: int = 159
    first_treated_exam_year: int = 2016
    honest_mbar: tuple[float, ...] = (0, 0.5, 1, 1.5, 2)

    @property
    def target_unit(self) -> str:
        return f"area:{self.target}"

    @property
    def municipality_unit(self) -> str:
        return f"municipality:{self.municipality}"

    @property
    def rest_unit(self) -> str:
        return f"{self.municipality_unit} without {self.target_unit}"

    @classmethod
    def from_toml(cls, path: str | Path) -> Study:
        import tomllib

        raw = tomllib.loads(Path(path).read_text())
        u = raw.get("units", {})
        did = raw.get("analyses", {}).get("did", {})
        return cls(
            target=u.get("target", cls.target),
            comparison=tuple(u.get("comparison", cls.comparison)),
            municipality=int(u.get("municipality", cls.municipality)),
            first_treated_exam_year=int(did.get("first_treated_exam_year",
                                                cls.first_treated_exam_year)),
            honest_mbar=tuple(did.get("honest_mbar", cls.honest_mbar)),
        )


# ------------------------------------------------------------ relation families
#
# Each family adds to a System what an outsider knows from the tables' public
# definitions. They register the cells they use, so any subset can run alone.


def fam_totals(s: System, rel: ReleaseFolder, study: Study) -> None:
    """Declared totals inside tables: flows groups, origins, validation, units."""
    t = rel.table("flows_by_status")
    if t is not None:
        c = cells_of(s, rel, "flows_by_status")
        groups = ("resource_strong", "not_resource_strong", "not_adult")
        for y in sorted({k[0] for k, _ in c}):
            for col in rel.count_cols("flows_by_status"):
                if (( y, "all"), col) in c:
                    s.total(c[(y, "all"), col],
                            [get(s, rel, "flows_by_status", (y, g), col) for g in groups],
                            label=f"flows_by_status {y} {col}: all = groups")
    t = rel.table("flows_by_origin")
    if t is not None:
        c = cells_of(s, rel, "flows_by_origin")
        parts = ("same_municipality", "other_municipality", "abroad")
        for y in sorted({k[0] for k, _ in c}):
            for col in ("in_moves", "out_moves"):
                if ((y, "all"), col) in c:
                    s.total(c[(y, "all"), col],
                            [get(s, rel, "flows_by_origin", (y, g), col) for g in parts],
                            label=f"flows_by_origin {y} {col}: all = counterparts")
    if rel.table("validation") is not None:
        c = cells_of(s, rel, "validation")
        for key in {k for k, _ in c}:
            s.total(c[key, "rows_read"], [c[key, "rows_accepted"], c[key, "rows_quarantined"]],
                    label=f"validation {key[0]}: read = accepted + quarantined")
    for name in ("indicators_series", "strategy_table"):
        if rel.table(name) is None:
            continue
        dims = rel.dims(name)
        c = cells_of(s, rel, name)
        ui = dims.index("unit")
        groups: dict[tuple, dict[str, tuple]] = {}
        for key, _col in c:
            rest = key[:ui] + key[ui + 1:]
            groups.setdefault(rest, {})[key[ui]] = key
        for rest, units in groups.items():
            if study.municipality_unit in units:
                for col in ("numerator", "denominator"):
                    whole = c[units[study.municipality_unit], col]
                    parts = [get(s, rel, name, units.get(u) or _with(rest, ui, u), col)
                             for u in (study.target_unit, study.rest_unit)]
                    s.total(whole, parts, label=f"{name} {rest} {col}: municipality = parts")


def fam_goals(s: System, rel: ReleaseFolder, study: Study) -> None:
    """goals.csv (docs/study.md): 'comparison' pools the comparison areas; its cells
    repeat cells of indicators_series; goal 3's target rows count the adults of
    flows_by_status (resource-strong = the group, all adults = the two adult groups);
    'net' is the in-moves' numerator minus the out-moves'."""
    if rel.table("goals") is None:
        return
    c = cells_of(s, rel, "goals")
    areas = [f"area:{a}" for a in study.comparison]
    keys = {k for k, _ in c}
    published_areas = {k[2] for k in keys} & set(areas)
    for key in sorted(k for k in keys if k[2] == "comparison" and published_areas):
        for col in ("numerator", "denominator"):
            s.total(c[key, col], [get(s, rel, "goals", (*key[:2], a, *key[3:]), col)
                                  for a in areas],
                    label=f"goals {key} {col}: comparison = areas")
    if rel.table("indicators_series") is not None:
        series = set(rel.rows("indicators_series"))
        for key in sorted(keys):
            _g, ind, unit, year, per = key
            twin = (year, unit, ind, per)
            if twin in series:
                for col in ("numerator", "denominator"):
                    s.eq(c[key, col], get(s, rel, "indicators_series", twin, col),
                         label=f"goals = indicators_series {key} {col}")
    if rel.table("flows_by_status") is not None:
        years = {k[0] for k in rel.rows("flows_by_status")}
        column = {"resource_strong_share": "population", "resource_strong_in_moves": "in_moves",
                  "resource_strong_out_moves": "out_moves"}
        for key in sorted(keys):
            _g, ind, unit, year, _per = key
            if unit != study.target_unit or ind not in column or year not in years:
                continue
            col = column[ind]
            strong = get(s, rel, "flows_by_status", (year, "resource_strong"), col)
            weak = get(s, rel, "flows_by_status", (year, "not_resource_strong"), col)
            s.eq(c[key, "numerator"], strong, label=f"goals {key} = flows_by_status strong")
            s.eq(c[key, "denominator"], total([strong, weak]),
                 label=f"goals {key} = flows_by_status adults")
    df = rel.table("goals")
    if "net" in df.columns:
        for key, rec in rel.rows("goals").items():
            v = _val(rec, "net")
            _g, ind, unit, year, _per = key
            if v is None or ind != "resource_strong_in_moves":
                continue
            out = [k for k in keys if k[1] == "resource_strong_out_moves" and k[2] == unit
                   and k[3] == year]
            if out:
                s.eq(c[key, "numerator"] - c[out[0], "numerator"], v,
                     label=f"goals {key} net")


def _with(rest: tuple, i: int, value: str) -> tuple:
    return rest[:i] + (value,) + rest[i:]


#: Tables with a share of a numerator in a denominator: (table, share column, num, den).
SHARES = (
    ("did_panel", "share", "enrolled", "children"),
    ("indicators_series", "share", "numerator", "denominator"),
    ("strategy_table", "share", "numerator", "denominator"),
    ("vulnerable_area_criteria", "value", "numerator", "denominator"),
    ("goals", "share", "numerator", "denominator"),
)


def fam_shares(s: System, rel: ReleaseFolder, study: Study) -> None:
    """numerator <= denominator, the complement as a hidden count, published shares."""
    for name, share, num, den in SHARES:
        df = rel.table(name)
        if df is None:
            continue
        c = cells_of(s, rel, name, (num, den))
        for key, rec in rel.rows(name).items():
            n, d = c[key, num], c[key, den]
            s.hidden(f"{name}[{', '.join(key)}].{den}-{num}", d - n, note="complement")
            v = _val(rec, share)
            if v is not None and not (n.known and d.known):
                # share * denominator = numerator (the share is printed in full)
                s.eq(n, d * v, tol=1e-6, label=f"{name} {key} share")


def fam_same_cells(s: System, rel: ReleaseFolder, study: Study) -> None:
    """The same cells published twice: the strategy table is a slice of the series;
    the 'all' rows of flows by status and by origin count the same moves."""
    if rel.has("strategy_table", "indicators_series"):
        series = {}
        for key, _rec in rel.rows("indicators_series").items():
            _y, unit, ind, per = key
            series[ind, per, unit] = key
        for key in rel.rows("strategy_table"):
            if key in series:
                for col in ("numerator", "denominator"):
                    s.eq(get(s, rel, "strategy_table", key, col),
                         get(s, rel, "indicators_series", series[key], col),
                         label=f"strategy_table = indicators_series {key} {col}")
    if rel.has("flows_by_status", "flows_by_origin"):
        years = {k[0] for k in rel.rows("flows_by_status")} & {k[0] for k in
                                                                rel.rows("flows_by_origin")}
        for y in sorted(years):
            for col in ("in_moves", "out_moves"):
                s.eq(get(s, rel, "flows_by_status", (y, "all"), col),
                     get(s, rel, "flows_by_origin", (y, "all"), col),
                     label=f"flows all {y} {col}: by status = by origin")


def _municipality_of(rel: ReleaseFolder) -> dict[str, str]:
    out = {}
    for key in rel.rows("vulnerable_area_status"):
        out[key[0]] = key[2]
    return out


def fam_od(s: System, rel: ReleaseFolder, study: Study) -> None:
    """The OD matrix of a period sums the yearly in/out-moves by counterpart, births
    and deaths of the estate (a left-out OD cell is a published zero)."""
    if not rel.has("flows_od", "flows_by_origin"):
        return
    od = rel.rows("flows_od")
    periods = sorted({k[0] for k in od})
    mun = _municipality_of(rel)
    own = str(study.municipality)
    same = ["rest_of_municipality"] + [a for a in study.comparison if mun.get(a) == own]
    other = ["rest_of_region", "rest_of_country"] + [a for a in study.comparison
                                                      if mun.get(a) != own]
    by_origin = rel.rows("flows_by_origin")
    years = {k[0] for k in by_origin}
    T = study.target

    def od_sum(p, frm, to):
        return total(get(s, rel, "flows_od", (p, a, b), "moves") for a in frm for b in to)

    for p in periods:
        m = re.fullmatch(r"(\d{4})-(\d{4})", p)
        if not m:
            continue
        ys = [str(y) for y in range(int(m.group(1)), int(m.group(2)) + 1)]
        if not all(y in years for y in ys):
            continue
        for col, frm_to in (("out_moves", lambda d: ([T], d)), ("in_moves", lambda d: (d, [T]))):
            for grp, dest in (("same_municipality", same), ("other_municipality", other),
                              ("abroad", ["abroad"])):
                frm, to = frm_to(dest)
                s.eq(total(get(s, rel, "flows_by_origin", (y, grp), col) for y in ys),
                     od_sum(p, frm, to), label=f"OD {p} {grp} {col}")
        if rel.has("flows_by_status"):
            s.eq(total(get(s, rel, "flows_by_status", (y, "all"), "deaths") for y in ys),
                 od_sum(p, [T], ["death"]), label=f"OD {p} deaths")
            s.eq(total(get(s, rel, "flows_by_status", (y, "all"), "births") for y in ys),
                 od_sum(p, ["birth"], [T]), label=f"OD {p} births")


#: The exclusion flow's criteria in the order the cohort builder applies them
#: (public: cohort/cohorts/_build.py); matched by pattern.
FLOW_ORDER = (
    r"persons in the extract",
    r"born \d{4}-\d{4}",
    r"time origin on or before extract_end",
    r"alive and living in the country on the origin date",
    r"exposure observed: .*",
    r"in the exposed or the comparison group",
)


def _flow_order(criteria: Iterable[str]) -> list[str]:
    def rank(c):
        for i, pat in enumerate(FLOW_ORDER):
            if re.fullmatch(pat, c):
                return i
        return len(FLOW_ORDER)
    return sorted(criteria, key=rank)


def fam_survival(s: System, rel: ReleaseFolder, study: Study) -> None:
    """The exclusion flow, the groups, the exits and the risk table."""
    groups = ("exposed", "comparison")
    cohort: dict[str, Expr] = {}
    if rel.table("survival_flow") is not None:
        c = cells_of(s, rel, "survival_flow")
        order = _flow_order({k[0] for k, _ in c})
        for prev, cur in itertools.pairwise(order):
            s.eq(c[(cur,), "n"], c[(prev,), "n"] - c[(cur,), "excluded"],
                 label=f"survival_flow: n = previous n - excluded ({cur})")
        if rel.table("validation") is not None and order and order[0] == "persons in the extract":
            persons = rel.rows("validation").get(("persons",))
            if persons is not None:
                s.eq(c[(order[0],), "n"], get(s, rel, "validation", ("persons",),
                                              "rows_accepted"),
                     label="survival_flow persons = validation persons accepted")
        if rel.table("survival_flow_groups") is not None:
            g = cells_of(s, rel, "survival_flow_groups")
            gorder = _flow_order({k[0] for k, _ in g})
            for cr in gorder:
                if ((cr,), "n") in c:
                    s.total(c[(cr,), "n"], [g[(cr,), x] for x in ("exposed", "comparison",
                                                                   "neither")],
                            label=f"survival_flow_groups {cr}: n = groups")
            for prev, cur in itertools.pairwise(gorder):
                for x in ("exposed", "comparison", "neither"):
                    s.hidden(f"survival_flow_groups[{cur}].{x} excluded",
                             g[(prev,), x] - g[(cur,), x], note="persons of a group excluded")
            if gorder:
                for x in groups:
                    cohort[x] = g[(gorder[-1],), x]
    if rel.table("risk_table") is not None:
        c = cells_of(s, rel, "risk_table")
        for x in groups:
            months = sorted({int(k[1]) for k, _ in c if k[0] == x})
            if not months:
                continue
            n0 = c[(x, str(months[0])), "at_risk"]
            if x in cohort:
                s.eq(n0, cohort[x], label=f"risk_table {x} month 0 = analysed cohort")
            cohort[x] = n0
            for m in months[1:]:
                k = (x, str(m))
                s.total(n0, [c[k, "at_risk"], c[k, "events"], c[k, "censored"]],
                        label=f"risk_table {x} {m}: at risk + events + censored = cohort")
            for a, b in itertools.pairwise(months):
                ka, kb = (x, str(a)), (x, str(b))
                for col in ("events", "censored"):
                    s.hidden(f"risk_table[{x}, {a}-{b}].{col} in interval",
                             c[kb, col] - c[ka, col], note="difference of cumulative counts")
                s.hidden(f"risk_table[{x}, {a}-{b}].left the risk set",
                         c[ka, "at_risk"] - c[kb, "at_risk"],
                         note="difference of numbers at risk")
            if rel.table("survival_exits") is not None:
                last = (x, str(months[-1]))
                ev = get(s, rel, "survival_exits", (x, "event"), "n")
                s.hidden(f"risk_table[{x}] events after {months[-1]} months",
                         ev - c[last, "events"], note="exits minus cumulative events")
    if rel.table("survival_exits") is not None:
        c = cells_of(s, rel, "survival_exits")
        for x in groups:
            parts = [e for (k, _col), e in c.items() if k[0] == x]
            if parts and x in cohort:
                s.total(cohort[x], parts, label=f"survival_exits {x}: exits = cohort")
            if x in cohort and rel.table("risk_table") is not None:
                months = sorted({int(k[1]) for k in rel.rows("risk_table") if k[0] == x})
                if months:
                    cens = get(s, rel, "risk_table", (x, str(months[-1])), "censored")
                    non_event = total(e for (k, _col), e in c.items()
                                      if k[0] == x and k[1] != "event")
                    s.hidden(f"risk_table[{x}] censored after {months[-1]} months",
                             non_event - cens, note="exits minus cumulative censored")


def fam_vulnerable(s: System, rel: ReleaseFolder, study: Study) -> None:
    """Two-year pooled criteria: the counts of list year L are sums over the years
    L-2 and L-1, so consecutive list years share a year (a chain of latent years)."""
    rows = rel.rows("vulnerable_area_criteria")
    if not rows:
        return
    c = cells_of(s, rel, "vulnerable_area_criteria")
    pooled = {"outside_work_education": ("numerator", "denominator", "missing"),
              "convictions": ("numerator", "denominator")}
    latent: dict[tuple, Expr] = {}
    for (area, ly, crit), _rec in rows.items():
        if crit not in pooled:
            continue
        L = int(ly)
        for col in pooled[crit]:
            parts = []
            for y in (L - 2, L - 1):
                k = (area, crit, col, y)
                if k not in latent:
                    latent[k] = s.latent(f"{area} {crit} {col} {y}")
                parts.append(latent[k])
            s.total(c[(area, ly, crit), col], parts,
                    label=f"vulnerable {area} {ly} {crit} {col}: two pooled years")
    for (area, crit, col, y), e in latent.items():
        if col == "numerator":
            s.le(e, latent[(area, crit, "denominator", y)], label="latent num <= den")


def fam_manifest(s: System, rel: ReleaseFolder, study: Study) -> None:
    """The manifest names the rule of every suppressed cell, counted per column: when
    every blank of a column is 'primary' each lies in 1..t-1; when every blank is
    'complement', each complement does."""
    sup = rel.manifest.get("suppression", [])
    t = rel.threshold
    by: dict[tuple[str, str], dict[str, int]] = {}
    for e in sup:
        by.setdefault((e["table"], e["column"]), {})[e["rule"]] = int(e["suppressed_cells"])
    for (name, col), rules in by.items():
        if name not in COUNT_TABLES or rel.table(name) is None:
            continue
        c = cells_of(s, rel, name)
        blanks = [(k, e) for (k, cc), e in c.items() if cc == col and not e.known]
        if not blanks:
            continue
        if rules.get("primary", 0) == len(blanks):
            for _k, e in blanks:
                s.bound(e, hi=t - 1, label=f"manifest: {name}.{col} all primary")
        if rules.get("complement", 0) == len(blanks):
            pair = next(((n, d) for nm, _sh, n, d in SHARES if nm == name and n == col), None)
            if pair is not None:
                for k, e in blanks:
                    d = c[k, pair[1]]
                    s.bound(d - e, lo=1, hi=t - 1, label=f"manifest: {name}.{col} complement")


def fam_demography(s: System, rel: ReleaseFolder, study: Study) -> None:
    """Near-identities (exact unless someone moves on 1 January): population(Y+1) =
    population(Y) + births - deaths + in - out; the vulnerable-area residents on 31
    December L-1 = the estate's population on 1 January L."""
    rows = rel.rows("flows_by_status")
    years = sorted({int(k[0]) for k in rows})
    for y in years:
        if str(y + 1) not in {k[0] for k in rows}:
            continue
        g = lambda yy, col: get(s, rel, "flows_by_status", (yy, "all"), col)  # noqa: E731
        s.eq(g(y + 1, "population"),
             g(y, "population") + g(y, "births") - g(y, "deaths") + g(y, "in_moves")
             - g(y, "out_moves"), label=f"demography {y}: balance")
    for (area, ly, _mun), _rec in rel.rows("vulnerable_area_status").items():
        if area == study.target and (ly, "all") in rows:
            s.eq(get(s, rel, "vulnerable_area_status", (area, ly, _mun), "residents"),
                 get(s, rel, "flows_by_status", (ly, "all"), "population"),
                 label=f"demography {ly}: residents 31 Dec = population 1 Jan")


def fam_coincidence(s: System, rel: ReleaseFolder, study: Study) -> None:
    """Heuristic: did_panel (the estate's children by exam year, by baseline address)
    and the estate's youth_education_15m (by address on 30 June of the exam year) are
    different populations by definition but may be equal in every published year;
    an attacker who sees them agree everywhere assumes they agree in the blanks."""
    if not rel.has("did_panel", "indicators_series"):
        return
    pairs = []
    series = rel.rows("indicators_series")
    for (area, ey), rec in rel.rows("did_panel").items():
        if area != study.target:
            continue
        y = int(ey)
        key = (str(y), study.target_unit, "youth_education_15m", f"{y - 1}/{str(y)[-2:]}")
        if key in series:
            pairs.append(((area, ey), key, rec, series[key]))
    agree = disagree = 0
    for _k1, _k2, a, b in pairs:
        for c1, c2 in (("children", "denominator"), ("enrolled", "numerator")):
            va, vb = _val(a, c1), _val(b, c2)
            if va is not None and vb is not None:
                agree += va == vb
                disagree += va != vb
    if disagree or agree < 6:
        return
    for k1, k2, _a, _b in pairs:
        for c1, c2 in (("children", "denominator"), ("enrolled", "numerator")):
            s.eq(get(s, rel, "did_panel", k1, c1), get(s, rel, "indicators_series", k2, c2),
                 label=f"coincidence {k1} {c1}")


# ----------------------------------------------------------------- the DiD models


@dataclass
class DidLayout:
    """The did_panel cells in a fixed order and the regressors of each model."""

    areas: list[str]
    years: list[int]
    cells: list[tuple[str, int]]
    target: str
    g: int
    reference: int
    es_terms: list[str]

    @classmethod
    def of(cls, panel: pd.DataFrame, study: Study) -> DidLayout:
        areas = sorted(panel["area"].astype(str).unique())
        years = sorted(int(y) for y in panel["exam_year"].unique())
        g = study.first_treated_exam_year
        if study.target not in areas or not any(y < g for y in years):
            msg = "did_panel does not have the study's shape (target, pre-periods)"
            raise ValueError(msg)
        ref_ = max(y for y in years if y < g) - g
        cells = [(str(a), int(y)) for a, y in zip(panel["area"], panel["exam_year"],
                                                 strict=True)]
        ets = sorted({y - g for a, y in cells if a == study.target} - {ref_})
        lo, hi = min(years) - g, max(years) - g
        grid = [v for v in range(lo, hi + 1) if v != ref_ and v in ets]
        return cls(areas, years, cells, study.target, g, ref_, [f"e={v}" for v in grid])

    def fe(self) -> np.ndarray:
        a = np.array([[1.0 if c[0] == x else 0.0 for x in self.areas] for c in self.cells])
        t = np.array([[1.0 if c[1] == y else 0.0 for y in self.years[1:]] for c in self.cells])
        return np.column_stack([a, t])

    def regressors(self, model: str) -> np.ndarray:
        tr = np.array([c[0] == self.target for c in self.cells])
        e = np.array([c[1] - self.g for c in self.cells])
        if model == "event_study":
            cols = [int(t[2:]) for t in self.es_terms]
            return np.column_stack([(tr & (e == v)).astype(float) for v in cols])
        return (tr & (e >= 0)).astype(float)[:, None]


def _wls(layout: DidLayout, model: str, children: np.ndarray):
    """beta = A @ (cell means); bread and the demeaned regressors, weights = children."""
    fe, x = layout.fe(), layout.regressors(model)
    w = children.astype(float)
    sw = np.sqrt(w)
    coef, *_ = np.linalg.lstsq(fe * sw[:, None], x * sw[:, None], rcond=None)
    xt = x - fe @ coef
    bread = np.linalg.inv(xt.T @ (w[:, None] * xt))
    return bread @ (xt * w[:, None]).T, bread, xt, fe, x


def did_models_from_cells(layout: DidLayout, children, enrolled) -> dict[str, tuple[float, float]]:
    """Every published DiD number that is a function of the panel's counts.

    Child-level OLS of a 0/1 outcome on area and exam-year fixed effects and
    cell-level regressors equals weighted least squares on the cell means with the
    children as weights; its area-year SEs (cell shock variance by moments, each
    cell's sample variance of the 0/1 outcome) follow from the counts too. Returns
    ``{term: (estimate, std_error)}`` for the event study (``e=k``), ``att_twfe``,
    the Honest DiD point estimate (``att_average_post``, mean of the post
    coefficients) and the one-treated estimate (``one_treated``).
    """
    c = np.asarray(children, dtype=float)
    e = np.asarray(enrolled, dtype=float)
    y = e / c
    out: dict[str, tuple[float, float]] = {}
    for model in ("event_study", "twfe"):
        a, bread, xt, fe, x = _wls(layout, model, c)
        beta = a @ y
        full = np.column_stack([fe, x])
        sw = np.sqrt(c)
        b, *_ = np.linalg.lstsq(full * sw[:, None], y * sw, rcond=None)
        f = full @ b
        # area-year inference (issue 20): cell shock variance by moments from the
        # weighted residuals, each cell's sample variance of the 0/1 outcome
        r = y - f
        h = c * np.einsum("ij,jk,ik->i", full, np.linalg.pinv(full.T @ (c[:, None] * full)),
                          full)
        m = np.clip(1 - h, 0, None)
        many = c >= 2
        s2c = np.zeros_like(c)
        s2c[many] = e[many] * (c[many] - e[many]) / (c[many] * (c[many] - 1))
        pooled = (s2c[many] * (c[many] - 1)).sum() / (c[many] - 1).sum() if many.any() else 0.0
        s2c[~many] = pooled
        s2a = max(0.0, (float(np.sum(c * r * r)) - float(np.sum(m * s2c)))
                  / float(np.sum(c * m)))
        meat = xt.T @ ((c * c * (s2a + s2c / c))[:, None] * xt)
        v = bread @ meat @ bread
        se = np.sqrt(np.clip(np.diag(v), 0, None))
        names = layout.es_terms if model == "event_study" else ["att_twfe"]
        out.update({t: (float(bb), float(ss)) for t, bb, ss in zip(names, beta, se,
                                                                    strict=True)})
    post = [t for t in layout.es_terms if int(t[2:]) > layout.reference]
    out["att_average_post"] = (float(np.mean([out[t][0] for t in post])), float("nan"))
    out["one_treated"] = (float(_one_treated_rows(layout) @ y), float("nan"))
    return out


def _one_treated_rows(layout: DidLayout) -> np.ndarray:
    """tau = D_target - mean of D over the comparison areas, D = mean post - mean pre."""
    return _d_rows(layout, layout.target) - np.mean(
        [_d_rows(layout, a) for a in layout.areas if a != layout.target], axis=0)


def _d_rows(layout: DidLayout, area: str) -> np.ndarray:
    post = np.array([c[0] == area and c[1] >= layout.g for c in layout.cells], dtype=float)
    pre = np.array([c[0] == area and c[1] < layout.g for c in layout.cells], dtype=float)
    return post / max(post.sum(), 1) - pre / max(pre.sum(), 1)


def _did_cells(s: System, rel: ReleaseFolder, layout: DidLayout):
    C = [get(s, rel, "did_panel", c, "children") for c in layout.cells]
    E = [get(s, rel, "did_panel", c, "enrolled") for c in layout.cells]
    return C, E


def _published(rel: ReleaseFolder, name: str, term: str, col: str = "estimate",
               key: str = "term") -> float | None:
    df = rel.table(name)
    if df is None:
        return None
    rows = df[df[key].astype(str) == term]
    if rows.empty:
        return None
    v = rows[col].iloc[0]
    return None if pd.isna(v) or not np.isfinite(float(v)) else float(v)


def _linear(a_rows: np.ndarray, y_exprs: list[Expr]) -> Expr:
    return total(float(w) * y for w, y in zip(a_rows, y_exprs, strict=True) if w != 0)


def fam_did(s: System, rel: ReleaseFolder, study: Study) -> None:
    """Each published estimate that is a linear function of the cell means is one
    linear equation in the suppressed enrolled counts (children published)."""
    panel = rel.table("did_panel")
    if panel is None:
        return
    try:
        layout = DidLayout.of(panel, study)
    except ValueError:
        return
    C, E = _did_cells(s, rel, layout)
    if not all(c.known for c in C):
        return  # nonlinear: see did_exact
    cv = np.array([c.const for c in C])
    ybar = [e / cc for e, cc in zip(E, cv, strict=True)]
    a_es, *_ = _wls(layout, "event_study", cv)
    rows = dict(zip(layout.es_terms, a_es, strict=True))
    for t, r in rows.items():
        v = _published(rel, "did_event_study", t)
        if v is not None:
            s.eq(_linear(r, ybar), v, tol=1e-9, label=f"did_event_study {t}")
    a_tw, *_ = _wls(layout, "twfe", cv)
    v = _published(rel, "did_twfe", "att_twfe")
    if v is not None:
        s.eq(_linear(a_tw[0], ybar), v, tol=1e-9, label="did_twfe att_twfe")
    post = [t for t in layout.es_terms if int(t[2:]) > layout.reference]
    honest = rel.table("did_honest")
    if honest is not None and honest["estimate"].notna().any():
        v = float(honest["estimate"].dropna().iloc[0])
        s.eq(_linear(np.mean([rows[t] for t in post], axis=0), ybar), v, tol=1e-9,
             label="did_honest estimate")
    ot = _one_treated_rows(layout)
    for term in ("randomization_inference", "conley_taber"):
        v = _published(rel, "did_one_treated", term)
        if v is not None:
            s.eq(_linear(ot, ybar), v, tol=1e-9, label=f"did_one_treated {term}")


def did_disjunctions(s: System, rel: ReleaseFolder, study: Study) -> list[list[tuple]]:
    """Piecewise-linear DiD output as alternatives (each a list of relations).

    - Conley-Taber: conf_low = est - max(eta), conf_high = est - min(eta), eta_j the
      comparison areas' placebo estimates (type-1 quantiles of 3 values);
    - Honest DiD (relative magnitudes, average of T post periods): ub - est =
      M (T+1)/2 max_j |beta_{j+1} - beta_j| over the pre-periods (reference = 0).

    Returns groups of alternatives; the caller unites the intervals over every
    combination (see :func:`bounds_with_disjunctions`).
    """
    panel = rel.table("did_panel")
    if panel is None:
        return []
    try:
        layout = DidLayout.of(panel, study)
    except ValueError:
        return []
    C, E = _did_cells(s, rel, layout)
    if not all(c.known for c in C):
        return []
    cv = np.array([c.const for c in C])
    ybar = [e / cc for e, cc in zip(E, cv, strict=True)]
    groups = []
    ctrl = [a for a in layout.areas if a != layout.target]
    est = _published(rel, "did_one_treated", "conley_taber")
    lo = _published(rel, "did_one_treated", "conley_taber", "conf_low")
    hi = _published(rel, "did_one_treated", "conley_taber", "conf_high")
    if est is not None and lo is not None and hi is not None and len(ctrl) >= 2:
        d = {a: _d_rows(layout, a) for a in ctrl}
        eta = {j: _linear(d[j] - np.mean([d[k] for k in ctrl if k != j], axis=0), ybar)
               for j in ctrl}
        alts = []
        for jmax in ctrl:
            for jmin in ctrl:
                rels = [("eq", eta[jmax], est - lo), ("eq", eta[jmin], est - hi)]
                rels += [("le", eta[k], eta[jmax]) for k in ctrl]
                rels += [("le", eta[jmin], eta[k]) for k in ctrl]
                alts.append(rels)
        groups.append(alts)
    honest = rel.table("did_honest")
    if honest is not None:
        a_es, *_ = _wls(layout, "event_study", cv)
        rows = dict(zip(layout.es_terms, a_es, strict=True))
        pre = sorted([int(t[2:]) for t in layout.es_terms if int(t[2:]) < layout.reference]
                     + [layout.reference])
        post = [t for t in layout.es_terms if int(t[2:]) > layout.reference]
        beta = {k: (_linear(rows[f"e={k}"], ybar) if k != layout.reference else Expr())
                for k in pre}
        diffs = [beta[b] - beta[a] for a, b in itertools.pairwise(pre)
                 if b - a == 1]
        cst = (len(post) + 1) / 2
        widths = []
        for rec in honest.to_dict("records"):
            try:
                m = float(rec["mbar"])
            except (TypeError, ValueError):
                continue
            if m > 0 and pd.notna(rec.get("ub")) and pd.notna(rec.get("estimate")):
                widths.append((float(rec["ub"]) - float(rec["estimate"])) / (cst * m))
        if widths and diffs:
            v = float(np.median(widths))
            alts = []
            for j, dj in enumerate(diffs):
                for sign in (1.0, -1.0):
                    rels = [("eq", dj * sign, v)]
                    rels += [("le", dk, v) for k, dk in enumerate(diffs) if k != j]
                    rels += [("le", -dk, v) for k, dk in enumerate(diffs) if k != j]
                    alts.append(rels)
            groups.append(alts)
    return groups


def bounds_with_disjunctions(s: System, groups: list[list[list[tuple]]],
                             targets: Mapping[str, Expr]) -> dict[str, list[Interval]]:
    """The possible values of ``targets`` under the base system and every group of
    alternatives, as a union of disjoint intervals.

    For each group, the union over its feasible alternatives; across groups, the
    intersection (an outer bound of the exact union over combinations: what the
    attacker learns is at least this). An empty list: no alternative of some group
    is feasible (the attacker's model is wrong).
    """
    result = {k: [s.interval(e)] for k, e in targets.items()}
    for alts in groups:
        per: dict[str, list[Interval]] = {k: [] for k in targets}
        for alt in alts:
            sub = _copy(s)
            try:
                for op, a, b in alt:
                    if op == "eq":
                        sub.eq(a, b, tol=1e-9, label="disjunction")
                    else:
                        sub.le(a, Expr.of(b) + 1e-12, label="disjunction")
            except Inconsistent:
                continue
            if not sub.feasible():
                continue
            for k, e in targets.items():
                per[k].append(sub.interval(e))
        for k in targets:
            result[k] = _intersect(result[k], _merge(per[k]))
    return result


def _merge(ivs: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for iv in sorted(ivs, key=lambda i: i.lo):
        if out and iv.lo <= out[-1].hi + (1.0 if iv.integer else 1e-9):
            last = out[-1]
            out[-1] = Interval(last.lo, max(last.hi, iv.hi), last.integer and iv.integer)
        else:
            out.append(iv)
    return out


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out = []
    for x in a:
        for y in b:
            lo, hi = max(x.lo, y.lo), min(x.hi, y.hi)
            if lo <= hi + 1e-9:
                out.append(Interval(lo, max(lo, hi), x.integer and y.integer))
    return _merge(out)


def possible_values(ivs: list[Interval]) -> float:
    """How many values a union of intervals leaves (integers; inf for real ones)."""
    n = 0.0
    for iv in ivs:
        if not iv.integer:
            return math.inf if iv.hi - iv.lo > 1e-7 * max(1.0, abs(iv.lo)) else n + 1
        n += max(0, iv.ihi - iv.ilo + 1)
    return n


def judge_union(s: System, name: str, ivs: list[Interval], attack: str,
                truth: float | None = None) -> Finding:
    """Judge a cell whose possible values are a union of intervals: it is narrowed when
    fewer values remain than an interval of the required width holds."""
    need = required_width(s.threshold)
    ivs = [i for i in ivs if not i.integer or i.ilo <= i.ihi]  # no whole number inside
    hull = Interval(min(i.lo for i in ivs), max(i.hi for i in ivs),
                    all(i.integer for i in ivs)) if ivs else None
    n = possible_values(ivs)
    hidden = name in s.hidden_cells
    small = truth is None or 1 <= truth <= s.threshold - 1
    if hull is None:
        status = "recovered"
    elif hidden and (not small or hull.ihi < 1 or hull.ilo > s.threshold - 1):
        status = "safe"
    elif n <= 1:
        status = "recovered"
    elif n < need + 1:
        status = "narrowed"
    else:
        status = "protected"
    note = f"{n:g} possible values" if len(ivs) > 1 else ""
    return Finding(name, "hidden" if hidden else "suppressed", hull, status, attack, note)


def _copy(s: System) -> System:
    t = System(s.threshold, integer=s.use_milp, zero_floor=s.zero_floor)
    t.vars = list(s.vars)
    t.cells = dict(s.cells)
    t.hidden_cells = dict(s.hidden_cells)
    t.rows = list(s.rows)
    t.families = list(s.families)
    t._used_cache = None
    return t


def did_exact(rel: ReleaseFolder, study: Study, *, max_candidates: int = 20000,
              children_cap: int | None = None) -> dict[Ref, list[int]] | None:
    """Exact integer solutions for the suppressed did_panel cells.

    Bounds every unknown (children too, over a grid of ``1 .. children_cap`` when
    suppressed; then the model is nonlinear), enumerates the integer points and
    keeps those whose replayed models (estimates *and* standard errors) equal every
    published number. Returns ``{cell: sorted possible values}``, or None when the
    grid is larger than ``max_candidates``.
    """
    panel = rel.table("did_panel")
    if panel is None:
        return {}
    try:
        layout = DidLayout.of(panel, study)
    except ValueError:
        return {}
    recs = rel.rows("did_panel")
    C = [_val(recs[(a, str(y))], "children") for a, y in layout.cells]
    E = [_val(recs[(a, str(y))], "enrolled") for a, y in layout.cells]
    share = [_val(recs[(a, str(y))], "share") for a, y in layout.cells]
    unknown_c = [i for i, c in enumerate(C) if c is None]
    unknown_e = [i for i, e in enumerate(E) if e is None]
    if not unknown_c and not unknown_e:
        return {}
    published = _published_did(rel, layout)
    cap = children_cap or int(2 * max(c for c in C if c is not None))
    solutions: list[tuple[list[float], list[float]]] = []
    c_ranges = [range(1, cap + 1) for _ in unknown_c]
    n_c = math.prod(len(r) for r in c_ranges) if c_ranges else 1
    if n_c > max_candidates:
        return None
    budget = max_candidates
    for cvals in itertools.product(*c_ranges):
        cc = list(C)
        for i, v in zip(unknown_c, cvals, strict=True):
            cc[i] = float(v)
        # bound the enrolled counts with the linear equations at these children
        s = System(rel.threshold)
        ex = [Expr(const=e) if e is not None else s.latent(f"E{i}", 1, cc[i])
              for i, e in enumerate(E)]
        for i in unknown_e:
            s.le(ex[i], cc[i], label="enrolled <= children")
        cv = np.array(cc)
        ybar = [e / c for e, c in zip(ex, cv, strict=True)]
        a_es, *_ = _wls(layout, "event_study", cv)
        for t, r in zip(layout.es_terms, a_es, strict=True):
            if t in published:
                s.eq(_linear(r, ybar), published[t][0], tol=1e-7, label=t)
        a_tw, *_ = _wls(layout, "twfe", cv)
        if "att_twfe" in published:
            s.eq(_linear(a_tw[0], ybar), published["att_twfe"][0], tol=1e-7, label="twfe")
        if unknown_e and not s.feasible():
            continue
        ranges = []
        for i in unknown_e:
            iv = s.interval(ex[i])
            ranges.append(range(int(iv.ilo), int(iv.ihi) + 1))
        n_e = math.prod(len(r) for r in ranges) if ranges else 1
        budget -= n_e
        if budget < 0:
            return None
        for evals in itertools.product(*ranges):
            ee = list(E)
            for i, v in zip(unknown_e, evals, strict=True):
                ee[i] = float(v)
            if any(sh is not None and abs(sh * cc[i] - ee[i]) > 1e-6
                   for i, sh in enumerate(share)):
                continue
            if _matches(layout, cc, ee, published):
                solutions.append((cc, ee))
    out: dict[Ref, list[int]] = {}
    for i in unknown_c:
        out[Ref("did_panel", (layout.cells[i][0], str(layout.cells[i][1])), "children")] = \
            sorted({int(c[i]) for c, _ in solutions})
    for i in unknown_e:
        out[Ref("did_panel", (layout.cells[i][0], str(layout.cells[i][1])), "enrolled")] = \
            sorted({int(e[i]) for _, e in solutions})
    return out


def _published_did(rel: ReleaseFolder, layout: DidLayout) -> dict[str, tuple[float, float | None]]:
    out = {}
    for t in layout.es_terms:
        v = _published(rel, "did_event_study", t)
        if v is not None:
            out[t] = (v, _published(rel, "did_event_study", t, "std_error"))
    v = _published(rel, "did_twfe", "att_twfe")
    if v is not None:
        out["att_twfe"] = (v, _published(rel, "did_twfe", "att_twfe", "std_error"))
    h = rel.table("did_honest")
    if h is not None and h["estimate"].notna().any():
        out["att_average_post"] = (float(h["estimate"].dropna().iloc[0]), None)
    v = _published(rel, "did_one_treated", "randomization_inference")
    if v is not None:
        out["one_treated"] = (v, None)
    return out


def _matches(layout, cc, ee, published, rtol=1e-7) -> bool:
    got = did_models_from_cells(layout, cc, ee)
    for t, (est, se) in published.items():
        if t not in got:
            continue
        b, s = got[t]
        if abs(b - est) > rtol * max(1.0, abs(est)):
            return False
        if se is not None and math.isfinite(s) and abs(s - se) > rtol * max(1.0, abs(se)):
            return False
    return True


# ------------------------------------------------------------ the decomposition

_ENTRANTS = ("in_moves", "ageing_in", "births")
_LEAVERS = ("out_moves", "ageing_out", "deaths")
CLASSES = _ENTRANTS + _LEAVERS


def decomposition_attack(rel: ReleaseFolder, *, link_flows: bool = False,
                         plausible_share: float = 0.25, threshold: int | None = None,
                         years: Iterable[int] | None = None,
                         truth: Mapping[str, float] | None = None
                         ) -> tuple[list[Finding], dict]:
    """Recover the persons behind the composition decomposition (a MILP per year).

    Public method (cohort/flows/_decompose.py): with N0, R0 (adults and
    resource-strong adults on 1 January Y, from flows_by_status), N1, R1 (Y+1),
    S0 = R0/N0, each class c of n_c persons (r_c resource-strong) contributes
    ``s_c (r_c - S0 n_c) / N1`` (s = +1 entrants, -1 leavers) and the stayers
    ``G / N1``; in percentage points. Hence per published part the integer equation
    ``s_c (N0 r_c - R0 n_c) = part N0 N1 / 100``, and the identities
    ``sum_entrants n - sum_leavers n = N1 - N0``, ``sum_entrants r - sum_leavers r
    + G = R1 - R0``. Births bring no adults (n = 0). Bounds: a class has no more
    persons than the moves (or deaths) of the estate dated in its window (calendar
    years Y and Y+1); ``plausible_share`` caps a class at that share of the adults
    (an attacker's assumption that removes the far lattice solutions of the integer
    equations). ``link_flows`` adds the near-identity deaths class = adult deaths in
    flows_by_status (resource-strong and not), which the brief's attack uses.

    Returns the findings (hidden counts n, r, n - r of every class, judged against
    ``truth`` when given; blanked parts recovered) and ``{(year, class): (n
    interval, r interval)}``.
    """
    t = threshold or rel.threshold
    dec = rel.table("flows_decomposition")
    fs = rel.rows("flows_by_status")
    if dec is None or not fs:
        return [], {}
    est = {(int(r["year"]), str(r["term"])): (None if pd.isna(r["estimate"])
                                              else float(r["estimate"]))
           for r in dec.to_dict("records")}
    ys = sorted({y for y, _ in est} if years is None else set(years))
    findings: list[Finding] = []
    recovered: dict = {}
    for y in ys:
        s = System(t, integer=True)
        s.families.append("decomposition")

        def pop(yy, grp, _s=s):
            return get(_s, rel, "flows_by_status", (yy, grp), "population")

        n0e, r0e = pop(y, "resource_strong") + pop(y, "not_resource_strong"), pop(
            y, "resource_strong")
        n1e, r1e = pop(y + 1, "resource_strong") + pop(y + 1, "not_resource_strong"), pop(
            y + 1, "resource_strong")
        if not all(e.known for e in (n0e, r0e, n1e, r1e)) or str(y + 1) not in {
                k[0] for k in fs}:
            continue
        N0, R0, N1, R1 = (int(e.const) for e in (n0e, r0e, n1e, r1e))
        cap = max(1, int(plausible_share * min(N0, N1)))
        n = {c: s.latent(f"{y} {c} persons", 0, cap) for c in CLASSES}
        r = {c: s.latent(f"{y} {c} resource-strong", 0, cap) for c in CLASSES}
        G = s.latent(f"{y} stayers' net status change", -N0, N0)
        for c in CLASSES:
            s.le(r[c], n[c], label="r <= n")
        s.eq(n["births"], 0, label="births bring no adults")
        s.eq(total(n[c] for c in _ENTRANTS) - total(n[c] for c in _LEAVERS), N1 - N0,
             label="n identity")
        s.eq(total(r[c] for c in _ENTRANTS) - total(r[c] for c in _LEAVERS) + G, R1 - R0,
             label="r identity")
        s.le(total(n[c] for c in _LEAVERS), N0, label="stayers >= 0")
        s.le(total(n[c] for c in _ENTRANTS), N1, label="stayers >= 0")
        # flows of the window: calendar years Y and Y+1 (moves dated 1 January Y+1)
        for c, col in (("in_moves", "in_moves"), ("out_moves", "out_moves"),
                       ("deaths", "deaths")):
            s.le(n[c], get(s, rel, "flows_by_status", (y, "all"), col)
                 + get(s, rel, "flows_by_status", (y + 1, "all"), col),
                 label=f"{c} within the window's flows")
        s.le(n["ageing_in"], pop(y, "not_adult"), label="ageing in were residents")
        for yy in (y, y + 1):
            for col in ("deaths", "in_moves", "out_moves"):
                s.total(get(s, rel, "flows_by_status", (yy, "all"), col),
                        [get(s, rel, "flows_by_status", (yy, g), col)
                         for g in ("resource_strong", "not_resource_strong", "not_adult")],
                        label="flows totals")
        if link_flows:
            d_rs = get(s, rel, "flows_by_status", (y, "resource_strong"), "deaths")
            d_nrs = get(s, rel, "flows_by_status", (y, "not_resource_strong"), "deaths")
            s.eq(n["deaths"], d_rs + d_nrs, label="deaths class = adult deaths (near)")
            s.eq(r["deaths"], d_rs, label="deaths class strong = strong deaths (near)")
        contrib = {}
        pinned: dict[str, tuple[int, int]] = {}
        for c in CLASSES:
            sign = 1.0 if c in _ENTRANTS else -1.0
            # contribution in pp = 100 * sign * (r - S0 n) / N1
            contrib[c] = (r[c] * N0 - n[c] * R0) * (100.0 * sign / (N0 * N1))
            v = est.get((y, c))
            if v is not None:
                s.eq((r[c] * N0 - n[c] * R0) * sign, v * N0 * N1 / 100.0, tol=1e-4,
                     label=f"{y} {c} part")
                sols = part_solutions(v, c, N0, R0, N1, cap)
                if len(sols) == 1:  # the part alone gives the class (no MILP needed)
                    pinned[c] = sols[0]
                    s.eq(n[c], sols[0][0], label="pinned")
                    s.eq(r[c], sols[0][1], label="pinned")
        contrib["status_change"] = G * (100.0 / N1)
        v = est.get((y, "status_change"))
        if v is not None:
            s.eq(G, v * N1 / 100.0, tol=1e-6, label=f"{y} status change")
        if not s.feasible():
            msg = f"decomposition {y}: the published parts contradict the public formulas"
            raise Inconsistent(msg)
        for c in CLASSES:
            ivs = {}
            for what, e in (("persons", n[c]), ("resource-strong", r[c]),
                            ("not resource-strong", n[c] - r[c])):
                if c in pinned:
                    v = {"persons": pinned[c][0], "resource-strong": pinned[c][1],
                         "not resource-strong": pinned[c][0] - pinned[c][1]}[what]
                    iv = Interval(v, v, True)
                else:
                    iv = s.interval(e)
                ivs[what] = iv
                name = f"flows_decomposition[{y}, {c}] {what}"
                findings.append(s.judge_hidden(name, iv, "decomposition", truth=None if truth
                                               is None else truth.get(name)))
            recovered[y, c] = (ivs["persons"], ivs["resource-strong"])
        for term, e in contrib.items():
            if est.get((y, term), 0.0) is None:
                iv = s.interval(e)
                status = "recovered" if iv.hi - iv.lo < 1e-9 else "protected"
                findings.append(Finding(f"flows_decomposition[{y}, {term}].estimate", "estimate",
                                        iv, status, "decomposition"))
    return findings, recovered


# -------------------------------------------------------- KM curves, report, truth


def km_attack(rel: ReleaseFolder) -> list[Finding]:
    """Kaplan-Meier curves against the risk table.

    Where the risk table shows nobody censored up to month m, a curve's estimate is
    ``1 - D(t)/n0`` exactly, so every shown step gives the cumulative events D(t);
    the risk table gives D at its months. The events between a shown step and a
    risk-table month (a window the curve pooled away) are then a published count.
    """
    t = rel.threshold
    rt = rel.table("risk_table")
    out: list[Finding] = []
    if rt is None:
        return out
    for grp in ("exposed", "comparison"):
        km = rel.table(f"km_{grp}")
        r = rt[rt["group"] == grp].sort_values("months")
        if km is None or r.empty or pd.isna(r["at_risk"].iloc[0]):
            continue
        n0 = float(r["at_risk"].iloc[0])
        clean = r[(r["censored"] == 0)]
        if clean.empty:
            continue
        horizon = float(clean["months"].max())
        points = [(float(m), float(ev), "risk_table") for m, ev in
                  zip(clean["months"], clean["events"], strict=True) if pd.notna(ev)]
        for tt, est in zip(km["time"], km["estimate"], strict=True):
            if pd.isna(est) or tt > horizon:
                continue
            d = n0 * (1 - float(est))
            if abs(d - round(d)) < 1e-6:
                points.append((float(tt), float(round(d)), "km"))
        points.sort()
        for (ta, da, sa), (tb, db, sb) in itertools.pairwise(points):
            if sa == sb == "km" or db - da < 0:
                continue
            if ta == tb:
                continue
            inc = db - da
            if 1 <= inc <= t - 1:
                iv = Interval(inc, inc, True)
                out.append(Finding(f"km_{grp} events in ({ta:.4g}, {tb:.4g}]", "hidden", iv,
                                   "recovered", "km_vs_risk_table",
                                   f"{sa} -> {sb}"))
    return out


class _Tables(HTMLParser):
    """Every <table> of a page with the id of the heading above it."""

    def __init__(self):
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._heading = ""
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "h3"):
            self._heading = dict(attrs).get("id") or ""
        elif tag == "table":
            self._rows = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables.append((self._heading, self._rows))
            self._rows = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def report_attack(rel: ReleaseFolder) -> list[Finding]:
    """The report's tables against the CSV files: a number shown where a CSV is blank,
    or rows the CSV does not have."""
    f = rel.path / "report.html"
    out: list[Finding] = []
    if not f.is_file():
        return out
    p = _Tables()
    p.feed(f.read_text())
    for name, rows in p.tables:
        df = rel.table(name) if name else None
        if df is None or not rows:
            continue
        head, body = rows[0], rows[1:]
        if len(body) > len(df):  # fewer rows: the report shows the head of a long table
            out.append(Finding(f"report.html table {name}", "table", None, "possible",
                               "report", f"{len(body)} rows shown, {len(df)} in the CSV"))
            continue
        for i, row in enumerate(body):
            for j, c in enumerate(head):
                if c not in df.columns or j >= len(row):
                    continue
                blank = pd.isna(df[c].iloc[i])
                if blank and re.search(r"\d", row[j]):
                    out.append(Finding(f"{name}[row {i}].{c}", "suppressed", None, "recovered",
                                       "report", f"shown as {row[j]!r}"))
    return out


#: The families of linear relations, by name.
FAMILIES: dict[str, Callable[[System, ReleaseFolder, Study], None]] = {
    "totals": fam_totals,
    "shares": fam_shares,
    "same_cells": fam_same_cells,
    "goals": fam_goals,
    "od": fam_od,
    "survival": fam_survival,
    "vulnerable": fam_vulnerable,
    "did": fam_did,
    "manifest": fam_manifest,
    "demography": fam_demography,
    "coincidence": fam_coincidence,
}
#: Relations that hold by definition (the acceptance test's whole-release system).
EXACT = ("totals", "shares", "same_cells", "od", "survival", "vulnerable", "did")


def build(rel: ReleaseFolder, families: Iterable[str], study: Study | None = None,
          threshold: int | None = None) -> System:
    s = System(threshold or rel.threshold)
    study = study or Study()
    for f in families:
        FAMILIES[f](s, rel, study)
        s.families.append(f)
    return s


def attack(rel: ReleaseFolder, families: Iterable[str], study: Study | None = None, *,
           truth: Mapping[str, float] | None = None,
           only: Callable[[str], bool] | None = None) -> list[Finding]:
    """Findings of a system of the given families over a release."""
    fams = list(families)
    s = build(rel, fams, study)
    return s.findings("+".join(fams), truth=truth, only=only)


def disclosed(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.disclosed]


def hidden_truth(rel_truth: ReleaseFolder, families: Iterable[str],
                 study: Study | None = None) -> dict[str, float]:
    """The true values of the hidden counts, from a release without suppression."""
    s = build(rel_truth, families, study)
    out = {}
    for name, (e, _note) in s.hidden_cells.items():
        if e.known:
            out[name] = e.const
    return out


def part_solutions(part: float, c: str, N0: int, R0: int, N1: int, cap: int
                   ) -> list[tuple[int, int]]:
    """Every (persons, resource-strong) of class ``c`` with ``0 <= r <= n <= cap`` that
    gives the published part (percentage points)."""
    sign = 1.0 if c in _ENTRANTS else -1.0
    k = sign * part * N0 * N1 / 100.0  # = N0 r - R0 n
    out = []
    for n in range(cap + 1):
        r = (k + R0 * n) / N0
        if abs(r - round(r)) < 1e-6 and 0 <= round(r) <= n:
            out.append((n, int(round(r))))
    return out


def decomposition_truth(rel_truth: ReleaseFolder, plausible_share: float = 0.25
                        ) -> dict[str, float]:
    """The persons of every class, solved from a release that publishes every part
    (each part alone; a class with several solutions is left out)."""
    dec = rel_truth.table("flows_decomposition")
    fs = rel_truth.rows("flows_by_status")
    out: dict[str, float] = {}
    if dec is None or not fs:
        return out
    for rec in dec.to_dict("records"):
        y, c, v = int(rec["year"]), str(rec["term"]), rec["estimate"]
        if c not in CLASSES or pd.isna(v) or (str(y + 1), "all") not in fs:
            continue
        pop = {yy: {g: _val(fs.get((str(yy), g)), "population")
                    for g in ("resource_strong", "not_resource_strong")} for yy in (y, y + 1)}
        if any(x is None for d in pop.values() for x in d.values()):
            continue
        r0 = int(pop[y]["resource_strong"])
        n0 = r0 + int(pop[y]["not_resource_strong"])
        n1 = int(pop[y + 1]["resource_strong"] + pop[y + 1]["not_resource_strong"])
        sols = part_solutions(float(v), c, n0, r0, n1, max(1, int(plausible_share
                                                                    * min(n0, n1))))
        if len(sols) == 1:
            base = f"flows_decomposition[{y}, {c}]"
            out[f"{base} persons"] = sols[0][0]
            out[f"{base} resource-strong"] = sols[0][1]
            out[f"{base} not resource-strong"] = sols[0][0] - sols[0][1]
    return out


def cell_truth(rel_truth: ReleaseFolder) -> dict[str, float]:
    """Every count cell of a release without suppression, by name."""
    s = System()
    out = {}
    for name in COUNT_TABLES:
        if rel_truth.table(name) is None:
            continue
        for (k, c), e in cells_of(s, rel_truth, name).items():
            if e.known:
                out[str(Ref(name, k, c))] = e.const
    return out


def unsound(findings: Iterable[Finding], truth: Mapping[str, float]) -> list[str]:
    """Findings whose interval misses the true value: the attacker's model is wrong."""
    bad = []
    for f in findings:
        v = truth.get(f.cell)
        if v is None or f.interval is None:
            continue
        iv = f.interval
        if not (iv.ilo - 1e-6 * max(1, abs(v)) <= v <= iv.ihi + 1e-6 * max(1, abs(v))):
            bad.append(f"{f} (truth {v:g})")
    return bad


def summarise(findings: Iterable[Finding]) -> dict[str, dict[str, int]]:
    """Counts of findings by table and status."""
    out: dict[str, dict[str, int]] = {}
    for f in findings:
        table = f.cell.split("[")[0].split(" ")[0]
        out.setdefault(table, {}).setdefault(f.status, 0)
        out[table][f.status] += 1
    return out


def release_from_frames(path: str | Path, tables: Mapping[str, pd.DataFrame],
                        manifest: Mapping | None = None) -> ReleaseFolder:
    """Write hand-made tables as a release folder (for self-tests)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(path / f"{name}.csv", index=False)
    if manifest is not None:
        (path / "manifest.json").write_text(json.dumps(manifest))
    return ReleaseFolder(path)


__all__ = [
    "CLASSES", "COUNT_TABLES", "EXACT", "FAMILIES", "THRESHOLD", "DidLayout", "Expr",
    "Finding", "Inconsistent", "Interval", "Ref", "ReleaseFolder", "Study", "System",
    "attack", "bounds_with_disjunctions", "build", "cell_truth", "decomposition_attack",
    "decomposition_truth", "did_disjunctions", "part_solutions", "unsound",
    "did_exact", "did_models_from_cells", "disclosed", "hidden_truth", "judge_union",
    "possible_values", "km_attack",
    "ref", "release_from_frames", "report_attack", "required_width", "summarise", "total",
]
