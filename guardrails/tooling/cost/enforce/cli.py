"""`guardrails cost enforce` and `guardrails cost unfreeze`.

Both are dry runs until `--apply`: they print every step (resource, action, why) and what
they would leave alone and why. `--apply` on a production stack also needs `--allow-prod`
(production resources are never stopped either way). Exit codes: 0 nothing to do or all
done, 1 an action failed (the others were still carried out), 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guardrails.tooling.cli_support import add_command
from guardrails.tooling.cost import DEFAULT_STORE
from guardrails.tooling.cost.spend.cli import add_oci_auth_arguments, add_spend_source_arguments

if TYPE_CHECKING:
    from rich.console import Console


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", "-s", required=True, help="stack whose file declares budgets")
    parser.add_argument("--program", type=Path, default=None, help="folder holding Pulumi.yaml")
    parser.add_argument(
        "--apply", action="store_true", help="make the changes (default: dry run, print the plan)"
    )
    parser.add_argument(
        "--allow-prod",
        action="store_true",
        help="allow --apply on a production stack (production resources are never stopped)",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="JSON-lines audit trail (default: $GUARDRAILS_AUDIT_LOG or ~/.guardrails/audit.jsonl)",
    )
    add_oci_auth_arguments(parser)


def add_enforce_commands(cost_subparsers: Any) -> None:
    """Register `enforce` and `unfreeze` under `guardrails cost`."""
    enforce = add_command(
        cost_subparsers,
        "enforce",
        help="act on cost centers over their budget alert rules (dry run by default)",
        failed="an action failed (the others were still carried out)",
    )
    _add_common(enforce)
    spend = enforce.add_argument_group("spend (default: the cost report from the Usage API)")
    spend.add_argument(
        "--spend",
        type=Path,
        default=None,
        help="a report already made: `guardrails cost report --format json` output",
    )
    add_spend_source_arguments(spend)
    spend.add_argument("--store", type=Path, default=DEFAULT_STORE, help="the cost store")
    spend.add_argument("--month", default=None, help="YYYY-MM (default: this month, UTC)")
    aws_group = enforce.add_argument_group("AWS access (SNS notifications for AWS budgets)")
    aws_group.add_argument("--aws-region", default=None, help="AWS region of the SNS topic")
    aws_group.add_argument("--aws-profile", default=None, help="AWS profile (default: the default)")
    aws_group.add_argument(
        "--aws-endpoint-url", default=None, help="AWS endpoint, e.g. a local emulator"
    )
    enforce.set_defaults(run=_run_enforce)

    unfreeze = add_command(
        cost_subparsers,
        "unfreeze",
        help="remove the quota policies `cost enforce` created (dry run by default)",
        failed="an action failed (the others were still carried out)",
    )
    _add_common(unfreeze)
    unfreeze.add_argument(
        "--cost-center",
        action="append",
        default=[],
        help="only this cost center (repeatable; default: every cost center with freeze)",
    )
    unfreeze.set_defaults(run=_run_unfreeze)


def _run_enforce(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.enforce.run import run_enforce

    return run_enforce(args, out, err)


def _run_unfreeze(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.enforce.run import run_unfreeze

    return run_unfreeze(args, out, err)
