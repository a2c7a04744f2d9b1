"""One changing AWS call, recorded: intent synced before the call, the call, and an outcome
read back from the resource after it.

Every change the layer commands make goes through `Journal.act`:

    intent  (audit trail, synced)  ->  the call  ->  read the resource back  ->  outcome

An answer AWS gave is not believed on its own: the resource is read back, and the outcome
is `done` only if the change is there. A call that got no answer, or a server error, is
settled the same way: by reading the resource (a deletion whose answer was lost is `done`,
not `failed`; so is a permission AWS refuses as a duplicate because an earlier attempt added
it). If the read fails too, the outcome is `unknown` and the next run reconciles
it (`reconcile.py`). Ctrl-C during a call is settled by a read as well, then re-raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status
from guardrails.tooling.layer_ops.api import AwsCallError, LayerOpsError


@dataclass
class Step:
    """One change: planned, then carried out and settled."""

    action: str
    target: str
    status: Status | None = None
    """None: not attempted (yet)."""
    detail: str = ""
    intent: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": self.target,
            "status": self.status or "not attempted",
            "detail": self.detail,
            "intent": self.intent,
        }


class NotApplied(LayerOpsError):
    """Raised by a read-back that finds the change definitely did not happen, and why (for
    example Lambda reporting that a function update failed)."""


class StepFailed(LayerOpsError):
    """A change was refused, failed, or could not be confirmed; its step says which."""

    def __init__(self, step: Step, message: str) -> None:
        super().__init__(message)
        self.step = step


@dataclass
class Acted:
    """What an applied operation did: its steps in order, and how it ended."""

    steps: list[Step] = field(default_factory=list)
    reconciled: list[Step] = field(default_factory=list)
    """Outcomes this run wrote for intents an earlier run left without one."""
    unresolved_elsewhere: int = 0
    """Earlier intents without outcome outside this run's resources (left as they were)."""
    error: str | None = None
    interrupted: bool = False

    @property
    def changed(self) -> bool:
        """Whether this run changed (or may have changed) anything."""
        return any(step.status in ("done", "unknown") for step in self.steps)


def _read_back(verify: Callable[[], bool], why: list[str]) -> bool | None:
    """The change is there (True), is not (False, with the reason in `why` when the read
    gave one), or the read failed (None)."""
    try:
        return verify()
    except NotApplied as exc:
        why.append(str(exc))
        return False
    except AwsCallError:
        return None


class Journal:
    """Carries out changing calls for one command, writing intents and outcomes to `log`."""

    def __init__(self, command: str, log: AuditLog, acted: Acted) -> None:
        self.command = command
        self.log = log
        self.acted = acted
        self.intents: dict[int, Intent] = {}

    def act(
        self,
        action: str,
        target: str,
        send: Callable[[], object],
        verify: Callable[[], bool],
        *,
        key: str | None = None,
        **details: Any,
    ) -> Step:
        """Record the intent, make the call, settle the outcome from the resource.

        Returns the step when the change is confirmed; raises `StepFailed` (after writing the
        outcome) when it was refused, failed or cannot be confirmed.
        """
        intent = self.log.intent(self.command, action, target, key=key, **details)
        step = Step(action, target, intent=intent.id)
        self.intents[id(step)] = intent
        self.acted.steps.append(step)
        why: list[str] = []
        try:
            send()
        except AwsCallError as exc:
            # Read back even after a refusal: a 409 or 412 can mean an earlier attempt whose
            # answer was lost already made the change.
            found = _read_back(verify, why)
            if found is None and not exc.maybe_applied:
                found = False
            if found:
                self._settle(step, "done", f"{exc}; read back: the change is there")
                return step
            status: Status = "failed" if found is False else "unknown"
            self._settle(step, status, str(exc))
            raise StepFailed(step, str(exc)) from exc
        except KeyboardInterrupt:
            try:
                found = _read_back(verify, why)
            except KeyboardInterrupt:  # a second Ctrl-C: no read, the outcome is unknown
                found = None
            status = "done" if found else ("failed" if found is False else "unknown")
            self._settle(step, status, "interrupted during the call; read back: " + status)
            raise
        try:
            found = _read_back(verify, why)
        except KeyboardInterrupt:
            self._settle(step, "unknown", "interrupted while reading the change back")
            raise
        if found:
            self._settle(step, "done")
            return step
        if why:
            message = f"{action} {target}: {why[0]}"
        elif found is False:
            message = f"{action} {target}: AWS accepted the call but the change is not there"
        else:
            message = f"{action} {target}: accepted, but reading it back failed"
        self._settle(step, "failed" if found is False else "unknown", message)
        raise StepFailed(step, message)

    def undone(self, step: Step, by: Step) -> None:
        """Add to `step`'s intent the outcome that `by` reversed it."""
        intent = self.intents[id(step)]
        self.log.outcome(intent, "undone", by=by.intent)

    def _settle(self, step: Step, status: Status, detail: str = "") -> None:
        step.status, step.detail = status, detail
        extra = {"detail": detail} if detail else {}
        self.log.outcome(self.intents[id(step)], status, **extra)
