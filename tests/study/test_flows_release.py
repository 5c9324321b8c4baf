"""The study's flows analysis releases the composition decomposition and the Sankey."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort.flows import COMPONENTS
from cohort.study import parse_study, run_study


def test_decomposition_is_released_with_no_part_recoverable(small_extract, tmp_path):
    raw = {
        "units": {"target": "vaerebro_park", "municipality": 159,
                  "comparison": ["tingbjerg", "gellerup", "vollsmose"]},
        "analyses": {"flows": {"years": [2012, 2019], "od_periods": [[2012, 2019]]}},
    }
    out = tmp_path / "release"
    run_study(parse_study(raw), out=out, extract=small_extract, use_cache=False)
    d = pd.read_csv(out / "flows_decomposition.csv")
    # 2019 is left out: 1 January 2020 lies after the extract's end
    assert sorted(d["year"].unique()) == list(range(2012, 2019))
    assert set(d["term"]) == {*COMPONENTS, "change"}
    blanks = d.groupby("year")["estimate"].apply(lambda s: int(s.isna().sum()))
    assert (blanks != 1).all()  # one blank alone would follow from the others
    assert (blanks > 0).any()  # the small extract has small classes: the rule did act
    for year, part in d.groupby("year"):
        if part["estimate"].notna().all():
            parts = part.loc[part["term"] != "change", "estimate"].sum()
            change = part.loc[part["term"] == "change", "estimate"].item()
            assert np.isclose(parts, change, atol=1e-9), year
    assert (out / "flows_decomposition_figure.png").exists()
    assert (out / "flows_od_figure.png").exists()  # the Sankey diagram
