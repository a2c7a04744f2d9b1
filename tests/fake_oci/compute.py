"""``oci.core.ComputeClient``: instances (list, get, power actions).

Seed instances, then list and stop/start them with the real client::

    vm = fake_oci.compute.add_instance(display_name="web-1", compartment_id=COMPARTMENT,
                                       defined_tags={"Governance": {"cost_center": "cc-1"}})
    fake_oci.compute.transition_polls = 3     # reads until a power action ends (default 2)

Routes (base path /20160918): ListInstances (``compartmentId`` required,
``availabilityDomain``, ``displayName``, ``lifecycleState``, ``sortBy``/``sortOrder``, paging),
GetInstance, InstanceAction ``POST /instances/{id}?action=...``. Power actions: STOP and
SOFTSTOP (RUNNING -> STOPPING -> STOPPED), START (STOPPED -> STARTING -> RUNNING), RESET and
SOFTRESET (RUNNING -> STOPPING -> RUNNING); an action from another state is 409 IncorrectState;
the diagnostic and migration actions are 400 (not implemented by the fake); an unknown id is
404 NotAuthorizedOrNotFound; ``if-match`` is checked (412). The answer is the instance in its
transitional state with an ``etag``; it reaches the final state after ``transition_polls``
reads (``instance_action_and_wait_for_state`` works).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fake_oci.lifecycle import (
    TrackedResource,
    check_if_match,
    common_json,
    list_in_compartment,
    read,
)
from tests.fake_oci.server import FakeRequest, FakeResponse, Router, conflict, invalid_parameter
from tests.fake_oci.state import FakeOciState, new_ocid

BASE = "/20160918"
LIFECYCLE_STATES = (
    "MOVING",
    "PROVISIONING",
    "RUNNING",
    "STARTING",
    "STOPPING",
    "STOPPED",
    "CREATING_IMAGE",
    "TERMINATING",
    "TERMINATED",
)
#: action -> (states it may start from, transitional state, final state)
POWER_ACTIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "STOP": (("RUNNING",), "STOPPING", "STOPPED"),
    "SOFTSTOP": (("RUNNING",), "STOPPING", "STOPPED"),
    "START": (("STOPPED",), "STARTING", "RUNNING"),
    "RESET": (("RUNNING",), "STOPPING", "RUNNING"),
    "SOFTRESET": (("RUNNING",), "STOPPING", "RUNNING"),
}
OTHER_ACTIONS = ("SENDDIAGNOSTICINTERRUPT", "DIAGNOSTICREBOOT", "REBOOTMIGRATE")


@dataclass
class InstanceRecord(TrackedResource):
    """One compute instance as the fake keeps it."""

    availability_domain: str = "Uocm:EU-FRANKFURT-1-AD-1"
    fault_domain: str = "FAULT-DOMAIN-1"
    region: str = "eu-frankfurt-1"
    shape: str = "VM.Standard.E4.Flex"
    ocpus: float = 1.0
    memory_in_gbs: float = 16.0
    extra: dict[str, Any] = field(default_factory=dict)


def instance_json(record: InstanceRecord) -> dict[str, Any]:
    return (
        common_json(record)
        | {
            "availabilityDomain": record.availability_domain,
            "faultDomain": record.fault_domain,
            "region": record.region,
            "shape": record.shape,
            "shapeConfig": {"ocpus": record.ocpus, "memoryInGBs": record.memory_in_gbs},
        }
        | record.extra
    )


class ComputeState:
    """Instances by id and how many reads a power action takes."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.instances: dict[str, InstanceRecord] = {}
        self.transition_polls = 2

    def add_instance(
        self, *, compartment_id: str, display_name: str, **values: Any
    ) -> InstanceRecord:
        """Seed an instance (RUNNING unless ``lifecycle_state`` says otherwise)."""
        values.setdefault("lifecycle_state", "RUNNING")
        values.setdefault("id", new_ocid("instance", self.state.region))
        record = InstanceRecord(compartment_id=compartment_id, display_name=display_name, **values)
        with self.state.lock:
            self.instances[record.id] = record
        return record


def _compute(request: FakeRequest) -> ComputeState:
    return request.state.service(ComputeState)


def list_instances(request: FakeRequest) -> FakeResponse:
    domain = request.arg("availabilityDomain")
    records = [
        r
        for r in _compute(request).instances.values()
        if domain is None or r.availability_domain == domain
    ]
    page, headers = list_in_compartment(request, records, LIFECYCLE_STATES)
    return FakeResponse([instance_json(r) for r in page], headers=headers)


def get_instance(request: FakeRequest) -> FakeResponse:
    record = read(_compute(request).instances, request.params["instanceId"])
    return FakeResponse(instance_json(record), headers={"etag": record.etag})


def instance_action(request: FakeRequest) -> FakeResponse:
    compute = _compute(request)
    record = read(compute.instances, request.params["instanceId"])
    action = request.arg("action")
    if action in OTHER_ACTIONS:
        raise invalid_parameter(f"action {action} is not implemented by the fake.")
    if action not in POWER_ACTIONS:
        raise invalid_parameter(f"Invalid action {action!r}.")
    check_if_match(request, record)
    allowed_from, transitional, final = POWER_ACTIONS[action]
    if record.lifecycle_state not in allowed_from:
        raise conflict(
            f"Instance {record.id} is in the {record.lifecycle_state} state; "
            f"{action} needs {' or '.join(allowed_from)}."
        )
    record.begin(transitional, final, compute.transition_polls)
    record.changed()
    return FakeResponse(instance_json(record), headers={"etag": record.etag})


def register(router: Router) -> None:
    one = f"{BASE}/instances/{{instanceId}}"
    router.add("GET", f"{BASE}/instances", "ListInstances", list_instances)
    router.add("GET", one, "GetInstance", get_instance)
    router.add("POST", one, "InstanceAction", instance_action)
