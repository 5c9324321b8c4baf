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


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cohort", description="Register-based cohort and moving-pattern studies.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", help="validate a register extract against the data contract")
    v.add_argument("path", type=Path, help="the extract folder (with extract.toml)")
    v.add_argument("--out", type=Path, default=Path("validation"),
                   help="where the report and quarantine files go (default ./validation)")

    s = sub.add_parser("synth", help="write synthetic registers")
    s.add_argument("out", type=Path, help="the extract folder to write")
    s.add_argument("--persons", type=int, default=None, help="number of persons")
    s.add_argument("--seed", type=int, default=None,
                   help="random seed (default: cohort.synth.DEFAULT_SEED)")
    s.add_argument("--format", dest="fmt", default="parquet", choices=("parquet", "csv", "dst"))

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
    from cohort import commands
    from cohort.disclosure import install_log_filter

    install_log_filter()  # log records of the library are scrubbed of pid- or CPR-like text

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", CohortWarning)
            if args.command == "validate":
                return commands.validate(args.path, out=args.out)
            if args.command == "synth":
                return commands.synth(
                    args.out, persons=args.persons, seed=args.seed, fmt=args.fmt
                )
            if args.command == "demo":
                return commands.demo(args.out, persons=args.persons, seed=args.seed)
            if args.command == "run":
                return commands.run(args.study, out=args.out, extract=args.extract)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
