"""Benchmark of the synthetic register generator.

    python benchmarks/bench_synth.py --persons 6000000 [--seed 1] [--out DIR] [--format parquet]

Prints the wall and CPU time, the rows written per table, the peak resident memory,
and the time per person relative to a small baseline run (20,000 persons) made
in the same process first.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from cohort.synth import synthesise


def _run(out: Path, persons: int, seed: int, fmt: str):
    wall, cpu = time.perf_counter(), time.process_time()
    res = synthesise(out, persons=persons, seed=seed, format=fmt)
    return res, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--out", type=Path, default=None, help="keep the extract here")
    ap.add_argument("--baseline", type=int, default=20_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-synth-"))
    try:
        _, b_wall, b_cpu = _run(tmp / "baseline", args.baseline, args.seed, args.format)
        shutil.rmtree(tmp / "baseline")
        out = args.out or tmp / "extract"
        res, wall, cpu = _run(out, args.persons, args.seed, args.format)
        peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
        print(f"persons            {args.persons:,} (seed {args.seed}, {args.format})")
        print(f"wall time          {wall:,.1f} s")
        print(f"cpu time           {cpu:,.1f} s")
        print(f"peak RSS           {peak_gib:,.2f} GiB")
        print(f"size on disk       {size / 2**30:,.2f} GiB")
        print("rows per table:")
        for table, n in res.rows.items():
            print(f"  {table:<12} {n:>14,}")
        per = wall / args.persons
        b_per = b_wall / args.baseline
        print(f"baseline           {args.baseline:,} persons in {b_wall:.1f} s (cpu {b_cpu:.1f} s)")
        print(f"time per person vs baseline: {per / b_per:.2f}x")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
