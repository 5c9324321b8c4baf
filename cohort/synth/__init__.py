"""Synthetic Danish registers for developing, testing and demonstrating the library.

>>> from cohort.synth import synthesise
>>> res = synthesise("demo-extract", persons=5_000, seed=3)    # doctest: +SKIP
>>> res.rows["persons"]                                          # doctest: +SKIP
5000

The generating model, its calibration to the strategy's published indicators and
the planted effects are described in ``docs/synthetic.md``; the true values of the
planted effects are in :mod:`cohort.synth.truth`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cohort._params import check_int_range, check_literal
from cohort.exceptions import ParameterError
from cohort.synth._world import AREAS as _AREAS
from cohort.synth._world import COMPARISON_AREAS, DISTRICT, MIN_PERSONS, N_FULL, scale_for
from cohort.synth.options import REFEREE_WORLD, WorldOptions

__all__ = [
    "AREA_MUNICIPALITIES",
    "COMPARISON_AREAS",
    "DEFAULT_PERSONS",
    "DEFAULT_SEED",
    "DISTRICT",
    "FORMATS",
    "REFEREE_WORLD",
    "TARGET_AREA",
    "SynthResult",
    "WorldOptions",
    "synthesise",
]

#: The target area of the synthetic registers (``addresses.area``), in Gladsaxe (159).
TARGET_AREA = "vaerebro_park"
#: Municipality code of every area of the synthetic registers (the target and
#: :data:`COMPARISON_AREAS`, the 25 comparison social-housing estates in all five
#: regions; ``tingbjerg`` 101, ``gellerup`` 751 and ``vollsmose`` 461 first).
AREA_MUNICIPALITIES: dict[str, int] = {a[0]: a[1] for a in _AREAS}

#: The demo's default size: Gladsaxe and the estate at full size (see N_FULL).
DEFAULT_PERSONS = N_FULL
#: The demo's default seed: at the default size its six indicators of the estate
#: and of Gladsaxe lie in the 95 % intervals around the published figures (the
#: youth-education pair is left to chance and passes for about 90 % of seeds).
DEFAULT_SEED = 3
FORMATS = ("parquet", "csv", "dst")


@dataclass(frozen=True)
class SynthResult:
    """What :func:`synthesise` wrote."""

    path: Path
    persons: int
    seed: int
    format: str
    #: Scale of Gladsaxe and the study areas relative to their real size (1 = full).
    scale: float
    #: Rows written per canonical table (for ``format="dst"``: of the canonical
    #: extract that was converted).
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """A short text description."""
        lines = [f"synthetic extract at {self.path} ({self.format}, seed {self.seed})"]
        lines += [f"  {k:<12} {v:>12,}" for k, v in self.rows.items()]
        return "\n".join(lines)


def synthesise(
    out: str | Path,
    *,
    persons: int = DEFAULT_PERSONS,
    seed: int = DEFAULT_SEED,
    format: str = "parquet",  # noqa: A002 - the CLI's option name
    world: WorldOptions | None = None,
) -> SynthResult:
    """Write a synthetic register extract to the folder ``out``.

    Parameters
    ----------
    out
        The extract folder to create: a new path, an empty folder, or a synthetic
        extract written here before (its files are replaced). Any other folder is
        refused (:class:`~cohort.exceptions.OutputError`) and left as it is.
    persons
        Number of persons in ``persons`` (at least 2,000). From ``N_FULL`` (300,000)
        on, Gladsaxe (about 70,000 residents in 2018) and Vaerebro Park (about
        2,400) have their real size, the 25 comparison estates
        (:data:`COMPARISON_AREAS`) their full size (280-3,000 residents) and the
        rest is a sample of the country; below it they are scaled down by
        ``persons / N_FULL``.
    seed
        Seed of every random draw: the same seed gives the same bytes.
    format
        ``"parquet"``, ``"csv"`` or ``"dst"`` (Statistics Denmark's layout, through
        the DST preset's writer).
    world
        Options that make the world harder for the designs (area-year shocks, a
        pre-trend, selective moves in grades 7-9, covariate effects):
        :class:`~cohort.synth.WorldOptions`, :data:`REFEREE_WORLD`. None (the
        default): the default world. The options in force are named in
        ``extract.toml``.

    Examples
    --------
    >>> synthesise("x", persons=10, seed=1)
    Traceback (most recent call last):
    ...
    cohort.exceptions.ParameterError: persons must lie in [2000, inf]; got 10

    """
    check_literal("format", format, FORMATS)
    check_int_range("persons", persons, low=MIN_PERSONS)
    check_int_range("seed", seed, low=0)
    from cohort.extract._fs import output_error
    from cohort.synth._run import write_canonical

    if world is not None and not isinstance(world, WorldOptions):
        msg = f"world must be a cohort.synth.WorldOptions or None; got {type(world).__name__}"
        raise ParameterError(msg)
    options = None if world is None or world.default else world
    out = Path(out)
    name = f"Synthetic register extract (seed {seed}, {persons:,} persons"
    name += f"; {options.describe()})" if options is not None else ")"
    _check_out(out)
    from cohort import _progress

    if format != "dst":
        try:
            with _progress.step(f"writing {persons:,} synthetic persons ({format}) to {out}"):
                rows = write_canonical(out, persons=persons, seed=seed, fmt=format, name=name,
                                       options=options)
        except OSError as err:  # a full disk, a file-size limit, no permission
            raise output_error(err, out, what="the extract folder", option="output folder",
                               note=_INCOMPLETE) from None
        return SynthResult(out, persons, seed, format, scale_for(persons), rows)
    try:
        from cohort.extract.presets.dst_write import write_dst_extract
    except ImportError as err:
        msg = (
            "format='dst' needs cohort.extract.presets.dst_write.write_dst_extract, "
            "which this installation does not have; use format='parquet' or 'csv'"
        )
        raise ParameterError(msg) from err
    try:
        tmp = Path(tempfile.mkdtemp(prefix="cohort-synth-"))
    except OSError as err:  # TMPDIR unusable, full, or not writable
        where = os.environ.get("TMPDIR") or tempfile.gettempdir()
        raise output_error(err, where, what="the temporary folder (TMPDIR)",
                           option="TMPDIR") from None
    try:
        try:
            with _progress.step(f"writing {persons:,} synthetic persons (canonical, in a "
                                "temporary folder)"):
                rows = write_canonical(tmp, persons=persons, seed=seed, fmt="parquet",
                                       name=name, options=options)
        except OSError as err:
            raise output_error(err, tmp, what="the temporary folder (TMPDIR)",
                               option="TMPDIR") from None
        try:
            with _progress.step(f"writing Statistics Denmark's layout to {out}"):
                write_dst_extract(tmp, out, seed=seed)
        except OSError as err:
            raise output_error(err, out, what="the extract folder", option="output folder",
                               note=_INCOMPLETE) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return SynthResult(out, persons, seed, format, scale_for(persons), rows)


#: what a write that failed half-way leaves, said in its message
_INCOMPLETE = (
    "Its files are incomplete and it has no extract.toml, so it is not read as an extract; "
    "remove it or write it again. "
)


def _synthetic(out: Path) -> bool:
    """Whether ``out`` holds an extract this function wrote (its extract.toml says so).

    Only such a folder is written over: its files are the synthesiser's own.
    """
    import tomllib

    try:
        with (out / "extract.toml").open("rb") as f:
            name = tomllib.load(f).get("name", "")
    except (OSError, ValueError):
        return False
    return isinstance(name, str) and name.startswith("Synthetic register extract")


def _check_out(out: Path) -> None:
    """The output folder can be made: it is no file, and may be written (made here)."""
    from cohort.exceptions import OutputError
    from cohort.extract._fs import output_error, shown

    if out.exists() and not out.is_dir():
        msg = f"the extract folder {shown(out)} is a file, not a folder; choose a folder"
        raise OutputError(msg)
    if out.is_dir() and any(out.iterdir()) and not _synthetic(out):
        msg = (f"the extract folder {shown(out)} exists and is not a synthetic extract "
               "written by cohort synth; nothing was touched. Choose a new or empty folder.")
        raise OutputError(msg)
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".cohort-synth-", dir=out)  # before the work
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise output_error(err, out, what="the extract folder", option="output folder") from None
