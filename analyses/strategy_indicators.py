"""The strategy's table of social balance: Værebro Park next to Gladsaxe Kommune.

Runs the study's ``indicators`` analysis (and, with ``--list-year``, the
``vulnerable_area`` analysis) through the study runner, so every number passes
disclosure control as one release (the strategy's table repeats cells of the
series, and the release protects them together), and prints the six indicators
of definitions §1 for the estate and its municipality, each for the period the
strategy published (January 2018; the school year 2016/17; 2017), in the
strategy's layout next to the published values. Everything printed is read from
the released tables.

    python analyses/strategy_indicators.py --extract path/to/extract
    python analyses/strategy_indicators.py --persons 300000 --seed 1   # synthetic registers
    python analyses/strategy_indicators.py --extract x --out rel --list-year 2019

``--out`` keeps the release (with its manifest and report); without it the
release is written to a temporary folder and removed after printing.
``--figure`` copies the release's figure of the series 2010-2019.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cohort.indicators import INDICATORS
from cohort.indicators._published import indicator_label
from cohort.study import load_study, parse_study, run_study

ESTATE, MUNICIPALITY = "area:vaerebro_park", "municipality:159"
#: the bundled study: its units, names and the strategy's published values
BUNDLED = Path(__file__).resolve().parent / "bagsvaerd.toml"
STUDY = {
    "study": {"name": "Værebro Park: the strategy's indicators", "seed": 2018},
    "units": {"target": "vaerebro_park", "municipality": 159},
    "analyses": {"indicators": {"years": [2010, 2019], "table_year": 2018}},
}


def _bundled():
    spec = load_study(BUNDLED)
    pub = {(r["indicator"], r["unit"]): r["percent"] for r in spec.published}
    return spec.units, pub


def _pct(x) -> str:
    return "·" if pd.isna(x) else f"{100 * float(x):.1f} %"


def _n(x) -> str:
    return "·" if pd.isna(x) else f"{int(x):,}"


def render(table: pd.DataFrame) -> str:
    """The strategy's layout: six rows, the estate next to its municipality."""
    units, pub = _bundled()
    rows = []
    for k in INDICATORS:
        part = table[table.indicator == k].set_index("unit")
        e, m = part.loc[ESTATE], part.loc[MUNICIPALITY]
        pe, pm = pub[k, ESTATE], pub[k, MUNICIPALITY]
        rows.append([indicator_label(k), e["period"], _pct(e["share"]), _n(e["denominator"]),
                     _pct(m["share"]), _n(m["denominator"]), f"{pe:.1f} %", f"{pm:.1f} %"])
    head = ["Indicator", "Period", units.name(ESTATE), "n", units.name(MUNICIPALITY), "n",
            "Published VP", "Published GK"]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)  # noqa: E731
                               for i, (c, w) in enumerate(zip(r, widths, strict=True)))
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def render_vulnerable(release: Path) -> str:
    """The released criteria of the estate (· where disclosure control hid a value)."""
    crit = pd.read_csv(release / "vulnerable_area_criteria.csv")
    income = pd.read_csv(release / "vulnerable_area_income.csv")
    status = pd.read_csv(release / "vulnerable_area_status.csv").iloc[0]
    lines = []
    for _, r in pd.concat([crit, income], ignore_index=True).iterrows():
        if r["criterion"] == "low_income":
            val = "·" if pd.isna(r["value"]) else f"{r['value']:,.0f} DKK"
            cut = "·" if pd.isna(r["cutoff"]) else f"< {r['cutoff']:,.0f} DKK"
        else:
            val = _pct(r["value"])
            op = ">=" if r["criterion"] == "convictions" else ">"
            cut = "·" if pd.isna(r["cutoff"]) else f"{op} {_pct(r['cutoff'])}"
        met = "·" if pd.isna(r["met"]) else ("met" if r["met"] == "yes" else "not met")
        lines.append(f"  {r['criterion']:<24} {val:>14}  {cut:<20} {met}")
    verdict = {"yes": "vulnerable", "no": "not vulnerable"}.get(status["vulnerable"], "·")
    lines.append(f"  residents on 31 December {int(status['list_year']) - 1}: "
                 f"{_n(status['residents'])}; criteria met: "
                 f"{status['criteria_met'] if pd.notna(status['criteria_met']) else '·'}"
                 f" -> {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the analysis (see the module's docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", type=Path, help="a register extract folder")
    ap.add_argument("--persons", type=int, default=300_000,
                    help="without --extract: size of the synthetic registers (default 300,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=int, default=5, help="disclosure threshold (default 5)")
    ap.add_argument("--out", type=Path, help="keep the release in this folder")
    ap.add_argument("--figure", type=Path, help="copy the series 2010-2019 figure (PNG) here")
    ap.add_argument("--list-year", type=int, help="also print the vulnerable-area criteria")
    args = ap.parse_args(argv)
    if args.figure is not None and args.figure.exists():
        ap.error(f"--figure {args.figure} exists; choose a new file name")
    raw = {**STUDY, "disclosure": {"threshold": args.threshold},
           "analyses": dict(STUDY["analyses"])}
    if args.list_year:
        raw["analyses"]["vulnerable_area"] = {"list_years": [args.list_year, args.list_year]}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.extract
        if path is None:
            from cohort.synth import synthesise

            path = synthesise(Path(tmp) / "synthetic", persons=args.persons,
                              seed=args.seed).path
            print(f"synthetic registers: {args.persons:,} persons, seed {args.seed}")
        out = args.out or Path(tmp) / "release"
        run_study(parse_study(raw), out=out, extract=path, use_cache=False)
        print("Indicators of social balance (the strategy's table)\n")
        print(render(pd.read_csv(out / "strategy_table.csv")))
        print(f"\n· suppressed by disclosure control (threshold {args.threshold}); "
              "n = persons in the population")
        if args.figure:
            shutil.copyfile(out / "indicators_series_figure.png", args.figure)
            print(f"figure: {args.figure}")
        if args.list_year:
            print(f"\nVulnerable-area criteria, list of 1 December {args.list_year}\n")
            print(render_vulnerable(out))
        if args.out:
            print(f"\nrelease written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
