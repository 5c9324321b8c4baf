"""Reading delivered CSV files as text, shared by the checker and the pseudonymiser."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

__all__ = ["read_csv_as_text"]


def read_csv_as_text(path: Path) -> tuple[pd.DataFrame, str, str]:
    """Read a CSV with every cell as text (leading zeros kept, nothing parsed).

    The delimiter (``,`` or ``;``) is read from the header line, the encoding is
    UTF-8 (a BOM is dropped) or else Latin-1. Returns the frame, the delimiter
    and the encoding.
    """
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("latin-1"), "latin-1"
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return df, sep, encoding
