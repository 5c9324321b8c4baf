"""Building a cohort of children from a spec, in DuckDB (definitions.md §3).

The work is a handful of SQL statements over the extract: children of the birth
cohorts with both exposure measures and their group; the time origin and the
stay in the country that covers it; the event date of each outcome; the
censoring date and the exit reason; the parents' attributes. Only the analysed
cohort and counts come back to pandas.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd

from cohort._sql import sql_date, sql_float, sql_int, sql_list
from cohort.cohorts._flow import flow_table, linkage_report
from cohort.cohorts.result import Cohort
from cohort.cohorts.spec import CohortSpec
from cohort.engine._keys import fresh_name
from cohort.engine._sql import birthday_sql, days_between_sql, effective_end_sql
from cohort.engine.exposure import resident_at_age_sql, years_in_area_sql
from cohort.engine.family import PARENT_ATTRIBUTES, parent_attributes_sql
from cohort.engine.residence import residence_sql, stays_sql
from cohort.engine.units import Unit
from cohort.exceptions import DataQualityWarning, ParameterError
from cohort.extract import Extract
from cohort.extract.schema import YOUTH_LEVELS

__all__ = ["build_cohort"]

_EDUCATION_OUTCOMES = ("youth_education_start", "youth_education_completion")
_TABLE_OF = {"mother_education": "education", "parent_employed": "labour",
             "household_income": "income"}


def _check_tables(extract: Extract, spec: CohortSpec) -> None:
    names = spec.outcomes.names
    if any(o in _EDUCATION_OUTCOMES for o in names):
        extract.require("education", purpose="the education outcomes of a cohort")
    if "employment" in names:
        extract.require("labour", purpose="the outcome 'employment' of a cohort")
    if "first_conviction" in names:
        extract.require("convictions", purpose="the outcome 'first_conviction' of a cohort")
    for cov in spec.covariates:
        if cov in _TABLE_OF:
            extract.require(_TABLE_OF[cov], purpose=f"the covariate {cov!r} of a cohort")
    if not extract.has("exams"):
        warnings.warn(
            "the extract has no table 'exams': every child's time origin is 30 June of the "
            f"year it turns {spec.outcomes.no_exams_age}",
            DataQualityWarning, stacklevel=3)


def _comparison_predicate(extract: Extract, spec: CohortSpec, a: str) -> str:
    target = Unit("area", spec.target_area)
    not_target = f"NOT COALESCE({target.predicate(a)}, false)"
    if spec.comparison.kind == "areas":
        return f"({a}.area IN ({sql_list(spec.comparison.areas)}) AND {not_target})"
    munis = [int(r[0]) for r in extract.con.execute(
        "SELECT DISTINCT municipality FROM addresses WHERE area = ?", [spec.target_area]
    ).fetchall()]
    return f"({a}.municipality IN ({', '.join(map(sql_int, munis))}) AND {not_target})"


def _censoring_sql(origin: str, stay_end: str, death: str, ee: dt.date,
                   years: int) -> tuple[str, str]:
    """SQL for the censoring date and its reason, from the origin's columns."""
    mfu = f"CAST({origin} + INTERVAL {sql_int(int(years))} YEAR AS DATE)"
    cens = f"least({stay_end}, {death}, {sql_date(ee)}, {mfu})"
    reason = (
        f"CASE WHEN {death} = {cens} THEN 'death' WHEN {stay_end} = {cens} THEN 'emigration' "
        f"WHEN {sql_date(ee)} = {cens} THEN 'extract_end' ELSE 'max_follow_up' END"
    )
    return cens, reason


def build_cohort(extract: Extract, spec: CohortSpec | None = None) -> Cohort:
    """Build the cohort of children that ``spec`` describes.

    Parameters
    ----------
    extract
        The register extract (needs ``education`` for the education outcomes,
        ``labour`` for employment and the parents' employment, ``convictions``
        for first_conviction, ``income`` for household income; ``exams`` is used
        when present).
    spec
        The cohort spec; the defaults of definitions.md §3 when not given.

    Returns
    -------
    Cohort
        ``.data`` one row per child of the analysed cohort; ``.exclusions`` the
        flow from everyone in the extract to the analysed cohort, per group;
        ``.linkage`` the rows each register has for the cohort's members.

    Examples
    --------
    >>> c = build_cohort(ex, CohortSpec(birth_years=(1995, 2000)))  # doctest: +SKIP
    >>> c.data.groupby("group").youth_education_start_event.mean()   # doctest: +SKIP

    """
    spec = spec or CohortSpec()
    if not isinstance(spec, CohortSpec):
        msg = f"spec must be a CohortSpec; got {type(spec).__name__}"
        raise ParameterError(msg)
    _check_tables(extract, spec)
    con = extract.con
    n_target = con.execute(
        "SELECT count(*) FROM addresses WHERE area = ?", [spec.target_area]).fetchall()[0][0]
    if not n_target:
        msg = f"target_area {spec.target_area!r} is not an area of the extract's addresses"
        raise ParameterError(msg)
    ee = extract.extract_end
    ex, oc = spec.exposure, spec.outcomes
    target = Unit("area", spec.target_area)
    y0, y1 = spec.birth_years
    conviction = "first_conviction" in oc.names
    c, rc, r, x, s, st = (fresh_name(p) for p in ("_cc", "_crc", "_cr", "_cx", "_cs", "_cst"))
    try:
        con.execute(
            f"CREATE TEMP TABLE {c} AS SELECT pid, year(birth_date) AS birth_year, sex, origin, "
            "birth_date, death_date, mother_pid, father_pid FROM persons "
            f"WHERE year(birth_date) BETWEEN {sql_int(int(y0))} AND {sql_int(int(y1))}")
        exam = ("(SELECT pid, min(year) AS exam_year FROM exams GROUP BY pid)"
                if extract.has("exams")
                else "(SELECT NULL::VARCHAR AS pid, NULL::BIGINT AS exam_year)")
        exam_year = f"COALESCE(e.exam_year, c.birth_year + {sql_int(oc.no_exams_age)})"
        origin = (f"make_date(CAST({exam_year} AS BIGINT), {sql_int(oc.origin_month)}, "
                  f"{sql_int(oc.origin_day)})")
        exposed = ("COALESCE(x.resident_at_age, false)" if ex.form == "resident_at_age"
                   else f"COALESCE(x.years_in_area >= {sql_float(ex.threshold_years)}, false)")
        comp = _comparison_predicate(extract, spec, "a")
        # the children's spells, and those in the target area or the comparison units
        con.execute(f"CREATE TEMP TABLE {rc} AS SELECT r.* FROM residence r "
                    f"SEMI JOIN {c} c ON c.pid = r.pid")
        where = f"({target.predicate('a')} OR {comp})"
        con.execute(f"CREATE TEMP TABLE {r} AS {residence_sql(extract, None, where, spells=rc)}")
        con.execute(
            f"CREATE TEMP TABLE {x} AS SELECT c.*, ra.resident_at_age, yi.years_in_area, "
            f"{birthday_sql('c.birth_date', sql_int(ex.reference_age))} AS reference_date, "
            "e.exam_year, "
            f"{origin} AS origin_date, "
            f"{birthday_sql('c.birth_date', sql_int(oc.employment_age))} "
            "AS employment_origin_date, "
            f"{birthday_sql('c.birth_date', sql_int(oc.conviction_age))} "
            "AS first_conviction_origin_date "
            f"FROM {c} c "
            f"LEFT JOIN ({resident_at_age_sql(extract, target, ex.age, c, r)}) ra USING (pid) "
            f"LEFT JOIN ({years_in_area_sql(extract, target, ex.from_age, ex.to_age, c, r)}) "
            f"yi USING (pid) LEFT JOIN {exam} e USING (pid)")
        # the group on the reference date, and the stays covering the origins
        con.execute(f"CREATE TEMP TABLE {st} AS {stays_sql(extract, spells=rc)}")
        if conviction:
            sc_cols = ("sc.stay_start IS NOT NULL AS in_country_at_conviction_origin, "
                       "sc.stay_end AS conviction_stay_end, ")
            sc_join = (f"LEFT JOIN {st} sc ON sc.pid = x.pid "
                       "AND sc.stay_start <= x.first_conviction_origin_date "
                       "AND x.first_conviction_origin_date < "
                       f"{effective_end_sql('sc.stay_end', ee)} ")
        else:
            sc_cols = sc_join = ""
        con.execute(
            f"CREATE TEMP TABLE {s} AS SELECT x.*, {sc_cols}"
            f"CASE WHEN x.reference_date > {sql_date(ee)} THEN NULL "
            f"WHEN {exposed} THEN 'exposed' "
            f"WHEN COALESCE({comp}, false) AND NOT {exposed} THEN 'comparison' END AS grp, "
            "so.stay_start IS NOT NULL AS in_country_at_origin, so.stay_end AS origin_stay_end, "
            "s18.stay_start IS NOT NULL AS in_country_at_employment_origin, "
            "s18.stay_end AS employment_stay_end "
            f"FROM {x} x LEFT JOIN {r} a ON a.pid = x.pid "
            "AND a.moved_in <= x.reference_date AND x.reference_date < a.end_ "
            f"LEFT JOIN {st} so ON so.pid = x.pid "
            "AND so.stay_start <= x.origin_date AND x.origin_date < "
            f"{effective_end_sql('so.stay_end', ee)} "
            f"LEFT JOIN {st} s18 ON s18.pid = x.pid "
            "AND s18.stay_start <= x.employment_origin_date AND x.employment_origin_date < "
            f"{effective_end_sql('s18.stay_end', ee)} {sc_join}")
        exclusions = _flow(extract, s, spec)
        data = _outcomes(extract, s, spec)
    finally:
        for t in (s, st, x, r, rc, c):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    linkage = linkage_report(extract, data[["pid", "group"]], mothers=data.get("_mother"),
                             fathers=data.get("_father"))
    data = data.drop(columns=["_mother", "_father"])
    return Cohort(data=data, exclusions=exclusions, linkage=linkage, spec=spec,
                  extract_end=ee)


def _at_risk(ee: dt.date, origin: str = "x.origin_date",
             in_country: str = "x.in_country_at_origin") -> str:
    """Alive and living in the country on the origin, which is observed."""
    return (f"({origin} <= {sql_date(ee)} AND {in_country} "
            f"AND (x.death_date IS NULL OR x.death_date > {origin}))")


def _flow(extract: Extract, s: str, spec: CohortSpec) -> pd.DataFrame:
    ee = extract.extract_end
    y0, y1 = spec.birth_years
    ref_age = spec.exposure.reference_age
    steps = [
        ("born", f"born {y0}-{y1}", "true"),
        ("origin_observed", "time origin on or before extract_end",
         f"x.origin_date <= {sql_date(ee)}"),
        ("at_risk", "alive and living in the country on the origin date", _at_risk(ee)),
        ("exposure_observed", f"exposure observed: birthday {ref_age} on or before extract_end",
         f"x.reference_date <= {sql_date(ee)}"),
        ("in_group", "in the exposed or the comparison group", "x.grp IS NOT NULL"),
    ]
    total = extract.con.execute("SELECT count(*) FROM persons").fetchall()[0][0]
    conds, cols = [], []
    for i, (_, _, cond) in enumerate(steps):
        conds.append(f"({cond})")
        cols.append(f"count(*) FILTER (WHERE {' AND '.join(conds)}) AS s{i}")
    rows = extract.con.execute(
        f"SELECT COALESCE(x.grp, 'neither') AS g, {', '.join(cols)} FROM {s} x GROUP BY 1"
    ).fetchall()
    counts = {r[0]: r[1:] for r in rows}
    return flow_table(total, steps, counts)


def _outcomes(extract: Extract, s: str, spec: CohortSpec) -> pd.DataFrame:
    ee = extract.extract_end
    oc, cs = spec.outcomes, spec.censoring
    con = extract.con
    youth = sql_list(YOUTH_LEVELS)
    names = oc.names
    cols = ["x.pid", "x.birth_year", "x.sex", "x.origin", "x.birth_date", "x.grp AS \"group\"",
            "CAST(x.grp = 'exposed' AS INTEGER) AS exposed",
            "CAST(x.resident_at_age AS INTEGER) AS resident_at_age", "x.years_in_area",
            "x.reference_date", "x.exam_year", "x.origin_date"]
    joins = []
    if any(o in _EDUCATION_OUTCOMES for o in names):
        joins.append(
            "LEFT JOIN (SELECT x.pid, "
            "min(CASE WHEN e.start_date >= x.origin_date THEN e.start_date "
            "WHEN e.end_date IS NULL OR e.end_date > x.origin_date THEN x.origin_date END) "
            "AS youth_education_start, "
            "min(CASE WHEN e.outcome = 'completed' AND e.end_date IS NOT NULL "
            "THEN greatest(e.end_date, x.origin_date) END) AS youth_education_completion "
            f"FROM {s} x JOIN education e ON e.pid = x.pid AND e.level IN ({youth}) "
            "GROUP BY x.pid) ev USING (pid)")
    if "employment" in names:
        st = sql_list(oc.employment_statuses)
        nov30 = "make_date(CAST(l.year AS BIGINT), 11, 30)"
        joins.append(
            f"LEFT JOIN (SELECT x.pid, min({nov30}) AS employment "
            f"FROM {s} x JOIN labour l ON l.pid = x.pid AND l.status IN ({st}) "
            f"AND {nov30} >= x.employment_origin_date "
            "GROUP BY x.pid) em USING (pid)")
    if "first_conviction" in names:
        joins.append(
            "LEFT JOIN (SELECT x.pid, min(cv.decision_date) AS first_conviction "
            f"FROM {s} x JOIN convictions cv ON cv.pid = x.pid "
            f"AND cv.offence IN ({sql_list(oc.conviction_offences)}) "
            "AND cv.decision_date >= x.first_conviction_origin_date "
            "GROUP BY x.pid) fc USING (pid)")
    # per outcome: the event date, the origin, and (for the outcomes with an origin
    # of their own) the stay covering that origin
    follow = {
        "youth_education_start": ("ev.youth_education_start", "x.origin_date", None),
        "youth_education_completion": ("ev.youth_education_completion", "x.origin_date", None),
        "employment": ("em.employment", "x.employment_origin_date", "employment"),
        "first_conviction": ("fc.first_conviction", "x.first_conviction_origin_date",
                             "conviction"),
    }
    for o in names:
        src, org, own = follow[o]
        stay_end = f"x.{own}_stay_end" if own else "x.origin_stay_end"
        cen, rea = _censoring_sql(org, stay_end, "x.death_date", ee, cs.max_follow_up_years)
        seen = f"({src} IS NOT NULL AND {src} <= {cen})"
        t = f"{days_between_sql(org, f'CASE WHEN {seen} THEN {src} ELSE {cen} END')}"
        e = f"CAST({seen} AS INTEGER)"
        r = f"CASE WHEN {seen} THEN 'event' ELSE {rea} END"
        if own:
            # not at risk on its own origin (abroad, dead, after extract_end): missing
            at_risk = _at_risk(ee, org, f"x.in_country_at_{own}_origin")
            t, e, r = (f"CASE WHEN {at_risk} THEN {v} END" for v in (t, e, r))
            cols.append(f"{org} AS {o}_origin_date")
        cols += [f"{t} AS {o}_time", f"{e} AS {o}_event", f"{r} AS {o}_exit"]
    covs = [v for v in spec.covariates if v in PARENT_ATTRIBUTES]
    if covs:
        pa = parent_attributes_sql(extract, age=spec.covariate_age,
                                   persons=f"(SELECT * FROM {s} x WHERE {_at_risk(ee)})",
                                   attributes=covs)
        joins.append(f"LEFT JOIN ({pa}) pa USING (pid)")
        cols += [f"pa.{v}" for v in covs]
    cols += ["x.mother_pid AS _mother", "x.father_pid AS _father"]
    sql = (f"SELECT {', '.join(cols)} FROM {s} x {' '.join(joins)} "
           f"WHERE {_at_risk(ee)} AND x.reference_date <= {sql_date(ee)} AND x.grp IS NOT NULL "
           "ORDER BY x.pid")
    df = con.execute(sql).df()
    for col in df.columns:
        if col.endswith(("_time", "_event")) or col in ("exposed", "resident_at_age",
                                                        "parent_employed", "exam_year"):
            df[col] = df[col].astype("Int64")
    for col in ("sex", "origin", "group", "mother_education"):
        if col in df:
            df[col] = df[col].astype(object)
    return df
