"""FOCUS 1.0-1.2 cost files (CSV, CSV.gz or Parquet), in OCI's flavour and other providers'.

Columns read: `ChargePeriodStart` (its UTC date is the day), `ServiceName`, `BilledCost`,
`EffectiveCost` (optional; needed for the effective cost basis), `BillingCurrency`, `Tags`
and the provider: FOCUS 1.0 `ProviderName`, or `Provider`, the pre-1.0 name OCI's report
still uses. Other columns (`x_` extensions among them) are ignored.

What exporters really write: nulls as empty or as `NULL` (the FinOps Foundation's sample);
`Tags` as JSON object text (CSV) or as a Parquet map or struct; a byte-order mark; no `Tags`
column at all (every line untagged, said once). A `Tags` value that is not a JSON object is
refused with its file and line (store.py checks the distinct values after the scan).

OCI's `oci_ReferenceNumber` / `oci_BackReferenceNumber` extension
columns carry corrections as in the classic report (a correction replaces the line it
references); providers without them (AWS) correct with adjustment lines, which just add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.sources.file_shape import (
    FileShape,
    csv_header,
    csv_reader,
    literal,
    quote,
    require_columns,
)

PROVIDER_COLUMNS = ("ProviderName", "Provider")
REQUIRED = ("ChargePeriodStart", "ServiceName", "BilledCost", "BillingCurrency")
TAGS = "Tags"
BILLING_ACCOUNT = "BillingAccountId"
"""OCI's FOCUS report: the tenancy OCID."""
NULLS = ("", "NULL")
"""Texts FOCUS CSV writers use for no value."""
NUMERIC = ("BilledCost", "EffectiveCost")
REFERENCE = "oci_ReferenceNumber"
BACK_REFERENCE = "oci_BackReferenceNumber"
PROVIDER_NAMES = {
    "oci": "oci",
    "oracle": "oci",
    "oracle cloud infrastructure": "oci",
    "aws": "aws",
    "amazon web services": "aws",
    "microsoft": "azure",
    "azure": "azure",
    "google cloud": "gcp",
    "gcp": "gcp",
}
"""FOCUS provider names to the short names reports use; others are kept, lower-cased."""


def _parquet_columns(path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a Parquet file."""
    try:
        con = duckdb.connect()
        try:
            rows = con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})"
            ).fetchall()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise GuardrailsError(f"{path}: not a readable Parquet file ({exc})") from None
    return {str(row[0]): str(row[1]) for row in rows}


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def focus_shape(path: Path) -> FileShape:
    """The shape for one FOCUS file; GuardrailsError naming what is missing."""
    if not path.exists():
        raise GuardrailsError(f"{path}: no such file")
    types = _parquet_columns(path) if is_parquet(path) else {}
    header = list(types) if is_parquet(path) else csv_header(path)
    require_columns(path, header, REQUIRED, "FOCUS file")
    provider_column = next((c for c in PROVIDER_COLUMNS if c in header), None)
    if provider_column is None:
        raise GuardrailsError(
            f"{path}: not a FOCUS file: missing required column ProviderName (or Provider)"
        )
    return shape_for_header(
        header, provider_column, parquet=is_parquet(path), tags_type=types.get(TAGS)
    )


def _provider_sql(column: str) -> str:
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in PROVIDER_NAMES.items())
    name = f"lower(trim({quote(column)}))"
    return f"CASE {name} {cases} ELSE {name} END"


def _tags_text(tags_type: str | None) -> str:
    """The `Tags` column as JSON object text: a Parquet map or struct becomes JSON, text is
    taken as written (and checked after the scan)."""
    column = quote(TAGS)
    if tags_type is not None and tags_type.upper().startswith(("MAP", "STRUCT")):
        return f"coalesce(CAST(to_json({column}) AS VARCHAR), '{{}}')"
    return f"coalesce(nullif(trim(CAST({column} AS VARCHAR)), ''), '{{}}')"


def shape_for_header(
    header: Sequence[str], provider_column: str, *, parquet: bool, tags_type: str | None = None
) -> FileShape:
    effective = quote("EffectiveCost") if "EffectiveCost" in header else "NULL::DOUBLE"
    if REFERENCE in header and BACK_REFERENCE in header:
        ref = f"hash(CAST({quote(REFERENCE)} AS VARCHAR))"
        back = (
            f"CASE WHEN coalesce(CAST({quote(BACK_REFERENCE)} AS VARCHAR), '') <> '' "
            f"THEN hash(CAST({quote(BACK_REFERENCE)} AS VARCHAR)) END"
        )
    else:
        ref, back = "NULL::UBIGINT", "NULL::UBIGINT"
    has_tags = TAGS in header
    tags = _tags_text(tags_type) if has_tags else "'{}'"
    lines = (
        _provider_sql(provider_column),
        f"CAST(left(CAST({quote('ChargePeriodStart')} AS VARCHAR), 10) AS DATE)",
        quote("ServiceName"),
        quote("BillingCurrency"),
        f"CAST({quote('BilledCost')} AS DOUBLE)",
        f"CAST({effective} AS DOUBLE)",
        ref,
        back,
        f"hash({tags})",
    )
    reader = (
        "read_parquet({files}, filename = true, union_by_name = true)"
        if parquet
        else csv_reader(header, numeric=NUMERIC, nulls=NULLS)
    )
    return FileShape(
        kind="focus",
        signature=("focus-parquet" if parquet else "focus-csv", str(tags_type), *header),
        reader=reader,
        lines=lines,
        tag_columns=(quote(TAGS),) if has_tags else (),
        tags=tags,
        tagset=f"hash({tags})",
        amount_columns=tuple(c for c in NUMERIC if c in header),
        tags_column=TAGS if has_tags else None,
        note=None if has_tags else "no Tags column: every line of it is untagged",
        tenancy=(
            f"CASE WHEN {lines[0]} = 'oci' THEN CAST({quote(BILLING_ACCOUNT)} AS VARCHAR) END"
            if BILLING_ACCOUNT in header
            else "NULL::VARCHAR"
        ),
        columns=tuple(header),
        nulls=NULLS,
    )
