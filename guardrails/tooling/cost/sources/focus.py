"""FOCUS 1.0 cost files (CSV, CSV.gz or Parquet), in OCI's flavour and other providers'.

Columns read: `ChargePeriodStart` (its UTC date is the day), `ServiceName`, `BilledCost`,
`EffectiveCost` (optional; needed for the effective cost basis), `BillingCurrency`, `Tags`
(a JSON object) and the provider: FOCUS 1.0 `ProviderName`, or `Provider`, the pre-1.0 name
OCI's report still uses. OCI's `oci_ReferenceNumber` / `oci_BackReferenceNumber` extension
columns carry corrections as in the classic report (a correction replaces the line it
references); providers without them (AWS) correct with adjustment lines, which just add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.sources.file_shape import (
    FilePlan,
    csv_header,
    csv_reader,
    literal,
    quote,
    require_columns,
)

PROVIDER_COLUMNS = ("ProviderName", "Provider")
REQUIRED = ("ChargePeriodStart", "ServiceName", "BilledCost", "BillingCurrency", "Tags")
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


def _parquet_header(path: Path) -> list[str]:
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
    return [str(row[0]) for row in rows]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def focus_plan(path: Path) -> FilePlan:
    """The plan for one FOCUS file; GuardrailsError naming what is missing."""
    if not path.exists():
        raise GuardrailsError(f"{path}: no such file")
    header = _parquet_header(path) if is_parquet(path) else csv_header(path)
    require_columns(path, header, REQUIRED, "FOCUS file")
    provider_column = next((c for c in PROVIDER_COLUMNS if c in header), None)
    if provider_column is None:
        raise GuardrailsError(
            f"{path}: not a FOCUS file: missing required column ProviderName (or Provider)"
        )
    return plan_for_header(header, provider_column, parquet=is_parquet(path))


def _provider_sql(column: str) -> str:
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in PROVIDER_NAMES.items())
    name = f"lower(trim({quote(column)}))"
    return f"CASE {name} {cases} ELSE {name} END"


def plan_for_header(header: Sequence[str], provider_column: str, *, parquet: bool) -> FilePlan:
    effective = quote("EffectiveCost") if "EffectiveCost" in header else "NULL::DOUBLE"
    if REFERENCE in header and BACK_REFERENCE in header:
        ref = f"hash(CAST({quote(REFERENCE)} AS VARCHAR))"
        back = (
            f"CASE WHEN coalesce(CAST({quote(BACK_REFERENCE)} AS VARCHAR), '') <> '' "
            f"THEN hash(CAST({quote(BACK_REFERENCE)} AS VARCHAR)) END"
        )
    else:
        ref, back = "NULL::UBIGINT", "NULL::UBIGINT"
    tags = f"coalesce(nullif(trim(CAST({quote('Tags')} AS VARCHAR)), ''), '{{}}')"
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
        else csv_reader(header, numeric=NUMERIC)
    )
    return FilePlan(
        kind="focus",
        signature=("focus-parquet" if parquet else "focus-csv", *header),
        reader=reader,
        lines=lines,
        tag_columns=(quote("Tags"),),
        tags=tags,
        tagset=f"hash({tags})",
    )
