"""`guardrails check`: the gate on a program (`--program`, `--stack`) or on a plan file
(`--plan`). This module reads the command line into a `CheckRequest` (refusing options that
would be ignored); `gate/command.py` runs it. Registering the command imports nothing heavy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import add_command
from guardrails.tooling.program.cli import add_program_options, program_options_given

FORMATS = ("text", "json", "sarif")


def add_report_outputs(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    """`--output-<format> FILE` for each format: several reports from one run."""
    for fmt in formats:
        parser.add_argument(
            f"--output-{fmt}",
            type=Path,
            default=None,
            metavar="FILE",
            help=f"also write the {fmt.upper() if fmt == 'sarif' else fmt} report to FILE "
            "(from the same run)",
        )


def report_targets(args: argparse.Namespace, formats: tuple[str, ...]) -> tuple[Any, ...]:
    """The reports asked for: `--format`/`--output` first, then each `--output-<format>`."""
    from guardrails.tooling.gate.report import ReportTarget

    reports = [ReportTarget(args.format, args.output, "--output")]
    reports += [
        ReportTarget(fmt, getattr(args, f"output_{fmt}"), f"--output-{fmt}")
        for fmt in formats
        if getattr(args, f"output_{fmt}") is not None
    ]
    return tuple(reports)


def add_check_command(sub: Any) -> None:
    check = add_command(
        sub,
        "check",
        help="the policy gate: run the program offline and evaluate every resource",
        description="The policy gate: run the program offline (as `guardrails preview`), send "
        "every resource to the guardrails policy pack as the Pulumi engine would, optionally "
        "scan the exported plan with checkov, apply the suppression ledger, and decide. One "
        "run writes every report asked for (--output-sarif, --output-json, --output-text).",
        example=[
            "guardrails check --stack prod --checkov",
            "guardrails check --stack dev --output-sarif gate.sarif --output-text gate.txt",
            "guardrails check --plan plan.json --format json",
        ],
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
        "--format",
        choices=FORMATS,
        default="text",
        help="format of the console (or --output) report",
    )
    check.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the --format report to this file instead of the console; the verdict "
        "line still goes to the console",
    )
    add_report_outputs(check, FORMATS)
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
    check.set_defaults(run=_run)


def check_request(args: argparse.Namespace) -> Any:
    """The request `args` describe; GuardrailsError for options that would be ignored."""
    from guardrails.tooling.gate.command import CheckRequest

    if args.plan is not None:
        given = program_options_given(args)
        if given:
            raise GuardrailsError(
                f"--plan judges a plan file; {', '.join(given)} "
                f"{'applies' if len(given) == 1 else 'apply'} to a program run"
            )
    return CheckRequest(
        reports=report_targets(args, FORMATS),
        plan=args.plan,
        program=args.program,
        stack=args.stack or "dev",
        mocks=args.mocks,
        strict=args.strict,
        verbose=args.verbose,
        policy_config=args.policy_config,
        suppressions=args.suppressions,
        checkov=args.checkov,
    )


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.gate.command import run_check

    return run_check(check_request(args), out, err)
