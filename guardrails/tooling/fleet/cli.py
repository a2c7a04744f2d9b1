"""`guardrails fleet ...`: status of a stack's Autonomous Databases, and the lifecycle commands
scale, backup, clone, stop, start and retire.

Lifecycle commands are dry runs unless given `--apply`; they check every argument before any
call, refuse production without `--allow-prod`, wait for the target state with a progress line
and a timeout, and append an audit record when they act. Exit codes: 0 done or nothing to do,
1 an operation or a read failed or timed out (OCI's error code and opc-request-id printed),
2 bad input or refused.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, add_command

ACTIONS = ("scale", "backup", "clone", "stop", "start", "retire")


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise argparse.ArgumentTypeError("must be on or off")
    return value == "on"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    parser.add_argument("--program", type=Path, default=None, help="folder holding Pulumi.yaml")
    auth = parser.add_argument_group("OCI access")
    auth.add_argument("--profile", default="DEFAULT", help="profile in the OCI config file")
    auth.add_argument("--config-file", type=Path, default=None, help="default: ~/.oci/config")
    auth.add_argument(
        "--instance-principal", action="store_true", help="sign in as this OCI instance"
    )
    auth.add_argument("--region", default=None, help="override the profile's region")
    auth.add_argument("--endpoint", default=None, help=argparse.SUPPRESS)


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("db", metavar="DB", help="stack key (e.g. orders) or database OCID")
    parser.add_argument(
        "--apply", action="store_true", help="make the change (default: dry run, print the plan)"
    )
    parser.add_argument(
        "--allow-prod", action="store_true", help="allow acting on a production database"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds to wait for the result (3600)"
    )
    parser.add_argument("--poll-seconds", type=float, default=10, help=argparse.SUPPRESS)
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


ACTION_FAILED = "the operation failed or timed out (with OCI's error code and request id)"


def add_fleet_parser(sub: Any) -> None:
    fleet = add_command(
        sub,
        "fleet",
        help="operate the stack's Autonomous Database fleet",
        description="Operate the stack's Autonomous Database fleet: status, drift and "
        "recommendations, and lifecycle commands that are dry runs until --apply.",
        failed=ACTION_FAILED,
    )
    fleet.set_defaults(run=run_fleet)
    commands = fleet.add_subparsers(dest="fleet_command", required=True, metavar="COMMAND")

    status = add_command(
        commands,
        "status",
        help="state, metrics, drift and recommendations of every database",
        failed="a database or its metrics could not be read",
    )
    status.add_argument("--days", type=int, default=None, help="metrics window (default 7)")
    status.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format"
    )
    status.add_argument("--html", type=Path, default=None, help="also write an HTML report")
    status.add_argument(
        "--all",
        action="store_true",
        dest="include_all",
        help="every database of the compartment; those the stack does not declare are unmanaged",
    )
    _common(status)

    scale = add_command(
        commands, "scale", help="change the ECPU count and/or auto-scaling", failed=ACTION_FAILED
    )
    scale.add_argument("--ecpu", type=float, default=None, help="whole number, at least 2")
    scale.add_argument(
        "--auto-scaling",
        type=_on_off,
        default=None,
        metavar="on|off",
        help="turn compute auto-scaling on or off (bills up to 3x the ECPU count)",
    )
    _acting(scale)

    backup = add_command(
        commands, "backup", help="take a manual or long-term backup", failed=ACTION_FAILED
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
        commands, "clone", help="clone a database (full or metadata)", failed=ACTION_FAILED
    )
    clone.add_argument("--name", required=True, help="the clone's database name")
    clone.add_argument(
        "--type",
        choices=("full", "metadata"),
        default="full",
        dest="clone_type",
        help="a full clone, or the schema without data",
    )
    clone.add_argument("--to-environment", default=None, help="environment tag of the clone")
    clone.add_argument(
        "--admin-secret", default=None, help="Vault secret OCID of the clone's admin password"
    )
    _acting(clone)

    for verb in ("stop", "start"):
        _acting(add_command(commands, verb, help=f"{verb} a database", failed=ACTION_FAILED))
    _acting(
        add_command(
            commands,
            "retire",
            help="final long-term backup, then terminate (never a protected database)",
            failed=ACTION_FAILED,
        )
    )


def _stack(args: argparse.Namespace) -> Any:
    from guardrails.tooling.fleet.inventory import load_fleet_stack
    from guardrails.tooling.project import DEFAULT_PROGRAM

    return load_fleet_stack(args.program or DEFAULT_PROGRAM, args.stack)


def _auth(args: argparse.Namespace) -> Any:
    from guardrails.tooling.fleet.clients import oci_auth

    return oci_auth(
        config_file=args.config_file,
        profile=args.profile,
        instance_principal=args.instance_principal,
        region=args.region,
        endpoint=args.endpoint,
    )


def _read_failure(err: Console, exc: Any) -> int:
    """A read OCI refused: 404 is bad input (exit 2), anything else a failure (exit 1)."""
    where = f"{exc.code}: {exc.message} (opc-request-id {exc.request_id})"
    if exc.status == 404:
        raise GuardrailsError(f"not found: {where}")
    err.print(f"[red]failed[/]: {escape(where)}", highlight=False, soft_wrap=True)
    return EXIT_FAILED


@contextmanager
def _bar(err: Console, text: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (nothing in logs and pipes)."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[progress.description]{text}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(text, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _status(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.fleet.prices import fleet_prices
    from guardrails.tooling.fleet.status import collect_status
    from guardrails.tooling.fleet.status_output import (
        render_html,
        render_json,
        render_markdown,
        render_table,
    )

    stack = _stack(args)
    days = args.days if args.days is not None else stack.fleet.days
    if not 1 <= days <= 90:
        raise GuardrailsError(f"--days {days} is refused: 1 to 90 days")
    auth = _auth(args)
    with _bar(err, "reading metrics and backups") as progress:
        status = collect_status(
            stack,
            auth,
            fleet_prices(),
            days=days,
            include_all=args.include_all,
            now=datetime.now(UTC),
            progress=progress,
        )
    if args.format == "json":
        out.file.write(render_json(status))
    elif args.format == "markdown":
        out.file.write(render_markdown(status))
    else:
        render_table(status, out)
    if args.html is not None:
        try:
            args.html.write_text(render_html(status), encoding="utf-8")
        except OSError as exc:
            raise GuardrailsError(f"{args.html}: cannot write the report: {exc.strerror}") from exc
        err.print(f"HTML report: {escape(str(args.html))}", highlight=False)
    return EXIT_FAILED if status.failed else EXIT_OK


def _check_arguments(args: argparse.Namespace) -> None:
    """Everything that can be refused before a call."""
    from guardrails.tooling.fleet import lifecycle

    if args.fleet_command == "scale":
        if args.ecpu is None and args.auto_scaling is None:
            raise GuardrailsError("scale needs --ecpu N and/or --auto-scaling on|off")
        lifecycle.check_ecpu(args.ecpu)
    elif args.fleet_command == "backup":
        lifecycle.check_retention(args.retention_days, long_term=args.long_term)
    elif args.fleet_command == "clone":
        lifecycle.check_clone_args(args.name, args.to_environment, args.admin_secret)
    if args.timeout <= 0:
        raise GuardrailsError(
            f"--timeout {args.timeout:g} is refused: a positive number of seconds"
        )


def _plan(args: argparse.Namespace, stack: Any, database_client: Any) -> Any:
    from guardrails.tooling.fleet import lifecycle
    from guardrails.tooling.fleet.inventory import list_databases, resolve

    member = resolve(database_client, stack, args.db)
    command = args.fleet_command
    lifecycle.check_allowed(command, member, stack, args.allow_prod)
    now = datetime.now(UTC)
    if command == "scale":
        return lifecycle.plan_scale(stack, member, args.ecpu, args.auto_scaling)
    if command == "backup":
        return lifecycle.plan_backup(stack, member, args.retention_days, args.long_term, now)
    if command == "clone":
        assert member.database is not None
        taken = {
            db.db_name.upper()
            for db in list_databases(database_client, member.database.compartment_id)
            if db.lifecycle_state != "TERMINATED"
        }
        return lifecycle.plan_clone(
            stack,
            member,
            name=args.name,
            clone_type=args.clone_type,
            to_environment=args.to_environment,
            secret_id=args.admin_secret,
            taken_names=taken,
        )
    if command in ("stop", "start"):
        return lifecycle.plan_power(member, command)
    return lifecycle.plan_retire(stack, member, now)


def _progress(err: Console) -> tuple[Any, Callable[[str], None]]:
    """A status line in a terminal; a line per poll otherwise."""
    if err.is_terminal:
        status = err.status("starting", spinner="dots")
        return status, lambda line: status.update(escape(line))
    return nullcontext(), lambda line: err.print(escape(line), highlight=False, soft_wrap=True)


def _act(args: argparse.Namespace, out: Console, err: Console) -> int:
    from oci.exceptions import ServiceError

    from guardrails.tooling.acting.audit_trail import AuditLog, audit_path
    from guardrails.tooling.fleet.executor import INTERRUPTED, FleetExecutor
    from guardrails.tooling.fleet.inventory import check_reference
    from guardrails.tooling.fleet.lifecycle import check_prod_flag
    from guardrails.tooling.fleet.status_output import render_outcome, render_plan

    _check_arguments(args)
    stack = _stack(args)
    check_reference(stack, args.db)
    check_prod_flag(stack, args.db, args.allow_prod)
    log = AuditLog(audit_path(args.audit_log))
    if args.apply:
        log.check_writable()
    auth = _auth(args)
    database_client = auth.database()
    try:
        plan = _plan(args, stack, database_client)
    except ServiceError as exc:
        return _read_failure(err, exc)
    as_json = args.format == "json"
    if not as_json:
        render_plan(plan, out, applied=args.apply)
    if not args.apply or plan.nothing_to_do:
        if as_json:
            out.file.write(json.dumps({"plan": plan.to_json(), "applied": False}, indent=2) + "\n")
        return EXIT_OK
    display, progress = _progress(err)
    executor = FleetExecutor(
        database_client,
        auth.work_requests(),
        timeout_seconds=args.timeout,
        poll_seconds=args.poll_seconds,
        progress=progress,
    )
    with display:
        outcome = executor.execute(plan)
    log.append(
        {
            "command": f"fleet {plan.command}",
            "stack": stack.name,
            "database": plan.ref,
            "database_id": plan.member.database.id,
            "plan": plan.to_json(),
            "outcome": outcome.to_json(),
        },
    )
    if as_json:
        body = {"plan": plan.to_json(), "applied": True, "outcome": outcome.to_json()}
        out.file.write(json.dumps(body, indent=2) + "\n")
    else:
        render_outcome(plan, outcome, out)
    if outcome.status == INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK if outcome.ok else EXIT_FAILED


def run_fleet(args: argparse.Namespace, out: Console, err: Console) -> int:
    from oci.exceptions import ConnectTimeout, RequestException, ServiceError

    try:
        if args.fleet_command == "status":
            try:
                return _status(args, out, err)
            except ServiceError as exc:
                return _read_failure(err, exc)
        return _act(args, out, err)
    except (RequestException, ConnectTimeout) as exc:
        # before any change is sent: the executor turns these into a failed outcome
        raise GuardrailsError(f"cannot reach OCI: {exc}") from exc
