"""Settle what an earlier `fleet` run on a database left unanswered (an intent with no
outcome: the run was killed while OCI worked), from the database itself.

A backup intent is done if the backup it named exists (CREATING or ACTIVE): the rerun then
takes no second backup; a clone intent if a database of the clone's name exists in its
compartment. A retire intent is done when the database is terminating, terminated or gone
(its delete was sent); when the database still runs but the retire's final backup exists, the
rerun deletes it without a second final backup (`final_backup`). A stop, start or scale is
done when the database is (or is getting) the state, ECPU count and auto scaling the intent
expected, failed when it is not (the rerun plans it again from the state it finds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status
from guardrails.tooling.fleet.lifecycle import UNDER_WAY

BACKUP_PRESENT = ("CREATING", "ACTIVE")


@dataclass(frozen=True)
class Settled:
    intent: Intent
    status: Status
    why: str
    created: str | None = None
    """The backup or clone the earlier run made, when it exists."""
    final_backup: str | None = None
    """A retire's final backup, taken by the earlier run, whose delete was never sent."""


def _earlier_backup(database_client: Any, database_id: str, name: str) -> Any | None:
    backups = database_client.list_autonomous_database_backups(
        autonomous_database_id=database_id
    ).data
    return next(
        (b for b in backups if b.display_name == name and b.lifecycle_state in BACKUP_PRESENT),
        None,
    )


def _earlier_clone(database_client: Any, compartment: str, name: str) -> Any | None:
    databases = database_client.list_autonomous_databases(
        compartment_id=compartment, display_name=name
    ).data
    return next((d for d in databases if d.lifecycle_state != "TERMINATED"), None)


GONE = UNDER_WAY["delete"]


def _settle_retire(
    intent: Intent, database_client: Any, database_id: str, backup_name: Any
) -> Settled:
    from oci.exceptions import ServiceError

    try:
        state = database_client.get_autonomous_database(database_id).data.lifecycle_state
    except ServiceError as exc:
        if exc.status != 404:
            raise
        state = "gone"
    backup = (
        _earlier_backup(database_client, database_id, backup_name)
        if isinstance(backup_name, str) and state != "gone"
        else None
    )
    if state in (*GONE, "gone"):
        return Settled(intent, "done", f"the database is {state}: its delete was sent")
    if backup is not None:
        return Settled(
            intent,
            "unknown",
            f"its final backup {backup.id} ({backup_name}) exists, {backup.lifecycle_state}; "
            f"the database is {state}: the delete is still to send",
            final_backup=backup.id,
        )
    return Settled(intent, "unknown", f"the database is {state}; no final backup yet")


def _settle_change(intent: Intent, database: Any) -> Settled:
    """A stop, start or scale: done when the database is (or is getting) what the intent
    asked for, failed when it is not (the call never took effect: the rerun plans it again),
    unknown for an intent that did not say what it expected (written by an older version)."""
    state = str(database.lifecycle_state)
    details = intent.details
    if "expect_state" in details:
        expected = str(details["expect_state"])
        if state in UNDER_WAY.get(intent.action, (expected,)):
            return Settled(intent, "done", f"the database is {state}")
        return Settled(intent, "failed", f"the database is {state}, not {expected}")
    wanted = {
        "compute_count": details.get("expect_compute_count"),
        "is_auto_scaling_enabled": details.get("expect_is_auto_scaling_enabled"),
    }
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if wanted:
        have = {k: getattr(database, k, None) for k in wanted}
        if all(have[k] == v for k, v in wanted.items()) or state == "SCALE_IN_PROGRESS":
            return Settled(intent, "done", f"the database has {_shown(have)} ({state})")
        return Settled(intent, "failed", f"the database has {_shown(have)}, not {_shown(wanted)}")
    return Settled(intent, "unknown", f"the database is {state}; planned from there")


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(values.items()))


def reconcile(log: AuditLog, database_client: Any, database_id: str) -> list[Settled]:
    """Record an outcome for every unanswered `fleet` intent on the database."""
    settled: list[Settled] = []
    for intent in log.unresolved():
        if not intent.command.startswith("fleet ") or intent.target != database_id:
            continue
        name = intent.details.get("backup_name")
        clone = intent.details.get("clone_name")
        if intent.action == "backup" and isinstance(name, str):
            backup = _earlier_backup(database_client, database_id, name)
            if backup is not None:
                why = f"its backup {backup.id} ({name}) exists, {backup.lifecycle_state}"
                result = Settled(intent, "done", why, backup.id)
            else:
                result = Settled(intent, "failed", f"no backup named {name} exists")
        elif intent.action == "clone" and isinstance(clone, str):
            made = _earlier_clone(database_client, str(intent.details.get("compartment")), clone)
            if made is not None:
                why = f"its clone {made.id} ({clone}) exists, {made.lifecycle_state}"
                result = Settled(intent, "done", why, made.id)
            else:
                result = Settled(intent, "failed", f"no database named {clone} exists")
        elif intent.action == "retire":
            result = _settle_retire(intent, database_client, database_id, name)
        else:
            result = _settle_change(
                intent, database_client.get_autonomous_database(database_id).data
            )
        log.outcome(
            intent,
            result.status,
            reconciled=True,
            detail=result.why,
            **({"created": result.created} if result.created else {}),
        )
        settled.append(result)
    return settled
