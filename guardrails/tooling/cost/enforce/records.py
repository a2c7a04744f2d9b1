"""What `guardrails cost enforce` and `cost unfreeze` write to the audit trail
(`guardrails.tooling.acting.audit_trail`), and what they read back from it.

One record per action carried out (or attempted): time, stack, cost center, spend, budget,
currency, rule, action, resource, outcome and detail. The trail is also the enforcer's
memory of what it already announced: a notification that succeeded for a cost center,
channel, rule and month is not sent again (keep the file between scheduled runs, e.g. as a
CI cache or in a bucket).
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


def notified(log: AuditLog, stack: str, month: str) -> set[tuple[str, str, str]]:
    """(cost center, channel, rule) already announced for `stack` in `month`."""
    return {
        (r.get("cost_center", ""), r.get("resource", ""), r.get("rule", ""))
        for r in log.records()
        if r.get("action") == "notify"
        and r.get("outcome") == "done"
        and r.get("stack") == stack
        and r.get("month") == month
    }
