"""What `guardrails cost enforce` and `cost unfreeze` write to the audit trail
(`guardrails.tooling.acting.audit_trail`), and what they read back from it.

Two records per action: an `intent` (synced to disk before the call: action, resource,
stack, month, cost center, rule) and its `outcome` after it (time, spend, budget, currency,
outcome and detail). The trail is also the enforcer's memory of what it already announced:
a notification is sent **at most once** per (stack, month, cost center, channel, rule): one
that succeeded is not sent again, and neither is one whose run died between intent and
answer (it may have gone out; ONS keeps no message log to ask). Keep the file between
scheduled runs (a CI cache or a bucket).

The trail is not the only memory: before publishing, the enforcer marks the notification on
the stack's ONS topic (a freeform tag per stack, month and cost center, `mark_key`, whose
value lists `<channel kind>=<rule>`), so that a run whose trail was lost still sends nothing
twice. The mark is written first: a run that dies between mark and publish has not sent it
and will not (at most once, never twice).
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.tooling.acting.audit_trail import AuditLog


@dataclass(frozen=True)
class AuditRecord:
    time: str
    stack: str
    cost_center: str
    action: str
    resource: str
    outcome: str
    """`done` or `failed`."""
    detail: str
    spend: float | None = None
    forecast: float | None = None
    budget: float | None = None
    currency: str | None = None
    rule: str | None = None
    month: str | None = None


MARK_PREFIX = "guardrails-notified"
MARK_VALUE_LIMIT = 256
"""OCI's limit on a freeform tag value."""


def mark_key(stack: str, month: str, cost_center: str) -> str:
    """The topic's freeform tag that remembers this cost center's notifications this month."""
    return f"{MARK_PREFIX}-{stack}-{month}-{cost_center}"


def mark_entry(channel: str, rule: str) -> str:
    """One notification in a mark's value: `ons=FORECAST 100%`."""
    return f"{channel.partition(':')[0]}={rule}"


def marked(value: str | None) -> set[str]:
    """The entries of a mark's value."""
    return {e for e in (value or "").split(";") if e}


def notified(log: AuditLog, stack: str, month: str) -> set[tuple[str, str, str]]:
    """(cost center, channel, rule) announced, or perhaps announced, for `stack` in `month`:
    notifications done, and notify intents no outcome answers (at most once)."""
    intents: dict[str, tuple[str, str, str]] = {}
    answered: set[str] = set()
    found: set[tuple[str, str, str]] = set()
    for r in log.records():
        kind = r.get("record")
        if kind == "outcome" and isinstance(r.get("intent"), str):
            answered.add(str(r["intent"]))
        if r.get("action") != "notify" or r.get("stack") != stack or r.get("month") != month:
            continue
        key = (
            str(r.get("cost_center", "")),
            str(r.get("resource", r.get("target", ""))),
            str(r.get("rule", "")),
        )
        if kind == "intent" and isinstance(r.get("intent"), str):
            intents[str(r["intent"])] = key
        elif r.get("outcome") == "done" or r.get("status") == "unknown":
            found.add(key)  # sent, or perhaps sent: never twice
    found |= {key for ident, key in intents.items() if ident not in answered}
    return found
