"""The command line's commands, as plain functions that tests call directly.

Each returns the process exit code and writes its one-screen output to ``out``
(a text stream). Argument parsing lives in :mod:`cohort.cli`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from cohort.exceptions import EXIT_DATA, EXIT_FINDINGS, EXIT_OK, UserError

__all__ = ["check_release", "demo", "diff", "pseudonymise", "run", "synth", "validate",
           "verify"]


def validate(path: Path, *, out: Path, stream: TextIO | None = None,
             working_copy: Path | None = None) -> int:
    """``cohort validate PATH [--out DIR] [--working-copy DIR]``.

    0 valid, 1 rows quarantined, 2 stopped.
    """
    stream = stream or sys.stdout
    from cohort import _progress
    from cohort.extract import validate_extract

    wc = working_copy
    with _os_errors(), _progress.step(f"validating the extract {path}"):
        report = validate_extract(path, out=out, working_copy=wc)
    stream.write(report.render())
    stream.write(f"\nReport and quarantine files written to {out}\n")
    if wc is not None and report.status != "stopped":
        stream.write(f"Validated working copy (person-level, stays here) in {wc}\n")
    if report.status == "stopped":
        return EXIT_DATA
    return EXIT_FINDINGS if report.status == "quarantined" else EXIT_OK


def synth(
    out: Path, *, persons: int | None, seed: int | None, fmt: str, stream: TextIO | None = None,
    world: str = "default", pre_trend: float | None = None,
) -> int:
    """``cohort synth OUT --persons N --seed S --format parquet|csv|dst``.

    ``--world referee`` and ``--pre-trend X`` write the referee's world
    (:class:`cohort.synth.WorldOptions`).
    """
    stream = stream or sys.stdout
    from dataclasses import replace

    from cohort.synth import REFEREE_WORLD, WorldOptions, synthesise

    kwargs: dict = {} if persons is None else {"persons": persons}
    if seed is not None:
        kwargs["seed"] = seed
    options = REFEREE_WORLD if world == "referee" else WorldOptions()
    if pre_trend is not None:
        options = replace(options, pre_trend=pre_trend)
    if not options.default:
        kwargs["world"] = options
    with _os_errors():
        result = synthesise(out, format=fmt, **kwargs)
    stream.write(f"Synthetic extract written to {out}\n")
    summary = getattr(result, "summary", None)
    if callable(summary):
        stream.write(summary() + "\n")
    return EXIT_OK


def demo(
    out: Path, *, persons: int | None, seed: int | None, stream: TextIO | None = None,
    progress: TextIO | None = None,
) -> int:
    """``cohort demo [--out DIR]``: synthesise registers and run the bundled study.

    Writes ``DIR/extract`` (the synthetic registers: person-level, they stay here),
    ``DIR/validation`` and ``DIR/release`` (what may leave: it passes
    ``cohort check-release``).
    """
    from cohort.study import load_study, run_study
    from cohort.synth import synthesise

    stream = stream or sys.stdout
    progress = progress or sys.stderr
    out.mkdir(parents=True, exist_ok=True)
    extract = out / "extract"
    kwargs = {} if persons is None else {"persons": persons}
    if seed is not None:
        kwargs["seed"] = seed
    say = _say(progress)
    say(f"synthesising registers into {extract}")
    synthesise(extract, format="parquet", **kwargs)
    result = run_study(
        load_study(_bundled_study()),
        out=out / "release",
        extract=extract,
        progress=say,
    )
    stream.write(_summary(result))
    return EXIT_FINDINGS if result.left_out else EXIT_OK


def run(
    study: Path, *, out: Path | None, extract: Path | None, stream: TextIO | None = None,
    progress: TextIO | None = None, dated: bool | None = None,
    working_copy: Path | None = None,
) -> int:
    """``cohort run STUDY.toml [--out DIR] [--extract DIR] [--dated] [--working-copy DIR]``."""
    from cohort.study import load_study, run_study

    stream = stream or sys.stdout
    result = run_study(
        load_study(study), out=out, extract=extract, progress=_say(progress), dated=dated,
        working_copy=working_copy,
    )
    stream.write(_summary(result))
    return EXIT_FINDINGS if result.left_out else EXIT_OK


def verify(release: Path, *, extract: Path, study: Path | None = None,
           stream: TextIO | None = None, progress: TextIO | None = None) -> int:
    """``cohort verify RELEASE --extract DIR``: 0 identical, 1 differs, 3 other software."""
    from cohort.study import verify_release

    stream = stream or sys.stdout
    result = verify_release(release, extract=extract, study=study, progress=_say(progress))
    stream.write(result.render())
    return EXIT_OK if result.identical else EXIT_FINDINGS


def diff(old: Path, new: Path, *, tolerance: float, out: Path | None = None,
         stream: TextIO | None = None) -> int:
    """``cohort diff OLD NEW``: 0 identical, 1 the releases differ."""
    from cohort.study import diff_releases

    stream = stream or sys.stdout
    if out is not None and (out.exists() or out.is_symlink()):
        msg = f"--out {out}: the file exists; choose a new path (it is never overwritten)"
        raise UserError(msg)
    result = diff_releases(old, new, tolerance=tolerance)
    text = result.render()
    if out is not None:
        with _os_errors():
            with out.open("x", encoding="utf-8", newline="\n") as f:
                f.write(text)
    stream.write(text)
    return EXIT_OK if result.identical else EXIT_FINDINGS


def check_release(path: Path, *, threshold: int, stream: TextIO | None = None) -> int:
    """``cohort check-release DIR``: 0 when nothing is found, 1 on any finding."""
    from cohort.disclosure import check_release as scan

    stream = stream or sys.stdout
    result = scan(path, threshold=threshold)
    stream.write(result.render())
    return result.exit_code


def pseudonymise(
    src: Path, dst: Path, *, columns: list[str], key_file: Path, stream: TextIO | None = None
) -> int:
    """``cohort pseudonymise IN OUT --columns cpr --key-file K``."""
    from cohort.disclosure import pseudonymise_file

    stream = stream or sys.stdout
    with _os_errors():
        report = pseudonymise_file(src, dst, columns=columns, key_file=key_file)
    stream.write(report.summary() + "\n")
    return EXIT_OK


@contextlib.contextmanager
def _os_errors() -> Iterator[None]:
    """The last net under validate, synth and pseudonymise: an OS refusal is exit 3.

    The library reports the conditions it expects (an unreadable file, a full disk)
    with messages of their own; one it did not expect is still the server's doing,
    not a defect: it is named, with its path (a CPR-like name redacted).
    """
    try:
        yield
    except OSError as err:
        from cohort.extract._fs import shown

        where = f"{shown(err.filename)}: " if err.filename else ""
        msg = (
            f"{where}{err.strerror or type(err).__name__}; check that the path exists, that "
            "you may read it (an input) or write to it (an output), and that its disk has "
            "free space"
        )
        raise UserError(msg) from None


def _say(progress: TextIO | None):
    """Where the runner's lines go: the command line's reporter, else ``progress``."""
    from cohort import _progress

    rep = _progress.current()
    if rep is not None:
        return rep.line
    stream = progress or sys.stderr
    return lambda msg: stream.write(msg + "\n")


def _bundled_study() -> Path:
    return Path(__file__).resolve().parent / "study" / "bagsvaerd.toml"


def _summary(result) -> str:
    lines = [
        f"Release written to {result.release}",
        f"  tables: {len(result.tables)}, figures: {len(result.figures)}"
        + (f", reused from cache: {', '.join(result.cached)}" if result.cached else ""),
        *[f"  left out (the data cannot support it; see the report): {x}"
          for x in result.left_out],
        f"  open {result.release / 'report.html'}",
        f"  before it leaves the server: cohort check-release {result.release}",
    ]
    return "\n".join(lines) + "\n"
