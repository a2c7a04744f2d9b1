"""Settle what an earlier run left open: intents in the audit trail without an outcome.

A run killed between its intent and its outcome (or whose answer was lost and whose read
back failed) leaves an intent the trail cannot answer. Before it plans anything, the next
`--apply` run of a layer command reads the real state of each such resource it is about to
touch and writes the outcome it finds (`reconciled: true`): the change is there (`done`),
is not (`failed`: the call never took effect), or the resource has moved on since
(`unknown`). Intents about resources outside the run (another layer, region or function)
are left for the run that touches them, and counted. A read that fails stops the run
before any change: nothing is planned on a state we could not establish.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status
from guardrails.tooling.layer_ops.api import AwsCallError, LayerOpsError
from guardrails.tooling.layer_ops.journal import Acted, Step

Judge = Callable[[], tuple[Status, str]]
"""Reads the resource and says what became of the intent, and why."""


def arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[0] == "arn" else ""


def reconcile(
    log: AuditLog,
    commands: Collection[str],
    judge_of: Callable[[Intent], Judge | None],
    acted: Acted,
) -> None:
    """Write an outcome for every unresolved intent of `commands` that `judge_of` can judge
    (it returns None for an intent outside this run)."""
    for intent in log.unresolved():
        if intent.command not in commands:
            continue
        judge = judge_of(intent)
        if judge is None:
            acted.unresolved_elsewhere += 1
            continue
        try:
            status, detail = judge()
        except AwsCallError as exc:
            raise LayerOpsError(
                f"cannot settle the earlier {intent.command} step {intent.action} of "
                f"{intent.target} (intent {intent.id} has no outcome): {exc}; nothing was done"
            ) from exc
        log.outcome(intent, status, reconciled=True, detail=detail)
        acted.reconciled.append(Step(intent.action, intent.target, status, detail, intent.id))
