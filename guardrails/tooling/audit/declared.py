"""Declared against deployed: a capture of the stack's program (the same offline run as
`guardrails preview`) turned into the one `Declaration` resource the catalog's
`<vendor>-stack-resource-deployed` and `-declared` rules judge (`policies/declared_rules.py`).

Resources are matched by type and name: the input that names the resource in the account
(`displayName`, `name`, `bucket`, ...). A declared name the provider makes up at create time
(unknown offline) cannot be matched: its type is left out of the undeclared check (so a
generated name never reads as "undeclared") and the report says so.
"""

from __future__ import annotations

from typing import Any

from guardrails.tooling.audit.live import LiveResource
from guardrails.tooling.program.record import UNKNOWN, Capture, CapturedResource
from policies.declared_rules import DECLARATION

NAME_INPUTS = (
    "displayName", "name", "bucket", "functionName", "layerName", "alarmName", "identifier",
    "clusterName",
)  # fmt: skip
"""The inputs that name a resource in the account, in the order they are tried."""


def declared_name(resource: CapturedResource) -> str | None:
    """The name the resource will have in the account; None when unknown until deployed."""
    for key in NAME_INPUTS:
        value = resource.inputs.get(key)
        if isinstance(value, str) and value and value != UNKNOWN:
            return value
        if value == UNKNOWN:
            return None
    return None


def declaration(
    capture: Capture, vendor: str, live_types: frozenset[str], scopes: list[str]
) -> tuple[LiveResource, dict[str, Any]]:
    """The `Declaration` resource for the stack's resources of `vendor` whose types the audit
    reads, and a summary for the report (declared, unmatched names)."""
    declared: list[dict[str, Any]] = []
    unnamed: dict[str, int] = {}
    for r in capture.resources:
        if not r.custom or r.package != vendor or r.type not in live_types:
            continue
        name = declared_name(r)
        declared.append({"type": r.type, "name": name, "urn": r.urn})
        if name is None:
            unnamed[r.type] = unnamed.get(r.type, 0) + 1
    if vendor == "oci":
        scopes = scopes + sorted(
            {
                str(r.inputs["compartmentId"])
                for r in capture.resources
                if r.package == "oci"
                and str(r.inputs.get("compartmentId", "")).startswith("ocid1.")
            }
        )
    resource = LiveResource(
        type=DECLARATION,
        id=f"{capture.project}-{capture.stack}",
        name=f"{capture.project}/{capture.stack}",
        inputs={
            "stack": capture.stack,
            "vendor": vendor,
            "declared": declared,
            "scopes": sorted(set(scopes)),
        },
    )
    summary = {
        "stack": capture.stack,
        "declared": len(declared),
        "namesKnownOnlyAfterDeploy": dict(sorted(unnamed.items())),
        "scopes": sorted(set(scopes)),
    }
    return resource, summary
