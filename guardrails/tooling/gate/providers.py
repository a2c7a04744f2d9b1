"""The provider each resource uses, as the Pulumi engine passes it to the analyzer: an
explicit `pulumi:providers:<pkg>` resource, or the package's default provider configured
from the stack's `<pkg>:*` keys (so AWS `defaultTags` reach the rules). The gate and the
cost estimate both resolve providers this way."""

from __future__ import annotations

from collections.abc import Mapping

from guardrails.tooling.gate.pack import Provider
from guardrails.tooling.program.record import STACK_TYPE, Capture, CapturedResource


def stack_urn(capture: Capture) -> str:
    """The URN of the stack resource itself (what stack rules' findings are reported on)."""
    name = f"{capture.project}-{capture.stack}"
    return f"urn:pulumi:{capture.stack}::{capture.project}::{STACK_TYPE}::{name}"


def provider_of(
    r: CapturedResource,
    registered: Mapping[str, CapturedResource],
    config: Mapping[str, str],
    project: str,
    stack: str,
) -> Provider | None:
    """The provider a resource uses, as the engine would pass it to the analyzer.

    An explicit provider is a `pulumi:providers:<pkg>` resource among those `registered`
    (providers register before the resources that use them); otherwise the default provider
    of the package, configured from the stack's `<pkg>:*` keys.
    """
    if r.type.startswith("pulumi:providers:") or not r.custom:
        return None
    if r.provider:
        ref = registered.get(r.provider.rsplit("::", 1)[0])
        if ref is not None:
            return Provider(ref.type, ref.urn, ref.name, ref.inputs)
    pkg = r.package
    props = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{pkg}:")}
    return Provider(
        f"pulumi:providers:{pkg}",
        f"urn:pulumi:{stack}::{project}::pulumi:providers:{pkg}::default",
        "default",
        props,
    )


def resolve_providers(capture: Capture, config: Mapping[str, str]) -> dict[str, Provider | None]:
    """`provider_of` every captured resource."""
    by_urn = capture.by_urn()
    return {
        r.urn: provider_of(r, by_urn, config, capture.project, capture.stack)
        for r in capture.resources
    }
