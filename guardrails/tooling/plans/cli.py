"""`guardrails check --plan FILE`: the option and its run (the `check` parser lives in
`guardrails.tooling.cli`)."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.markup import escape

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
    """The `check --plan` command: 0 passed, 1 mandatory violations (2: GuardrailsError).

    The policy config and the ledger default to those of the working folder (the
    repository the plan was made in), as `check` defaults to the program folder's."""
    from guardrails.tooling.gate import default_ledger, default_policy_config
    from guardrails.tooling.plans.check import run_plan_gate
    from guardrails.tooling.report import error_report, write

    here = Path.cwd()
    try:
        if args.program is not None:
            raise GuardrailsError("--plan judges a plan file; it takes no --program")
        if args.suppressions is not None and not args.suppressions.is_file():
            raise GuardrailsError(f"{args.suppressions}: suppression ledger not found")
        policy_config = args.policy_config or default_policy_config(here)
        ledger = args.suppressions or default_ledger(here)
        err.print(
            f"policy config: {escape(str(policy_config or 'the catalog levels'))}; "
            f"suppressions: {escape(str(ledger or 'none'))}",
            highlight=False,
            soft_wrap=True,
        )
        spinner = err.status("starting", spinner="dots") if err.is_terminal else nullcontext()
        with spinner as status:
            result = run_plan_gate(
                args.plan,
                policy_config_path=policy_config,
                ledger_path=ledger,
                checkov=args.checkov,
                progress=status.update if status is not None else None,
            )
    except GuardrailsError as exc:
        text = error_report(exc, args.format, args.output, args.plan.stem, args.plan)
        if text is not None:
            out.file.write(text)
        raise
    write(result, args.format, out, args.output)
    return 0 if result.passed else 1
