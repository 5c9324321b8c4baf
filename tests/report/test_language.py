"""The report in Danish or English, with display names instead of codes.

One small study (every analysis but goals) is run twice on the small synthetic
extract, ``[report] language = "en"`` and ``"da"``: the CSV files are the same
bytes, the Danish report reads in the strategy's words with Danish numbers, and
neither shows an indicator's or a unit's code where the study names it. The
figures' texts are caught as they are written.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import string

import pandas as pd
import pytest
from matplotlib.text import Text

from cohort.disclosure import DisclosureSettings
from cohort.figures import disclosure_note, source_line
from cohort.indicators import ALL_INDICATORS
from cohort.indicators._names import INDICATOR_NAMES
from cohort.indicators._published import indicator_label, period_axis
from cohort.report import _text as T
from cohort.report._text import CATALOG, text
from cohort.report.html import table_html
from cohort.study import parse_study, run_study

RAW = {
    "study": {"name": "sprogtest", "seed": 5},
    "units": {"target": "vaerebro_park", "municipality": 159,
              "comparison": ["tingbjerg", "gellerup", "vollsmose"],
              "names": {"area:vaerebro_park": "Værebro Park", "tingbjerg": "Tingbjerg",
                        "gellerup": "Gellerup", "vollsmose": "Vollsmose",
                        "municipality:159": "Gladsaxe Kommune"}},
    "intervention": {"name": "helhedsplanen", "start": dt.date(2016, 1, 1)},
    "analyses": {"indicators": {"years": [2015, 2019], "table_year": 2018},
                 "vulnerable_area": {"list_years": [2018, 2019]},
                 "flows": {"years": [2014, 2019], "od_periods": [[2014, 2016], [2017, 2019]]},
                 "survival": {"birth_years": [1990, 1999]},
                 "did": {"exam_years": [2008, 2018]}},
}


def _visible(page: str) -> str:
    """What a reader sees: no tags, scripts, styles or attributes."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


@pytest.fixture(scope="module")
def runs(small_extract, tmp_path_factory):
    """The study in English and in Danish: release folders and each figure's texts."""
    from cohort.disclosure import Release

    root = tmp_path_factory.mktemp("language")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        seen: dict[str, list[str]] = {}
        write = Release.write_figure

        def spy(self, name, fig, *args, **kwargs):
            seen[name] = _texts(fig)
            return write(self, name, fig, *args, **kwargs)

        mp.setattr(Release, "write_figure", spy)
        for language in ("en", "da"):
            seen = {}
            raw = {**RAW, "report": {"language": language}}
            release = root / language
            run_study(parse_study(raw), out=release, extract=small_extract, use_cache=False)
            out[language] = (release, dict(seen))
    return out


# -- the catalog ------------------------------------------------------------------------


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f is not None}


def test_every_key_in_both_languages_with_the_same_fields():
    assert set(CATALOG) == {"en", "da"}
    assert set(CATALOG["en"]) == set(CATALOG["da"]), set(CATALOG["en"]) ^ set(CATALOG["da"])
    for key, en in CATALOG["en"].items():
        da = CATALOG["da"][key]
        assert en.strip() and da.strip(), key
        assert _fields(en) == _fields(da), key
    with pytest.raises(KeyError):
        text("report.no_such_key", "da")
    with pytest.raises(ValueError, match="language"):
        text("report.contents", "de")


def test_every_indicator_has_a_name_in_both_languages():
    for language in ("en", "da"):
        assert set(ALL_INDICATORS) <= set(INDICATOR_NAMES[language])
        assert set(INDICATOR_NAMES[language]) == set(INDICATOR_NAMES["en"])
    assert INDICATOR_NAMES["da"]["adult_public_support"] == "Voksne på offentlig forsørgelse"
    assert INDICATOR_NAMES["en"]["adult_public_support"] == "Adults on public support"
    # the goals in the strategy's words
    assert text("goal.heading", "da", n=4, goal=text("goal.4", "da")) == (
        "Målsætning 4: Området er fri for bandekriminalitet")


def test_english_catalog_is_the_library_s_own_words():
    """The figure texts are recognised by their English words: they must be the
    library's (its labels, axes and notes), or a Danish figure keeps English."""
    for key in ALL_INDICATORS:
        assert T.indicator_title(key, "en") == indicator_label(key)
        assert period_axis(key) in CATALOG["en"].values()
    end = dt.date(2019, 12, 31)
    assert T.source_note("en", study="s", extract="x", extract_end=end, version="1") == (
        source_line(study="s", extract="x", extract_end=end, version="1"))
    for settings in (DisclosureSettings(threshold=3), DisclosureSettings(rounding="base"),
                     DisclosureSettings(rounding="midpoint"),
                     DisclosureSettings(enabled=False, reason="test")):
        assert T.disclosure_text(settings, "en") == disclosure_note(settings)


def test_danish_numbers():
    assert (T.integer(1234, "da"), T.integer(1234, "en")) == ("1.234", "1,234")
    assert (T.percent(0.1234, "da"), T.percent(0.1234, "en")) == ("12,3 %", "12.3 %")
    assert (T.number(0.12345, "da"), T.number(2.0, "da")) == ("0,1235", "2")
    table = pd.DataFrame({"unit": ["area:vaerebro_park"], "indicator": ["adult_public_support"],
                          "numerator": [1234], "share": [0.123]})
    da = table_html(table, language="da")
    assert "1.234" in da and "12,3 %" in da and "Voksne på offentlig forsørgelse" in da
    assert ">tæller<" in da and 'title="numerator"' in da
    en = table_html(table)
    assert "1,234" in en and "12.3 %" in en and ">numerator<" in en


# -- the two runs -----------------------------------------------------------------------


def test_csv_files_are_the_same_bytes_in_both_languages(runs):
    (en, _), (da, _) = runs["en"], runs["da"]
    csvs = sorted(p.name for p in en.glob("*.csv"))
    assert csvs and csvs == sorted(p.name for p in da.glob("*.csv"))
    for name in csvs:
        assert (en / name).read_bytes() == (da / name).read_bytes(), name
    assert "adult_public_support" in (da / "indicators_series.csv").read_text()  # codes kept


def test_every_released_column_has_a_header_in_the_catalog(runs):
    release, _ = runs["da"]
    columns = {c for f in release.glob("*.csv") for c in pd.read_csv(f, nrows=0).columns}
    missing = sorted(c for c in columns if f"col.{c}" not in CATALOG["da"])
    assert not missing, missing
    page = (release / "report.html").read_text()
    assert re.search(r'<th class="\w*" title="numerator">tæller</th>', page)


def test_danish_report_reads_in_the_strategy_s_words(runs):
    release, _ = runs["da"]
    page = (release / "report.html").read_text()
    seen = _visible(page)
    assert '<html lang="da">' in page
    for words in ("Indikatorer for social balance", "indikator", "målsætningerne",
                  "Indhold", "Data og diskretionering", "tilflytninger", "Effekten af "
                  "helhedsplanen på ungdomsuddannelse", "ressourcestærke"):
        assert words in seen, words
    # Danish numbers: decimal comma in shares, '.' between thousands, none the English way
    assert re.search(r"\d,\d %", seen)
    assert not re.search(r"\d\.\d %", seen)
    assert re.search(r"\b\d{1,3}\.\d{3}\b", seen)
    # no heading, caption or sentence of the catalog in English
    english = {v for k, v in CATALOG["en"].items()
               if v != CATALOG["da"][k] and not _fields(v) and len(v.split()) >= 3}
    left = sorted(e for e in english if e in seen)
    assert not left, left


def test_english_report_keeps_its_words(runs):
    release, _ = runs["en"]
    seen = _visible((release / "report.html").read_text())
    for words in ("Indicators of social balance", "Contents", "Effect of helhedsplanen on "
                  "youth education", "The data and disclosure control"):
        assert words in seen, words
    assert re.search(r"\d\.\d %", seen) and not re.search(r"\d,\d %", seen)


@pytest.mark.parametrize("language", ["en", "da"])
def test_report_shows_display_names_not_codes(runs, language):
    release, _ = runs[language]
    seen = _visible((release / "report.html").read_text())
    for table in sorted((p.stem for p in release.glob("*.csv")), key=len, reverse=True):
        seen = seen.replace(table, " ")  # the tables' file names (links to the CSV files)
    for code in ("adult_public_support", "youth_public_support", "school_absence",
                 "municipality:159", "vaerebro_park", "vaerebro park", "resource_strong"):
        assert code not in seen, code
    assert not re.search(r"\b(area|district|municipality):\w", seen)
    assert "Værebro Park" in seen and "Tingbjerg" in seen
    assert INDICATOR_NAMES[language]["adult_public_support"] in seen
    assert T.unit_label("municipality:159 without area:vaerebro_park", language) in seen or (
        text("unit.without", language, unit="Gladsaxe Kommune", part="Værebro Park") in seen)


@pytest.mark.parametrize("language", ["en", "da"])
def test_figures_show_display_names(runs, language):
    _, figures = runs[language]
    assert {"indicators_series_figure", "flows_od_figure", "did_panel_figure"} <= set(figures)
    for name in ("flows_od_figure", "did_panel_figure", "indicators_series_figure"):
        words = " ".join(figures[name])
        assert "Værebro Park" in words, name
        assert "vaerebro" not in words.lower(), name
    rest = text("unit.rest_of_municipality", language)  # a unit the study does not name
    assert any(t.startswith(rest) for t in figures["flows_od_figure"])


def test_danish_figures_have_no_english_words(runs):
    _, figures = runs["da"]
    english = {v for k, v in CATALOG["en"].items()
               if (k.startswith(("fig.", "flows.fig.", "survival.fig.", "did.fig."))
                   or k.startswith("indicator."))
               and v != CATALOG["da"][k] and not _fields(v)}
    english |= {indicator_label(k) for k in ALL_INDICATORS}
    english |= {source_line(study="sprogtest")[:7], "Counts below"}
    for name, texts in figures.items():
        for t in texts:
            assert t not in english, (name, t)
            assert not t.startswith(("Source:", "Counts below", "Moves ", "Indicators of")), (
                name, t)
    words = " ".join(t for texts in figures.values() for t in texts)
    for danish in ("Kilde:", "diskretioneret", "Tilflytninger", "Andel (%)",
                   "Voksne (18-67 år) på offentlig forsørgelse (1. januar)", "i risiko"):
        assert danish in words, danish


def test_another_estate_without_names_shows_codes_not_inventions(small_extract, tmp_path):
    raw = {"study": {"name": "uden navne", "seed": 1},
           "units": {"target": "gellerup", "municipality": 751,
                     "comparison": ["tingbjerg"]},
           "report": {"language": "da"},
           "analyses": {"indicators": {"years": [2016, 2018]}}}
    out = tmp_path / "release"
    run_study(parse_study(raw), out=out, extract=small_extract, use_cache=False)
    seen = _visible((out / "report.html").read_text())
    assert "gellerup" in seen and "Aarhus Kommune" in seen  # the shipped municipality table
    assert "Gellerup" not in seen  # not made up from the code
    assert "area:" not in seen and "municipality:751" not in seen
    assert "Indikatorer for social balance" in seen


def test_large_numbers_are_whole_and_grouped_not_exponents():
    """3,816e+05 in a Danish table reads as 381,600,000 to an English reader and, padded
    to ten digits, as a CPR number to the checker: large values are written whole."""
    from cohort.disclosure.check import scan_text
    from cohort.report._text import number

    assert number(381600.4, "da") == "381.600"
    assert number(381600.4, "en") == "381,600"
    assert number(209912.3, "da") == "209.912"
    html = "<table><tr><th>reference</th></tr>" + "".join(
        f"<tr><td>{number(v, 'da')}</td></tr>" for v in (209912.3, 402100.7, 381600.4)) + "</table>"
    assert not scan_text(html, file="report.html")
