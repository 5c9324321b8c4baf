"""Write a canonical extract folder from DataFrames (for tests, examples and tools)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cohort._params import check_literal
from cohort.extract.schema import TABLES

__all__ = ["write_extract"]


def _toml_value(v: object) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_extract(
    frames: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    extract_end: dt.date | str,
    name: str = "extract",
    format: str = "parquet",  # noqa: A002 - the contract's word
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write ``frames`` (canonical table name -> DataFrame) as an extract folder.

    Values are written as given, so a test can plant any breach of the contract.
    CSV files are written with the given encoding and delimiter, which
    ``extract.toml`` records.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> p = write_extract({"persons": pd.DataFrame({"pid": ["a"]})}, tempfile.mkdtemp(),
    ...                   extract_end="2019-12-31")
    >>> sorted(x.name for x in p.iterdir())
    ['extract.toml', 'persons.parquet']

    """
    check_literal("format", format, ("parquet", "csv"))
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if isinstance(extract_end, str):
        extract_end = dt.date.fromisoformat(extract_end)
    lines = [
        f"name = {_toml_value(name)}",
        f"extract_end = {extract_end.isoformat()}",
        'preset = "canonical"',
    ]
    if format == "csv":
        lines += [
            "[csv]",
            f"encoding = {_toml_value(encoding)}",
            f"delimiter = {_toml_value(delimiter)}",
        ]
    (path / "extract.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for table, df in frames.items():
        if table not in TABLES:
            check_literal("table", table, tuple(TABLES))
        if format == "parquet":
            pq.write_table(
                pa.Table.from_pandas(df, preserve_index=False), path / f"{table}.parquet"
            )
        else:
            df.to_csv(
                path / f"{table}.csv",
                index=False,
                sep=delimiter,
                encoding=encoding,
                date_format="%Y-%m-%d",
            )
    return path
