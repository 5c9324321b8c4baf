"""The DST preset: a Statistics Denmark research delivery -> the canonical tables.

Reads BEF (per year), DOD, BEFBOP, BEFADR with the study's area map, AKM, IND,
DREAM (wide weekly), KOTRE/UDDF (with the delivery's format catalogue), VNDS, BUA
and KRAF; files named like a canonical table pass through unchanged. Every recode
goes through a shipped mapping table (``cohort/extract/presets/data/``) that a study
can replace; a code missing from the table is passed on as ``"<VARIABLE>=<code>"``,
so validation quarantines the row under ``invalid_code``. All work is SQL views in
the caller's DuckDB connection. See ``docs/presets.md`` for every rule.

Options (``[dst]`` in extract.toml):

``education_catalogue``
    the format catalogue that maps programme codes (UDD/AUDD) to DISCED-15 main areas:
    a ``.sas7bcat`` or a CSV export (columns ``fmtname,start,end,label`` as written by
    ``PROC FORMAT CNTLOUT=``, or ``code,main_area``).
``education_format``
    the format in the catalogue to use, when it holds more than one.
``education_source``
    ``"kotre"`` or ``"uddf"``, when a delivery has both.
``bop_vtil_inclusive``
    true when BOP_VTIL is the last day at the address rather than the moving day.
``mappings``
    a table ``name = "file.csv"`` replacing shipped mapping tables.
``columns``
    a table per register, ``role = "VARIABLE"``, naming a variable the preset does
    not know under its usual names (e.g. ``[dst.columns.bua] start_date = "X"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from cohort._sql import sql_ident, sql_str
from cohort.exceptions import ContractError
from cohort.extract.presets._dst_common import (
    code_sql,
    date_sql,
    date_text_sql,
    norm_code,
    scalar,
    shipped_rows,
    text_sql,
    union_all,
)
from cohort.extract.presets._dst_context import Ctx, YearFile, mapped, year_file
from cohort.extract.presets._dst_dream import build_benefits
from cohort.extract.presets._dst_education import build_education
from cohort.extract.presets.base import CanonicalSource, RawTable
from cohort.extract.presets.canonical import passthrough
from cohort.extract.schema import TABLES

__all__ = ["PRESET", "REGISTERS", "DstPreset", "region_code"]

#: DST register -> canonical table it feeds.
REGISTERS: dict[str, str] = {
    "bef": "persons",
    "dod": "persons",
    "befbop": "residence",
    "befadr": "addresses",
    "area_map": "addresses",
    "akm": "labour",
    "ind": "income",
    "dream": "benefits",
    "kotre": "education",
    "uddf": "education",
    "vnds": "migrations",
    "bua": "placements",
    "kraf": "convictions",
}

_PID = ("pnr", "person_id")


def region_code(value: Any) -> int | None:
    """A DST region code (BEF REG 81-85 or CPR/DAGI 1081-1085) as 1081-1085.

    Returns None for 0 (uoplyst) and for codes that are no region.

    Examples
    --------
    >>> region_code("84"), region_code(1084), region_code(0)
    (1084, 1084, None)

    """
    table = {norm_code(r["code"]): r["region"] for r in shipped_rows("dst_regions.csv")}
    v = table.get(norm_code(value), "")
    return int(v) if v else None


class DstPreset:
    """The Statistics Denmark preset (``preset = "dst"``)."""

    name = "dst"

    def to_canonical(
        self,
        con: duckdb.DuckDBPyConnection,
        raw: Mapping[str, RawTable],
        *,
        extract_end: date,
        options: Mapping[str, Any],
    ) -> dict[str, CanonicalSource]:
        """Create the canonical source views in ``con``; return them by table."""
        ctx = Ctx(con, raw, extract_end, options or {})
        files: dict[str, list[YearFile]] = {r: [] for r in REGISTERS}
        for stem in raw:
            for reg in REGISTERS:
                yf = year_file(stem, reg)
                if yf is not None:
                    files[reg].append(yf)
                    break
        for lst in files.values():
            lst.sort(key=lambda f: f.order)

        out: dict[str, CanonicalSource] = {}

        def put(src: CanonicalSource | None) -> None:
            if src is not None:
                out[src.table] = src

        if files["bef"]:
            put(_persons(ctx, files["bef"], files["dod"]))
        if files["befbop"]:
            put(_residence(ctx, files["befbop"]))
        if files["befadr"]:
            put(_addresses(ctx, files["befadr"], files["area_map"]))
        if files["akm"]:
            put(_labour(ctx, files["akm"]))
        if files["ind"]:
            put(_income(ctx, files["ind"]))
        if files["dream"]:
            put(build_benefits(ctx, files["dream"]))
        if files["kotre"] or files["uddf"]:
            put(build_education(ctx, files["kotre"], files["uddf"]))
        if files["vnds"]:
            put(_migrations(ctx, files["vnds"]))
        if files["bua"]:
            put(_placements(ctx, files["bua"]))
        if files["kraf"]:
            put(_convictions(ctx, files["kraf"]))

        for name in TABLES:
            if name in raw:
                if name in out:
                    msg = (
                        f"two sources for the table {name!r}: {raw[name].file} and "
                        f"{out[name].file}; remove one"
                    )
                    raise ContractError(msg)
                out[name] = passthrough(con, raw[name], name)
        return out


PRESET = DstPreset()


# ------------------------------------------------------------------ persons (BEF)


def _persons(ctx: Ctx, befs: list[YearFile], dods: list[YearFile]) -> CanonicalSource:
    selects = []
    for f in befs:
        i = ctx.info(f.stem)
        pid = ctx.col(i, "bef", "pid", *_PID)
        foed = ctx.col(i, "bef", "birth_date", "foed_dag", "foeddag", "foed_dato")
        koen = ctx.col(i, "bef", "sex", "koen", "kon")
        mor = ctx.opt_col(i, "bef", "mother_pid", "mor_id", "mor_pid")
        far = ctx.opt_col(i, "bef", "father_pid", "far_id", "far_pid")
        ie = ctx.opt_col(i, "bef", "ie_type", "ie_type")
        opr = ctx.opt_col(i, "bef", "opr_land", "opr_land")
        dod = ctx.opt_col(i, "bef", "death_date", "doddato", "doed_dato", "doeddato", "dod_dato")
        t = i.types

        def txt(c: str | None, t: dict[str, str] = t) -> str:
            return "CAST(NULL AS VARCHAR)" if c is None else text_sql(c, t[c])

        def cod(c: str | None, t: dict[str, str] = t) -> str:
            return "CAST(NULL AS VARCHAR)" if c is None else code_sql(c, t[c])

        death = "CAST(NULL AS VARCHAR)" if dod is None else date_text_sql(dod, t[dod])
        selects.append(
            f"SELECT {txt(pid)} AS pid, {date_text_sql(foed, t[foed])} AS birth_date, "
            f"{cod(koen)} AS _koen, {txt(mor)} AS mother_pid, {txt(far)} AS father_pid, "
            f"{cod(ie)} AS _ie, {cod(opr)} AS _opr, {death} AS _death, {f.order} AS _key, "
            f"_source_row, _source_file FROM {i.view}"
        )
    allv = ctx.view("_dst_bef_all", union_all(selects))
    if len(befs) == 1:
        latest = allv
    else:
        # One row per person: the latest year's row. Parents and death fall back on
        # the latest year that has them. Copies of a pid within one year stay, so that
        # validation sees the duplicate.
        ctx.view(
            "_dst_bef_any",
            f"""
            SELECT pid,
              arg_max(mother_pid, _key) FILTER (WHERE mother_pid IS NOT NULL) AS mother_any,
              arg_max(father_pid, _key) FILTER (WHERE father_pid IS NOT NULL) AS father_any,
              arg_max(_death, _key) FILTER (WHERE _death IS NOT NULL) AS death_any
            FROM {sql_ident(allv)} WHERE pid IS NOT NULL GROUP BY pid""",
        )
        latest = ctx.view(
            "_dst_bef_latest",
            f"""
            SELECT l.* REPLACE (coalesce(l.mother_pid, a.mother_any) AS mother_pid,
                                coalesce(l.father_pid, a.father_any) AS father_pid,
                                coalesce(l._death, a.death_any) AS _death)
            FROM (SELECT * FROM {sql_ident(allv)}
                  QUALIFY pid IS NULL OR _key = max(_key) OVER (PARTITION BY pid)) l
            LEFT JOIN _dst_bef_any a ON a.pid = l.pid""",
        )
    death_join = ""
    death_expr = "l._death"
    if dods:
        dsel = []
        for f in dods:
            i = ctx.info(f.stem)
            pid = ctx.col(i, "dod", "pid", *_PID)
            dd = ctx.col(i, "dod", "death_date", "doddato", "doed_dato", "dod_dato", "d_dodsdto")
            dsel.append(
                f"SELECT {text_sql(pid, i.types[pid])} AS pid, "
                f"{date_text_sql(dd, i.types[dd])} AS d FROM {i.view}"
            )
        ctx.view(
            "_dst_dod",
            f"SELECT pid, min(d) AS d FROM ({union_all(dsel)}) WHERE pid IS NOT NULL GROUP BY pid",
        )
        death_join = "LEFT JOIN _dst_dod d ON d.pid = l.pid"
        death_expr = "coalesce(d.d, l._death)"
    koen = ctx.mapping("koen")
    ie = ctx.mapping("ie_type")
    west = ctx.mapping("western_countries")
    make = ctx.view if len(befs) == 1 else ctx.table
    view = make(
        "_dst_persons",
        f"""
        SELECT l.pid, l.birth_date, {mapped("l._koen", koen, "mk", "KOEN")} AS sex,
          l.mother_pid, l.father_pid,
          CASE WHEN l._ie IS NULL THEN NULL
               WHEN mi.code IS NULL THEN 'IE_TYPE=' || l._ie
               WHEN mi.value IS NULL THEN NULL
               WHEN mi.value = 'danish' THEN 'danish'
               WHEN l._opr IS NULL THEN NULL
               ELSE mi.value || CASE WHEN mw.value = '1' THEN '_western' ELSE '_nonwestern' END
          END AS origin,
          {death_expr} AS death_date, l._source_row, l._source_file
        FROM {sql_ident(latest)} l
        LEFT JOIN {koen} mk ON mk.code = l._koen
        LEFT JOIN {ie} mi ON mi.code = l._ie
        LEFT JOIN {west} mw ON mw.code = l._opr
        {death_join}""",
    )
    rows = ctx.raw[befs[0].stem].rows if len(befs) == 1 else None
    return ctx.source("persons", view, [*befs, *dods], rows=rows)


# ------------------------------------------------------------ residence (BEFBOP)


def _residence(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    inclusive = bool(ctx.options.get("bop_vtil_inclusive", False))
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        pid = ctx.col(i, "befbop", "pid", *_PID)
        adr = ctx.col(i, "befbop", "address_id", "adresse_id")
        vfra = ctx.col(i, "befbop", "moved_in", "bop_vfra")
        vtil = ctx.col(i, "befbop", "moved_out", "bop_vtil")
        end_d = date_sql(vtil, t[vtil])
        end_t = date_text_sql(vtil, t[vtil])
        if inclusive:
            end_t = (
                f"CASE WHEN {end_d} IS NULL THEN {end_t} "
                f"ELSE CAST(CAST({end_d} + INTERVAL 1 DAY AS DATE) AS VARCHAR) END"
            )
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {text_sql(adr, t[adr])} AS address_id, "
            f"{date_text_sql(vfra, t[vfra])} AS moved_in, "
            f"CASE WHEN {end_d} >= DATE '9999-01-01' THEN NULL ELSE {end_t} END AS moved_out, "
            f"_source_row, _source_file FROM {i.view}"
        )
    return ctx.union_source("residence", selects, files)


# --------------------------------------------------- addresses (BEFADR + area map)


def _addresses(ctx: Ctx, files: list[YearFile], maps: list[YearFile]) -> CanonicalSource:
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        adr = ctx.col(i, "befadr", "address_id", "adresse_id")
        kom = ctx.col(i, "befadr", "municipality", "kom", "kommune")
        selects.append(
            f"SELECT {text_sql(adr, t[adr])} AS address_id, {code_sql(kom, t[kom])} "
            f"AS municipality, {f.order} AS _key, _source_row, _source_file FROM {i.view}"
        )
    base = ctx.view("_dst_befadr_all", union_all(selects))
    if len(files) > 1:
        base = ctx.view(
            "_dst_befadr_latest",
            f"""
            SELECT * FROM {sql_ident(base)}
            QUALIFY address_id IS NULL OR _key = max(_key) OVER (PARTITION BY address_id)""",
        )
    area = "CAST(NULL AS VARCHAR)"
    join = district = ""
    if maps:
        if len(maps) > 1:
            msg = "more than one area map: " + ", ".join(ctx.raw[m.stem].file for m in maps)
            raise ContractError(msg)
        i = ctx.info(maps[0].stem)
        adr = ctx.col(i, "area_map", "address_id", "address_id", "adresse_id")
        ar = ctx.col(i, "area_map", "area", "area", "omraade")
        # the district ("bydel") is optional: an area map without it gives no column
        dis = ctx.opt_col(i, "area_map", "district", "district", "bydel")
        dis_sql = f", {text_sql(dis, i.types[dis])} AS district" if dis else ""
        ctx.view(
            "_dst_area_map",
            f"""
            SELECT {text_sql(adr, i.types[adr])} AS address_id,
                   {text_sql(ar, i.types[ar])} AS area{dis_sql} FROM {i.view}""",
        )
        dups = int(
            scalar(
                ctx.con,
                "SELECT count(*) - count(DISTINCT address_id) FROM _dst_area_map "
                "WHERE address_id IS NOT NULL",
            )
            or 0
        )
        if dups:
            msg = (
                f"{i.file}: {dups} address_id(s) occur more than once in the area map; "
                "each address may belong to one area only"
            )
            raise ContractError(msg)
        join = "LEFT JOIN _dst_area_map m ON m.address_id = b.address_id"
        area = "m.area"
        district = ", m.district" if dis else ""
    view = ctx.view(
        "_dst_addresses",
        f"""
        SELECT b.address_id, b.municipality, {area} AS area{district}, b._source_row,
               b._source_file
        FROM {sql_ident(base)} b {join}""",
    )
    rows = ctx.raw[files[0].stem].rows if len(files) == 1 else None
    return ctx.source("addresses", view, [*files, *maps], rows=rows)


# ------------------------------------------------------------------- labour (AKM)

#: Labour-status variables, most recent classification first; a row uses the first
#: one that is filled (SOCIO13 from 1991, SOCIO02 2002-2013, SOCIO 1994-2001,
#: SOCIO_GL 1976-1990), so the name that changes by year is followed by year.
SOCIO_VARIABLES = ("socio13", "pre_socio", "socio02", "socio", "socio_gl")
_SOCIO_TABLE = {
    "socio13": "socio13",
    "pre_socio": "socio13",
    "socio02": "socio02",
    "socio": "socio",
    "socio_gl": "socio_gl",
}


def _year_sql(ctx: Ctx, f: YearFile, register: str) -> str:
    if f.year is not None:
        return str(f.year)
    i = ctx.info(f.stem)
    c = ctx.col(i, register, "year", "aar", "year", "aargang")
    return f"try_cast({text_sql(c, i.types[c])} AS INTEGER)"


def _labour(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        pid = ctx.col(i, "akm", "pid", *_PID)
        present = [v for v in SOCIO_VARIABLES if i.has(v)]
        if not present:
            msg = f"{i.file}: none of the columns SOCIO13, SOCIO02, SOCIO, SOCIO_GL is present"
            raise ContractError(msg)
        joins, whens = [], []
        for n, v in enumerate(present):
            tab = ctx.mapping(_SOCIO_TABLE[v])
            code = code_sql(v, t[v])
            joins.append(f"LEFT JOIN {tab} m{n} ON m{n}.code = {code}")
            whens.append(f"WHEN {code} IS NOT NULL THEN {mapped(code, tab, f'm{n}', v.upper())}")
        status = "CASE " + " ".join(whens) + " ELSE NULL END"
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {_year_sql(ctx, f, 'akm')} AS year, "
            f"{status} AS status, r._source_row, r._source_file FROM {i.view} r " + " ".join(joins)
        )
    return ctx.union_source("labour", selects, files)


# ------------------------------------------------------------------- income (IND)

DISPOSABLE = ("dispon_13", "dispon_ny", "dispon")
GROSS = ("perindkialt_13", "perindkialt")


def _first_filled(i: Any, names: tuple[str, ...]) -> str:
    cols = [text_sql(c, i.types[c]) for c in names if i.has(c)]
    if not cols:
        return "CAST(NULL AS VARCHAR)"
    return cols[0] if len(cols) == 1 else f"coalesce({', '.join(cols)})"


def _income(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        pid = ctx.col(i, "ind", "pid", *_PID)
        selects.append(
            f"SELECT {text_sql(pid, i.types[pid])} AS pid, {_year_sql(ctx, f, 'ind')} AS year, "
            f"{_first_filled(i, DISPOSABLE)} AS disposable_income, "
            f"{_first_filled(i, GROSS)} AS gross_income, _source_row, _source_file "
            f"FROM {i.view}"
        )
    return ctx.union_source("income", selects, files)


# -------------------------------------------------------------- migrations (VNDS)


def _migrations(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    tab = ctx.mapping("vnds")
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        pid = ctx.col(i, "vnds", "pid", *_PID)
        dt = ctx.col(i, "vnds", "date", "haend_dato", "haenddato")
        kode = ctx.col(i, "vnds", "direction", "indud_kode", "indud")
        code = code_sql(kode, t[kode])
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {date_text_sql(dt, t[dt])} AS date, "
            f"{mapped(code, tab, 'm', 'INDUD_KODE')} AS direction, r._source_row, r._source_file "
            f"FROM {i.view} r LEFT JOIN {tab} m ON m.code = {code}"
        )
    return ctx.union_source("migrations", selects, files)


# ------------------------------------------------------------- placements (BUA)


def _placements(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    tab = ctx.mapping("placements")
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        pid = ctx.col(i, "bua", "pid", *_PID)
        start = ctx.col(
            i, "bua", "start_date", "startdato", "start_dato", "anb_start", "bua_vfra", "begdato"
        )
        end = ctx.opt_col(
            i, "bua", "end_date", "slutdato", "slut_dato", "anb_slut", "bua_vtil", "ophdato"
        )
        kind = ctx.col(i, "bua", "kind", "anbringelsessted", "anbsted", "anb_sted", "anbringelse")
        code = code_sql(kind, t[kind])
        end_sql = (
            "CAST(NULL AS VARCHAR)"
            if end is None
            else (
                f"CASE WHEN {date_sql(end, t[end])} >= DATE '9999-01-01' THEN NULL "
                f"ELSE {date_text_sql(end, t[end])} END"
            )
        )
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {date_text_sql(start, t[start])} "
            f"AS start_date, {end_sql} AS end_date, "
            f"{mapped(code, tab, 'm', kind.upper())} AS kind, "
            f"r._source_row, r._source_file FROM {i.view} r LEFT JOIN {tab} m ON m.code = {code}"
        )
    return ctx.union_source("placements", selects, files)


# ----------------------------------------------------------- convictions (KRAF)


def _convictions(ctx: Ctx, files: list[YearFile]) -> CanonicalSource:
    tab = ctx.mapping("offences")
    lengths = [
        int(r[0])
        for r in ctx.con.execute(
            f"SELECT DISTINCT length(code) FROM {tab} ORDER BY 1 DESC"
        ).fetchall()
    ]
    selects = []
    for f in files:
        i = ctx.info(f.stem)
        t = i.types
        pid = ctx.col(i, "kraf", "pid", *_PID)
        dt = ctx.col(i, "kraf", "decision_date", "afg_afgoedto", "afg_dato", "afgoedto")
        ger = ctx.col(i, "kraf", "offence", "afg_ger7", "ger7")
        code = code_sql(ger, t[ger])
        # Longest matching prefix wins: one equi-join per prefix length.
        joins = " ".join(f"LEFT JOIN {tab} p{n} ON p{n}.code = left({code}, {n})" for n in lengths)
        value = "coalesce(" + ", ".join(f"p{n}.value" for n in lengths) + ", NULL)"
        known = " OR ".join(f"p{n}.code IS NOT NULL" for n in lengths) or "FALSE"
        selects.append(
            f"SELECT {text_sql(pid, t[pid])} AS pid, {date_text_sql(dt, t[dt])} "
            f"AS decision_date, CASE WHEN {code} IS NULL THEN NULL WHEN {known} THEN {value} "
            f"ELSE {sql_str('AFG_GER7=')} || {code} END AS offence, r._source_row, r._source_file "
            f"FROM {i.view} r {joins}"
        )
    return ctx.union_source("convictions", selects, files)
