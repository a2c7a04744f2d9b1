"""The cost query, written once, in DuckDB's SQL: what both engines run.

A `FileShape` (sources/file_shape.py) maps one file shape's columns to cost lines (provider,
day, service, currency, billed, effective, reference and back-reference hashes, tag set,
tenancy). From those lines, the statements here define:

- the scan (`scan_select`): one file group read and summed per file, provider, day, service,
  currency and tag set, with each line's reference and cost kept in a list (so that a
  correction, possibly in a later file, can take the line it replaces out of the sums),
  the peaks that refuse impossible amounts and the tenancies seen;
- the store's tables as selects over that scan (`SUMS`, `LINES`, `CORRECTIONS`,
  `TENANCIES`, `tagsets_select`) and the checks on it (`BAD_AMOUNTS`, `bad_tags_select`);
- the checks across files (`mixed_currencies_select`, `repeated_references_select`);
- the report's daily costs (`daily_costs_select`): sums minus the lines corrections
  replace, per provider, tag value, day, service and currency.

The DuckDB store (store.py) materialises these as its tables; the Spark engine
(`cost/spark/`) registers them as views over the inputs, after `cost/spark/dialect.py` has
transpiled the text to Spark SQL with SQLGlot. Values are inlined as literals (no
parameters): the same text runs on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from guardrails.tooling.cost.sources.file_shape import (
    LINE_COLUMNS,
    MAX_LINE_AMOUNT,
    FileShape,
    literal,
)


def line_select(shape: FileShape, file_id: str, source: str) -> str:
    """One row per cost line of `source` (a table function or a view): `file_id` (an
    expression over the source, e.g. of its `filename` column), LINE_COLUMNS, `tenancy`,
    then the shape's tag columns."""
    columns = ", ".join(
        f"{expr} AS {name}" for name, expr in zip(LINE_COLUMNS, shape.lines, strict=True)
    )
    tag_columns = "".join(f", {c}" for c in shape.tag_columns)
    return (
        f"SELECT {file_id} AS file_id, {columns}, {shape.tenancy} AS tenancy{tag_columns} "
        f"FROM {source}"
    )


def scan_select(shape: FileShape, file_id: str, source: str) -> str:
    """The scan of one file group: per line, read and add to its group; per group, sums,
    count, peaks, tenancy bounds and the lines (reference, billed, effective) as a list.
    Dates are cast, tag sets hashed and keys made once per group, not once per line."""
    line_columns = ", ".join(
        f"{expr} AS {name}"
        for name, expr in zip(LINE_COLUMNS, shape.lines, strict=True)
        if name != "tagset"
    )
    tag_columns = "".join(f", {c}" for c in shape.tag_columns)
    return f"""
        SELECT file_id, provider, CAST(day AS DATE) AS day, service, currency,
               {shape.tagset} AS tagset{tag_columns},
               hash(file_id, provider, day, service, currency, {shape.tagset}) AS key,
               sum(billed) AS billed, sum(effective) AS effective, count(*) AS n,
               max(abs(billed)) AS peak_billed, max(abs(effective)) AS peak_effective,
               min(tenancy) AS tenancy_low, max(tenancy) AS tenancy_high,
               list({{'ref': ref, 'billed': billed, 'effective': effective}}) AS items,
               list(back) FILTER (WHERE back IS NOT NULL) AS backs
        FROM (SELECT {file_id} AS file_id, {line_columns}, {shape.tenancy} AS tenancy
              {tag_columns} FROM {source})
        GROUP BY file_id, provider, day, service, currency{tag_columns}
    """


SUMS = (
    "SELECT file_id, key, provider, day, service, currency, tagset, billed, effective FROM incoming"
)
LINES = (
    "SELECT file_id, key, item.ref, item.billed, item.effective "
    "FROM (SELECT file_id, key, unnest(items) AS item FROM incoming)"
)
"""The scan's list unfolded again: one row per line. (One list of structs, not a list per
column: Spark's collect_list drops nulls, which would misalign parallel lists.)"""
CORRECTIONS = "SELECT file_id, unnest(backs) AS back FROM incoming WHERE backs IS NOT NULL"
TENANCIES = (
    "SELECT DISTINCT file_id, t FROM "
    "(SELECT file_id, unnest([tenancy_low, tenancy_high]) AS t FROM incoming) "
    "WHERE t IS NOT NULL"
)
COUNTS = "SELECT file_id, sum(n) FROM incoming GROUP BY file_id"
BAD_AMOUNTS = f"""
    SELECT file_id FROM incoming
    WHERE NOT coalesce(peak_billed <= {MAX_LINE_AMOUNT}, true)
       OR NOT coalesce(peak_effective <= {MAX_LINE_AMOUNT}, true)
    LIMIT 1
"""
"""A file with a cost that is not finite or larger than any real line (NaN compares
larger than every number)."""


def tagsets_select(shape: FileShape) -> str:
    """Each distinct tag set of the scan, as JSON object text."""
    return f"SELECT DISTINCT tagset, {shape.tags} FROM incoming"


def bad_tags_select(shape: FileShape) -> str:
    """A file of the scan whose tag set is not a JSON object (`{not json`, `[1,2,3]`)."""
    return f"""
        SELECT file_id FROM (SELECT DISTINCT file_id, {shape.tags} AS tags FROM incoming)
        WHERE NOT CASE WHEN json_valid(tags) THEN json_type(tags) = 'OBJECT' ELSE false END
        LIMIT 1
    """


def mixed_currencies_select(kind: str) -> str:
    """Providers whose lines (in files of `kind`) come in more than one currency."""
    return (
        # (not string_agg(DISTINCT ... ORDER BY ...): Spark 4.3's listagg fails on it)
        "SELECT provider, array_to_string(list_sort(list_distinct(list(currency))), ', ') "
        f"FROM sums JOIN files USING (file_id) WHERE kind = {literal(kind)} "
        "GROUP BY provider HAVING count(DISTINCT currency) > 1"
    )


def repeated_references_select(kind: str, new: Sequence[object] | None = None) -> str:
    """Two files of `kind` sharing line references (a copy: its spend would count twice):
    the pair with the most, (first file, second file, lines). With `new`, only pairs whose
    second file is one of those."""
    among_new = "" if new is None else f"AND b.file_id IN ({', '.join(map(sql_value, new))})"
    return f"""
        SELECT a.file_id, b.file_id, count(*) FROM lines a
        JOIN lines b ON a.ref = b.ref AND a.file_id < b.file_id
        JOIN files fa ON fa.file_id = a.file_id AND fa.kind = {literal(kind)}
        JOIN files fb ON fb.file_id = b.file_id AND fb.kind = {literal(kind)}
        WHERE a.ref IS NOT NULL {among_new}
        GROUP BY ALL ORDER BY 3 DESC LIMIT 1
    """


def sql_value(value: object) -> str:
    """A literal for a file id (an integer in the store, a path on Spark)."""
    return str(value) if isinstance(value, int) else literal(str(value))


def tag_lookup(keys: Sequence[str]) -> str:
    """The first of the tag keys present in a tag set's JSON text (`tags`), else NULL."""
    paths = [literal('$."' + k + '"') for k in keys]
    return "coalesce(" + ", ".join(f"json_extract_string(tags, {p})" for p in paths) + ")"


def daily_costs_select(
    start: date,
    end: date,
    *,
    oci_kind: str,
    oci_keys: Sequence[str],
    other_keys: Sequence[str],
    files: Sequence[object] | None = None,
) -> str:
    """Cost per provider, tag group, day, service and currency for start <= day < end, over
    the tables `files`, `sums`, `lines`, `corrections` and `tagsets`.

    OCI lines come from files of `oci_kind` only (one source, never two at once), other
    providers' from FOCUS files; with `files` (ids), only from those: the run's own.
    The group is the first of the keys present in a line's tag set, '' when none is.
    Lines a correction references are left out.
    """
    in_scope = (
        "true" if files is None else f"file_id IN ({', '.join(map(sql_value, files)) or 'NULL'})"
    )
    kind = literal(oci_kind)
    return f"""
        WITH scoped AS (
            SELECT file_id FROM files
            WHERE (kind = {kind} OR kind = 'focus') AND {in_scope}
        ),
        corrected AS (
            SELECT DISTINCT back FROM corrections WHERE file_id IN (SELECT file_id FROM scoped)
        ),
        replaced AS (
            SELECT key, sum(billed) AS billed, sum(effective) AS effective FROM lines
            WHERE ref IN (SELECT back FROM corrected)
              AND file_id IN (SELECT file_id FROM scoped)
            GROUP BY key
        ),
        groups AS (
            SELECT tagset, {tag_lookup(oci_keys)} AS oci_group,
                   {tag_lookup(other_keys)} AS other_group
            FROM tagsets
        )
        SELECT s.provider,
               coalesce(CASE WHEN s.provider = 'oci' THEN g.oci_group ELSE g.other_group END,
                        '') AS grp,
               s.day, coalesce(s.service, ''), coalesce(s.currency, ''),
               sum(s.billed - coalesce(r.billed, 0)),
               sum(s.effective - coalesce(r.effective, 0))
        FROM sums s
        JOIN files f USING (file_id)
        LEFT JOIN replaced r USING (key)
        LEFT JOIN groups g USING (tagset)
        WHERE ((s.provider = 'oci' AND f.kind = {kind})
               OR (s.provider <> 'oci' AND f.kind = 'focus'))
          AND s.file_id IN (SELECT file_id FROM scoped)
          AND s.day >= DATE '{start.isoformat()}' AND s.day < DATE '{end.isoformat()}'
        GROUP BY ALL
        ORDER BY 1, 2, 3, 4
    """


NORMALISED_COLUMNS = (
    "file",
    "provider",
    "day",
    "service",
    "currency",
    "billed",
    "effective",
    "ref",
    "back",
    "tags",
    "tenancy",
)
"""A normalised line (the table `cost load --into` appends to): any source's line in one
shape, its tag set as JSON object text."""


def normalised_select(shape: FileShape, file_id: str, source: str) -> str:
    """The lines of `source` as normalised lines (NORMALISED_COLUMNS)."""
    return (
        "SELECT file_id AS file, provider, CAST(day AS DATE) AS day, service, currency, "
        f"billed, effective, ref, back, {shape.tags} AS tags, tenancy "
        f"FROM ({line_select(shape, file_id, source)})"
    )


TABLE_SHAPE = FileShape(
    kind="table",
    signature=("table",),
    reader="",
    lines=(
        "provider",
        "day",
        "service",
        "currency",
        "billed",
        "effective",
        "ref",
        "back",
        "hash(tags)",
    ),
    tag_columns=("tags",),
    tags="tags",
    tagset="hash(tags)",
    tenancy="tenancy",
)
"""Normalised lines read back: already mapped, hashed and checked when they were loaded."""
