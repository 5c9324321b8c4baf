"""Benchmark: validating a national-size extract, against the same checks in pandas.

    python benchmarks/bench_validate.py [--persons 6000000] [--data DIR] [--pandas-persons N]

Writes (once) a plain national-size extract — persons, addresses and about 6.7
non-overlapping residence spells per person (40M at 6M persons) with a few planted
breaches — to DIR (default /work/bench-data/validate-<N>, outside the repository),
then runs, each in a fresh subprocess so wall time and peak memory are its own:

- cohort: ``read_extract`` (reading, the CPR stop, typing, every row rule,
  quarantine), DuckDB out of core with its default 4 GB memory limit;
- pandas: the same checks done the obvious way (read the Parquet files, CPR
  regexes, duplicates, anti-joins, end before start, overlaps by sort and shift).

Prints wall time, peak RSS and the ratios. Goal (issue 2): under 60 s and 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SPELLS_PER_PERSON = 6.7


def make_extract(folder: Path, persons: int, seed: int = 1) -> None:
    """Write the benchmark extract in chunks (bounded memory)."""
    if (folder / "extract.toml").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_addr = max(10, int(persons * 0.42))
    addr_ids = np.char.add("A", np.arange(n_addr).astype("U9"))
    muni = rng.integers(101, 861, n_addr)
    pq.write_table(
        pa.table({"address_id": addr_ids, "municipality": muni,
                  "area": np.where(rng.random(n_addr) < 0.001, "estate", None)}),
        folder / "addresses.parquet",
    )
    pw = rw = None
    chunk = 500_000
    base = np.datetime64("1900-01-01")
    for lo in range(0, persons, chunk):
        n = min(chunk, persons - lo)
        pid = np.char.add("P", np.arange(lo, lo + n).astype("U11"))
        birth = base + rng.integers(0, 43_000, n).astype("timedelta64[D]")
        sex = np.where(rng.random(n) < 0.5, "F", "M")
        ptab = pa.table({"pid": pid, "birth_date": birth.astype("datetime64[D]"), "sex": sex})
        if pw is None:
            pw = pq.ParquetWriter(folder / "persons.parquet", ptab.schema)
        pw.write_table(ptab)
        k = rng.poisson(SPELLS_PER_PERSON - 1, n) + 1
        owner = np.repeat(np.arange(n), k)
        total = int(k.sum())
        gaps = rng.integers(30, 2_000, total)
        first = np.r_[0, np.cumsum(k)[:-1]]
        csum = np.cumsum(gaps)
        start_off = csum - np.repeat(csum[first], k)
        moved_in = birth[owner] + start_off.astype("timedelta64[D]")
        nxt = np.r_[moved_in[1:], moved_in[-1]]
        last = np.zeros(total, dtype=bool)
        last[np.cumsum(k) - 1] = True
        moved_out = np.where(last, np.datetime64("NaT"), nxt)
        address = addr_ids[rng.integers(0, n_addr, total)]
        rtab = pa.table({
            "pid": pid[owner], "address_id": address,
            "moved_in": moved_in.astype("datetime64[D]"),
            "moved_out": pa.array(moved_out.astype("datetime64[D]"), mask=np.isnat(moved_out)),
        })
        if rw is None:
            rw = pq.ParquetWriter(folder / "residence.parquet", rtab.schema)
        rw.write_table(rtab)
    pw.close()
    rw.close()
    (folder / "extract.toml").write_text(
        'name = "benchmark"\nextract_end = 2019-12-31\npreset = "canonical"\n'
    )


COHORT = """
import json, sys, time, warnings
import cohort
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ex = cohort.read_extract(sys.argv[1])
wall = time.perf_counter() - t
import resource
print(json.dumps({"wall": wall, "quarantined": ex.report.rows_quarantined,
                  "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "read": sum(r.rows_read for r in ex.report.tables.values())}))
"""

PANDAS = """
import json, sys, time
import pandas as pd
t = time.perf_counter()
d = sys.argv[1]
persons = pd.read_parquet(f"{d}/persons.parquet")
addresses = pd.read_parquet(f"{d}/addresses.parquet")
res = pd.read_parquet(f"{d}/residence.parquet")
for c in ("moved_in", "moved_out"):
    res[c] = pd.to_datetime(res[c])
cpr = r"^\\d{10}$"
for df in (persons, addresses, res):
    for c in df.columns:
        if df[c].dtype == object:
            s = df[c].dropna().astype(str)
            shaped = s.str.match(cpr) & pd.to_datetime(s.str[:6], format="%d%m%y", errors="coerce").notna()
            hyph = s.str.contains(r"\\d{6}-\\d{4}")
            bad = shaped.mean() >= 0.95 or hyph.any()
rule = pd.Series(pd.NA, index=res.index, dtype="object")
dup = persons["pid"].duplicated(keep=False)
ok_pids = persons.loc[~dup & persons["birth_date"].notna(), "pid"]
rule[res["moved_out"].notna() & (res["moved_out"] < res["moved_in"])] = "end_before_start"
rule[rule.isna() & ~res["pid"].isin(ok_pids)] = "unknown_pid"
rule[rule.isna() & ~res["address_id"].isin(addresses["address_id"])] = "unknown_address"
ok = res[rule.isna()].sort_values(["pid", "moved_in"])
far = pd.Timestamp("2262-01-01")
end = ok["moved_out"].fillna(far)
same_prev = ok["pid"].eq(ok["pid"].shift())
prev_end = end.groupby(ok["pid"]).cummax().groupby(ok["pid"]).shift()
same_next = ok["pid"].eq(ok["pid"].shift(-1))
ov = (same_prev & (prev_end > ok["moved_in"])) | (same_next & (ok["moved_in"].shift(-1) < end))
rule[ov[ov].index] = "overlapping_spells"
wall = time.perf_counter() - t
import resource
print(json.dumps({"wall": wall, "quarantined": int(rule.notna().sum()) + int(dup.sum()),
                  "peak_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                  "read": len(persons) + len(addresses) + len(res)}))
"""


def run(code: str, data: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, str(data)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=6_000_000)
    ap.add_argument("--pandas-persons", type=int, default=None,
                    help="size for the pandas baseline (default: the same)")
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    args = ap.parse_args()
    big = args.data / f"validate-{args.persons}"
    t = time.perf_counter()
    make_extract(big, args.persons)
    print(f"extract: {args.persons:,} persons in {big} ({time.perf_counter() - t:.1f} s to make)")
    ours = run(COHORT, big)
    print(f"cohort.read_extract: {ours['wall']:.1f} s, peak {ours['peak_gib']:.2f} GiB, "
          f"{ours['read']:,} rows read, {ours['quarantined']:,} quarantined")
    pn = args.pandas_persons or args.persons
    small = big if pn == args.persons else args.data / f"validate-{pn}"
    make_extract(small, pn)
    base = run(PANDAS, small)
    scale = args.persons / pn
    print(f"pandas baseline ({pn:,} persons): {base['wall']:.1f} s, peak {base['peak_gib']:.2f} GiB")
    print(f"ratio pandas/cohort wall time: {base['wall'] * scale / ours['wall']:.1f}x"
          + ("" if scale == 1 else f" (pandas time scaled linearly by {scale:g})"))
    print(f"goal: < 60 s and < 4 GiB -> {'met' if ours['wall'] < 60 and ours['peak_gib'] < 4 else 'NOT met'}")


if __name__ == "__main__":
    main()
