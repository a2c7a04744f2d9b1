"""`guardrails fleet ...`: status of a stack's Autonomous Databases, and the lifecycle commands
scale, backup, clone, stop, start and retire.

Lifecycle commands are dry runs unless given `--apply`; they check every argument before any
call, refuse production without `--allow-prod`, wait for the target state with a progress line
and a timeout, and append an audit record when they act. Exit codes: 0 done or nothing to do,
1 an operation or a read failed or timed out (OCI's error code and opc-request-id printed),
2 bad input or refused, 3 a bug in guardrails, 130 interrupted.

This module reads the command line into typed requests (`fleet/commands.py` runs them);
registering it imports nothing heavy.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.tooling.cli_options import add_oci_access_options, oci_access
from guardrails.tooling.cli_support import add_command, number, seconds

ACTIONS = ("scale", "backup", "clone", "stop", "start", "retire")
ACTION_FAILED = "the operation failed or timed out (with OCI's error code and request id)"
MAX_WAIT_SECONDS = 7 * 86_400


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError("must be on or off")
    return value == "on"


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of days (got {text!r})") from None
    if not 1 <= value <= 90:
        raise argparse.ArgumentTypeError(f"must be 1 to 90 days (got {value})")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", "-s", default="dev", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: found from here up, as pulumi does)",
    )
    add_oci_access_options(parser, aliases=True)
    parser.add_argument("--region", default=None, help="OCI region (default: the profile's)")


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("db", metavar="DB", help="stack key (e.g. orders) or database OCID")
    parser.add_argument(
        "--apply", action="store_true", help="make the change (default: dry run, print the plan)"
    )
    parser.add_argument(
        "--allow-prod", action="store_true", help="allow acting on a production database"
    )
    parser.add_argument(
        "--timeout",
        type=seconds(maximum=MAX_WAIT_SECONDS),
        default=3600,
        help="seconds to wait for the result",
    )
    parser.add_argument(
        "--poll-seconds",
        type=seconds(maximum=3600, allow_zero=True),
        default=10,
        help="seconds between two reads of the operation's state",
    )
    parser.add_argument(
        "--audit-log",
        type=Path,
        default=None,
        help="JSON-lines audit file (default: $GUARDRAILS_AUDIT_LOG or ~/.guardrails/audit.jsonl)",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    _common(parser)


def add_fleet_parser(sub: Any) -> None:
    fleet = add_command(
        sub,
        "fleet",
        help="operate the stack's Autonomous Database fleet",
        description="Operate the stack's Autonomous Database fleet: status, drift and "
        "recommendations, and lifecycle commands that are dry runs until --apply.",
        example=["guardrails fleet status --stack prod", "guardrails fleet stop orders --apply"],
        failed=ACTION_FAILED,
    )
    fleet.set_defaults(run=_run)
    commands = fleet.add_subparsers(dest="fleet_command", required=True, metavar="COMMAND")

    status = add_command(
        commands,
        "status",
        help="state, metrics, drift and recommendations of every database",
        example=[
            "guardrails fleet status --stack prod",
            "guardrails fleet status --stack dev --days 14 --html fleet.html",
        ],
        failed="a database or its metrics could not be read",
    )
    status.add_argument(
        "--days", type=_days, default=None, help="metrics window, 1-90 (default: the stack's, 7)"
    )
    status.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format"
    )
    status.add_argument(
        "--html", type=Path, default=None, help="also write an HTML report to this .html file"
    )
    status.add_argument(
        "--all",
        action="store_true",
        dest="include_all",
        help="every database of the compartment; those the stack does not declare are unmanaged",
    )
    _common(status)

    scale = add_command(
        commands,
        "scale",
        help="change the ECPU count and/or auto-scaling",
        example="guardrails fleet scale orders --ecpu 4 --auto-scaling off --apply",
        failed=ACTION_FAILED,
    )
    scale.add_argument(
        "--ecpu", type=number(minimum=0), default=None, help="whole number, at least 2"
    )
    scale.add_argument(
        "--auto-scaling",
        type=_on_off,
        default=None,
        metavar="on|off",
        help="turn compute auto-scaling on or off (bills up to 3x the ECPU count)",
    )
    _acting(scale)

    backup = add_command(
        commands,
        "backup",
        help="take a manual or long-term backup",
        example=[
            "guardrails fleet backup orders --apply",
            "guardrails fleet backup orders --long-term --retention-days 365 --apply",
        ],
        failed=ACTION_FAILED,
    )
    backup.add_argument(
        "--retention-days",
        type=int,
        default=None,
        help="automatic backups' retention, 1-60; with --long-term the backup's, 90-3650",
    )
    backup.add_argument("--long-term", action="store_true", help="a long-term backup")
    _acting(backup)

    clone = add_command(
        commands,
        "clone",
        help="clone a database (full or metadata)",
        example="guardrails fleet clone orders --name ORDERSQA --to-environment qa --apply",
        failed=ACTION_FAILED,
    )
    clone.add_argument("--name", required=True, help="the clone's database name")
    clone.add_argument(
        "--type",
        choices=("full", "metadata"),
        default="full",
        dest="clone_type",
        help="a full clone, or the schema without data",
    )
    clone.add_argument(
        "--to-environment",
        default=None,
        help="environment tag of the clone (default: the source's)",
    )
    clone.add_argument(
        "--admin-secret",
        default=None,
        help="Vault secret OCID of the clone's admin password (default: the source's "
        "vaultSecretOcid)",
    )
    _acting(clone)

    for verb in ("stop", "start"):
        _acting(
            add_command(
                commands,
                verb,
                help=f"{verb} a database",
                example=f"guardrails fleet {verb} orders --stack dev --apply",
                failed=ACTION_FAILED,
            )
        )
    _acting(
        add_command(
            commands,
            "retire",
            help="final long-term backup, then terminate (never a protected database)",
            example="guardrails fleet retire orders --stack dev --apply",
            failed=ACTION_FAILED,
        )
    )


def fleet_request(args: argparse.Namespace) -> Any:
    """The typed request of a `fleet` command line."""
    from guardrails.tooling.fleet.commands import ActionRequest, FleetTarget, StatusRequest

    target = FleetTarget(oci_access(args), args.stack, args.program, args.region)
    command = args.fleet_command
    if command == "status":
        return StatusRequest(target, args.days, args.format, args.html, args.include_all)
    return ActionRequest(
        target,
        command,
        args.db,
        apply=args.apply,
        allow_prod=args.allow_prod,
        timeout=args.timeout,
        poll_seconds=args.poll_seconds,
        audit_log=args.audit_log,
        format=args.format,
        ecpu=getattr(args, "ecpu", None),
        auto_scaling=getattr(args, "auto_scaling", None),
        retention_days=getattr(args, "retention_days", None),
        long_term=getattr(args, "long_term", False),
        name=getattr(args, "name", None),
        clone_type=getattr(args, "clone_type", "full"),
        to_environment=getattr(args, "to_environment", None),
        admin_secret=getattr(args, "admin_secret", None),
    )


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.fleet.commands import run_fleet

    return run_fleet(fleet_request(args), out, err)
