"""The table of normalised cost lines a scheduled Spark job appends to (`cost load
--engine spark --into URI`) and `cost report --engine spark --from-table URI` reads:
Parquet, partitioned by month (`month=YYYY-MM`), one row per cost line of any source in
one shape (`cost/query.py` NORMALISED_COLUMNS: the file it came from, provider, day,
service, currency, billed, effective, reference hashes, tags as JSON, tenancy).

A load appends only files the table does not hold yet (by name), after the checks a
report makes (amounts, tags, currencies, line references unique across the new files and
the table): a run that is refused appends nothing. Spark's job commit makes the append
all or nothing for one writer; two loads into one table at once are not coordinated
(schedule one writer, or keep the table in Delta Lake).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost import query
from guardrails.tooling.cost.spark.engine import Scan, Source, file_sources, sql
from guardrails.tooling.cost.spark.inputs import SparkFile, file_key
from guardrails.tooling.cost.spark.session import spark_words

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _read(spark: SparkSession, uri: str) -> DataFrame | None:
    """The table, or None when there is none at `uri` yet."""
    try:
        return spark.read.parquet(uri)
    except Exception as exc:  # Spark's PATH_NOT_FOUND / UNABLE_TO_INFER_SCHEMA
        text = str(exc)
        if "PATH_NOT_FOUND" in text or "UNABLE_TO_INFER_SCHEMA" in text:
            return None
        raise GuardrailsError(
            f"{uri}: not a readable table of cost lines ({spark_words(exc)})"
        ) from None


def table_sources(spark: SparkSession, uri: str) -> list[Source]:
    """The table's lines as two sources: classic reports' and FOCUS files'."""
    frame = _read(spark, uri)
    if frame is None:
        raise GuardrailsError(f"--from-table {uri}: no table there (`cost load --into` makes it)")
    missing = [c for c in (*query.NORMALISED_COLUMNS, "kind") if c not in frame.columns]
    if missing:
        raise GuardrailsError(
            f"--from-table {uri}: not a table of cost lines (no column {', '.join(missing)})"
        )
    return [
        Source(kind, query.TABLE_SHAPE, lambda kind=kind: frame.where(frame.kind == kind), "file")  # type: ignore[misc]
        for kind in ("classic", "focus")
    ]


@dataclass
class LoadSummary:
    loaded: list[str] = field(default_factory=list)
    lines: int = 0
    skipped: list[str] = field(default_factory=list)
    """Files the table already holds."""
    notes: list[str] = field(default_factory=list)


def load_into(spark: SparkSession, files: Sequence[SparkFile], uri: str) -> LoadSummary:
    """Append the files the table does not hold yet; all checked before anything is written."""
    from pyspark.sql import functions as F

    summary = LoadSummary()
    existing = _read(spark, uri)
    held: set[str] = set()
    if existing is not None:
        held = {file_key(str(r[0])) for r in existing.select("file").distinct().collect()}
    fresh = [f for f in files if file_key(f.uri) not in held]
    summary.skipped = [f.name for f in files if file_key(f.uri) in held]
    summary.notes += [f"{f.name}: {f.shape.note}" for f in fresh if f.shape.note]
    if not fresh:
        return summary
    sources = file_sources(spark, fresh)
    scan = Scan(spark, {file_key(f.uri): f.name for f in fresh})
    try:
        for source in sources:
            scan.add(source)
        if existing is not None:
            for source in table_sources(spark, uri):
                scan.add(source)
        scan.register()
        scan.check()
        new = {file_key(f.uri) for f in fresh}
        summary.loaded = [name for fid, _, name, _ in scan.files if file_key(fid) in new]
        summary.lines = sum(n for fid, _, _, n in scan.files if file_key(fid) in new)
        counted = set(summary.loaded)
        summary.notes += [
            f"{f.name}: no cost lines (a header only)" for f in fresh if f.name not in counted
        ]
        frames = []
        for source in sources:
            source.frame().createOrReplaceTempView("cost_source")
            lines = sql(spark, query.normalised_select(source.shape, "filename", "cost_source"))
            frames.append(lines.withColumn("kind", F.lit(source.kind)))
        out = frames[0]
        for frame in frames[1:]:
            out = out.unionByName(frame)
        out = out.withColumn("month", F.date_format("day", "yyyy-MM"))
        try:
            out.write.mode("append").partitionBy("month").parquet(uri)
        except Exception as exc:
            raise GuardrailsError(
                f"--into {uri}: the lines could not be written ({spark_words(exc)})"
            ) from None
    finally:
        scan.close()
    return summary
