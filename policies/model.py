"""The engine-neutral shapes of the rule catalog: a rule, the resource it looks at, its config.

Pure standard library on purpose: the same rules run inside the CrossGuard policy pack
(pulumi_policy), inside checkov's own virtual environment (no Pulumi there) and in tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["mandatory", "advisory", "disabled"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it: Pulumi type token and camelCase inputs.

    `provider_props` are the inputs of the provider the resource uses (for example AWS
    `defaultTags`); values the SDK passes JSON-encoded are decoded by `provider_value`.
    """

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    dependencies: tuple[str, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        value = self.props.get(key, default)
        return default if value is None else value

    def is_set(self, key: str) -> bool:
        """Whether the input has a value; one known only after apply counts as set (the
        policy SDK raises on reading it, so this does not read it unless it must)."""
        if key not in list(self.props):  # iterating reads keys, never values
            return False
        try:
            return self.props[key] is not None
        except Exception as exc:
            if is_unknown_error(exc):
                return True
            raise

    def provider_value(self, key: str) -> Any:
        value = self.provider_props.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return value


def is_unknown_error(exc: BaseException) -> bool:
    """Whether `exc` is pulumi_policy's UnknownValueError: a value read during a preview that
    is known only after apply. Matched by name: the catalog cannot import pulumi_policy (it
    also runs inside checkov's environment)."""
    return type(exc).__name__ == "UnknownValueError"


def _is_sequence(value: Any) -> bool:
    # the policy SDK hands lists over as read-only Sequence proxies
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def one(value: Any) -> Mapping[str, Any]:
    """A nested single block: a mapping, or (from Terraform) a list holding one mapping."""
    if isinstance(value, Mapping):
        return value
    if _is_sequence(value) and len(value) == 1 and isinstance(value[0], Mapping):
        return value[0]
    return {}


def many(value: Any) -> list[Mapping[str, Any]]:
    """A repeated block: a list of mappings (Terraform gives a lone block as a mapping)."""
    if isinstance(value, Mapping):
        return [value]
    if _is_sequence(value):
        return [v for v in value if isinstance(v, Mapping)]
    return []


ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str | None, str]]]
Remediation = Callable[[Resource, Mapping[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class ConfigField:
    """One setting of a rule, described in JSON Schema terms for `--policy-pack-config`.

    `items` types an array's items; `values` types an object's values (`array` meaning an
    array of strings); `minimum` bounds a number, `above` too but excludes the bound (a share
    of a budget must be more than 0). Strings are never empty.
    """

    type: Literal["string", "integer", "number", "boolean", "array", "object"]
    description: str
    default: Any = None
    items: Literal["string", "integer"] | None = None
    values: Literal["string", "array"] | None = None
    minimum: int | None = None
    above: float | None = None

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "description": self.description}
        if self.items:
            out["items"] = _leaf_schema(self.items)
        if self.values:
            value = (
                {"type": "array", "items": _leaf_schema("string")}
                if self.values == "array"
                else _leaf_schema("string")
            )
            out["additionalProperties"] = value
        if self.type == "string":
            out["minLength"] = 1
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.above is not None:
            out["exclusiveMinimum"] = self.above
        if self.default is not None:
            out["default"] = self.default
        return out


def _leaf_schema(kind: str) -> dict[str, Any]:
    return {"type": kind, "minLength": 1} if kind == "string" else {"type": kind}


@dataclass(frozen=True)
class Rule:
    """A policy: one reason to fail, named `vendor-service-resource-rule`.

    A resource rule has `check` and the `resource_types` it applies to; a stack rule has
    `check_stack` and sees every resource at once.
    """

    id: str
    description: str
    severity: Severity
    enforcement: Enforcement
    resource_types: frozenset[str] = frozenset()
    check: ResourceCheck | None = None
    check_stack: StackCheck | None = None
    config: Mapping[str, ConfigField] = field(default_factory=dict)
    remediate: Remediation | None = None
    remediation_steps: str = ""
    frameworks: tuple[str, ...] = ()
    checkov_ids: tuple[str, ...] = ()
    """checkov built-in checks that report the same problem on the same resource: the gate
    shows one finding naming both engines when both fire."""

    @property
    def is_stack_rule(self) -> bool:
        return self.check_stack is not None

    def applies_to(self, resource_type: str) -> bool:
        return resource_type in self.resource_types

    def settings(self, config: Mapping[str, Any] | None) -> dict[str, Any]:
        """Rule config: the defaults, overridden by what the user configured."""
        merged = {key: f.default for key, f in self.config.items()}
        merged.update({k: v for k, v in (config or {}).items() if k != "enforcementLevel"})
        return merged

    def evaluate(self, resource: Resource, config: Mapping[str, Any] | None = None) -> list[str]:
        """Violation messages of this resource rule for `resource` (empty: compliant)."""
        if self.check is None or not self.applies_to(resource.type):
            return []
        return list(self.check(resource, self.settings(config)))

    def evaluate_stack(
        self, resources: Sequence[Resource], config: Mapping[str, Any] | None = None
    ) -> list[tuple[str | None, str]]:
        if self.check_stack is None:
            return []
        return list(self.check_stack(resources, self.settings(config)))

    def config_schema(self) -> dict[str, Any]:
        return {key: f.schema() for key, f in self.config.items()}
