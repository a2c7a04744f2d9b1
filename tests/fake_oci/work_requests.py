"""``oci.work_requests.WorkRequestClient``: the work requests that resource operations start.

Routes (base path /20160918): GetWorkRequest, ListWorkRequests (compartmentId required,
resourceId filter, paging), ListWorkRequestErrors. A work request is IN_PROGRESS while its
resource's transition runs; reading it polls the resource (see lifecycle.py), so
``*_and_wait_for_work_request`` composite operations finish after a few polls. Services
create work requests with ``WorkRequestState.create(...)`` and answer with the
``opc-work-request-id`` header.
"""

from __future__ import annotations

from typing import Any

from tests.fake_oci.lifecycle import LifecycleResource, WorkRequestRecord, json_without_none
from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
)
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20160918"


class WorkRequestState:
    """All work requests, by id."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.records: dict[str, WorkRequestRecord] = {}

    def create(
        self, operation_type: str, resource: LifecycleResource, entity_type: str, action: str
    ) -> WorkRequestRecord:
        record = WorkRequestRecord(
            id=new_ocid("coreservicesworkrequest", self.state.region),
            operation_type=operation_type,
            compartment_id=resource.compartment_id,
            entity_type=entity_type,
            resource_id=resource.id,
            action_type=action,
        )
        self.records[record.id] = record
        return record

    def get(self, work_request_id: str) -> WorkRequestRecord:
        record = self.records.get(work_request_id)
        if record is None:
            raise not_found()
        if record.resource is not None and record.status == "IN_PROGRESS":
            transition = record.resource.transition
            if transition is not None and transition.work_request_id == record.id:
                record.resource.poll()
        return record


def work_request_json(record: WorkRequestRecord, *, summary: bool = False) -> dict[str, Any]:
    done = record.status in ("SUCCEEDED", "FAILED")
    body = json_without_none(
        {
            "id": record.id,
            "operationType": record.operation_type,
            "status": record.status,
            "compartmentId": record.compartment_id,
            "percentComplete": 100.0 if done else 50.0,
            "timeAccepted": oci_time(record.time_accepted),
            "timeStarted": oci_time(record.time_accepted),
            "timeFinished": oci_time(record.time_finished) if record.time_finished else None,
        }
    )
    if not summary:
        body["resources"] = [
            {
                "entityType": record.entity_type,
                "actionType": record.action_type if done else "IN_PROGRESS",
                "identifier": record.resource_id,
                "entityUri": f"/{record.entity_type}s/{record.resource_id}",
            }
        ]
    return body


def get_work_request(request: FakeRequest) -> FakeResponse:
    record = request.state.service(WorkRequestState).get(request.params["workRequestId"])
    return FakeResponse(work_request_json(record), headers={"retry-after": "0"})


def list_work_requests(request: FakeRequest) -> FakeResponse:
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    resource_id = request.arg("resourceId")
    records = [
        r
        for r in request.state.service(WorkRequestState).records.values()
        if r.compartment_id == compartment and (resource_id is None or r.resource_id == resource_id)
    ]
    page, headers = page_of(request, records)
    return FakeResponse([work_request_json(r, summary=True) for r in page], headers=headers)


def list_work_request_errors(request: FakeRequest) -> FakeResponse:
    record = request.state.service(WorkRequestState).get(request.params["workRequestId"])
    errors = [
        {
            "code": code,
            "message": message,
            "timestamp": oci_time(record.time_finished or record.time_accepted),
        }
        for code, message in record.errors
    ]
    page, headers = page_of(request, errors)
    return FakeResponse(page, headers=headers)


def register(router: Router) -> None:
    router.add("GET", f"{BASE}/workRequests/{{workRequestId}}", "GetWorkRequest", get_work_request)
    router.add("GET", f"{BASE}/workRequests", "ListWorkRequests", list_work_requests)
    router.add(
        "GET",
        f"{BASE}/workRequests/{{workRequestId}}/errors",
        "ListWorkRequestErrors",
        list_work_request_errors,
    )
