"""The series over years, the extract's end, the published values and the figure."""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
import pytest
from _indicators_build import GL, VP, person, spell
from _indicators_published_study import published

from cohort.exceptions import ParameterError
from cohort.indicators import (
    INDICATORS,
    SERIES_COLUMNS,
    plot_social_balance,
    social_balance,
    social_balance_series,
)
from cohort.indicators.plots import unit_name

SCHOOL_WORLD = {
    "persons": [person(f"s{i}", "2002-03-03") for i in range(4)],
    "residence": [spell("s0", "vp1", "2005-01-01"), spell("s1", "vp2", "2005-01-01"),
                  spell("s2", "gl1", "2005-01-01"), spell("s3", "kb1", "2005-01-01")],
    "exams": [{"pid": f"s{i}", "year": y, "danish": 7.0, "math": float(i)}
              for i in range(4) for y in (2016, 2017, 2018, 2019)],
    "absence": [{"pid": f"s{i}", "year": 2017, "unauthorised_days": 5 * i} for i in range(4)],
    "education": [{"pid": "s0", "level": "youth_general", "start_date": "2018-08-10",
                   "end_date": None, "outcome": "ongoing"}],
}


@pytest.fixture
def school_ex(make_extract):
    return make_extract(SCHOOL_WORLD)


def test_series_stacks_years(school_ex):
    s = social_balance_series(school_ex, units=[VP, GL], years=range(2016, 2019),
                              indicators=["school_absence", "exam_grades"])
    assert tuple(s.columns) == SERIES_COLUMNS
    assert s.year.tolist() == [2016] * 4 + [2017] * 4 + [2018] * 4
    row = s[(s.year == 2017) & (s.indicator == "school_absence") & (s.unit == VP)]
    assert row[["numerator", "denominator"]].values.tolist() == [[1, 2]]
    one = social_balance(school_ex, units=[VP, GL], year=2017,
                         indicators=["school_absence", "exam_grades"])
    pd.testing.assert_frame_equal(s[s.year == 2017].drop(columns="year").reset_index(drop=True),
                                  one)


def test_series_leaves_out_years_after_the_extract_end(school_ex):
    # youth education of the school year ending 2019 would be read on 30 September 2020.
    s = social_balance_series(school_ex, units=[VP], years=[2018, 2019],
                              indicators=["youth_education_15m", "exam_grades"])
    assert s[["year", "indicator"]].values.tolist() == [
        [2018, "youth_education_15m"], [2018, "exam_grades"], [2019, "exam_grades"]]


def test_a_year_after_the_extract_end_is_an_error(school_ex):
    with pytest.raises(ParameterError, match="reads the registers on 2020-09-30, after the "
                                             "extract's end"):
        social_balance(school_ex, units=[VP], year=2019, indicators=["youth_education_15m"])
    with pytest.raises(ParameterError, match="after the extract's end"):
        social_balance_series(school_ex, units=[VP], years=[2021], indicators=["exam_grades"])


def test_published_values_live_in_the_study_file():
    pub = published()
    assert set(pub) == set(INDICATORS)
    assert pub["adult_public_support"] == (2018, 24.6, 13.8)
    assert pub["exam_grades"][0] == 2017
    import cohort.indicators

    assert not hasattr(cohort.indicators, "PUBLISHED")  # nothing of one study in the library


def test_unit_names():
    # without a study's names: municipalities from the national table, codes made readable
    assert unit_name(VP) == "Vaerebro Park"
    assert unit_name(GL) == "Gladsaxe Kommune"
    assert unit_name("area:tingbjerg") == "Tingbjerg"


def _series() -> pd.DataFrame:
    rows = []
    for y in range(2010, 2020):
        for k in INDICATORS:
            for u, share in ((VP, 0.2), (GL, 0.1)):
                rows.append({"year": y, "unit": u, "indicator": k, "period": str(y),
                             "numerator": 10, "denominator": 50, "share": share})
    return pd.DataFrame(rows)


def _published() -> pd.DataFrame:
    return pd.DataFrame([{"unit": u, "indicator": k, "year": y, "percent": v,
                          "source": "the strategy"}
                         for k, (y, e, m) in published().items() for u, v in ((VP, e), (GL, m))])


NAMES = {VP: "Værebro Park", GL: "Gladsaxe Kommune"}


def test_figure_one_panel_per_indicator_with_published_values():
    fig = plot_social_balance(_series(), published=_published(), unit_labels=NAMES)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 6
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == "Aged 18-29 on public support (1 January)"
    assert titles[1] == "In youth education 15 months after 9th grade"
    assert all(ax.get_ylabel() == "Share (%)" for ax in axes)
    # two lines and two published markers per panel; the estate's marker at 2018, 12.3 %
    lines = axes[0].get_lines()
    assert len(lines) == 4
    marker = [ln for ln in lines if ln.get_marker() == "D"]
    assert [(ln.get_xdata()[0], ln.get_ydata()[0]) for ln in marker] == [(2018, 12.3),
                                                                          (2018, 8.9)]
    assert list(lines[0].get_ydata()) == [20.0] * 10
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Værebro Park", "Værebro Park, the strategy",
                      "Gladsaxe Kommune", "Gladsaxe Kommune, the strategy"]
    assert fig._suptitle.get_text() == \
        "Indicators of social balance: Værebro Park and Gladsaxe Kommune"
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert matplotlib.get_backend().lower() == "agg"


def test_figure_without_published_values_and_with_suppressed_shares():
    s = _series()
    s["share"] = s["share"].astype("Float64")
    s.loc[s.year == 2012, "share"] = pd.NA  # suppressed by disclosure control
    fig = plot_social_balance(s, unit_labels=NAMES, note="No point: suppressed")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    assert pd.isna(lines[0].get_ydata()[2])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Værebro Park", "Gladsaxe Kommune", "No point: suppressed"]


def test_figure_checks_its_input():
    with pytest.raises(ParameterError, match="missing columns"):
        plot_social_balance(pd.DataFrame({"unit": []}))
