"""CrossGuard adapter: the catalog as `pulumi_policy` policies.

`policies/__main__.py` serves them as a policy pack, which the Pulumi engine runs for
`pulumi preview --policy-pack policies` and the offline gate runs the same way (its own
process, Pulumi's analyzer gRPC protocol).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

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

from guardrails.runtime import pulumi_compat
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


# Large enough for every resource of an AnalyzeStack request (two entries each: its properties
# and its provider's), whose stack policies each convert all resources again. At 8,192 a
# 5,000-resource stack thrashed the cache and AnalyzeStack took 7-9 s instead of 2-3 s.
_CACHE_SIZE = 32768


def _once_per_object(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a one-argument conversion so that, per thread, the same argument object is
    converted once. Arguments stay referenced while cached, so their ids are not reused."""
    local = threading.local()

    @functools.wraps(fn)
    def wrapper(arg: Any, *rest: Any, **kwargs: Any) -> Any:
        if rest or kwargs:
            return fn(arg, *rest, **kwargs)
        cache: dict[int, tuple[Any, Any]] | None = getattr(local, "cache", None)
        if cache is None:
            cache = local.cache = {}
        hit = cache.get(id(arg))
        if hit is not None and hit[0] is arg:
            return hit[1]
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        result = fn(arg)
        cache[id(arg)] = (arg, result)
        return result

    wrapper.guardrails_once = True  # type: ignore[attr-defined]
    return wrapper


class _JsonFormat:
    """`google.protobuf.json_format` as pulumi_policy sees it, with a once-per-message
    `MessageToDict`; everything else is the real module."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.MessageToDict = _once_per_object(module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def decode_each_request_once() -> bool:
    """Make the pack decode each request once instead of once per policy; True if installed.

    pulumi_policy turns a request's properties into Python (protobuf to dict, deserialize,
    unknown-checking proxy) inside its loop over policies: with one policy per catalog rule
    that was about three quarters of the pack's time. The three conversions are pure and
    their results read-only to our rules, so each is done once per object. Idempotent;
    verdicts are unchanged (the parity and pack tests run with it installed).

    Feature-detected through `guardrails.runtime.pulumi_compat`: when pulumi_policy no longer
    has those globals, or `GUARDRAILS_POLICY_SHIM=0`, the pack runs without it (slower, same
    verdicts).
    """
    if not pulumi_compat.policy_shim_enabled():
        return False
    module: Any = pulumi_compat.policy_module()
    if module is None:
        return False
    if getattr(module.unknown_checking_proxy, "guardrails_once", False):
        return True
    module.json_format = _JsonFormat(module.json_format)
    module.deserialize_properties = _once_per_object(module.deserialize_properties)
    module.unknown_checking_proxy = _once_per_object(module.unknown_checking_proxy)
    return True


def policies() -> list[Policy]:
    return [_stack_policy(r) if r.is_stack_rule else _resource_policy(r) for r in RULES]
