"""Moving flows of resource-strong residents: Værebro Park 2010-2019.

Runs the study's ``flows`` analysis (``cohort.study.analyses.flows``) through the
study runner, so every table passes disclosure control and lands in an atomic,
checked release with its manifest: yearly flows by resource status and by
origin / destination, the origin-destination matrix for 2010-2014 and
2015-2019 with its Sankey diagram, retention after moving in (Kaplan-Meier and
Cox, by resource status at the in-move) and the decomposition of the yearly
change in the share of resource-strong adults. Then prints a summary read from
the released tables only.

    python analyses/flows.py --extract path/to/extract --out flows-release
    python analyses/flows.py --persons 300000 --seed 1 --out flows-release   # synthetic

On the synthetic registers the planted selective out-migration
(``cohort.synth.truth.HR_RESOURCE_STRONG_ESTATE``) shows as a higher out-move
rate of the resource-strong, a Cox hazard ratio of moving out above 1 and a
negative contribution of out-moves to the resource-strong share.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

from cohort.study import parse_study, run_study

STUDY = {
    "study": {"name": "Værebro Park: moving flows 2010-2019", "seed": 2018},
    "units": {"target": "vaerebro_park", "municipality": 159,
              "comparison": ["tingbjerg", "gellerup", "vollsmose"]},
    "analyses": {"flows": {"years": [2010, 2019],
                           "od_periods": [[2010, 2014], [2015, 2019]]}},
}


def summary(release: Path) -> list[str]:
    """What the released tables say, in a few lines (suppressed: ·)."""
    lines = ["Værebro Park 2010-2019 (disclosure-controlled; · = suppressed)"]
    st = pd.read_csv(release / "flows_by_status.csv")
    st = st[st["group"].isin(["resource_strong", "not_resource_strong"])]
    rate = 1000 * st["out_moves"] / st["population"]
    mean_out = rate.groupby(st["group"]).mean()
    lines.append("  mean yearly out-moves per 1,000 of the group on 1 January: "
                 + ", ".join(f"{k} {_f(v)}" for k, v in mean_out.items()))
    cox = release / "retention_cox.csv"
    if cox.exists():
        r = pd.read_csv(cox).iloc[0]
        lines.append("  retention, Cox: hazard ratio of moving out, resource-strong vs not: "
                     f"{_f(r['estimate'], 2)} [{_f(r['conf_low'], 2)}; "
                     f"{_f(r['conf_high'], 2)}]")
    dec = release / "flows_decomposition.csv"
    if dec.exists():
        d = pd.read_csv(dec)
        total = d.groupby("term")["estimate"].sum(min_count=1)
        lines.append("  share of resource-strong adults, change by component (percentage "
                     "points, summed over years): "
                     + ", ".join(f"{k} {_f(v, 2)}" for k, v in total.items()))
    return lines


def _f(x, digits: int = 1) -> str:
    return "·" if pd.isna(x) else f"{float(x):.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    """Command line: read or synthesise the extract, run, print the summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", type=Path, help="a register extract folder")
    ap.add_argument("--persons", type=int, default=300_000,
                    help="without --extract: size of the synthetic registers (default 300,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=int, default=5, help="disclosure threshold (default 5)")
    ap.add_argument("--out", type=Path, required=True, help="folder for the release")
    args = ap.parse_args(argv)
    raw = {**STUDY, "disclosure": {"threshold": args.threshold}}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.extract
        if path is None:
            from cohort.synth import synthesise

            path = synthesise(Path(tmp) / "synthetic", persons=args.persons,
                              seed=args.seed).path
            print(f"synthetic registers: {args.persons:,} persons, seed {args.seed}")
        run_study(parse_study(raw), out=args.out, extract=path, use_cache=False)
    for line in summary(args.out):
        print(line)
    print(f"release written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
