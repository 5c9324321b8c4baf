"""A seeded coverage simulation for the Cox CI, and the figures."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cohort.exceptions import ParameterError
from cohort.survival import (
    aalen_johansen,
    cox,
    fine_gray,
    kaplan_meier,
    plot_km,
    poisson_rates,
)


def test_cluster_robust_se_ignores_duplicated_rows():
    """Each subject entered twice: the naive SE shrinks by sqrt(2); the SE robust
    to clustering on the subject equals the robust SE of the data entered once."""
    rng = np.random.default_rng(21)
    n = 150
    df = pd.DataFrame(
        {
            "t": rng.integers(1, 40, n).astype(float),
            "d": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "id": np.arange(n),
        }
    )
    once = cox(df, time="t", event="d", covariates="x", cluster="id", ties="breslow")
    twice = cox(
        pd.concat([df, df]), time="t", event="d", covariates="x", cluster="id", ties="breslow"
    )
    assert twice.coef[0] == pytest.approx(once.coef[0], rel=1e-10)
    assert twice.naive_std_error[0] == pytest.approx(
        once.naive_std_error[0] / np.sqrt(2), rel=1e-10
    )
    assert twice.std_error[0] == pytest.approx(once.std_error[0], rel=1e-10)


def test_cox_ci_coverage_independent_data():
    """Seeded: 200 replications with HR 1.5 and tied times; 95 % CIs must cover
    between 90 % and 99 % of the time (fails for an SE off by ~25 %)."""
    rng = np.random.default_rng(12345)
    beta = np.log(1.5)
    reps, covered, covered_robust = 200, 0, 0
    for _ in range(reps):
        n = 200
        x = rng.normal(size=n)
        t = rng.exponential(1 / np.exp(beta * x))
        c = rng.exponential(1.5, n)
        df = pd.DataFrame(
            {
                "t": np.ceil(np.minimum(t, c) * 50),
                "d": (t <= c).astype(int),
                "x": x,
                "id": np.arange(n),
            }
        )
        fit = cox(df, time="t", event="d", covariates="x", cluster="id", concordance=False)
        lo, hi = fit.tidy().loc[0, ["conf_low", "conf_high"]]
        covered_robust += lo < beta < hi
        z = 1.959963984540054
        se = fit.naive_std_error[0]
        covered += fit.coef[0] - z * se < beta < fit.coef[0] + z * se
    assert 0.90 <= covered / reps <= 0.99
    assert 0.90 <= covered_robust / reps <= 0.99


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    n = 80
    return pd.DataFrame(
        {
            "t": rng.integers(1, 30, n).astype(float),
            "d": rng.integers(0, 2, n),
            "e": rng.integers(0, 3, n),
            "g": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "pt": rng.uniform(1, 3, n),
        }
    )


def _svg(fig: Figure, name: str = "figure") -> bytes:
    """The SVG bytes as ``Release.write_figure`` writes them (fixed metadata and ids)."""
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"cohort-{name}", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cohort"})
    return buf.getvalue()


def _risk_cells(fig: Figure) -> dict[tuple[str, str, float], str]:
    """The KMunicate table as drawn: (group, row, time) -> the text at that cell."""
    tab = fig.axes[1]
    heads, kinds, cells = {}, {}, []
    for t in tab.texts:
        x, y = t.get_position()
        if t.get_transform() == tab.transData:
            cells.append((x, y, t.get_text()))
        elif t.get_ha() == "left":
            heads[y] = t.get_text()
        else:
            kinds[y] = t.get_text()
    out = {}
    for x, y, text in cells:
        group = heads[max(h for h in heads if h < y)]
        out[(group, kinds[y], float(x))] = text
    return out


def _km_risk(km, times) -> pd.DataFrame:
    """A risk table as the study releases it: at risk, cumulative events and censored."""
    at = km.at(times, extend=True)
    risk = at[["g", "time", "n_risk"]].rename(columns={"n_risk": "at_risk"})
    risk["events"] = at.groupby("g", sort=False)["n_event"].cumsum()
    risk["censored"] = at.groupby("g", sort=False)["n_censor"].cumsum()
    return risk


def test_km_plot_has_kmunicate_table(small):
    km = kaplan_meier(small, time="t", event="d", group="g")
    times = [0, 10, 20, 30]
    fig = km.plot(times=times)
    assert isinstance(fig, Figure)
    cells = _risk_cells(fig)
    at = km.at(times, extend=True)
    for g in (0, 1):
        part = at[at["g"] == g]
        for t, n, ev in zip(part["time"], part["n_risk"], part["n_event"].cumsum(), strict=True):
            assert cells[(f"g={g}", "at risk", t)] == f"{int(n):,}"
            assert cells[(f"g={g}", "events", t)] == f"{int(ev):,}"
    assert [float(v) for v in fig.axes[0].get_xticks()] == times


def test_km_plot_is_the_drawing_of_the_released_tables(small, tmp_path):
    """km.plot() and plot_km of the same tables written to CSV and read back: same bytes."""
    km = kaplan_meier(small, time="t", event="d", group="g")
    times = [0, 10, 20, 30]
    km.tidy().to_csv(tmp_path / "km.csv", index=False)
    _km_risk(km, times).to_csv(tmp_path / "risk.csv", index=False)
    redrawn = plot_km(pd.read_csv(tmp_path / "km.csv", float_precision="round_trip"), by="g",
                      risk_table=pd.read_csv(tmp_path / "risk.csv"))
    assert _svg(redrawn) == _svg(km.plot(times=times))
    assert _svg(km.plot(times=times)) == _svg(km.plot(times=times))  # deterministic


def _released_curves():
    exposed = pd.DataFrame({"time": [0.0, 2.0, 5.0, 8.0], "estimate": [1.0, 0.8, 0.6, 0.6],
                            "conf_low": [1.0, 0.7, 0.5, 0.5], "conf_high": [1.0, 0.9, 0.7, 0.7]})
    comparison = exposed.iloc[:0]  # the release withheld the whole curve
    risk = pd.DataFrame({
        "group": ["exposed"] * 3 + ["comparison"] * 3,
        "months": [0, 6, 12] * 2,
        "at_risk": pd.array([40, 24, pd.NA, 30, 22, 15], dtype="Int64"),
        "events": pd.array([0, 16, pd.NA, 0, pd.NA, 9], dtype="Int64"),
        "censored": pd.array([0, 0, 0, 0, pd.NA, 6], dtype="Int64"),
    })
    return {"exposed": exposed, "comparison": comparison}, risk


def test_km_at_risk_numbers_are_the_released_ones_and_suppressed_cells_a_dot():
    curves, risk = _released_curves()
    fig = plot_km(curves, risk_table=risk, risk_time="months", scale="failure", percent=True,
                  horizon=12, labels={"exposed": "estate"})
    cells = _risk_cells(fig)
    for r in risk.itertuples(index=False):
        name = "estate" if r.group == "exposed" else "comparison"
        for col, kind in (("at_risk", "at risk"), ("events", "events"),
                          ("censored", "censored")):
            value = getattr(r, col)
            want = "·" if pd.isna(value) else f"{int(value):,}"
            assert cells[(name, kind, float(r.months))] == want
    assert len(cells) == 3 * len(risk)
    ax = fig.axes[0]
    # the share with the event, in per cent, to the horizon (the curve goes on past it)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "estate"]
    assert line.get_xdata().tolist() == [0.0, 2.0, 5.0, 8.0]
    assert line.get_ydata() == pytest.approx([0.0, 20.0, 40.0, 40.0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["estate", "comparison: curve suppressed"]
    assert [float(v) for v in ax.get_xticks()] == [0.0, 6.0, 12.0]


def test_km_plot_cuts_at_the_horizon_and_refuses_a_table_in_foreign_axes():
    curves, risk = _released_curves()
    fig = plot_km({"exposed": curves["exposed"]}, horizon=6)
    (line,) = fig.axes[0].get_lines()
    assert line.get_xdata().tolist() == [0.0, 2.0, 5.0, 6.0]
    assert line.get_ydata().tolist() == [1.0, 0.8, 0.6, 0.6]
    with pytest.raises(ParameterError, match="risk table"):
        plot_km(curves, risk_table=risk, risk_time="months", ax=fig.axes[0])
    with pytest.raises(ParameterError, match="scale"):
        plot_km(curves, scale="hazard")


def test_other_plots_and_summaries(small):
    assert isinstance(aalen_johansen(small, time="t", event="e").plot(), Figure)
    fit = cox(small, time="t", event="d", covariates="x")
    assert isinstance(fit.plot(), Figure)
    fg = fine_gray(small, time="t", event="e", covariates="x")
    assert "Fine-Gray" in fg.summary()
    pr = poisson_rates(small, events="d", person_time="pt", covariates="x")
    assert isinstance(pr.plot(), Figure)
    km = kaplan_meier(small, time="t", event="d")
    assert "median" in km.summary() and "<pre>" in km._repr_html_()
