"""`guardrails check --plan FILE`: the gate on a plan another tool wrote, no program run.

read_plan (Terraform or Pulumi JSON -> Capture)        } the pack starts meanwhile
-> PolicyPackProcess: Configure, Analyze x N, AnalyzeStack (the whole catalog)
   | [--checkov: checkov on the Terraform plan itself, or on the exported preview]
-> one finding per problem -> suppressions -> GateResult (same reports, exit codes)
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardrails.tooling.analyzer import PolicyPackProcess, Provider
from guardrails.tooling.findings import Finding, GateResult
from guardrails.tooling.gate import (
    PACK_DIR,
    CheckovAlongside,
    decide,
    evaluate,
    judged,
    load_gate_settings,
    resolve_providers,
)
from guardrails.tooling.plans import PlanFile, read_plan
from guardrails.tooling.record import Capture


def checkov_on_plan(
    plan: PlanFile, providers: dict[str, Provider | None]
) -> tuple[list[Finding], dict[str, Any]]:
    """checkov's findings on the same plan: Terraform's own plan file as it is; a Pulumi
    preview exported as the gate exports a program (unknown values left out, as Terraform
    leaves them out of `planned_values`)."""
    from guardrails.tooling.checkov_scan import scan, scan_plan

    if plan.checkov_plan is not None:
        return scan_plan(plan.checkov_plan, plan.checkov_resources, plan.capture)
    return scan(plan.capture, providers)


def run_plan_gate(
    path: Path,
    *,
    policy_config_path: Path | None = None,
    ledger_path: Path | None = None,
    checkov: bool = False,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> GateResult:
    """The gate on a plan file. Raises GuardrailsError for bad input (exit 2)."""
    say = progress or (lambda _: None)
    policy_config, ledger = load_gate_settings(policy_config_path, ledger_path, checkov)

    timings: dict[str, float] = {}
    began = time.perf_counter()
    pack = PolicyPackProcess(PACK_DIR)
    with CheckovAlongside(timings) as checkov_run:
        try:
            pack.start()  # starts while the plan is read
            say(f"reading {path}")
            plan = read_plan(path)
            capture: Capture = plan.capture
            timings["read"] = time.perf_counter() - began
            providers = resolve_providers(capture, plan.config)
            if checkov:
                checkov_run.start(lambda: checkov_on_plan(plan, providers))
            say(f"evaluating {len(capture.resources)} resources with the policy pack")
            start = time.perf_counter()
            evaluation = evaluate(pack, capture, policy_config, providers)
            timings["policies"] = time.perf_counter() - start
        finally:
            pack.close()
        findings, checkov_summary = judged(capture, evaluation, checkov_run.result(say))

    decide(findings, ledger, today)
    timings["total"] = time.perf_counter() - began
    used = {
        "policyConfig": str(policy_config_path) if policy_config_path else None,
        "suppressions": str(ledger_path) if ledger_path else None,
    }
    return GateResult(
        evaluation.capture, findings, ledger, timings, checkov_summary, used, plan.summary()
    )
