"""Runs that never lose data and fail soft, tried through the command line as staff would.

The output folder is sacred: a run writes to a new path, an empty folder or a
release of the same study, and refuses everything else with exit 3, touching
nothing. One run per folder at a time. A model the data cannot identify leaves its
analysis out and the rest is released (exit 1). A study that does not fit the
extract stops before anything is computed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK, EXIT_USER, ModelError

ROOT = Path(__file__).resolve().parents[2]


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(study: Path, extract: Path, out: Path | str, capsys) -> tuple[int, str]:
    code = main(["run", str(study), "--extract", str(extract), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "my_notes"
    folder.mkdir()
    (folder / "ideas.txt").write_text("a user's own notes")
    (folder / "sub").mkdir()
    (folder / "sub" / "draft.md").write_text("# draft")
    return folder


def test_a_folder_of_the_users_is_refused_and_kept(small_extract, study_file, notes, capsys):
    before = _tree(notes)
    code, said = _run(study_file, small_extract, notes, capsys)
    assert code == EXIT_USER
    assert "is not a release" in said and "nothing was touched" in said
    assert _tree(notes) == before
    assert not any(p.name.startswith(".my_notes") for p in notes.parent.iterdir())


def test_out_equal_to_inside_or_around_the_extract_is_refused(small_extract, study_file,
                                                               tmp_path, capsys):
    before = _tree(small_extract)
    for out, word in ((small_extract, "is the input"),
                      (small_extract / "release", "lies inside the input"),
                      (small_extract.parent, "contains the input")):
        code, said = _run(study_file, small_extract, out, capsys)
        assert code == EXIT_USER, said
        assert word in said
    assert _tree(small_extract) == before
    assert not (small_extract / ".cohort-cache").exists()
    assert not (small_extract / "release").exists()


def test_a_file_at_out_is_refused_and_kept(small_extract, study_file, tmp_path, capsys):
    target = tmp_path / "release"
    target.write_text("not a folder")
    code, said = _run(study_file, small_extract, target, capsys)
    assert code == EXIT_USER and "is not a folder" in said
    assert target.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release", "study.toml"]


def test_out_dot_is_refused_not_an_internal_error(small_extract, study_file, tmp_path,
                                                 capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, said = _run(study_file, small_extract, ".", capsys)
    assert code == EXIT_USER, said
    assert "internal error" not in said


def test_a_release_of_the_study_is_replaced_and_nothing_stale_is_left(
        small_extract, study_file, tmp_path, capsys):
    out = tmp_path / "rel"
    # what a killed run of another process left beside the folder
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / f".rel.old-{dead}").mkdir()
    (tmp_path / f".rel.partial-{dead}").mkdir()
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    first = _tree(out)
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    assert _tree(out) == first  # byte-identical rerun
    hidden = [p.name for p in tmp_path.iterdir() if p.name.startswith(".rel")]
    assert hidden == []
    assert json.loads((out / "manifest.json").read_text())["study"] == "test study"


def test_a_release_holding_a_file_of_the_users_is_not_replaced(small_extract, study_file,
                                                              tmp_path, capsys):
    out = tmp_path / "rel"
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    (out / "my_comments.txt").write_text("keep me")
    before = _tree(out)
    code, said = _run(study_file, small_extract, out, capsys)
    assert code == EXIT_USER and "files the release did not write" in said
    assert _tree(out) == before


def test_a_release_of_another_study_is_not_replaced(small_extract, study_file, tmp_path,
                                                   capsys):
    out = tmp_path / "rel"
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    other = tmp_path / "other.toml"
    other.write_text(study_file.read_text().replace('name = "test study"',
                                                    'name = "another study"'))
    before = _tree(out)
    code, said = _run(other, small_extract, out, capsys)
    assert code == EXIT_USER and "another study" in said
    assert _tree(out) == before


def test_a_second_run_into_a_busy_folder_is_refused_with_the_first_named(
        small_extract, study_file, tmp_path, capsys):
    out = tmp_path / "rel"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tmp_path / ".rel.lock"
        lock.write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename,
                                    "started": "2026-12-04 10:00:00"}))
        code, said = _run(study_file, small_extract, out, capsys)
        assert code == EXIT_USER
        assert f"process {sleeper.pid}" in said and "being written by another run" in said
        assert not out.exists()
        assert lock.exists()  # the other run's lock is not ours to remove
    finally:
        sleeper.kill()
        sleeper.wait()
    # its process gone, the lock is stale: the next run takes it over and removes it
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    assert not lock.exists()


def test_two_runs_at_once_one_waits_for_nothing_and_is_refused(small_extract, study_file,
                                                              tmp_path):
    out = tmp_path / "rel"
    cmd = [sys.executable, "-m", "cohort", "run", str(study_file), "--extract",
           str(small_extract), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(2)]
    results = [(p.wait(timeout=600), p.stdout.read() + p.stderr.read()) for p in procs]
    codes = sorted(c for c, _ in results)
    # both may finish one after the other; never both "written" into one folder at once
    assert codes in ([EXIT_OK, EXIT_OK], [EXIT_OK, EXIT_USER]), results
    if codes == [EXIT_OK, EXIT_USER]:
        assert any("being written by another run" in t for _, t in results)
    assert (out / "manifest.json").is_file()
    assert not any(p.name.startswith(".rel") for p in tmp_path.iterdir())


def test_a_read_only_place_and_a_full_disk_are_exit_3(small_extract, study_file, tmp_path,
                                                       capsys, monkeypatch):
    out = tmp_path / "ro" / "rel"
    real_mkdir = Path.mkdir

    def refuse(self, *a, **k):
        if self == out.parent or self == out.parent.parent / "ro":
            raise PermissionError(13, "Permission denied")
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", refuse)
    code, said = _run(study_file, small_extract, out, capsys)
    assert code == EXIT_USER and "Permission denied" in said
    monkeypatch.undo()
    # a previous release survives a run that fills the disk half-way
    rel = tmp_path / "rel"
    assert _run(study_file, small_extract, rel, capsys)[0] == EXIT_OK
    before = _tree(rel)
    import cohort.disclosure.release as release

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(release, "_write_parquet", full)
    code, said = _run(study_file, small_extract, rel, capsys)
    assert code == EXIT_USER and "No space left on device" in said
    assert _tree(rel) == before
    assert not any(p.name.startswith(".rel") for p in tmp_path.iterdir())


@pytest.mark.skipif(not hasattr(os, "setrlimit") and sys.platform != "linux",
                    reason="needs resource limits")
def test_a_file_size_limit_is_exit_3_in_a_real_process(small_extract, study_file, tmp_path):
    out = tmp_path / "rel"
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
        "from cohort.cli import main\n"
        f"sys.exit(main(['run', {str(study_file)!r}, '--extract', {str(small_extract)!r}, "
        f"'--out', {str(out)!r}]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=600)
    assert p.returncode in (2, EXIT_USER), p.stderr
    assert "internal error" not in p.stderr
    assert not out.exists()


def test_a_damaged_cache_entry_is_recomputed_with_a_warning(small_extract, study_file,
                                                            tmp_path, capsys):
    out = tmp_path / "rel"
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK
    first = _tree(out)
    cache = tmp_path / ".cohort-cache"
    (victim,) = list((cache / "indicators").rglob("indicators_series.parquet"))
    victim.write_bytes(b"not parquet any more")
    with pytest.warns(UserWarning, match="cache entry .* is damaged"):
        code, _ = _run(study_file, small_extract, out, capsys)
    assert code == EXIT_OK
    assert _tree(out) == first
    # and the next run reads the fresh entry
    assert _run(study_file, small_extract, out, capsys)[0] == EXIT_OK


def test_an_analysis_the_data_cannot_support_is_left_out(small_extract, study_file, tmp_path,
                                                        capsys, monkeypatch):
    import cohort.indicators

    def singular(*a, **k):
        msg = "the design is singular: 'sex=M' is collinear with the other columns"
        raise ModelError(msg)

    monkeypatch.setattr(cohort.indicators, "vulnerable_area", singular)
    out = tmp_path / "rel"
    code, said = _run(study_file, small_extract, out, capsys)
    assert code == EXIT_FINDINGS
    assert "left out" in said
    names = {p.name for p in out.iterdir()}
    assert "indicators_series.csv" in names and "vulnerable_area_status.csv" not in names
    report = (out / "report.html").read_text()
    assert "Left out of this release: the design is singular" in report


def test_a_bad_parameter_stops_at_load_before_any_output(small_extract, tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_text("""
[study]
name = "bad bins"
[units]
target = "vaerebro_park"
municipality = 159
comparison = ["tingbjerg", "gellerup", "vollsmose"]
[intervention]
start = 2016-01-01
[analyses.did]
dose_bins = [0, 1, 2, 3, 4]
""")
    out = tmp_path / "rel"
    code, said = _run(study, small_extract, out, capsys)
    assert code == EXIT_USER and "dose_bins ['(3,4]'] hold no child" in said
    assert not out.exists() and not (tmp_path / ".cohort-cache").exists()
    assert "validating" not in said  # stopped at load, before the extract was read


def test_a_study_that_does_not_fit_the_extract_stops_before_computing(small_extract,
                                                                     tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_text("""
[study]
name = "too late"
[units]
target = "vaerebro_park"
municipality = 159
comparison = ["tingbjerg", "no_such_estate"]
[analyses.indicators]
years = [2016, 2021]
table_year = 2018
[analyses.survival]
birth_years = [2005, 2010]
""")
    out = tmp_path / "rel"
    code, said = _run(study, small_extract, out, capsys)
    assert code == EXIT_USER
    assert "does not fit the extract" in said
    assert "no_such_estate" in said and "2021" in said and "birth_years" in said
    assert "[1/" not in said  # no analysis started
    assert not out.exists() and not (tmp_path / ".cohort-cache").exists()


def test_released_tables_keep_their_meanings_order(small_extract, tmp_path, capsys):
    study = tmp_path / "study.toml"
    study.write_text("""
[study]
name = "order"
[units]
target = "vaerebro_park"
municipality = 159
[analyses.survival]
birth_years = [1990, 1999]
""")
    out = tmp_path / "rel"
    assert _run(study, small_extract, out, capsys)[0] in (EXIT_OK, EXIT_FINDINGS)
    flow = pd.read_csv(out / "survival_flow.csv")
    assert flow["criterion"].iloc[0] == "persons in the extract"
    assert flow["n"].is_monotonic_decreasing
    exits = pd.read_csv(out / "survival_exits.csv")
    assert list(dict.fromkeys(exits["group"])) == ["exposed", "comparison"]


def test_run_help_says_what_out_accepts_and_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "empty folder" in text and "release of the same study" in text
    assert "exit" in text and "1 " in text and "3 " in text


def test_an_unreadable_study_file_is_exit_3(small_extract, study_file, tmp_path, capsys,
                                            monkeypatch):
    real_open = Path.open

    def refuse(self, *a, **k):
        if self == study_file:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", refuse)
    code, said = _run(study_file, small_extract, tmp_path / "rel", capsys)
    assert code == EXIT_USER and "cannot be read (Permission denied)" in said
