"""Defined tags and the update calls that write them on Autonomous Databases and instances.

OCI refuses a defined tag whose namespace or key does not exist; the fake keeps the tag
definitions of the tenancy (``define``) and enforces the same::

    fake_oci.tags.define("governance", "cost_center", "environment", "cost_alerted")

Routes (base path /20160918): UpdateInstance ``PUT /instances/{id}``, and the tag-only
bodies of UpdateAutonomousDatabase ``PUT /autonomousDatabases/{id}`` (routed by the database
module), for their ``definedTags`` and ``freeformTags`` (any other member of an instance
update is 400: the fake implements tag updates only). ``definedTags`` must be a
map of namespaces to maps of keys; every namespace.key must be defined (else 400
InvalidParameter naming it); the given map replaces the resource's defined tags, as OCI
does. ``if-match`` is checked (412); a terminated resource is 409; an unknown id 404.
"""

from __future__ import annotations

from typing import Any

from tests.fake_oci.compute import ComputeState, instance_json
from tests.fake_oci.database import DatabaseState, adb_json
from tests.fake_oci.lifecycle import TrackedResource, check_if_match, find
from tests.fake_oci.server import FakeRequest, FakeResponse, Router, conflict, invalid_parameter
from tests.fake_oci.state import FakeOciState

BASE = "/20160918"
TAG_MEMBERS = ("definedTags", "freeformTags")


class TagsState:
    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.definitions: dict[str, set[str]] = {}

    def define(self, namespace: str, *keys: str) -> None:
        with self.state.lock:
            self.definitions.setdefault(namespace, set()).update(keys)


def _apply(request: FakeRequest, record: TrackedResource) -> None:
    check_if_match(request, record)
    if record.lifecycle_state in ("TERMINATING", "TERMINATED"):
        raise conflict(f"The resource {record.id} is {record.lifecycle_state}.")
    body = request.json_object()
    other = sorted(set(body) - set(TAG_MEMBERS))
    if other:
        raise invalid_parameter(f"The fake implements tag updates only, not {', '.join(other)}.")
    defined: Any = body.get("definedTags")
    if defined is not None:
        if not isinstance(defined, dict) or not all(isinstance(v, dict) for v in defined.values()):
            raise invalid_parameter("definedTags must map namespaces to maps of tag keys.")
        known = request.state.service(TagsState).definitions
        for namespace, values in defined.items():
            for key in values:
                if key not in known.get(namespace, set()):
                    raise invalid_parameter(
                        f"The tag {namespace}.{key} does not exist (tag namespace or key not found)."
                    )
        record.defined_tags = {ns: dict(v) for ns, v in defined.items()}
    if body.get("freeformTags") is not None:
        record.freeform_tags = dict(body["freeformTags"])
    record.changed()


def update_autonomous_database(request: FakeRequest) -> FakeResponse:
    databases = request.state.service(DatabaseState).autonomous_databases
    record = find(databases, request.params["autonomousDatabaseId"])
    _apply(request, record)
    return FakeResponse(adb_json(record), headers={"etag": record.etag})


def update_instance(request: FakeRequest) -> FakeResponse:
    record = find(request.state.service(ComputeState).instances, request.params["instanceId"])
    _apply(request, record)
    return FakeResponse(instance_json(record), headers={"etag": record.etag})


def is_tag_update(body: dict[str, Any]) -> bool:
    """True for an update body that changes tags only (the database module hands it here)."""
    return bool(body) and set(body) <= set(TAG_MEMBERS)


def register(router: Router) -> None:
    # UpdateAutonomousDatabase is routed by the database module, which hands tag-only
    # bodies to `update_autonomous_database` here; one route per operation.
    router.add("PUT", f"{BASE}/instances/{{instanceId}}", "UpdateInstance", update_instance)
