"""Settle what an earlier `cost enforce` run left unanswered: intents with no outcome (the
run died between announcing a change and hearing how it went).

Each is decided from the resource, never from our log: a stop is done if the database or
instance is stopping or stopped; a tag if the resource carries the value; a freeze if the
quota exists; an unfreeze if the quota is gone. A notification cannot be read back (ONS
keeps no message log): it is recorded `unknown` and, at most once, not sent again
(records.notified). The outcome records say
`reconciled: true`; the run then plans from the resources as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status
from guardrails.tooling.cost.enforce.steps import COMMAND, CostResource, Inventory

STOPPED = ("STOPPING", "STOPPED")


class Reader(Protocol):
    def refresh(self, resource: CostResource) -> CostResource: ...


@dataclass(frozen=True)
class Settled:
    intent: Intent
    status: Status
    why: str


def _judge(intent: Intent, reader: Reader, inventory: Inventory) -> tuple[Status, str]:
    kind = str(intent.details.get("resource_type", ""))
    if intent.action in ("stop", "tag"):
        fresh = reader.refresh(CostResource(intent.target, kind, "", "", ""))
        if intent.action == "stop":
            done = fresh.state in STOPPED
            return ("done" if done else "failed"), f"the resource is {fresh.state or 'unknown'}"
        namespace, key = str(intent.details.get("tag", ".")).split(".", 1)
        value = str(intent.details.get("value", ""))
        have = fresh.tag(namespace, key)
        return ("done" if have == value else "failed"), f"{namespace}.{key} is {have!r}"
    if intent.action == "freeze":
        quota = inventory.quota(intent.target)
        return ("done", f"quota {quota} exists") if quota else ("failed", "no such quota")
    if intent.action == "unfreeze":
        quota = inventory.quota(intent.target)
        return ("failed", f"quota {quota} is still there") if quota else ("done", "quota gone")
    return "unknown", "cannot be read back; not sent again (at most once)"


def reconcile(
    audit: AuditLog, reader: Reader, inventory: Inventory, command: str = COMMAND
) -> list[Settled]:
    """Record an outcome for every unanswered intent of `command` (`cost enforce` or
    `cost unfreeze`), from real state."""
    settled: list[Settled] = []
    for intent in audit.unresolved(command):
        status, why = _judge(intent, reader, inventory)
        audit.outcome(intent, status, reconciled=True, detail=why, **_context(intent))
        settled.append(Settled(intent, status, why))
    return settled


def _context(intent: Intent) -> dict[str, object]:
    keep = ("stack", "month", "cost_center", "rule")
    return {"resource": intent.target, **{k: intent.details.get(k) for k in keep}}
