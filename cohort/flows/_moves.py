"""Moves into and out of areas, derived from residence spells in DuckDB.

definitions.md §4: an in-move to A on d when the person lives in A on d and did
not on d - 1; an out-move from A on d (d <= extract_end) when the person lived in
A on d - 1 and does not on d. With half-open spells ``[moved_in, moved_out)``
that do not overlap, "lived where on d - 1" is the person's previous spell when
it ends exactly on d, else nowhere (a gap = abroad); "lives where on d" is the
next spell when it starts exactly on d. So one window over each person's spells
ordered by ``moved_in`` finds every move:

- spell i in A starts an in-move unless the previous spell ends on its start
  *and* lies in A (an address change inside A);
- spell i in A ends with an out-move unless the next spell starts on its end
  *and* lies in A.

A person does not live anywhere from the death date on: a spell is cut at
``death_date`` (a spell left open past a death would otherwise keep a dead
person resident), and a spell that is empty after the cut is dropped.

Since the spells do not overlap, "the previous spell, if it ends on the start"
is "the spell that ends on the start", and likewise for the next spell: for
units that are a small part of the country (moves of areas), the moves are
found by joining the spells in a unit with the spells that end on their start
or start on their end, instead of a window over every spell of the country.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from cohort._sql import sql_date, sql_int, sql_list
from cohort.engine.units import Unit, check_unit_columns, parse_unit
from cohort.exceptions import ParameterError
from cohort.extract import Extract
from cohort.flows._status import RESOURCE_STATUSES, ResourceDefinition, resource_status_sql

__all__ = [
    "DIRECTIONS",
    "IN_ORIGINS",
    "OUT_DESTINATIONS",
    "AreaSpec",
    "keyed_moves_sql",
    "moves",
    "moves_sql",
    "resolve_areas",
]

DIRECTIONS = ("in", "out")
IN_ORIGINS = ("birth", "same_municipality", "other_municipality", "abroad")
OUT_DESTINATIONS = ("death", "same_municipality", "other_municipality", "abroad")
COUNTERPARTS = ("birth", "death", "same_municipality", "other_municipality", "abroad")


@dataclass(frozen=True)
class AreaSpec:
    """Which units moves are derived for.

    ``units`` empty with ``all_areas`` true means every ``addresses.area``.
    ``single`` is true when the caller asked for one unit (no ``area`` column).
    """

    units: tuple[Unit, ...]
    all_areas: bool
    single: bool

    def key_sql(self, kind: str, *, area: str, municipality: str,
                district: str | None = None) -> str:
        """SQL for the unit key of a spell.

        SQL for the unit key of a spell given its ``area`` and ``municipality``
        column expressions, for units of ``kind`` ("area" / "district" /
        "municipality"); NULL when the address lies in none of the requested
        units of that kind. ``district`` is the district column's expression;
        by default the ``area`` expression's sibling (``x.area`` -> ``x.district``).
        """
        if kind == "area":
            if self.all_areas:
                return area
            listed = sql_list([u.value for u in self.units if u.kind == "area"])
            return f"CASE WHEN {area} IN ({listed}) THEN {area} END"
        if kind == "district":
            if district is None:
                if not area.endswith("area"):  # pragma: no cover - a caller's mistake
                    msg = f"key_sql: pass district= for the area expression {area!r}"
                    raise ValueError(msg)
                district = area.removesuffix("area") + "district"
            listed = sql_list([u.value for u in self.units if u.kind == "district"])
            return f"CASE WHEN {district} IN ({listed}) THEN 'district:' || {district} END"
        codes = [int(u.value) for u in self.units if u.kind == "municipality"]
        listed = ", ".join(sql_int(c) for c in codes)
        return (
            f"CASE WHEN {municipality} IN ({listed}) "
            f"THEN 'municipality:' || CAST({municipality} AS VARCHAR) END"
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of unit requested (one pass over the spells per kind)."""
        if self.all_areas:
            return ("area",)
        return tuple(k for k in ("area", "district", "municipality")
                     if any(u.kind == k for u in self.units))


def _one_unit(x: object) -> Unit:
    if isinstance(x, Unit):
        return x
    if not isinstance(x, str) or not x:
        msg = (
            "area must be an area name, 'area:<name>', 'district:<name>', "
            "'municipality:<code>' or a Unit; "
            f"got {x!r}"
        )
        raise ParameterError(msg)
    if x.startswith(("area:", "district:", "municipality:")):
        return parse_unit(x)
    return Unit("area", x)


def resolve_areas(area: str | Unit | Sequence[str | Unit] | None) -> AreaSpec:
    """Normalise the ``area`` argument.

    A name (``"vaerebro_park"``) or unit label (``"area:vaerebro_park"``,
    ``"district:bagsvaerd"``, ``"municipality:159"``) or
    :class:`~cohort.engine.units.Unit` gives one unit; a list gives several;
    ``None`` gives every area of ``addresses.area``.
    """
    if area is None:
        return AreaSpec((), all_areas=True, single=False)
    if isinstance(area, str | Unit):
        return AreaSpec((_one_unit(area),), all_areas=False, single=True)
    units = tuple(dict.fromkeys(_one_unit(x) for x in area))
    if not units:
        msg = "area must name at least one unit (or be None for every area); got []"
        raise ParameterError(msg)
    return AreaSpec(units, all_areas=False, single=False)


def unit_name(u: Unit) -> str:
    """The value of the ``area`` column for a unit.

    The value of the ``area`` column for a unit: the area's name, or
    ``"district:<name>"`` / ``"municipality:<code>"``.
    """
    return u.value if u.kind == "area" else u.label


def spells_sql(extract: Extract) -> str:
    """Residence spells cut at death, with the address's municipality, area, district.

    Empty spells (after the cut) are dropped. Columns: ``pid, address_id, s, e,
    mun, area, district, death_date`` (``e`` NULL = open). Only the persons who died are
    joined (a small table), so the national residence table is joined once
    with addresses and once with deaths.
    """
    return (
        "SELECT pid, address_id, s, e, mun, area, district, death_date FROM ("
        "SELECT r.pid, r.address_id, r.moved_in AS s, "
        "CASE WHEN p.death_date IS NOT NULL "
        "AND (r.moved_out IS NULL OR p.death_date < r.moved_out) "
        "THEN p.death_date ELSE r.moved_out END AS e, "
        "a.municipality AS mun, a.area AS area, a.district AS district, p.death_date "
        "FROM residence r JOIN addresses a ON r.address_id = a.address_id "
        "LEFT JOIN (SELECT pid, death_date FROM persons WHERE death_date IS NOT NULL) p "
        "ON r.pid = p.pid) "
        "WHERE e IS NULL OR s < e"
    )


def keyed_moves_sql(extract: Extract, key: Callable[[str, str], str], *, restrict: bool) -> str:
    """Moves between the units that ``key`` assigns to spells.

    ``key(area, municipality)`` gives the SQL expression of an address's unit
    from its area and municipality column expressions, NULL for none; the units
    must not overlap. A move is a change of unit between d - 1 and d.
    ``restrict``: the units are a small part of the country, so look up the
    neighbours of the spells in a unit (:func:`_neighbour_moves_sql`) rather
    than run a window over every spell of the country
    (:func:`_window_moves_sql`); both give the same moves. Columns: ``unit,
    pid, date, direction, counterpart, here_mun, other_mun, other_area,
    other_unit, birth_date`` (``other_unit``: the unit lived in on d - 1 for an
    in-move, on d for an out-move; NULL for birth, death, abroad and addresses
    in no unit).
    """
    if restrict:
        return _neighbour_moves_sql(extract, key)
    return _window_moves_sql(extract, key)


def _neighbour_moves_sql(extract: Extract, key: Callable[[str, str], str]) -> str:
    """The moves of :func:`keyed_moves_sql` by looking up each unit spell's neighbours.

    Spells of one person do not overlap (the extract sets overlapping spells
    aside), so a non-empty spell ending exactly on a unit spell's start *is* the
    previous spell of the window in :func:`_window_moves_sql` when that one ends
    there, and there is none otherwise; likewise for a spell starting exactly on
    its (cut) end. So equality joins replace the window over all spells: one
    pass over ``residence`` finds the spells in a unit (a few percent of all),
    a second finds their neighbours, as one hash join on ``pid`` whose build
    side is the unit spells; nothing is sorted, and only the unit spells and
    their neighbours are carried along.

    Cut at death (as in :func:`spells_sql`): a unit spell is cut at
    ``death_date`` and dropped when that leaves it empty. A previous spell ends
    on a unit spell's start, so before the death: it is never cut, and counts
    when it is non-empty. A next spell counts when it is non-empty, starts
    before the death and on the unit spell's cut end; as it must start on the
    uncut ``moved_out`` too, the neighbours are found before the cut. Spells
    that are empty before the cut are left out from the start: two non-empty
    spells of a person never share a start or an end, so each unit spell has at
    most one previous and one next spell.

    The persons are joined after the neighbours, each step a materialised CTE:
    DuckDB estimates a join on ``pid`` badly when the tables have no distinct
    counts (as in an in-memory extract), and the join with the national
    ``residence`` must build its hash table on the unit spells, never on
    ``residence``.
    """
    end = sql_date(extract.extract_end)
    cut = (
        "CASE WHEN p.death_date IS NOT NULL "
        "AND (u0.mo IS NULL OR p.death_date < u0.mo) "
        "THEN p.death_date ELSE u0.mo END"
    )
    unit_key = key("area", "municipality")
    # The birth date is joined to the unit spells: an in-move on the birth date
    # is a birth whatever the previous spell says.
    return f"""
    WITH u0 AS MATERIALIZED (
        SELECT r.pid, r.moved_in AS s, r.moved_out AS mo, a.mun, a.area, a.k
        FROM residence r
        JOIN (SELECT address_id, municipality AS mun, area, {unit_key} AS k
              FROM addresses WHERE {unit_key} IS NOT NULL) a
          ON r.address_id = a.address_id
        WHERE r.moved_out IS NULL OR r.moved_in < r.moved_out
    ),
    x AS MATERIALIZED (
        SELECT u0.pid, r.address_id, (r.moved_out = u0.s) IS TRUE AS prev,
            CASE WHEN r.moved_out = u0.s THEN u0.s ELSE u0.mo END AS d
        FROM residence r JOIN u0 ON r.pid = u0.pid
        WHERE (r.moved_out = u0.s AND r.moved_in < r.moved_out)
           OR (r.moved_in = u0.mo AND (r.moved_out IS NULL OR r.moved_in < r.moved_out))
    ),
    nb AS MATERIALIZED (
        SELECT x.pid, x.d, x.prev, a.municipality AS mun, a.area,
            {key('a.area', 'a.municipality')} AS k
        FROM x JOIN addresses a ON x.address_id = a.address_id
    ),
    u AS MATERIALIZED (
        SELECT u0.pid, u0.s, {cut} AS e, u0.mun, u0.k, p.birth_date, p.death_date
        FROM u0 JOIN persons p ON u0.pid = p.pid
        WHERE {cut} IS NULL OR u0.s < {cut}
    )
    SELECT u.k AS unit, u.pid, u.s AS date, 'in' AS direction,
        CASE WHEN u.birth_date = u.s THEN 'birth'
             WHEN b.pid IS NOT NULL AND b.mun = u.mun THEN 'same_municipality'
             WHEN b.pid IS NOT NULL THEN 'other_municipality'
             ELSE 'abroad' END AS counterpart,
        u.mun AS here_mun,
        CASE WHEN u.birth_date IS DISTINCT FROM u.s THEN b.mun END AS other_mun,
        CASE WHEN u.birth_date IS DISTINCT FROM u.s THEN b.area END AS other_area,
        CASE WHEN u.birth_date IS DISTINCT FROM u.s THEN b.k END AS other_unit,
        u.birth_date
    FROM u LEFT JOIN (SELECT * FROM nb WHERE prev) b ON u.pid = b.pid AND u.s = b.d
    WHERE u.s <= {end} AND (b.pid IS NULL OR b.k IS DISTINCT FROM u.k)
    UNION ALL
    SELECT u.k AS unit, u.pid, u.e AS date, 'out' AS direction,
        CASE WHEN u.death_date = u.e THEN 'death'
             WHEN n.pid IS NOT NULL AND n.mun = u.mun THEN 'same_municipality'
             WHEN n.pid IS NOT NULL THEN 'other_municipality'
             ELSE 'abroad' END AS counterpart,
        u.mun AS here_mun,
        CASE WHEN u.death_date IS DISTINCT FROM u.e THEN n.mun END AS other_mun,
        CASE WHEN u.death_date IS DISTINCT FROM u.e THEN n.area END AS other_area,
        CASE WHEN u.death_date IS DISTINCT FROM u.e THEN n.k END AS other_unit,
        u.birth_date
    FROM u LEFT JOIN (SELECT * FROM nb WHERE NOT prev) n
        ON u.pid = n.pid AND u.e = n.d AND (u.death_date IS NULL OR n.d < u.death_date)
    WHERE u.e IS NOT NULL AND u.e <= {end} AND (n.pid IS NULL OR n.k IS DISTINCT FROM u.k)
    """


def _window_moves_sql(extract: Extract, key: Callable[[str, str], str]) -> str:
    """The moves of :func:`keyed_moves_sql` by one window over every spell.

    For units that cover (most of) the country, where every spell is in a unit.
    """
    end = sql_date(extract.extract_end)
    keyed = f"SELECT x.*, {key('x.area', 'x.mun')} AS k FROM ({spells_sql(extract)}) x"
    # The birth date is joined to the moves only; an in-move on the birth date
    # is a birth whatever the previous spell says.
    return f"""
    WITH keyed AS ({keyed}),
    w AS (
        SELECT pid, s, e, mun, k, death_date,
            lag(e) OVER win AS prev_e, lag(k) OVER win AS prev_k,
            lag(mun) OVER win AS prev_mun, lag(area) OVER win AS prev_area,
            lead(s) OVER win AS next_s, lead(k) OVER win AS next_k,
            lead(mun) OVER win AS next_mun, lead(area) OVER win AS next_area
        FROM keyed
        WINDOW win AS (PARTITION BY pid ORDER BY s)
    ),
    mv AS (
        SELECT k AS unit, pid, s AS date, 'in' AS direction,
            CASE WHEN prev_e = s AND prev_mun = mun THEN 'same_municipality'
                 WHEN prev_e = s THEN 'other_municipality'
                 ELSE 'abroad' END AS counterpart,
            mun AS here_mun,
            CASE WHEN prev_e = s THEN prev_mun END AS other_mun,
            CASE WHEN prev_e = s THEN prev_area END AS other_area,
            CASE WHEN prev_e = s THEN prev_k END AS other_unit
        FROM w
        WHERE k IS NOT NULL AND s <= {end}
          AND NOT (prev_e IS NOT DISTINCT FROM s AND prev_k IS NOT DISTINCT FROM k)
        UNION ALL
        SELECT k AS unit, pid, e AS date, 'out' AS direction,
            CASE WHEN death_date = e THEN 'death'
                 WHEN next_s = e AND next_mun = mun THEN 'same_municipality'
                 WHEN next_s = e THEN 'other_municipality'
                 ELSE 'abroad' END AS counterpart,
            mun AS here_mun,
            CASE WHEN death_date IS DISTINCT FROM e AND next_s = e THEN next_mun END AS other_mun,
            CASE WHEN death_date IS DISTINCT FROM e AND next_s = e THEN next_area END
                AS other_area,
            CASE WHEN death_date IS DISTINCT FROM e AND next_s = e THEN next_k END AS other_unit
        FROM w
        WHERE k IS NOT NULL AND e IS NOT NULL AND e <= {end}
          AND NOT (next_s IS NOT DISTINCT FROM e AND next_k IS NOT DISTINCT FROM k)
    )
    SELECT mv.unit, mv.pid, mv.date, mv.direction,
        CASE WHEN mv.direction = 'in' AND p.birth_date = mv.date THEN 'birth'
             ELSE mv.counterpart END AS counterpart,
        mv.here_mun,
        CASE WHEN mv.direction = 'in' AND p.birth_date = mv.date THEN NULL
             ELSE mv.other_mun END AS other_mun,
        CASE WHEN mv.direction = 'in' AND p.birth_date = mv.date THEN NULL
             ELSE mv.other_area END AS other_area,
        CASE WHEN mv.direction = 'in' AND p.birth_date = mv.date THEN NULL
             ELSE mv.other_unit END AS other_unit,
        p.birth_date
    FROM mv JOIN persons p ON mv.pid = p.pid
    """


def moves_sql(
    extract: Extract, spec: AreaSpec, *, definition: ResourceDefinition
) -> str:
    """The moves as one SQL query, with detail columns for the other analyses.

    Columns: ``unit, pid, date, direction, counterpart, here_mun, other_mun,
    other_area, other_unit, birth_date, age, resource_status``. ``here_mun`` is the
    municipality of the address in the unit; ``other_mun`` / ``other_area``
    where the person lived on d - 1 (in-move) or lives on d (out-move), NULL for
    birth, death and abroad.
    """
    extract.require("residence", "addresses", "persons", purpose="moves")
    extract.require("labour", "education", purpose="the resource status of moves")
    check_unit_columns(extract, spec.units)
    passes = " UNION ALL ".join(
        "("
        + keyed_moves_sql(
            extract,
            lambda area, mun, kind=kind: spec.key_sql(kind, area=area, municipality=mun),
            restrict=True,
        )
        + ")"
        for kind in spec.kinds
    )
    return resource_status_sql(passes, date="date", birth="birth_date", definition=definition)


def _categorical(df: pd.DataFrame, column: str, categories: Sequence[str]) -> None:
    """Make ``column`` a categorical with exactly ``categories`` (cheap if it is one)."""
    col = df[column]
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == list(
        categories
    ):
        return
    df[column] = pd.Categorical(col.astype(object), categories=list(categories))


def _enum(column: str, values: Sequence[str], *, alias: str | None = None) -> str:
    return f"CAST({column} AS ENUM({sql_list(values)})) AS {alias or column}"


def moves(
    extract: Extract,
    *,
    area: str | Unit | Sequence[str | Unit] | None,
    definition: ResourceDefinition | None = None,
) -> pd.DataFrame:
    """Every in- and out-move of an area (definitions.md §4).

    Parameters
    ----------
    extract
        A read extract with ``persons``, ``residence``, ``addresses``,
        ``labour`` and ``education``.
    area
        An area name (``"vaerebro_park"``), a unit (``"area:vaerebro_park"``,
        ``"district:bagsvaerd"``, ``"municipality:159"``,
        :class:`~cohort.engine.units.Unit`), a list of them, or ``None`` for
        every area of ``addresses.area``.
    definition
        What counts as resource-strong; the defaults of §4 when not given.

    Returns
    -------
    DataFrame
        One row per move: ``pid, date, direction`` (``in`` / ``out``),
        ``counterpart`` (in: ``birth, same_municipality, other_municipality,
        abroad``; out: ``death, same_municipality, other_municipality,
        abroad``) and ``resource_status`` (``resource_strong,
        not_resource_strong, not_adult``, on the move's date), ordered by pid and
        date. For a list or ``None`` an ``area`` column comes first (the area's
        name, or ``"district:<name>"`` / ``"municipality:<code>"``).
        Person-level: for analysis inside the research environment, never for
        release.

    Examples
    --------
    >>> mv = moves(ex, area="vaerebro_park")                    # doctest: +SKIP
    >>> mv.groupby(["direction", "resource_status"]).size()     # doctest: +SKIP

    """
    spec = resolve_areas(area)
    definition = definition or ResourceDefinition()
    sql = moves_sql(extract, spec, definition=definition)
    area = "unit AS area"
    if spec.all_areas:
        # millions of rows: the area as an ENUM is sorted as its index and arrives
        # as a categorical; its values listed in DuckDB's order of the names, so
        # the rows come out in the same order as sorted by name
        names = [r[0] for r in extract.con.execute(
            "SELECT DISTINCT area FROM addresses WHERE area IS NOT NULL ORDER BY area"
        ).fetchall()]
        if names:
            area = _enum("unit", names, alias="area")
    # ENUMs arrive in pandas as categoricals: no Python string per row
    df = extract.con.execute(
        f"SELECT {area}, pid, date, {_enum('direction', DIRECTIONS)}, "
        f"{_enum('counterpart', COUNTERPARTS)}, {_enum('resource_status', RESOURCE_STATUSES)} "
        f"FROM ({sql}) ORDER BY area, pid, date, direction"
    ).df()
    # each of the steps below is a no-op on what DuckDB returns (object strings,
    # datetime64, a RangeIndex); a copy of millions of rows is only made if not
    if spec.single:
        df = df.drop(columns="area")
    elif df["area"].dtype != object:
        df["area"] = df["area"].astype(object)  # the names, as for a list of units
    if not pd.api.types.is_datetime64_dtype(df["date"]):
        df["date"] = pd.to_datetime(df["date"])
    for col, cats in (("direction", DIRECTIONS), ("counterpart", COUNTERPARTS),
                      ("resource_status", RESOURCE_STATUSES)):
        _categorical(df, col, cats)
    if isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1:
        return df
    return df.reset_index(drop=True)
