"""``oci.resource_search.ResourceSearchClient``: structured queries over the fake's resources.

The index is what the other services hold (Autonomous Databases, instances, the governed
resources of ``governed.py``) plus resources
seeded here of types the fake has no service for (``add_resource``), so a search finds what
the tag and stop calls can act on, and more::

    fake_oci.search.add_resource("Bucket", compartment_id=C, display_name="logs",
                                 defined_tags={"governance": {"cost_center": "CC-101"}})

Route (base path /20180409): SearchResources ``POST /resources`` with a
``StructuredSearchDetails`` body (``type`` Structured; FreeText is not implemented, 400). The
query grammar implemented is the documented one for what guardrails asks::

    query all|<type>[, <type>...] resources [where <condition> [&& <condition>...]]

with conditions ``definedTags.namespace = 'ns'``, ``definedTags.key = 'k'``,
``definedTags.value = 'v'`` (one parenthesised group: one tag that matches all three),
``lifecycleState = 'X'`` and ``lifecycleState != 'X'``; keywords and types are
case-insensitive, values case-sensitive. Anything else is 400 InvalidParameter. Answers are a
``ResourceSummaryCollection`` paged with ``page``/``limit`` and ``opc-next-page``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fake_oci.compute import ComputeState
from tests.fake_oci.database import DatabaseState
from tests.fake_oci.governed import GovernedState, display_name
from tests.fake_oci.lifecycle import TrackedResource
from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    invalid_parameter,
    oci_time,
    page_of,
)
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20180409"
_QUERY = re.compile(
    r"^\s*query\s+(?P<types>all|[a-z0-9]+(?:\s*,\s*[a-z0-9]+)*)\s+resources"
    r"(?:\s+where\s+(?P<where>.+?))?\s*$",
    re.I | re.S,
)
_CONDITION = re.compile(
    r"^(?P<field>definedTags\.namespace|definedTags\.key|definedTags\.value|lifecycleState)"
    r"\s*(?P<op>!=|=)\s*'(?P<value>[^']*)'$",
    re.I,
)


@dataclass
class IndexedResource:
    """A resource seeded only into the search index (a type the fake has no service for)."""

    resource_type: str
    id: str
    compartment_id: str
    display_name: str
    lifecycle_state: str = "ACTIVE"
    defined_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_created: datetime = field(default_factory=lambda: datetime.now(UTC))


class SearchState:
    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.extra: list[IndexedResource] = []
        self.queries: list[str] = []

    def add_resource(
        self, resource_type: str, *, compartment_id: str, display_name: str, **values: Any
    ) -> IndexedResource:
        values.setdefault("id", new_ocid(resource_type.lower(), self.state.region))
        record = IndexedResource(
            resource_type, compartment_id=compartment_id, display_name=display_name, **values
        )
        with self.state.lock:
            self.extra.append(record)
        return record


def _summary(resource_type: str, record: TrackedResource | IndexedResource) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "identifier": record.id,
        "compartmentId": record.compartment_id,
        "displayName": record.display_name,
        "lifecycleState": record.lifecycle_state,
        "timeCreated": oci_time(record.time_created),
        "definedTags": record.defined_tags,
        "freeformTags": getattr(record, "freeform_tags", {}),
        "systemTags": {},
    }


def _index(request: FakeRequest) -> list[dict[str, Any]]:
    state = request.state
    rows = [
        _summary("AutonomousDatabase", r)
        for r in state.service(DatabaseState).autonomous_databases.values()
    ]
    rows += [_summary("Instance", r) for r in state.service(ComputeState).instances.values()]
    rows += [_summary(r.resource_type, r) for r in state.service(SearchState).extra]
    rows += [
        {
            "resourceType": kind,
            "identifier": r["id"],
            "compartmentId": r["compartmentId"],
            "displayName": display_name(kind, r),
            "lifecycleState": r["lifecycleState"],
            "timeCreated": r["timeCreated"],
            "definedTags": r["definedTags"],
            "freeformTags": r["freeformTags"],
            "systemTags": {},
        }
        for kind, r in state.service(GovernedState).search_rows()
    ]
    return sorted(rows, key=lambda row: (row["resourceType"], row["identifier"]))


def _conditions(where: str) -> list[tuple[str, str, str]]:
    text = where.strip()
    parts: list[tuple[str, str, str]] = []
    for chunk in re.split(r"\s*&&\s*", text.replace("(", " ").replace(")", " ").strip()):
        match = _CONDITION.match(chunk.strip())
        if match is None:
            raise invalid_parameter(f"Unsupported or malformed query condition: {chunk!r}.")
        parts.append((match["field"].lower(), match["op"], match["value"]))
    return parts


def _matches(row: dict[str, Any], conditions: list[tuple[str, str, str]]) -> bool:
    tag = {f: v for f, op, v in conditions if f.startswith("definedtags.") and op == "="}
    if any(f.startswith("definedtags.") and op != "=" for f, op, _ in conditions):
        raise invalid_parameter("definedTags conditions support = only in the fake.")
    if tag:
        found = False
        for namespace, values in row["definedTags"].items():
            for key, value in values.items():
                if (
                    tag.get("definedtags.namespace", namespace) == namespace
                    and tag.get("definedtags.key", key) == key
                    and tag.get("definedtags.value", str(value)) == str(value)
                ):
                    found = True
        if not found:
            return False
    for field_name, op, value in conditions:
        if field_name == "lifecyclestate":
            equal = row["lifecycleState"].upper() == value.upper()
            if equal != (op == "="):
                return False
    return True


def search_resources(request: FakeRequest) -> FakeResponse:
    body = request.json_object()
    if body.get("type") != "Structured":
        raise invalid_parameter(f"Search type {body.get('type')!r} is not implemented by the fake.")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise invalid_parameter("query is required.")
    request.state.service(SearchState).queries.append(query)
    match = _QUERY.match(query)
    if match is None:
        raise invalid_parameter(f"Invalid query: {query!r}.")
    types = (
        None
        if match["types"].lower() == "all"
        else {t.strip().lower() for t in match["types"].split(",")}
    )
    conditions = _conditions(match["where"]) if match["where"] else []
    rows = [
        row
        for row in _index(request)
        if (types is None or row["resourceType"].lower() in types) and _matches(row, conditions)
    ]
    page, headers = page_of(request, rows)
    return FakeResponse({"items": page}, headers=headers)


def register(router: Router) -> None:
    router.add("POST", f"{BASE}/resources", "SearchResources", search_resources)
