"""Lifecycle transitions that take a few polls, shared by the resource services.

A resource (an Autonomous Database, an instance) that starts an operation goes to its
transitional state (STOPPING) at once and reaches the final state (STOPPED) after
``polls`` reads of it (GET or LIST) or of its work request: a waiter sees the transitional
state a few times, as against OCI. A transition can be made to fail: the resource then falls
back to ``fallback_state`` and its work request ends FAILED with the error, as OCI does when
an operation cannot complete. ``polls`` large enough makes an operation that never ends (for
timeout tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class Transition:
    final_state: str
    polls_left: int
    work_request_id: str | None = None
    error: tuple[str, str] | None = None  # (code, message) when the operation fails
    fallback_state: str = ""


@dataclass
class WorkRequestRecord:
    """A work request of the ``oci.work_requests`` service."""

    id: str
    operation_type: str
    compartment_id: str
    entity_type: str
    resource_id: str
    action_type: str
    status: str = "IN_PROGRESS"
    time_accepted: datetime = field(default_factory=lambda: datetime.now(UTC))
    time_finished: datetime | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    resource: LifecycleResource | None = None


@dataclass
class LifecycleResource:
    """The lifecycle part of a resource record: its state and the transition under way."""

    id: str
    compartment_id: str
    lifecycle_state: str
    transition: Transition | None = None
    work_requests: dict[str, WorkRequestRecord] = field(default_factory=dict, repr=False)

    @property
    def in_transition(self) -> bool:
        return self.transition is not None

    def begin(
        self,
        transitional_state: str,
        final_state: str,
        polls: int,
        *,
        work_request: WorkRequestRecord | None = None,
        error: tuple[str, str] | None = None,
    ) -> None:
        """Enter ``transitional_state`` now, ``final_state`` after ``polls`` reads."""
        fallback = self.lifecycle_state
        self.lifecycle_state = transitional_state
        self.transition = Transition(
            final_state,
            max(polls, 0),
            work_request.id if work_request else None,
            error,
            fallback,
        )
        if work_request is not None:
            work_request.resource = self
            self.work_requests[work_request.id] = work_request
        if polls <= 0:
            self.poll()

    def poll(self) -> None:
        """One read of the resource: the transition moves one step on."""
        transition = self.transition
        if transition is None:
            return
        transition.polls_left -= 1
        if transition.polls_left > 0:
            return
        self.transition = None
        self.lifecycle_state = (
            transition.fallback_state if transition.error else transition.final_state
        )
        record = self.work_requests.get(transition.work_request_id or "")
        if record is not None:
            record.time_finished = datetime.now(UTC)
            if transition.error:
                record.status = "FAILED"
                record.errors.append(transition.error)
            else:
                record.status = "SUCCEEDED"


def json_without_none(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON object without its null members (OCI leaves unset fields out)."""
    return {k: v for k, v in values.items() if v is not None}
