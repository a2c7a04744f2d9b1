"""The gate on a plan another tool wrote (`guardrails check --plan FILE`), no program run:
the plan read into the capture record while the pack starts; checkov scans the Terraform
plan itself, or a Pulumi preview exported as the gate exports a program."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from guardrails.tooling.gate.core import CheckovResult, Loaded, Say, judge
from guardrails.tooling.gate.diagnostics import PREVIEW_UNKNOWN, TERRAFORM_UNKNOWN
from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.gate.pack import PolicyPackProcess, Provider
from guardrails.tooling.gate.settings import GateSettings
from guardrails.tooling.plans import PlanFile, read_plan


def checkov_on_plan(plan: PlanFile, providers: dict[str, Provider | None]) -> CheckovResult:
    """checkov's findings on the same plan: Terraform's own plan file as it is; a Pulumi
    preview exported as the gate exports a program (unknown values left out, as Terraform
    leaves them out of `planned_values`)."""
    from guardrails.tooling.gate.checkov_run import scan, scan_plan

    if plan.checkov_plan is not None:
        return scan_plan(plan.checkov_plan, plan.checkov_resources, plan.capture)
    return scan(plan.capture, providers)


@dataclass
class PlanSubject:
    """A plan file, read when the gate loads it."""

    path: Path

    def load(
        self, pack: PolicyPackProcess, settings: GateSettings, say: Say, timings: dict[str, float]
    ) -> Loaded:
        start = time.perf_counter()
        say(f"reading {self.path}")
        plan = read_plan(self.path)
        timings["read"] = time.perf_counter() - start
        return Loaded(
            plan.capture,
            plan.config,
            checkov_scan=lambda providers: checkov_on_plan(plan, providers),
            summary=plan.summary(),
            unknown_wording=TERRAFORM_UNKNOWN if plan.tool == "terraform" else PREVIEW_UNKNOWN,
        )


def run_plan_gate(path: Path, settings: GateSettings, progress: Say | None = None) -> GateResult:
    """The gate on a plan file. Raises GuardrailsError for bad input (exit 2)."""
    return judge(PlanSubject(path), settings, progress)
