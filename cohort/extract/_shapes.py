"""What a value looks like, without the value: a small vocabulary of shapes.

A message about values that cannot be converted (a fatal conversion) names their
*shapes*, never the values: ``DD/MM/YYYY``, ``digits followed by text``,
``digits with ',' decimal mark``. The shape of a value is computed in DuckDB:

* common date layouts are recognised and named by their parts (``DD.MM.YYYY``,
  ``YYYY/MM/DD``, ``DD-MM-YY``, ``DDMONYYYY``, ``YYYY-MM-DD with a time``,
  ``8 digits``, ``day, month name, year``);
* numbers by how they are written (``digits``, ``decimal number``, ``number in
  exponent notation``, ``digits with ',' decimal mark``, ``digits with '.'
  thousands separators``, ``digits with ',' thousands separators``);
* text by its parts (``letters``, ``words``, ``digits followed by text``,
  ``letters followed by digits``);
* anything else as ``other: `` and a pattern in which every run of letters is
  ``a`` and every run of digits ``9`` (``12%`` -> ``other: 9%``), cut at 20
  characters.

A shape never holds a digit or a letter of the value, so it can be printed.
"""

from __future__ import annotations

import duckdb

from cohort._sql import sql_int, sql_str

__all__ = ["SHAPES_SHOWN", "describe_shapes", "shape_counts", "shape_sql"]

#: Distinct shapes a message lists; the rest are counted together.
SHAPES_SHOWN = 5

_SEP = "[/.-]"
# (RE2 pattern matched against the whole trimmed value, the shape; a shape that
# starts with '=' is a regexp_replace template applied to the value)
_RULES: tuple[tuple[str, str], ...] = (
    (rf"\d{{1,2}}({_SEP})\d{{1,2}}({_SEP})\d{{4}}", r"=DD\1MM\2YYYY"),
    (rf"\d{{4}}({_SEP})\d{{1,2}}({_SEP})\d{{1,2}}", r"=YYYY\1MM\2DD"),
    (rf"\d{{1,2}}({_SEP})\d{{1,2}}({_SEP})\d{{2}}", r"=DD\1MM\2YY"),
    (rf"\d{{4}}({_SEP})\d{{1,2}}({_SEP})\d{{1,2}}[T ]\d{{1,2}}[:.]\d{{2}}.*",
     r"=YYYY\1MM\2DD with a time"),
    (rf"\d{{1,2}}({_SEP})\d{{1,2}}({_SEP})\d{{4}}[T ]\d{{1,2}}[:.]\d{{2}}.*",
     r"=DD\1MM\2YYYY with a time"),
    (r"\d{8}", "8 digits"),
    (r"\d{1,2}[A-Za-z]{3}\d{4}", "DDMONYYYY"),
    (r"\d{1,2}[A-Za-z]{3}\d{2}", "DDMONYY"),
    (r"\d{1,2}\.?\s+\pL+\.?\s+\d{2,4}", "day, month name, year"),
    (r"[+-]?\d+,\d+", "digits with ',' decimal mark"),
    (r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", "digits with '.' thousands separators"),
    (r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", "digits with ',' thousands separators"),
    (r"[+-]?(\d+\.\d*|\.\d+)", "decimal number"),
    (r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+", "number in exponent notation"),
    (r"[+-]?\d+", "digits"),
    (r"[+-]?\d+([.,]\d+)?\s*\pL[\pL\s.]*", "digits followed by text"),
    (r"\pL+", "letters"),
    (r"\pL+(\s+\pL+)+", "words"),
    (r"\pL[\pL\s.]*\d+([.,]\d+)?", "letters followed by digits"),
)


def shape_sql(value: str) -> str:
    """SQL for the shape of the text expression ``value`` (NULL stays NULL)."""
    v = f"trim({value})"
    whens = []
    for pattern, shape in _RULES:
        cond = f"regexp_full_match({v}, {sql_str(pattern)})"
        if shape.startswith("="):
            then = f"regexp_replace({v}, {sql_str('^' + pattern + '$')}, {sql_str(shape[1:])})"
        else:
            then = sql_str(shape)
        whens.append(f"WHEN {cond} THEN {then}")
    other = (
        f"'other: ' || left(regexp_replace(regexp_replace({v}, '\\pL+', 'a', 'g'), "
        "'[0-9]+', '9', 'g'), 20)"
    )
    return (
        f"(CASE WHEN {value} IS NULL THEN NULL WHEN {v} = '' THEN 'blank' "
        f"{' '.join(whens)} ELSE {other} END)"
    )


def shape_counts(
    con: duckdb.DuckDBPyConnection, values_sql: str, *, limit: int = SHAPES_SHOWN
) -> list[tuple[str, int]]:
    """The most frequent shapes of the values ``values_sql`` selects (one column).

    Returns up to ``limit`` pairs (shape, count), most frequent first, and, when
    there are more shapes, a last pair ``("other shapes", count of their values)``.
    """
    rows = con.execute(
        f"SELECT shape, n, sum(n) OVER () FROM (SELECT {shape_sql('CAST(v AS VARCHAR)')} "
        f"AS shape, count(*) AS n FROM ({values_sql}) AS _t(v) GROUP BY ALL) "
        f"ORDER BY n DESC, shape LIMIT {sql_int(limit)}"
    ).fetchall()
    out = [(str(s), int(n)) for s, n, _ in rows]
    total = int(rows[0][2]) if rows else 0
    rest = total - sum(n for _, n in out)
    if rest:
        out.append(("other shapes", rest))
    return out


def describe_shapes(shapes: list[tuple[str, int]]) -> str:
    """``DD/MM/YYYY (3), letters (1)``."""
    return ", ".join(f"{s} ({n:,})" for s, n in shapes)
