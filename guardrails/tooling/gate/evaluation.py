"""Asking the running policy pack: remediations first where a policy's level is
`remediate` (as the engine does before `Analyze`), then `Analyze` per resource and
`AnalyzeStack` once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from guardrails.tooling.gate.pack import (
    Diagnostic,
    PolicyPackProcess,
    Provider,
    Remediation,
    encode,
)
from guardrails.tooling.gate.policy_config import PolicyConfig
from guardrails.tooling.program.record import Capture, CapturedResource


@dataclass(frozen=True)
class Evaluation:
    """What the pack said: its diagnostics, the remediations it applied, and the capture
    with remediated inputs (what `pulumi up` would then create)."""

    diagnostics: list[Diagnostic]
    remediations: list[tuple[CapturedResource, Remediation]]
    capture: Capture


def remediates(policy_config: PolicyConfig) -> bool:
    """Whether any policy is set to `remediate`."""
    return any(level == "remediate" for level, _ in policy_config.values())


def _remediate(
    pack: PolicyPackProcess, capture: Capture, providers: dict[str, Provider | None]
) -> tuple[Capture, list[tuple[CapturedResource, Remediation]]]:
    """Ask the pack for fixes, and let each returned property set replace the resource's
    inputs."""
    applied: list[tuple[CapturedResource, Remediation]] = []
    resources = []
    for original in capture.resources:
        current = original
        if current.custom and not current.type.startswith("pulumi:providers:"):
            for fix in pack.remediate(current, providers.get(current.urn)):
                if fix.properties is not None:
                    applied.append((current, fix))
                    current = replace(current, inputs=fix.properties)
        resources.append(current)
    return replace(capture, resources=resources), applied


def evaluate(
    pack: PolicyPackProcess,
    capture: Capture,
    policy_config: PolicyConfig,
    providers: dict[str, Provider | None],
) -> Evaluation:
    """Send the captured resources through the real policy pack process (started)."""
    pack.connect()
    pack.configure(policy_config)
    remediations: list[tuple[CapturedResource, Remediation]] = []
    if remediates(policy_config):
        capture, remediations = _remediate(pack, capture, providers)
    encoded = [encode(r, providers.get(r.urn)) for r in capture.resources]  # once, for both
    diagnostics = pack.analyze_encoded(encoded)
    diagnostics += pack.analyze_stack_async(encoded)()
    return Evaluation(diagnostics, remediations, capture)
