"""What disclosure control costs a release, the whole-release check included.

Runs the bundled study on a synthetic extract once (filling the cache), then
times the release step from the cached tables three ways, in this process:

- **off**: disclosure control disabled (writing, figures, report only): the baseline;
- **tables**: each table alone (its own primary, complement and secondary
  suppression), without the relations between tables;
- **whole**: the package as it is, every table protected against the whole release.

It prints seconds and the ratios to the baseline, and how many relations, cells
suppressed further and model rows withheld the whole-release check gave.

    python benchmarks/bench_disclosure.py                # 120,000 persons
    python benchmarks/bench_disclosure.py --persons 300000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
import warnings
from pathlib import Path
from unittest import mock

from cohort.disclosure import DisclosureSettings
from cohort.disclosure.whole import ReleaseSystem
from cohort.study import load_study, run_study
from cohort.synth import synthesise

STUDY = Path(__file__).resolve().parents[1] / "cohort" / "study" / "bagsvaerd.toml"


def _time(spec, extract: Path, out: Path) -> float:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_study(spec, out=out, extract=extract)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=120_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        extract = synthesise(root / "extract", persons=args.persons, seed=args.seed).path
        spec = load_study(STUDY)
        _time(spec, extract, root / "warm" / "release")  # fills the cache beside it
        off = dataclasses.replace(spec, disclosure=DisclosureSettings(
            enabled=False, reason="benchmark baseline"))
        base = _time(off, extract, root / "warm" / "release_off")
        # each table alone: the relations between tables are not declared
        with mock.patch.object(ReleaseSystem, "_protect", lambda *a, **k: None), \
                mock.patch.object(ReleaseSystem, "audit", lambda self: []):
            alone = _time(spec, extract, root / "warm" / "release_alone")
        whole = _time(spec, extract, root / "warm" / "release")
        summary = json.loads((root / "warm" / "release" / "manifest.json").read_text())
    w = summary["whole_release"]
    print(f"release from cached tables, {args.persons:,} persons (validation included)")
    print(f"  disclosure off      {base:7.1f} s   1.00")
    print(f"  each table alone    {alone:7.1f} s   {alone / base:4.2f}")
    print(f"  the whole release   {whole:7.1f} s   {whole / base:4.2f}")
    print(f"  relations {w['relations']}, cells suppressed further "
          f"{w['cells_suppressed_further']}, model rows withheld {w['model_rows_withheld']}, "
          f"curve rows cut {w['curve_rows_cut']}")


if __name__ == "__main__":
    main()
