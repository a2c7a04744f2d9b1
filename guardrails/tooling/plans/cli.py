"""`guardrails check --plan FILE`: the option and its run (the `check` parser lives in
`guardrails.tooling.cli`)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError


def add_plan_option(check: argparse.ArgumentParser) -> None:
    check.add_argument(
        "--plan",
        type=Path,
        default=None,
        metavar="FILE",
        help="judge a plan instead of running a program: terraform show -json output, or "
        "pulumi preview --json (with --show-sames for the whole stack)",
    )


def run_plan_check(args: argparse.Namespace, out: Console, err: Console) -> int:
    """The `check --plan` command: 0 passed, 1 mandatory violations (2: GuardrailsError)."""
    from guardrails.tooling.gate import DEFAULT_LEDGER
    from guardrails.tooling.plans.check import run_plan_gate
    from guardrails.tooling.report import write

    if args.program is not None:
        raise GuardrailsError("--plan judges a plan file; it takes no --program")
    with err.status("starting", spinner="dots") if err.is_terminal else nullcontext() as status:
        result = run_plan_gate(
            args.plan,
            policy_config_path=args.policy_config,
            ledger_path=args.suppressions or DEFAULT_LEDGER,
            checkov=args.checkov,
            progress=status.update if status is not None else None,
        )
    write(result, args.format, out, args.output)
    return 0 if result.passed else 1
