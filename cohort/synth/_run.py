"""Orchestration: the blocks of an extract, their sizes and seeds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cohort.extract.schema import TABLES
from cohort.synth._simulate import simulate
from cohort.synth._tables import address_table, block_tables, schema
from cohort.synth._world import make_world
from cohort.synth._writer import ExtractWriter
from cohort.synth.options import WorldOptions

__all__ = ["CHUNK_PERSONS", "PERSONS_PER_HOUSEHOLD", "write_canonical"]

#: Persons of the national sample simulated together (one block, written before the next).
CHUNK_PERSONS = 400_000
#: Persons ever present per household of the 1985 stock of the national sample
#: (measured; blocks are drawn 8 % larger and then trimmed by whole families).
PERSONS_PER_HOUSEHOLD = 3.1
#: At most this share of the persons is Gladsaxe and the areas.
_MAX_LOCAL_SHARE = 0.9


def write_canonical(
    out: Path,
    *,
    persons: int,
    seed: int,
    fmt: str,
    name: str,
    att_enrolment: dict[int, float] | None = None,
    att_youth_convictions: dict[int, float] | None = None,
    options: WorldOptions | None = None,
) -> dict[str, int]:
    """Simulate and write a canonical extract; return the rows written per table.

    ``att_enrolment`` / ``att_youth_convictions`` (by year) replace the planted
    effects of :mod:`cohort.synth.truth`; not part of the public API (tests that
    need a larger effect use them). ``options``: the referee's world options.
    """
    world = make_world(
        persons, att_enrolment=att_enrolment, att_youth_convictions=att_youth_convictions,
        options=options, seed=seed,
    )
    from cohort import _progress

    writer = ExtractWriter(out, fmt=fmt, name=name, schemas={t: schema(t) for t in TABLES})
    try:
        writer.write("addresses", address_table(world, seed=seed))
        _progress.item("simulating the municipality and the estates")
        rng = np.random.default_rng([seed, 0])
        block = simulate(world, rng, local=True, stock_households=0)
        quota = min(block.P.n, int(persons * _MAX_LOCAL_SHARE))
        _write_block(writer, block, world, rng, quota=quota, offset=0, seed=seed)
        done = quota
        rest = persons - done
        n_chunks = max(1, math.ceil(rest / CHUNK_PERSONS)) if rest > 0 else 0
        for j in range(n_chunks):
            _progress.item("simulating the national sample, block", j + 1, n_chunks)
            q = rest // n_chunks + (1 if j < rest % n_chunks else 0)
            attempt = 0
            while True:
                crng = np.random.default_rng([seed, 1 + j, attempt])
                stock = math.ceil(q / PERSONS_PER_HOUSEHOLD * (1.08 + 0.1 * attempt)) + 20
                block = simulate(world, crng, local=False, stock_households=stock)
                if block.P.n >= q + 50:
                    break
                attempt += 1
            _write_block(writer, block, world, crng, quota=q, offset=done, seed=seed)
            done += q
            del block
        writer.finish()
    finally:
        writer.close()
    return dict(writer.rows)


def _write_block(writer, block, world, rng, *, quota, offset, seed) -> None:
    tables = block_tables(block, world, rng, quota=quota, offset=offset, seed=seed)
    for name, data in tables.items():
        writer.write(name, data)
