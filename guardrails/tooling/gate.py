"""The offline policy gate: run a program under mocks, send every resource to the real policy
pack over Pulumi's analyzer protocol, optionally scan the exported plan with checkov, apply
the suppression ledger, and decide.

    PolicyPackProcess starts  |  capture_program (both child processes, concurrently)
    -> PolicyPackProcess (Configure, Analyze x N, AnalyzeStack)
       | [checkov on the exported Terraform plan, concurrently]
                    -> suppressions -> GateResult -> reports, exit code
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from guardrails.tooling.analyzer import Diagnostic, PolicyPackProcess, Provider
from guardrails.tooling.policy_config import PolicyConfig, load_policy_config
from guardrails.tooling.preview import capture_program
from guardrails.tooling.project import load_project, load_stack_settings
from guardrails.tooling.record import STACK_TYPE, Capture, CapturedResource, SourceLocation
from guardrails.tooling.suppressions import Suppression, find_suppression, load_ledger
from policies.catalog import RULES_BY_ID
from policies.model import SEVERITIES, Rule

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_LEDGER = PACK_DIR / "suppressions.yaml"
T = TypeVar("T")


@dataclass
class Finding:
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
    also: tuple[str, ...] = ()  # checkov checks that reported the same problem (dedupe.py)

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
            "source": {"file": self.source.file, "line": self.source.line} if self.source else None,
        }


@dataclass
class GateResult:
    capture: Capture
    findings: list[Finding]
    ledger: list[Suppression]
    timings: dict[str, float] = field(default_factory=dict)
    checkov: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None  # set by `check --plan` (guardrails.tooling.plans)

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


def severity_rank(severity: str) -> int:
    ranks: tuple[str, ...] = SEVERITIES
    return ranks.index(severity) if severity in ranks else len(ranks)


def stack_urn(capture: Capture) -> str:
    name = f"{capture.project}-{capture.stack}"
    return f"urn:pulumi:{capture.stack}::{capture.project}::{STACK_TYPE}::{name}"


def resolve_providers(capture: Capture, config: dict[str, str]) -> dict[str, Provider | None]:
    """The provider each resource uses, as the engine would pass it to the analyzer.

    An explicit provider is a captured `pulumi:providers:<pkg>` resource; otherwise the
    default provider of the package, configured from the stack's `<pkg>:*` keys.
    """
    by_urn = capture.by_urn()
    out: dict[str, Provider | None] = {}
    for r in capture.resources:
        if r.type.startswith("pulumi:providers:") or not r.custom:
            out[r.urn] = None
            continue
        if r.provider:
            ref = by_urn.get(r.provider.rsplit("::", 1)[0])
            if ref is not None:
                out[r.urn] = Provider(ref.type, ref.urn, ref.name, ref.inputs)
                continue
        pkg = r.package
        props = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{pkg}:")}
        out[r.urn] = Provider(
            f"pulumi:providers:{pkg}",
            f"urn:pulumi:{capture.stack}::{capture.project}::pulumi:providers:{pkg}::default",
            "default",
            props,
        )
    return out


def evaluate(
    pack: PolicyPackProcess,
    capture: Capture,
    policy_config: PolicyConfig,
    providers: dict[str, Provider | None],
) -> list[Diagnostic]:
    """Send the captured resources through the real policy pack process (started)."""
    pack.connect()
    pack.configure(policy_config)
    diagnostics = pack.analyze_all(capture.resources, providers)
    diagnostics += pack.analyze_stack(capture.resources, providers)
    return diagnostics


def to_findings(
    capture: Capture, diagnostics: list[Diagnostic], engine: str = "crossguard"
) -> list[Finding]:
    by_urn = capture.by_urn()
    root = stack_urn(capture)
    findings = []
    for d in diagnostics:
        resource: CapturedResource | None = by_urn.get(d.urn or "")
        rule = RULES_BY_ID.get(d.policy)
        findings.append(
            Finding(
                policy=d.policy,
                level="mandatory" if d.level in ("mandatory", "remediate") else "advisory",
                severity=rule.severity if rule else d.severity,
                urn=resource.urn if resource else (d.urn or root),
                type=resource.type if resource else STACK_TYPE,
                name=resource.name if resource else f"{capture.project}-{capture.stack}",
                message=_own_message(d.message, rule),
                engine=engine,
                source=resource.source if resource else None,
            )
        )
    return findings


def _own_message(message: str, rule: Rule | None) -> str:
    """pulumi_policy prefixes every violation with the policy description; drop it."""
    if rule is not None and message.startswith(rule.description + "\n"):
        return message[len(rule.description) + 1 :]
    return message


def apply_ledger(findings: list[Finding], ledger: list[Suppression], today: dt.date) -> None:
    for finding in findings:
        active, expired = find_suppression(ledger, finding.policy, finding.urn, today)
        finding.suppression = active
        finding.suppressed = active is not None
        finding.expired_suppression = expired if active is None else None


def _timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def _checkov_scan(
    capture: Capture, providers: dict[str, Provider | None]
) -> tuple[list[Finding], dict[str, Any]]:
    from guardrails.tooling.checkov_scan import scan

    return scan(capture, providers)


def run_gate(
    program: Path,
    stack: str,
    *,
    policy_config_path: Path | None = None,
    ledger_path: Path | None = None,
    checkov: bool = False,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GateResult:
    """The whole gate. Raises GuardrailsError for bad input (exit 2).

    `progress` is told which phase starts (for a status line in a terminal).
    """
    say = progress or (lambda _: None)
    # Validate every input before the expensive part runs.
    project = load_project(program)
    settings = load_stack_settings(project, stack)
    policy_config = load_policy_config(policy_config_path)
    ledger = load_ledger(ledger_path)
    if checkov:
        from guardrails.tooling.checkov_scan import ensure_checkov

        ensure_checkov()

    timings: dict[str, float] = {}
    began = time.perf_counter()
    scanning: Future[tuple[tuple[list[Finding], dict[str, Any]], float]] | None = None
    pack = PolicyPackProcess(PACK_DIR)
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            # The pack starts in its own process while the program runs in another.
            pack.start()
            say(f"running {project.name} / {stack} under the mock runtime")
            start = time.perf_counter()
            capture = capture_program(program, stack)
            timings["program"] = time.perf_counter() - start

            providers = resolve_providers(capture, settings.config)
            if checkov:
                # checkov scans the exported plan in its own process meanwhile.
                scanning = pool.submit(_timed, _checkov_scan, capture, providers)
            say(f"evaluating {len(capture.resources)} resources with the policy pack")
            start = time.perf_counter()
            diagnostics = evaluate(pack, capture, policy_config, providers)
            timings["policies"] = time.perf_counter() - start
        finally:
            pack.close()
        findings = to_findings(capture, diagnostics)
        checkov_summary = None
        if scanning is not None:
            say("waiting for checkov")
            (checkov_findings, checkov_summary), timings["checkov"] = scanning.result()
            from guardrails.tooling.dedupe import one_finding_per_problem

            findings = one_finding_per_problem(
                findings + checkov_findings, capture, checkov_summary
            )

    apply_ledger(findings, ledger, today or dt.date.today())
    findings.sort(
        key=lambda f: (f.level != "mandatory", severity_rank(f.severity), f.urn, f.policy)
    )
    timings["total"] = time.perf_counter() - began
    return GateResult(capture, findings, ledger, timings, checkov_summary)
