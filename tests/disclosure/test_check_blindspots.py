"""Blind spots of the release checker: each test plants something that passed the
check before (exit 0) and must now be a finding, or something a package-written
release holds that must not be one. Findings never echo what they found."""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import struct
import urllib.parse
import zipfile
import zlib

import matplotlib
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cohort.disclosure import Release, check_release  # noqa: E402
from cohort.disclosure.check import scan_file, scan_text  # noqa: E402
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK  # noqa: E402

CPR_HYPH = "010190-1234"
CPR_TEN = "2512851234"
PID = "x1y2z3q9"
SECRETS = (CPR_HYPH, CPR_TEN, "0101901234", "101901234", PID, "010190")


def rules_of(check, file=None):
    return {f.rule for f in check.findings if file is None or f.file == file}


def assert_no_echo(check):
    screen = check.render()
    for secret in SECRETS:
        assert secret not in screen
        for f in check.findings:
            assert secret not in f"{f.file}{f.location}{f.rule}"


def html_table(header, rows):
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f"<!DOCTYPE html><html><body><h1>Report</h1><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></body></html>")


def text_rules(text, threshold=5):
    return {f.rule for f in scan_text(text, file="t.txt", threshold=threshold)}


# ------------------------------------------------- 1. numbers with thousands groups
@pytest.mark.parametrize("big", ["1,234", "1.234", "1 234", "1\u00a0234", "1\u2009234",
                                 "1\u202f234", "12,345,678", "12.345.678"])
def test_small_count_in_a_column_with_thousands_separators(tmp_path, big):
    (tmp_path / "report.html").write_text(
        html_table(["area", "persons"], [["park", "3"], ["rest", big], ["north", "40"]]),
        encoding="utf-8")
    check = check_release(tmp_path)
    assert "small_count" in rules_of(check), check.render()
    assert check.exit_code == EXIT_FINDINGS


@pytest.mark.parametrize("big", ["1,234", "1.234", "1 234", "1\u00a0234"])
def test_thousands_separators_in_csv_cells_are_numbers(tmp_path, big):
    pd.DataFrame({"area": ["park", "rest"], "children": ["3", big]}).to_csv(
        tmp_path / "t.csv", index=False)
    assert "small_count" in rules_of(check_release(tmp_path))


def test_a_suppressed_cell_marker_does_not_turn_a_count_column_into_text(tmp_path):
    (tmp_path / "report.html").write_text(
        html_table(["area", "events"], [["park", "·"], ["rest", "3"], ["north", "1,240"]]),
        encoding="utf-8")
    assert "small_count" in rules_of(check_release(tmp_path))


@pytest.mark.parametrize("values", [["1.5", "0.8", "2.25"], ["1,5", "0,8", "2,25"],
                                    ["1,234.5", "2.5", "3.75"], ["1.234,5", "2,5", "3,75"]])
def test_decimals_are_not_counts(tmp_path, values):
    # a whole-number column not named like a dimension is a count column; decimals
    # (English or Danish) are not whole, so 1.5 or 2,25 are no small counts
    (tmp_path / "report.html").write_text(
        html_table(["term", "hr"], [["a", values[0]], ["b", values[1]], ["c", values[2]]]),
        encoding="utf-8")
    check = check_release(tmp_path)
    assert check.ok, check.render()


def test_clean_report_table_with_thousands_passes(tmp_path):
    (tmp_path / "report.html").write_text(
        html_table(["area", "persons", "share"],
                   [["park", "1,234", "12.5 %"], ["rest", "·", "·"], ["north", "40", "3.3 %"]]),
        encoding="utf-8")
    check = check_release(tmp_path)
    assert check.ok, check.render()


@pytest.mark.parametrize("text", ["Antal personer: 1.234", "Antal personer: 1 234",
                                  "n = 1,234", "1,234 persons", "1.234 personer"])
def test_grouped_numbers_in_text_are_not_small(text):
    assert "small_count" not in text_rules(text)


# --------------------------------------------------------------- 2. file system
def test_symlinks_are_findings_and_never_followed(tmp_path):
    extract = tmp_path / "extract"
    extract.mkdir()
    pd.DataFrame({"pid": [PID], "cpr": [CPR_HYPH]}).to_csv(extract / "persons.csv", index=False)
    rel = tmp_path / "rel"
    rel.mkdir()
    pd.DataFrame({"area": ["a"], "n": [10]}).to_csv(rel / "t.csv", index=False)
    (rel / "data").symlink_to(extract, target_is_directory=True)
    (rel / "persons.csv").symlink_to(extract / "persons.csv")
    (rel / "gone.csv").symlink_to(tmp_path / "nothing.csv")
    check = check_release(rel)
    found = {(f.file, f.rule) for f in check.findings}
    assert found == {("data", "symlink"), ("persons.csv", "symlink"), ("gone.csv", "symlink")}
    assert check.exit_code == EXIT_FINDINGS
    assert_no_echo(check)


def test_a_symlink_passed_to_scan_file_is_a_finding(tmp_path):
    (tmp_path / "real.txt").write_text(f"case {CPR_HYPH}\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert [f.rule for f in scan_file(tmp_path / "link.txt", name="link.txt")] == ["symlink"]


def test_unreadable_folder_is_a_finding_simulated(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.txt").write_text(f"case {CPR_HYPH}\n")
    (tmp_path / "ok.txt").write_text("fine\n")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("sub"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    check = check_release(tmp_path)
    assert {(f.file, f.rule) for f in check.findings} == {("sub", "unreadable")}


def test_unreadable_file_is_a_finding_simulated(tmp_path, monkeypatch):
    (tmp_path / "t.txt").write_text(f"case {CPR_HYPH}\n")
    real = os.open

    def fake_open(path, flags, *args, **kwargs):
        if os.fspath(path).endswith("t.txt"):
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    check = check_release(tmp_path)
    assert {(f.file, f.rule) for f in check.findings} == {("t.txt", "unreadable")}


@pytest.mark.skipif(os.geteuid() == 0, reason="chmod 000 does not stop root")
def test_unreadable_folder_and_file_are_findings_for_real(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "t.txt").write_text(f"case {CPR_HYPH}\n")
    (tmp_path / "u.txt").write_text(f"case {CPR_HYPH}\n")
    os.chmod(tmp_path / "sub", 0)
    os.chmod(tmp_path / "u.txt", 0)
    try:
        found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    finally:
        os.chmod(tmp_path / "sub", 0o755)
        os.chmod(tmp_path / "u.txt", 0o644)
    assert found == {("sub", "unreadable"), ("u.txt", "unreadable")}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_a_finding_and_is_not_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    assert found == {("pipe.txt", "unknown_file")}


def test_folder_names_are_scanned(tmp_path):
    (tmp_path / f"case_{CPR_TEN}").mkdir()
    check = check_release(tmp_path)
    assert "cpr_shaped" in rules_of(check)
    assert_no_echo(check)


# ------------------------------------------------------ 3. hidden places in HTML
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def tiny_png(*extra: tuple[bytes, bytes], trailing: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + b"".join(chunk(k, b) for k, b in extra)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"") + trailing)


def svg(inner: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'width="10" height="10">{inner}</svg>\n')


CSV_PAYLOAD = f"area,note\na,{CPR_HYPH}\n".encode()
JPEG_START = b"\xff\xd8\xff\xe0JFIF"
SVG_DESC = svg(f"<desc>{CPR_HYPH}</desc>").encode()
SVG_TITLE = urllib.parse.quote(svg(f"<title>{CPR_HYPH}</title>"))
HTML_P = f"<p>{CPR_HYPH}</p>".encode()
JSON_REF = json.dumps({"ref": CPR_HYPH}).encode()
PNG_TEXT = tiny_png((b"tEXt", b"Comment" + bytes(1) + CPR_HYPH.encode()))
B64_CPR = b64(CPR_HYPH.encode())

HIDDEN_HTML = {
    "comment": f"<p>ok</p><!-- case {CPR_HYPH} -->",
    "script": f"<script>var ref = '{CPR_TEN}';</script>",
    "style": f"<style>/* {CPR_HYPH} */ body {{ color: red }}</style>",
    "attribute": f'<p title="case {CPR_HYPH}">ok</p>',
    "hidden_input": f'<input type="hidden" value="{CPR_TEN}">',
    "href_percent": '<a href="https://x.org/p?id=010190%2D1234">link</a>',
    "data_text_base64": f'<a href="data:text/plain;base64,{B64_CPR}">x</a>',
    "data_text_percent": '<a href="data:,case%20010190%2D1234">x</a>',
    "data_svg_base64": f'<img src="data:image/svg+xml;base64,{b64(SVG_DESC)}">',
    "data_svg_percent": f'<img src="data:image/svg+xml,{SVG_TITLE}">',
    "data_html": f'<iframe src="data:text/html;base64,{b64(HTML_P)}"></iframe>',
    "data_json": f'<a href="data:application/json;base64,{b64(JSON_REF)}">x</a>',
    "data_csv": f'<a href="data:text/csv;base64,{b64(CSV_PAYLOAD)}">x</a>',
    "data_png": f'<img src="data:image/png;base64,{b64(PNG_TEXT)}">',
    "css_url": f"<div style=\"background: url('data:text/plain;base64,{B64_CPR}')\">x</div>",
    "srcdoc": f'<iframe srcdoc="&lt;p&gt;{CPR_HYPH}&lt;/p&gt;"></iframe>',
    "entities": "<p>&#48;10190-1234 and &#x30;&#49;0190&#45;1234</p>",
    "split_inline": "<p>0101<b>90</b>-1234</p>",
    "cdata_in_svg": "<svg><![CDATA[ 010190-1234 ]]></svg>",
}


@pytest.mark.parametrize("where", list(HIDDEN_HTML))
def test_cpr_hidden_in_html_is_found(tmp_path, where):
    (tmp_path / "report.html").write_text(
        f"<!DOCTYPE html><html><head><title>r</title></head><body>{HIDDEN_HTML[where]}"
        "</body></html>", encoding="utf-8")
    check = check_release(tmp_path)
    assert rules_of(check) & {"cpr_hyphenated", "cpr_shaped"}, check.render()
    assert_no_echo(check)


@pytest.mark.parametrize("payload", [
    'src="data:image/png;base64,!!!not base64!!!"',
    f'src="data:image/jpeg;base64,{b64(JPEG_START)}"',
    f'src="data:application/octet-stream;base64,{b64(b"abc")}"',
    f'src="data:image/png;base64,{b64(b"not a png")}"',
])
def test_undecodable_or_unknown_data_uri_is_a_finding(tmp_path, payload):
    (tmp_path / "report.html").write_text(f"<html><body><img {payload}></body></html>")
    check = check_release(tmp_path)
    assert rules_of(check) & {"unknown_file", "unreadable"}, check.render()


def test_clean_embedded_figure_passes(tmp_path):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([1, 2, 3], [40, 50, 60])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": "cohort"})
    plt.close(fig)
    (tmp_path / "report.html").write_text(
        f'<html><body><img alt="persons by year" src="data:image/png;base64,{b64(buf.getvalue())}">'
        "</body></html>")
    check = check_release(tmp_path)
    assert check.ok, check.render()


def test_small_counts_in_html_comments_and_alt_text(tmp_path):
    (tmp_path / "report.html").write_text(
        '<html><body><!-- park: n = 3 --><img alt="3 children moved" src="f.png"></body></html>')
    check = check_release(tmp_path)
    assert "small_count" in rules_of(check)
    assert sum(f.count for f in check.findings if f.rule == "small_count") == 2


# ---------------------------------------------------------- 4. CPR with odd dashes
@pytest.mark.parametrize("sep", ["\u2013", "\u2014", "\u2212", "\u2011", "\u2012", "\u2010",
                                 " ", "\u00a0", "\u202f", " - ", " \u2013 "])
def test_cpr_with_other_dashes_and_spaces_is_found(tmp_path, sep):
    cpr = f"010190{sep}1234"
    (tmp_path / "r.txt").write_text(f"line one\ncase {cpr} here\n", encoding="utf-8")
    pd.DataFrame({"area": ["a", "b"], "note": [cpr, "none"]}).to_csv(tmp_path / "t.csv",
                                                                     index=False)
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "r.txt"), check.render()
    assert "cpr_hyphenated" in rules_of(check, "t.csv"), check.render()
    assert_no_echo(check)


@pytest.mark.parametrize("text", [f"case{CPR_HYPH}", f"https://x.org/person/{CPR_HYPH}/view",
                                  f"https://x.org/?id={CPR_HYPH}&a=1", f"ID_{CPR_HYPH}b",
                                  f"x{CPR_HYPH}y", f"cpr:{CPR_HYPH}."])
def test_hyphenated_cpr_inside_words_and_urls_is_found(text):
    assert "cpr_hyphenated" in text_rules(text)


@pytest.mark.parametrize("text", ["2019-2020", "1990\u20132019", "12.01.1990-1234",
                                  "ratio 0.010190-1234", "3112990-12345", "010190-12345",
                                  "320190-1234", "aged 25-64", "M 120.5 1234.5"])
def test_things_that_are_not_cpr_numbers(text):
    assert not text_rules(text) & {"cpr_hyphenated", "cpr_shaped"}


def test_cpr_inside_a_csv_label_next_to_text_is_found(tmp_path):
    pd.DataFrame({"area": ["a", "b"], "note": [f"case {CPR_TEN}", "none"]}).to_csv(
        tmp_path / "t.csv", index=False)
    assert "cpr_shaped" in rules_of(check_release(tmp_path))


# --------------------------------------------------------- 5. counts in running text
SMALL_COUNT_TEXTS = [
    "Antal personer: 3", "3 personer flyttede", "3 børn", "3 af 43", "n = 3", "N=3",
    "3 persons", "3 children", "3 of 43", "3 events", "3 hændelser", "(n=2)",
    "Of these, 2 resource-strong persons moved out.", "4 nye beboere", "1 person died.",
    "antal: 4", "number of deaths: 2", "n = 3.", "3 out of 43 residents", "3 ud af 43",
    "40 of 43 persons", "3 of the children", "persons: 3", "events = 1", "antal børn er 2",
    "i alt 3 kvinder", "3 unge",
]
NOT_SMALL_COUNT_TEXTS = [
    "3 tables", "figure 3", "Figure 3 shows persons by area", "version 3", "3 years",
    "step 3 of 5", "page 1 of 2", "Table 3: persons by area", "tabel 3 viser børn",
    "3 år", "Counts of 1 to 4 persons are suppressed (shown as ·)", "1-4 persons",
    "1\u20134 personer", "fewer than 5 persons", "færre end 5 personer", "at least 3 persons",
    "First 400 of 404 rows; all in the CSV.", "at least 1,000 residents", "n = 20",
    "20 persons", "0 persons", "3.5 persons", "3,5 personer", "2 of 4 criteria met",
    "3-year-old children", "aged 3", "18-29-year-olds", "9th grade", "5 persons",
    "version 3 of the model", "in 3 tables of persons", "3 %", "model 2 adds children",
    "kapitel 3 om børn", "Persons by area: n = 20",
    # the report's paragraph on the whole-release check (counts of cells, not persons)
    "Relations between tables checked: 3. Further cells suppressed for them: 2. Rows of "
    "model output withheld because they are exact functions of a suppressed cell (shown "
    "blank): 1. Rows of curves cut where their risk table hides a cell: 4.",
    "An area is vulnerable with at least 1,000 residents on 31 December of the year before "
    "the list year and at least two of the four criteria met.",
]


@pytest.mark.parametrize("text", SMALL_COUNT_TEXTS)
def test_small_counts_in_running_text_are_found(text):
    assert "small_count" in text_rules(text), text


@pytest.mark.parametrize("text", NOT_SMALL_COUNT_TEXTS)
def test_numbers_that_are_not_small_counts_of_persons(text):
    assert "small_count" not in text_rules(text), text


def test_running_text_counts_respect_the_threshold():
    assert "small_count" not in text_rules("3 personer", threshold=3)
    assert "small_count" in text_rules("2 personer", threshold=3)


def test_a_count_wrapped_onto_the_next_line_is_found(tmp_path):
    (tmp_path / "notes.md").write_text("Of the residents of the estate, exactly 3\n"
                                       "persons moved out in 2019.\n")
    assert "small_count" in rules_of(check_release(tmp_path))


def test_category_labels_in_table_cells_are_not_running_text(tmp_path):
    pd.DataFrame({"household": ["1 person", "2 persons", "3 children or more"],
                  "n": [120, 340, 56]}).to_csv(tmp_path / "t.csv", index=False)
    check = check_release(tmp_path)
    assert check.ok, check.render()


# ---------------------------------------- 6. a fresh release must pass its own check
def sparse_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def test_a_release_with_large_inputs_and_row_counts_passes(tmp_path):
    ex = tmp_path / "extract"
    ex.mkdir()
    # 110,950,060 bytes padded to ten digits is 0110950060: a valid DDMMYY
    sparse_file(ex / "income.parquet", 110_950_060)
    for i in range(24):  # many inputs of more than 1 MB: distinct whole numbers >= 10^6
        sparse_file(ex / f"bef{2000 + i}.parquet", 1_000_003 + 7919 * i)
    val = pd.DataFrame({"table": ["income", "persons", "labour"],
                        "rows_read": [110_950_060, 5_800_000, 2_512_851_234],
                        "rows_accepted": [110_950_060, 5_799_990, 2_512_851_234],
                        "rows_quarantined": [0, 10, 0]})
    with Release(tmp_path / "rel", seed=2512851234, inputs=[ex]) as rel:
        rel.write_table("validation", val, count_cols=["rows_read", "rows_accepted",
                                                       "rows_quarantined"], by=["table"])
    manifest = json.loads((tmp_path / "rel" / "manifest.json").read_text())
    assert {r["bytes"] for r in manifest["inputs"]} >= {110_950_060}
    check = check_release(tmp_path / "rel")
    assert check.ok, check.render()
    assert check.exit_code == EXIT_OK


def manifest_like(sizes):
    return {
        "manifest_version": 1, "release": "rel", "seed": 1012345678,
        "disclosure": {"enabled": True, "threshold": 5, "rounding": "none", "rounding_base": 5},
        "inputs": [{"path": f"/data/extract/bef{2000 + i}.parquet", "bytes": s,
                    "sha256": "sha256:" + f"{i:02d}" * 32} for i, s in enumerate(sizes)],
        "extract_toml": {"path": "/data/extract/extract.toml", "bytes": 2512851234,
                         "sha256": "sha256:" + "ab" * 32},
        "tables": {"validation": {"kind": "counts", "rows": 110950060, "columns": ["table"],
                                  "count_cols": [], "population": None, "files": []}},
        "suppression": [{"table": "t", "column": "n", "rule": "primary",
                         "suppressed_cells": 3}],
        "outputs": [{"path": "t.csv", "bytes": 3112851234, "sha256": "sha256:" + "cd" * 32}],
    }


def test_a_manifest_with_cpr_like_sizes_rows_and_seed_passes(tmp_path):
    sizes = [2_512_851_234, 110_950_060, 1_012_345_678] + [1_000_000 + 104_729 * i
                                                           for i in range(30)]
    m = manifest_like(sizes)
    # a role is inherited from the enclosing key, unless the inner key names an id
    m["sizes"] = {"bef2019.parquet": 110_950_060, "ind2019.parquet": 2_512_851_234}
    (tmp_path / "manifest.json").write_text(json.dumps(m, indent=2))
    check = check_release(tmp_path)
    assert check.ok, check.render()
    m["sizes"]["ref"] = 101_901_234
    (tmp_path / "manifest.json").write_text(json.dumps(m, indent=2))
    assert {(f.location, f.rule) for f in check_release(tmp_path).findings} == {
        ("json $.sizes.ref", "cpr_shaped")}


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".html"])
def test_tables_with_cpr_like_counts_sizes_and_dates_pass(tmp_path, suffix):
    df = pd.DataFrame({
        "table": ["income", "persons", "labour"],
        "rows_read": [110_950_060, 2_512_851_234, 5_800_000],
        "n_persons": [110_950_060, 300_000, 2_512_851_234],
        "bytes": [110_950_060, 2_512_851_234, 1_000],
        "time": [1_012_345_678, 1_012_345_679, 1_012_345_680],  # unix seconds in 2002
        "total_income": [2_512_851_234, 1_101_901_234, 110_950_060],
    })
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        path.write_text(html_table(df.columns, [[f"{v:,}" if isinstance(v, int) else v
                                                 for v in r] for r in df.itertuples(index=False)]))
    check = check_release(tmp_path)
    assert check.ok, check.render()


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".html", ".json"])
@pytest.mark.parametrize("case", ["label_ten", "label_int", "count_as_text", "leading_zero",
                                  "id_column"])
def test_cpr_numbers_in_labels_and_ids_still_fail(tmp_path, suffix, case):
    frames = {
        "label_ten": pd.DataFrame({"label": [CPR_TEN, "rest"], "n": [10, 20]}),
        "label_int": pd.DataFrame({"ref": [101901234, 2000], "n": [10, 20]}),
        "count_as_text": pd.DataFrame({"rows_read": [CPR_HYPH, "10"], "area": ["a", "b"]}),
        "leading_zero": pd.DataFrame({"n": ["0101901234", "10"], "area": ["a", "b"]}),
        "id_column": pd.DataFrame({"event_id": [101901234, 2512851234], "n": [10, 20]}),
    }
    df = frames[case]
    path = tmp_path / f"t{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".json":
        path.write_text(json.dumps({"table": df.to_dict("records")}))
    else:
        path.write_text(html_table(df.columns, [list(map(str, r))
                                                for r in df.itertuples(index=False)]))
    check = check_release(tmp_path)
    assert rules_of(check) & {"cpr_shaped", "cpr_hyphenated"}, check.render()
    assert_no_echo(check)


def test_cpr_in_manifest_like_json_text_still_fails(tmp_path):
    m = manifest_like([1_000])
    m["inputs"][0]["path"] = f"/data/extract/{CPR_HYPH}.parquet"
    m["note"] = f"ref {CPR_TEN}"
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    check = check_release(tmp_path)
    assert {"cpr_hyphenated", "cpr_shaped"} <= rules_of(check), check.render()
    assert_no_echo(check)


# ------------------------------------------------------------------ 7. elsewhere
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig",
                                      "utf-32", "cp1252"])
@pytest.mark.parametrize("suffix", [".txt", ".csv", ".json", ".html"])
def test_other_encodings_are_decoded(tmp_path, encoding, suffix):
    texts = {".txt": f"Område {CPR_HYPH}\n", ".csv": f"område,note\nø,{CPR_HYPH}\n",
             ".json": json.dumps({"område": CPR_HYPH}, ensure_ascii=False),
             ".html": f"<html><body><p>Område {CPR_HYPH}</p></body></html>"}
    (tmp_path / f"r{suffix}").write_bytes(texts[suffix].encode(encoding))
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check), check.render()


def test_compressed_files_are_unknown_whatever_their_suffix(tmp_path):
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(b"area,n\na,3\n"))
    (tmp_path / "hidden.csv").write_bytes(gzip.compress(b"area,n\na,3\n"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("t.csv", "area,n\na,3\n")
    (tmp_path / "all.zip").write_bytes(buf.getvalue())
    (tmp_path / "notes.txt").write_bytes(buf.getvalue())
    found = {(f.file, f.rule) for f in check_release(tmp_path).findings}
    assert found == {("t.csv.gz", "unknown_file"), ("hidden.csv", "unknown_file"),
                     ("all.zip", "unknown_file"), ("notes.txt", "unknown_file")}


def test_binary_content_in_a_text_file_is_a_finding(tmp_path):
    (tmp_path / "notes.txt").write_bytes(bytes(range(256)) * 8)
    assert rules_of(check_release(tmp_path)) & {"unknown_file", "unreadable"}


def test_a_very_long_line_is_scanned_to_its_end(tmp_path):
    (tmp_path / "r.txt").write_text("x " * 1_500_000 + CPR_HYPH + "\n")
    (tmp_path / "r.html").write_text("<html><body><p>" + "y " * 1_500_000 + f"{CPR_TEN}</p>"
                                     "</body></html>")
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "r.txt")
    assert "cpr_shaped" in rules_of(check, "r.html")


def test_csv_with_quoted_newlines_and_other_delimiters(tmp_path):
    (tmp_path / "a.csv").write_text(f'area,note,n\na,"line one\ncase {CPR_HYPH}",20\nb,x,30\n')
    (tmp_path / "b.csv").write_text("area\tn\na\t3\nb\t40\n")
    (tmp_path / "c.csv").write_text("area|n\na|3\nb|40\n")
    (tmp_path / "d.csv").write_text('area;note;n\na;"x;y";3\nb;z;40\n')
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.csv")
    for f in ("b.csv", "c.csv", "d.csv"):
        assert "small_count" in rules_of(check, f), (f, check.render())


def test_parquet_nested_dictionary_and_index_columns(tmp_path):
    table = pa.table({
        "area": ["a", "b"],
        "counts": pa.array([[3, 40], [50]], type=pa.list_(pa.int64())),
        "stats": pa.array([{"n": 3, "label": "x"}, {"n": 40, "label": "y"}]),
        "kind": pa.array(["p", "q"]).dictionary_encode(),
        "refs": pa.array([[CPR_HYPH], []], type=pa.list_(pa.string())),
        "m": pa.array([[("k", 101901234)], []], type=pa.map_(pa.string(), pa.int64())),
    })
    pq.write_table(table, tmp_path / "nested.parquet")
    pd.DataFrame({"note": ["p", "q"], "n": pd.Categorical([3, 40])}).to_parquet(
        tmp_path / "cat.parquet")
    pd.DataFrame({"cpr": [CPR_TEN, "2512851235"], "n": [10, 20]}).set_index("cpr").to_parquet(
        tmp_path / "index.parquet")
    check = check_release(tmp_path)
    assert {"small_count", "cpr_hyphenated", "cpr_shaped"} <= rules_of(check, "nested.parquet"), \
        check.render()
    assert "small_count" in rules_of(check, "cat.parquet"), check.render()
    assert {"pid_column", "cpr_shaped"} <= rules_of(check, "index.parquet"), check.render()
    assert_no_echo(check)


def test_parquet_metadata_is_scanned(tmp_path):
    schema = pa.schema([pa.field("n", pa.int64(), metadata={b"note": CPR_HYPH.encode()})],
                       metadata={b"source": f"pid={PID}".encode()})
    pq.write_table(pa.table({"n": [10, 20]}, schema=schema), tmp_path / "a.parquet")
    df = pd.DataFrame({"area": ["a", "b"], "n": [10, 20]})
    df.attrs = {"note": f"ref {CPR_TEN}"}
    df.to_parquet(tmp_path / "b.parquet")
    check = check_release(tmp_path)
    assert {"cpr_hyphenated", "pid_values"} <= rules_of(check, "a.parquet"), check.render()
    assert "cpr_shaped" in rules_of(check, "b.parquet"), check.render()
    assert_no_echo(check)


def test_svg_title_desc_metadata_and_entities(tmp_path):
    (tmp_path / "a.svg").write_text(svg("<title>&#48;10190-1234</title>"))
    (tmp_path / "b.svg").write_text(svg(f"<metadata><rdf>ref {CPR_TEN}</rdf></metadata>"))
    (tmp_path / "c.svg").write_text(svg("<desc>n = 3</desc>"))
    (tmp_path / "d.svg").write_text(svg("<text><tspan>0101</tspan><tspan>90-1234</tspan></text>"))
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.svg")
    assert "cpr_shaped" in rules_of(check, "b.svg")
    assert "small_count" in rules_of(check, "c.svg")
    assert "cpr_hyphenated" in rules_of(check, "d.svg")


def test_svg_written_by_matplotlib_passes(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([2016, 2017, 2018], [1_234_567, 110_950_060, 2_000])
    ax.set_title("Persons by year (n = 20)")
    ax.imshow([[0, 1], [1, 0]], extent=(2016, 2017, 0, 1e6), aspect="auto")
    fig.savefig(tmp_path / "f.svg", metadata={"Date": None})
    fig.savefig(tmp_path / "f.png", metadata={"Software": "cohort"})
    plt.close(fig)
    check = check_release(tmp_path)
    assert check.ok, check.render()


def test_png_chunks_other_than_text(tmp_path):
    exif = b"MM\x00*\x00\x00\x00\x08" + b"ImageDescription\x00" + CPR_HYPH.encode() + b"\x00"
    (tmp_path / "exif.png").write_bytes(tiny_png((b"eXIf", exif)))
    icc = b"\x00" * 40 + b"desc" + f"profile {CPR_HYPH}".encode("utf-16-be")
    (tmp_path / "iccp.png").write_bytes(tiny_png((b"iCCP", b"icc" + bytes(2) + zlib.compress(icc))))
    (tmp_path / "private.png").write_bytes(tiny_png((b"prVt", b"whatever")))
    (tmp_path / "trailing.png").write_bytes(tiny_png(trailing=b"hidden data"))
    (tmp_path / "clean.png").write_bytes(tiny_png((b"tEXt", b"Software\x00cohort 0.1.0"),
                                                  (b"pHYs", bytes(9))))
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "exif.png"), check.render()
    assert "cpr_hyphenated" in rules_of(check, "iccp.png"), check.render()
    assert "unknown_file" in rules_of(check, "private.png"), check.render()
    assert "unknown_file" in rules_of(check, "trailing.png"), check.render()
    assert rules_of(check, "clean.png") == set(), check.render()


JSON_SHAPES = {
    "split": lambda df: df.to_json(orient="split"),
    "columns": lambda df: df.to_json(orient="columns"),
    "index": lambda df: df.to_json(orient="index"),
    "values": lambda df: json.dumps({"data": df.to_numpy().tolist()}),
    "named_index": lambda df: df.set_index("area").to_json(orient="columns"),
    "nested": lambda df: json.dumps({"results": {"tables": [{"rows": df.to_dict("records")}]}}),
    "list_of_numbers": lambda df: json.dumps({"n": df["n"].tolist()}),
}


@pytest.mark.parametrize("shape", list(JSON_SHAPES))
def test_json_shapes_of_a_table(tmp_path, shape):
    df = pd.DataFrame({"area": ["park", "rest", "north"], "n": [3, 40, 50]})
    (tmp_path / "t.json").write_text(JSON_SHAPES[shape](df))
    check = check_release(tmp_path)
    assert "small_count" in rules_of(check), check.render()
    clean = df.assign(n=[30, 40, 50])
    (tmp_path / "t.json").write_text(JSON_SHAPES[shape](clean))
    check = check_release(tmp_path)
    assert check.ok, check.render()


def test_json_duplicate_keys_and_escapes(tmp_path):
    (tmp_path / "a.json").write_text('{"note": "' + CPR_HYPH + '", "note": "fine"}')
    (tmp_path / "b.json").write_text('{"note": "\\u0030101901234"}')
    (tmp_path / "c.json").write_text("\ufeff" + json.dumps({"ref": CPR_TEN}), encoding="utf-8")
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.json")
    assert "cpr_shaped" in rules_of(check, "b.json")
    assert "cpr_shaped" in rules_of(check, "c.json")
    assert_no_echo(check)


def test_markdown_entities_and_data_uris(tmp_path):
    (tmp_path / "a.md").write_text("Case &#48;10190-1234\n")
    (tmp_path / "b.md").write_text(f"![fig](data:text/plain;base64,{b64(CPR_HYPH.encode())})\n")
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.md")
    assert "cpr_hyphenated" in rules_of(check, "b.md")


def test_html_tables_with_spans_headers_and_no_header(tmp_path):
    spans = ("<table><thead><tr><th rowspan='2'>area</th><th colspan='2'>persons</th></tr>"
             "<tr><th>men</th><th>women</th></tr></thead><tbody>"
             "<tr><td>park</td><td>40</td><td>3</td></tr>"
             "<tr><td>rest</td><td>50</td><td>60</td></tr></tbody></table>")
    no_header = ("<table><tr><td>park</td><td>3</td></tr><tr><td>rest</td><td>40</td></tr>"
                 "<tr><td>north</td><td>50</td></tr></table>")
    pandas_multi = pd.DataFrame([[40, 3], [50, 60]], index=["park", "rest"],
                                columns=pd.MultiIndex.from_tuples([("persons", "men"),
                                                                   ("persons", "women")])
                                ).to_html()
    for i, t in enumerate((spans, no_header, pandas_multi)):
        (tmp_path / f"t{i}.html").write_text(f"<html><body>{t}</body></html>")
    check = check_release(tmp_path)
    for i in range(3):
        assert "small_count" in rules_of(check, f"t{i}.html"), (i, check.render())


def test_pid_column_names_with_spaces_and_hyphens(tmp_path):
    for i, name in enumerate(["CPR-nr", "Person ID", "CPR nummer", "mother's pid"]):
        pd.DataFrame({name: ["a", "b"], "n": [10, 20]}).to_csv(tmp_path / f"t{i}.csv",
                                                                index=False)
    check = check_release(tmp_path)
    for i in range(4):
        assert "pid_column" in rules_of(check, f"t{i}.csv"), (i, check.render())


def test_unicode_digits_and_zero_width_characters(tmp_path):
    full_width = "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in CPR_HYPH)
    (tmp_path / "a.txt").write_text(f"case {full_width}\n")
    (tmp_path / "b.txt").write_text("case 0101\u200b90-1234\n")
    (tmp_path / "c.txt").write_text("case 0101\u00ad901234\n")
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.txt")
    assert "cpr_hyphenated" in rules_of(check, "b.txt")
    assert "cpr_shaped" in rules_of(check, "c.txt")


def test_numbers_written_as_strings_under_json_keys(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"n": "3", "area": "park"}))
    (tmp_path / "b.json").write_text(json.dumps({"ref": "0101901234", "bytes": "110950060"}))
    (tmp_path / "c.json").write_text(json.dumps({"bytes": "110950060", "python": "3.11.7",
                                                 "release": "2019"}))
    check = check_release(tmp_path)
    assert "small_count" in rules_of(check, "a.json")
    assert "cpr_shaped" in rules_of(check, "b.json")
    assert rules_of(check, "c.json") == set(), check.render()


def test_count_attributes_and_cells_split_by_line_breaks(tmp_path):
    (tmp_path / "a.html").write_text('<html><body><td data-n="3">x</td></body></html>')
    # "3<br>40" is two numbers, not 340
    (tmp_path / "b.html").write_text(html_table(["area", "persons"],
                                                [["park", "3<br>40"], ["rest", "50"]]))
    (tmp_path / "c.html").write_text(html_table(["area", "persons"],
                                                [["park", "3<br>40"], ["rest", "3"]]))
    check = check_release(tmp_path)
    assert "small_count" in rules_of(check, "a.html")
    assert rules_of(check, "b.html") == set(), check.render()
    assert "small_count" in rules_of(check, "c.html")


def test_manifest_sections_of_the_release_writer_pass(tmp_path):
    m = manifest_like([1_000])
    m["whole_release"] = {"relations": 3, "declared_counts": ["support"],
                          "cells_suppressed_further": 2, "model_rows_withheld": 1,
                          "curve_rows_cut": 4}
    m["declared_counts"] = {"support": {"rows": 3, "count_cols": ["n_persons"],
                                        "population": None}}
    (tmp_path / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True))
    check = check_release(tmp_path)
    assert check.ok, check.render()


def test_a_file_name_that_is_not_utf8_is_shown_safely(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9 " + CPR_TEN.encode() + b".txt"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"fine\n")
    os.close(fd)
    check = check_release(tmp_path)
    check.render().encode("utf-8")
    assert rules_of(check) == {"cpr_shaped"}
    assert_no_echo(check)


def test_line_breaks_other_than_newline(tmp_path):
    (tmp_path / "a.txt").write_text("one\rcase 010190-1234\rthree\r", newline="")
    (tmp_path / "b.txt").write_text("case 010190\u20281234\n", encoding="utf-8")
    check = check_release(tmp_path)
    assert "cpr_hyphenated" in rules_of(check, "a.txt")
    assert "cpr_hyphenated" in rules_of(check, "b.txt")


def test_json_keys_are_reported_once_per_path(tmp_path):
    records = [{"pid": f"{PID}{i}", "max_age": 90 + i, "n": 10} for i in range(3)]
    (tmp_path / "t.json").write_text(json.dumps({"table": records, "pid": {"a": 1}}))
    found = sorted((f.location, f.rule) for f in check_release(tmp_path).findings)
    assert found == [("json $.pid", "pid_column"), ("json $.table[*].max_age", "min_max"),
                     ("json $.table[*].pid", "pid_column")]


def test_line_oriented_files_are_not_joined_across_lines(tmp_path):
    (tmp_path / "study.toml").write_text("threshold = 3\npersons = 'all'\n")
    (tmp_path / "run.log").write_text("INFO seed 3\npersons read: 300,000\n")
    (tmp_path / "notes.txt").write_text("exactly 3\npersons moved out\n")
    check = check_release(tmp_path)
    assert rules_of(check, "study.toml") == set(), check.render()
    assert rules_of(check, "run.log") == set(), check.render()
    assert "small_count" in rules_of(check, "notes.txt")
