"""CrossGuard adapter: the catalog as `pulumi_policy` policies.

`policies/__main__.py` serves them as a policy pack, which the Pulumi engine runs for
`pulumi preview --policy-pack policies` and the offline gate runs the same way (its own
process, Pulumi's analyzer gRPC protocol).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pulumi_policy.policy
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.catalog import RULES
from policies.model import Resource, Rule

_ENFORCEMENT = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}
_SEVERITY = {
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


def _view(
    type_: str,
    name: str,
    urn: str,
    props: Mapping[str, Any],
    protect: bool,
    provider: Any,
    parent: str | None = None,
    dependencies: tuple[str, ...] = (),
) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=urn,
        props=props,
        protect=bool(protect),
        provider_props=provider.props if provider is not None else {},
        parent=parent,
        dependencies=dependencies,
    )


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = _view(
            args.resource_type, args.name, args.urn, args.props, args.opts.protect, args.provider
        )
        for message in rule.evaluate(resource, args.get_config()):
            report(message, None)

    remediate = None
    if rule.remediate is not None:
        fix = rule.remediate

        def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
            if not rule.applies_to(args.resource_type):
                return None
            resource = _view(
                args.resource_type,
                args.name,
                args.urn,
                args.props,
                args.opts.protect,
                args.provider,
            )
            return fix(resource, rule.settings(args.get_config()))

    return ResourceValidationPolicy(
        name=rule.id,
        description=rule.description,
        enforcement_level=_ENFORCEMENT[rule.enforcement],
        validate=validate,
        remediate=remediate,  # type: ignore[arg-type]  # a plain mapping is accepted too
        config_schema=_schema(rule),
        severity=_SEVERITY[rule.severity],
        remediation_steps=rule.remediation_steps or None,
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            _view(
                r.resource_type,
                r.name,
                r.urn,
                r.props,
                r.opts.protect,
                r.provider,
                r.parent.urn if r.parent is not None else None,
                tuple(d.urn for d in r.dependencies),
            )
            for r in args.resources
        ]
        for urn, message in rule.evaluate_stack(resources, args.get_config()):
            report(message, urn)

    return StackValidationPolicy(
        name=rule.id,
        description=rule.description,
        enforcement_level=_ENFORCEMENT[rule.enforcement],
        validate=validate,
        config_schema=_schema(rule),
        severity=_SEVERITY[rule.severity],
    )


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    return PolicyConfigSchema(properties=rule.config_schema()) if rule.config else None


class _DecodeOnce:
    """Stands in for `google.protobuf.json_format` inside `pulumi_policy.policy`.

    pulumi_policy converts a request's properties (and its provider's) from protobuf once
    per policy; with one policy per catalog rule that conversion is most of the pack's time.
    This converts each message once per thread and hands out the same (never mutated) dict.
    Messages are kept referenced while cached, so their ids cannot be reused meanwhile.
    """

    _SIZE = 4

    def __init__(self, module: Any) -> None:
        self._module = module
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return self._module.MessageToDict(message, *args, **kwargs)
        cache: dict[int, tuple[Any, Any]] = getattr(self._local, "cache", None) or {}
        hit = cache.get(id(message))
        if hit is not None and hit[0] is message:
            return hit[1]
        if len(cache) >= self._SIZE:
            cache.clear()
        result = self._module.MessageToDict(message)
        cache[id(message)] = (message, result)
        self._local.cache = cache
        return result


def decode_each_request_once() -> None:
    """Install `_DecodeOnce` into pulumi_policy (idempotent); verdicts are unchanged."""
    module = pulumi_policy.policy
    current = module.json_format  # type: ignore[attr-defined]
    if not isinstance(current, _DecodeOnce):
        module.json_format = _DecodeOnce(current)  # type: ignore[attr-defined,assignment]


def policies() -> list[Policy]:
    return [_stack_policy(r) if r.is_stack_rule else _resource_policy(r) for r in RULES]
