"""extract.toml: the extract's metadata."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cohort.exceptions import ContractError, CprDetectedError, DataQualityWarning, UserError
from cohort.extract._fs import check_readable, input_error
from cohort.extract._names import has_cpr, redact

__all__ = ["ExtractMeta", "read_meta"]

_ALLOWED_KEYS = ("name", "extract_end", "preset", "csv", "dst", "description")
_CSV_KEYS = ("encoding", "delimiter", "decimal")
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
_DELIMITERS = (",", ";")
_DECIMALS = (".", ",")
PRESETS = ("canonical", "dst")


@dataclass(frozen=True)
class ExtractMeta:
    """What extract.toml says."""

    name: str
    extract_end: dt.date
    preset: str = "canonical"
    csv_encoding: str = "utf-8"
    csv_delimiter: str = ","
    csv_decimal: str = "."
    preset_options: Mapping[str, Any] = field(default_factory=dict)


def read_meta(folder: Path) -> ExtractMeta:
    """Read and check ``folder/extract.toml``.

    Raises
    ------
    UserError
        When the folder does not exist.
    ContractError
        When extract.toml is missing, unreadable or breaks the contract.

    """
    path = folder / "extract.toml"
    shown = redact(str(folder))  # a folder named like a CPR number is never echoed
    try:
        if not folder.is_dir():
            msg = f"{shown}: the extract folder does not exist"
            raise UserError(msg)
        # listing the folder first: a folder the user may not read is said to be one
        with os.scandir(folder):
            pass
        if path.is_symlink() and not path.exists():
            msg = (
                f"{shown}: extract.toml is a symbolic link that leads nowhere (or loops); "
                "replace it with the file"
            )
            raise ContractError(msg)
        if not path.is_file():
            msg = (
                f"{shown}: extract.toml is missing (every extract needs one, see the data "
                "contract)"
            )
            raise ContractError(msg)
        check_readable(path, folder)
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"extract.toml cannot be read as TOML ({err})"
        raise ContractError(msg) from None
    except OSError as err:  # no permission, an I/O error of the disk or share
        raise input_error(err, err.filename or folder, folder) from None
    if any(has_cpr(text) for text in _strings(raw)):
        msg = (
            "extract.toml: a key or value holds a CPR number (rule cpr_hyphenated/cpr_shaped). "
            "Validation stopped before anything was read; remove it."
        )
        raise CprDetectedError(msg)
    unknown = sorted(set(raw) - set(_ALLOWED_KEYS))
    if unknown:
        warnings.warn(
            f"extract.toml: ignored unknown keys {unknown} (known: {list(_ALLOWED_KEYS)})",
            DataQualityWarning,
            stacklevel=3,
        )
    end = raw.get("extract_end")
    if end is None:
        msg = "extract.toml: key 'extract_end' is missing (the last date the registers cover)"
        raise ContractError(msg)
    if isinstance(end, str):
        try:
            end = dt.date.fromisoformat(end)
        except ValueError:
            msg = f"extract.toml: extract_end must be a date such as 2019-12-31; got {end!r}"
            raise ContractError(msg) from None
    if isinstance(end, dt.datetime):
        end = end.date()
    if not isinstance(end, dt.date):
        msg = f"extract.toml: extract_end must be a date such as 2019-12-31; got {end!r}"
        raise ContractError(msg)
    preset = raw.get("preset", "canonical")
    if preset not in PRESETS:
        msg = f"extract.toml: preset must be one of {', '.join(map(repr, PRESETS))}; got {preset!r}"
        raise ContractError(msg)
    csv = raw.get("csv", {})
    if not isinstance(csv, dict):
        msg = "extract.toml: [csv] must be a table"
        raise ContractError(msg)
    bad = sorted(set(csv) - set(_CSV_KEYS))
    if bad:
        msg = f"extract.toml: unknown keys in [csv]: {bad} (allowed: {list(_CSV_KEYS)})"
        raise ContractError(msg)
    enc = str(csv.get("encoding", "utf-8")).lower()
    if enc not in _ENCODINGS:
        msg = f"extract.toml: [csv] encoding must be 'utf-8' or 'latin-1'; got {enc!r}"
        raise ContractError(msg)
    delim = csv.get("delimiter", ",")
    if delim not in _DELIMITERS:
        msg = f"extract.toml: [csv] delimiter must be ',' or ';'; got {delim!r}"
        raise ContractError(msg)
    dec = csv.get("decimal", ".")
    if dec not in _DECIMALS or dec == delim:
        msg = (
            "extract.toml: [csv] decimal must be '.' or ',' and differ from the delimiter; "
            f"got {dec!r}"
        )
        raise ContractError(msg)
    options = raw.get(preset, {}) if preset != "canonical" else {}
    return ExtractMeta(
        name=redact(str(raw.get("name", folder.name))),
        extract_end=end,
        preset=preset,
        csv_encoding=_ENCODINGS[enc],
        csv_delimiter=delim,
        csv_decimal=dec,
        preset_options=dict(options),
    )


def _strings(value: Any) -> list[str]:
    """Every key and string value of a parsed TOML document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [str(k) for k in value] + [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
