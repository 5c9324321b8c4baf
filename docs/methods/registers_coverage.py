"""The coverage table of docs/methods/registers.md: the study's intervals on synthetic registers.

    OPENBLAS_NUM_THREADS=1 python docs/methods/registers_coverage.py [SEEDS] [PERSONS] [CSV]

For each world (the default, the referee's world of cohort.synth.REFEREE_WORLD, and
the referee's world with a pre-trend) and each seed 1 ... SEEDS, synthetic
registers of PERSONS persons are written to a temporary folder, and the bundled
study's difference-in-differences and survival analyses compute their tables
(the same ``compute`` the study runs, before disclosure control: coverage is a
property of the estimator, not of what a release may show). Every interval they
release is compared with the truth the registers were built with
(``truth_rows``): the planted effect on the children each estimate is about.
Prints a markdown table of the share of intervals that contain the truth (with
the mean bias and the mean width) and writes one row per interval and seed to CSV
(default registers_coverage.csv). Seeded: the same arguments give the same table.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from cohort.extract import read_extract
from cohort.panels import child_panel
from cohort.study.analyses import ANALYSES
from cohort.study.analyses._base import Context
from cohort.study.spec import load_study
from cohort.synth import REFEREE_WORLD, WorldOptions, synthesise, truth

STUDY = Path(__file__).resolve().parents[2] / "cohort" / "study" / "bagsvaerd.toml"

#: The worlds of the table (name: options).
WORLDS: dict[str, WorldOptions] = {
    "default": WorldOptions(),
    "referee": REFEREE_WORLD,
    "referee, pre-trend 0.01": replace(REFEREE_WORLD, pre_trend=0.01),
}


def treatment_effects(ex, kids: pd.DataFrame, target: str) -> pd.Series:
    """The planted effect on each child of the panel (share scale).

    ``truth.ATT`` of its exam year when the child lives in the target on 1 January
    of its exam year (the unit whose share it gets), else 0.
    """
    from cohort.engine.residence import address_on

    keys = pd.DataFrame({"pid": kids["pid"].to_numpy(),
                         "date": pd.to_datetime([dt.date(int(y), 1, 1)
                                                 for y in kids["exam_year"]])})
    where = address_on(ex, keys).df().drop_duplicates(["pid", "date"])
    where["exam_year"] = where["date"].dt.year
    m = kids[["pid", "exam_year"]].merge(where[["pid", "exam_year", "area"]],
                                        on=["pid", "exam_year"], how="left")
    att = m["exam_year"].map(lambda y: truth.ATT.get(int(y), 0.0)).to_numpy(dtype=float)
    return pd.Series(np.where(m["area"].to_numpy() == target, att, 0.0), index=kids.index)


def did_truths(kids: pd.DataFrame, tau: pd.Series, target: str, first: int,
               reference_year: int) -> dict:
    """The truth of every DiD estimate: differences of mean planted effects.

    The event-time coefficient of exam year y: the mean effect on the estate's
    baseline children of y minus that on the comparison children of y (children who
    moved from a comparison estate into the estate carry the effect too), minus the
    same at the reference year (zero: no effect before the start). The TWFE and
    the dose bins: the children-weighted mean of the post-year truths of their
    exam years; the slope per year of dose: the weighted least-squares slope of
    those truths on the dose.
    """
    d = kids.assign(tau=tau.to_numpy())
    g = d.groupby(["exam_year", d["area"] == target])["tau"].mean().unstack()
    diff = (g.get(True, 0.0) - g.get(False, 0.0)).fillna(0.0)
    by_year = diff - diff.get(reference_year, 0.0)
    n_t = d[d["area"] == target].groupby("exam_year").size()
    post = [y for y in by_year.index if y >= first]
    w = n_t.reindex(post).fillna(0).to_numpy(dtype=float)
    vals = by_year.reindex(post).to_numpy(dtype=float)
    twfe = float(np.average(vals, weights=w)) if w.sum() else float("nan")
    dose = d[d["area"] == target].groupby("exam_year")["dose_itt"].first().reindex(post)
    x = dose.to_numpy(dtype=float)
    if len(post) >= 2 and np.ptp(x) > 0:
        xm = np.average(x, weights=w)
        slope = float(np.sum(w * (x - xm) * (vals - np.average(vals, weights=w)))
                      / np.sum(w * (x - xm) ** 2))
    else:
        slope = float("nan")
    return {"by_year": by_year, "twfe": twfe, "n_target": n_t, "post": post,
            "dose": dose, "slope": slope}


def _years(label: str) -> list[int]:
    a, _, b = str(label).partition("-")
    return list(range(int(a), int(b or a) + 1))


def did_rows(tabs: dict, t: dict, first: int) -> list[dict]:
    """One row per released DiD interval: estimate, interval, truth."""
    rows = []
    by_year, n_t = t["by_year"], t["n_target"]

    def add(table, term, est, lo, hi, truth_value):
        rows.append({"table": table, "term": term, "estimate": float(est),
                     "conf_low": float(lo), "conf_high": float(hi),
                     "truth": float(truth_value)})

    tw = tabs["twfe"].iloc[0]
    add("did_twfe", "att_twfe", tw["estimate"], tw["conf_low"], tw["conf_high"], t["twfe"])
    es = tabs["event_study"]
    crit = float(tabs["event_study_band"]["crit"].iloc[0])
    band_ok = True
    for _, r in es.iterrows():
        y = first + int(str(r["term"]).removeprefix("e="))
        tv = float(by_year.get(y, 0.0))
        kind = "post" if y >= first else "pre"
        add("did_event_study", f"e ({kind})", r["estimate"], r["conf_low"], r["conf_high"], tv)
        band_ok &= abs(r["estimate"] - tv) <= crit * r["std_error"]
    add("did_event_study", "sup-t band (all e)", 0.0, -1.0 if band_ok else 1.0,
        1.0 if band_ok else 2.0, 0.0)
    if "honest" in tabs:
        post = t["post"]
        avg = float(np.mean([by_year.get(y, 0.0) for y in post]))  # l_vec = average
        for _, r in tabs["honest"].iterrows():
            add("did_honest", f"att_average_post, Mbar {r['mbar']}", r["estimate"],
                r["conf_low"], r["conf_high"], avg)
    if "placebo" in tabs:
        for _, r in tabs["placebo"].iterrows():
            add("did_placebo", "placebo_start", r["estimate"], r["conf_low"], r["conf_high"],
                0.0)
    for _, r in tabs["dose"].iterrows():
        if r["term"] == "slope_per_year":
            tv = t["slope"]
        else:
            ys = [y for y in (t["post"] if r["dose_years"] == "all" else _years(r["exam_years"]))
                  if y in by_year.index]
            w = n_t.reindex(ys).fillna(0).to_numpy(dtype=float)
            tv = float(np.average([by_year[y] for y in ys], weights=w)) if w.sum() else math.nan
        add("did_dose", str(r["term"]) + ("" if r["dose_years"] == "all"
                                           else f" {r['dose_years']}"),
            r["estimate"], r["conf_low"], r["conf_high"], tv)
    for _, r in tabs["one_treated"].iterrows():  # unbounded: labelled descriptive
        add("did_one_treated", f"{r['term']} ({r['interval']})", r["estimate"],
            r["conf_low"], r["conf_high"], t["twfe"])
    for _, r in tabs["youth_support"].iterrows():  # no planted effect on youth support
        label = "att_twfe" if r["term"] == "att_twfe" else f"{r['term']} ({r['interval']})"
        add("did_youth_support", label, r["estimate"], r["conf_low"], r["conf_high"], 0.0)
    return rows


def survival_rows(tabs: dict, kids_years: range) -> list[dict]:
    """The Cox model's hazard ratios against the planted ones (log scale).

    Before the start (exam years up to 2015) the planted log hazard ratio of the
    estate against the rest of Gladsaxe is ``truth.BETA_ESTATE``; after it, the
    mean of ``log truth.HR_ESTATE_TREATED`` over the exam years; the pooled model
    mixes the two in proportion to the exposed children of each period
    (approximately: a Cox model over a non-proportional mixture estimates a
    weighted average).
    """
    rows = []
    after = float(np.mean([math.log(v) for v in truth.HR_ESTATE_TREATED.values()]))
    start = truth.INTERVENTION_FIRST_EXAM_YEAR
    n_before = sum(1 for y in kids_years if y < start)
    n_after = sum(1 for y in kids_years if y >= start)
    pooled = (n_before * truth.BETA_ESTATE + n_after * after) / (n_before + n_after)
    if "cox" in tabs:
        r = tabs["cox"].set_index("term").loc["exposed"]
        rows.append({"table": "survival_cox", "term": "exposed (log HR)",
                     "estimate": r["estimate"], "conf_low": r["conf_low"],
                     "conf_high": r["conf_high"], "truth": pooled})
    if "cox_by_period" in tabs:
        for _, r in tabs["cox_by_period"].iterrows():
            if r["term"] != "exposed":
                continue
            tv = truth.BETA_ESTATE if str(r["period"]).startswith("before") else after
            rows.append({"table": "survival_cox_by_period",
                         "term": f"exposed, {r['period']} (log HR)",
                         "estimate": r["estimate"], "conf_low": r["conf_low"],
                         "conf_high": r["conf_high"], "truth": tv})
    return rows


def one_seed(seed: int, persons: int, world: WorldOptions, spec, tmp: Path) -> list[dict]:
    """Synthesise, compute, compare: the rows of one seed."""
    out = tmp / f"x{seed}"
    try:
        synthesise(out, persons=persons, seed=seed, world=None if world.default else world)
    except Exception as err:  # noqa: BLE001 - counted in the table, the run goes on
        shutil.rmtree(out, ignore_errors=True)
        return [{"seed": seed, "table": "synthesis (left out)", "term": type(err).__name__}]
    ex = read_extract(out)
    rows: list[dict] = []
    try:
        u = spec.units
        ctx = Context(extract=ex, spec=spec)
        did = ANALYSES["did"]
        p = did.validate(dict(spec.analyses["did"]), where="did",
                         intervention=spec.intervention)
        first = p["first_treated_exam_year"]
        try:
            tabs = did.compute(ctx, p)
        except Exception as err:  # noqa: BLE001 - a seed the design cannot use is counted
            rows.append({"table": "did (left out)", "term": type(err).__name__})
        else:
            years = range(p["exam_years"][0], p["exam_years"][1] + 1)
            kids = child_panel(ex, target=u.target, comparison=list(u.comparison),
                               exam_years=list(years),
                               baseline_years_before=p["baseline_years_before"],
                               start=dt.date(first, 1, 1))
            kids = kids[kids["exam_year"].isin(set(tabs["panel"]["exam_year"]))]
            present = sorted(set(kids["exam_year"]))
            reference = max(y for y in present if y < first)
            t = did_truths(kids, treatment_effects(ex, kids, u.target), u.target, first,
                           reference)
            rows += did_rows(tabs, t, first)
        sv = ANALYSES["survival"]
        ps = sv.validate(dict(spec.analyses["survival"]), where="survival",
                         intervention=spec.intervention)
        try:
            stabs = sv.compute(ctx, ps)
        except Exception as err:  # noqa: BLE001
            rows.append({"table": "survival (left out)", "term": type(err).__name__})
        else:
            by = ps["birth_years"]
            rows += survival_rows(stabs, range(by[0] + 16, by[1] + 17))
    finally:
        ex.close()
        shutil.rmtree(out, ignore_errors=True)
    return [{"seed": seed, **r} for r in rows]


def run(seeds: int, persons: int, worlds: dict[str, WorldOptions] | None = None) -> pd.DataFrame:
    """Every interval of every seed and world, one row each."""
    spec = load_study(STUDY)
    worlds = WORLDS if worlds is None else worlds
    out = []
    with tempfile.TemporaryDirectory(prefix="cohort-coverage-") as tmp:
        for name, world in worlds.items():
            for seed in range(1, seeds + 1):
                for r in one_seed(seed, persons, world, spec, Path(tmp)):
                    out.append({"world": name, **r})
                print(f"{name}: seed {seed}", file=sys.stderr, flush=True)
    df = pd.DataFrame(out)
    df["covered"] = (df["conf_low"] <= df["truth"]) & (df["truth"] <= df["conf_high"])
    return df


def _signed(v: float) -> str:
    return "" if pd.isna(v) else f"{v:+.3f}"


def table(df: pd.DataFrame) -> str:
    """The markdown table: coverage, mean bias and mean width per interval and world."""
    ok = df.dropna(subset=["truth", "conf_low", "conf_high"])
    worlds = list(dict.fromkeys(df["world"]))
    g = ok.assign(bias=ok["estimate"] - ok["truth"], width=ok["conf_high"] - ok["conf_low"],
                  bounded=np.isfinite(ok["conf_low"]) & np.isfinite(ok["conf_high"]))
    band = g["term"].str.startswith("sup-t")
    g.loc[band, ["bias", "width"]] = np.nan
    s = g.groupby(["table", "term", "world"]).agg(
        n=("covered", "size"), coverage=("covered", "mean"), bias=("bias", "mean"),
        width=("width", "mean"), bounded=("bounded", "mean")).reset_index()
    head = "| table | interval | " + " | ".join(
        f"{w}: coverage (n) | bias | width" for w in worlds) + " |"
    lines = [head, "| --- | --- | " + " | ".join("---: | ---: | ---:" for _ in worlds) + " |"]
    order = list(dict.fromkeys(zip(df["table"], df["term"], strict=True)))
    for tab, term in order:
        cells = []
        for w in worlds:
            r = s[(s["table"] == tab) & (s["term"] == term) & (s["world"] == w)]
            if r.empty:
                cells.append("- | - | -")
                continue
            r = r.iloc[0]
            if r["bounded"] == 0:  # never an interval: the table says descriptive
                cells.append(f"unbounded ({r['n']}) | {_signed(r['bias'])} | ")
                continue
            cells.append(f"{r['coverage']:.3f} ({r['n']}) | {_signed(r['bias'])} | "
                         f"{'' if pd.isna(r['width']) else format(r['width'], '.3f')}")
        if any(c != "- | - | -" for c in cells):
            lines.append(f"| {tab} | {term} | " + " | ".join(cells) + " |")
    left = df[df["table"].str.endswith("(left out)")]
    if len(left):
        lines.append("")
        for (w, tab), n in left.groupby(["world", "table"]).size().items():
            lines.append(f"- {w}: {tab} on {n} seeds")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Run, write the CSV, print the table."""
    seeds = int(argv[0]) if argv else 100
    persons = int(argv[1]) if len(argv) > 1 else 40_000
    csv = Path(argv[2]) if len(argv) > 2 else Path("registers_coverage.csv")
    df = run(seeds, persons)
    df.to_csv(csv, index=False)
    print(f"{seeds} seeds, {persons:,} persons\n")
    print(table(df))


if __name__ == "__main__":
    main(sys.argv[1:])
