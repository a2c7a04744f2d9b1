"""Usage quantities for usage-based prices, in Infracost's usage file layout:

    version: 0.1
    resource_type_default_usage:      # every resource of a type
      oci:Streaming/stream:Stream:
        monthly_put_gb: 20
    resource_usage:                   # one resource, by its Pulumi name (wins over the type)
      events-user-event-stream:
        monthly_put_gb: 200

`validate_usage` checks a parsed document against the stack's resources and the usage keys
each priced type reads (`USAGE_KEYS` in estimate.py); every problem is one clear sentence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

SUPPORTED_VERSIONS = ("0.1",)


class UsageError(ValueError):
    """A usage file that does not fit the stack or the usage keys."""


@dataclass(frozen=True)
class Usage:
    by_type: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    by_name: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def of(self, type_: str, name: str) -> dict[str, float]:
        return {**self.by_type.get(type_, {}), **self.by_name.get(name, {})}


NO_USAGE = Usage()


def _quantities(where: str, values: Any, keys: Mapping[str, str], type_: str) -> dict[str, float]:
    if not isinstance(values, Mapping):
        raise UsageError(f"{where}: expected a mapping of usage keys to quantities")
    if not keys:
        raise UsageError(f"{where}: {type_} takes no usage quantities")
    out = {}
    for key, value in values.items():
        if key not in keys:
            raise UsageError(
                f"{where}.{key}: unknown usage key for {type_} (known: {', '.join(sorted(keys))})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise UsageError(f"{where}.{key}: must be a number (got {value!r})")
        if value < 0 or math.isinf(value):
            raise UsageError(f"{where}.{key}: must be a finite number >= 0 (got {value!r})")
        out[str(key)] = float(value)
    return out


def validate_usage(
    doc: Any,
    resources: Iterable[tuple[str, str]],
    usage_keys: Mapping[str, Mapping[str, str]],
    source: str = "usage file",
) -> Usage:
    """A `Usage` from a parsed usage document; `resources` are the stack's (name, type)."""
    if not isinstance(doc, Mapping):
        raise UsageError(f"{source}: expected a mapping with version and resource_usage")
    unknown = sorted(set(doc) - {"version", "resource_type_default_usage", "resource_usage"})
    if unknown:
        raise UsageError(
            f"{source}: unknown key {unknown[0]!r} "
            "(expected version, resource_type_default_usage, resource_usage)"
        )
    version = str(doc.get("version", ""))
    if version not in SUPPORTED_VERSIONS:
        raise UsageError(f"{source}: version must be 0.1 (got {doc.get('version')!r})")
    types_doc = doc.get("resource_type_default_usage") or {}
    names_doc = doc.get("resource_usage") or {}
    for key, value in (("resource_type_default_usage", types_doc), ("resource_usage", names_doc)):
        if not isinstance(value, Mapping):
            raise UsageError(f"{source}: {key} must be a mapping")
    by_type = {}
    for type_, values in types_doc.items():
        where = f"{source}: resource_type_default_usage.{type_}"
        if type_ not in usage_keys:
            raise UsageError(
                f"{where}: not a type with usage-based prices "
                f"(known: {', '.join(sorted(t for t, k in usage_keys.items() if k))})"
            )
        by_type[str(type_)] = _quantities(where, values, usage_keys[type_], type_)
    types_by_name: dict[str, str] = {}
    for name, type_ in resources:
        types_by_name.setdefault(name, type_)
    by_name = {}
    for name, values in names_doc.items():
        where = f"{source}: resource_usage.{name}"
        if name not in types_by_name:
            close = get_close_matches(str(name), list(types_by_name), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{where}: no resource of that name in the stack{hint}")
        type_ = types_by_name[name]
        by_name[str(name)] = _quantities(where, values, usage_keys.get(type_, {}), type_)
    return Usage(by_type, by_name)
