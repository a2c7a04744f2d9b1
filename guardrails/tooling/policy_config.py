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

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from guardrails.runtime.errors import GuardrailsError
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


def _check_property(where: str, rule: Rule, key: str, value: Any) -> None:
    field = rule.config.get(key)
    if field is None:
        known = ", ".join(sorted(rule.config)) or "none"
        raise GuardrailsError(f"{where}: unknown property {key!r} (known: {known})")
    types = _JSON_TYPES[field.type]
    if isinstance(value, bool) and field.type in ("integer", "number"):
        types = ()
    if not isinstance(value, types):
        raise GuardrailsError(f"{where}.{key}: must be a JSON {field.type} (got {value!r})")
    if field.type == "array" and field.items:
        item_types = _JSON_TYPES[field.items]
        items = cast(list[Any], value)
        if not all(isinstance(v, item_types) for v in items):
            raise GuardrailsError(f"{where}.{key}: must be an array of {field.items}s")


def parse_policy_config(doc: Any, source: str = "policy config") -> PolicyConfig:
    """Resolve a config document to (level, properties) for every rule of the catalog."""
    if not isinstance(doc, Mapping):
        raise GuardrailsError(f"{source}: expected a JSON object of policy names")
    default_level: str | None = None
    if "all" in doc:
        entry = doc["all"]
        level = entry.get("enforcementLevel") if isinstance(entry, Mapping) else entry
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
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot be read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise GuardrailsError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    return parse_policy_config(doc, str(path))
