"""Benchmark of the whole bundled study: cold and warm, step by step, across sizes.

    python benchmarks/bench_study.py --persons 300000 6000000 [--data-root DIR]
        [--study analyses/bagsvaerd.toml] [--json FILE]

For each size it synthesises an extract once (``cohort synth DIR --persons N
--seed 1``; reused when DIR already holds one), then runs the study twice, each
run in a fresh subprocess:

- **cold**: a new release folder, no cache of computed tables and no working copy
  of the extract (the first run on a new delivery);
- **warm**: the same release folder again (the working copy of the extract and
  the computed tables of the cold run are reused: a rerun on an unchanged
  delivery).

Every step the command line times (``cohort run``'s progress steps: reading and
validating the extract, each analysis, the report, ...) is printed with its wall
time and its own peak resident memory (Linux: the high-water mark is reset at the
start of each step through ``/proc/self/clear_refs``), and, for more than one
size, the time per million persons at each size, so that a reader sees which
steps grow linearly and which do not. Synthesis is timed but not part of the run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# -- the child: one run of the study, its steps timed -------------------------------------
def _hwm() -> int:
    """The process's peak resident memory so far, in bytes (Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - not Linux


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:  # pragma: no cover - not Linux, or not allowed
        return False
    return True


def _child(study: str, extract: str, out: str) -> None:
    import contextlib
    import io

    from cohort import _progress
    from cohort.study import load_study, run_study

    class Timed(_progress.Reporter):
        """A reporter that keeps each step's time and peak memory."""

        def __init__(self) -> None:
            super().__init__(io.StringIO(), tty=False)
            self.rows: list[dict[str, object]] = []
            self._stack: list[int] = []  # the peak seen so far by each open step

        @contextlib.contextmanager
        def step(self, name: str):  # type: ignore[override]
            now = _hwm()
            self._stack = [max(p, now) for p in self._stack]
            _reset_hwm()
            self._stack.append(0)
            row: dict[str, object] = {"step": name, "depth": len(self._stack) - 1}
            self.rows.append(row)  # in the order the steps start
            start = time.perf_counter()
            try:
                with super().step(name):
                    yield
            finally:
                row["seconds"] = time.perf_counter() - start
                peak = max(self._stack.pop(), _hwm())
                self._stack = [max(p, peak) for p in self._stack]
                row["peak_bytes"] = peak

    rep = Timed()
    start = time.perf_counter()
    with _progress.reporting(rep):
        run_study(load_study(Path(study)), out=out, extract=extract)
    total = time.perf_counter() - start
    json.dump({"steps": rep.rows, "seconds": total, "peak_bytes": _hwm()}, sys.stdout)


# -- the parent ----------------------------------------------------------------------------
def _synth(folder: Path, persons: int) -> float | None:
    if (folder / "extract.toml").exists():
        return None
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cohort", "synth", str(folder), "--persons", str(persons),
         "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _run(study: str, extract: Path, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, __file__, "--child", study, str(extract), str(out)],
        check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def _mib(b: float) -> str:
    return f"{b / 2**20:,.0f}"


def _table(persons: int, cold: dict, warm: dict) -> str:
    warm_by = {(r["step"], r["depth"]): r for r in warm["steps"]}
    lines = [f"\n== {persons:,} persons ==",
             f"{'step':<46} {'cold s':>8} {'MiB':>7} {'warm s':>8} {'MiB':>7}"]
    for r in cold["steps"]:
        w = warm_by.get((r["step"], r["depth"]))
        name = "  " * r["depth"] + r["step"]
        ws = f"{w['seconds']:8.1f} {_mib(w['peak_bytes']):>7}" if w else f"{'-':>8} {'-':>7}"
        lines.append(f"{name[:46]:<46} {r['seconds']:8.1f} {_mib(r['peak_bytes']):>7} {ws}")
    lines.append(f"{'whole run':<46} {cold['seconds']:8.1f} {_mib(cold['peak_bytes']):>7} "
                 f"{warm['seconds']:8.1f} {_mib(warm['peak_bytes']):>7}")
    return "\n".join(lines)


def _scaling(results: dict[int, tuple[dict, dict]]) -> str:
    sizes = sorted(results)
    lines = ["\n== seconds per million persons (cold | warm) ==",
             f"{'step':<46} " + " ".join(f"{n / 1e6:>13.1f}M" for n in sizes)]
    names = [r["step"] for r in results[sizes[-1]][0]["steps"] if r["depth"] == 0]
    for name in [*names, "whole run"]:
        cells = []
        for n in sizes:
            cold, warm = results[n]
            if name == "whole run":
                c, w = cold["seconds"], warm["seconds"]
            else:
                c = next((r["seconds"] for r in cold["steps"] if r["step"] == name), None)
                w = next((r["seconds"] for r in warm["steps"] if r["step"] == name), None)
            per = n / 1e6
            cells.append(f"{(c or 0) / per:6.1f} | {(w or 0) / per:5.1f}")
        lines.append(f"{name[:46]:<46} " + " ".join(f"{c:>14}" for c in cells))
    if len(sizes) > 1:
        a, b = sizes[0], sizes[-1]
        ca, cb = results[a][0]["seconds"], results[b][0]["seconds"]
        lines.append(f"\ncold run: {cb / ca:.1f}x the time for {b / a:.0f}x the persons")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, nargs="+", default=[300_000])
    ap.add_argument("--data-root", type=Path, default=Path("/work/bench-data"),
                    help="where the synthetic extracts are kept (outside the repository)")
    ap.add_argument("--study", default=str(ROOT / "analyses" / "bagsvaerd.toml"))
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    results: dict[int, tuple[dict, dict]] = {}
    for n in sorted(args.persons):
        data = args.data_root / f"study-{n}"
        took = _synth(data, n)
        print(f"\n{n:,} persons: extract {data}"
              + (f" (synthesised in {took:.0f} s)" if took is not None else " (reused)"))
        with tempfile.TemporaryDirectory(prefix="bench-study-") as tmp:
            out = Path(tmp) / "release"
            cold = _run(args.study, data, out)
            warm = _run(args.study, data, out)
        results[n] = (cold, warm)
        print(_table(n, cold, warm))
    print(_scaling(results))
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
