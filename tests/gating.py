"""The gate as the `check` command runs it, for tests: read the program, work out the
settings, judge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.gate.pack import Diagnostic, PolicyPackProcess, Provider, encode
from guardrails.tooling.gate.plan_gate import run_plan_gate
from guardrails.tooling.gate.program_gate import run_gate
from guardrails.tooling.gate.settings import gate_settings
from guardrails.tooling.program.preview import load_program
from guardrails.tooling.program.record import CapturedResource


def gate_program(
    program: Path,
    stack: str = "dev",
    *,
    policy_config: Path | None = None,
    ledger: Path | None = None,
    checkov: bool = False,
    stream: bool = True,
    today: dt.date | None = None,
) -> GateResult:
    inputs = load_program(program, stack, None)
    settings = gate_settings(
        inputs.project.root,
        policy_config=policy_config,
        ledger=ledger,
        checkov=checkov,
        today=today,
    )
    return run_gate(inputs, settings, stream=stream)


def gate_plan(
    path: Path,
    *,
    root: Path | None = None,
    policy_config: Path | None = None,
    ledger: Path | None = None,
    checkov: bool = False,
    today: dt.date | None = None,
) -> GateResult:
    settings = gate_settings(
        root or path.parent,
        policy_config=policy_config,
        ledger=ledger,
        checkov=checkov,
        today=today,
    )
    return run_plan_gate(path, settings)


def analyze(
    pack: PolicyPackProcess, resource: CapturedResource, provider: Provider | None = None
) -> list[Diagnostic]:
    """One `Analyze` call, waited for (the gate sends them without waiting)."""
    return pack.analyze_async(encode(resource, provider))()
