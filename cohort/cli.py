"""The command line: argument wiring only; the commands live in :mod:`cohort.commands`.

Exit codes (fixed, scripts rely on them): 0 success; 1 finished with findings
(rows quarantined, release findings); 2 data error (the extract broke the
contract); 3 user error (bad option, bad study file); 4 internal error.
A user error never prints a traceback; an internal error prints one only when
``COHORT_DEBUG=1`` (a traceback may quote data).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from cohort.exceptions import EXIT_INTERNAL, EXIT_USER, CohortWarning, UserError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"{self.prog}: error: {message}\n")


_RUN_EPILOG = """\
--out is never lost: any other existing folder or file is refused and left as it
is, and a second run into a folder being written is refused with the first named.
Raw tables are cached beside the release (.cohort-cache/, unsuppressed: it stays
on the server).

exit codes:
  0  the release is written
  1  the release is written, but the data could not support an analysis (or a
     model of one); the report says which and why
  2  the extract cannot be used (validation stopped)
  3  the study file, the parameters or the output folder are not right; or the
     disk or permissions refused a write. Nothing was released.
  4  a defect in cohort: please report it
"""


class _Version(argparse.Action):
    """``--version``: the distribution, its version and source hash (computed only now)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):  # noqa: A002 - argparse's keyword
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0,
                         help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from cohort._provenance import version_line

        sys.stdout.write(version_line() + "\n")
        parser.exit(0)


_VERIFY_EPILOG = """\
exit codes:
  0  every released file is byte-identical to the rerun
  1  a file differs: each differing table is named with its first differing cell
  3  the installed software (version, source_sha256, Python, a dependency), the study
     file or the extract is not the one the manifest records (the message says which)
"""

_DIFF_EPILOG = """\
exit codes: 0 the releases are identical, 1 they differ, 3 a folder is not a release.
Counts and released cells only: the output passes cohort check-release.
"""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cohort", description="Register-based cohort and moving-pattern studies.")
    p.add_argument("--version", action=_Version,
                   help="print the distribution, its version and source hash, and exit")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress lines or timings on standard error (errors and the "
                   "summary still appear)")
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress lines or timings on standard error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add = sub.add_parser

    def add_parser(name, **kw):
        return _add(name, parents=[quiet], **kw)

    sub.add_parser = add_parser  # every command takes --quiet after its name too

    v = sub.add_parser("validate", help="validate a register extract against the data contract")
    v.add_argument("path", type=Path, help="the extract folder (with extract.toml)")
    v.add_argument("--out", type=Path, default=Path("validation"),
                   help="where the report and quarantine files go (default ./validation)")
    v.add_argument("--working-copy", dest="working_copy", type=Path, default=None,
                   help="also write the validated working copy into this folder (read once, "
                   "reuse: cohort run --working-copy DIR then skips reading and validating "
                   "the same delivery; person-level: it stays on the server)")

    s = sub.add_parser("synth", help="write synthetic registers")
    s.add_argument("out", type=Path, help="the extract folder to write")
    s.add_argument("--persons", type=int, default=None, help="number of persons")
    s.add_argument("--seed", type=int, default=None,
                   help="random seed (default: cohort.synth.DEFAULT_SEED)")
    s.add_argument("--format", dest="fmt", default="parquet", choices=("parquet", "csv", "dst"))
    s.add_argument("--world", default="default", choices=("default", "referee"),
                   help="referee: area-year shocks, selective moves in grades 7-9 and "
                        "covariate effects (cohort.synth.REFEREE_WORLD)")
    s.add_argument("--pre-trend", dest="pre_trend", type=float, default=None,
                   help="a differential trend of the estate, share points per exam year "
                        "(parallel trends fail)")

    d = sub.add_parser("demo", help="synthesise registers and run the bundled study")
    d.add_argument("--out", type=Path, default=Path("demo"),
                   help="output folder (default ./demo): extract/, release/")
    d.add_argument("--persons", type=int, default=None, help="number of persons")
    d.add_argument("--seed", type=int, default=None,
                   help="random seed of the registers (default: cohort.synth.DEFAULT_SEED)")

    r = sub.add_parser(
        "run", help="run a study file and write its release",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_RUN_EPILOG)
    r.add_argument("study", type=Path, help="the study file (TOML)")
    r.add_argument("--out", type=Path, default=None,
                   help="the release folder (default: the study file's [output] folder): a "
                   "new path, an empty folder, or a release of the same study, which is "
                   "replaced; never inside, equal to or around the extract")
    r.add_argument("--extract", type=Path, default=None, help="the extract folder")
    r.add_argument("--working-copy", dest="working_copy", type=Path, default=None,
                   help="the folder of validated working copies: a delivery validated "
                   "before (by cohort validate or an earlier run) is not read and validated "
                   "again (default: the study file's [extract] working_copy, else "
                   ".cohort-cache/working-copy beside the release folder)")
    r.add_argument("--dated", action="store_true", default=None,
                   help="--out names a parent folder: the release goes to "
                   "OUT/<study>-<extract_end>/ (the study file's name, the extract's end "
                   "date), so that every year's release is kept")

    ve = sub.add_parser(
        "verify", help="rerun a release from its manifest and compare every file",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_VERIFY_EPILOG)
    ve.add_argument("release", type=Path, help="the release folder (with manifest.json)")
    ve.add_argument("--extract", type=Path, required=True,
                    help="the extract the release was made from")
    ve.add_argument("--study", type=Path, default=None,
                    help="the study file (default: the path the manifest records)")

    df = sub.add_parser(
        "diff", help="what changed between two releases of a study",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_DIFF_EPILOG)
    df.add_argument("old", type=Path, help="last year's release")
    df.add_argument("new", type=Path, help="this year's release")
    df.add_argument("--tolerance", type=float, default=1e-6,
                    help="relative change below which model output counts as unchanged "
                    "(default 1e-6); counts and shares must be equal")
    df.add_argument("--out", type=Path, default=None,
                    help="also write the diff to this new file (never overwritten)")

    c = sub.add_parser("check-release", help="scan a folder before it leaves the server")
    c.add_argument("path", type=Path)
    c.add_argument("--threshold", type=int, default=5, help="smallest count allowed (default 5)")

    ps = sub.add_parser("pseudonymise", help="replace identifiers with keyed pseudonyms")
    ps.add_argument("src", type=Path, help="CSV, Parquet or Excel file")
    ps.add_argument("dst", type=Path, help="where the pseudonymised file goes")
    ps.add_argument("--columns", nargs="+", required=True, help="identifier columns")
    ps.add_argument("--key-file", type=Path, required=True,
                    help="the secret key (a file readable by its owner only)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    from cohort import _progress, commands
    from cohort.disclosure import install_log_filter

    install_log_filter()  # log records of the library are scrubbed of pid- or CPR-like text
    reporter = None if args.quiet else _progress.Reporter(sys.stderr)

    try:
        with warnings.catch_warnings(), _progress.reporting(reporter or _Silent()):
            warnings.simplefilter("default", CohortWarning)
            if args.command == "validate":
                return commands.validate(args.path, out=args.out,
                                         working_copy=args.working_copy)
            if args.command == "synth":
                return commands.synth(
                    args.out, persons=args.persons, seed=args.seed, fmt=args.fmt,
                    world=args.world, pre_trend=args.pre_trend,
                )
            if args.command == "demo":
                return commands.demo(args.out, persons=args.persons, seed=args.seed)
            if args.command == "run":
                return commands.run(args.study, out=args.out, extract=args.extract,
                                    dated=args.dated, working_copy=args.working_copy)
            if args.command == "verify":
                return commands.verify(args.release, extract=args.extract, study=args.study)
            if args.command == "diff":
                return commands.diff(args.old, args.new, tolerance=args.tolerance,
                                     out=args.out)
            if args.command == "check-release":
                return commands.check_release(args.path, threshold=args.threshold)
            if args.command == "pseudonymise":
                return commands.pseudonymise(
                    args.src, args.dst, columns=args.columns, key_file=args.key_file
                )
    except UserError as err:
        sys.stderr.write(f"cohort {args.command}: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_USER
    except Exception as err:  # noqa: BLE001 - the last line of defence
        if os.environ.get("COHORT_DEBUG") == "1":
            traceback.print_exc()
        sys.stderr.write(
            f"cohort {args.command}: internal error ({type(err).__name__}); this is a defect "
            "in cohort, please report it. Rerun with COHORT_DEBUG=1 for the traceback "
            "(it may quote data: do not share it outside the server).\n"
        )
        return EXIT_INTERNAL
    return EXIT_USER  # pragma: no cover - argparse requires a command


def _Silent():  # noqa: N802 - a reporter that writes nowhere (--quiet)
    import io

    from cohort._progress import Reporter

    return Reporter(io.StringIO(), tty=False)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
