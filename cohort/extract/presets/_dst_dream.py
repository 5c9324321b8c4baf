"""DREAM in its wide weekly layout -> benefit spells, in SQL.

``y_YYWW`` columns (or ``y_WW`` in a per-year file ``dreamYYYY``) hold one benefit
code per ISO week; blank = no benefit. The columns are unpivoted, each code is mapped
to a canonical benefit (codes the table marks "not a benefit" count as blank, unknown
codes become ``"DREAM=<code>"``), and consecutive weeks with the same canonical
benefit become one spell (gaps and islands): start = Monday of the first week, end =
Monday after the last week. A spell that reaches the last week of the delivery and
whose end would lie after ``extract_end`` is left open (empty end).
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from cohort._sql import sql_ident, sql_str
from cohort.exceptions import ContractError
from cohort.extract.presets._dst_common import normalise_sql, text_sql, union_all
from cohort.extract.presets._dst_context import Ctx, YearFile
from cohort.extract.presets.base import CanonicalSource

__all__ = ["build_benefits", "week_column", "week_monday"]

_WIDE = re.compile(r"^y_(\d{2})(\d{2})$")
_YEARLY = re.compile(r"^y_(\d{2})$")
_EPOCH = date(1970, 1, 5)  # a Monday: week index 0


def _century(yy: int) -> int:
    """DREAM's two-digit years: 9x are 199x, everything else 20xx."""
    return 1900 + yy if yy >= 90 else 2000 + yy


def week_monday(year: int, week: int) -> date | None:
    """The Monday of ISO week ``week`` of ``year``; None when the week does not exist."""
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        return None


def week_column(monday: date) -> str:
    """The wide DREAM column (``y_YYWW``) of the ISO week starting on ``monday``."""
    y, w, _ = monday.isocalendar()
    return f"y_{y % 100:02d}{w:02d}"


def _weeks(ctx: Ctx, f: YearFile) -> dict[str, date]:
    info = ctx.info(f.stem)
    out: dict[str, date] = {}
    bad: list[str] = []
    for col in info.types:
        m = _WIDE.match(col)
        if m:
            year, week = _century(int(m.group(1))), int(m.group(2))
        elif f.year is not None and (m := _YEARLY.match(col)):
            year, week = f.year, int(m.group(1))
        else:
            continue
        monday = week_monday(year, week)
        if monday is None:
            bad.append(col.upper())
        else:
            out[col] = monday
    if bad:
        msg = (
            f"{info.file}: {len(bad)} weekly column(s) name no ISO week (e.g. {', '.join(bad[:5])})"
        )
        raise ContractError(msg)
    if not out:
        msg = f"{info.file}: no weekly benefit columns (y_YYWW) found"
        raise ContractError(msg)
    return out


def build_benefits(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    """The canonical source ``benefits`` from the DREAM file(s)."""
    tab = ctx.mapping("dream")
    week_rows: list[tuple[str, str, int, date]] = []
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        pid = ctx.col(i, "dream", "pid", "pnr", "person_id")
        weeks = _weeks(ctx, f)
        for col, monday in weeks.items():
            week_rows.append((f.stem, col, (monday - _EPOCH).days // 7, monday))
        # UNPIVOT the columns as they are: an expression per column (there are ~1,600)
        # makes DuckDB's planner slow. Only columns whose type differs from the others
        # are cast; the codes are normalised after unpivoting.
        types = {i.types[c] for c in weeks}
        if len(types) == 1:
            cols = ", ".join(sql_ident(c) for c in weeks)
            value_type = types.pop()
        else:
            cols = ", ".join(
                sql_ident(c) if i.types[c] == "VARCHAR"
                else f"{text_sql(c, i.types[c])} AS {sql_ident(c)}"
                for c in weeks
            )
            value_type = "VARCHAR"
        on = ", ".join(sql_ident(c) for c in weeks)
        code = normalise_sql(text_sql("_code", value_type))
        selects.append(
            f"SELECT pid, {sql_str(f.stem)} AS _src, _col, {code} AS _code, "
            f"_source_row, _source_file FROM "
            f"(UNPIVOT (SELECT {text_sql(pid, i.types[pid])} AS pid, _source_row, "
            f"_source_file, {cols} FROM {i.view}) ON {on} INTO NAME _col VALUE _code)"
        )
    weeks_df = pd.DataFrame(week_rows, columns=["src", "col", "wk", "monday"])
    ctx.con.register("_dst_dream_weeks_df", weeks_df)
    try:
        ctx.table(
            "_dst_dream_weeks",
            "SELECT src, col, CAST(wk AS INTEGER) AS wk, CAST(monday AS DATE) AS monday "
            "FROM _dst_dream_weeks_df",
        )
    finally:
        ctx.con.unregister("_dst_dream_weeks_df")
    last_wk = max(r[2] for r in week_rows)
    last_monday = max(r[3] for r in week_rows)
    open_at_end = (last_monday.toordinal() + 7) > ctx.extract_end.toordinal()

    ctx.view(
        "_dst_dream_long",
        f"""
        SELECT l.pid, w.wk, w.monday,
               CASE WHEN m.code IS NOT NULL THEN m.value ELSE 'DREAM=' || l._code END AS benefit,
               l._source_row, l._source_file
        FROM ({union_all(selects)}) l
        JOIN _dst_dream_weeks w ON w.src = l._src AND w.col = l._col
        LEFT JOIN {tab} m ON m.code = l._code
        WHERE l._code IS NOT NULL AND NOT (m.code IS NOT NULL AND m.value IS NULL)""",
    )
    end_expr = "CAST(max(monday) + 7 AS DATE)"
    if open_at_end:
        end_expr = f"CASE WHEN max(wk) = {last_wk} THEN NULL ELSE {end_expr} END"
    view = ctx.table(
        "_dst_benefits",
        f"""
        SELECT pid, benefit, min(monday) AS start_date, {end_expr} AS end_date,
               arg_min(_source_row, wk) AS _source_row, arg_min(_source_file, wk) AS _source_file
        FROM (SELECT *, wk - dense_rank() OVER (PARTITION BY pid, benefit ORDER BY wk) AS _grp
              FROM _dst_dream_long)
        GROUP BY pid, benefit, _grp""",
    )
    return ctx.source("benefits", view, files)
