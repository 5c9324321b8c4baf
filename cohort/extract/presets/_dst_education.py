"""Education spells from KOTRE / UDDF, levelled through the delivery's format catalogue.

DST's programme codes (UDD, AUDD) carry no level. The delivery's format catalogue maps
each code to its DISCED-15 main area (H10 ... H90); the shipped table
``dst_disced_levels.csv`` maps the main area to the canonical level.

Outcome (per spell): AUDD filled and not 0 -> ``completed`` (the programme is AUDD);
otherwise, end date empty or after ``extract_end`` -> ``ongoing`` (end left empty);
otherwise ``dropped``. The programme code looked up is AUDD for a completed spell and
UDD for the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from cohort._sql import sql_date
from cohort.exceptions import ContractError
from cohort.extract._fs import check_readable, input_error
from cohort.extract.presets._dst_common import (
    code_sql,
    date_sql,
    date_text_sql,
    mapping_table,
    norm_code,
    read_table_rows,
    resolve_path,
    text_sql,
    union_all,
)
from cohort.extract.presets._dst_context import Ctx, YearFile
from cohort.extract.presets.base import CanonicalSource

__all__ = ["build_education", "catalogue_from_rows", "main_area", "read_sas_catalogue"]

_AREA = re.compile(r"^\s*H?(\d{2})(?!\d)", re.IGNORECASE)
_MAX_RANGE_CODES = 200_000


def main_area(label: str) -> str:
    """The DISCED-15 main area a format label names.

    ``"H20 Gymnasiale ..."`` or ``"20"`` -> ``"H20"``; a label that names none is
    returned upper-cased.

    Examples
    --------
    >>> main_area("H20 Gymnasiale uddannelser"), main_area("70"), main_area("x")
    ('H20', 'H70', 'X')

    """
    m = _AREA.match(label)
    return f"H{m.group(1)}" if m else label.strip().upper()


def _expand(start: str, end: str) -> Iterable[str]:
    a, b = norm_code(start), norm_code(end or start)
    if a == b or not (a.isdigit() and b.isdigit()):
        yield a
        return
    lo, hi = int(a), int(b)
    if hi < lo or hi - lo > _MAX_RANGE_CODES:
        msg = f"format catalogue: the range {start}-{end} is not usable"
        raise ContractError(msg)
    for v in range(lo, hi + 1):
        yield str(v)


def catalogue_from_rows(rows: list[dict[str, str]], fmt: str | None) -> dict[str, str]:
    """Code -> main area from a CSV catalogue.

    Columns ``fmtname,start,end,label`` (as written by ``PROC FORMAT CNTLOUT=``; ranges
    are expanded, the OTHER entry is skipped) or ``code,main_area``.
    """
    if not rows:
        msg = "format catalogue: the file has no rows"
        raise ContractError(msg)
    cols = set(rows[0])
    if {"code", "main_area"} <= cols:
        return {norm_code(r["code"]): main_area(r["main_area"]) for r in rows if r["code"]}
    if not {"start", "label"} <= cols:
        msg = (
            "format catalogue: expected the columns FMTNAME, START, END, LABEL "
            "(PROC FORMAT CNTLOUT=) or CODE, MAIN_AREA"
        )
        raise ContractError(msg)
    formats: dict[str, dict[str, str]] = {}
    for r in rows:
        hlo = r.get("hlo", "").upper()
        if "O" in hlo or r["start"].upper() in ("**OTHER**", "OTHER"):
            continue  # the OTHER= entry maps no code
        name = r.get("fmtname", "").strip().upper().lstrip("$")
        target = formats.setdefault(name, {})
        for code in _expand(r["start"], r.get("end", "")):
            target[code] = main_area(r["label"])
    return _choose(formats, fmt)


def _choose(formats: dict[str, dict[str, str]], fmt: str | None) -> dict[str, str]:
    if fmt is not None:
        key = fmt.strip().upper().lstrip("$")
        if key not in formats:
            msg = f"format catalogue: format {fmt!r} not found; it has " + ", ".join(
                sorted(formats)
            )
            raise ContractError(msg)
        return formats[key]
    if len(formats) == 1:
        return next(iter(formats.values()))
    fitting = [
        n for n, m in formats.items() if m and all(re.fullmatch(r"H\d\d", v) for v in m.values())
    ]
    if len(fitting) == 1:
        return formats[fitting[0]]
    msg = (
        "format catalogue: it holds several formats; name the one that maps programme "
        "codes to DISCED-15 main areas with [dst] education_format (formats: "
        + ", ".join(sorted(formats))
        + ")"
    )
    raise ContractError(msg)


def read_sas_catalogue(path: Path, fmt: str | None) -> dict[str, str]:
    """Code -> main area from a SAS format catalogue (``.sas7bcat``), via pyreadstat."""
    import pyreadstat

    try:
        _, meta = pyreadstat.read_sas7bcat(str(path))
    except Exception as err:  # pyreadstat raises its own error types
        msg = f"format catalogue {path.name}: cannot be read ({type(err).__name__})"
        raise ContractError(msg) from err
    formats = {
        str(name).strip().upper().lstrip("$"): {
            norm_code(code): main_area(str(label)) for code, label in labels.items()
        }
        for name, labels in (meta.value_labels or {}).items()
    }
    return _choose(formats, fmt)


def _catalogue(ctx: Ctx) -> tuple[dict[str, str], list[str]]:
    value = ctx.options.get("education_catalogue")
    if not value:
        msg = (
            "education tables (KOTRE/UDDF) need the delivery's format catalogue: set "
            "[dst] education_catalogue in extract.toml to the .sas7bcat or its CSV export"
        )
        raise ContractError(msg)
    fmt = ctx.options.get("education_format")
    if str(value).lower().endswith(".sas7bcat"):
        path = resolve_path(str(value), ctx.options)
        try:
            found = path.is_file()
        except OSError as err:
            raise input_error(err, path) from None
        if not found:
            msg = f"[dst] education_catalogue: file {value!r} not found"
            raise ContractError(msg)
        check_readable(path)  # no permission: said so, not "cannot be read" as damaged
        return read_sas_catalogue(path, fmt), []
    rows, stem = read_table_rows(
        ctx.con, str(value), ctx.raw, ctx.options, what="education_catalogue"
    )
    return catalogue_from_rows(rows, fmt), [stem] if stem else []


def build_education(ctx: Ctx, kotre: list[YearFile], uddf: list[YearFile]) -> CanonicalSource:
    """The canonical source ``education``."""
    if kotre and uddf:
        choice = ctx.options.get("education_source")
        if choice not in ("kotre", "uddf"):
            msg = (
                "both KOTRE and UDDF are delivered; choose one with [dst] "
                'education_source = "kotre" or "uddf"'
            )
            raise ContractError(msg)
        files = kotre if choice == "kotre" else uddf
    else:
        files = kotre or uddf
    cat, extra = _catalogue(ctx)
    cat_tab = mapping_table(ctx.con, "_dst_udd_catalogue", cat)
    lv_tab = ctx.mapping("disced_levels")
    end = sql_date(ctx.extract_end)
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        reg = "kotre" if f in kotre else "uddf"
        pid = ctx.col(i, reg, "pid", "pnr", "person_id")
        udd = ctx.col(i, reg, "program", "udd")
        audd = ctx.col(i, reg, "completed_program", "audd")
        vfra = ctx.col(i, reg, "start_date", "elev3_vfra", "hf_vfra")
        vtil = ctx.col(i, reg, "end_date", "elev3_vtil", "hf_vtil")
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {code_sql(udd, t[udd])} AS _udd, "
            f"{code_sql(audd, t[audd])} AS _audd, {date_text_sql(vfra, t[vfra])} AS start_date, "
            f"{date_sql(vtil, t[vtil])} AS _end_d, {date_text_sql(vtil, t[vtil])} AS _end_t, "
            f"_source_row, _source_file FROM {i.view}"
        )
    ctx.view(
        "_dst_education_raw",
        f"""
        SELECT *, (_audd IS NOT NULL AND _audd <> '0') AS _done,
               CASE WHEN _audd IS NOT NULL AND _audd <> '0' THEN _audd ELSE _udd END AS _prog
        FROM ({union_all(selects)})""",
    )
    view = ctx.view(
        "_dst_education",
        f"""
        SELECT e.pid,
          CASE WHEN e._prog IS NULL THEN NULL
               WHEN c.code IS NULL THEN CASE WHEN e._done THEN 'AUDD=' ELSE 'UDD=' END || e._prog
               WHEN l.code IS NULL THEN 'DISCED15=' || c.value
               ELSE l.value END AS level,
          e._prog AS program, e.start_date,
          CASE WHEN e._done THEN e._end_t
               WHEN e._end_d > {end} THEN NULL ELSE e._end_t END AS end_date,
          CASE WHEN e._done THEN 'completed'
               WHEN e._end_t IS NULL OR e._end_d > {end} THEN 'ongoing'
               ELSE 'dropped' END AS outcome,
          e._source_row, e._source_file
        FROM _dst_education_raw e
        LEFT JOIN {cat_tab} c ON c.code = e._prog
        LEFT JOIN {lv_tab} l ON l.code = c.value""",
    )
    return ctx.source(
        "education", view, files, extra=tuple(extra), rows=sum(ctx.raw[f.stem].rows for f in files)
    )
