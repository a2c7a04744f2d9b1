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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from tests.fake_oci.server import (
    FakeRequest,
    OciError,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
)


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


@dataclass
class TrackedResource(LifecycleResource):
    """A listed, tagged resource: what Database and Compute records share."""

    display_name: str = ""
    defined_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    freeform_tags: dict[str, str] = field(default_factory=dict)
    time_created: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: int = 1

    @property
    def etag(self) -> str:
        return f"{self.id[-12:]}-v{self.version}"

    def changed(self) -> None:
        self.version += 1

    def poll(self) -> None:
        before = self.lifecycle_state
        super().poll()
        if self.lifecycle_state != before:
            self.changed()


R = TypeVar("R", bound=TrackedResource)


def find(records: Mapping[str, R], resource_id: str) -> R:
    """The record of an id; 404 NotAuthorizedOrNotFound, as OCI, for any unknown id."""
    record = records.get(resource_id)
    if record is None:
        raise not_found()
    return record


def read(records: Mapping[str, R], resource_id: str) -> R:
    """A GET of one resource: found (or 404) and polled once."""
    record = find(records, resource_id)
    record.poll()
    return record


def check_if_match(request: FakeRequest, record: TrackedResource) -> None:
    """The ``if-match`` precondition: 412 PreconditionFailed when the etag moved on."""
    wanted = request.header("if-match")
    if wanted is not None and wanted != record.etag:
        raise OciError(
            412,
            "PreconditionFailed",
            f"The resource's etag is {record.etag}, not the {wanted} given in if-match.",
        )


def list_in_compartment(
    request: FakeRequest,
    records: Iterable[R],
    lifecycle_states: Sequence[str],
) -> tuple[list[R], dict[str, str]]:
    """A compartment's resources per the common list query, one page, each polled once.

    ``compartmentId`` is required; ``lifecycleState`` (one of ``lifecycle_states``),
    ``lifecycleStateNotEqualTo`` and ``displayName`` filter; ``sortBy`` TIMECREATED (default,
    newest first) or DISPLAYNAME (A to Z), ``sortOrder`` ASC|DESC; ``page``/``limit``.
    """
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    state = request.arg("lifecycleState")
    not_state = request.arg("lifecycleStateNotEqualTo")
    for value in (state, not_state):
        if value is not None and value not in lifecycle_states:
            raise invalid_parameter(f"Invalid lifecycle state {value!r}.")
    sort_by = request.arg("sortBy") or "TIMECREATED"
    if sort_by not in ("TIMECREATED", "DISPLAYNAME"):
        raise invalid_parameter(f"Invalid sortBy {sort_by!r}; use TIMECREATED or DISPLAYNAME.")
    order = request.arg("sortOrder") or ("DESC" if sort_by == "TIMECREATED" else "ASC")
    if order not in ("ASC", "DESC"):
        raise invalid_parameter(f"Invalid sortOrder {order!r}; use ASC or DESC.")
    name = request.arg("displayName")
    chosen = [r for r in records if r.compartment_id == compartment]
    for record in chosen:
        record.poll()
    chosen = [
        r
        for r in chosen
        if (state is None or r.lifecycle_state == state)
        and (not_state is None or r.lifecycle_state != not_state)
        and (name is None or r.display_name == name)
    ]
    if sort_by == "TIMECREATED":
        chosen.sort(key=lambda r: (r.time_created, r.id), reverse=order == "DESC")
    else:
        chosen.sort(key=lambda r: (r.display_name, r.id), reverse=order == "DESC")
    return page_of(request, chosen)


def common_json(record: TrackedResource) -> dict[str, Any]:
    """The members every tracked resource has, camelCase as OCI writes them."""
    return {
        "id": record.id,
        "compartmentId": record.compartment_id,
        "displayName": record.display_name,
        "lifecycleState": record.lifecycle_state,
        "definedTags": record.defined_tags,
        "freeformTags": record.freeform_tags,
        "timeCreated": oci_time(record.time_created),
    }


def json_without_none(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON object without its null members (OCI leaves unset fields out)."""
    return {k: v for k, v in values.items() if v is not None}
