"""Carry out a lifecycle `Plan` with the SDK's composite operations, one step after another.

Each step sends its request through `DatabaseClientCompositeOperations` and waits on the
work request OCI opened for it (a FAILED work request is read for OCI's error code), then on
the database reaching the step's target lifecycle state (`oci.wait_until`). One deadline
covers the whole plan; the waiters report every poll to `progress`. Any failure stops the
plan and becomes an `Outcome` with OCI's error code and the opc-request-id: nothing raises.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guardrails.tooling.fleet.lifecycle import UNDER_WAY, Plan, Step

SUCCEEDED = "succeeded"
FAILED = "failed"
TIMED_OUT = "timed out"
INTERRUPTED = "interrupted"


@dataclass
class Outcome:
    status: str
    steps_done: list[str] = field(default_factory=list)
    final_state: str | None = None
    created: dict[str, str] = field(default_factory=dict)
    """OCIDs the plan created: `backup`, `clone`."""
    work_requests: list[str] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    """opc-request-id of the changing call that failed or whose wait failed (our own
    `guardrails-fleet-...` id), or OCI's id of a call it refused."""
    recovered: list[str] = field(default_factory=list)
    """Changing calls whose answer was lost but whose change the database shows made."""

    @property
    def ok(self) -> bool:
        return self.status == SUCCEEDED

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "steps_done": self.steps_done,
            "final_state": self.final_state,
            "created": self.created,
            "work_requests": self.work_requests,
            "recovered": self.recovered,
            "error": (
                {
                    "code": self.error_code,
                    "message": self.error_message,
                    "opc_request_id": self.request_id,
                }
                if self.status != SUCCEEDED
                else None
            ),
        }


class _StepError(Exception):
    def __init__(self, status: str, code: str, message: str, request_id: str | None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class FleetExecutor:
    """Runs plans against one `DatabaseClient` (and the work request client beside it)."""

    def __init__(
        self,
        database_client: Any,
        work_request_client: Any,
        *,
        timeout_seconds: float,
        poll_seconds: float = 10,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        from oci.database import DatabaseClientCompositeOperations

        self.client = database_client
        self.work_requests = work_request_client
        self.composite = DatabaseClientCompositeOperations(
            database_client, work_request_client=work_request_client
        )
        self.timeout = timeout_seconds
        self.poll = poll_seconds
        self.progress = progress or (lambda _line: None)
        self._deadline = 0.0
        self._started = 0.0
        self._request_id: str | None = None
        self._outcome = Outcome(SUCCEEDED)

    def _call_kwargs(self, operation: str = "") -> dict[str, Any]:
        """Our own opc-request-id on each changing call (the id OCI support asks for, known
        even when the call's answer is lost in a failed wait) and a retry token on creates.
        `start_autonomous_database` takes neither: its id is read from the wait's answer."""
        import oci

        once = {"retry_strategy": oci.retry.NoneRetryStrategy()}  # no key: sent once
        if operation == "start":
            self._request_id = None
            return once
        self._request_id = f"guardrails-fleet-{uuid.uuid4().hex}"
        kwargs: dict[str, Any] = {"opc_request_id": self._request_id}
        if operation in ("backup", "clone"):
            kwargs["opc_retry_token"] = self._request_id  # keyed: the client's retries apply
        else:
            kwargs |= once
        return kwargs

    # -- waiting ---------------------------------------------------------------------------

    def _waiter(self, label: str, describe: Callable[[Any], str]) -> dict[str, Any]:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise _StepError(TIMED_OUT, "Timeout", f"{label}: no time left", None)

        def report(_checks: int, response: Any) -> None:
            elapsed = time.monotonic() - self._started
            self.progress(
                f"{label}: {describe(response.data)} ({elapsed:.0f}s of {self.timeout:g}s)"
            )

        return {
            "max_wait_seconds": remaining,
            "max_interval_seconds": self.poll,
            "wait_callback": report,
        }

    def _wait_state(self, label: str, database_id: str, target: str) -> None:
        """Wait for `target`; a database gone while waiting for TERMINATED counts as such."""
        import oci

        response = oci.wait_until(
            self.client,
            self.client.get_autonomous_database(database_id),
            "lifecycle_state",
            target,
            succeed_on_not_found=target == "TERMINATED",
            **self._waiter(label, lambda db: f"{db.lifecycle_state}, waiting for {target}"),
        )
        gone = response is oci.util.WAIT_RESOURCE_NOT_FOUND
        self._outcome.final_state = target if gone else response.data.lifecycle_state

    def _work_request(self, label: str, call: Callable[[dict[str, Any]], Any]) -> Any:
        """Run a `*_and_wait_for_work_request` composite call; raise unless it SUCCEEDED."""
        response = call(
            self._waiter(
                label,
                lambda wr: f"work request {wr.status} {wr.percent_complete or 0:.0f}%",
            )
        )
        work_request = response.data
        self._outcome.work_requests.append(work_request.id)
        self._request_id = self._request_id or response.headers.get("opc-request-id")
        if work_request.status != "SUCCEEDED":
            errors = self.work_requests.list_work_request_errors(work_request.id).data or []
            first = errors[0] if errors else None
            raise _StepError(
                FAILED,
                first.code if first else work_request.status,
                (
                    first.message
                    if first
                    else f"work request {work_request.id} {work_request.status}"
                ),
                self._request_id,
            )
        return work_request

    # -- steps -----------------------------------------------------------------------------

    def _step(self, plan: Plan, step: Step) -> None:
        from oci.database.models import (
            CreateAutonomousDatabaseBackupDetails,
            CreateAutonomousDatabaseCloneDetails,
            UpdateAutonomousDatabaseDetails,
        )

        db = plan.member.database
        assert db is not None
        label = f"{plan.ref} {step.action}"
        ops = self.composite
        if step.action == "update":
            details = UpdateAutonomousDatabaseDetails(**step.request)
            self._work_request(
                label,
                lambda w: ops.update_autonomous_database_and_wait_for_work_request(
                    db.id, details, operation_kwargs=self._call_kwargs(), waiter_kwargs=w
                ),
            )
            self._wait_state(label, db.id, step.target_state)
        elif step.action in ("stop", "start"):
            call = getattr(ops, f"{step.action}_autonomous_database_and_wait_for_work_request")
            self._work_request(
                label,
                lambda w: call(
                    db.id, operation_kwargs=self._call_kwargs(step.action), waiter_kwargs=w
                ),
            )
            self._wait_state(label, db.id, step.target_state)
        elif step.action == "backup":
            details = CreateAutonomousDatabaseBackupDetails(**step.request)
            response = ops.create_autonomous_database_backup_and_wait_for_state(
                details,
                wait_for_states=["ACTIVE", "FAILED"],
                operation_kwargs=self._call_kwargs("backup"),
                waiter_kwargs=self._waiter(
                    label, lambda b: f"backup {b.lifecycle_state}, waiting for ACTIVE"
                ),
            )
            backup = response.data
            self._outcome.created["backup"] = backup.id
            if backup.lifecycle_state != "ACTIVE":
                raise _StepError(
                    FAILED,
                    "BackupFailed",
                    f"backup {backup.id} is {backup.lifecycle_state}: "
                    f"{backup.lifecycle_details or 'no details'}",
                    self._request_id,
                )
            self._wait_state(label, db.id, "AVAILABLE")
        elif step.action == "clone":
            details = CreateAutonomousDatabaseCloneDetails(**step.request)
            work_request = self._work_request(
                label,
                lambda w: ops.create_autonomous_database_and_wait_for_work_request(
                    details, operation_kwargs=self._call_kwargs("clone"), waiter_kwargs=w
                ),
            )
            created = [
                r.identifier
                for r in work_request.resources or []
                if r.action_type == "CREATED" and r.entity_type.lower() == "autonomousdatabase"
            ]
            if not created:
                raise _StepError(
                    FAILED,
                    "NoCloneId",
                    f"work request {work_request.id} names no created database",
                    self._request_id,
                )
            self._outcome.created["clone"] = created[0]
            self._wait_state(label, created[0], step.target_state)
        elif step.action == "delete":
            self._work_request(
                label,
                lambda w: ops.delete_autonomous_database_and_wait_for_work_request(
                    db.id, operation_kwargs=self._call_kwargs(), waiter_kwargs=w
                ),
            )
            self._wait_state(label, db.id, step.target_state)
        else:  # pragma: no cover - plans only hold the actions above
            raise ValueError(step.action)

    def execute(self, plan: Plan) -> Outcome:
        from oci.exceptions import (
            CompositeOperationError,
            ConnectTimeout,
            MaximumWaitTimeExceeded,
            RequestException,
            ServiceError,
        )

        self._outcome = Outcome(SUCCEEDED)
        self._started = time.monotonic()
        self._deadline = self._started + self.timeout
        for step in plan.steps:
            try:
                self._step(plan, step)
            except _StepError as exc:
                return self._failed(exc.status, exc.code, exc.message, exc.request_id)
            except ServiceError as exc:
                # a 5xx may come after the change was made: the database says which
                if exc.status < 500 or not self._read_back(
                    plan, step, f"{exc.code}: {exc.message}"
                ):
                    return self._failed(FAILED, str(exc.code), str(exc.message), exc.request_id)
            except (RequestException, ConnectTimeout) as exc:
                if not self._read_back(plan, step, f"{type(exc).__name__}: {exc}"):
                    return self._failed(FAILED, type(exc).__name__, str(exc), self._request_id)
            except KeyboardInterrupt:
                return self._failed(
                    INTERRUPTED,
                    "Interrupted",
                    f"{step.summary}: stopped waiting; OCI may still be carrying it out",
                    self._request_id,
                )
            except MaximumWaitTimeExceeded:
                return self._failed(
                    TIMED_OUT,
                    "Timeout",
                    f"{step.summary}: not {step.target_state} within {self.timeout:g}s",
                    self._request_id,
                )
            except CompositeOperationError as exc:
                request_id = self._request_id
                cause = exc.cause
                if isinstance(cause, MaximumWaitTimeExceeded):
                    return self._failed(
                        TIMED_OUT,
                        "Timeout",
                        f"{step.summary}: not done within {self.timeout:g}s",
                        request_id,
                    )
                if isinstance(cause, ServiceError):
                    return self._failed(
                        FAILED, str(cause.code), str(cause.message), cause.request_id
                    )
                return self._failed(FAILED, type(cause).__name__, str(cause), request_id)
            self._outcome.steps_done.append(step.summary)
        return self._outcome

    def _read_back(self, plan: Plan, step: Step, error: str) -> bool:
        """After a changing call whose answer was lost: True (and the step waited for) when
        the database shows the change made; False when it does not (the step failed)."""
        from oci.exceptions import ServiceError

        db = plan.member.database
        assert db is not None
        made = self._made(plan, step)
        if made is None:
            return False
        try:
            if step.action == "clone":
                self._outcome.created["clone"] = made
                self._wait_state(f"{plan.ref} clone", made, step.target_state)
            else:
                if step.action == "backup":
                    self._outcome.created["backup"] = made
                target = "AVAILABLE" if step.action == "backup" else step.target_state
                self._wait_state(f"{plan.ref} {step.action}", db.id, target)
        except ServiceError:
            return False
        self._outcome.recovered.append(
            f"{step.summary}: the call failed ({error}) but the database shows it made"
        )
        return True

    def _made(self, plan: Plan, step: Step) -> str | None:
        """What the database shows of the step: its id (or the backup's, the clone's) when
        the change is made or under way, None when it is not."""
        from oci.exceptions import ServiceError

        db = plan.member.database
        assert db is not None
        if step.action == "backup":
            backups = self.client.list_autonomous_database_backups(
                autonomous_database_id=db.id
            ).data
            name = step.request.get("display_name")
            found = [b for b in backups if b.display_name == name and b.lifecycle_state != "FAILED"]
            return str(found[0].id) if found else None
        if step.action == "clone":
            databases = self.client.list_autonomous_databases(
                compartment_id=step.request.get("compartment_id"),
                display_name=step.request.get("display_name"),
            ).data
            found = [d for d in databases if d.lifecycle_state != "TERMINATED"]
            return str(found[0].id) if found else None
        try:
            now = self.client.get_autonomous_database(db.id).data
        except ServiceError as exc:
            return db.id if step.action == "delete" and exc.status == 404 else None
        if now.lifecycle_state in UNDER_WAY.get(step.action, ()):
            return db.id
        if step.action == "update" and all(
            getattr(now, key, None) == value for key, value in step.request.items()
        ):
            return db.id
        return None

    def _failed(self, status: str, code: str, message: str, request_id: str | None) -> Outcome:
        self._outcome.status = status
        self._outcome.error_code = code
        self._outcome.error_message = message
        self._outcome.request_id = request_id
        return self._outcome
