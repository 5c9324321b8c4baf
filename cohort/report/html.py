"""Render a study's released tables and figures as one self-contained HTML page.

The report only ever sees *released* tables (after disclosure control) and
links the figures the release wrote beside it. It carries no timestamps, so the
same run gives the same bytes.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import cohort
from cohort.report._text import (
    integer,
    number,
    percent,
    text,
    unit_label,
    value_label,
)

__all__ = ["render_report", "table_html"]

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 70rem;
       margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { margin-top: 2.5rem;
     border-bottom: 2px solid #ddd; padding-bottom: .2rem; }
h3 { margin-top: 1.6rem; } .meta { color: #555; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85rem; }
th, td { border: 1px solid #ccc; padding: .2rem .5rem; text-align: right; }
th { background: #f3f3f3; } td.txt, th.txt { text-align: left; }
td.sup { color: #999; text-align: center; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption, .caption { color: #444; font-size: .9rem; }
.note { border-left: 3px solid #b2182b; padding-left: .6rem; }
details { margin: .5rem 0 1rem; } summary { cursor: pointer; color: #0b5394; }
nav ul { columns: 2; }
"""

#: A table of more rows is not inlined: the report links its CSV and keeps its first
#: rows folded under <details> (the curves run to thousands of rows).
_MAX_ROWS = 40


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _cell(value: Any, column: str, language: str = "en", units: Any = None
          ) -> tuple[str, str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "·", "sup"
    if isinstance(value, bool | np.bool_):
        return text("report.yes" if value else "report.no", language), "txt"
    if isinstance(value, numbers.Integral):
        if column in ("year", "list_year", "municipality") or column.endswith("_year"):
            return str(value), ""
        return integer(value, language), ""
    if isinstance(value, numbers.Real):
        value = float(value)
        if column in ("share",) or column.endswith("_share"):
            return percent(value, language), ""
        return number(value, language), ""
    shown = value_label(column, value, language, units)
    return (str(value) if shown is None else shown), "txt"


def _header(column: str, language: str) -> str:
    """A column's header: its words in the language (English: the CSV's column name)."""
    key = f"col.{column}"
    try:
        return text(key, language)
    except KeyError:  # a column the catalog does not know: its name, as in the CSV
        return column


def _table(df: pd.DataFrame, language: str = "en", units: Any = None) -> str:
    heads = []
    for c in df.columns:
        cls = "txt" if df[c].dtype == object else ""
        words = _header(str(c), language)
        title = f' title="{_esc(c)}"' if words != str(c) else ""  # the CSV's column
        heads.append(f'<th class="{cls}"{title}>{_esc(words)}</th>')
    head = "".join(heads)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            shown, cls = _cell(v, str(c), language, units)
            cells.append(f'<td class="{cls}">{_esc(shown)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def table_html(df: pd.DataFrame, *, name: str | None = None, collapsed: bool = False,
               language: str = "en", units: Any = None) -> str:
    """A released table as an HTML table; suppressed cells show a dot.

    A table of at most ``_MAX_ROWS`` rows is shown whole (folded under
    ``<details>`` with ``collapsed``, as under a figure that draws it). A longer
    one is not inlined: a line links its CSV (``name``.csv, written beside the
    report) and its first ``_MAX_ROWS`` rows are folded under ``<details>``.

    ``language``: the words and numbers of the report (headers, category values,
    decimal comma in Danish); ``units``: the study's
    :class:`~cohort.study.spec.Units`, whose display names the unit columns show.
    The CSV keeps the codes.
    """
    def t(key: str, **fmt: Any) -> str:
        return text(key, language, **fmt)

    csv = (f'<a href="{_esc(name)}.csv">{_esc(name)}.csv</a>' if name
           else _esc(t("report.the_csv")))
    rows = integer(len(df), language)
    if len(df) <= _MAX_ROWS:
        body = _table(df, language, units)
        if not collapsed:
            return body
        label = (_esc(t("report.table_named", name=name, rows=rows)) if name
                 else _esc(t("report.table")))
        return f"<details><summary>{label}</summary>{body}</details>"
    return (f'<p class="caption">{_fill(text("report.too_long", language), rows=rows, csv=csv)}'
            "</p>"
            f"<details><summary>{_esc(t('report.first_rows', n=_MAX_ROWS))}</summary>"
            f"{_table(df.head(_MAX_ROWS), language, units)}</details>")


def _status(status: Any, language: str) -> str:
    """The extract's validation status in words of the language (else as it is)."""
    try:
        return _esc(text(f"report.status.{status}", language))
    except KeyError:
        return _esc(status)


def _fill(template: str, **markup: str) -> str:
    """A catalog text as HTML: its words escaped, its fields given as (escaped) markup."""
    return _esc(template).format(**markup)


def render_report(
    *,
    spec: Any,
    report: Any,
    sections: Sequence[Mapping[str, Any]],
    suppression: Any = None,
    whole_release: Mapping[str, Any] | None = None,
) -> str:
    """The report as HTML text.

    ``whole_release``: what the whole-release check did (counts only, from
    :meth:`~cohort.disclosure.Release.whole_release_summary`).
    """
    u = spec.units
    language = getattr(spec, "language", "en")

    def t(key: str, **fmt: Any) -> str:
        return _esc(text(key, language, **fmt))

    def n(value: Any) -> str:
        return _esc(integer(value, language))

    def named(unit: Any) -> str:
        return unit_label(unit, language, u)

    title = _esc(spec.name)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_esc(language)}"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        '<p class="meta">'
        + t("report.meta", version=cohort.__version__, extract=report.extract,
            end=report.extract_end, seed=spec.seed, threshold=spec.disclosure.threshold)
        + ("" if spec.disclosure.enabled
           else f" · <strong>{t('report.meta_disabled')}</strong>")
        + "</p>",
    ]
    if spec.description:
        parts.append(f"<p>{_esc(spec.description)}</p>")
    district = getattr(u, "district_unit", None)
    parts.append("<p>" + _fill(
        text("report.units", language),
        target=f"<strong>{_esc(named(u.target_unit))}</strong>",
        municipality=_esc(named(u.municipality_unit)),
        district=t("report.district", district=named(district)) if district else "",
        comparison=_esc(", ".join(named(c) for c in u.comparison)) or t("report.none"),
    ) + "</p>")
    parts.append(f"<nav><h2>{t('report.contents')}</h2><ul>")
    for s in sections:
        parts.append(f'<li><a href="#{_esc(s["key"])}">{_esc(s["title"])}</a></li>')
    parts.append(f'<li><a href="#data">{t("report.data")}</a></li></ul></nav>')
    for s in sections:
        parts.append(f'<section id="{_esc(s["key"])}"><h2>{_esc(s["title"])}</h2>')
        parts.append(f"<p>{_esc(s['description'])}</p>")
        for note in s.get("notes", ()):
            parts.append(f'<p class="note"><strong>{t("report.note")}</strong> {_esc(note)}</p>')
        for o in s["outputs"]:
            parts.append(f'<h3 id="{_esc(o["name"])}">{_esc(o["title"])}</h3>')
            if o["figure"]:
                parts.append(
                    f'<figure><img src="{_esc(o["figure"])}.png" alt="{_esc(o["title"])}">'
                    f"<figcaption>{_esc(o['caption'])}</figcaption></figure>"
                )
                parts.append(table_html(o["table"], name=o["name"], collapsed=True,
                                        language=language, units=u))
            else:
                if o["caption"]:
                    parts.append(f'<p class="caption">{_esc(o["caption"])}</p>')
                parts.append(table_html(o["table"], name=o["name"], language=language,
                                        units=u))
        parts.append("</section>")
    parts.append(f'<section id="data"><h2>{t("report.data")}</h2>')
    parts.append("<p>" + _fill(text("report.validation", language),
                               status=f"<strong>{_status(report.status, language)}</strong>",
                               validation="<em>validation</em>") + "</p>")
    parts.append(f"<p>{t('report.suppression', below=spec.disclosure.threshold - 1)}</p>")
    if whole_release:
        w = whole_release
        parts.append("<p>" + t("report.whole", relations=n(w["relations"]),
                               further=n(w["cells_suppressed_further"]),
                               withheld=n(w["model_rows_withheld"]),
                               cut=n(w["curve_rows_cut"])) + "</p>")
    parts.append("</section>")
    # For the browser test and for readers: after load, the page records how many
    # figures rendered and how many tables it holds (no network, no data).
    parts.append(
        "<script>window.addEventListener('load', function () {"
        "var imgs = Array.prototype.slice.call(document.images);"
        "var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; });"
        "document.body.setAttribute('data-figures', imgs.length);"
        "document.body.setAttribute('data-figures-loaded', ok.length);"
        "document.body.setAttribute('data-tables', document.querySelectorAll('table').length);"
        "});</script>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
