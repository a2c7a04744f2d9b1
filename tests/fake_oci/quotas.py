"""``oci.limits.QuotasClient``: compartment quota policies (create, list, delete).

    fake_oci.quotas.quotas        # id -> QuotaRecord (name, statements, ...)

Routes (base path /20181025): CreateQuota ``POST /quotas``, ListQuotas ``GET /quotas``
(``compartmentId`` required, ``name``, ``lifecycleState``, paging), DeleteQuota ``DELETE
/quotas/{quotaId}`` (204). The documented rules enforced: quotas live in the root compartment
(the tenancy OCID, else 400), a name is unique in the tenancy (409) and made of letters,
digits, ``-`` and ``_``; every statement reads ``set|unset|zero <family> quota[s] [<names>]
[to <n>] in tenancy|compartment <name or path> [where ...]``, ``to`` only with ``set``
(else 400 InvalidParameter naming the statement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    OciError,
    Router,
    invalid_parameter,
    not_found,
    oci_time,
    page_of,
)
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20181025"
_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,100}$")
_STATEMENT = re.compile(
    r"^(?P<verb>set|unset|zero)\s+(?P<family>[a-z0-9\-]+)\s+quotas?"
    r"(?:\s+(?P<names>/[^/]+/|[a-z0-9\-]+(?:\s*,\s*[a-z0-9\-]+)*))?"
    r"(?:\s+to\s+(?P<value>\d+))?"
    r"\s+in\s+(?:tenancy|compartment\s+[A-Za-z0-9_.\-:]+)"
    r"(?:\s+where\s+.+)?$",
    re.I,
)


@dataclass
class QuotaRecord:
    id: str
    compartment_id: str
    name: str
    description: str
    statements: list[str]
    lifecycle_state: str = "ACTIVE"
    time_created: datetime = field(default_factory=lambda: datetime.now(UTC))


class QuotasState:
    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.quotas: dict[str, QuotaRecord] = {}


def statement_problem(statement: Any) -> str | None:
    if not isinstance(statement, str):
        return "a statement must be a string"
    match = _STATEMENT.match(statement.strip())
    if match is None:
        return f"Invalid quota statement: {statement!r}."
    if (match["verb"].lower() == "set") != (match["value"] is not None):
        return f"Invalid quota statement (to <value> goes with set only): {statement!r}."
    return None


def _json(record: QuotaRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "compartmentId": record.compartment_id,
        "name": record.name,
        "description": record.description,
        "statements": record.statements,
        "timeCreated": oci_time(record.time_created),
        "lifecycleState": record.lifecycle_state,
        "freeformTags": {},
        "definedTags": {},
    }


def create_quota(request: FakeRequest) -> FakeResponse:
    quotas = request.state.service(QuotasState)
    body = request.json_object()
    if body.get("compartmentId") != request.state.tenancy:
        raise invalid_parameter("Quotas can only be created in the root compartment (tenancy).")
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise invalid_parameter(f"Invalid quota name {name!r}.")
    statements = body.get("statements")
    if not isinstance(statements, list) or not statements:
        raise invalid_parameter("statements must be a non-empty list.")
    for statement in statements:
        problem = statement_problem(statement)
        if problem:
            raise invalid_parameter(problem)
    if any(q.name == name for q in quotas.quotas.values()):
        raise OciError(409, "Conflict", f"A quota named {name} already exists.")
    record = QuotaRecord(
        new_ocid("quota"),
        body["compartmentId"],
        name,
        str(body.get("description", "")),
        list(statements),
    )
    quotas.quotas[record.id] = record
    return FakeResponse(_json(record), headers={"etag": record.id[-8:]})


def list_quotas(request: FakeRequest) -> FakeResponse:
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    name, state = request.arg("name"), request.arg("lifecycleState")
    rows = [
        q
        for q in request.state.service(QuotasState).quotas.values()
        if q.compartment_id == compartment
        and (name is None or q.name == name)
        and (state is None or q.lifecycle_state == state)
    ]
    page, headers = page_of(request, sorted(rows, key=lambda q: q.name))
    summaries = [{k: v for k, v in _json(q).items() if k != "statements"} for q in page]
    return FakeResponse(summaries, headers=headers)


def delete_quota(request: FakeRequest) -> FakeResponse:
    quotas = request.state.service(QuotasState).quotas
    if request.params["quotaId"] not in quotas:
        raise not_found()
    del quotas[request.params["quotaId"]]
    return FakeResponse(None, status=204)


def register(router: Router) -> None:
    router.add("POST", f"{BASE}/quotas", "CreateQuota", create_quota)
    router.add("GET", f"{BASE}/quotas", "ListQuotas", list_quotas)
    router.add("DELETE", f"{BASE}/quotas/{{quotaId}}", "DeleteQuota", delete_quota)
