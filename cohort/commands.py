"""The command line's commands, as plain functions that tests call directly.

Each returns the process exit code and writes its one-screen output to ``out``
(a text stream). Argument parsing lives in :mod:`cohort.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from cohort.exceptions import EXIT_DATA, EXIT_FINDINGS, EXIT_OK

__all__ = ["demo", "synth", "validate"]


def validate(path: Path, *, out: Path, stream: TextIO | None = None) -> int:
    """``cohort validate PATH [--out DIR]``: 0 valid, 1 rows quarantined, 2 stopped."""
    stream = stream or sys.stdout
    from cohort.extract import validate_extract

    report = validate_extract(path, out=out)
    stream.write(report.render())
    stream.write(f"\nReport and quarantine files written to {out}\n")
    if report.status == "stopped":
        return EXIT_DATA
    return EXIT_FINDINGS if report.status == "quarantined" else EXIT_OK


def synth(
    out: Path, *, persons: int | None, seed: int, fmt: str, stream: TextIO | None = None
) -> int:
    """``cohort synth OUT --persons N --seed S --format parquet|csv|dst``."""
    stream = stream or sys.stdout
    from cohort.synth import synthesise

    kwargs = {} if persons is None else {"persons": persons}
    result = synthesise(out, seed=seed, format=fmt, **kwargs)
    stream.write(f"Synthetic extract written to {out}\n")
    summary = getattr(result, "summary", None)
    if callable(summary):
        stream.write(summary() + "\n")
    return EXIT_OK


def demo(out: Path, *, persons: int | None, seed: int, stream: TextIO | None = None) -> int:
    """``cohort demo [--out DIR]``: synthesise registers, validate them, summarise.

    Later stages run the bundled Bagsværd study on them.
    """
    stream = stream or sys.stdout
    from cohort.extract import validate_extract
    from cohort.synth import synthesise

    out.mkdir(parents=True, exist_ok=True)
    extract = out / "extract"
    kwargs = {} if persons is None else {"persons": persons}
    synthesise(extract, seed=seed, format="parquet", **kwargs)
    stream.write(f"Synthetic registers written to {extract}\n\n")
    report = validate_extract(extract, out=out / "validation")
    stream.write(report.render())
    if report.status == "stopped":
        return EXIT_DATA
    return EXIT_OK
