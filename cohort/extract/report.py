"""The validation report: counts only, never a pid or a person's value."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from cohort.extract.schema import RULES, TABLES

__all__ = ["TableReport", "ValidationReport"]

Status = Literal["valid", "quarantined", "stopped"]


@dataclass(frozen=True)
class TableReport:
    """Reconciliation of one table: rows read = rows accepted + rows quarantined."""

    table: str
    file: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rules: Mapping[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        """True when every row read is either accepted or quarantined."""
        return self.rows_read == self.rows_accepted + self.rows_quarantined


@dataclass(frozen=True)
class ValidationReport:
    """What validation found, per table; written even when validation stopped."""

    extract: str
    preset: str
    extract_end: str
    status: Status
    tables: Mapping[str, TableReport] = field(default_factory=dict)
    error: str | None = None
    missing_tables: tuple[str, ...] = ()
    ignored_files: tuple[str, ...] = ()

    def __getitem__(self, table: str) -> TableReport:
        return self.tables[table]

    @property
    def rows_quarantined(self) -> int:
        """Rows set aside over all tables."""
        return sum(t.rows_quarantined for t in self.tables.values())

    def to_dict(self) -> dict:
        """A JSON-ready dictionary with a stable key order."""
        out = asdict(self)
        out["tables"] = {k: asdict(v) | {"rules": dict(v.rules)} for k, v in self.tables.items()}
        out["missing_tables"] = list(self.missing_tables)
        out["ignored_files"] = list(self.ignored_files)
        out["rules"] = dict(RULES)
        return out

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def render(self) -> str:
        """The report as a one-screen text."""
        lines = [
            f"Extract {self.extract!r} (preset {self.preset}, extract_end {self.extract_end})",
            f"Status: {self.status}",
        ]
        if self.error:
            lines += ["", f"Validation stopped: {self.error}"]
        if self.tables:
            lines += [
                "",
                f"{'table':<13}{'read':>12}{'accepted':>12}{'quarantined':>13}  rules broken",
            ]
            for name in TABLES:
                t = self.tables.get(name)
                if t is None:
                    continue
                broken = ", ".join(f"{r} {n:,}" for r, n in t.rules.items()) or "-"
                lines.append(
                    f"{name:<13}{t.rows_read:>12,}{t.rows_accepted:>12,}"
                    f"{t.rows_quarantined:>13,}  {broken}"
                )
        if self.missing_tables:
            lines += ["", "Optional tables not delivered: " + ", ".join(self.missing_tables)]
        if self.ignored_files:
            lines += [
                "Files ignored (not a table of the contract): " + ", ".join(self.ignored_files)
            ]
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> None:
        """Write ``validation_report.txt`` and ``validation_report.json`` into ``out``.

        Each is written under a temporary name and renamed into place, the JSON last,
        so a failure (a full disk) never leaves a truncated or empty report.
        """
        out.mkdir(parents=True, exist_ok=True)
        for name, text in (("validation_report.txt", self.render()),
                           ("validation_report.json", self.to_json())):
            target = out / name
            tmp = out / f".{name}.partial-{os.getpid()}"
            try:
                tmp.write_text(text, encoding="utf-8")
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
