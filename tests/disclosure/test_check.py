"""The release checker finds planted pids, CPR numbers and small counts in every
file type the library writes, and never echoes what it found."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cohort.disclosure import Release, check_release  # noqa: E402
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK  # noqa: E402

CPR_HYPH = "010190-1234"
CPR_TEN = "2512851234"
PID = "x1y2z3q9"
SECRETS = (CPR_HYPH, CPR_TEN, PID, "2512851234")

CLEAN = pd.DataFrame({"area": ["park", "rest"], "n": [10, 20]})
FRAMES = {
    "clean": CLEAN,
    "pid_column": CLEAN.assign(pid=[PID, PID + "0"]),
    "cpr_hyphenated": CLEAN.assign(note=[CPR_HYPH, "none"]),
    "cpr_shaped": CLEAN.assign(ref=[CPR_TEN, "none"]),
    "small_count": CLEAN.assign(n=[3, 20]),
}
TEXTS = {
    "clean": "Persons by area: n = 20",
    "pid_values": f"looked up pid={PID}",
    "cpr_hyphenated": f"case {CPR_HYPH}",
    "cpr_shaped": f"ref {CPR_TEN}",
    "small_count": "park: n = 3",
}


def write_tabular(path, df):
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".json":
        path.write_text(json.dumps({"table": df.to_dict("records")}))
    else:
        path.write_text(f"<html><body><h1>Report</h1>{df.to_html(index=False)}</body></html>")


def write_text(path, text):
    if path.suffix == ".svg":
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.set_title(text)
        fig.savefig(path, metadata={"Date": None})
        plt.close(fig)
    elif path.suffix == ".png":
        fig, _ = plt.subplots(figsize=(1, 1))
        fig.savefig(path, metadata={"Description": text})
        plt.close(fig)
    else:
        path.write_text(f"line one\n{text}\nline three\n")


def assert_no_echo(check):
    screen = check.render()
    for secret in SECRETS:
        assert secret not in screen
        for f in check.findings:
            assert secret not in f"{f.file}{f.location}{f.rule}"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".html"])
@pytest.mark.parametrize("plant", list(FRAMES))
def test_tabular_plants_are_found(tmp_path, suffix, plant):
    write_tabular(tmp_path / f"out{suffix}", FRAMES[plant])
    check = check_release(tmp_path)
    rules = {f.rule for f in check.findings}
    if plant == "clean":
        assert rules == set(), check.render()
        assert check.exit_code == EXIT_OK
    else:
        assert plant in rules, check.render()
        assert check.exit_code == EXIT_FINDINGS
        assert all(f.file == f"out{suffix}" for f in check.findings)
    assert_no_echo(check)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".log", ".svg", ".png", ".html", ".json"])
@pytest.mark.parametrize("plant", list(TEXTS))
def test_text_plants_are_found(tmp_path, suffix, plant):
    if suffix == ".html":
        (tmp_path / "r.html").write_text(f"<html><body><p>{TEXTS[plant]}</p></body></html>")
    elif suffix == ".json":
        (tmp_path / "r.json").write_text(json.dumps({"note": TEXTS[plant]}))
    else:
        write_text(tmp_path / f"r{suffix}", TEXTS[plant])
    check = check_release(tmp_path)
    rules = {f.rule for f in check.findings}
    if plant == "clean":
        assert rules == set(), check.render()
    else:
        assert plant in rules, check.render()
    assert_no_echo(check)


def test_pid_values_without_a_pid_name_are_found(tmp_path):
    keys = [f"k{i:03d}ab{i * 7 % 13}" for i in range(30)]
    pd.DataFrame({"key": keys, "area": ["a"] * 30}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"person": range(1_000_000, 1_000_030)}).to_parquet(tmp_path / "t.parquet")
    found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    assert ("t.csv", "pid_values") in found
    assert ("t.parquet", "pid_values") in found


def test_cpr_numbers_stored_as_integers_are_found(tmp_path):
    # 0101901234 as a number loses its leading zero
    pd.DataFrame({"ref": [101901234, 101901235]}).to_parquet(tmp_path / "t.parquet")
    assert "cpr_shaped" in {f.rule for f in check_release(tmp_path).findings}


def test_person_level_columns_and_minima_maxima_are_found(tmp_path):
    pd.DataFrame({"birth_date": ["2001-02-03"], "n": [10]}).to_csv(tmp_path / "a.csv",
                                                                    index=False)
    pd.DataFrame({"area": ["a"], "max_age": [97]}).to_csv(tmp_path / "b.csv", index=False)
    pd.DataFrame({"stat": ["mean", "min", "max"], "age": [40.1, 0, 97]}).to_csv(
        tmp_path / "c.csv", index=False)
    (tmp_path / "d.md").write_text("The oldest person: max = 97 years\n")
    found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    assert found >= {("a.csv", "person_level"), ("b.csv", "min_max"), ("c.csv", "min_max"),
                     ("d.md", "min_max")}


def test_unknown_and_unreadable_files_are_findings(tmp_path):
    CLEAN.to_excel(tmp_path / "t.xlsx", index=False)
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    assert found == {("t.xlsx", "unknown_file"), ("broken.parquet", "unreadable")}


def test_threshold_three_accepts_three(tmp_path):
    write_tabular(tmp_path / "t.csv", FRAMES["small_count"])
    assert check_release(tmp_path, threshold=3).ok
    assert not check_release(tmp_path, threshold=5).ok


def test_render_fits_one_screen(tmp_path):
    for i in range(40):
        write_tabular(tmp_path / f"t{i:02d}.csv", FRAMES["small_count"])
    screen = check_release(tmp_path).render()
    assert len(screen.splitlines()) <= 24
    assert "... and 20 more" in screen


def test_a_release_written_by_the_library_passes(tmp_path):
    df = pd.DataFrame({"area": ["Total", "park", "rest", "north"], "n": [70, 3, 40, 27]})
    with Release(tmp_path / "rel", seed=3, inputs=[]) as rel:
        out = rel.write_table("t", df, count_cols=["n"], totals={"area": "Total"})
        fig, ax = plt.subplots()
        ax.bar(out["area"], out["n"].astype("float").fillna(0).to_numpy())
        rel.write_figure("f", fig, table="t")
        plt.close(fig)
        rel.write_text("report.html", "<html><body><p>Persons by area</p></body></html>")
    check = check_release(tmp_path / "rel")
    assert check.ok, check.render()
    assert check.files == 6


def test_values_in_file_names_and_headers_are_found_and_not_echoed(tmp_path):
    pd.DataFrame({CPR_HYPH: [10], "n": [20]}).to_csv(tmp_path / f"case_{CPR_TEN}.csv",
                                                     index=False)
    check = check_release(tmp_path)
    found = {(f.location, f.rule) for f in check.findings}
    assert ("file name", "cpr_shaped") in found
    assert ("header of column 1", "cpr_hyphenated") in found
    assert_no_echo(check)


def test_a_share_column_of_whole_values_is_not_a_count(tmp_path):
    import pandas as pd

    from cohort.disclosure import check_release

    pd.DataFrame({"area": ["a", "b", "c"], "children": [6, 7, 8],
                  "share": [1.0, 1.0, 0.0]}).to_csv(tmp_path / "t.csv", index=False)
    assert check_release(tmp_path).ok
    pd.DataFrame({"area": ["a", "b", "c"], "children": [6, 2, 8]}).to_csv(
        tmp_path / "t.csv", index=False)
    assert not check_release(tmp_path).ok


def test_a_net_difference_of_counts_is_not_a_count_but_moves_are(tmp_path):
    """goals.csv's net (in-moves minus out-moves) may be 2 without showing 2 persons;
    a column of moves with a 2 is a small count."""
    years = list(range(2000, 2020))
    net = pd.DataFrame({"year": years, "net": [2, -3, 1, 0] * 5})
    (tmp_path / "ok").mkdir()
    (tmp_path / "bad").mkdir()
    write_tabular(tmp_path / "ok" / "goals.csv", net)
    assert not check_release(tmp_path / "ok").findings
    moves = net.rename(columns={"net": "in_moves"}).assign(in_moves=[2, 3, 1, 0] * 5)
    write_tabular(tmp_path / "bad" / "flows.csv", moves)
    assert {f.rule for f in check_release(tmp_path / "bad").findings} == {"small_count"}
