"""`guardrails check`: the gate on a program (`--program`, `--stack`) or on a plan file
(`--plan`). Registering the command imports nothing heavy; the gate is imported when the
command runs. Every input is read and checked, and the settings worked out, here and once,
before the gate starts (`gate_settings`)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_OK, EXIT_VIOLATIONS, add_command
from guardrails.tooling.program.cli import add_program_options, messages_printer


def add_check_command(sub: Any) -> None:
    check = add_command(
        sub,
        "check",
        help="the policy gate: run the program offline and evaluate every resource",
        description="The policy gate: run the program offline (as `guardrails preview`), send "
        "every resource to the guardrails policy pack as the Pulumi engine would, optionally "
        "scan the exported plan with checkov, apply the suppression ledger, and decide.",
        ok="no unsuppressed mandatory violation",
        failed="at least one unsuppressed mandatory violation",
    )
    add_program_options(check)
    check.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        help="Pulumi --policy-pack-config JSON file (default: guardrails-policy-config.json "
        "in the program's folder, else the catalog's levels)",
    )
    check.add_argument(
        "--suppressions",
        type=Path,
        default=None,
        help="suppression ledger (default: guardrails-suppressions.yaml in the program's "
        "folder; for the guardrails project policies/suppressions.yaml)",
    )
    check.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="report format"
    )
    check.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the report to this file (default: the console); the verdict line "
        "still goes to the console",
    )
    check.add_argument(
        "--plan",
        type=Path,
        default=None,
        metavar="FILE",
        help="judge a plan instead of running a program: terraform show -json output, or "
        "pulumi preview --json (with --show-sames for the whole stack)",
    )
    check.add_argument(
        "--checkov", action="store_true", help="also scan the exported plan with checkov"
    )
    check.set_defaults(run=run_check)


def _say_settings(
    err: Console, policy_config: Path | None, ledger: Path | None, extra: str
) -> None:
    err.print(
        f"policy config: {escape(str(policy_config or 'the catalog levels'))}; "
        f"suppressions: {escape(str(ledger or 'none'))}" + extra,
        highlight=False,
        soft_wrap=True,
    )


def run_check(args: argparse.Namespace, out: Console, err: Console) -> int:
    """0 passed, 1 mandatory violations (2: GuardrailsError)."""
    from guardrails.tooling.gate.report import error_report, write
    from guardrails.tooling.textfiles import check_output_path

    if args.output is not None:
        check_output_path(args.output)  # before any work; nothing else can carry the error
    from guardrails.tooling.gate.findings import GateResult
    from guardrails.tooling.gate.settings import gate_settings
    from guardrails.tooling.project import DEFAULT_PROGRAM

    plan: Path | None = args.plan
    program = args.program or DEFAULT_PROGRAM
    name, where = (plan.stem, plan) if plan is not None else (args.stack, program)
    # A status line in a terminal only; logs and pipes get the report alone.
    spinner = err.status("starting", spinner="dots") if err.is_terminal else nullcontext()
    result: GateResult
    try:
        if plan is not None:
            from guardrails.tooling.gate.plan_gate import run_plan_gate

            if args.program is not None:
                raise GuardrailsError("--plan judges a plan file; it takes no --program")
            # The policy config and the ledger default to those of the working folder (the
            # repository the plan was made in), as a program's default to its folder's.
            settings = gate_settings(
                Path.cwd(),
                policy_config=args.policy_config,
                ledger=args.suppressions,
                checkov=args.checkov,
            )
            _say_settings(err, settings.policy_config_path, settings.ledger_path, "")
            with spinner as status:
                result = run_plan_gate(plan, settings, status.update if status else None)
        else:
            from guardrails.tooling.gate.program_gate import run_gate
            from guardrails.tooling.program.preview import load_program

            inputs = load_program(program, args.stack, args.mocks)
            settings = gate_settings(
                inputs.project.root,
                policy_config=args.policy_config,
                ledger=args.suppressions,
                checkov=args.checkov,
            )
            mocks = inputs.mocks_path
            _say_settings(
                err,
                settings.policy_config_path,
                settings.ledger_path,
                f"; data-source answers: {escape(str(mocks))}" if mocks else "",
            )
            with spinner as status:
                result = run_gate(
                    inputs,
                    settings,
                    strict=args.strict,
                    progress=status.update if status is not None else None,
                    on_messages=messages_printer(err, args.verbose),
                )
    except Exception as exc:  # a report in the requested format, whatever went wrong
        text = error_report(exc, args.format, args.output, name, where)
        if text is not None:
            out.file.write(text)
        raise
    write(result, args.format, out, args.output)
    return EXIT_OK if result.passed else EXIT_VIOLATIONS
