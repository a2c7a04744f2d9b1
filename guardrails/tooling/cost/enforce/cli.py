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

from guardrails.tooling.acting.retry import DEFAULT_TIMEOUT_SECONDS
from guardrails.tooling.cli_options import add_aws_access_options, add_oci_access_options
from guardrails.tooling.cli_support import add_command, seconds
from guardrails.tooling.cost import DEFAULT_STORE
from guardrails.tooling.cost.spend.cli import add_spend_source_arguments

if TYPE_CHECKING:
    from rich.console import Console


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", "-s", required=True, help="stack whose file declares budgets")
    parser.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: found from here up, as pulumi does)",
    )
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
    parser.add_argument(
        "--timeout",
        type=seconds(maximum=86_400),
        default=DEFAULT_TIMEOUT_SECONDS,
        help="seconds all OCI and AWS calls of the run may take, retries included; an "
        "endpoint that does not answer in time is exit 2 naming it",
    )
    add_oci_access_options(parser)


def add_enforce_commands(cost_subparsers: Any) -> None:
    """Register `enforce` and `unfreeze` under `guardrails cost`."""
    enforce = add_command(
        cost_subparsers,
        "enforce",
        help="act on cost centers over their budget alert rules (dry run by default)",
        example=[
            "guardrails cost enforce --stack dev",
            "guardrails cost enforce --stack dev --spend report.json --apply",
        ],
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
    add_aws_access_options(enforce, "AWS access (SNS notifications for AWS budgets)")
    enforce.set_defaults(run=_run_enforce)

    unfreeze = add_command(
        cost_subparsers,
        "unfreeze",
        help="remove the quota policies `cost enforce` created (dry run by default)",
        example="guardrails cost unfreeze --stack dev --cost-center CC-101 --apply",
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


def _guard_outputs(args: argparse.Namespace) -> None:
    """The audit log (and the cost store a report made here writes) against every input."""
    import os

    from guardrails.tooling.acting.audit_trail import ENV_VAR, audit_path
    from guardrails.tooling.oci_auth import DEFAULT_CONFIG
    from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs
    from guardrails.tooling.project import default_program

    chosen = args.audit_log is not None or bool(os.environ.get(ENV_VAR))
    store = getattr(args, "store", None) if getattr(args, "spend", None) is None else None
    outputs = [
        Output(
            "--audit-log" if args.audit_log is not None else "audit log",
            audit_path(args.audit_log),
            REPORT_KINDS["jsonl"],
            what="audit log",
            default=not chosen,
        ),
        Output(
            "--store", store, REPORT_KINDS["duckdb"], "cost store", default=store == DEFAULT_STORE
        ),
    ]
    files = [*(getattr(args, "reports", None) or ()), *(getattr(args, "focus", None) or ())]
    inputs = [
        Input("--spend report", getattr(args, "spend", None)),
        *(Input("cost file", path) for path in files),
        Input("program", args.program or default_program(), program=True),
        Input("OCI config file", (args.oci_config or DEFAULT_CONFIG).expanduser()),
    ]
    guard_outputs(outputs, inputs)


def _acting(args: argparse.Namespace) -> dict[str, Any]:
    """The request fields `cost enforce` and `cost unfreeze` share."""
    from guardrails.tooling.cli_options import oci_access
    from guardrails.tooling.project import default_program

    return {
        "stack": args.stack,
        "program": args.program or default_program(),
        "oci": oci_access(args),
        "apply": args.apply,
        "allow_prod": args.allow_prod,
        "format": args.format,
        "audit_log": args.audit_log,
        "timeout": args.timeout,
    }


def _run_enforce(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.runtime.errors import GuardrailsError
    from guardrails.tooling.cli_options import aws_access
    from guardrails.tooling.cost.enforce.run import EnforceRequest, run_enforce
    from guardrails.tooling.cost.spend.cli import spend_source

    _guard_outputs(args)
    if args.spend is not None and (args.source or args.reports is not None or args.focus):
        raise GuardrailsError("--spend is a finished report: give no --source/--reports/--focus")
    request = EnforceRequest(
        **_acting(args),
        spend=args.spend,
        source=spend_source(args) if args.spend is None else None,
        month=args.month,
        store=args.store,
        aws=aws_access(args),
    )
    return run_enforce(request, out, err)


def _run_unfreeze(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.enforce.run import UnfreezeRequest, run_unfreeze

    _guard_outputs(args)
    request = UnfreezeRequest(**_acting(args), cost_centers=tuple(args.cost_center))
    return run_unfreeze(request, out, err)
