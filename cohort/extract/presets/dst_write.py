"""Write a canonical extract in Statistics Denmark's layout (the DST preset in reverse).

Used by the synthetic generator (``cohort synth --format dst``): reading the written
folder back through the DST preset reproduces the canonical tables up to the losses
listed in ``docs/presets.md`` ("The reverse writer"); in short, benefit spells are
rounded to ISO weeks, programme codes are synthetic, and ongoing education spells
lose their end date. All work is done in DuckDB; codes are drawn deterministically
from an MD5 hash of the person, the row's date and ``seed``.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import duckdb

from cohort._params import check_literal
from cohort._sql import sql_ident, sql_str
from cohort.exceptions import DataError
from cohort.extract._fs import disk_full, duckdb_write_error, output_error
from cohort.extract.presets._dst_common import scalar
from cohort.extract.presets._dst_dream import week_column
from cohort.extract.schema import TABLES

__all__ = [
    "BENEFIT_CODES",
    "LABOUR_CODES",
    "SYNTHETIC_PROGRAMMES",
    "write_dst_extract",
]

#: Canonical labour status -> SOCIO13/SOCIO02 codes the writer draws from.
LABOUR_CODES: dict[str, tuple[int, ...]] = {
    "employed": (131, 132, 133, 134, 135, 139),
    "self_employed": (111, 112, 113, 114, 120),
    "student": (310,),
    "unemployed": (210,),
    "public_support": (220, 321, 330),
    "retired": (322, 323),
    "other": (410,),
}

#: Canonical benefit -> DREAM weekly codes the writer draws from (one code per spell).
BENEFIT_CODES: dict[str, tuple[str, ...]] = {
    "unemployment_insurance": ("111", "112", "211"),
    "cash_assistance": ("130", "730"),
    "education_assistance": ("140", "720"),
    "integration_benefit": ("700", "710"),
    "sickness": ("890", "899"),
    "disability_pension": ("783",),
    "flex_job_benefit": ("740", "771"),
    "rehabilitation": ("760", "810"),
    "early_retirement": ("621", "611"),
    "old_age_pension": ("998",),
    "parental_leave": ("881",),
    "student_grant": ("651",),
}

#: Canonical level -> DISCED-15 main areas the writer draws from.
LEVEL_AREAS: dict[str, tuple[str, ...]] = {
    "primary": ("H10",),
    "preparatory": ("H15",),
    "youth_general": ("H20",),
    "youth_vocational": ("H30",),
    "short_cycle": ("H40",),
    "bachelor": ("H50", "H60"),
    "master": ("H70",),
    "phd": ("H80",),
}
_AREA_LABELS = {
    "H10": "Grundskole",
    "H15": "Forberedende uddannelser",
    "H20": "Gymnasiale uddannelser",
    "H30": "Erhvervsfaglige uddannelser",
    "H40": "Korte videregående uddannelser, KVU",
    "H50": "Mellemlange videregående uddannelser, MVU",
    "H60": "Bacheloruddannelser, BACH",
    "H70": "Lange videregående uddannelser, LVU",
    "H80": "Ph.d. og forskeruddannelser",
}
#: Synthetic programme codes per main area: ``aa01`` ... ``aa05`` for main area ``Haa``.
#: They are NOT DST's codes (DST's are unsystematic); the written catalogue defines them.
SYNTHETIC_PROGRAMMES: dict[str, tuple[str, ...]] = {
    a: tuple(f"{a[1:]}{k:02d}" for k in range(1, 6)) for a in _AREA_LABELS
}

_WESTERN_ABROAD = (5110, 5120, 5104, 5180, 5170, 5390, 5502)
#: Country codes outside the preset's western list (non-western by DST's definition);
#: not claimed to name particular countries.
_NONWESTERN = (5432, 5436, 5454, 5244, 5352, 5472)
_PLACEMENT_CODES = {"foster_family": (21, 22), "institution": (9, 7), "other": (6, 11)}
_OFFENCE_PREFIX = {"penal_code": "1", "traffic": "2", "drugs": "32", "weapons": "34", "other": "38"}
_FIRST_DREAM_WEEK = date(1990, 1, 1)  # a Monday, ISO 1990-W01; y_YY reads 9x as 199x
_EPOCH = date(1970, 1, 5)


def _draw(values: tuple[Any, ...], key: str, seed: int) -> str:
    """SQL choosing one of ``values`` by an MD5 hash of ``key`` and ``seed``."""
    items = ", ".join(sql_str(str(v)) for v in values)
    return (
        f"list_element([{items}], CAST(md5_number(CAST({key} AS VARCHAR) || "
        f"{sql_str('|' + str(seed))}) % {len(values)} AS INTEGER) + 1)"
    )


def _case(column: str, table: dict[str, tuple[Any, ...]], key: str, seed: int) -> str:
    whens = " ".join(f"WHEN {sql_str(k)} THEN {_draw(v, key, seed)}" for k, v in table.items())
    return f"(CASE {column} {whens} ELSE NULL END)"


def _read_toml(folder: Path) -> dict[str, Any]:
    path = folder / "extract.toml"
    if not path.is_file():
        msg = f"extract.toml is missing in {folder}"
        raise DataError(msg)
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, date)):
        return v.isoformat() if isinstance(v, date) else repr(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _open_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> set[str]:
    found: set[str] = set()
    for name in TABLES:
        file, sub = folder / f"{name}.parquet", folder / name
        if file.is_file():
            src = sql_str(str(file))
        elif sub.is_dir() and any(sub.rglob("*.parquet")):
            src = sql_str(str(sub / "**" / "*.parquet"))
        else:
            continue
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {sql_ident('c_' + name)} AS "
            f"SELECT * FROM read_parquet({src})"
        )
        found.add(name)
    return found


#: what a write that failed half-way leaves, said in its message
INCOMPLETE = (
    "Its files are incomplete and it has no extract.toml, so it is not read as an extract; "
    "remove it or write it again. "
)


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> None:
    from cohort import _progress

    _progress.item(f"writing {path.name}")
    try:
        con.execute(f"COPY ({sql}) TO {sql_str(str(path))} (FORMAT PARQUET)")
    except duckdb.Error as err:
        if not (disk_full(err) or "permission denied" in str(err).lower()):
            raise
        raise duckdb_write_error(err, path.parent, what="the extract folder",
                                 option="output folder", note=INCOMPLETE) from None


def write_dst_extract(
    canonical_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    dream_layout: Literal["wide", "yearly"] = "wide",
) -> Path:
    """Write the canonical extract in ``canonical_dir`` to ``out_dir`` in DST layout.

    Writes ``bef<YYYY>.parquet`` (one file, YYYY = the year of ``extract_end``),
    ``dod``, ``befbop``, ``befadr`` + ``area_map`` (area and district), ``kotre`` + the
    format catalogue ``udd_formats.csv``, ``akm<YYYY>`` (SOCIO02 for 2002-2013, SOCIO13 otherwise),
    ``ind<YYYY>`` (DISPON_NY before 2000, DISPON_13 from 2000), ``dream`` (wide
    ``y_YYWW``), ``vnds``, ``bua``, ``kraf``, the tables DST has no name for
    (``exams``, ``absence``) under their canonical names, and an ``extract.toml``
    with ``preset = "dst"``. Returns ``out_dir``.

    ``dream_layout="yearly"`` writes DREAM as one file per ISO year (``dreamYYYY``
    with ``Y_WW`` columns) instead of one wide file; the preset reads both.
    """
    check_literal("dream_layout", dream_layout, ("wide", "yearly"))
    src, out = Path(canonical_dir), Path(out_dir)
    meta = _read_toml(src)
    extract_end = meta.get("extract_end")
    if not isinstance(extract_end, date):
        msg = "extract.toml: extract_end must be a date (e.g. 2019-12-31)"
        raise DataError(msg)
    if extract_end.year >= 2090:
        msg = "extract_end: DREAM's two-digit week columns cannot reach 2090"
        raise DataError(msg)
    try:
        out.mkdir(parents=True, exist_ok=True)
        # extract.toml is written last: until then the folder is no extract, so a run
        # that fails half-way (a full disk) leaves nothing that reads as one
        (out / "extract.toml").unlink(missing_ok=True)
    except OSError as err:
        raise output_error(err, out, what="the extract folder", option="output folder") from None
    con = duckdb.connect()
    have = _open_tables(con, src)
    dst_options: dict[str, Any] = {}

    def cols(table: str) -> set[str]:
        return {str(r[0]) for r in con.execute(f"DESCRIBE {sql_ident('c_' + table)}").fetchall()}

    def opt(table: str, column: str, cast: str = "VARCHAR") -> str:
        return f"CAST({column} AS {cast})" if column in cols(table) else f"CAST(NULL AS {cast})"

    if "persons" in have:
        origin = "origin" in cols("persons")
        ie = (
            (
                "CASE WHEN origin = 'danish' THEN 1 WHEN origin LIKE 'immigrant_%' THEN 2 "
                "WHEN origin LIKE 'descendant_%' THEN 3 ELSE NULL END"
            )
            if origin
            else "NULL"
        )
        land = (
            (
                f"CASE WHEN origin = 'danish' THEN 5100 "
                f"WHEN origin LIKE '%\\_nonwestern' ESCAPE '\\' THEN "
                f"CAST({_draw(_NONWESTERN, 'pid', seed)} AS INTEGER) "
                f"WHEN origin LIKE '%\\_western' ESCAPE '\\' THEN "
                f"CAST({_draw(_WESTERN_ABROAD, 'pid', seed)} AS INTEGER) ELSE NULL END"
            )
            if origin
            else "NULL"
        )
        _copy(
            con,
            f"""
            SELECT CAST(pid AS VARCHAR) AS PNR, CAST(birth_date AS DATE) AS FOED_DAG,
                   CASE sex WHEN 'M' THEN 1 WHEN 'F' THEN 2 ELSE NULL END AS KOEN,
                   {opt("persons", "mother_pid")} AS MOR_ID,
                   {opt("persons", "father_pid")} AS FAR_ID,
                   CAST({ie} AS INTEGER) AS IE_TYPE, CAST({land} AS INTEGER) AS OPR_LAND
            FROM c_persons""",
            out / f"bef{extract_end.year}.parquet",
        )
        if "death_date" in cols("persons"):
            _copy(
                con,
                "SELECT CAST(pid AS VARCHAR) AS PNR, CAST(death_date AS DATE) AS DODDATO "
                "FROM c_persons WHERE death_date IS NOT NULL",
                out / "dod.parquet",
            )

    if "residence" in have:
        _copy(
            con,
            """SELECT CAST(pid AS VARCHAR) AS PNR, CAST(address_id AS VARCHAR) AS ADRESSE_ID,
                      CAST(moved_in AS DATE) AS BOP_VFRA, CAST(moved_out AS DATE) AS BOP_VTIL
                      FROM c_residence""",
            out / "befbop.parquet",
        )

    if "addresses" in have:
        _copy(
            con,
            """SELECT CAST(address_id AS VARCHAR) AS ADRESSE_ID,
                      CAST(municipality AS INTEGER) AS KOM FROM c_addresses""",
            out / "befadr.parquet",
        )
        has_area, has_district = "area" in cols("addresses"), "district" in cols("addresses")
        if has_area or has_district:
            # the study's area map: an address's area and (optional) district
            area = "NULLIF(CAST(area AS VARCHAR), '')" if has_area else "CAST(NULL AS VARCHAR)"
            district = ", NULLIF(CAST(district AS VARCHAR), '') AS district" if has_district else ""
            where = " OR ".join(
                f"NULLIF(CAST({c} AS VARCHAR), '') IS NOT NULL"
                for c, has in (("area", has_area), ("district", has_district)) if has
            )
            _copy(
                con,
                f"""SELECT CAST(address_id AS VARCHAR) AS address_id, {area} AS area{district}
                    FROM c_addresses WHERE {where}""",
                out / "area_map.parquet",
            )

    if "education" in have:
        _write_education(con, out, seed)
        dst_options["education_catalogue"] = "udd_formats.csv"

    if "labour" in have:
        for (year,) in con.execute(
            "SELECT DISTINCT CAST(year AS INTEGER) FROM c_labour WHERE year IS NOT NULL ORDER BY 1"
        ).fetchall():
            var = "SOCIO02" if 2002 <= year <= 2013 else "SOCIO13"
            code = _case("status", LABOUR_CODES, "pid", seed + year)
            _copy(
                con,
                f"SELECT CAST(pid AS VARCHAR) AS PNR, CAST({code} AS INTEGER) AS {var} "
                f"FROM c_labour WHERE CAST(year AS INTEGER) = {year}",
                out / f"akm{year}.parquet",
            )

    if "income" in have:
        for (year,) in con.execute(
            "SELECT DISTINCT CAST(year AS INTEGER) FROM c_income WHERE year IS NOT NULL ORDER BY 1"
        ).fetchall():
            disp = "DISPON_NY" if year < 2000 else "DISPON_13"
            _copy(
                con,
                f"""SELECT CAST(pid AS VARCHAR) AS PNR,
                           {opt("income", "disposable_income", "DOUBLE")} AS {disp},
                           {opt("income", "gross_income", "DOUBLE")} AS PERINDKIALT_13
                           FROM c_income WHERE CAST(year AS INTEGER) = {year}""",
                out / f"ind{year}.parquet",
            )

    if "benefits" in have:
        _write_dream(con, out, extract_end, seed, yearly=dream_layout == "yearly")

    if "migrations" in have:
        _copy(
            con,
            """SELECT CAST(pid AS VARCHAR) AS PNR,
                      CASE direction WHEN 'in' THEN 'I' WHEN 'out' THEN 'U' ELSE NULL END
                        AS INDUD_KODE, CAST(date AS DATE) AS HAEND_DATO FROM c_migrations""",
            out / "vnds.parquet",
        )

    if "placements" in have:
        kind = _case("kind", _PLACEMENT_CODES, "pid || CAST(start_date AS VARCHAR)", seed)
        _copy(
            con,
            f"""SELECT CAST(pid AS VARCHAR) AS PNR, CAST(start_date AS DATE) AS STARTDATO,
                       CAST(end_date AS DATE) AS SLUTDATO,
                       CAST({kind} AS INTEGER) AS ANBRINGELSESSTED FROM c_placements""",
            out / "bua.parquet",
        )

    if "convictions" in have:
        whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(p)}" for k, p in _OFFENCE_PREFIX.items())
        key = f"pid || CAST(decision_date AS VARCHAR) || {sql_str(str(seed))}"
        _copy(
            con,
            f"""SELECT CAST(pid AS VARCHAR) AS PNR,
                       CAST(decision_date AS DATE) AS AFG_AFGOEDTO,
                       CAST(CASE offence {whens} ELSE NULL END
                            || lpad(CAST(md5_number({key}) % 100000 AS VARCHAR),
                                    CASE WHEN offence IN ('penal_code', 'traffic')
                                         THEN 6 ELSE 5 END,
                                    '0') AS BIGINT) AS AFG_GER7
                       FROM c_convictions""",
            out / "kraf.parquet",
        )

    dst_tables = {
        "persons",
        "residence",
        "addresses",
        "education",
        "labour",
        "income",
        "benefits",
        "migrations",
        "placements",
        "convictions",
    }
    for name in sorted(have - dst_tables):
        _copy(con, f"SELECT * FROM {sql_ident('c_' + name)}", out / f"{name}.parquet")

    lines = [
        f"name = {_toml_value(str(meta.get('name', 'extract')) + ' (DST layout)')}",
        f"extract_end = {extract_end.isoformat()}",
        'preset = "dst"',
    ]
    if dst_options:
        lines.append("")
        lines.append("[dst]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in dst_options.items()]
    try:
        (out / "extract.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as err:
        (out / "extract.toml").unlink(missing_ok=True)
        raise output_error(err, out, what="the extract folder", option="output folder",
                           note=INCOMPLETE) from None
    finally:
        con.close()
    return out


def _write_education(con: duckdb.DuckDBPyConnection, out: Path, seed: int) -> None:
    key = "pid || CAST(start_date AS VARCHAR)"
    area = _case("level", LEVEL_AREAS, key, seed)
    code = _case(area, SYNTHETIC_PROGRAMMES, key, seed + 1)
    _copy(
        con,
        f"""
        SELECT PNR, CAST(UDD AS INTEGER) AS UDD,
               CAST(CASE WHEN outcome = 'completed' THEN UDD ELSE '0' END AS INTEGER) AS AUDD,
               ELEV3_VFRA, CASE WHEN outcome = 'ongoing' THEN NULL ELSE ELEV3_VTIL END AS ELEV3_VTIL
        FROM (SELECT CAST(pid AS VARCHAR) AS PNR, {code} AS UDD, outcome,
                     CAST(start_date AS DATE) AS ELEV3_VFRA, CAST(end_date AS DATE) AS ELEV3_VTIL
              FROM c_education)""",
        out / "kotre.parquet",
    )
    lines = ["fmtname,start,end,label,type"]
    for a, codes in SYNTHETIC_PROGRAMMES.items():
        lines += [f'DISCED15_H,{c},{c},"{a} {_AREA_LABELS[a]}",N' for c in codes]
    (out / "udd_formats.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_dream(
    con: duckdb.DuckDBPyConnection, out: Path, extract_end: date, seed: int, *, yearly: bool
) -> None:
    last = extract_end - timedelta(days=extract_end.weekday())
    start = scalar(con, "SELECT min(CAST(start_date AS DATE)) FROM c_benefits")
    if start is None:
        return
    first = max(start - timedelta(days=start.weekday()), _FIRST_DREAM_WEEK)
    if first > last:
        return
    n = (last - first).days // 7 + 1
    columns = [week_column(first + timedelta(weeks=k)) for k in range(n)]
    wk0 = (first - _EPOCH).days // 7
    wk_last = wk0 + n - 1
    code = _case("benefit", BENEFIT_CODES, "pid || CAST(start_date AS VARCHAR)", seed)
    # Each spell covers the weeks from the one holding its first day to the one holding
    # its last day (an open spell: to the last column); one code per week, the spell
    # that starts later winning.
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _w_spells AS
        SELECT CAST(pid AS VARCHAR) AS pid, benefit, {code} AS code,
               CAST(start_date AS DATE) AS s,
               greatest(CAST(floor(datediff('day', DATE {sql_str(_EPOCH.isoformat())},
                   CAST(start_date AS DATE)) / 7) AS BIGINT), {wk0}) AS w1,
               CASE WHEN end_date IS NULL THEN {wk_last}
                    ELSE least(CAST(floor(datediff('day', DATE {sql_str(_EPOCH.isoformat())},
                         CAST(end_date AS DATE) - 1) / 7) AS BIGINT), {wk_last}) END AS w2
        FROM c_benefits WHERE benefit IS NOT NULL""")
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW _w_long AS
        SELECT pid, 'c' || CAST(wk - {wk0} AS VARCHAR) AS col, arg_max(code, s) AS code
        FROM (SELECT pid, code, s, unnest(generate_series(w1, w2)) AS wk
              FROM _w_spells WHERE w2 >= w1)
        GROUP BY pid, wk""")
    pivot_in = ", ".join(sql_str(f"c{k}") for k in range(n))
    select = ", ".join(
        f"{sql_ident(f'c{k}')} AS {sql_ident(c.upper())}" for k, c in enumerate(columns)
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _w_wide AS
        PIVOT _w_long ON col IN ({pivot_in}) USING first(code) GROUP BY pid""")
    if not yearly:
        _copy(con, f"SELECT pid AS PNR, {select} FROM _w_wide ORDER BY pid", out / "dream.parquet")
        return
    by_year: dict[int, list[int]] = {}
    for k in range(n):
        by_year.setdefault((first + timedelta(weeks=k)).isocalendar()[0], []).append(k)
    for year, ks in by_year.items():
        sel = ", ".join(f"{sql_ident(f'c{k}')} AS {sql_ident('Y_' + columns[k][-2:])}" for k in ks)
        filled = " OR ".join(f"{sql_ident(f'c{k}')} IS NOT NULL" for k in ks)
        _copy(
            con,
            f"SELECT pid AS PNR, {sel} FROM _w_wide WHERE {filled} ORDER BY pid",
            out / f"dream{year}.parquet",
        )
