"""The yearly cycle on a secure server (issue 15), tried as staff and evaluators would.

A study whose years end in "latest" runs on two extracts with different end years,
each into its own dated release; ``cohort diff`` names exactly the tables that
changed; ``cohort verify`` reruns a release from its manifest; the manifest records
the software; long steps say what they do; the run log leaves with the release.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import tomllib
from importlib import metadata
from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main
from cohort.disclosure import check_release
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK, EXIT_USER

ROOT = Path(__file__).resolve().parents[1]

STUDY = """
[study]
name = "yearly study"
seed = 7

[units]
target = "vaerebro_park"
municipality = 159
comparison = ["tingbjerg", "gellerup", "vollsmose"]

[analyses.indicators]
years = [2016, "latest"]
table_year = 2017

[analyses.vulnerable_area]
list_years = [2017, "latest"]
"""


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def cycle(small_extract, tmp_path_factory):
    """Two years of the yearly routine: extracts ending 2018 and 2019, dated releases."""
    root = tmp_path_factory.mktemp("yearly")
    ex19 = small_extract
    ex18 = root / "extract2018"
    shutil.copytree(small_extract, ex18)
    toml = ex18 / "extract.toml"
    toml.write_text(toml.read_text().replace("extract_end = 2019-12-31",
                                             "extract_end = 2018-12-31"))
    study = root / "yearly.toml"
    study.write_text(STUDY)
    releases = root / "releases"
    codes = {}
    for ex in (ex18, ex19):
        codes[ex.name] = main(["--quiet", "run", str(study), "--extract", str(ex),
                               "--out", str(releases), "--dated"])
    return {"root": root, "ex18": ex18, "ex19": ex19, "study": study, "releases": releases,
            "old": releases / "yearly-2018-12-31", "new": releases / "yearly-2019-12-31",
            "codes": codes}


# ------------------------------------------------------------- latest and dated
def test_latest_years_roll_forward_into_dated_releases(cycle):
    assert set(cycle["codes"].values()) == {EXIT_OK}
    assert sorted(p.name for p in cycle["releases"].iterdir() if not p.name.startswith(".")) \
        == ["yearly-2018-12-31", "yearly-2019-12-31"]
    for folder, last in ((cycle["old"], 2018), (cycle["new"], 2019)):
        series = pd.read_csv(folder / "indicators_series.csv")
        assert series["year"].max() == last and series["year"].min() == 2016
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["resolved_years"] == {"indicators": {"years": [2016, last]},
                                              "vulnerable_area": {"list_years": [2017, last]}}
        assert manifest["extract"]["end"] == f"{last}-12-31"
        assert check_release(folder).ok
    # the cache of unsuppressed tables is not among the releases that leave
    assert not (cycle["releases"] / ".cohort-cache").exists()


def test_a_dated_rerun_replaces_its_own_year_and_refuses_a_folder_of_the_users(
        cycle, tmp_path, capsys):
    releases = tmp_path / "releases"
    mine = releases / "yearly-2019-12-31"
    mine.mkdir(parents=True)
    (mine / "notes.txt").write_text("mine")
    code, _, err = _cli(["run", str(cycle["study"]), "--extract", str(cycle["ex19"]),
                         "--out", str(releases), "--dated"], capsys)
    assert code == EXIT_USER
    assert "is not a release" in err and "Traceback" not in err
    assert (mine / "notes.txt").read_text() == "mine"


def test_latest_in_the_wrong_place_or_past_a_cross_check_is_exit_3(cycle, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY.replace('years = [2016, "latest"]', 'years = ["latest", 2019]'))
    code, _, err = _cli(["run", str(bad), "--extract", str(cycle["ex19"]),
                         "--out", str(tmp_path / "r")], capsys)
    assert code == EXIT_USER and "bad.toml" in err and "latest" in err
    # table_year must lie inside the years: 2019 fits the 2019 extract, not the 2018 one
    late = tmp_path / "late.toml"
    late.write_text(STUDY.replace("table_year = 2017", "table_year = 2019"))
    code, _, err = _cli(["run", str(late), "--extract", str(cycle["ex18"]),
                         "--out", str(tmp_path / "r")], capsys)
    assert code == EXIT_USER
    assert '"latest"' in err and "2018" in err and "table_year" in err
    assert not (tmp_path / "r").exists()


def test_latest_year_hook_default_and_follow_up_overrides():
    from cohort.study.analyses import ANALYSES, Analysis, ExtractFacts

    def facts(end):
        return ExtractFacts(extract_end=end, areas=frozenset(), municipalities=frozenset())

    base = Analysis()
    assert base.latest_year(facts(dt.date(2019, 12, 31)), "years") == 2019
    assert base.latest_year(facts(dt.date(2019, 6, 30)), "years") == 2018
    # the DiD needs the outcome 15 months after the last exam year
    assert ANALYSES["did"].latest_year(facts(dt.date(2019, 12, 31)), "exam_years") == 2018
    assert ANALYSES["did"].latest_year(facts(dt.date(2019, 12, 31)), "support_years") == 2019
    # survival: the last birth year whose 9th grade ends inside the extract
    assert ANALYSES["survival"].latest_year(facts(dt.date(2019, 12, 31)), "birth_years") == 2003


# ------------------------------------------------------------------------- diff
def _differing_tables(old: Path, new: Path) -> set[str]:
    tables = {p.stem for p in old.glob("*.csv")} | {p.stem for p in new.glob("*.csv")}
    out = set()
    for t in tables:
        a, b = old / f"{t}.csv", new / f"{t}.csv"
        if not (a.exists() and b.exists()) or a.read_bytes() != b.read_bytes():
            out.add(t)
    return out


def test_diff_names_exactly_the_tables_that_differ_and_passes_the_checker(
        cycle, tmp_path, capsys):
    old, new = cycle["old"], cycle["new"]
    code, out, err = _cli(["diff", str(old), str(new)], capsys)
    assert code == EXIT_FINDINGS, err
    differ = _differing_tables(old, new)
    assert "indicators_series" in differ  # a new year
    every = {p.stem for p in new.glob("*.csv")} | {p.stem for p in old.glob("*.csv")}
    named = {t for t in every if f"table {t}:" in out}
    assert named == differ
    assert "2018-12-31 -> 2019-12-31" in out  # the extract's end
    assert "rows added" in out
    report = tmp_path / "diff.txt"
    report.write_text(out)
    assert check_release(report).ok
    # the same through --out, which refuses to overwrite a file
    code, _, _ = _cli(["diff", str(old), str(new), "--out", str(tmp_path / "d.txt")], capsys)
    assert code == EXIT_FINDINGS and (tmp_path / "d.txt").read_text() == out
    code, _, err = _cli(["diff", str(old), str(new), "--out", str(tmp_path / "d.txt")], capsys)
    assert code == EXIT_USER and "exists" in err


def test_diff_counts_cells_newly_suppressed_and_released(cycle, tmp_path, capsys):
    old = tmp_path / "old"
    shutil.copytree(cycle["new"], old)
    series = pd.read_csv(old / "indicators_series.csv")
    shown = series["numerator"].notna()
    first, second = shown[shown].index[:2]
    series.loc[first, "numerator"] = None          # hidden last year, shown now
    series.loc[second, "numerator"] = series.loc[second, "numerator"] + 1
    series.to_csv(old / "indicators_series.csv", index=False)
    code, out, _ = _cli(["diff", str(old), str(cycle["new"])], capsys)
    assert code == EXIT_FINDINGS
    line = next(x for x in out.splitlines() if x.startswith("table indicators_series:"))
    assert "cells changed 1" in line and "newly released 1" in line
    assert "newly suppressed 0" in line


def test_diff_of_a_release_with_itself_is_identical(cycle, capsys):
    code, out, _ = _cli(["diff", str(cycle["new"]), str(cycle["new"])], capsys)
    assert code == EXIT_OK
    assert "identical" in out


def test_diff_of_a_folder_that_is_no_release_is_exit_3(cycle, tmp_path, capsys):
    code, _, err = _cli(["diff", str(tmp_path), str(cycle["new"])], capsys)
    assert code == EXIT_USER and "manifest.json" in err


# ----------------------------------------------------------------------- verify
def test_verify_a_fresh_release_is_exit_0(cycle, capsys):
    code, out, err = _cli(["verify", str(cycle["new"]), "--extract", str(cycle["ex19"])],
                          capsys)
    assert code == EXIT_OK, out + err
    assert "identical" in out


def test_verify_a_tampered_table_is_exit_1_naming_it_and_its_cell(cycle, tmp_path, capsys):
    release = tmp_path / "copy"
    shutil.copytree(cycle["old"], release)
    before = _tree(release)
    csv = release / "strategy_table.csv"
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    col = next(i for i, v in enumerate(cells) if v.replace(".", "").isdigit())
    cells[col] = str(float(cells[col]) + 7)
    lines[3] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    code, out, _ = _cli(["verify", str(release), "--extract", str(cycle["ex18"])], capsys)
    assert code == EXIT_FINDINGS
    assert "strategy_table" in out
    assert f"row 3, column {header[col]}" in out
    others = {p.stem for p in release.glob("*.csv")} - {"strategy_table"}
    assert not any(f"{t}.csv" in out for t in others)
    # verify writes nothing into the release
    after = _tree(release)
    assert set(after) == set(before)


def test_verify_with_other_software_or_another_extract_is_exit_3(cycle, tmp_path, capsys):
    release = tmp_path / "copy"
    shutil.copytree(cycle["new"], release)
    path = release / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["software"]["source_sha256"] = "sha256:" + "0" * 64
    manifest["software"]["dependencies"]["pandas"] = "1.0.0"
    path.write_text(json.dumps(manifest))
    code, out, err = _cli(["verify", str(release), "--extract", str(cycle["ex19"])], capsys)
    assert code == EXIT_USER
    assert "source_sha256" in err and "pandas 1.0.0" in err
    code, _, err = _cli(["verify", str(cycle["new"]), "--extract", str(cycle["ex18"])], capsys)
    assert code == EXIT_USER and "extract.toml" in err


# ------------------------------------------------------------------- provenance
def test_manifest_records_the_software_study_and_extract(cycle):
    from cohort._provenance import source_sha256

    manifest = json.loads((cycle["new"] / "manifest.json").read_text())
    sw = manifest["software"]
    assert sw["distribution"] == "cohort-registers"
    assert sw["version"] == "0.1.0"
    assert sw["source_sha256"] == source_sha256()
    assert sw["python"].count(".") == 2
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {d.split(">")[0].split("<")[0].split("=")[0].strip() for d in deps}
    assert set(sw["dependencies"]) == names
    assert sw["dependencies"]["pandas"] == metadata.version("pandas")
    assert manifest["study_file"]["sha256"].startswith("sha256:")
    assert manifest["extract"]["sha256"].startswith("sha256:")


def test_source_sha256_is_deterministic_and_follows_every_source_file(tmp_path):
    from cohort._provenance import source_sha256

    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    (pkg / "sub" / "study.toml").write_text("[study]\n")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    first = source_sha256(pkg)
    assert first == source_sha256(pkg) and first.startswith("sha256:")
    (pkg / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\1")
    assert source_sha256(pkg) == first  # bytecode is no source
    (pkg / "sub" / "study.toml").write_text("[study]\nname = 'x'\n")
    assert source_sha256(pkg) != first


# ------------------------------------------------------------ feedback and logs
def test_run_log_has_steps_and_counts_no_timings_and_keeps_reruns_identical(cycle, tmp_path):
    log = (cycle["new"] / "run.log").read_text()
    assert "validation" in log and "indicators" in log and "vulnerable_area" in log
    assert "persons" in log  # rows per table, as released in validation.csv
    assert " s\n" not in log and "seconds" not in log  # timings vary: stderr only
    assert check_release(cycle["new"]).ok
    manifest = json.loads((cycle["new"] / "manifest.json").read_text())
    assert "run.log" in {o["path"] for o in manifest["outputs"]}


def test_cohort_version(capsys):
    from cohort._provenance import source_sha256

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("cohort-registers 0.1.0")
    assert source_sha256()[len("sha256:"):][:12] in out


def test_progress_and_timings_on_stderr_and_quiet_silences_them(cycle, tmp_path, capsys):
    from cohort.cli import _parser

    small = tmp_path / "small.toml"  # one cheap analysis: this test is about the lines
    small.write_text(STUDY[:STUDY.index("[analyses.indicators]")]
                     + '[analyses.vulnerable_area]\nlist_years = [2017, "latest"]\n')
    args = ["run", str(small), "--extract", str(cycle["ex19"])]
    code, out, err = _cli([*args, "--out", str(tmp_path / "a")], capsys)
    assert code == EXIT_OK
    assert "validating persons" in err           # per table, within the step
    assert "Criteria for a vulnerable housing area" in err  # each analysis
    assert err.count("done in") >= 3             # per-step timings
    assert "\r" not in err                        # plain lines when not a terminal
    assert "Release written to" in out
    code, out, err = _cli([*args, "--quiet", "--out", str(tmp_path / "b")], capsys)
    assert code == EXIT_OK and err == "" and "Release written to" in out
    assert _parser().parse_args(["--quiet", *args]).quiet
    assert not _parser().parse_args(args).quiet


def test_progress_rewrites_one_line_on_a_terminal():
    from cohort._progress import Reporter

    class Tty(io.StringIO):
        def isatty(self):
            return True

    for stream, tty in ((Tty(), True), (io.StringIO(), False)):
        rep = Reporter(stream)
        with rep.step("validating the extract"):
            for i, t in enumerate(("persons", "residence"), start=1):
                rep.item(f"validating {t}", i, 2)
        text = stream.getvalue()
        assert ("\r" in text) is tty
        assert "validating residence (2 of 2)" in text and "done in" in text
        assert [name for name, _ in rep.timings] == ["validating the extract"]


def test_synth_says_what_it_writes(tmp_path, capsys):
    code, _, err = _cli(["synth", str(tmp_path / "x"), "--persons", "2000", "--seed", "1"],
                        capsys)
    assert code == EXIT_OK
    assert "writing" in err and "done in" in err


# ------------------------------------------------- a distribution name that is ours
def test_the_distribution_is_cohort_registers_everywhere_in_the_docs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "cohort-registers"
    wrong = re.compile(r"pip install (?:-\S+ )*[\"']?cohort(?![\w-])(?!/)")
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        assert not wrong.search(doc.read_text()), doc.name


def _environment_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("- ") and "=" in line and "==" not in line:
            name, version = line[2:].split("=", 1)
            pins[name.strip()] = version.strip()
    return pins


def test_environment_yml_pins_the_installed_versions_and_installs_without_an_index():
    import sys

    conda_names = {"python-duckdb": "duckdb", "matplotlib-base": "matplotlib"}
    pins = _environment_pins()
    assert pins.pop("python") == ".".join(str(v) for v in sys.version_info[:3])
    for name, version in pins.items():
        assert metadata.version(conda_names.get(name, name)) == version, name
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in deps}
    assert names <= {conda_names.get(n, n) for n in pins}
    text = (ROOT / "environment.yml").read_text()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert "--no-index" in text and "--find-links wheelhouse" in text
    assert f"cohort-registers=={version}" in text and "-e ." not in text


def _can_build_offline() -> str | None:
    """Why a wheel of the package cannot be built here without an index, or None."""
    try:
        import setuptools
        import wheel  # noqa: F401
    except ImportError as err:
        return f"no {err.name} here to build a wheel without an index"
    if int(setuptools.__version__.split(".")[0]) < 68:
        return f"setuptools {setuptools.__version__} < 68 (pyproject's build requirement)"
    return None


@pytest.mark.skipif(_can_build_offline() is not None,
                    reason=str(_can_build_offline()))
def test_the_package_installs_from_a_local_wheelhouse_without_an_index(tmp_path):
    import subprocess
    import sys

    wheelhouse, target = tmp_path / "wheelhouse", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir"]
    subprocess.run([*pip, "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(wheelhouse)], check=True, timeout=60,
                   capture_output=True)
    wheels = [p.name for p in wheelhouse.glob("*.whl")]
    assert len(wheels) == 1 and wheels[0].startswith("cohort_registers-")
    subprocess.run([*pip, "install", "--no-index", "--no-deps", "--find-links",
                    str(wheelhouse), "--target", str(target), "cohort-registers"],
                   check=True, timeout=60, capture_output=True)
    assert (target / "cohort" / "study" / "bagsvaerd.toml").is_file()
    assert any(p.name.startswith("cohort_registers-") for p in target.glob("*.dist-info"))
