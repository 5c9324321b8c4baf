"""Origin-destination flows between the study's units.

The study's units partition the country: the target area, each comparison
area, the rest of the target's municipality, the rest of its region, the rest
of the country; plus ``abroad`` (no address), ``birth`` (origin only) and
``death`` (destination only). A move is a change of unit between d - 1 and d,
derived as in :func:`cohort.flows.moves`; each move is counted once.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources

import pandas as pd

from cohort._sql import sql_int, sql_list, sql_str
from cohort.exceptions import DataError, ParameterError
from cohort.extract import Extract
from cohort.flows._moves import keyed_moves_sql
from cohort.flows._status import RESOURCE_STATUSES, ResourceDefinition, resource_status_sql

__all__ = ["STUDY_UNITS", "municipality_regions", "od_matrix", "od_pivot", "study_units"]

#: The units other than the target and comparison areas, in the order tables show them.
STUDY_UNITS = ("rest_of_municipality", "rest_of_region", "rest_of_country", "abroad")


def municipality_regions() -> dict[int, int]:
    """The shipped table municipality code -> region code (DST 1081-1085)."""
    text = resources.files("cohort.data").joinpath("municipalities.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {int(r["municipality"]): int(r["region_code"]) for r in rows}



def study_units(
    extract: Extract, *, area: str, comparison: Sequence[str] = ()
) -> Callable[[str, str], str]:
    """The study-unit key of an address, as an SQL builder.

    A function of (area column, municipality column) giving the SQL
    expression that names an address's study unit.

    The target's municipality is that of its addresses (all of them, should the
    area straddle a border); the region is that of those municipalities.
    """
    if area in comparison:
        msg = "the target area must not be among the comparison areas; got it in both"
        raise ParameterError(msg)
    muns = [
        int(m)
        for m in extract.con.execute(
            "SELECT DISTINCT municipality FROM addresses WHERE area = ?", [area]
        ).df()["municipality"]
    ]
    if not muns:
        msg = f"no address lies in the area {area!r}; check addresses.area"
        raise DataError(msg)
    regions = municipality_regions()
    target_regions = {regions[m] for m in muns if m in regions}
    region_muns = sorted(m for m, r in regions.items() if r in target_regions)
    comp = sql_list(comparison)

    def key(a: str, m: str) -> str:
        parts = [f"WHEN {a} = {sql_str(area)} THEN {sql_str(area)}"]
        if comparison:
            parts.append(f"WHEN {a} IN ({comp}) THEN {a}")
        parts.append(f"WHEN {m} IN ({', '.join(map(sql_int, muns))}) THEN 'rest_of_municipality'")
        if region_muns:
            parts.append(
                f"WHEN {m} IN ({', '.join(map(sql_int, region_muns))}) THEN 'rest_of_region'"
            )
        return "CASE " + " ".join(parts) + " ELSE 'rest_of_country' END"

    return key


def _periods(
    periods: Iterable[int] | Mapping[str, tuple[int, int]],
) -> list[tuple[str, int, int]]:
    if isinstance(periods, Mapping):
        out = []
        for label, span in periods.items():
            first, last = (int(span[0]), int(span[1]))
            if last < first:
                msg = f"periods must map a label to (first_year, last_year); got {span!r}"
                raise ParameterError(msg)
            out.append((str(label), first, last))
    else:
        out = [(str(int(y)), int(y), int(y)) for y in sorted(set(periods))]
    if not out:
        msg = "periods must name at least one year or period; got none"
        raise ParameterError(msg)
    return out


def od_matrix(
    extract: Extract,
    *,
    area: str,
    comparison: Sequence[str] = (),
    periods: Iterable[int] | Mapping[str, tuple[int, int]],
    definition: ResourceDefinition | None = None,
) -> pd.DataFrame:
    """Moves between the study's units per period, by resource status.

    Parameters
    ----------
    extract
        A read extract.
    area
        The target area (an ``addresses.area`` name).
    comparison
        Comparison areas (``addresses.area`` names); each is its own unit.
    periods
        Calendar years (each its own period) or a mapping ``label -> (first_year,
        last_year)``; a move belongs to the period holding its date's year.
    definition
        What counts as resource-strong.

    Returns
    -------
    DataFrame
        Long form, one row per ``period, origin, destination, resource_status``
        with ``moves`` (a count; zero cells are omitted). Origins: the units,
        ``abroad`` and ``birth``; destinations: the units, ``abroad`` and
        ``death``. Moves inside a unit (e.g. between two addresses of the rest
        of the country) are not moves. :func:`od_pivot` turns it into a
        matrix.

    Examples
    --------
    >>> od = od_matrix(ex, area="vaerebro_park", comparison=["hoejvang"],
    ...                periods={"2010-14": (2010, 2014), "2015-19": (2015, 2019)})  # doctest: +SKIP

    """
    definition = definition or ResourceDefinition()
    comparison = tuple(dict.fromkeys(comparison))
    spans = _periods(periods)
    extract.require("labour", "education", purpose="the resource status of moves")
    key = study_units(extract, area=area, comparison=comparison)
    raw = keyed_moves_sql(extract, key, restrict=False)
    # Each move once: every arrival into a unit, and every departure to abroad or death.
    events = (
        "SELECT pid, date, birth_date, "
        "CASE WHEN direction = 'in' THEN coalesce(other_unit, "
        "CASE WHEN counterpart = 'birth' THEN 'birth' ELSE 'abroad' END) ELSE unit END AS origin, "
        "CASE WHEN direction = 'in' THEN unit ELSE counterpart END AS destination "
        f"FROM ({raw}) WHERE direction = 'in' OR counterpart IN ('abroad', 'death')"
    )
    case = " ".join(
        f"WHEN year(date) BETWEEN {sql_int(a)} AND {sql_int(b)} THEN {sql_str(label)}"
        for label, a, b in spans
    )
    lo, hi = min(a for _, a, _ in spans), max(b for _, _, b in spans)
    status = resource_status_sql(
        f"SELECT * FROM ({events}) WHERE year(date) BETWEEN {sql_int(lo)} AND {sql_int(hi)}",
        date="date", birth="birth_date", definition=definition,
    )
    df = extract.con.execute(
        f"SELECT CASE {case} END AS period, origin, destination, resource_status, "
        f"count(*) AS moves FROM ({status}) GROUP BY ALL HAVING period IS NOT NULL"
    ).df()
    units = [area, *comparison, *STUDY_UNITS]
    order = {"period": [p for p, _, _ in spans], "origin": [*units, "birth"],
             "destination": [*units, "death"], "resource_status": list(RESOURCE_STATUSES)}
    for col, cats in order.items():
        df[col] = pd.Categorical(df[col], categories=cats)
    df["moves"] = df["moves"].astype("int64")
    return df.sort_values(list(order)).reset_index(drop=True)


def od_pivot(table: pd.DataFrame, *, period: str | None = None) -> pd.DataFrame:
    """The origin x destination matrix of an od_matrix table.

    The origin x destination matrix of :func:`od_matrix`'s table, summed over
    resource status (and over periods unless ``period`` is given).
    """
    t = table if period is None else table[table["period"] == period]
    if period is not None and t.empty and period not in set(table["period"].astype(str)):
        msg = f"period must be one of {sorted(set(table['period'].astype(str)))}; got {period!r}"
        raise ParameterError(msg)
    return t.pivot_table(
        index="origin", columns="destination", values="moves", aggfunc="sum",
        fill_value=0, observed=False,
    )
