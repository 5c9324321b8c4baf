"""Benchmark: all moves of a national-size extract, for one area and for every area.

Builds (once, cached under ``--data``, outside the repository) a DuckDB
database with the canonical tables at national size: 6M persons, about 40M
residence spells, 2M addresses in the 98 municipalities (5 % of them in 300
study areas), labour 2015-2019 and one education row for 70 % of persons.
The tables are generated in SQL (deterministic hashes), not by cohort.synth,
which is far slower at this size.

The extract layer's validation is not part of what is measured: the benchmark
opens the database and puts the canonical names over its tables as views, the
way ``read_extract`` does after validation, and hands ``cohort.flows`` a
minimal stand-in for ``Extract`` (``con``, ``extract_end``, ``has``,
``require``).

Measured: ``cohort.flows.moves`` (with resource status) for one area and for
every area at once, with DuckDB's memory limit at 3 GB (the goal is 4 GiB for
the whole process); the peak resident memory of the process; the load average
of the machine before and after (on a shared machine the wall time also
measures the other processes). ``--profile DIR`` writes DuckDB's profile
(JSON, per operator: time, rows) of the two ``moves`` queries into DIR; the
profiler slows the queries down, so the times printed are then not the ones to
report. Baseline, in the same process: the same derivation of
moves (without resource status) in plain pandas (sort, shift, compare) on a
1/10 sample of persons -- pandas cannot hold the national table in 4 GiB -- next
to the DuckDB derivation on the same sample; the ratio is printed.

    python benchmarks/bench_flows.py --data /work/bench-data/flows
    python benchmarks/bench_flows.py --data /tmp/flows-small --scale 0.05
    python benchmarks/bench_flows.py --data /tmp/flows-small --scale 0.05 --profile /tmp/prof
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time
from pathlib import Path

import duckdb
import pandas as pd

from cohort.exceptions import MissingTableError
from cohort.flows import moves
from cohort.flows._moves import keyed_moves_sql, resolve_areas

EXTRACT_END = dt.date(2019, 12, 31)
TABLES = ("persons", "residence", "addresses", "labour", "education")


class BenchExtract:
    """The part of :class:`cohort.extract.Extract` that cohort.flows uses."""

    def __init__(self, con: duckdb.DuckDBPyConnection, prefix: str = "") -> None:
        self.con = con
        self.extract_end = EXTRACT_END
        if prefix:  # without a prefix the tables already have the canonical names
            for t in TABLES:
                con.execute(f"CREATE OR REPLACE TEMP VIEW {t} AS SELECT * FROM {prefix}{t}")

    def has(self, table: str) -> bool:
        return table in TABLES

    def require(self, *tables: str, purpose: str) -> None:
        for t in tables:
            if not self.has(t):
                raise MissingTableError(f"{purpose} needs the table {t!r}")


def build(path: Path, *, persons: int, seed: int = 1) -> None:
    """Write the national-size tables into a DuckDB database file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET memory_limit = '8GB'")
    n_addr = max(persons // 3, 1000)
    muns = pd.read_csv(Path(__file__).resolve().parents[1] / "cohort/data/municipalities.csv")
    con.register("muns_df", muns[["municipality"]])
    con.execute("CREATE OR REPLACE TABLE muns AS SELECT (row_number() OVER ()) - 1 AS i, "
                "municipality FROM muns_df")
    h = f"hash(i, {seed}"
    con.execute(f"""
        CREATE OR REPLACE TABLE addresses AS
        SELECT 'a' || t.i AS address_id, m.municipality,
            CASE WHEN hash(t.i, {seed}, 1) % 20 = 0
                 THEN 'area_' || (t.i % 300) END AS area
        FROM range({n_addr}) t(i) JOIN muns m ON m.i = hash(t.i, {seed}, 3) % 98
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE persons AS
        SELECT 'p' || i AS pid,
            DATE '1925-01-01' + CAST({h}, 4) % 33000 AS INTEGER) AS birth_date,
            CASE WHEN {h}, 5) % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
            CASE WHEN {h}, 6) % 12 = 0
                 THEN DATE '1990-01-01' + CAST({h}, 7) % 11000 AS INTEGER) END AS death_date
        FROM range({persons}) t(i)
    """)
    # 1 to 12 spells per person (mean about 6.7), each in its own slot of 1985-2020;
    # a spell ends at the next slot's start (adjacent), or 1-200 days earlier (a gap abroad).
    con.execute(f"""
        CREATE OR REPLACE TABLE residence AS
        WITH k AS (SELECT i, 1 + CAST({h}, 8) % 12 AS INTEGER) AS n FROM range({persons}) t(i)),
        s AS (SELECT k.i, k.n, j FROM k, LATERAL (SELECT unnest(range(k.n)) AS j))
        SELECT 'p' || s.i AS pid,
            'a' || (hash(s.i, s.j, {seed}) % {n_addr}) AS address_id,
            DATE '1985-01-01' + CAST(s.j * 12800 / s.n AS INTEGER) AS moved_in,
            CASE
                WHEN s.j = s.n - 1 AND hash(s.i, {seed}, 9) % 3 > 0 THEN NULL
                WHEN hash(s.i, s.j, {seed}, 10) % 6 = 0
                    THEN DATE '1985-01-01' + CAST((s.j + 1) * 12800 / s.n AS INTEGER)
                         - CAST(1 + hash(s.i, s.j, 11) % 200 AS INTEGER)
                ELSE DATE '1985-01-01' + CAST((s.j + 1) * 12800 / s.n AS INTEGER)
            END AS moved_out
        FROM s
    """)
    # a spell shorter than its gap would end before it starts: make it a day long
    con.execute("UPDATE residence SET moved_out = moved_in + 1 WHERE moved_out <= moved_in")
    statuses = "['employed','employed','employed','self_employed','student','unemployed'," \
               "'public_support','retired','other']"
    con.execute(f"""
        CREATE OR REPLACE TABLE labour AS
        SELECT 'p' || i AS pid, y AS year,
            {statuses}[1 + CAST(hash(i, y, {seed}) % 9 AS INTEGER)] AS status
        FROM range({persons}) t(i), range(2015, 2020) u(y)
    """)
    levels = "['primary','preparatory','youth_general','youth_vocational','short_cycle'," \
             "'bachelor','master','phd']"
    con.execute(f"""
        CREATE OR REPLACE TABLE education AS
        SELECT 'p' || i AS pid, {levels}[1 + CAST({h}, 12) % 8 AS INTEGER)] AS level,
            NULL::VARCHAR AS program,
            DATE '1990-01-01' + CAST({h}, 13) % 10000 AS INTEGER) AS start_date,
            DATE '1993-01-01' + CAST({h}, 13) % 10000 AS INTEGER) AS end_date,
            'completed' AS outcome
        FROM range({persons}) t(i) WHERE {h}, 14) % 10 < 7
    """)
    con.execute("DROP TABLE muns")
    con.close()


def pandas_moves(res: pd.DataFrame, addr: pd.DataFrame, per: pd.DataFrame, *, area: str,
                 extract_end: dt.date) -> int:
    """The baseline: moves of one area in plain pandas (no resource status)."""
    end = pd.Timestamp(extract_end)
    df = res.merge(addr, on="address_id").merge(per[["pid", "birth_date", "death_date"]],
                                                on="pid")
    cut = df["death_date"].notna() & (df["moved_out"].isna() | (df["death_date"]
                                                                 < df["moved_out"]))
    df["e"] = df["moved_out"].where(~cut, df["death_date"])
    df = df[df["e"].isna() | (df["moved_in"] < df["e"])]
    df = df.sort_values(["pid", "moved_in"])
    same = df["pid"].eq(df["pid"].shift())
    prev_e = df["e"].shift().where(same)
    prev_in = (df["area"].shift() == area) & same
    nxt = df["pid"].eq(df["pid"].shift(-1))
    next_s = df["moved_in"].shift(-1).where(nxt)
    next_in = (df["area"].shift(-1) == area) & nxt
    here = df["area"] == area
    ins = here & ~((prev_e == df["moved_in"]) & prev_in) & (df["moved_in"] <= end)
    outs = here & df["e"].notna() & (df["e"] <= end) & ~((next_s == df["e"]) & next_in)
    # the counterparts, as the library classifies them
    origin = pd.Series("abroad", index=df.index)
    origin[prev_e == df["moved_in"]] = "municipality"
    origin[df["birth_date"] == df["moved_in"]] = "birth"
    dest = pd.Series("abroad", index=df.index)
    dest[next_s == df["e"]] = "municipality"
    dest[df["death_date"] == df["e"]] = "death"
    result = pd.concat([
        pd.DataFrame({"pid": df["pid"][ins], "date": df["moved_in"][ins], "direction": "in",
                      "counterpart": origin[ins]}),
        pd.DataFrame({"pid": df["pid"][outs], "date": df["e"][outs], "direction": "out",
                      "counterpart": dest[outs]}),
    ]).sort_values(["pid", "date"])
    return len(result)


def _load() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data/flows"))
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 6M persons")
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all)")
    ap.add_argument("--duckdb-memory", default="3GB", help="DuckDB memory_limit (default 3GB)")
    ap.add_argument("--profile", type=Path, default=None,
                    help="write DuckDB's JSON profile of the two moves() queries into this folder")
    args = ap.parse_args(argv)
    persons = int(6_000_000 * args.scale)
    db = args.data / f"national-{persons}.duckdb"
    if not db.exists():
        t = time.perf_counter()
        build(db, persons=persons)
        print(f"built {db} in {time.perf_counter() - t:.0f} s")
    con = duckdb.connect(str(db), read_only=True)
    # the goal is 4 GiB for the whole process: DuckDB's buffers get 3 of them, the
    # result (a DataFrame of millions of moves) and Python the rest
    con.execute(f"SET memory_limit = '{args.duckdb_memory}'")
    con.execute("SET asof_loop_join_threshold = 0")  # as read_extract's connection
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    ex = BenchExtract(con)
    n_spells = con.execute("SELECT count(*) FROM residence").fetchone()[0]
    area = con.execute(
        "SELECT area FROM residence r JOIN addresses a USING (address_id) WHERE area IS NOT NULL "
        "GROUP BY area ORDER BY count(*) DESC, area LIMIT 1").fetchone()[0]
    print(f"{persons:,} persons, {n_spells:,} spells; threads "
          f"{con.execute('SELECT current_setting(' + repr('threads') + ')').fetchone()[0]}; "
          f"load average {_load()}")

    def profile(name: str) -> None:
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            con.execute("PRAGMA enable_profiling = 'json'")
            con.execute(f"PRAGMA profiling_output = '{args.profile / name}'")

    # wall time, and the process's CPU time over all threads: on a shared machine
    # the wall time also measures the other processes
    profile("moves_one_area.json")
    t, c = time.perf_counter(), time.process_time()
    one = moves(ex, area=area)
    t_one, c_one = time.perf_counter() - t, time.process_time() - c
    print(f"moves(area={area!r}):      {t_one:7.1f} s wall, {c_one:7.1f} s CPU, "
          f"{len(one):,} moves")
    del one
    profile("moves_all_areas.json")
    t, c = time.perf_counter(), time.process_time()
    every = moves(ex, area=None)
    t_all, c_all = time.perf_counter() - t, time.process_time() - c
    print(f"moves(area=None):            {t_all:7.1f} s wall, {c_all:7.1f} s CPU, "
          f"{len(every):,} moves, {every['area'].nunique()} areas")
    del every
    if args.profile:
        con.execute("PRAGMA disable_profiling")
        print(f"profiles written to {args.profile} (the times above include the profiler)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak resident memory so far: {peak:.2f} GiB (DuckDB memory_limit "
          f"{args.duckdb_memory}); load average {_load()}")

    # -- baseline on a 1/10 sample of persons, DuckDB vs pandas --------------------
    con.execute("CREATE OR REPLACE TEMP TABLE sample_pids AS SELECT pid FROM persons "
                "WHERE hash(pid) % 10 = 0")
    for tname in ("persons", "residence", "labour", "education"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE s_{tname} AS SELECT * FROM {tname} "
                    "SEMI JOIN sample_pids USING (pid)")
    con.execute("CREATE OR REPLACE TEMP TABLE s_addresses AS SELECT * FROM addresses")
    sex = BenchExtract(con, prefix="s_")
    spec = resolve_areas(area)
    key = lambda a, m: spec.key_sql("area", area=a, municipality=m)  # noqa: E731
    t = time.perf_counter()
    n_duck = con.execute(
        f"SELECT count(*) FROM ({keyed_moves_sql(sex, key, restrict=True)})").fetchone()[0]
    t_duck = time.perf_counter() - t
    t = time.perf_counter()
    m_full = len(moves(sex, area=area))
    t_duck_full = time.perf_counter() - t
    res = con.execute("SELECT * FROM s_residence").df()
    addr = con.execute("SELECT address_id, area FROM s_addresses").df()
    per = con.execute("SELECT * FROM s_persons").df()
    t = time.perf_counter()
    n_pd = pandas_moves(res, addr, per, area=area, extract_end=EXTRACT_END)
    t_pd = time.perf_counter() - t
    if not (n_pd == n_duck == m_full):
        raise SystemExit(f"baseline disagrees: pandas {n_pd}, duckdb {n_duck}, moves {m_full}")
    print(f"1/10 sample ({len(res):,} spells), one area, moves without status:")
    print(f"  pandas {t_pd:6.2f} s (tables already in memory)   duckdb {t_duck:6.2f} s   "
          f"ratio pandas/duckdb {t_pd / t_duck:5.1f}")
    print(f"  moves() with resource status on the sample: {t_duck_full:6.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak resident memory: {peak:.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
