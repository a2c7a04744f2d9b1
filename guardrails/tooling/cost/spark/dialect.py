"""DuckDB's SQL of `cost/query.py` as Spark SQL: SQLGlot's transpiler, plus the few things
where the two engines differ in more than spelling.

- `hash(...)` is DuckDB's 64-bit hash; Spark's `hash` has 32 bits (millions of line
  references would collide), so it becomes `xxhash64` (64 bits, several arguments too).
  Hash values never leave an engine: only equality within one run matters.
- `UBIGINT` (the hashes' type) becomes `BIGINT`, what `xxhash64` returns.
- `json_object(k, v, ...)` becomes `to_json(map(k, v, ...))` (null values kept, as DuckDB).
- `json_valid(t)` / `json_type(t)`: Spark has no such functions; its variant parser says
  the same (`try_parse_json` is NULL for text that is not JSON, `schema_of_variant` starts
  with the JSON type).
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


def _adapt(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        if name == "hash":
            node.set("this", "XXHASH64")  # in place: its arguments are adapted too
            return node
        if name == "json_valid":
            parsed = exp.Anonymous(this="TRY_PARSE_JSON", expressions=node.expressions)
            return exp.Not(this=exp.Is(this=parsed, expression=exp.Null()))
    if isinstance(node, exp.JSONType):
        parsed = exp.Anonymous(this="TRY_PARSE_JSON", expressions=[node.this])
        schema = exp.Anonymous(this="SCHEMA_OF_VARIANT", expressions=[parsed])
        return exp.Anonymous(
            this="REGEXP_EXTRACT",
            expressions=[schema, exp.Literal.string("^[A-Z]+"), exp.Literal.number(0)],
        )
    if isinstance(node, exp.JSONObject):
        pairs: list[exp.Expression] = []
        for pair in node.expressions:
            pairs += [pair.this, pair.expression]
        return exp.Anonymous(
            this="TO_JSON", expressions=[exp.Anonymous(this="MAP", expressions=pairs)]
        )
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.UBIGINT:
        return exp.DataType.build("BIGINT")
    return node


@lru_cache(maxsize=256)
def to_spark(sql: str) -> str:
    """The DuckDB statement `sql` as a Spark SQL statement."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return tree.transform(_adapt).sql(dialect="spark")
