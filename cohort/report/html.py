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

__all__ = ["render_report"]

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


def _cell(value: Any, column: str) -> tuple[str, str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "·", "sup"
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), "txt"
    if isinstance(value, numbers.Integral):
        if column in ("year", "list_year", "municipality") or column.endswith("_year"):
            return str(value), ""
        return f"{int(value):,}", ""
    if isinstance(value, numbers.Real):
        value = float(value)
        if column in ("share",) or column.endswith("_share"):
            return f"{100 * value:.1f} %", ""
        if value.is_integer() and abs(value) < 1e12:
            return f"{int(value):,}", ""
        return f"{value:,.4g}", ""
    return str(value), "txt"


def _table(df: pd.DataFrame) -> str:
    head = "".join(
        f'<th class="{"txt" if df[c].dtype == object else ""}">{_esc(c)}</th>' for c in df.columns
    )
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            text, cls = _cell(v, str(c))
            cells.append(f'<td class="{cls}">{_esc(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def table_html(df: pd.DataFrame, *, name: str | None = None, collapsed: bool = False) -> str:
    """A released table as an HTML table; suppressed cells show a dot.

    A table of at most ``_MAX_ROWS`` rows is shown whole (folded under
    ``<details>`` with ``collapsed``, as under a figure that draws it). A longer
    one is not inlined: a line links its CSV (``name``.csv, written beside the
    report) and its first ``_MAX_ROWS`` rows are folded under ``<details>``.
    """
    csv = f'<a href="{_esc(name)}.csv">{_esc(name)}.csv</a>' if name else "the CSV"
    if len(df) <= _MAX_ROWS:
        body = _table(df)
        if not collapsed:
            return body
        label = f"Table {_esc(name)} ({len(df):,} rows; {_esc(name)}.csv)" if name else "Table"
        return f"<details><summary>{label}</summary>{body}</details>"
    return (f'<p class="caption">{len(df):,} rows, too many to show here: all in {csv}.</p>'
            f"<details><summary>The first {_MAX_ROWS} rows</summary>"
            f"{_table(df.head(_MAX_ROWS))}</details>")


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
    title = _esc(spec.name)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p class="meta">cohort {_esc(cohort.__version__)} · extract '
        f"{_esc(report.extract)} (registers to {_esc(report.extract_end)}) · seed "
        f"{_esc(spec.seed)} · disclosure threshold {_esc(spec.disclosure.threshold)}"
        + ("" if spec.disclosure.enabled else " · <strong>disclosure control DISABLED</strong>")
        + "</p>",
    ]
    if spec.description:
        parts.append(f"<p>{_esc(spec.description)}</p>")
    named = getattr(u, "name", lambda x: x)
    district = getattr(u, "district_unit", None)
    parts.append(
        f"<p>Target area <strong>{_esc(named(u.target))}</strong> in "
        f"{_esc(named(f'municipality:{u.municipality}'))}"
        + (f", district {_esc(named(district))}" if district else "")
        + "; comparison areas: "
        f"{_esc(', '.join(named(c) for c in u.comparison) or 'none')}.</p>"
    )
    parts.append("<nav><h2>Contents</h2><ul>")
    for s in sections:
        parts.append(f'<li><a href="#{_esc(s["key"])}">{_esc(s["title"])}</a></li>')
    parts.append('<li><a href="#data">The data and disclosure control</a></li></ul></nav>')
    for s in sections:
        parts.append(f'<section id="{_esc(s["key"])}"><h2>{_esc(s["title"])}</h2>')
        parts.append(f"<p>{_esc(s['description'])}</p>")
        for note in s.get("notes", ()):
            parts.append(f'<p class="note"><strong>Note:</strong> {_esc(note)}</p>')
        for o in s["outputs"]:
            parts.append(f'<h3 id="{_esc(o["name"])}">{_esc(o["title"])}</h3>')
            if o["figure"]:
                parts.append(
                    f'<figure><img src="{_esc(o["figure"])}.png" alt="{_esc(o["title"])}">'
                    f"<figcaption>{_esc(o['caption'])}</figcaption></figure>"
                )
                parts.append(table_html(o["table"], name=o["name"], collapsed=True))
            else:
                if o["caption"]:
                    parts.append(f'<p class="caption">{_esc(o["caption"])}</p>')
                parts.append(table_html(o["table"], name=o["name"]))
        parts.append("</section>")
    parts.append('<section id="data"><h2>The data and disclosure control</h2>')
    parts.append(
        f"<p>Validation status: <strong>{_esc(report.status)}</strong>. Rows that broke a "
        "rule of the data contract were set aside in quarantine on the server; the table "
        "<em>validation</em> in this release counts them per table.</p>"
    )
    parts.append(
        f"<p>Counts of 1 to {spec.disclosure.threshold - 1} persons are suppressed (shown "
        "as ·), with secondary suppression where a suppressed cell could be recovered from "
        "totals; shares are suppressed with their counts; figures are drawn from the "
        "released tables. manifest.json records the inputs' hashes, the versions, the "
        "settings and what was suppressed.</p>"
    )
    if whole_release:
        w = whole_release
        parts.append(
            "<p>The release is checked as one system of the numbers it shows: a suppressed "
            "cell must stay protected against every table, margin, share and model output "
            "of the release together. Relations between tables checked: "
            f"{w['relations']:,}. Further cells suppressed for them: "
            f"{w['cells_suppressed_further']:,}. Rows of model output withheld because "
            "they are exact functions of a suppressed cell (shown blank): "
            f"{w['model_rows_withheld']:,}. Rows of curves cut where their risk table "
            f"hides a cell: {w['curve_rows_cut']:,}. See docs/disclosure.md.</p>"
        )
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
