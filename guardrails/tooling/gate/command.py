"""`guardrails check` once its command line is read: a `CheckRequest` -> inputs read and
checked, outputs guarded, the gate run once, every report asked for written from that run.

Order, so that nothing is written over an input and nothing expensive runs on bad input:
outputs against what the command line names (and the program's folder) -> the program's
project, stack and mocks files, the policy config and the ledger -> outputs again against
every file those name -> the gate -> the reports (atomic writes). When the gate cannot run,
each JSON or SARIF report still gets written, carrying the error, unless the output itself
was refused.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from guardrails.tooling.cli_support import EXIT_OK, EXIT_VIOLATIONS
from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.gate.report import (
    ReportTarget,
    report_outputs,
    write_error_reports,
    write_reports,
)
from guardrails.tooling.gate.settings import GateSettings, gate_settings
from guardrails.tooling.outputs import Input, OutputRefused, guard_outputs
from guardrails.tooling.project import default_program


@dataclass(frozen=True)
class CheckRequest:
    """What `guardrails check` was asked to do."""

    reports: tuple[ReportTarget, ...]
    """The first goes to the console unless it has a path; each is written from one run."""
    plan: Path | None = None
    program: Path | None = None
    """None: found from the current folder up (`project.default_program`)."""
    stack: str = "dev"
    mocks: Path | None = None
    strict: bool = False
    verbose: bool = False
    policy_config: Path | None = None
    suppressions: Path | None = None
    checkov: bool = False

    @property
    def program_dir(self) -> Path:
        return self.program or default_program()


def _named_inputs(request: CheckRequest) -> list[Input]:
    named = [
        Input("policy config", request.policy_config),
        Input("suppression ledger", request.suppressions),
    ]
    if request.plan is not None:
        return [Input("plan file", request.plan), *named]
    return [
        Input("program", request.program, program=True),  # the default: once it is found
        Input("data-source answers file", request.mocks),
        *named,
    ]


def _settings_inputs(settings: GateSettings) -> list[Input]:
    return [
        Input("policy config", settings.policy_config_path),
        Input("suppression ledger", settings.ledger_path),
    ]


def _say_settings(err: Console, settings: GateSettings, extra: str) -> None:
    err.print(
        f"policy config: {escape(str(settings.policy_config_path or 'the catalog levels'))}; "
        f"suppressions: {escape(str(settings.ledger_path or 'none'))}" + extra,
        highlight=False,
        soft_wrap=True,
    )


def run_check(request: CheckRequest, out: Console, err: Console) -> int:
    """0 passed, 1 mandatory violations (GuardrailsError: 2)."""
    outputs = report_outputs(request.reports)
    guard_outputs(outputs, _named_inputs(request))  # nothing else could carry this error
    name, where = (
        (request.plan.stem, request.plan)
        if request.plan is not None
        else (request.stack, request.program or Path.cwd())
    )
    # A status line in a terminal only; logs and pipes get the report alone.
    spinner = err.status("starting", spinner="dots") if err.is_terminal else nullcontext()
    result: GateResult
    try:
        if request.plan is not None:
            from guardrails.tooling.gate.plan_gate import run_plan_gate

            # The policy config and the ledger default to those of the working folder (the
            # repository the plan was made in), as a program's default to its folder's.
            settings = gate_settings(
                Path.cwd(),
                policy_config=request.policy_config,
                ledger=request.suppressions,
                checkov=request.checkov,
            )
            guard_outputs(outputs, [*_named_inputs(request), *_settings_inputs(settings)])
            _say_settings(err, settings, "")
            with spinner as status:
                result = run_plan_gate(request.plan, settings, status.update if status else None)
        else:
            from guardrails.tooling.gate.program_gate import run_gate
            from guardrails.tooling.program.preview import load_program, messages_printer

            inputs = load_program(request.program_dir, request.stack, request.mocks)
            settings = gate_settings(
                inputs.project.root,
                policy_config=request.policy_config,
                ledger=request.suppressions,
                checkov=request.checkov,
            )
            guard_outputs(outputs, [*inputs.files(), *_settings_inputs(settings)])
            mocks = inputs.mocks_path
            _say_settings(
                err, settings, f"; data-source answers: {escape(str(mocks))}" if mocks else ""
            )
            with spinner as status:
                result = run_gate(
                    inputs,
                    settings,
                    strict=request.strict,
                    progress=status.update if status is not None else None,
                    on_messages=messages_printer(err, request.verbose),
                )
    except Exception as exc:  # a report in each requested format, whatever went wrong
        if not isinstance(exc, OutputRefused):
            write_error_reports(exc, request.reports, out, name, where)
        raise
    write_reports(result, request.reports, out)
    return EXIT_OK if result.passed else EXIT_VIOLATIONS
