"""What the engines find and what the gate decides: `Finding` and `GateResult`.

The engines (the policy pack through `gate.py`, checkov through `checkov_scan.py`, and the plan
gate of `guardrails check --plan`) produce findings; the reports (`report.py`) read them. Both
depend on this module and on nothing of each other.

Levels: `mandatory` fails the gate; `advisory` is shown; `remediated` means the pack fixed the
resource (the `remediate` enforcement level, as under `pulumi preview`); `unknown` means the
rule read a value the provider computes at create time, so it could not decide offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guardrails.tooling.gate.ledger import Suppression
from guardrails.tooling.program.record import Capture, SourceLocation
from policies.model import SEVERITIES

LEVELS = ("mandatory", "advisory", "remediated", "unknown")


def severity_rank(severity: str) -> int:
    """0 for critical, rising to low; anything else (checkov's `unspecified`) last."""
    ranks: tuple[str, ...] = SEVERITIES
    return ranks.index(severity) if severity in ranks else len(ranks)


@dataclass
class Finding:
    """One rule's verdict on one resource (or on the stack)."""

    policy: str
    level: str
    severity: str
    urn: str
    type: str
    name: str
    message: str
    engine: str
    suppressed: bool = False
    suppression: Suppression | None = None
    expired_suppression: Suppression | None = None
    source: SourceLocation | None = None
    """Where users act: the innermost position of the declaring chain inside the program."""
    related: list[SourceLocation] = field(default_factory=list)
    """The rest of the declaring chain, outermost first (component files, installed code)."""
    component_path: str = ""
    """`AutonomousDatabaseFleet adb -> AutonomousDatabase adb-orders`."""
    also: tuple[str, ...] = ()
    """checkov checks that reported the same problem on the same resource (dedupe.py)."""

    def sort_key(self) -> tuple[int, int, str, str]:
        return (LEVELS.index(self.level), severity_rank(self.severity), self.urn, self.policy)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "message": self.message,
            "engine": self.engine,
            "engines": [self.engine, "checkov"] if self.also else [self.engine],
            "also": list(self.also),
            "suppressed": self.suppressed,
            "suppression": self.suppression.to_json() if self.suppression else None,
            "source": self.source.to_json() if self.source else None,
            "related": [s.to_json() for s in self.related],
            "componentPath": self.component_path,
        }


@dataclass
class GateResult:
    """Everything a report needs: the capture, the findings after the ledger, and notes."""

    capture: Capture
    findings: list[Finding]
    ledger: list[Suppression]
    timings: dict[str, float] = field(default_factory=dict)
    checkov: dict[str, Any] | None = None
    inputs: dict[str, str | None] = field(default_factory=dict)
    """Which files were used: `policyConfig`, `suppressions`, `mocks` (None: defaults)."""
    plan: dict[str, Any] | None = None
    """Set by `check --plan` (guardrails.tooling.plans): what was read from the plan file."""
    live: dict[str, Any] | None = None
    """Set by `guardrails audit`: what was read from the account (`audit.live.Reading`)."""

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level and not f.suppressed)

    @property
    def suppressed(self) -> int:
        return sum(1 for f in self.findings if f.suppressed)

    @property
    def passed(self) -> bool:
        return self.count("mandatory") == 0

    def expired_entries(self) -> list[Suppression]:
        """Ledger entries that matched a finding but no longer suppress it."""
        expired = {
            f.expired_suppression.index: f.expired_suppression
            for f in self.findings
            if f.expired_suppression
        }
        return [expired[i] for i in sorted(expired)]

    def unused_entries(self) -> list[Suppression]:
        return [s for s in self.ledger if s.matched == 0]
