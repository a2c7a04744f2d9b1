"""Secrets and SDK objects out of what the runner records: a secret becomes the
`[secret]` placeholder (and its property is listed), an unknown the wire sentinel, a resource
reference or asset a stable string. No secret reaches a record or a report."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi import output as pulumi_output

from guardrails.runtime import pulumi_compat
from guardrails.tooling.program.record import UNKNOWN
from guardrails.tooling.project import SECRET_PLACEHOLDER

_SECRET_SIG = pulumi_compat.SECRET_SIGNATURE


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]


def _mask_secrets(value: Any) -> tuple[Any, bool]:
    """Return `value` with secrets replaced by the placeholder, and whether any were found."""
    if _is_secret(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        found = False
        masked: dict[str, Any] = {}
        for k, v in value.items():
            masked[k], hit = _mask_secrets(v)
            found = found or hit
        return masked, found
    if isinstance(value, list):
        items = [_mask_secrets(v) for v in value]
        return [v for v, _ in items], any(hit for _, hit in items)
    return jsonable(value), False


def jsonable(value: Any) -> Any:
    """Resource references and other SDK objects become strings in the record."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pulumi_output.Unknown):
        return UNKNOWN
    if isinstance(value, pulumi.Resource):
        return f"<resource {pulumi_compat.resource_name(value)}>"
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        # Stable across runs: what it points at, never the object's address.
        source = getattr(value, "path", None) or getattr(value, "uri", None)
        return f"<{type(value).__name__} {source}>" if source else f"<{type(value).__name__}>"
    return str(value)


def mask_properties(props: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    masked: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in props.items():
        masked[key], hit = _mask_secrets(value)
        if hit:
            secret.append(key)
    return masked, sorted(secret)


def unknowns_as_sentinel(value: Any) -> Any:
    """The SDK's `Unknown` objects as the wire sentinel (what the engine echoes in a preview)."""
    if isinstance(value, pulumi_output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: unknowns_as_sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unknowns_as_sentinel(v) for v in value]
    return value
