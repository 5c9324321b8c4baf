"""The report in a real browser: every figure loads and every table is there.

Needs Debian's chromium (``.ci/run`` installs it); skipped where it is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from cohort.study import load_study, run_study

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_with_every_figure_and_table(small_extract, study_file, tmp_path):
    out = tmp_path / "release"
    result = run_study(load_study(study_file), out=out, extract=small_extract)
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
         "--dump-dom", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = proc.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body, proc.stderr[-2000:]
    attrs = dict(re.findall(r'data-([a-z-]+)="(\d+)"', body.group(1)))
    assert int(attrs["figures"]) == len(result.figures)
    assert attrs["figures-loaded"] == attrs["figures"]
    # every released table is in the report (the validation table is summarised in text)
    shown = [t for t in result.tables if t != "validation"]
    assert int(attrs["tables"]) >= len(shown)
    for name in shown:
        assert f'id="{name}"' in dom
