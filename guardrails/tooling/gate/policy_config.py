"""Policy pack config in Pulumi's `--policy-pack-config` JSON format, validated.

    {
      "all": "mandatory",
      "oci-database-adb-backup-retention": {"enforcementLevel": "mandatory", "minimumDays": 14},
      "oci-objectstorage-bucket-customer-managed-key": "disabled"
    }

`all` sets every policy's level; a policy's own entry wins. Unknown policies, levels,
properties or property types are errors: a typo must not silently switch a rule off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import read_json
from policies.catalog import RULES, RULES_BY_ID
from policies.model import Rule

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}

PolicyConfig = dict[str, tuple[str, dict[str, Any]]]


def _level(where: str, value: Any) -> str:
    if value not in ENFORCEMENT_LEVELS:
        allowed = ", ".join(ENFORCEMENT_LEVELS)
        raise GuardrailsError(
            f"{where}: enforcement level must be one of {allowed} (got {value!r})"
        )
    return str(value)


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    if isinstance(value, float) and kind == "number" and not math.isfinite(value):
        return False
    if kind == "string" and value == "":
        return False
    return isinstance(value, _JSON_TYPES[kind])


def _check_property(where: str, rule: Rule, key: str, value: Any) -> None:
    """Type-check a setting to its full depth, with its bounds (a typo or a wrong shape must
    not quietly change what a rule means: a string where a list belongs would turn a
    membership test into a substring test)."""
    field = rule.config.get(key)
    if field is None:
        known = ", ".join(sorted(rule.config)) or "none"
        raise GuardrailsError(f"{where}: unknown property {key!r} (known: {known})")
    at = f"{where}.{key}"
    if not _is(value, field.type):
        shown = "a non-empty JSON string" if field.type == "string" else f"a JSON {field.type}"
        raise GuardrailsError(f"{at}: must be {shown} (got {value!r})")
    if field.minimum is not None and value < field.minimum:
        raise GuardrailsError(f"{at}: must be at least {field.minimum} (got {value!r})")
    if field.type == "array" and field.items:
        for i, item in enumerate(cast(list[Any], value)):
            if not _is(item, field.items):
                raise GuardrailsError(
                    f"{at}: must be an array of {field.items}s "
                    f"(item {i} is {item!r}{'; strings must not be empty' if item == '' else ''})"
                )
    if field.type == "object" and field.values:
        for name, item in cast(dict[str, Any], value).items():
            if field.values == "string" and not _is(item, "string"):
                raise GuardrailsError(f"{at}.{name}: must be a non-empty string (got {item!r})")
            if field.values == "array" and not (
                isinstance(item, list) and all(_is(v, "string") for v in item)
            ):
                raise GuardrailsError(
                    f'{at}.{name}: must be an array of non-empty strings, e.g. ["CC-101"] '
                    f"(got {item!r})"
                )


def parse_policy_config(doc: Any, source: str = "policy config") -> PolicyConfig:
    """Resolve a config document to (level, properties) for every rule of the catalog."""
    if not isinstance(doc, Mapping):
        raise GuardrailsError(f"{source}: expected a JSON object of policy names")
    default_level: str | None = None
    if "all" in doc:
        entry = doc["all"]
        if isinstance(entry, Mapping):
            unknown = sorted(str(k) for k in entry if k != "enforcementLevel")
            if unknown:
                raise GuardrailsError(
                    f"{source}: all: unknown keys {', '.join(unknown)} "
                    "(only enforcementLevel applies to every policy)"
                )
            level = entry.get("enforcementLevel")
        else:
            level = entry
        default_level = _level(f"{source}: all", level)
    resolved: PolicyConfig = {rule.id: (default_level or rule.enforcement, {}) for rule in RULES}
    for name, entry in doc.items():
        if name == "all":
            continue
        rule = RULES_BY_ID.get(name)
        if rule is None:
            raise GuardrailsError(f"{source}: unknown policy {name!r}")
        where = f"{source}: {name}"
        level, props = resolved[name]
        if isinstance(entry, str):
            level = _level(where, entry)
        elif isinstance(entry, Mapping):
            if "enforcementLevel" in entry:
                level = _level(where, entry["enforcementLevel"])
            for key, value in entry.items():
                if key != "enforcementLevel":
                    _check_property(where, rule, key, value)
                    props[key] = value
        else:
            raise GuardrailsError(f"{where}: expected an enforcement level or an object")
        resolved[name] = (level, props)
    return resolved


def load_policy_config(path: Path | None) -> PolicyConfig:
    if path is None:
        return parse_policy_config({})
    return parse_policy_config(read_json(path, "policy config"), str(path))
