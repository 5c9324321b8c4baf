"""The strategy's table of social balance: Værebro Park next to Gladsaxe Kommune.

Computes the six indicators of definitions §1 for the estate and its
municipality, each for the period the strategy published (January 2018; the
school year 2016/17; 2017), applies disclosure control, and prints them in the
strategy's layout next to the published values. Optionally draws the series
2010-2019 (one panel per indicator) and the vulnerable-area criteria.

    python analyses/strategy_indicators.py --extract path/to/extract
    python analyses/strategy_indicators.py --persons 300000 --seed 1   # synthetic registers
    python analyses/strategy_indicators.py --extract x --figure indicators.png --list-year 2019

Every number printed or drawn has passed ``cohort.disclosure.suppress_counts``
(threshold 5 by default): a suppressed cell shows "·".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from cohort.disclosure import SuppressionLog, suppress_counts
from cohort.extract import read_extract
from cohort.indicators import (
    INDICATORS,
    PUBLISHED,
    plot_social_balance,
    social_balance,
    social_balance_series,
    vulnerable_area,
)
from cohort.indicators._published import indicator_label
from cohort.indicators.plots import unit_name

ESTATE, MUNICIPALITY = "area:vaerebro_park", "municipality:159"
REST = "municipality:159 without the estate"  # never printed: it lets secondary suppression see
                                              # that the municipality minus the estate is a cell


def controlled(table: pd.DataFrame, *, threshold: int, by: list[str], name: str):
    """Suppress small counts in a table of the estate and its municipality.

    The municipality contains the estate, so "municipality minus estate" is a
    cell an attacker can compute: it is added as a row, declared through the
    hierarchy, protected with the others and then dropped. Each indicator and
    period is its own small table (cells of different periods or indicators do
    not add up to one another).
    """
    keys = [c for c in by if c != "unit"]
    frames, log = [], SuppressionLog()
    for _, part in table.groupby(keys, sort=False):
        est = part[part.unit == ESTATE].set_index(keys)[["numerator", "denominator"]]
        mun = part[part.unit == MUNICIPALITY].set_index(keys)[["numerator", "denominator"]]
        rest = (mun - est).reset_index()
        rest["unit"] = REST
        rest["share"] = rest["numerator"] / rest["denominator"].where(rest["denominator"] > 0)
        full = pd.concat([part, rest[part.columns]], ignore_index=True)
        res = suppress_counts(
            full, count_cols=["numerator", "denominator"], threshold=threshold, by=by,
            totals={"unit": {MUNICIPALITY: [ESTATE, REST]}},
            shares={"share": ("numerator", "denominator")}, table=name,
        )
        frames.append(res.frame[res.frame.unit != REST])
        log = log + res.log
    return pd.concat(frames, ignore_index=True), log


def strategy_table(ex, *, threshold: int) -> tuple[pd.DataFrame, object]:
    """The six indicators, each for its published period, disclosure-controlled."""
    frames = [
        social_balance(ex, units=[ESTATE, MUNICIPALITY], year=PUBLISHED[k][0], indicators=[k])
        for k in INDICATORS
    ]
    raw = pd.concat(frames, ignore_index=True)
    return controlled(raw, threshold=threshold, by=["unit", "indicator", "period"],
                      name="strategy_indicators")


def _pct(x) -> str:
    return "·" if pd.isna(x) else f"{100 * float(x):.1f} %"


def _n(x) -> str:
    return "·" if pd.isna(x) else f"{int(x):,}"


def render(table: pd.DataFrame) -> str:
    """The strategy's layout: six rows, the estate next to its municipality."""
    rows = []
    for k in INDICATORS:
        part = table[table.indicator == k].set_index("unit")
        e, m = part.loc[ESTATE], part.loc[MUNICIPALITY]
        _, pe, pm = PUBLISHED[k]
        rows.append([indicator_label(k), e["period"], _pct(e["share"]), _n(e["denominator"]),
                     _pct(m["share"]), _n(m["denominator"]), f"{pe:.1f} %", f"{pm:.1f} %"])
    head = ["Indicator", "Period", unit_name(ESTATE), "n", unit_name(MUNICIPALITY), "n",
            "Published VP", "Published GK"]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w)  # noqa: E731
                               for i, (c, w) in enumerate(zip(r, widths, strict=True)))
    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    """Run the analysis (see the module's docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", type=Path, help="a register extract folder")
    ap.add_argument("--persons", type=int, default=300_000,
                    help="without --extract: size of the synthetic registers (default 300,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=int, default=5, help="disclosure threshold (default 5)")
    ap.add_argument("--figure", type=Path, help="write the series 2010-2019 as a PNG here")
    ap.add_argument("--list-year", type=int, help="also print the vulnerable-area criteria")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.extract
        if path is None:
            from cohort.synth import synthesise

            path = synthesise(Path(tmp) / "synthetic", persons=args.persons,
                              seed=args.seed).path
            print(f"synthetic registers: {args.persons:,} persons, seed {args.seed}")
        with read_extract(path) as ex:
            table, log = strategy_table(ex, threshold=args.threshold)
            print("Indicators of social balance (the strategy's table)\n")
            print(render(table))
            print("\n· suppressed by disclosure control (threshold "
                  f"{args.threshold}); n = persons in the population")
            if args.figure:
                series = social_balance_series(ex, units=[ESTATE, MUNICIPALITY],
                                               years=range(2010, 2020))
                series, slog = controlled(series, threshold=args.threshold,
                                          by=["year", "unit", "indicator", "period"],
                                          name="strategy_series")
                log = log + slog
                fig = plot_social_balance(
                    series, note=f"No point: suppressed (fewer than {args.threshold} persons)")
                fig.savefig(args.figure, dpi=120, metadata={"Software": None})
                print(f"figure: {args.figure}")
            if args.list_year:
                print(f"\nVulnerable-area criteria, list of 1 December {args.list_year}\n")
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    va = vulnerable_area(ex, areas=["vaerebro_park"], list_year=args.list_year)
                for w in caught:
                    print(f"note: {w.message}")
                print(render_vulnerable(va, threshold=args.threshold))
        for rec in log.to_records():
            print(f"suppressed: {rec['table']}.{rec['column']} {rec['rule']}: "
                  f"{rec['suppressed_cells']} cells")
    return 0


def render_vulnerable(va: pd.DataFrame, *, threshold: int) -> str:
    """The criteria with counts below the threshold suppressed (means with their n)."""
    df = va.copy()
    df["numerator"] = df["numerator"].fillna(df["denominator"]).astype("int64")
    res = suppress_counts(
        df[["criterion", "numerator", "denominator", "value"]],
        count_cols=["numerator", "denominator"], threshold=threshold, by=["criterion"],
        values={"value": "denominator"}, table="vulnerable_area",
    )
    out = res.frame
    lines = []
    for (_, r), (_, v) in zip(out.iterrows(), va.iterrows(), strict=True):
        if v["criterion"] == "low_income":
            val = "·" if pd.isna(r["value"]) else f"{r['value']:,.0f} DKK"
            cut = f"< {v['cutoff']:,.0f} DKK ({v['threshold']:.0%} of the region's mean)"
        elif v["criterion"] == "convictions":
            val = _pct(r["value"])
            cut = f">= {_pct(v['cutoff'])} ({v['threshold']:g} x the national share)"
        else:
            val = _pct(r["value"])
            cut = f"> {_pct(v['cutoff'])}"
        met = "met" if v["met"] and not pd.isna(r["value"]) else (
            "·" if pd.isna(r["value"]) else "not met")
        lines.append(f"  {v['criterion']:<24} {val:>14}  {cut:<48} {met}")
    residents = va["residents"].iloc[0]
    res_txt = "fewer than the threshold" if residents < threshold else f"{residents:,}"
    verdict = "vulnerable" if va["vulnerable"].iloc[0] else "not vulnerable"
    lines.append(f"  residents on 31 December {va['list_year'].iloc[0] - 1}: {res_txt}; "
                 f"criteria met: {va['criteria_met'].iloc[0]} of 4 -> {verdict}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
