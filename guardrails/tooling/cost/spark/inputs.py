"""The inputs of a Spark run: which files, their shapes, and how Spark reads them.

Local files and folders are expanded and their headers checked here, as the DuckDB engine
does (same words, before any job starts). Object-storage URIs are listed by Spark itself
(`binaryFile` without its content) and each file's header read by Spark: the run needs no
credentials of its own, Spark's connectors (the OCI HDFS connector, `s3a`) have them.
Files of one shape (classic report columns, FOCUS variant) are read by one Spark reader,
every column as text first, then typed as the DuckDB reader types them (empty and `NULL`
texts are no value; amounts are numbers, a text that is not one stops the run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.sources import classic_reports, focus
from guardrails.tooling.cost.sources.file_shape import FileShape, require_columns
from guardrails.tooling.cost.sources.inputs import (
    FOCUS_SUFFIXES,
    REPORT_SUFFIXES,
    expand,
    is_uri,
)
from guardrails.tooling.cost.spark.session import spark_words

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class SparkFile:
    kind: str
    """'classic' or 'focus'."""
    name: str
    """How reports and errors name it: the local path, or the URI."""
    uri: str
    """What Spark reads."""
    shape: FileShape


def file_key(uri: str) -> str:
    """One spelling of a location, whichever Spark reports (`file:/a`, `file:///a`)."""
    parts = urlparse(uri)
    if parts.scheme in ("", "file"):
        return unquote(parts.path)
    return f"{parts.scheme}://{parts.netloc}{unquote(parts.path)}"


def _list_remote(spark: SparkSession, uri: str, suffixes: tuple[str, ...]) -> list[str]:
    try:
        rows = (
            spark.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(uri)
            .select("path")
            .collect()
        )
    except Exception as exc:  # Spark's words for a bucket it cannot list
        raise GuardrailsError(f"{uri}: cannot be listed by Spark ({spark_words(exc)})") from None
    found = sorted(str(r[0]) for r in rows if str(r[0]).lower().endswith(suffixes))
    if not found:
        raise GuardrailsError(f"{uri}: no files ({', '.join(suffixes)}) here")
    return found


def _remote_shape(spark: SparkSession, kind: str, uri: str) -> FileShape:
    try:
        if uri.lower().endswith(".parquet"):
            schema = spark.read.parquet(uri).schema
            types = {f.name: f.dataType.simpleString().upper() for f in schema.fields}
            header = list(types)
        else:
            header = [
                c.lstrip("\ufeff") for c in spark.read.option("header", True).csv(uri).columns
            ]
            types = {}
    except Exception as exc:
        raise GuardrailsError(f"{uri}: cannot be read by Spark ({spark_words(exc)})") from None
    if kind == "classic":
        require_columns(uri, header, classic_reports.REQUIRED, "OCI cost report")
        return classic_reports.shape_for_header(header)
    require_columns(uri, header, focus.REQUIRED, "FOCUS file")
    provider = next((c for c in focus.PROVIDER_COLUMNS if c in header), None)
    if provider is None:
        raise GuardrailsError(
            f"{uri}: not a FOCUS file: missing required column ProviderName (or Provider)"
        )
    return focus.shape_for_header(
        header, provider, parquet=uri.lower().endswith(".parquet"), tags_type=types.get("Tags")
    )


def spark_inputs(
    spark: SparkSession, reports: Sequence[Path | str], focus_files: Sequence[Path | str]
) -> list[SparkFile]:
    """Every file named (folders and prefixes expanded), with its shape; each once."""
    found: dict[str, SparkFile] = {}
    for kind, named, suffixes, what in (
        ("classic", reports, REPORT_SUFFIXES, "cost report"),
        ("focus", focus_files, FOCUS_SUFFIXES, "FOCUS"),
    ):
        local = [Path(p) for p in named if not is_uri(str(p))]
        shape_of = classic_reports.classic_shape if kind == "classic" else focus.focus_shape
        for path in expand(local, suffixes, what):
            resolved = path.resolve()
            key = file_key(resolved.as_uri())
            if key not in found:
                found[key] = SparkFile(kind, str(resolved), resolved.as_uri(), shape_of(path))
        for uri in (str(p) for p in named if is_uri(str(p))):
            for item in _list_remote(spark, uri, suffixes):
                key = file_key(item)
                if key not in found:
                    found[key] = SparkFile(kind, item, item, _remote_shape(spark, kind, item))
    return list(found.values())


def read_group(spark: SparkSession, files: Sequence[SparkFile]) -> DataFrame:
    """Files of one shape as one DataFrame: the file's columns, typed, and `filename`."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    shape = files[0].shape
    uris = [f.uri for f in files]
    path = F.col("_metadata.file_path").alias("filename")
    if uris[0].lower().endswith(".parquet"):
        frame = spark.read.parquet(*uris)
        return frame.select(path, *(F.col(f"`{c}`") for c in frame.columns))
    schema = StructType([StructField(c, StringType()) for c in shape.columns])
    frame = (
        spark.read.schema(schema)
        .option("header", True)
        .option("mode", "FAILFAST")
        .option("quote", '"')
        .option("escape", '"')
        .csv(uris)
    )
    columns = []
    for name in shape.columns:
        column = F.col(f"`{name}`")
        typed = F.when(column.isin(list(shape.nulls)), F.lit(None)).otherwise(column)
        if name in shape.amount_columns:
            typed = typed.cast("double")
        columns.append(typed.alias(name))
    return frame.select(path, *columns)
