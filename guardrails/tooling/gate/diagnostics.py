"""The pack's answers as findings: each diagnostic (and each remediation it applied) becomes
a `Finding` located on the resource's declaring chain; "can't run during preview" becomes an
`unknown` finding that names the value the rule needed."""

from __future__ import annotations

import re
from collections.abc import Mapping

from guardrails.tooling.gate.findings import Finding
from guardrails.tooling.gate.pack import Diagnostic, Remediation
from guardrails.tooling.gate.providers import stack_urn
from guardrails.tooling.program.record import STACK_TYPE, Capture, CapturedResource
from policies.catalog import RULES_BY_ID
from policies.model import Rule

_CANT_RUN = re.compile(r"^can't run policy '[^']*' from policy pack '[^']*' during preview: (.*)$")
_UNKNOWN_AT = re.compile(r"^\w+ value at \.(\S+) can't be known during preview$")


PREVIEW_UNKNOWN = (
    "is computed by the provider at create time and unknown in a preview; the rule runs "
    "again under `pulumi preview --policy-pack` and `pulumi up`"
)
TERRAFORM_UNKNOWN = (
    "is known only after apply in this Terraform plan; the rule decides on a plan made once "
    "it is known (after the apply that creates what it depends on)"
)


def unknown_message(message: str, wording: str = PREVIEW_UNKNOWN) -> str | None:
    """pulumi_policy's "can't run policy ... during preview: string value at .subnetId can't
    be known during preview", said for users in the subject's terms (a Pulumi preview, a
    Terraform plan); None for any other message."""
    match = _CANT_RUN.match(message)
    if match is None:
        return None
    detail = _UNKNOWN_AT.match(match[1])
    what = f"`{detail[1]}`" if detail else "a value it reads"
    if "{what}" in wording:  # a wording that is a whole sentence (the live audit's)
        return wording.format(what=what)
    return f"not decided offline: {what} {wording}"


def locate_on_chain(
    finding: Finding,
    capture: Capture,
    resource: CapturedResource | None,
    by_urn: Mapping[str, CapturedResource],
) -> Finding:
    """Point the finding at the resource's declaring chain and component path."""
    if resource is not None:
        finding.source = resource.source
        finding.related = [s for s in resource.stack if s != resource.source]
        finding.component_path = capture.component_path(resource, by_urn)
    return finding


def _own_message(message: str, rule: Rule | None) -> str:
    """pulumi_policy prefixes every violation with the policy description; drop it."""
    if rule is not None and message.startswith(rule.description + "\n"):
        return message[len(rule.description) + 1 :]
    return message


def to_findings(
    capture: Capture,
    diagnostics: list[Diagnostic],
    engine: str = "crossguard",
    unknown_wording: str = PREVIEW_UNKNOWN,
) -> list[Finding]:
    """One finding per diagnostic, on its resource (or on the stack)."""
    by_urn = capture.by_urn()
    root = stack_urn(capture)
    findings = []
    for d in diagnostics:
        resource: CapturedResource | None = by_urn.get(d.urn or "")
        rule = RULES_BY_ID.get(d.policy)
        unknown = unknown_message(d.message, unknown_wording)
        if unknown is not None:
            level = "unknown"
        else:
            level = "mandatory" if d.level in ("mandatory", "remediate") else "advisory"
        finding = Finding(
            policy=d.policy,
            level=level,
            severity=rule.severity if rule else d.severity,
            urn=resource.urn if resource else (d.urn or root),
            type=resource.type if resource else STACK_TYPE,
            name=resource.name if resource else f"{capture.project}-{capture.stack}",
            message=unknown or _own_message(d.message, rule),
            engine=engine,
        )
        findings.append(locate_on_chain(finding, capture, resource, by_urn))
    return findings


def remediated_findings(
    capture: Capture, remediations: list[tuple[CapturedResource, Remediation]]
) -> list[Finding]:
    """One `remediated` finding per fix the pack applied (advisory: `up` creates it fixed)."""
    by_urn = capture.by_urn()
    findings = []
    for before, fix in remediations:
        after = fix.properties or {}
        changed = sorted(
            k for k in set(before.inputs) | set(after) if before.inputs.get(k) != after.get(k)
        )
        rule = RULES_BY_ID.get(fix.policy)
        finding = Finding(
            policy=fix.policy,
            level="remediated",
            severity=rule.severity if rule else "unspecified",
            urn=before.urn,
            type=before.type,
            name=before.name,
            message=f"fixed by the policy pack (remediate): set {', '.join(changed) or 'nothing'}",
            engine="crossguard",
        )
        findings.append(locate_on_chain(finding, capture, before, by_urn))
    return findings
