"""`guardrails cost enforce` and `guardrails cost unfreeze`.

Both are dry runs until `--apply`: they print every step (resource, action, why) and what
they would leave alone and why. `--apply` on a production stack also needs `--allow-prod`
(production resources are never stopped either way). Exit codes: 0 nothing to do or all
done, 1 an action failed (the others were still carried out), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import StackConfig, parse_stack_config
from guardrails.tooling.cost.audit import DEFAULT_AUDIT_LOG, AuditLog
from guardrails.tooling.cost.enforce import (
    EnforcementSettings,
    Step,
    breaches,
    execute,
    plan,
    plan_unfreeze,
    settings_from_stack,
)
from guardrails.tooling.cost.spend_status import SpendStatus, check_known, read_spend_file

EXIT_OK = 0
EXIT_FAILED = 1
DEFAULT_PROGRAM = Path(__file__).resolve().parents[3]
COLUMNS = ("cost_center", "action", "resource", "name", "type", "why", "outcome", "detail")


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
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=DEFAULT_AUDIT_LOG,
        help=f"JSON-lines audit trail (default: {DEFAULT_AUDIT_LOG})",
    )
    oci_group = parser.add_argument_group("OCI access")
    oci_group.add_argument(
        "--auth", choices=("api_key", "instance_principal", "resource_principal"), default="api_key"
    )
    oci_group.add_argument("--config-file", type=Path, default=None, help="default ~/.oci/config")
    oci_group.add_argument("--profile", default="DEFAULT", help="OCI config profile")
    oci_group.add_argument(
        "--oci-endpoint", default=None, help="one endpoint for every OCI service (a local fake)"
    )


def add_enforce_commands(cost_subparsers: Any) -> None:
    """Register `enforce` and `unfreeze` under `guardrails cost`."""
    enforce = cost_subparsers.add_parser(
        "enforce", help="act on cost centers over their budget alert rules (dry run by default)"
    )
    _add_common(enforce)
    enforce.add_argument(
        "--spend",
        type=Path,
        default=None,
        help="cost report JSON (`guardrails cost report --format json`) to enforce",
    )
    enforce.add_argument("--month", default=None, help="YYYY-MM (default: the report's month)")
    aws_group = enforce.add_argument_group("AWS access (SNS notifications for AWS budgets)")
    aws_group.add_argument("--aws-region", default=None)
    aws_group.add_argument("--aws-profile", default=None)
    aws_group.add_argument("--aws-endpoint-url", default=None)
    enforce.set_defaults(run=run_enforce)

    unfreeze = cost_subparsers.add_parser(
        "unfreeze", help="remove the quota policies `cost enforce` created (dry run by default)"
    )
    _add_common(unfreeze)
    unfreeze.add_argument(
        "--cost-center",
        action="append",
        default=[],
        help="only this cost center (repeatable; default: every cost center with freeze)",
    )
    unfreeze.set_defaults(run=run_unfreeze)


def load_stack_config(program: Path | None, stack: str) -> StackConfig:
    from guardrails.tooling.project import load_project, load_stack_settings

    project = load_project(program or DEFAULT_PROGRAM)
    settings = load_stack_settings(project, stack)
    return parse_stack_config(settings.config, set(settings.secret_keys))


def _settings(args: argparse.Namespace) -> tuple[StackConfig, EnforcementSettings]:
    cfg = load_stack_config(args.program, args.stack)
    settings = settings_from_stack(args.stack, cfg)
    if settings is None:
        raise GuardrailsError(
            f"stack {args.stack} has no guardrails:costEnforcement block: no action is allowed"
        )
    if args.apply and settings.production and not args.allow_prod:
        raise GuardrailsError(
            f"stack {args.stack} is a production stack ({cfg.environment}): add --allow-prod "
            "to --apply (production resources are never stopped either way)"
        )
    return cfg, settings


def load_spend(args: argparse.Namespace, cfg: StackConfig) -> tuple[str, list[SpendStatus]]:
    """The month and statuses to enforce.

    Adapter to the cost report: today the report's JSON file (`--spend`); the integrator
    wires the in-process report here (see the README, Cost governance).
    """
    if cfg.budgets is None:
        raise GuardrailsError(f"stack {args.stack} declares no guardrails:budgets")
    if args.spend is None:
        raise GuardrailsError(
            "no spend to enforce: pass --spend FILE, the JSON of "
            f"`guardrails cost report --stack {args.stack} --format json`"
        )
    month, statuses = read_spend_file(args.spend)
    check_known(statuses, cfg.governance.costCenters, str(args.spend))
    month = args.month or month or datetime.now(UTC).strftime("%Y-%m")
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        raise GuardrailsError(f"--month must read YYYY-MM (got {month!r})")
    return month, statuses


def _access(args: argparse.Namespace) -> Any:
    from guardrails.tooling.cost.actions import oci_access

    return oci_access(args.auth, args.config_file, args.profile, args.oci_endpoint)


def _aws_client(args: argparse.Namespace) -> Any:
    def make() -> Any:
        import boto3

        session = boto3.Session(profile_name=args.aws_profile, region_name=args.aws_region)
        kwargs = {"endpoint_url": args.aws_endpoint_url} if args.aws_endpoint_url else {}
        return session.client("sns", **kwargs)

    return make


def _finish(
    steps: Sequence[Step], args: argparse.Namespace, out: Console, title: str, extra: Any = None
) -> int:
    from guardrails.tooling.layer_ops.console import print_rows

    rows = [step.row() for step in steps]
    failed = sum(1 for r in rows if r["outcome"] == "failed")
    mode = "applied" if args.apply else "dry run: nothing changed; add --apply to do this"
    if args.format == "json":
        document = {"stack": args.stack, "applied": args.apply, "steps": rows, **(extra or {})}
        out.file.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    elif not rows:
        out.print(f"{title}: nothing to do", highlight=False)
    else:
        print_rows(rows, COLUMNS, "table", out, title=f"{title}: {mode}")
        if failed:
            out.print(f"{failed} action(s) failed; see the detail column", highlight=False)
    return EXIT_FAILED if failed else EXIT_OK


def run_enforce(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.actions import CloudRemediator, OciInventory, describe_error

    cfg, settings = _settings(args)
    month, statuses = load_spend(args, cfg)
    found = breaches(statuses, settings.rules)
    title = f"cost enforce {args.stack} {month}"
    if not found:
        return _finish([], args, out, title, {"month": month})
    access = _access(args)
    audit = AuditLog(args.audit_log)
    inventory = OciInventory(access, settings.tenancy)
    notified = audit.notified(args.stack, month)
    with err.status("planning", spinner="dots") if err.is_terminal else _nothing():
        steps = _reading(lambda: plan(found, settings, inventory, month=month, notified=notified))
    if args.apply:
        remediator = CloudRemediator(
            access,
            tenancy=settings.tenancy,
            compartment=settings.compartment,
            slack_secret=settings.config.slackWebhookSecretOcid,
            aws_client=_aws_client(args),
        )
        steps = execute(
            steps,
            remediator,
            settings,
            audit,
            month=month,
            now=lambda: datetime.now(UTC),
            describe_error=describe_error,
        )
    return _finish(steps, args, out, title, {"month": month})


def run_unfreeze(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.actions import CloudRemediator, OciInventory, describe_error

    _, settings = _settings(args)
    unknown = [cc for cc in args.cost_center if cc not in settings.config.costCenters]
    if unknown:
        raise GuardrailsError(
            f"--cost-center {unknown[0]!r} is not in costEnforcement.costCenters "
            f"({', '.join(settings.config.costCenters)})"
        )
    access = _access(args)
    inventory = OciInventory(access, settings.tenancy)
    steps = _reading(lambda: plan_unfreeze(settings, inventory, args.cost_center))
    if args.apply:
        remediator = CloudRemediator(
            access, tenancy=settings.tenancy, compartment=settings.compartment
        )
        steps = execute(
            steps,
            remediator,
            settings,
            AuditLog(args.audit_log),
            month=datetime.now(UTC).strftime("%Y-%m"),
            now=lambda: datetime.now(UTC),
            describe_error=describe_error,
        )
    return _finish(steps, args, out, f"cost unfreeze {args.stack}")


def _reading(read: Callable[[], list[Step]]) -> list[Step]:
    """Run the read-only planning calls; a service error there means the run cannot start."""
    from guardrails.tooling.cost.actions import describe_error

    try:
        return read()
    except Exception as exc:
        reason = describe_error(exc)
        if reason is None:
            raise
        raise GuardrailsError(f"reading the tenancy failed, nothing was changed: {reason}") from exc


def _nothing() -> Any:
    from contextlib import nullcontext

    return nullcontext()
