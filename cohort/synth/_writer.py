"""Writing the extract folder: extract.toml and one file per canonical table.

Tables are written block by block (appended to each file) with pyarrow's
ParquetWriter or CSVWriter, so memory holds one block at a time. Parquet files
carry no timestamps: the same tables give the same bytes. ``extract.toml`` is
written last (:meth:`ExtractWriter.finish`): a run that fails half-way (a full
disk) leaves a folder that is not read as an extract.
"""

from __future__ import annotations

import json
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
        # a TOML basic string is a JSON string
        toml = [f"name = {json.dumps(name, ensure_ascii=False)}", "extract_end = 2019-12-31",
                'preset = "canonical"']
        if fmt == "csv":
            toml += ["", "[csv]", 'encoding = "utf-8"', 'delimiter = ","']
        self._toml = "\n".join(toml) + "\n"
        (out / "extract.toml").unlink(missing_ok=True)  # until finish(), no extract
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
        """Close every table's file (again: nothing)."""
        writers, self._writers = self._writers, {}
        for w in writers.values():
            w.close()

    def finish(self) -> None:
        """Close the tables and write ``extract.toml``: the folder is now an extract."""
        self.close()
        (self.out / "extract.toml").write_text(self._toml, encoding="utf-8")
