"""The cost query on Spark: the inputs read where they are, the statements of
`cost/query.py` (transpiled by `dialect.py`) registered as views, the checks the store
makes refused in the same words, and the daily costs collected (thousands of rows, whatever
the number of lines).

Per group of same-shaped files, one scan (persisted: every check and view reads it, the
files are read once); then `sums`, `lines`, `corrections`, `tagsets`, `file_tenancies`
and `files` as the store has them, over all groups; then the daily-cost query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost import query
from guardrails.tooling.cost.lines import DailyCost
from guardrails.tooling.cost.refusals import (
    refuse_bad_amount,
    refuse_bad_tags,
    refuse_mixed_currencies,
    refuse_repeated_references,
)
from guardrails.tooling.cost.sources.file_shape import FileShape, first_line_where
from guardrails.tooling.cost.spark.dialect import to_spark
from guardrails.tooling.cost.spark.inputs import SparkFile, file_key
from guardrails.tooling.cost.spark.session import spark_words

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

TABLES = {
    "sums": ("file_id", "key", "provider", "day", "service", "currency", "tagset", "billed",
             "effective"),
    "lines": ("file_id", "key", "ref", "billed", "effective"),
    "corrections": ("file_id", "back"),
    "tagsets": ("tagset", "tags"),
    "file_tenancies": ("file_id", "tenancy"),
}  # fmt: skip
"""The store's tables (store.py SCHEMA), as views: the names the queries read."""


@dataclass(frozen=True)
class Source:
    """One group of lines to scan: files of one shape, or a normalised table's lines."""

    kind: str
    shape: FileShape
    frame: Callable[[], DataFrame]
    """The source relation (a reader over the files, with `filename`)."""
    file_id: str = "filename"
    local: Sequence[Path] = ()
    """The group's files on this machine (to find a bad line's number)."""


@dataclass
class SparkSpend:
    costs: list[DailyCost]
    files: list[tuple[str, str, int]] = field(default_factory=list)
    """(kind, name, lines) of every file read."""
    first_day: date | None = None
    last_day: date | None = None
    foreign: list[tuple[str, str]] = field(default_factory=list)
    """(file, tenancy) of OCI lines of another tenancy than the one asked."""
    oci_in_focus: list[str] = field(default_factory=list)
    """FOCUS files holding OCI lines."""


def _not_a_number(value: str | None) -> bool:
    text = (value or "").strip()
    if text in ("", "NULL"):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def _failed(source: Source, exc: BaseException) -> GuardrailsError:
    """Our words for a failed scan: file, line and value where the file is local."""
    for path in source.local:
        if path.suffix.lower() == ".parquet":
            continue
        for column in source.shape.amount_columns:
            found = first_line_where(path, column, _not_a_number)
            if found is not None:
                return GuardrailsError(
                    f"cannot load cost data: {path}: line {found[0]}: column {column}: "
                    f"{found[1]!r} is not a number"
                )
    return GuardrailsError(f"cannot load cost data: {spark_words(exc)}")


def sql(spark: SparkSession, statement: str) -> DataFrame:
    """A statement of `cost/query.py`, transpiled, as a DataFrame (analysed now: the views
    it names are bound at this moment)."""
    return spark.sql(to_spark(statement))


def file_sources(spark: SparkSession, files: Sequence[SparkFile]) -> list[Source]:
    """One source per group of same-shaped files."""
    from guardrails.tooling.cost.spark.inputs import read_group

    groups: dict[tuple[str, ...], list[SparkFile]] = {}
    for item in files:
        groups.setdefault((item.kind, *item.shape.signature), []).append(item)
    return [
        Source(
            members[0].kind,
            members[0].shape,
            lambda members=members: read_group(spark, members),  # type: ignore[misc]
            local=[Path(m.name) for m in members if m.uri.startswith("file:")],
        )
        for members in groups.values()
    ]


class Scan:
    """The views of one run; `close()` drops what it persisted."""

    def __init__(self, spark: SparkSession, names: dict[str, str]) -> None:
        self.spark = spark
        self.names = names
        """file_key(Spark's path) -> the name reports use."""
        self.parts: dict[str, list[DataFrame]] = {t: [] for t in TABLES}
        self.files: list[tuple[str, str, str, int]] = []
        self.persisted: list[DataFrame] = []

    def name(self, file_id: str) -> str:
        return self.names.get(file_key(file_id), file_id)

    def add(self, source: Source) -> None:
        from pyspark import StorageLevel

        shape = source.shape
        try:
            source.frame().createOrReplaceTempView("cost_source")
            incoming = sql(
                self.spark, query.scan_select(shape, source.file_id, "cost_source")
            ).persist(StorageLevel.MEMORY_AND_DISK)
            self.persisted.append(incoming)
            incoming.createOrReplaceTempView("incoming")
            counts = sql(self.spark, query.COUNTS).collect()
        except GuardrailsError:
            raise
        except Exception as exc:
            raise _failed(source, exc) from None
        bad = sql(self.spark, query.BAD_AMOUNTS).collect()
        if bad:
            refuse_bad_amount(shape, Path(self.name(str(bad[0][0]))))
        if shape.tags_column is not None:
            bad = sql(self.spark, query.bad_tags_select(shape)).collect()
            if bad:
                refuse_bad_tags(shape, Path(self.name(str(bad[0][0]))))
        for table, statement in (
            ("sums", query.SUMS),
            ("lines", query.LINES),
            ("corrections", query.CORRECTIONS),
            ("tagsets", query.tagsets_select(shape)),
            ("file_tenancies", query.TENANCIES),
        ):
            self.parts[table].append(sql(self.spark, statement).toDF(*TABLES[table]))
        self.files += [(str(r[0]), source.kind, self.name(str(r[0])), int(r[1])) for r in counts]

    def register(self) -> None:
        """The store's tables as views over every group scanned."""
        for table, parts in self.parts.items():
            frame = parts[0]
            for part in parts[1:]:
                frame = frame.unionByName(part)
            if table == "tagsets":  # the store keeps each tag set once
                frame = frame.dropDuplicates(["tagset"])
            frame.createOrReplaceTempView(table)
        self.spark.createDataFrame(
            self.files or [("", "none", "", 0)],
            "file_id string, kind string, name string, lines long",
        ).createOrReplaceTempView("files")

    def check(self) -> None:
        """What the store refuses across files: a provider in two currencies, a copy."""
        for kind in sorted({k for _, k, _, _ in self.files}):
            mixed = sql(self.spark, query.mixed_currencies_select(kind)).collect()
            refuse_mixed_currencies(
                kind, [(str(p), str(c)) for p, c in mixed], "(one tenancy's files per run)"
            )
            row = sql(self.spark, query.repeated_references_select(kind)).collect()
            if row:
                refuse_repeated_references(
                    self.name(str(row[0][0])),
                    self.name(str(row[0][1])),
                    int(row[0][2]),
                    "(name only one of them)",
                )

    def close(self) -> None:
        for frame in self.persisted:
            frame.unpersist()


def spark_spend(
    spark: SparkSession,
    sources: Sequence[Source],
    names: dict[str, str],
    *,
    start: date,
    end: date,
    oci_kind: str,
    oci_keys: Sequence[str],
    other_keys: Sequence[str],
    tenancy: str | None = None,
) -> SparkSpend:
    """Daily costs of every source (OCI lines from `oci_kind` files, others from FOCUS)."""
    from pyspark.sql import functions as F

    scan = Scan(spark, names)
    try:
        for source in sources:
            scan.add(source)
        scan.register()
        scan.check()
        rows = sql(
            spark,
            query.daily_costs_select(
                start, end, oci_kind=oci_kind, oci_keys=oci_keys, other_keys=other_keys
            ),
        ).collect()
        costs = [_daily(r) for r in rows]
        first, last = spark.table("sums").agg(F.min("day"), F.max("day")).collect()[0]
        files = spark.table("files")
        foreign: list[tuple[str, str]] = []
        if tenancy is not None:
            foreign = [
                (str(r[0]), str(r[1]))
                for r in spark.table("file_tenancies")
                .where(F.col("tenancy") != tenancy)
                .join(files, "file_id")
                .select("name", "tenancy")
                .distinct()
                .orderBy("name", "tenancy")
                .collect()
            ]
        oci_in_focus = [
            str(r[0])
            for r in spark.table("sums")
            .where(F.col("provider") == "oci")
            .join(files.where(F.col("kind") == "focus"), "file_id")
            .select("name")
            .distinct()
            .orderBy("name")
            .collect()
        ]
    finally:
        scan.close()
    return SparkSpend(
        costs,
        [(k, n, c) for _, k, n, c in scan.files],
        first,
        last,
        foreign,
        oci_in_focus,
    )


def _daily(row: Any) -> DailyCost:
    return DailyCost(
        str(row[0]),
        str(row[1]),
        row[2],
        str(row[3]),
        str(row[4]),
        float(row[5] or 0.0),
        None if row[6] is None else float(row[6]),
    )
