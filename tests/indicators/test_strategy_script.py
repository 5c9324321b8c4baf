"""The analysis script analyses/strategy_indicators.py, end to end on a small extract."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest
from _indicators_build import MemoryExtract, write
from _indicators_published_study import published
from _indicators_strategies import dense_world

from cohort.indicators import social_balance

PUBLISHED = published()

SCRIPT = Path(__file__).resolve().parents[2] / "analyses" / "strategy_indicators.py"


def _script():
    spec = importlib.util.spec_from_file_location("_strategy_indicators_script", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_prints_the_strategys_table_from_its_release(tmp_path, capsys):
    world = dense_world(11, n=200)
    path = write(world, tmp_path / "x")
    out = tmp_path / "release"
    assert _script().main(["--extract", str(path), "--list-year", "2019",
                           "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Indicator  "))
    assert "Værebro Park" in lines[head] and "Gladsaxe Kommune" in lines[head]
    rows = lines[head + 2: head + 8]
    assert [r.split("  ")[0] for r in rows] == [
        "Aged 18-29 on public support (1 January)",
        "In youth education 15 months after 9th grade",
        "Aged 18-67 on public support (1 January)",
        "Pupils with 5+ days' unauthorised absence",
        "9th-grade average of 4+ in Danish and maths",
        "Aged 0-22 placed outside the home",
    ]
    assert rows[0].rstrip().endswith("12.3 %         8.9 %")
    # every number printed is the released one: the release's table, rendered
    released = pd.read_csv(out / "strategy_table.csv")
    assert "\n".join(rows) in _script().render(released)
    # no count from 1 to 4 is printed in the table
    ex = MemoryExtract(world, extract_end="2019-12-31")
    raw = pd.concat([social_balance(ex, units=["area:vaerebro_park", "municipality:159"],
                                    year=y, indicators=[k])
                     for k, (y, _, _) in PUBLISHED.items()])
    ex.close()
    small = raw[(raw.denominator >= 1) & (raw.denominator <= 4)]
    table = "\n".join(rows)
    for n in small.denominator:
        assert not re.search(rf"\s{n}\s", table)
    assert "·" in table or small.empty
    assert "residents on 31 December 2018" in printed
    assert (out / "manifest.json").is_file()


def test_the_figure_is_never_written_over_a_file(tmp_path):
    world = dense_world(11, n=200)
    path = write(world, tmp_path / "x")
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"the user's own picture")
    with pytest.raises(SystemExit):
        _script().main(["--extract", str(path), "--figure", str(mine)])
    assert mine.read_bytes() == b"the user's own picture"
