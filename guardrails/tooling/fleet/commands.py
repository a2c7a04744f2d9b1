"""`guardrails fleet ...` once the command line is read: typed requests in, a report or an
acted plan out.

status: stack file -> output guard (`--html`) -> OCI reads -> table/JSON/Markdown (+ HTML)
act:    argument checks and the prod flag (no call) -> output guard (`--audit-log`) ->
        resolve the database -> plan -> dry run, or --apply: execute, audit record
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.audit_trail import ENV_VAR, audit_path
from guardrails.tooling.cli_support import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from guardrails.tooling.oci_auth import DEFAULT_CONFIG, OciAuth
from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs, write_report
from guardrails.tooling.project import default_program

DAYS = (1, 90)
"""The metrics window `fleet status --days` accepts."""


@dataclass(frozen=True)
class FleetTarget:
    """Which stack's fleet, reached how."""

    auth: OciAuth
    stack: str = "dev"
    program: Path | None = None
    """None: found from the current folder up (`project.default_program`)."""
    region: str | None = None

    @property
    def program_dir(self) -> Path:
        return self.program or default_program()

    def inputs(self) -> list[Input]:
        return [
            Input("program", self.program_dir, program=True),
            Input("OCI config file", (self.auth.config_file or DEFAULT_CONFIG).expanduser()),
        ]


@dataclass(frozen=True)
class StatusRequest:
    target: FleetTarget
    days: int | None = None
    """None: the stack's `guardrails:fleet.days`."""
    format: str = "table"
    html: Path | None = None
    include_all: bool = False


@dataclass(frozen=True)
class ActionRequest:
    """A lifecycle command: `command` on database `db`, with the options of that command."""

    target: FleetTarget
    command: str
    db: str
    apply: bool = False
    allow_prod: bool = False
    timeout: float = 3600
    poll_seconds: float = 10
    audit_log: Path | None = None
    format: str = "table"
    ecpu: float | None = None
    auto_scaling: bool | None = None
    retention_days: int | None = None
    long_term: bool = False
    name: str | None = None
    clone_type: str = "full"
    to_environment: str | None = None
    admin_secret: str | None = None


def _stack(target: FleetTarget) -> Any:
    from guardrails.tooling.fleet.inventory import load_fleet_stack

    return load_fleet_stack(target.program_dir, target.stack)


def _clients(target: FleetTarget, timeout: float | None = None) -> Any:
    from guardrails.tooling.acting.retry import DEFAULT_TIMEOUT_SECONDS
    from guardrails.tooling.fleet.clients import fleet_clients

    return fleet_clients(target.auth, target.region, timeout or DEFAULT_TIMEOUT_SECONDS)


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


def run_status(request: StatusRequest, out: Console, err: Console) -> int:
    """0 every database read, 1 a read failed (GuardrailsError: 2)."""
    from oci.exceptions import ServiceError

    from guardrails.tooling.fleet.prices import fleet_prices
    from guardrails.tooling.fleet.status import collect_status
    from guardrails.tooling.fleet.status_output import (
        render_html,
        render_json,
        render_markdown,
        render_table,
    )

    target = request.target
    html = Output("--html", request.html, REPORT_KINDS["html"], what="HTML report")
    guard_outputs([html], target.inputs())
    stack = _stack(target)
    guard_outputs([html], [*target.inputs(), Input("stack settings file", stack.path)])
    days = request.days if request.days is not None else stack.fleet.days
    if not DAYS[0] <= days <= DAYS[1]:
        raise GuardrailsError(f"--days {days} is refused: {DAYS[0]} to {DAYS[1]} days")
    clients = _clients(target)
    try:
        with _bar(err, "reading metrics and backups") as progress:
            status = collect_status(
                stack,
                clients,
                fleet_prices(),
                days=days,
                include_all=request.include_all,
                now=datetime.now(UTC),
                progress=progress,
            )
    except ServiceError as exc:
        return _read_failure(err, exc)
    if request.format == "json":
        out.file.write(render_json(status))
    elif request.format == "markdown":
        out.file.write(render_markdown(status))
    else:
        render_table(status, out)
    if request.html is not None:
        write_report(request.html, render_html(status), "--html")
        err.print(f"HTML report: {escape(str(request.html))}", highlight=False)
    return EXIT_FAILED if status.failed else EXIT_OK


def _check_arguments(request: ActionRequest) -> None:
    """Everything that can be refused before a call."""
    from guardrails.tooling.fleet import lifecycle

    if request.command == "scale":
        if request.ecpu is None and request.auto_scaling is None:
            raise GuardrailsError("scale needs --ecpu N and/or --auto-scaling on|off")
        lifecycle.check_ecpu(request.ecpu)
    elif request.command == "backup":
        lifecycle.check_retention(request.retention_days, long_term=request.long_term)
    elif request.command == "clone":
        assert request.name is not None  # required by the parser
        lifecycle.check_clone_args(request.name, request.to_environment, request.admin_secret)


def _plan(
    request: ActionRequest,
    stack: Any,
    database_client: Any,
    member: Any,
    final_backup: str | None = None,
) -> Any:
    from guardrails.tooling.acting.production import production_policy
    from guardrails.tooling.fleet import lifecycle
    from guardrails.tooling.fleet.inventory import list_databases

    command = request.command
    policy = production_policy(request.target.program_dir)
    lifecycle.check_allowed(command, member, stack, request.allow_prod, policy)
    now = datetime.now(UTC)
    if command == "scale":
        return lifecycle.plan_scale(stack, member, request.ecpu, request.auto_scaling)
    if command == "backup":
        return lifecycle.plan_backup(stack, member, request.retention_days, request.long_term, now)
    if command == "clone":
        assert member.database is not None and request.name is not None
        lifecycle.check_clone_target(
            request.to_environment or member.database.environment or stack.environment,
            member.database.compartment_id,
            policy,
            request.allow_prod,
        )
        taken = {
            db.db_name.upper()
            for db in list_databases(database_client, member.database.compartment_id)
            if db.lifecycle_state != "TERMINATED"
        }
        return lifecycle.plan_clone(
            stack,
            member,
            name=request.name,
            clone_type=request.clone_type,
            to_environment=request.to_environment,
            secret_id=request.admin_secret,
            taken_names=taken,
        )
    if command in ("stop", "start"):
        return lifecycle.plan_power(member, command)
    return lifecycle.plan_retire(stack, member, now, final_backup)


def _progress(err: Console) -> tuple[Any, Callable[[str], None]]:
    """A status line in a terminal; a line per poll otherwise."""
    if err.is_terminal:
        status = err.status("starting", spinner="dots")
        return status, lambda line: status.update(escape(line))
    return nullcontext(), lambda line: err.print(escape(line), highlight=False, soft_wrap=True)


def _audit_output(request: ActionRequest) -> Output:
    import os

    chosen = request.audit_log is not None or bool(os.environ.get(ENV_VAR))
    flag = (
        "--audit-log"
        if request.audit_log is not None
        else (f"${ENV_VAR}" if chosen else "audit log")
    )
    return Output(
        flag,
        audit_path(request.audit_log),
        REPORT_KINDS["jsonl"],
        what="audit log",
        default=not chosen,
    )


def run_action(request: ActionRequest, out: Console, err: Console) -> int:
    """0 done or nothing to do, 1 failed or timed out, 130 interrupted (GuardrailsError: 2)."""
    from oci.exceptions import ServiceError

    from guardrails.tooling.acting.audit_trail import AuditLog
    from guardrails.tooling.fleet.executor import INTERRUPTED, FleetExecutor
    from guardrails.tooling.fleet.inventory import check_reference, resolve
    from guardrails.tooling.fleet.lifecycle import check_prod_flag
    from guardrails.tooling.fleet.status_output import render_outcome, render_plan

    _check_arguments(request)
    target = request.target
    audit = _audit_output(request)
    guard_outputs([audit], target.inputs())
    stack = _stack(target)
    guard_outputs([audit], [*target.inputs(), Input("stack settings file", stack.path)])
    check_reference(stack, request.db)
    check_prod_flag(stack, request.db, request.allow_prod)
    log = AuditLog(audit_path(request.audit_log))
    if request.apply:
        log.check_writable()
    clients = _clients(target, request.timeout)
    database_client = clients.database()
    try:
        try:
            member = resolve(database_client, stack, request.db)
        except GuardrailsError:
            # a retire killed after its delete: the database is gone, the intent says so
            if _retired_earlier(request, log, database_client, err):
                return EXIT_OK
            raise
        # an earlier, interrupted run's intents are settled from OCI before planning
        earlier = _settle_earlier(request, log, database_client, member, err)
        if earlier.made is not None:  # what this request asks for, an earlier run made
            return EXIT_OK
        plan = _plan(request, stack, database_client, member, earlier.final_backup)
    except ServiceError as exc:
        return _read_failure(err, exc)
    as_json = request.format == "json"
    if not as_json:
        render_plan(plan, out, applied=request.apply)
    if not request.apply or plan.nothing_to_do:
        if as_json:
            out.file.write(json.dumps({"plan": plan.to_json(), "applied": False}, indent=2) + "\n")
        return EXIT_OK
    display, progress = _progress(err)
    executor = FleetExecutor(
        database_client,
        clients.work_requests(),
        timeout_seconds=request.timeout,
        poll_seconds=request.poll_seconds,
        progress=progress,
    )
    # the intent is synced before the first call: a run killed while OCI works leaves a
    # record the next run settles from the database (fleet/reconcile.py)
    intent = log.intent(
        f"fleet {plan.command}",
        plan.command,
        plan.member.database.id,
        stack=stack.name,
        database=plan.ref,
        **_backup_name(plan),
    )
    with display:
        outcome = executor.execute(plan)
    log.outcome(
        intent,
        "done" if outcome.ok else ("failed" if outcome.status == "failed" else "unknown"),
        stack=stack.name,
        database=plan.ref,
        database_id=plan.member.database.id,
        plan=plan.to_json(),
        outcome=outcome.to_json(),
    )
    if as_json:
        body = {"plan": plan.to_json(), "applied": True, "outcome": outcome.to_json()}
        out.file.write(json.dumps(body, indent=2) + "\n")
    else:
        render_outcome(plan, outcome, out)
    if outcome.status == INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_OK if outcome.ok else EXIT_FAILED


def _backup_name(plan: Any) -> dict[str, Any]:
    """What a rerun needs to find what this run makes: the backup's or the clone's name, the
    state a stop or start ends in, the ECPU count and auto scaling a scale sets."""
    found: dict[str, Any] = {}
    for step in plan.steps:
        if step.action in ("stop", "start"):
            found["expect_state"] = step.target_state
        if step.action == "update":
            found |= {
                f"expect_{key}": value
                for key, value in step.request.items()
                if key in ("compute_count", "is_auto_scaling_enabled")
            }
        if step.action == "backup" and step.request.get("display_name"):
            found["backup_name"] = str(step.request["display_name"])
        if step.action == "clone" and step.request.get("display_name"):
            found["clone_name"] = str(step.request["display_name"])
            found["compartment"] = str(step.request.get("compartment_id", ""))
    return found


@dataclass(frozen=True)
class Earlier:
    """What settling an interrupted run found for this request."""

    made: str | None = None
    """What this request asks for, made by the earlier run (its backup, the clone of this
    name, the retired database): this run makes nothing."""
    final_backup: str | None = None
    """A retire's final backup the earlier run took: this run deletes without a second one."""


def _retired_earlier(request: ActionRequest, log: Any, database_client: Any, err: Console) -> bool:
    """With --apply, for retire: an unanswered retire intent on this reference whose database
    is gone is settled done (the killed run's delete went through)."""
    from guardrails.tooling.fleet.reconcile import reconcile

    if not request.apply or request.command != "retire":
        return False
    targets = {
        i.target
        for i in log.unresolved()
        if i.command == "fleet retire" and request.db in (i.target, i.details.get("database"))
    }
    done = False
    for target in sorted(targets):
        for settled in reconcile(log, database_client, target):
            err.print(
                f"earlier run: {settled.intent.command} {request.db}: {settled.status} "
                f"({settled.why})",
                highlight=False,
                soft_wrap=True,
            )
            done = done or (settled.intent.action == "retire" and settled.status == "done")
    return done


def _settle_earlier(
    request: ActionRequest, log: Any, database_client: Any, member: Any, err: Console
) -> Earlier:
    """With --apply: settle the database's unanswered intents first (see `Earlier`)."""
    from guardrails.tooling.fleet.reconcile import reconcile

    if not request.apply or member.database is None:
        return Earlier()
    found = None
    final_backup = None
    for settled in reconcile(log, database_client, member.database.id):
        err.print(
            f"earlier run: {settled.intent.command} {member.label}: {settled.status} "
            f"({settled.why})",
            highlight=False,
            soft_wrap=True,
        )
        same = settled.intent.action == request.command and (
            request.command == "backup"
            or settled.intent.details.get("clone_name") == (request.name or "").lower()
        )
        if settled.created and same:
            found = settled.created
        if settled.intent.action == "retire" == request.command:
            if settled.status == "done":
                found = member.database.id
            final_backup = settled.final_backup or final_backup
    if found is not None:
        err.print(f"not making it again: {found} is what this request asks for", highlight=False)
    return Earlier(found, final_backup)


def run_fleet(request: StatusRequest | ActionRequest, out: Console, err: Console) -> int:
    from oci.exceptions import ConnectTimeout, RequestException

    try:
        if isinstance(request, StatusRequest):
            return run_status(request, out, err)
        return run_action(request, out, err)
    except (RequestException, ConnectTimeout) as exc:
        # before any change is sent: the executor turns these into a failed outcome
        raise GuardrailsError(f"cannot reach OCI: {exc}") from exc
