"""Ordinary conditions of a shared server are exit 2 or 3 with a message, never a defect.

An unreadable extract folder, file or extract.toml; a symbolic link that loops; an
output path that is a file or read-only; a full disk or a file-size limit; a missing
input to pseudonymise. Each goes through the command line as a user runs it, and
its message names the path (a CPR-like name redacted) and what to do.

The tests run as root on the CI machine, where ``chmod 000`` does not stop a read:
refusals are simulated in-process by making ``os.open``, ``os.scandir`` or
``os.mkdir`` refuse one path. The real ``chmod`` versions run the command in a
subprocess: as it is for other users, and for root without the capabilities that
override file modes (``setpriv``; skipped where that is not possible). A full disk
is a file-size limit (``RLIMIT_FSIZE``) in a subprocess.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_DATA, EXIT_FINDINGS, EXIT_OK, EXIT_USER, ParameterError
from cohort.extract import read_extract, write_extract

from .conftest import base_frames

ROOT_USER = os.geteuid() == 0
#: root without the capabilities that let it read and write whatever the mode
_UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def _real(*args) -> subprocess.CompletedProcess:
    """``cohort ARGS`` in a subprocess for which file modes hold (skip where impossible)."""
    cmd = [sys.executable, "-m", "cohort", *map(str, args)]
    if ROOT_USER:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads and writes whatever the mode, and setpriv is missing")
        probe = subprocess.run([*_UNPRIVILEGED, "true"], capture_output=True, check=False)
        if probe.returncode != 0:
            pytest.skip("root reads and writes whatever the mode, and may not drop that")
        cmd = _UNPRIVILEGED + cmd
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _extract(tmp_path, fmt="csv", frames=None, name="ex"):
    return write_extract(frames or base_frames(), tmp_path / name, extract_end="2019-12-31",
                         format=fmt)


def _quarantining(n=1):
    frames = base_frames()
    extra = pd.DataFrame({"pid": [f"X{i}" for i in range(n)],
                          "birth_date": [pd.Timestamp("1990-01-01").date()] * n,
                          "sex": ["Q"] * n, "mother_pid": [None] * n, "origin": [None] * n})
    frames["persons"] = pd.concat([frames["persons"], extra], ignore_index=True)
    return frames


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def _refuse(monkeypatch, name, target, code=errno.EACCES):
    """Make ``os.<name>`` refuse ``target`` (and only it) with ``code``."""
    real = getattr(os, name)
    target = os.fspath(target)

    def fake(path, *args, **kwargs):
        if isinstance(path, str | os.PathLike) and os.fspath(path) == target:
            raise OSError(code, os.strerror(code), target)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, fake)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- unreadable inputs: exit 3, the path and the fix named ------------------------


def test_unreadable_extract_folder(tmp_path, monkeypatch, capsys):
    path = _extract(tmp_path)
    _refuse(monkeypatch, "scandir", path)
    code, err = _cli(capsys, "validate", path, "--out", tmp_path / "val")
    assert code == EXIT_USER
    assert f"the extract folder {path} cannot be read: permission denied" in err
    assert "ask the data manager for read access" in err
    assert not (tmp_path / "val").exists()  # made for this run, removed with it


@pytest.mark.parametrize("name", ["persons.csv", "extract.toml", ".persons_backup.csv",
                                  "old/persons.csv"])
def test_unreadable_file(tmp_path, monkeypatch, capsys, name):
    path = _extract(tmp_path)
    target = path / name
    if not target.exists():
        target.parent.mkdir(exist_ok=True)
        target.write_bytes((path / "persons.csv").read_bytes())
    _refuse(monkeypatch, "open", target)
    code, err = _cli(capsys, "validate", path, "--out", tmp_path / "val")
    assert code == EXIT_USER
    assert f"{name} in the extract cannot be read: permission denied" in err
    assert "internal error" not in err


def test_unreadable_file_in_a_parquet_table_folder(tmp_path, monkeypatch, capsys):
    path = _extract(tmp_path, fmt="parquet")
    (path / "residence").mkdir()
    (path / "residence.parquet").rename(path / "residence" / "part-0.parquet")
    _refuse(monkeypatch, "open", path / "residence" / "part-0.parquet")
    code, err = _cli(capsys, "validate", path, "--out", tmp_path / "val")
    assert code == EXIT_USER
    assert "residence/part-0.parquet in the extract cannot be read: permission denied" in err


def test_unreadable_folder_with_a_cpr_like_name_is_not_echoed(tmp_path, monkeypatch, capsys):
    path = _extract(tmp_path)
    hidden = path / "backup_0101901234"
    hidden.mkdir()
    _refuse(monkeypatch, "scandir", hidden)
    code, err = _cli(capsys, "validate", path, "--out", tmp_path / "val")
    assert code == EXIT_USER
    assert "backup_[CPR-like] in the extract cannot be read" in err
    assert "0101901234" not in err


def test_read_extract_raises_a_user_error_for_an_unreadable_file(tmp_path, monkeypatch):
    from cohort.exceptions import UserError

    path = _extract(tmp_path, fmt="parquet")
    _refuse(monkeypatch, "open", path / "addresses.parquet")
    with pytest.raises(UserError, match="addresses.parquet in the extract cannot be read"):
        read_extract(path)


@pytest.mark.parametrize(("name", "shown"), [
    ("persons.csv", "persons.csv in the extract"),
    ("extract.toml", "extract.toml in the extract"),
    ("old", "old in the extract"),
    (".", "the extract folder {path}"),
])
def test_really_unreadable(tmp_path, name, shown):
    path = _extract(tmp_path)
    target = path / name
    if not target.exists():
        target.mkdir()
    mode = target.stat().st_mode
    target.chmod(0)
    try:
        run = _real("validate", path, "--out", tmp_path / "val")
    finally:
        target.chmod(mode)
    assert run.returncode == EXIT_USER, run.stderr
    assert f"{shown.format(path=path)} cannot be read: permission denied" in run.stderr


# -- symbolic links that loop ------------------------------------------------------


def test_a_symlink_loop_inside_the_extract_is_a_data_error(tmp_path, capsys):
    path = _extract(tmp_path)
    (path / "old").mkdir()
    (path / "old" / "a.csv").symlink_to("b.csv")
    (path / "old" / "b.csv").symlink_to("a.csv")
    code, err = _cli(capsys, "validate", path, "--out", tmp_path / "val")
    assert code == EXIT_DATA
    report = json.loads((tmp_path / "val" / "validation_report.json").read_text())
    assert report["status"] == "stopped"
    assert report["error"].startswith(
        "old/a.csv in the extract is a symbolic link that loops")
    assert "remove it, or replace it with the file" in report["error"]


def test_a_symlink_loop_as_the_extract_or_the_output(tmp_path, capsys):
    path = _extract(tmp_path)
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    code, err = _cli(capsys, "validate", loop, "--out", tmp_path / "val")
    assert code == EXIT_USER
    assert "the extract folder is a symbolic link that leads nowhere (or loops)" in err
    for out in (loop, loop / "val"):
        code, err = _cli(capsys, "validate", path, "--out", out)
        assert code == EXIT_USER
        assert "symbolic link" in err and "choose another --out" in err


# -- the output folder: a file, read-only, full ----------------------------------


def test_out_that_is_a_file(tmp_path, capsys):
    path = _extract(tmp_path)
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    code, err = _cli(capsys, "validate", path, "--out", afile)
    assert code == EXIT_USER
    assert f"the validation folder {afile} is a file, not a folder" in err
    code, err = _cli(capsys, "validate", path, "--out", afile / "val")
    assert code == EXIT_USER
    assert "it, or a folder above it, is a file; choose another --out" in err
    assert afile.read_text() == "mine"


def test_out_that_is_read_only(tmp_path, monkeypatch, capsys):
    path = _extract(tmp_path)
    out = tmp_path / "val"
    out.mkdir()
    real = os.mkdir

    def refuse(p, *args, **kwargs):
        if Path(p).parent == out:  # the staging folder: the first thing made inside it
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(p))
        return real(p, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", refuse)
    code, err = _cli(capsys, "validate", path, "--out", out)
    assert code == EXIT_USER
    assert f"the validation folder {out} cannot be written (permission denied)" in err
    assert list(out.iterdir()) == []


def test_out_that_is_really_read_only(tmp_path):
    path = _extract(tmp_path)
    out = tmp_path / "val"
    out.mkdir()
    out.chmod(0o555)
    try:
        runs = [_real("validate", path, "--out", o) for o in (out, out / "sub")]
    finally:
        out.chmod(0o755)
    for run, o in zip(runs, (out, out / "sub"), strict=True):
        assert run.returncode == EXIT_USER, run.stderr
        assert f"the validation folder {o} cannot be written (permission denied)" in run.stderr


def _validate_limited(extract: Path, out: Path, limit: int) -> subprocess.CompletedProcess:
    """``cohort validate`` in a process whose files may not grow beyond ``limit`` bytes."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "cohort", "validate", str(extract), "--out", str(out)],
        capture_output=True, text=True, preexec_fn=cap, check=False,  # noqa: PLW1509
    )


def test_file_size_limit_leaves_the_validation_folder_as_it_was(tmp_path, capsys):
    """A quarantine file outgrows the limit half-way: nothing in --out changes.

    The report of the earlier run, its quarantine file and the user's own file stay as
    they were; no report is left empty or names a file that is not there.
    """
    small = _extract(tmp_path, frames=_quarantining(1), name="small")
    big = _extract(tmp_path, frames=_quarantining(3000), name="big")
    out = tmp_path / "val"
    assert main(["validate", str(small), "--out", str(out)]) == EXIT_FINDINGS
    (out / "mine.txt").write_text("keep me")
    before = _snapshot(out)
    run = _validate_limited(big, out, 20_000)  # the report fits, the quarantine does not
    assert run.returncode == EXIT_USER, run.stderr
    # (progress lines come first on stderr; the error is the last thing said)
    said = run.stderr[run.stderr.index("cohort validate:"):]
    assert said.startswith(
        f"cohort validate: the validation folder {out} could not be written: a file "
        "reached the size limit set for this process (ulimit -f). Nothing in it was changed")
    assert "internal error" not in run.stderr
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "mine.txt", "quarantine", "validation_report.json", "validation_report.txt"]
    # and a new folder is not left behind
    run = _validate_limited(big, tmp_path / "new", 20_000)
    assert run.returncode == EXIT_USER
    assert not (tmp_path / "new").exists()


def test_disk_full_while_writing_the_report(tmp_path, monkeypatch, capsys):
    """The last file, the report, fails: the earlier run's report stays, whole."""
    path = _extract(tmp_path, frames=_quarantining(2))
    out = tmp_path / "val"
    assert main(["validate", str(path), "--out", str(out)]) == EXIT_FINDINGS
    before = _snapshot(out)
    real = Path.write_text

    def full(self, *args, **kwargs):
        if ".validation_report.json" in self.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, err = _cli(capsys, "validate", path, "--out", out)
    assert code == EXIT_USER
    assert "could not be written: the disk is full. Nothing in it was changed" in err
    assert _snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_new_run_replaces_only_the_validation_files(tmp_path, capsys):
    """Files of validation are replaced or removed; the user's files are kept."""
    out = tmp_path / "val"
    frames = base_frames()
    frames["addresses"]["municipality"] = ["159", "1,5"]
    stopped = _extract(tmp_path, frames=frames, name="stopped")
    assert main(["validate", str(stopped), "--out", str(out)]) == EXIT_DATA
    assert (out / "conversion_errors" / "addresses.municipality.csv").exists()
    (out / "mine.csv").write_text("keep")
    (out / "quarantine").mkdir()
    (out / "quarantine" / "residence.csv").write_text("of an earlier run")
    assert main(["validate", str(_extract(tmp_path, frames=_quarantining(1), name="q")),
                 "--out", str(out)]) == EXIT_FINDINGS
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "mine.csv", "quarantine", "quarantine/persons.csv", "validation_report.json",
        "validation_report.txt"]
    assert main(["validate", str(_extract(tmp_path, name="clean")), "--out", str(out)]) == EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == [
        "mine.csv", "validation_report.json", "validation_report.txt"]


def test_the_staging_folder_of_a_killed_run_is_removed(tmp_path, capsys):
    out = tmp_path / "val"
    dead = out / ".validation-partial-99999999-x"  # no such process
    live = out / f".validation-partial-{os.getpid()}-y"  # a run still going
    for folder in (dead, live):
        (folder / "quarantine").mkdir(parents=True)
        (folder / "quarantine" / "persons.csv").write_text("pid\nX1\n")
    assert main(["validate", str(_extract(tmp_path)), "--out", str(out)]) == EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == [
        live.name, "validation_report.json", "validation_report.txt"]


# -- synth ---------------------------------------------------------------------------


def test_synth_into_a_file_or_past_a_size_limit(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    code, err = _cli(capsys, "synth", afile, "--persons", "2000")
    assert code == EXIT_USER
    assert f"the extract folder {afile} is a file, not a folder" in err
    out = tmp_path / "extract"

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))

    run = subprocess.run(
        [sys.executable, "-m", "cohort", "synth", str(out), "--persons", "2000"],
        capture_output=True, text=True, preexec_fn=cap, check=False,  # noqa: PLW1509
    )
    assert run.returncode == EXIT_USER, run.stderr
    assert "a file reached the size limit set for this process" in run.stderr
    assert "it has no extract.toml, so it is not read as an extract" in run.stderr
    assert not (out / "extract.toml").exists()


# -- pseudonymise -------------------------------------------------------------------


@pytest.fixture
def key(tmp_path) -> Path:
    k = tmp_path / "key"
    k.write_text("k" * 64)
    k.chmod(0o600)
    return k


def test_pseudonymise_missing_or_unreadable_input(tmp_path, monkeypatch, capsys, key):
    out = tmp_path / "out.csv"
    code, err = _cli(capsys, "pseudonymise", tmp_path / "nope.csv", out, "--columns", "cpr",
                     "--key-file", key)
    assert (code, f"{tmp_path / 'nope.csv'} does not exist" in err) == (EXIT_USER, True)
    code, err = _cli(capsys, "pseudonymise", tmp_path / "in.csv", out, "--columns", "cpr",
                     "--key-file", tmp_path / "nokey")
    assert (code, "key file" in err and "does not exist" in err) == (EXIT_USER, True)
    src = tmp_path / "in.csv"
    src.write_text("cpr\n0101901234\n")
    real = Path.read_bytes

    def refuse(self):
        if self == src:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, err = _cli(capsys, "pseudonymise", src, out, "--columns", "cpr", "--key-file", key)
    assert code == EXIT_USER
    assert f"the export {src} cannot be read: permission denied" in err
    assert not out.exists()


def test_pseudonymise_output_that_cannot_be_written(tmp_path, monkeypatch, capsys, key):
    src = tmp_path / "in.csv"
    src.write_text("cpr\n0101901234\n")
    code, err = _cli(capsys, "pseudonymise", src, tmp_path / "no" / "out.csv", "--columns",
                     "cpr", "--key-file", key)
    assert (code, "its folder does not exist" in err) == (EXIT_USER, True)

    def full(self, path, *args, **kwargs):
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    code, err = _cli(capsys, "pseudonymise", src, tmp_path / "out.csv", "--columns", "cpr",
                     "--key-file", key)
    assert code == EXIT_USER
    assert "the disk is full" in err and "no partial file is left" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "key"]


# -- the library ---------------------------------------------------------------------


def test_a_bad_memory_limit_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="memory_limit must be a size such as '4GB'"):
        read_extract(_extract(tmp_path), memory_limit="lots")
