"""Benchmark: building the cohort of children on a national-size extract.

Builds the cohort of all children born 1990-2005 (both exposure measures, three
outcomes, parental covariates) with the DuckDB engine, and the exposure step in
plain pandas in the same process, and prints times, peak memory and the ratio.

    python benchmarks/bench_cohort.py                       # synthetic, 6M persons
    python benchmarks/bench_cohort.py --source simple       # a simpler generator, 40M spells
    python benchmarks/bench_cohort.py --persons 300000      # smaller, for a quick look

The extract is generated once into --data (default /work/bench-data/...), outside
the repository, and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cohort.cohorts import CohortSpec, ExposureSpec, build_cohort
from cohort.exposure import resident_at_age, years_in_area
from cohort.extract import read_extract

GiB = 1024**3
EXTRACT_END = dt.date(2019, 12, 31)


class PeakRSS:
    """Samples the process's resident memory in a thread (the high-water mark of a
    block, not of the whole process)."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.every)

    def __enter__(self) -> PeakRSS:
        self.peak = self.rss()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._t0
        self._stop.set()
        self._t.join()


# -- a simple national-scale generator (used when cohort.synth is not wanted) ------
def _days(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _pids(idx: np.ndarray, prefix: str = "P") -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), pc.cast(pa.array(idx), pa.string()), "")


def _date(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), mask=mask)


def generate_simple(out: Path, persons: int, spells: int, seed: int = 1) -> None:
    """Write a simple national-scale extract.

    Persons, residence (about ``spells`` spells), addresses, and for the children
    born 1988-2005 exams, youth education, labour (theirs from 18, their parents'
    in the year they turn 14) and their parents' income.
    """
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    end = _days(EXTRACT_END)
    birth = rng.integers(_days(dt.date(1925, 1, 1)), end, persons)
    order = np.argsort(birth)
    by = birth.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    # parents: persons born 20-40 years earlier
    sb = birth[order]
    lo = np.searchsorted(sb, birth - 40 * 365)
    hi = np.searchsorted(sb, birth - 20 * 365)
    has = (hi > lo) & (by >= 1960)
    mother = np.full(persons, -1)
    father = np.full(persons, -1)
    mother[has] = order[lo[has] + (rng.random(has.sum()) * (hi[has] - lo[has])).astype(int)]
    father[has] = order[lo[has] + (rng.random(has.sum()) * (hi[has] - lo[has])).astype(int)]
    father[rng.random(persons) < 0.1] = -1
    death = np.where(rng.random(persons) < 0.05, rng.integers(birth, end + 1), -1)
    ids = _pids(np.arange(persons))
    pq.write_table(pa.table({
        "pid": ids,
        "birth_date": _date(birth),
        "sex": pa.array(np.where(rng.random(persons) < 0.5, "F", "M")),
        "mother_pid": pc.if_else(pa.array(mother >= 0), pc.take(ids, pa.array(np.maximum(
            mother, 0))), pa.scalar(None, pa.string())),
        "father_pid": pc.if_else(pa.array(father >= 0), pc.take(ids, pa.array(np.maximum(
            father, 0))), pa.scalar(None, pa.string())),
        "origin": pa.array(np.where(rng.random(persons) < 0.85, "danish", "immigrant_nonwestern")),
        "death_date": _date(np.maximum(death, 0), mask=death < 0),
    }), out / "persons.parquet")
    # addresses: 2.5M; 1,000 in the estate, 35,000 elsewhere in Gladsaxe (159)
    n_adr = 2_500_000
    muni = rng.integers(101, 999, n_adr)
    muni[:36_000] = 159
    area = np.array([None] * n_adr, dtype=object)
    area[:1_000] = "vaerebro_park"
    pq.write_table(pa.table({"address_id": _pids(np.arange(n_adr), "A"),
                             "municipality": pa.array(muni),
                             "area": pa.array(area, type=pa.string())}),
                   out / "addresses.parquet")
    # residence: k spells per person between birth and death/extract end
    k = np.maximum(1, rng.poisson(spells / persons, persons))
    who = np.repeat(np.arange(persons), k)
    stop = np.where(death >= 0, death, end + 1)
    u = np.sort(rng.random(len(who)) + who)  # sorted within person
    u -= who
    starts = birth[who] + (u * (stop[who] - birth[who])).astype(np.int64)
    first = np.ones(len(who), dtype=bool)
    first[1:] = who[1:] != who[:-1]
    starts[first] = birth[who[first]]
    nxt = np.empty_like(starts)
    nxt[:-1] = starts[1:]
    last = np.ones(len(who), dtype=bool)
    last[:-1] = who[1:] != who[:-1]
    ends = np.where(last, stop[who], nxt)
    # a gap abroad now and then: end the spell earlier than the next starts
    gap = ~last & (rng.random(len(who)) < 0.03)
    ends[gap] = starts[gap] + ((ends[gap] - starts[gap]) * 0.5).astype(np.int64)
    keep = ends > starts
    open_end = last & (death[who] < 0)
    # addresses: children's families mostly stay in their municipality's range
    adr = rng.integers(0, n_adr, len(who))
    local = rng.random(len(who)) < 0.02
    adr[local] = rng.integers(0, 36_000, local.sum())
    pq.write_table(pa.table({
        "pid": pc.take(ids, pa.array(who[keep])),
        "address_id": _pids(adr[keep], "A"),
        "moved_in": _date(starts[keep]),
        "moved_out": _date(ends[keep], mask=open_end[keep]),
    }), out / "residence.parquet", row_group_size=2_000_000)
    # children 1990-2005 (and a little around): exams, youth education, labour
    kids = np.nonzero((by >= 1988) & (by <= 2005))[0]
    ex_kids = kids[rng.random(len(kids)) < 0.95]
    ex_year = by[ex_kids] + 16
    ok = ex_year <= 2019
    pq.write_table(pa.table({"pid": pc.take(ids, pa.array(ex_kids[ok])),
                             "year": pa.array(ex_year[ok]),
                             "danish": pa.array(rng.uniform(-3, 12, ok.sum())),
                             "math": pa.array(rng.uniform(-3, 12, ok.sum()))}),
                   out / "exams.parquet")
    ed = kids[rng.random(len(kids)) < 0.9]
    s = np.array([_days(dt.date(int(y), 8, 10)) for y in range(1990, 2030)])[
        np.clip(by[ed] + 16 + (rng.random(len(ed)) < 0.2) - 1990, 0, 39)]
    ok = s <= end
    ed, s = ed[ok], s[ok]
    e = s + 3 * 365
    done = e <= end
    pq.write_table(pa.table({
        "pid": pc.take(ids, pa.array(ed)),
        "level": pa.array(np.where(rng.random(len(ed)) < 0.6, "youth_general", "youth_vocational")),
        "program": pa.array([None] * len(ed), type=pa.string()),
        "start_date": _date(s), "end_date": _date(np.minimum(e, end), mask=~done),
        "outcome": pa.array(np.where(done, "completed", "ongoing")),
    }), out / "education.parquet")
    # labour and income: each parent in the year a child turns 14 (the covariates),
    # and a few labour years of each child from 18 (the employment outcome)
    pk = np.concatenate([mother[kids], father[kids]])
    py = np.concatenate([by[kids], by[kids]]) + 14
    ok = (pk >= 0) & (py <= 2019)
    pairs = np.unique(np.stack([pk[ok], py[ok]], axis=1), axis=0)
    ck = np.repeat(kids, 3)
    cy = by[ck] + 18 + rng.integers(0, 6, len(ck))
    ok = cy <= 2019
    lp = np.concatenate([pairs[:, 0], ck[ok]])
    ly = np.concatenate([pairs[:, 1], cy[ok]])
    lab = np.unique(np.stack([lp, ly], axis=1), axis=0)
    status = np.where(rng.random(len(lab)) < 0.75, "employed", "unemployed")
    pq.write_table(pa.table({"pid": pc.take(ids, pa.array(lab[:, 0])),
                             "year": pa.array(lab[:, 1]),
                             "status": pa.array(status)}), out / "labour.parquet")
    inc = rng.lognormal(12, 0.5, len(pairs))
    pq.write_table(pa.table({"pid": pc.take(ids, pa.array(pairs[:, 0])),
                             "year": pa.array(pairs[:, 1]),
                             "disposable_income": pa.array(inc),
                             "gross_income": pa.array(inc * 1.5)}), out / "income.parquet")
    (out / "extract.toml").write_text(
        f'name = "benchmark extract ({persons:,} persons)"\n'
        f"extract_end = {EXTRACT_END.isoformat()}\npreset = \"canonical\"\n")


# -- the exposure step in plain pandas -------------------------------------------
def _birthday(birth: pd.Series, age: int) -> pd.Series:
    y = birth.dt.year + age
    feb29 = (birth.dt.month == 2) & (birth.dt.day == 29)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month = np.where(feb29 & ~leap, 3, birth.dt.month)
    day = np.where(feb29 & ~leap, 1, birth.dt.day)
    return pd.to_datetime(pd.DataFrame({"year": y, "month": month, "day": day}))


def pandas_exposure(path: Path, area: str) -> tuple[pd.Series, pd.Series, float]:
    """resident_at_age(15) and years_in_area(6, 16) for the children born
    1990-2005, in pandas; returns them and the seconds spent reading files."""
    t0 = time.perf_counter()
    persons = pd.read_parquet(path / "persons.parquet", columns=["pid", "birth_date"])
    res = pd.read_parquet(path / "residence.parquet")
    adr = pd.read_parquet(path / "addresses.parquet", columns=["address_id", "area"])
    read = time.perf_counter() - t0
    persons["birth_date"] = pd.to_datetime(persons["birth_date"])
    kids = persons[persons["birth_date"].dt.year.between(1990, 2005)].copy()
    kids["b15"] = _birthday(kids["birth_date"], 15)
    kids["b6"] = _birthday(kids["birth_date"], 6)
    kids["b16"] = _birthday(kids["birth_date"], 16)
    in_area = adr.loc[adr["area"] == area, "address_id"]
    r = res[res["address_id"].isin(in_area)]
    r = r.merge(kids[["pid", "b6", "b15", "b16"]], on="pid")
    mi = pd.to_datetime(r["moved_in"])
    mo = pd.to_datetime(r["moved_out"]).fillna(pd.Timestamp(EXTRACT_END) + pd.Timedelta(days=1))
    at15 = (mi <= r["b15"]) & (r["b15"] < mo)
    resident = kids["pid"].isin(r.loc[at15, "pid"])
    days = (np.minimum(mo, r["b16"]) - np.maximum(mi, r["b6"])).dt.days.clip(lower=0)
    years = days.groupby(r["pid"]).sum() / 365.25
    years = years.reindex(kids["pid"]).fillna(0.0)
    years[kids.set_index("pid")["b16"] > pd.Timestamp(EXTRACT_END) + pd.Timedelta(days=1)] = np.nan
    resident.index = kids["pid"]
    return resident, years, read


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", choices=("synth", "simple"), default="synth")
    ap.add_argument("--persons", type=int, default=6_000_000)
    ap.add_argument("--spells", type=int, default=40_000_000, help="simple source only")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="3GB")
    args = ap.parse_args()
    data = args.data or Path(f"/work/bench-data/{args.source}-{args.persons}")
    if not (data / "extract.toml").exists():
        t0 = time.perf_counter()
        if args.source == "synth":
            from cohort.synth import synthesise

            synthesise(data, persons=args.persons, seed=1)
        else:
            generate_simple(data, args.persons, args.spells)
        print(f"generated {data} in {time.perf_counter() - t0:.0f} s")

    with PeakRSS() as m_read, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ex = read_extract(data, memory_limit=args.memory_limit, threads=args.threads,
                          workdir=Path("/work/bench-data/_work"))
    ex.con.execute("SET enable_progress_bar = false")
    rows = {t: r.rows_accepted for t, r in ex.report.tables.items()}
    print(f"extract: {rows['persons']:,} persons, {rows['residence']:,} residence spells; "
          f"read and validated in {m_read.seconds:.1f} s (peak RSS {m_read.peak / GiB:.2f} GiB)")
    gc.collect()

    base = CohortSpec(birth_years=(1990, 2005))
    results = {}
    for form in ("resident_at_age", "years_in_area"):
        spec = CohortSpec(birth_years=(1990, 2005), exposure=ExposureSpec(form=form))
        with PeakRSS() as m, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort = build_cohort(ex, spec)
        results[form] = (m.seconds, m.peak, len(cohort.data))
        print(f"build_cohort ({form}): {m.seconds:.1f} s, peak RSS {m.peak / GiB:.2f} GiB, "
              f"{len(cohort.data):,} children "
              f"({(cohort.data['group'] == 'exposed').sum():,} exposed)")
        del cohort
        gc.collect()

    # the exposure step: engine vs plain pandas, same children
    kids = ex.con.sql("SELECT pid FROM persons WHERE year(birth_date) BETWEEN 1990 AND 2005")
    with PeakRSS() as m_eng:
        r15 = resident_at_age(ex, area=base.target_area, age=15, pids=kids)
        y616 = years_in_area(ex, area=base.target_area, from_age=6, to_age=16, pids=kids)
    with PeakRSS() as m_pd:
        p15, py, read = pandas_exposure(data, base.target_area)
    same = (p15.sort_index().to_numpy() == r15.fillna(False).sort_index().to_numpy()).all()
    diff = np.nanmax(np.abs(py.sort_index().to_numpy() - y616.sort_index().to_numpy()))
    compute = m_pd.seconds - read
    print(f"exposure step, engine (DuckDB): {m_eng.seconds:.1f} s, peak RSS "
          f"{m_eng.peak / GiB:.2f} GiB")
    print(f"exposure step, plain pandas:    {m_pd.seconds:.1f} s ({read:.1f} s reading "
          f"parquet, {compute:.1f} s computing), peak RSS {m_pd.peak / GiB:.2f} GiB")
    print(f"ratio pandas / engine: {m_pd.seconds / m_eng.seconds:.1f}x "
          f"(computing only: {compute / m_eng.seconds:.1f}x); results agree: "
          f"resident_at_age {bool(same)}, years_in_area max |diff| {diff:.2e}")
    goal = all(s < 30 and p < 4 * GiB for s, p, _ in results.values())
    print(f"goal (< 30 s and < 4 GiB per build): {'met' if goal else 'NOT met'}")
    ex.close()


if __name__ == "__main__":
    main()
