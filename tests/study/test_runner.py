"""End-to-end: a study file in, a release out that may leave the server."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest

from cohort.cli import main
from cohort.disclosure import check_release
from cohort.exceptions import EXIT_DATA, EXIT_OK, EXIT_USER, StudyFileError
from cohort.study import load_study, parse_study, run_study


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_release_is_complete_checked_and_reproducible(small_extract, study_file, tmp_path):
    out = tmp_path / "release"
    spec = load_study(study_file)
    first = run_study(spec, out=out, extract=small_extract)
    names = {p.name for p in out.iterdir()}
    for table in ("validation", "indicators_series", "strategy_table", "vulnerable_area_status"):
        assert f"{table}.csv" in names and f"{table}.parquet" in names
    assert {"indicators_series_figure.png", "indicators_series_figure.svg",
            "report.html", "manifest.json"} <= names
    assert check_release(out).ok
    # the figure drawn in the report is the one written
    assert 'src="indicators_series_figure.png"' in (out / "report.html").read_text()
    before = _digest(out)
    second = run_study(spec, out=out, extract=small_extract)
    assert _digest(out) == before
    assert first.cached == ()
    assert set(second.cached) == {"indicators", "vulnerable_area"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["disclosure"]["threshold"] == 5


def test_released_counts_respect_the_threshold(small_extract, study_file, tmp_path):
    out = tmp_path / "release"
    run_study(load_study(study_file), out=out, extract=small_extract)
    series = pd.read_csv(out / "indicators_series.csv")
    for col in ("numerator", "denominator"):
        v = series[col].dropna()
        assert not ((v >= 1) & (v < 5)).any()
    # the strategy's table has the estate next to its municipality (and the rest of
    # it, which anyone could compute), six indicators each
    table = pd.read_csv(out / "strategy_table.csv")
    assert set(table["unit"]) == {"area:vaerebro_park", "municipality:159",
                                  "municipality:159 without area:vaerebro_park"}
    assert table["indicator"].nunique() == 6


def test_unknown_key_names_the_key_and_the_allowed(study_file):
    text = study_file.read_text().replace("[analyses.indicators]", "[analyses.indicator]")
    study_file.write_text(text)
    with pytest.raises(StudyFileError, match=r"unknown key 'indicator' \(allowed: 'indicators'"):
        load_study(study_file)


def test_bad_parameter_value_is_a_study_file_error():
    raw = {"units": {"target": "x", "municipality": 159},
           "analyses": {"indicators": {"years": [2019, 2010]}}}
    with pytest.raises(StudyFileError, match=r"years must be \[first, last\]"):
        parse_study(raw)


def test_cli_exit_codes(small_extract, study_file, tmp_path, capsys):
    assert main(["run", str(study_file), "--extract", str(tmp_path / "none"),
                 "--out", str(tmp_path / "r")]) == EXIT_USER
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in small_extract.iterdir():
        (broken / p.name).write_bytes(p.read_bytes())
    (broken / "addresses.parquet").write_bytes(b"not parquet")
    assert main(["run", str(study_file), "--extract", str(broken),
                 "--out", str(tmp_path / "r")]) == EXIT_DATA
    err = capsys.readouterr().err
    assert "addresses.parquet: the file cannot be read as Parquet" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r").exists()
    assert main(["check-release", str(tmp_path / "broken")]) == 1


def test_estate_cannot_be_recovered_from_municipality_minus_rest(small_extract, study_file,
                                                                  tmp_path):
    out = tmp_path / "release"
    run_study(load_study(study_file), out=out, extract=small_extract)
    s = pd.read_csv(out / "indicators_series.csv")
    units = sorted(s["unit"].unique())
    assert units == ["area:vaerebro_park", "municipality:159",
                     "municipality:159 without area:vaerebro_park"]
    for _, part in s.groupby(["year", "indicator", "period"]):
        for col in ("numerator", "denominator"):
            hidden = part[col].isna().sum()
            # any one hidden cell of estate + rest = municipality needs a second one
            assert hidden != 1


def test_a_run_installs_the_log_scrubber_and_leaves_no_pid_anywhere(small_extract, study_file,
                                                                    tmp_path, caplog):
    import logging

    from cohort.disclosure import PidScrubFilter

    out = tmp_path / "release"
    with caplog.at_level(logging.DEBUG, logger="cohort"):
        run_study(load_study(study_file), out=out, extract=small_extract)
        logging.getLogger("cohort").warning("a record about 010190-1234")
    assert any(isinstance(f, PidScrubFilter) for f in logging.getLogger("cohort").filters)
    assert "010190-1234" not in caplog.text and "[redacted]" in caplog.text
    pids = set(pd.read_parquet(small_extract / "persons.parquet", columns=["pid"])["pid"])
    text = "".join(p.read_text(errors="ignore") for p in out.iterdir()
                   if p.suffix in (".csv", ".html", ".json", ".svg"))
    tokens = set(re.findall(r"P[0-9A-Z]{11}", text))
    assert not tokens & pids


def test_cohort_demo_end_to_end_passes_the_checker_and_reruns_byte_identical(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--persons", "20000"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "Release written to" in printed
    release = out / "release"
    first = _digest(release)
    assert main(["check-release", str(release)]) == EXIT_OK
    assert main(["demo", "--out", str(out), "--persons", "20000"]) == EXIT_OK
    assert _digest(release) == first
