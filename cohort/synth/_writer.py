"""Writing the extract folder: extract.toml and one file per canonical table.

Tables are written block by block (appended to each file) with pyarrow's
ParquetWriter or CSVWriter, so memory holds one block at a time. Parquet files
carry no timestamps: the same tables give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cohort.extract.schema import TABLES

__all__ = ["ExtractWriter"]


class ExtractWriter:
    """Open writers for every canonical table of an extract folder."""

    def __init__(self, out: Path, *, fmt: str, name: str, schemas: dict[str, pa.Schema]):
        self.out = out
        self.fmt = fmt
        out.mkdir(parents=True, exist_ok=True)
        toml = [f'name = "{name}"', "extract_end = 2019-12-31", 'preset = "canonical"']
        if fmt == "csv":
            toml += ["", "[csv]", 'encoding = "utf-8"', 'delimiter = ","']
        (out / "extract.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
        self.rows = dict.fromkeys(TABLES, 0)
        self._writers = {}
        for table in TABLES:
            path = out / f"{table}.{'csv' if fmt == 'csv' else 'parquet'}"
            if fmt == "csv":
                self._writers[table] = pacsv.CSVWriter(str(path), schemas[table])
            else:
                self._writers[table] = pq.ParquetWriter(
                    str(path), schemas[table], compression="zstd", write_statistics=True
                )

    def write(self, table: str, data: pa.Table) -> None:
        self._writers[table].write_table(data)
        self.rows[table] += data.num_rows

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers = {}
