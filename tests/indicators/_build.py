"""Hand-made extracts for the indicator tests: tables from short rows.

A *world* is a dict ``table -> list of dicts`` holding canonical columns (dates
as ``datetime.date`` or ISO strings, missing values as ``None``). ``write``
turns it into an extract folder with :func:`cohort.extract.write_extract`; the
slow reference reads the same dicts.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pandas as pd

from cohort.exceptions import DataQualityWarning
from cohort.extract import read_extract, write_extract
from cohort.extract.schema import TABLES

#: The study's addresses: two in the estate, two elsewhere in Gladsaxe, one in
#: Copenhagen (another municipality of the same region) and one in Aarhus. The
#: district Bagsværd holds the estate and gl1, not gl2.
ADDRESSES = [
    {"address_id": "vp1", "municipality": 159, "area": "vaerebro_park", "district": "bagsvaerd"},
    {"address_id": "vp2", "municipality": 159, "area": "vaerebro_park", "district": "bagsvaerd"},
    {"address_id": "gl1", "municipality": 159, "area": None, "district": "bagsvaerd"},
    {"address_id": "gl2", "municipality": 159, "area": None, "district": None},
    {"address_id": "kb1", "municipality": 101, "area": None, "district": None},
    {"address_id": "aa1", "municipality": 751, "area": None, "district": None},
]
VP, GL, BV = "area:vaerebro_park", "municipality:159", "district:bagsvaerd"


def d(x: str | dt.date | None) -> dt.date | None:
    """An ISO string as a date (None stays None)."""
    if x is None or isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(x)


def person(pid: str, birth: str, *, death: str | None = None, sex: str = "F") -> dict:
    return {"pid": pid, "birth_date": d(birth), "sex": sex, "death_date": d(death)}


def spell(pid: str, address: str, moved_in: str, moved_out: str | None = None) -> dict:
    return {"pid": pid, "address_id": address, "moved_in": d(moved_in), "moved_out": d(moved_out)}


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    spec = TABLES[table]
    cols = list(spec.column_names)
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    for c in spec.columns:
        if c.type == "date":
            df[c.name] = pd.to_datetime(df[c.name].map(d), errors="raise").astype("datetime64[ns]")
        elif c.type == "int":
            df[c.name] = df[c.name].astype("Int64")
        elif c.type == "float":
            df[c.name] = df[c.name].astype("float64")
        else:
            df[c.name] = df[c.name].astype(object)
    return df


def write(world: dict[str, list[dict]], path: Path, *, extract_end: str = "2019-12-31") -> Path:
    world = {"addresses": ADDRESSES, **world}
    frames = {t: frame(t, rows) for t, rows in world.items()}
    return write_extract(frames, path, extract_end=extract_end)


def read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # a test world is clean
        return read_extract(path)


class MemoryExtract:
    """A stand-in for :class:`cohort.extract.Extract` over an in-memory DuckDB.

    It holds the world's tables with the canonical column types, as
    ``read_extract`` would after validation, without the validation's cost; the
    generative tests build hundreds of worlds. Worlds from ``_strategies`` are
    valid by construction (a test checks them with the real reader).
    """

    def __init__(self, world: dict[str, list[dict]], *, extract_end: str = "2020-12-31"):
        import duckdb

        self.extract_end = dt.date.fromisoformat(extract_end)
        self.con = duckdb.connect(":memory:", config={"threads": 1})
        world = {"addresses": ADDRESSES, **world}
        for t, rows in world.items():
            df = frame(t, rows)
            casts = []
            for c in TABLES[t].columns:
                sql = {"date": "DATE", "int": "BIGINT", "float": "DOUBLE"}.get(c.type, "VARCHAR")
                casts.append(f"CAST({c.name} AS {sql}) AS {c.name}")
            self.con.register("_df", df)
            self.con.execute(f"CREATE TABLE {t} AS SELECT {', '.join(casts)} FROM _df")
            self.con.unregister("_df")
        self._tables = set(world)

    def has(self, table: str) -> bool:
        return table in self._tables

    def require(self, *tables: str, purpose: str) -> None:
        from cohort.exceptions import MissingTableError

        for t in tables:
            if t not in self._tables:
                raise MissingTableError(f"{purpose} needs the table {t!r}")

    def close(self) -> None:
        self.con.close()
