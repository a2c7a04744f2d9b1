"""Policy pack config in Pulumi's `--policy-pack-config` JSON format, validated against the
JSON Schema the pack publishes.

    {
      "all": "mandatory",
      "oci-database-adb-backup-retention": {"enforcementLevel": "mandatory", "minimumDays": 14},
      "oci-objectstorage-bucket-customer-managed-key": "disabled"
    }

`all` sets every policy's level; a policy's own entry wins. Each policy's entry is checked
against the schema the pack itself declares to the engine (`Rule.config_schema()`, the
`configSchema` of `GetAnalyzerInfo`), as the Pulumi engine checks `--policy-pack-config`,
with its enforcement level and no other property: a typo must not silently switch a rule
off, and a setting out of bounds (`share: 0`) must not turn a rule into nonsense.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import read_json
from policies.catalog import RULES, RULES_BY_ID

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")

PolicyConfig = dict[str, tuple[str, dict[str, Any]]]


def _level(where: str, value: Any) -> str:
    if value not in ENFORCEMENT_LEVELS:
        allowed = ", ".join(ENFORCEMENT_LEVELS)
        raise GuardrailsError(
            f"{where}: enforcement level must be one of {allowed} (got {value!r})"
        )
    return str(value)


def entry_schema(rule_id: str) -> dict[str, Any]:
    """The JSON Schema of one policy's entry: its enforcement level and the properties the
    pack publishes for it, nothing else."""
    rule = RULES_BY_ID[rule_id]
    return {
        "type": "object",
        "properties": {
            "enforcementLevel": {"enum": list(ENFORCEMENT_LEVELS)},
            **rule.config_schema(),
        },
        "additionalProperties": False,
    }


@cache
def _validator(rule_id: str) -> Any:
    from jsonschema import Draft202012Validator  # 0.1 s: only when a config sets properties

    return Draft202012Validator(entry_schema(rule_id))


def _not_finite(value: Any, path: str) -> str | None:
    """The path of a NaN or infinite number (JSON has none; a dict built in Python might)."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        return next((p for k, v in value.items() if (p := _not_finite(v, f"{path}.{k}"))), None)
    if isinstance(value, list):
        return next((p for i, v in enumerate(value) if (p := _not_finite(v, f"{path}[{i}]"))), None)
    return None


def _check_entry(where: str, rule_id: str, entry: Mapping[str, Any]) -> None:
    """The first schema violation of a policy's entry, as `source: policy.path: problem`."""
    bad = _not_finite(entry, where)
    if bad is not None:
        raise GuardrailsError(f"{bad}: must be a finite number")
    errors = sorted(
        _validator(rule_id).iter_errors(dict(entry)),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    if not errors:
        return
    error = errors[0]
    if error.validator == "additionalProperties":
        known = ", ".join(sorted(RULES_BY_ID[rule_id].config)) or "none"
        unknown = sorted(set(entry) - {"enforcementLevel", *RULES_BY_ID[rule_id].config})
        raise GuardrailsError(f"{where}: unknown property {unknown[0]!r} (known: {known})")
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    raise GuardrailsError(f"{where}{path}: {error.message}")


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
        if name not in RULES_BY_ID:
            raise GuardrailsError(f"{source}: unknown policy {name!r}")
        where = f"{source}: {name}"
        level, props = resolved[name]
        if isinstance(entry, str):
            level = _level(where, entry)
        elif isinstance(entry, Mapping):
            if "enforcementLevel" in entry:
                level = _level(where, entry["enforcementLevel"])
            _check_entry(where, name, entry)
            props.update((k, v) for k, v in entry.items() if k != "enforcementLevel")
        else:
            raise GuardrailsError(f"{where}: expected an enforcement level or an object")
        resolved[name] = (level, props)
    return resolved


def load_policy_config(path: Path | None) -> PolicyConfig:
    if path is None:
        return parse_policy_config({})
    return parse_policy_config(read_json(path, "policy config"), str(path))
