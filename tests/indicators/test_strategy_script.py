"""The analysis script analyses/strategy_indicators.py, end to end on a small extract."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
from _indicators_build import MemoryExtract, write
from _indicators_strategies import dense_world

from cohort.indicators import PUBLISHED, social_balance

SCRIPT = Path(__file__).resolve().parents[2] / "analyses" / "strategy_indicators.py"


def _script():
    spec = importlib.util.spec_from_file_location("_strategy_indicators_script", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_prints_the_strategys_table_disclosure_controlled(tmp_path, capsys):
    world = dense_world(11, n=200)
    path = write(world, tmp_path / "x")
    # (--figure is left out to keep the suite fast: the series and the figure
    # have their own tests in test_series_and_plots.py)
    assert _script().main(["--extract", str(path), "--list-year", "2019"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
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
    # No count from 1 to 4 is printed in the table.
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
    assert "residents on 31 December 2018" in out
    assert "suppressed:" in out


def test_controlled_protects_the_estate_inside_its_municipality():
    m = _script()
    rows = []
    for year, (vp_num, gl_num) in {2016: (3, 40), 2017: (20, 40)}.items():
        rows += [
            {"year": year, "unit": m.ESTATE, "indicator": "placements", "period": str(year),
             "numerator": vp_num, "denominator": 100},
            {"year": year, "unit": m.MUNICIPALITY, "indicator": "placements",
             "period": str(year), "numerator": gl_num, "denominator": 1000},
        ]
    df = pd.DataFrame(rows)
    df["share"] = df.numerator / df.denominator
    out, log = m.controlled(df, threshold=5, by=["year", "unit", "indicator", "period"],
                            name="t")
    assert out.unit.tolist() == [m.ESTATE, m.MUNICIPALITY] * 2  # the rest is never shown
    y16, y17 = out[out.year == 2016], out[out.year == 2017]
    assert pd.isna(y16.numerator.iloc[0])  # 3: suppressed
    assert pd.isna(y16.share.iloc[0])
    assert y17.numerator.tolist() == [20, 40]
    assert log.cells(rule="primary") == 1
