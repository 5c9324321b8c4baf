"""Difference in differences with a continuous treatment dose.

The dose is how much of the treatment a unit received, e.g. the years of
childhood a child lived in the estate after the intervention began (younger
children get more). Zero is untreated: every pre-period observation and every
observation of a comparison unit. Following Callaway, Goodman-Bacon & Sant'Anna
(2024, "Difference-in-differences with a continuous treatment"), the target is
the dose-response ``ATT(d)``, the average effect of dose ``d`` on the units that
received ``d``, and its derivative, the average causal response ``ACRT(d)``.

The model is a regression with unit (or area) and period fixed effects and a
flexible function of the dose that is zero at zero,

    y_it = a_i + l_t + f(d_it) + e_it,     f(0) = 0,

``f`` from one of four bases: ``linear`` (``b d``: the usual TWFE continuous
treatment), ``affine`` (``b0 1{d>0} + b1 d``: a jump at the start and a slope),
``bins`` (one level per dose interval, nonparametric when every dose value has
its own bin) and ``spline`` (a jump and a B-spline of the positive doses). Under
parallel trends ``f(d)`` identifies ``ATT(d)`` for the doses observed; reading
its slope as a causal response needs *strong* parallel trends (units with
different doses would have responded alike), which Callaway, Goodman-Bacon &
Sant'Anna show the data cannot test. The fixed effects are absorbed
(:func:`cohort.did._twfe.demean_two_way`); standard errors are cluster-robust
(CR1), heteroskedasticity-robust (HC1) without ``cluster``.

Written here rather than taken from a library: moderndid's ``cont_did`` needs a
panel with one dose per unit and does not take the repeated cross-sections of
children by cohort that the registers give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.interpolate import BSpline
from scipy.stats import norm
from scipy.stats import t as student_t

from cohort._params import check_literal
from cohort.did._prep import check_columns
from cohort.did._twfe import _codes, demean_two_way, ols_cluster
from cohort.did.results import _frozen, _table_html, _table_text
from cohort.exceptions import DataError, ModelError, ParameterError

__all__ = ["DoseResult", "dose_response"]

Basis = Literal["linear", "affine", "bins", "spline"]


@dataclass(frozen=True)
class _DoseBasis:
    """The columns ``f`` is built from, and their derivatives, at any dose."""

    kind: str
    edges: np.ndarray | None = None  # bins: rows (lo, hi], right-closed intervals
    knots: np.ndarray | None = None  # spline: full knot vector
    degree: int = 3

    def names(self) -> list[str]:
        if self.kind == "linear":
            return ["dose"]
        if self.kind == "affine":
            return ["treated", "dose"]
        if self.kind == "bins":
            return [f"dose({lo:g},{hi:g}]" for lo, hi in self.edges]
        n = len(self.knots) - self.degree - 1
        return ["treated"] + [f"spline{k}" for k in range(1, n)]

    def _spline(self, d: np.ndarray, nu: int) -> np.ndarray:
        n = len(self.knots) - self.degree - 1
        lo, hi = self.knots[0], self.knots[-1]
        x = np.clip(d, lo, hi)
        out = np.empty((len(d), n))
        for k in range(n):
            c = np.zeros(n)
            c[k] = 1.0
            out[:, k] = BSpline(self.knots, c, self.degree, extrapolate=False)(x, nu)
        return np.nan_to_num(out)[:, 1:]  # the B-splines sum to 1: drop one against the jump

    def values(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, dtype=float)
        pos = (d > 0).astype(float)
        if self.kind == "linear":
            return d[:, None]
        if self.kind == "affine":
            return np.column_stack([pos, d])
        if self.kind == "bins":
            return np.column_stack([((d > lo) & (d <= hi)).astype(float)
                                    for lo, hi in self.edges])
        return np.column_stack([pos, self._spline(d, 0) * pos[:, None]])

    def derivatives(self, d: np.ndarray) -> np.ndarray:
        d = np.asarray(d, dtype=float)
        pos = (d > 0).astype(float)
        if self.kind == "linear":
            return np.ones((len(d), 1))
        if self.kind == "affine":
            return np.column_stack([np.zeros(len(d)), np.ones(len(d))])
        if self.kind == "bins":
            return np.full((len(d), len(self.edges)), np.nan)
        return np.column_stack([np.zeros(len(d)), self._spline(d, 1) * pos[:, None]])


def _make_basis(dose_pos: np.ndarray, basis: str, bins, n_knots: int, degree: int) -> _DoseBasis:
    if basis in ("linear", "affine"):
        return _DoseBasis(basis)
    if basis == "bins":
        if bins is None:
            edges = np.r_[0.0, np.unique(dose_pos)]
        else:
            edges = np.asarray(bins, dtype=float)
            if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0:
                msg = ("bins must be increasing dose edges starting at 0 or above, e.g. "
                       f"[0, 1, 2, 3]; got {list(bins)!r}")
                raise ParameterError(msg)
            outside = (dose_pos <= edges[0]) | (dose_pos > edges[-1])
            if outside.any():
                msg = (f"{int(outside.sum())} positive doses lie outside the bins "
                       f"({edges[0]:g}, {edges[-1]:g}]")
                raise DataError(msg)
        pairs = np.column_stack([edges[:-1], edges[1:]])
        used = [((dose_pos > lo) & (dose_pos <= hi)).any() for lo, hi in pairs]
        return _DoseBasis("bins", edges=pairs[used])  # a bin without doses has no ATT
    if not isinstance(n_knots, int) or n_knots < 0:
        msg = f"n_knots must be a whole number >= 0; got {n_knots!r}"
        raise ParameterError(msg)
    if not isinstance(degree, int) or not 1 <= degree <= 5:
        msg = f"degree must be a whole number from 1 to 5; got {degree!r}"
        raise ParameterError(msg)
    lo, hi = float(dose_pos.min()), float(dose_pos.max())
    if hi <= lo:
        msg = "a spline of the dose needs at least two different positive doses"
        raise DataError(msg)
    inner = np.quantile(dose_pos, np.linspace(0, 1, n_knots + 2)[1:-1]) if n_knots else []
    knots = np.r_[np.repeat(lo, degree + 1), inner, np.repeat(hi, degree + 1)]
    return _DoseBasis("spline", knots=knots, degree=degree)


@dataclass(frozen=True)
class DoseResult:
    """Dose-response of a continuous-treatment DiD from :func:`dose_response`.

    ``coef``/``vcov`` belong to the basis columns ``terms``; ``grid`` holds the
    doses ``ATT(d)`` and ``ACRT(d)`` are reported at (the distinct positive
    doses, for ``bins`` the mean dose in each bin, or the grid asked for);
    ``att_o`` and ``acrt_o`` are the averages of ``ATT(d)`` and ``ACRT(d)`` over
    the treated observations (dose > 0). ``bins`` holds the ``(lo, hi]`` rows of
    the dose bins (``bins`` basis only).
    """

    basis: str
    terms: tuple[str, ...]
    coef: np.ndarray
    vcov: np.ndarray
    grid: np.ndarray
    att: np.ndarray
    att_se: np.ndarray
    acrt: np.ndarray
    acrt_se: np.ndarray
    att_o: float
    att_o_se: float
    acrt_o: float
    acrt_o_se: float
    n_obs: int
    n_treated: int
    n_clusters: int | None
    df_resid: float
    alp: float
    notes: tuple[str, ...] = ()
    bins: np.ndarray | None = None

    def __post_init__(self) -> None:
        _frozen(self.coef, self.vcov, self.grid, self.att, self.att_se, self.acrt, self.acrt_se,
                self.bins)

    def _q(self) -> float:
        if self.n_clusters is None:
            return float(norm.ppf(1 - self.alp / 2))
        return float(student_t.ppf(1 - self.alp / 2, self.df_resid))

    def _p(self, stat: np.ndarray) -> np.ndarray:
        if self.n_clusters is None:
            return 2 * norm.sf(np.abs(stat))
        return 2 * student_t.sf(np.abs(stat), self.df_resid)

    def tidy(self) -> pd.DataFrame:
        """The overall parameters ``ATT_o`` and ``ACRT_o`` (averages over the treated).

        Columns ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``. ``ACRT_o`` is NaN for ``bins``.
        """
        est = np.array([self.att_o, self.acrt_o])
        se = np.array([self.att_o_se, self.acrt_o_se])
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = est / se
        q = self._q()
        return pd.DataFrame({
            "term": ["ATT_o", "ACRT_o"], "estimate": est, "std_error": se, "statistic": stat,
            "p_value": self._p(stat), "conf_low": est - q * se, "conf_high": est + q * se,
        })

    def curve(self) -> pd.DataFrame:
        """``ATT(d)`` and ``ACRT(d)`` at each dose of ``grid``, with pointwise intervals.

        Columns ``dose, att, att_std_error, att_conf_low, att_conf_high, acrt,
        acrt_std_error, acrt_conf_low, acrt_conf_high``.
        """
        q = self._q()
        return pd.DataFrame({
            "dose": self.grid, "att": self.att, "att_std_error": self.att_se,
            "att_conf_low": self.att - q * self.att_se,
            "att_conf_high": self.att + q * self.att_se,
            "acrt": self.acrt, "acrt_std_error": self.acrt_se,
            "acrt_conf_low": self.acrt - q * self.acrt_se,
            "acrt_conf_high": self.acrt + q * self.acrt_se,
        })

    def _notes(self) -> tuple[str, ...]:
        cl = f"; {self.n_clusters} clusters" if self.n_clusters is not None else ""
        return (f"dose basis {self.basis}: {self.n_obs} observations, {self.n_treated} "
                f"with a positive dose{cl}",) + self.notes

    def summary(self) -> str:
        """Text table of the overall parameters."""
        return _table_text("Continuous-dose difference in differences", self.tidy(),
                           self._notes())

    def _repr_html_(self) -> str:
        return _table_html("Continuous-dose difference in differences", self.tidy(),
                           self._notes())

    def plot(self, *, what: Literal["att", "acrt"] = "att", ax: Any = None,
             title: str | None = None):
        """``ATT(d)`` (or ``ACRT(d)``) against the dose with pointwise intervals.

        :func:`cohort.did.plots.plot_dose` of :meth:`curve` as a tidy table
        (``term`` ``att_dose`` or ``acrt_dose``, ``dose, estimate, std_error,
        conf_low, conf_high``): points for ``bins``, a curve with a band otherwise.
        """
        check_literal("what", what, ("att", "acrt"))
        from cohort.did.plots import plot_dose

        c = self.curve()
        table = pd.DataFrame({
            "term": f"{what}_dose", "dose": c["dose"], "estimate": c[what],
            "std_error": c[f"{what}_std_error"], "conf_low": c[f"{what}_conf_low"],
            "conf_high": c[f"{what}_conf_high"],
        })
        return plot_dose(table, term=f"{what}_dose", ax=ax,
                         style="points" if self.basis == "bins" else "line",
                         ylabel="ATT(d)" if what == "att" else "ACRT(d)",
                         title=title or ("Dose-response" if what == "att"
                                         else "Average causal response"))


def dose_response(
    data: pd.DataFrame,
    *,
    yname: str,
    dname: str,
    idname: str,
    tname: str,
    basis: Basis = "linear",
    bins: Any = None,
    n_knots: int = 1,
    degree: int = 3,
    cluster: str | None = None,
    grid: Any = None,
    alp: float = 0.05,
    inference: str = "cluster",
) -> DoseResult:
    """Dose-response difference in differences with unit and period fixed effects.

    Parameters
    ----------
    data
        One row per observation (a unit-period, or a person in a unit and period).
    yname, dname
        The outcome and the dose (>= 0; 0 = untreated).
    idname, tname
        The fixed effects: the unit (e.g. the area) and the period (e.g. the exam year).
    basis
        ``"linear"``, ``"affine"``, ``"bins"`` or ``"spline"`` (see the module).
    bins
        For ``basis="bins"``: increasing edges, each bin ``(e_k, e_k+1]``; default one
        bin per distinct positive dose. Bins no dose falls in are left out.
    n_knots, degree
        For ``basis="spline"``: interior knots (at quantiles of the positive doses)
        and the degree.
    cluster
        Column to cluster standard errors by (CR1, t with G - 1 df); HC1 and the
        normal distribution without it. With one treated area, clustering by area is
        not valid: use :func:`randomization_inference` on area-level estimates instead.
    inference
        ``"cluster"`` (the default: CR1 by ``cluster``, HC1 without) or
        ``"area_year"``: SEs from the ``idname`` x ``tname`` cells, for
        individual-level data whose dose is constant within a cell (see
        :func:`cohort.did.twfe`); t with the cells' residual degrees of freedom.
    grid
        Doses to report ``ATT(d)``/``ACRT(d)`` at; default the distinct positive doses
        (at most 50, evenly spaced over their range when there are more), and for
        ``bins`` the mean dose in each bin.
    alp
        1 - confidence level.

    Examples
    --------
    >>> import pandas as pd
    >>> from cohort.did import dose_response
    >>> d = pd.DataFrame({"i": [1, 1, 2, 2, 3, 3, 4, 4], "t": [1, 2] * 4,
    ...                   "dose": [0, 2., 0, 1., 0, 0, 0, 0],
    ...                   "y": [1., 4., 2., 3.5, 0., 1., 1., 3.]})
    >>> r = dose_response(d, yname="y", dname="dose", idname="i", tname="t", basis="bins")
    >>> [round(float(v), 6) for v in r.att]  # ATT(1), ATT(2): DiD against units 3 and 4
    [0.0, 1.5]

    """
    check_literal("basis", basis, ("linear", "affine", "bins", "spline"))
    check_literal("inference", inference, ("cluster", "area_year"))
    if not 0 < alp < 1:
        msg = f"alp must lie strictly between 0 and 1; got {alp!r}"
        raise ParameterError(msg)
    cols = list(dict.fromkeys([c for c in (yname, dname, idname, tname, cluster) if c]))
    check_columns(data, {"yname": yname, "dname": dname, "idname": idname, "tname": tname,
                         "cluster": cluster})
    df = data[cols].dropna()
    if len(df) == 0:
        msg = "no complete rows in the columns used"
        raise DataError(msg)
    dose = df[dname].to_numpy(dtype=float)
    if (dose < 0).any():
        msg = (f"column {dname!r}: the dose must be >= 0 (0 = untreated); "
               f"{int((dose < 0).sum())} rows are negative")
        raise DataError(msg)
    pos = dose > 0
    if not pos.any() or pos.all():
        msg = f"column {dname!r}: needs both untreated (dose 0) and treated (dose > 0) rows"
        raise DataError(msg)
    b = _make_basis(dose[pos], basis, bins, n_knots, degree)
    x = b.values(dose)
    unit, n_u = _codes(df[idname])
    time, n_t = _codes(df[tname])
    mat = demean_two_way(np.column_stack([df[yname].to_numpy(dtype=float), x]), unit, time)
    cl = df[cluster].to_numpy() if cluster else np.arange(len(df))
    try:
        coef, vcov, _, g = ols_cluster(mat[:, 0], mat[:, 1:], cl, k_absorbed=n_u + n_t - 1)
    except ModelError:
        msg = ("the dose terms are collinear with the fixed effects: some dose bin or "
               "spline column has no variation left (too few doses or periods)")
        raise ModelError(msg) from None
    area_year = None
    if inference == "area_year":
        from cohort.did._area_year import area_year_vcov

        vcov, dof, area_year = area_year_vcov(df[yname].to_numpy(dtype=float), x, unit, time)
        g = int(area_year["cells"])

    if grid is None and basis == "bins":
        grid_v = np.array([dose[pos][(dose[pos] > lo) & (dose[pos] <= hi)].mean()
                           for lo, hi in b.edges])
    elif grid is None:
        levels = np.unique(dose[pos])
        grid_v = levels if len(levels) <= 50 else np.linspace(levels[0], levels[-1], 50)
    else:
        grid_v = np.asarray(grid, dtype=float).ravel()
        if grid_v.size == 0 or (grid_v <= 0).any():
            msg = "grid must hold positive doses"
            raise ParameterError(msg)
    gx, gd = b.values(grid_v), b.derivatives(grid_v)
    att = gx @ coef
    att_se = np.sqrt(np.einsum("ij,jk,ik->i", gx, vcov, gx))
    if basis == "bins":
        acrt = acrt_se = np.full(len(grid_v), np.nan)
        acrt_o = acrt_o_se = float("nan")
    else:
        acrt = gd @ coef
        acrt_se = np.sqrt(np.einsum("ij,jk,ik->i", gd, vcov, gd))
        md = b.derivatives(dose[pos]).mean(axis=0)
        acrt_o, acrt_o_se = float(md @ coef), float(np.sqrt(md @ vcov @ md))
    mx = x[pos].mean(axis=0)
    notes = []
    if area_year is not None:
        notes.append(f"SEs from {g} area-period cells (area-period shock sd "
                     f"{area_year['sd_area_year']:.4g}, estimated; t with {dof:.0f} df)")
    elif cluster:
        notes.append(f"SEs clustered by {cluster}")
    else:
        notes.append("heteroskedasticity-robust (HC1) SEs")
    if basis != "bins":
        notes.append("ACRT reads the slope of ATT(d) causally only under strong parallel trends")
    return DoseResult(
        basis=basis, terms=tuple(b.names()), coef=coef, vcov=vcov, grid=grid_v, att=att,
        att_se=att_se, acrt=acrt, acrt_se=acrt_se, att_o=float(mx @ coef),
        att_o_se=float(np.sqrt(mx @ vcov @ mx)), acrt_o=acrt_o, acrt_o_se=acrt_o_se,
        n_obs=len(df), n_treated=int(pos.sum()),
        n_clusters=g if (cluster or area_year is not None) else None,
        df_resid=float(dof) if area_year is not None else float(g - 1), alp=alp,
        notes=tuple(notes),
        bins=b.edges if basis == "bins" else None,
    )
