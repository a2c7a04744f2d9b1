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
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from guardrails.tooling.analyzer import Diagnostic, PolicyPackProcess, Provider, Remediation
from guardrails.tooling.dedupe import one_finding_per_problem
from guardrails.tooling.findings import Finding, GateResult
from guardrails.tooling.policy_config import PolicyConfig, load_policy_config
from guardrails.tooling.preview import ProgramInputs, capture, load_program
from guardrails.tooling.record import STACK_TYPE, Capture, CapturedResource, ProgramMessage
from guardrails.tooling.streaming import StreamingAnalysis
from guardrails.tooling.suppressions import Suppression, find_suppression, load_ledger
from policies.catalog import RULES_BY_ID
from policies.model import Rule

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
PROJECT_ROOT = PACK_DIR.parent
DEFAULT_LEDGER = PACK_DIR / "suppressions.yaml"
LEDGER_NAMES = ("guardrails-suppressions.yaml", "guardrails-suppressions.yml")
POLICY_CONFIG_NAMES = ("guardrails-policy-config.json",)
_CANT_RUN = re.compile(r"^can't run policy '[^']*' from policy pack '[^']*' during preview: (.*)$")
_UNKNOWN_AT = re.compile(r"^\w+ value at \.(\S+) can't be known during preview$")


def default_ledger(program_root: Path) -> Path | None:
    """The program's own ledger (`guardrails-suppressions.yaml` next to Pulumi.yaml); for
    the guardrails project itself, `policies/suppressions.yaml`; else none."""
    found = next((p for n in LEDGER_NAMES if (p := program_root / n).is_file()), None)
    if found is None and program_root.resolve() == PROJECT_ROOT and DEFAULT_LEDGER.is_file():
        return DEFAULT_LEDGER
    return found


def default_policy_config(program_root: Path) -> Path | None:
    """`guardrails-policy-config.json` next to Pulumi.yaml, else none (the catalog's levels)."""
    return next((p for n in POLICY_CONFIG_NAMES if (p := program_root / n).is_file()), None)


def stack_urn(capture: Capture) -> str:
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


def resolve_providers(capture: Capture, config: dict[str, str]) -> dict[str, Provider | None]:
    """`provider_of` every captured resource."""
    by_urn = capture.by_urn()
    return {
        r.urn: provider_of(r, by_urn, config, capture.project, capture.stack)
        for r in capture.resources
    }


@dataclass(frozen=True)
class Evaluation:
    """What the pack said: its diagnostics, the remediations it applied, and the capture
    with remediated inputs (what `pulumi up` would then create)."""

    diagnostics: list[Diagnostic]
    remediations: list[tuple[CapturedResource, Remediation]]
    capture: Capture


def _remediate(
    pack: PolicyPackProcess, capture: Capture, providers: dict[str, Provider | None]
) -> tuple[Capture, list[tuple[CapturedResource, Remediation]]]:
    """As the engine does before `Analyze` when a policy's level is `remediate`: ask the
    pack, and let each returned property set replace the resource's inputs."""
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
    if any(level == "remediate" for level, _ in policy_config.values()):
        capture, remediations = _remediate(pack, capture, providers)
    diagnostics = pack.analyze_all(capture.resources, providers)
    diagnostics += pack.analyze_stack(capture.resources, providers)
    return Evaluation(diagnostics, remediations, capture)


def _unknown_message(message: str) -> str | None:
    """pulumi_policy's "can't run policy ... during preview: string value at .subnetId can't
    be known during preview", said for users; None for any other message."""
    match = _CANT_RUN.match(message)
    if match is None:
        return None
    detail = _UNKNOWN_AT.match(match[1])
    what = f"`{detail[1]}`" if detail else "a value it reads"
    return (
        f"not decided offline: {what} is computed by the provider at create time and unknown "
        "in a preview; the rule runs again under `pulumi preview --policy-pack` and `pulumi up`"
    )


def _located(
    finding: Finding,
    capture: Capture,
    resource: CapturedResource | None,
    by_urn: Mapping[str, CapturedResource],
) -> Finding:
    if resource is not None:
        finding.source = resource.source
        finding.related = [s for s in resource.stack if s != resource.source]
        finding.component_path = capture.component_path(resource, by_urn)
    return finding


def to_findings(
    capture: Capture, diagnostics: list[Diagnostic], engine: str = "crossguard"
) -> list[Finding]:
    by_urn = capture.by_urn()
    root = stack_urn(capture)
    findings = []
    for d in diagnostics:
        resource: CapturedResource | None = by_urn.get(d.urn or "")
        rule = RULES_BY_ID.get(d.policy)
        unknown = _unknown_message(d.message)
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
        findings.append(_located(finding, capture, resource, by_urn))
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
        findings.append(_located(finding, capture, before, by_urn))
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


CheckovResult = tuple[list[Finding], dict[str, Any]]


class CheckovAlongside:
    """checkov in a worker thread while the pack evaluates (its own process does the work),
    for the program gate and the plan gate alike; stopped, not waited for, when the gate
    fails (leaving the pool would otherwise wait for checkov to finish)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self._timings = timings
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardrails-checkov")
        self._scanning: Future[CheckovResult] | None = None

    def __enter__(self) -> CheckovAlongside:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._scanning is not None:
            from guardrails.tooling.checkov_scan import stop_running

            stop_running()
        self._pool.shutdown(wait=True)

    def start(self, scan: Callable[[], CheckovResult]) -> None:
        def timed() -> CheckovResult:
            start = time.perf_counter()
            try:
                return scan()
            finally:
                self._timings["checkov"] = time.perf_counter() - start

        self._scanning = self._pool.submit(timed)

    def result(self, say: Callable[[str], None]) -> CheckovResult | None:
        """checkov's findings and summary once it is done; None when it was not started."""
        if self._scanning is None:
            return None
        say("waiting for checkov")
        return self._scanning.result()


def _checkov_scan(
    capture: Capture, providers: dict[str, Provider | None]
) -> tuple[list[Finding], dict[str, Any]]:
    from guardrails.tooling.checkov_scan import scan

    return scan(capture, providers)


def judged(
    captured: Capture,
    evaluation: Evaluation,
    checkov_result: tuple[list[Finding], dict[str, Any]] | None,
) -> tuple[list[Finding], dict[str, Any] | None]:
    """The pack's findings (remediations first) with checkov's folded in, one finding per
    problem; and checkov's summary."""
    findings = remediated_findings(captured, evaluation.remediations)
    findings += to_findings(evaluation.capture, evaluation.diagnostics)
    if checkov_result is None:
        return findings, None
    checkov_findings, summary = checkov_result
    return one_finding_per_problem(findings + checkov_findings, captured, summary), summary


def decide(findings: list[Finding], ledger: list[Suppression], today: dt.date | None) -> None:
    """Apply the ledger and put the findings in report order."""
    apply_ledger(findings, ledger, today or dt.date.today())
    findings.sort(key=Finding.sort_key)


def load_gate_settings(
    policy_config_path: Path | None, ledger_path: Path | None, checkov: bool
) -> tuple[PolicyConfig, list[Suppression]]:
    """The policy config and the ledger, read and checked; checkov's environment made sure
    of when it will run. GuardrailsError (exit 2) before any expensive work."""
    policy_config = load_policy_config(policy_config_path)
    ledger = load_ledger(ledger_path)
    if checkov:
        from guardrails.tooling.checkov_scan import ensure_checkov

        ensure_checkov()
    return policy_config, ledger


def _streaming(
    stream: bool, pack: PolicyPackProcess, policy_config: PolicyConfig, inputs: ProgramInputs
) -> StreamingAnalysis | None:
    """Analysis while the program runs, unless a policy remediates: the engine asks for
    remediations before `Analyze`, and those change the inputs `Analyze` must see."""
    if not stream or any(level == "remediate" for level, _ in policy_config.values()):
        return None
    config, project, stack = inputs.settings.config, inputs.project.name, inputs.stack
    return StreamingAnalysis(
        pack, policy_config, lambda r, seen: provider_of(r, seen, config, project, stack)
    )


def run_gate(
    program: Path,
    stack: str,
    *,
    policy_config_path: Path | None = None,
    ledger_path: Path | None = None,
    mocks_path: Path | None = None,
    checkov: bool = False,
    strict: bool = False,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    on_messages: Callable[[list[ProgramMessage]], None] | None = None,
    inputs: ProgramInputs | None = None,
    stream: bool = True,
) -> GateResult:
    """The whole gate. Raises GuardrailsError for bad input (exit 2).

    `inputs` is the program as `load_program` read it (read here when not given); the
    policy config and ledger default to the program folder's own (`default_policy_config`,
    `default_ledger`). `progress` is told which phase starts (for a status line in a
    terminal); `on_messages` gets what the program printed and logged. With `stream`, each
    resource is analyzed as the program registers it (`streaming.py`); `policies` then
    times what is left after the program: the last answers and `AnalyzeStack`.
    """
    say = progress or (lambda _: None)
    # Validate every input before the expensive part runs.
    inputs = inputs or load_program(program, stack, mocks_path)
    settings = inputs.settings
    root = inputs.project.root
    policy_config_path = policy_config_path or default_policy_config(root)
    ledger_path = ledger_path or default_ledger(root)
    policy_config, ledger = load_gate_settings(policy_config_path, ledger_path, checkov)

    timings: dict[str, float] = {}
    began = time.perf_counter()
    pack = PolicyPackProcess(PACK_DIR)
    with CheckovAlongside(timings) as checkov_run:
        try:
            # The pack starts in its own process while the program runs in another.
            pack.start()
            say(f"running {inputs.project.name} / {stack} under the mock runtime")
            streaming = _streaming(stream, pack, policy_config, inputs)
            start = time.perf_counter()
            captured = capture(
                inputs,
                strict=strict,
                on_messages=on_messages,
                on_resource=streaming.add if streaming is not None else None,
                on_stream_end=streaming.end if streaming is not None else None,
            )
            timings["program"] = time.perf_counter() - start

            providers = resolve_providers(captured, settings.config)
            if checkov:
                # checkov scans the exported plan in its own process meanwhile.
                checkov_run.start(lambda: _checkov_scan(captured, providers))
            say(f"evaluating {len(captured.resources)} resources with the policy pack")
            start = time.perf_counter()
            if streaming is not None:
                evaluation = Evaluation(streaming.finish(captured, providers), [], captured)
            else:
                evaluation = evaluate(pack, captured, policy_config, providers)
            timings["policies"] = time.perf_counter() - start
        finally:
            pack.close()
        findings, checkov_summary = judged(captured, evaluation, checkov_run.result(say))

    decide(findings, ledger, today)
    timings["total"] = time.perf_counter() - began
    used = {
        "policyConfig": str(policy_config_path) if policy_config_path else None,
        "suppressions": str(ledger_path) if ledger_path else None,
        "mocks": str(inputs.mocks_path) if inputs.mocks_path else None,
    }
    return GateResult(evaluation.capture, findings, ledger, timings, checkov_summary, used)
