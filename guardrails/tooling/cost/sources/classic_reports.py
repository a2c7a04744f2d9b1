"""OCI's classic cost reports (`reports/cost-csv/*.csv.gz` in the `bling` namespace).

One line per resource and hour: `lineItem/intervalUsageStart` (UTC, `2026-11-03T05:00Z`),
`product/service`, `cost/myCost` (the billed cost), `cost/currencyCode`, one `tags/<ns>.<key>`
column per defined tag (`tags/<key>` for free-form tags). A correction is a new line with
`lineItem/isCorrection` true and the corrected line's `lineItem/referenceNo` in
`lineItem/backreferenceNo` (older docs: `lineItem/backReference`); the correction replaces
the line it references, so the store keeps a 64-bit hash of every line's reference and the
report leaves out referenced lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from guardrails.tooling.cost.sources.file_shape import (
    FileShape,
    csv_header,
    csv_reader,
    literal,
    quote,
    require_columns,
)

START = "lineItem/intervalUsageStart"
REFERENCE = "lineItem/referenceNo"
IS_CORRECTION = "lineItem/isCorrection"
BACK_REFERENCES = ("lineItem/backreferenceNo", "lineItem/backReference")
SERVICE = "product/service"
COST = "cost/myCost"
CURRENCY = "cost/currencyCode"
REQUIRED = (REFERENCE, START, SERVICE, COST, CURRENCY)
TENANT = "lineItem/tenantId"
TAG_PREFIX = "tags/"


def classic_shape(path: Path) -> FileShape:
    """The shape for one classic cost report; GuardrailsError for an unreadable file."""
    header = csv_header(path)
    require_columns(path, header, REQUIRED, "OCI cost report")
    return shape_for_header(header)


def shape_for_header(header: Sequence[str]) -> FileShape:
    tag_columns = tuple(c for c in header if c.startswith(TAG_PREFIX))
    back = next((c for c in BACK_REFERENCES if c in header), None)
    if back and IS_CORRECTION in header:
        correction = (
            f"CASE WHEN lower({quote(IS_CORRECTION)}) = 'true' AND {quote(back)} <> '' "
            f"THEN hash({quote(back)}) END"
        )
    else:
        correction = "NULL::UBIGINT"
    lines = (
        "'oci'",
        f"CAST(left({quote(START)}, 10) AS DATE)",
        quote(SERVICE),
        quote(CURRENCY),
        quote(COST),
        "NULL::DOUBLE",
        f"hash({quote(REFERENCE)})",
        correction,
        tagset_expression(tag_columns),
    )
    pairs = ", ".join(f"{literal(c[len(TAG_PREFIX) :])}, {quote(c)}" for c in tag_columns)
    return FileShape(
        kind="classic",
        signature=("classic", *header),
        reader=csv_reader(header, numeric=(COST,)),
        lines=lines,
        tag_columns=tuple(quote(c) for c in tag_columns),
        tags=f"json_object({pairs})" if pairs else "'{}'",
        tagset=tagset_expression(tag_columns),
        amount_columns=(COST,),
        tenancy=quote(TENANT) if TENANT in header else "NULL::VARCHAR",
        columns=tuple(header),
    )


def tagset_expression(tag_columns: Sequence[str]) -> str:
    """The tag set id: a hash of the column names and values (names keep two files with
    different tag columns apart)."""
    names = literal("|".join(tag_columns))
    return f"hash({', '.join([names, *(quote(c) for c in tag_columns)])})"
