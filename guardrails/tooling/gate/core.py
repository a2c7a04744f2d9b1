"""The one gate core that the program gate, the plan gate and the live audit share.

Subject (how the resources are had: a program run, a plan file, a live account)
-> PolicyPackProcess started first (it starts while the subject is read)
-> subject.load(pack, ...) -> Capture   [+ Analyze already streamed while a program ran]
-> providers resolved -> [checkov on the subject's export, in a thread]
-> Analyze x N + AnalyzeStack (or the streamed answers) -> findings
-> one finding per problem -> the ledger -> GateResult
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from guardrails.tooling.gate.dedupe import one_finding_per_problem
from guardrails.tooling.gate.diagnostics import (
    PREVIEW_UNKNOWN,
    remediated_findings,
    to_findings,
)
from guardrails.tooling.gate.evaluation import Evaluation, evaluate
from guardrails.tooling.gate.findings import Finding, GateResult
from guardrails.tooling.gate.ledger import Suppression, find_suppression
from guardrails.tooling.gate.pack import Diagnostic, PolicyPackProcess, Provider
from guardrails.tooling.gate.providers import resolve_providers
from guardrails.tooling.gate.settings import GateSettings
from guardrails.tooling.program.record import Capture

CheckovResult = tuple[list[Finding], dict[str, Any]]
Say = Callable[[str], None]


@dataclass
class Loaded:
    """What a subject hands the core: the resources, and how to finish judging them."""

    capture: Capture
    provider_config: Mapping[str, str] = field(default_factory=dict)
    """Stack config (`<pkg>:<key>`) for the default providers."""
    streamed: Callable[[Capture, dict[str, Provider | None]], list[Diagnostic]] | None = None
    """The diagnostics of an analysis that ran while the resources were loaded."""
    checkov_scan: Callable[[dict[str, Provider | None]], CheckovResult] | None = None
    """checkov on what the subject exports (None: checkov has nothing to scan)."""
    summary: dict[str, Any] | None = None
    """What was read (a plan file, a live account), for the reports."""
    used: dict[str, str | None] = field(default_factory=dict)
    """Input files beyond the policy config and the ledger (the mocks file)."""
    unknown_wording: str = PREVIEW_UNKNOWN
    """How an `unknown` finding says when the rule will decide (a preview, a Terraform plan)."""
    live: bool = False
    """The subject is a live account: `summary` is what was read from it."""


class Subject(Protocol):
    """What the gate judges."""

    def load(
        self, pack: PolicyPackProcess, settings: GateSettings, say: Say, timings: dict[str, float]
    ) -> Loaded: ...


class CheckovAlongside:
    """checkov in a worker thread while the pack evaluates (its own process does the work);
    stopped, not waited for, when the gate fails (leaving the pool would otherwise wait for
    checkov to finish)."""

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
            from guardrails.tooling.gate.checkov_run import stop_running

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

    def result(self, say: Say) -> CheckovResult | None:
        """checkov's findings and summary once it is done; None when it was not started."""
        if self._scanning is None:
            return None
        say("waiting for checkov")
        return self._scanning.result()


def combine_findings(
    captured: Capture,
    evaluation: Evaluation,
    checkov_result: CheckovResult | None,
    unknown_wording: str = PREVIEW_UNKNOWN,
) -> tuple[list[Finding], dict[str, Any] | None]:
    """The pack's findings (remediations first) with checkov's folded in, one finding per
    problem; and checkov's summary."""
    findings = remediated_findings(captured, evaluation.remediations)
    findings += to_findings(
        evaluation.capture, evaluation.diagnostics, unknown_wording=unknown_wording
    )
    if checkov_result is None:
        return findings, None
    checkov_findings, summary = checkov_result
    return one_finding_per_problem(findings + checkov_findings, captured, summary), summary


def apply_ledger(findings: list[Finding], ledger: list[Suppression], today: dt.date) -> None:
    """Mark each finding with the ledger entry that suppresses it (or that has expired)."""
    for finding in findings:
        active, expired = find_suppression(ledger, finding.policy, finding.urn, today)
        finding.suppression = active
        finding.suppressed = active is not None
        finding.expired_suppression = expired if active is None else None


def settle(findings: list[Finding], ledger: list[Suppression], today: dt.date | None) -> None:
    """Apply the ledger and put the findings in report order."""
    apply_ledger(findings, ledger, today or dt.date.today())
    findings.sort(key=Finding.sort_key)


def judge(subject: Subject, settings: GateSettings, progress: Say | None = None) -> GateResult:
    """The whole gate on one subject. Raises GuardrailsError for bad input (exit 2).

    `progress` is told which phase starts (a status line in a terminal)."""
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    pack = PolicyPackProcess()
    with CheckovAlongside(timings) as checkov_run:
        try:
            pack.start()  # in its own process, while the subject is loaded
            loaded = subject.load(pack, settings, say, timings)
            captured = loaded.capture
            providers = resolve_providers(captured, loaded.provider_config)
            scan = loaded.checkov_scan
            if settings.checkov and scan is not None:
                checkov_run.start(lambda: scan(providers))
            say(f"evaluating {len(captured.resources)} resources with the policy pack")
            start = time.perf_counter()
            if loaded.streamed is not None:
                evaluation = Evaluation(loaded.streamed(captured, providers), [], captured)
            else:
                evaluation = evaluate(pack, captured, settings.policy_config, providers)
            timings["policies"] = time.perf_counter() - start
        finally:
            pack.close()
        findings, checkov_summary = combine_findings(
            captured, evaluation, checkov_run.result(say), loaded.unknown_wording
        )
    settle(findings, settings.ledger, settings.today)
    timings["total"] = time.perf_counter() - began
    return GateResult(
        evaluation.capture,
        findings,
        settings.ledger,
        timings,
        checkov_summary,
        settings.used() | loaded.used,
        None if loaded.live else loaded.summary,
        loaded.summary if loaded.live else None,
    )
