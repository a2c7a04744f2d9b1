"""Plans for the lifecycle commands: scale, backup, clone, stop, start, retire.

Planning is pure: arguments are checked before any call (`check_*`), the resolved database
is checked against production, protection and its lifecycle state (`check_allowed`), and a
`Plan` lists exactly the requests `executor.py` will send, so a dry run prints what `--apply`
would do. A change to something the stack file declares (ECPU, auto-scaling, retention)
carries the stack-file edit to make, so the next `pulumi up` does not undo it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guardrails.runtime.adb_rules import (
    MAX_LONG_TERM_DAYS,
    MAX_RETENTION_DAYS,
    MIN_LONG_TERM_DAYS,
    MIN_RETENTION_DAYS,
    ecpu_problem,
)
from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.limits import DB_NAME, ENVIRONMENTS
from guardrails.runtime.tag_keys import COST_ALERTED_KEY, ENVIRONMENT_KEY
from guardrails.runtime.validation import is_ocid
from guardrails.tooling.acting.production import ProductionPolicy
from guardrails.tooling.fleet.inventory import FleetMember, FleetStack

COMMANDS = ("scale", "backup", "clone", "stop", "start", "retire")
CLONE_TYPES = {"full": "FULL", "metadata": "METADATA"}
FINAL_BACKUP_DAYS = MIN_LONG_TERM_DAYS
UNDER_WAY: dict[str, tuple[str, ...]] = {
    "update": ("SCALE_IN_PROGRESS", "UPDATING"),
    "stop": ("STOPPING", "STOPPED"),
    "start": ("STARTING", "AVAILABLE"),
    "delete": ("TERMINATING", "TERMINATED"),
}
"""A step's action -> the database states that show it made (under way or done): what a
lost answer (executor) and an interrupted run (reconcile) are read back against."""
"""Retire's final backup is long-term: automatic and manual backups go with the database."""

# Lifecycle state each command starts from (anything else is refused, naming the state).
REQUIRED_STATE = {
    "scale": ("AVAILABLE",),
    "backup": ("AVAILABLE",),
    "clone": ("AVAILABLE",),
    "stop": ("AVAILABLE", "STOPPED"),
    "start": ("AVAILABLE", "STOPPED"),
    "retire": ("AVAILABLE",),
}


@dataclass(frozen=True)
class Step:
    """One request and the state that ends it."""

    action: str
    """update | backup | clone | stop | start | delete"""
    summary: str
    target_state: str
    request: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the SDK details model (or of the call) for this step."""


@dataclass(frozen=True)
class Plan:
    command: str
    ref: str
    member: FleetMember
    steps: tuple[Step, ...] = ()
    stack_change: str | None = None
    """The stack-file edit that keeps `pulumi up` from undoing this change."""
    notes: tuple[str, ...] = ()

    @property
    def nothing_to_do(self) -> bool:
        return not self.steps

    def to_json(self) -> dict[str, Any]:
        db = self.member.database
        return {
            "command": self.command,
            "database": self.ref,
            "id": db.id if db else None,
            "state": db.lifecycle_state if db else None,
            "steps": [
                {
                    "action": s.action,
                    "summary": s.summary,
                    "target_state": s.target_state,
                    "request": s.request,
                }
                for s in self.steps
            ],
            "stack_change": self.stack_change,
            "notes": list(self.notes),
        }


# --- argument checks: no call is made before these pass ------------------------------------


def check_ecpu(value: float | None) -> None:
    if value is not None and (problem := ecpu_problem(value)):
        raise GuardrailsError(f"--ecpu {value:g} is refused: {problem}")


def check_retention(days: int | None, *, long_term: bool) -> None:
    if long_term:
        if days is None:
            raise GuardrailsError(
                f"--long-term needs --retention-days ({MIN_LONG_TERM_DAYS} to "
                f"{MAX_LONG_TERM_DAYS} days)"
            )
        if not MIN_LONG_TERM_DAYS <= days <= MAX_LONG_TERM_DAYS:
            raise GuardrailsError(
                f"--retention-days {days} is refused: long-term backups keep "
                f"{MIN_LONG_TERM_DAYS} to {MAX_LONG_TERM_DAYS} days"
            )
        return
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise GuardrailsError(
            f"--retention-days {days} is refused: automatic backups are kept "
            f"{MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days; for longer, take a "
            f"--long-term backup ({MIN_LONG_TERM_DAYS} to {MAX_LONG_TERM_DAYS} days)"
        )


def check_clone_args(name: str, environment: str | None, secret_id: str | None) -> None:
    if not DB_NAME.matches(name):
        raise GuardrailsError(
            f"--name {name!r} is refused: a database name starts with a letter and holds "
            "at most 30 letters or digits"
        )
    if environment is not None and environment not in ENVIRONMENTS:
        raise GuardrailsError(
            f"--to-environment {environment!r} is refused: one of {', '.join(ENVIRONMENTS)}"
        )
    if secret_id is not None and not is_ocid(secret_id, "vaultsecret"):
        raise GuardrailsError(f"--admin-secret {secret_id!r} is not a Vault secret OCID")


CREATED_BY = "guardrails-created"
"""Freeform tag a fleet clone carries: what the tool created, it may retire (with
--allow-prod when the clone is production)."""


def production_reason(
    member: FleetMember, stack: FleetStack, policy: ProductionPolicy
) -> str | None:
    """Why the database is production (the one production guard), or None: declared by a
    production stack, its environment tag (a database in the stack's compartment without one
    has the stack's environment) or a production compartment."""
    db = member.database
    if member.managed and stack.protected:
        return f"declared by production stack {stack.name}"
    tagged = db.environment if db and db.environment else None
    return policy.reason(
        environment=tagged or stack.environment,
        compartment=db.compartment_id if db else None,
    )


def is_production(member: FleetMember, stack: FleetStack, policy: ProductionPolicy) -> bool:
    return production_reason(member, stack, policy) is not None


def created_by_guardrails(member: FleetMember) -> bool:
    db = member.database
    return db is not None and not member.managed and CREATED_BY in db.freeform_tags


def check_clone_target(
    environment: str, compartment: str, policy: ProductionPolicy, allow_prod: bool
) -> None:
    """Creating a production database needs --allow-prod, as acting on one does."""
    if allow_prod:
        return
    if policy.is_production_environment(environment) or compartment in policy.compartments:
        raise GuardrailsError(
            f"the clone would be a production database ({environment} in {compartment}); "
            "add --allow-prod to create it"
        )


def check_prod_flag(stack: FleetStack, reference: str, allow_prod: bool) -> None:
    """Before any call: a production stack's declared database needs --allow-prod."""
    if not allow_prod and reference in stack.databases and stack.protected:
        raise GuardrailsError(
            f"{reference} is a production database (stack {stack.name}); add --allow-prod "
            "to operate on it"
        )


def check_allowed(
    command: str,
    member: FleetMember,
    stack: FleetStack,
    allow_prod: bool,
    policy: ProductionPolicy | None = None,
) -> None:
    """Refuse production without the flag, a protected database for retire (unless the tool
    created it), and any database in a state the command cannot start from."""
    db = member.database
    assert db is not None
    label = member.label
    production = production_reason(member, stack, policy or ProductionPolicy())
    if command == "retire" and production and not created_by_guardrails(member):
        raise GuardrailsError(
            f"{label} is protected ({production}; AutonomousDatabaseFleet protects production "
            "databases): retire refuses it, even with --allow-prod"
        )
    if production and not allow_prod:
        raise GuardrailsError(
            f"{label} is a production database ({production}); add --allow-prod to {command} it"
        )
    if db.transitional:
        raise GuardrailsError(
            f"{label} is {db.lifecycle_state}: OCI is busy with it; try again when it is "
            "AVAILABLE or STOPPED"
        )
    if command == "scale" and db.compute_model != "ECPU":
        raise GuardrailsError(
            f"{label} uses the {db.compute_model} compute model; fleet scale sets ECPU counts "
            "(move it to ECPU first: OCPU is being retired)"
        )
    if db.lifecycle_state not in REQUIRED_STATE[command]:
        wanted = " or ".join(REQUIRED_STATE[command])
        raise GuardrailsError(f"{label} is {db.lifecycle_state}; {command} needs it {wanted}")


# --- plans ---------------------------------------------------------------------------------


def _stack_edit(stack: FleetStack, member: FleetMember, changes: dict[str, tuple[Any, Any]]) -> str:
    """The YAML to write under `guardrails:databases.<key>` in the stack file."""
    lines = [f"# {stack.path.name}, under guardrails:databases.{member.key}:"]
    for setting, (new, old) in changes.items():
        lines.append(f"    {setting}: {_yaml(new)}    # was {_yaml(old)}")
    return "\n".join(lines)


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _declared_changes(
    stack: FleetStack, member: FleetMember, changes: dict[str, tuple[Any, Any]]
) -> tuple[str | None, tuple[str, ...]]:
    """Stack-file edit and notes for settings a command changes."""
    if not changes:
        return None, ()
    if not member.managed:
        return None, (
            f"{member.label} is not declared in {stack.path.name}: nothing to keep in sync",
        )
    edit = _stack_edit(stack, member, changes)
    return edit, (
        f"this changes what {stack.path.name} declares: make the edit below, or the next "
        "`pulumi up` sets it back",
    )


def plan_scale(
    stack: FleetStack, member: FleetMember, ecpu: float | None, auto_scaling: bool | None
) -> Plan:
    db = member.database
    assert db is not None
    request: dict[str, Any] = {}
    changes: dict[str, tuple[Any, Any]] = {}
    declared = member.declared
    # what the stack file says, or (undeclared) what runs: the edit compares against it
    stack_ecpu = declared.computeCount if declared else db.ecpu
    stack_auto = declared.autoScaling if declared else db.auto_scaling
    if ecpu is not None and float(ecpu) != db.ecpu:
        request["compute_count"] = float(ecpu)
    if ecpu is not None and float(ecpu) != stack_ecpu:
        changes["computeCount"] = (int(ecpu), stack_ecpu)
    if auto_scaling is not None and auto_scaling != db.auto_scaling:
        request["is_auto_scaling_enabled"] = auto_scaling
    if auto_scaling is not None and auto_scaling != stack_auto:
        changes["autoScaling"] = (auto_scaling, stack_auto)
    edit, notes = _declared_changes(stack, member, changes)
    if not request:
        return Plan(
            "scale",
            member.label,
            member,
            stack_change=edit,
            notes=(f"nothing to do: {member.label} already runs that way", *notes),
        )
    parts = []
    if "compute_count" in request:
        parts.append(f"ECPU {db.ecpu:g} -> {request['compute_count']:g}")
    if "is_auto_scaling_enabled" in request:
        parts.append(f"auto-scaling {'on' if auto_scaling else 'off'}")
    step = Step("update", f"scale {member.label}: {', '.join(parts)}", "AVAILABLE", request)
    return Plan("scale", member.label, member, (step,), edit, notes)


def _backup_name(db_name: str, now: datetime, prefix: str) -> str:
    return f"{prefix}-{db_name.lower()}-{now:%Y%m%d-%H%M%S}"


def _backup_step(member: FleetMember, now: datetime, days: int | None, long_term: bool) -> Step:
    db = member.database
    assert db is not None
    request: dict[str, Any] = {
        "autonomous_database_id": db.id,
        "display_name": _backup_name(db.db_name, now, "final" if long_term else "manual"),
    }
    kind = "manual backup"
    if long_term:
        request.update(is_long_term_backup=True, retention_period_in_days=days)
        kind = f"long-term backup kept {days} days"
    return Step("backup", f"{kind} of {member.label}", "ACTIVE", request)


def plan_backup(
    stack: FleetStack,
    member: FleetMember,
    retention_days: int | None,
    long_term: bool,
    now: datetime,
) -> Plan:
    db = member.database
    assert db is not None
    steps: list[Step] = []
    changes: dict[str, tuple[Any, Any]] = {}
    if not long_term and retention_days is not None:
        if retention_days != db.backup_retention_days:
            steps.append(
                Step(
                    "update",
                    f"keep automatic backups of {member.label} {retention_days} days "
                    f"(was {db.backup_retention_days})",
                    "AVAILABLE",
                    {"backup_retention_period_in_days": retention_days},
                )
            )
        declared = member.declared
        if declared is not None and retention_days != declared.backupRetentionDays:
            changes["backupRetentionDays"] = (retention_days, declared.backupRetentionDays)
    steps.append(_backup_step(member, now, retention_days, long_term))
    edit, notes = _declared_changes(stack, member, changes)
    return Plan("backup", member.label, member, tuple(steps), edit, notes)


def plan_clone(
    stack: FleetStack,
    member: FleetMember,
    *,
    name: str,
    clone_type: str,
    to_environment: str | None,
    secret_id: str | None,
    taken_names: set[str],
) -> Plan:
    db = member.database
    assert db is not None
    if name.upper() in taken_names:
        raise GuardrailsError(
            f"clone name {name!r} is taken: a database named {name.upper()} already exists "
            f"in compartment {db.compartment_id}"
        )
    secret = secret_id or (member.declared.vaultSecretOcid if member.declared else None)
    if secret is None:
        raise GuardrailsError(
            f"clone needs the new database's admin password as a Vault secret: give "
            f"--admin-secret OCID ({member.label} declares no vaultSecretOcid)"
        )
    environment = to_environment or db.environment or stack.environment
    tags = {ns: dict(values) for ns, values in db.defined_tags.items()}
    tags.setdefault(stack.tag_namespace, {})[ENVIRONMENT_KEY] = environment
    # a new database has not been alerted for anything yet
    tags[stack.tag_namespace].pop(COST_ALERTED_KEY, None)
    request: dict[str, Any] = {
        "source": "DATABASE",
        "source_id": db.id,
        "clone_type": CLONE_TYPES[clone_type],
        "compartment_id": db.compartment_id,
        "db_name": name.upper(),
        "display_name": name.lower(),
        "db_workload": db.workload,
        "license_model": db.license_model,
        "compute_model": "ECPU",
        "compute_count": db.ecpu,
        "data_storage_size_in_tbs": max(1, round(db.storage_tbs)),
        "is_auto_scaling_enabled": db.auto_scaling,
        "is_auto_scaling_for_storage_enabled": db.storage_auto_scaling,
        "secret_id": secret,
        "defined_tags": tags,
        "freeform_tags": {CREATED_BY: f"fleet clone of {db.db_name}"},
    }
    if db.subnet_id:
        request["subnet_id"] = db.subnet_id
        request["nsg_ids"] = list(db.nsg_ids)
    elif db.whitelisted_ips:
        request["whitelisted_ips"] = list(db.whitelisted_ips)
    if db.mtls_required is not None:
        request["is_mtls_connection_required"] = db.mtls_required
    step = Step(
        "clone",
        f"{clone_type} clone of {member.label} as {name.upper()} ({environment})",
        "AVAILABLE",
        request,
    )
    note = (
        f"the clone {name.upper()} is in no stack file: add it to guardrails:databases of the "
        f"{environment} stack to manage it, or retire it when done"
    )
    return Plan("clone", member.label, member, (step,), None, (note,))


def plan_power(member: FleetMember, command: str) -> Plan:
    """stop or start; the other state already is `nothing to do`."""
    db = member.database
    assert db is not None
    target = "STOPPED" if command == "stop" else "AVAILABLE"
    if db.lifecycle_state == target:
        return Plan(command, member.label, member, notes=(f"nothing to do: it is {target}",))
    step = Step(command, f"{command} {member.label}", target)
    return Plan(command, member.label, member, (step,))


def plan_retire(
    stack: FleetStack, member: FleetMember, now: datetime, final_backup: str | None = None
) -> Plan:
    """A final long-term backup, then the delete; `final_backup`: the one an interrupted
    retire already took (no second one)."""
    db = member.database
    assert db is not None
    delete = Step("delete", f"terminate {member.label} ({db.id})", "TERMINATED")
    steps: tuple[Step, ...] = (
        (_backup_step(member, now, FINAL_BACKUP_DAYS, long_term=True), delete)
        if final_backup is None
        else (delete,)
    )
    notes: tuple[str, ...] = (
        (f"final backup {final_backup}: taken by the interrupted run",) if final_backup else ()
    )
    edit = None
    if member.managed:
        edit = (
            f"# {stack.path.name}: remove guardrails:databases.{member.key} "
            f"(dbName {db.db_name}), or the next `pulumi up` creates it again"
        )
        notes += (f"{member.label} is declared in {stack.path.name}: remove it there too",)
    return Plan("retire", member.label, member, steps, edit, notes)
