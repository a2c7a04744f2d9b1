"""The fake Database and Compute services, through the real clients and composite operations."""

from __future__ import annotations

import oci
import pytest

from tests.fake_oci.database import AutonomousDatabaseRecord
from tests.fake_oci.fixture import FakeOci
from tests.fake_oci.state import new_ocid, ocid

PROD = ocid("compartment", "prod")
DEV = ocid("compartment", "dev")
TAGS = {"Governance": {"cost_center": "cc-orders", "environment": "dev"}}
FAST = {"max_interval_seconds": 0, "max_wait_seconds": 5}


@pytest.fixture
def fleet(fake_oci: FakeOci) -> FakeOci:
    db = fake_oci.database
    db.add_autonomous_database(compartment_id=DEV, display_name="orders", defined_tags=TAGS)
    db.add_autonomous_database(
        compartment_id=DEV, display_name="reports", db_workload="DW", lifecycle_state="STOPPED"
    )
    db.add_autonomous_database(compartment_id=DEV, display_name="archive")
    db.add_autonomous_database(compartment_id=PROD, display_name="ledger", compute_count=8)
    return fake_oci


def _db(fake: FakeOci) -> oci.database.DatabaseClient:
    return fake.client(oci.database.DatabaseClient)


def _named(fake: FakeOci, name: str) -> AutonomousDatabaseRecord:
    [record] = [r for r in fake.database.autonomous_databases.values() if r.display_name == name]
    return record


def test_list_by_compartment_and_state_with_paging(fleet: FakeOci) -> None:
    client = _db(fleet)

    every = oci.pagination.list_call_get_all_results(
        client.list_autonomous_databases, DEV, limit=2, sort_by="DISPLAYNAME"
    ).data
    available = client.list_autonomous_databases(DEV, lifecycle_state="AVAILABLE").data
    warehouses = client.list_autonomous_databases(DEV, db_workload="DW").data

    assert [d.display_name for d in every] == ["archive", "orders", "reports"]
    assert sorted(d.display_name for d in available) == ["archive", "orders"]
    assert [d.display_name for d in warehouses] == ["reports"]
    assert len(fleet.state.calls_of("ListAutonomousDatabases")) == 4


def test_get_returns_the_seeded_database(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")

    adb = _db(fleet).get_autonomous_database(record.id)

    assert adb.data.id == record.id
    assert adb.data.defined_tags == TAGS
    assert adb.data.compute_model == "ECPU"
    assert adb.data.compute_count == 2.0
    assert adb.data.license_model == "LICENSE_INCLUDED"
    assert adb.data.is_auto_scaling_enabled is True
    assert adb.data.lifecycle_state == "AVAILABLE"
    assert adb.headers["etag"] == record.etag


def test_an_unknown_database_is_404(fleet: FakeOci) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _db(fleet).get_autonomous_database(new_ocid("autonomousdatabase"))

    assert (caught.value.status, caught.value.code) == (404, "NotAuthorizedOrNotFound")


def test_list_needs_a_known_lifecycle_state(fleet: FakeOci) -> None:
    # the SDK checks the enum itself; a raw value still reaches the service as OCI would see it
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _db(fleet).base_client.call_api(
            resource_path="/autonomousDatabases",
            method="GET",
            query_params={"compartmentId": DEV, "lifecycleState": "SLEEPING"},
            header_params={"accept": "application/json"},
            response_type="list[AutonomousDatabaseSummary]",
        )

    assert (caught.value.status, caught.value.message) == (
        400,
        "Invalid lifecycle state 'SLEEPING'.",
    )


def test_stop_takes_a_few_polls_then_is_stopped(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")
    client = _db(fleet)

    stop = client.stop_autonomous_database(record.id)
    seen = [client.get_autonomous_database(record.id).data.lifecycle_state for _ in range(3)]

    assert stop.data.lifecycle_state == "STOPPING"
    assert stop.headers["opc-work-request-id"]
    assert seen == ["STOPPING", "STOPPED", "STOPPED"]


def test_stop_and_wait_for_state_with_the_composite_operation(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")
    composite = oci.database.DatabaseClientCompositeOperations(_db(fleet))

    result = composite.stop_autonomous_database_and_wait_for_state(
        record.id, wait_for_states=["STOPPED"], waiter_kwargs=FAST
    )

    assert result.data.lifecycle_state == "STOPPED"
    assert record.lifecycle_state == "STOPPED"


def test_start_and_wait_for_the_work_request(fleet: FakeOci) -> None:
    record = _named(fleet, "reports")
    client = _db(fleet)
    composite = oci.database.DatabaseClientCompositeOperations(
        client, work_request_client=fleet.client(oci.work_requests.WorkRequestClient)
    )

    result = composite.start_autonomous_database_and_wait_for_work_request(
        record.id, waiter_kwargs=FAST
    )

    assert result.data.status == "SUCCEEDED"
    assert result.data.operation_type == "START_AUTONOMOUS_DATABASE"
    assert result.data.resources[0].identifier == record.id
    assert client.get_autonomous_database(record.id).data.lifecycle_state == "AVAILABLE"


def test_a_failed_operation_fails_its_work_request_and_keeps_the_state(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")
    fleet.database.fail_next(record.id, "InternalError", "The database could not be stopped.")
    wr = fleet.client(oci.work_requests.WorkRequestClient)
    composite = oci.database.DatabaseClientCompositeOperations(_db(fleet), work_request_client=wr)

    result = composite.stop_autonomous_database_and_wait_for_work_request(
        record.id, waiter_kwargs=FAST
    )
    errors = wr.list_work_request_errors(result.data.id).data

    assert result.data.status == "FAILED"
    assert [(e.code, e.message) for e in errors] == [
        ("InternalError", "The database could not be stopped.")
    ]
    assert record.lifecycle_state == "AVAILABLE"


def test_a_transition_that_never_ends_times_the_waiter_out(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")
    fleet.database.transition_polls = 10**6
    composite = oci.database.DatabaseClientCompositeOperations(_db(fleet))

    with pytest.raises(oci.exceptions.CompositeOperationError) as caught:
        composite.stop_autonomous_database_and_wait_for_state(
            record.id,
            wait_for_states=["STOPPED"],
            waiter_kwargs={"max_interval_seconds": 0, "max_wait_seconds": 0.3},
        )

    assert isinstance(caught.value.cause, oci.exceptions.MaximumWaitTimeExceeded)
    assert record.lifecycle_state == "STOPPING"


@pytest.mark.parametrize(
    ("name", "operation", "state"),
    [
        ("reports", "stop_autonomous_database", "STOPPED"),
        ("orders", "start_autonomous_database", "AVAILABLE"),
    ],
)
def test_an_operation_from_the_wrong_state_is_409(
    fleet: FakeOci, name: str, operation: str, state: str
) -> None:
    record = _named(fleet, name)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        getattr(_db(fleet), operation)(record.id)

    assert (caught.value.status, caught.value.code) == (409, "IncorrectState")
    assert f"is in the {state} state" in caught.value.message
    assert record.lifecycle_state == state


def test_if_match_must_be_the_current_etag(fleet: FakeOci) -> None:
    record = _named(fleet, "orders")
    stale = record.etag
    _db(fleet).stop_autonomous_database(record.id, if_match=stale)
    fleet.database.transition_polls = 0
    _db(fleet).get_autonomous_database(record.id)

    with pytest.raises(oci.exceptions.ServiceError) as caught:
        _db(fleet).start_autonomous_database(record.id, if_match=stale)

    assert (caught.value.status, caught.value.code) == (412, "PreconditionFailed")


def test_instances_list_and_stop_start(fake_oci: FakeOci) -> None:
    compute = fake_oci.compute
    web = compute.add_instance(compartment_id=DEV, display_name="web-1", defined_tags=TAGS)
    compute.add_instance(compartment_id=DEV, display_name="web-2", lifecycle_state="STOPPED")
    compute.add_instance(compartment_id=PROD, display_name="api-1")
    client = fake_oci.client(oci.core.ComputeClient)
    composite = oci.core.ComputeClientCompositeOperations(client)

    running = client.list_instances(DEV, lifecycle_state="RUNNING").data
    stopping = client.instance_action(web.id, "STOP")
    seen = [client.get_instance(web.id).data.lifecycle_state for _ in range(2)]
    started = composite.instance_action_and_wait_for_state(
        web.id, "START", wait_for_states=["RUNNING"], waiter_kwargs=FAST
    )

    assert [(i.display_name, i.defined_tags) for i in running] == [("web-1", TAGS)]
    assert stopping.data.lifecycle_state == "STOPPING"
    assert seen == ["STOPPING", "STOPPED"]
    assert started.data.lifecycle_state == "RUNNING"


def test_instance_errors(fake_oci: FakeOci) -> None:
    web = fake_oci.compute.add_instance(
        compartment_id=DEV, display_name="web-1", lifecycle_state="STOPPED"
    )
    client = fake_oci.client(oci.core.ComputeClient)

    with pytest.raises(oci.exceptions.ServiceError) as wrong_state:
        client.instance_action(web.id, "STOP")
    with pytest.raises(oci.exceptions.ServiceError) as unknown:
        client.get_instance(new_ocid("instance"))
    with pytest.raises(oci.exceptions.ServiceError) as no_compartment:
        client.base_client.call_api(resource_path="/instances", method="GET", header_params={})

    assert (wrong_state.value.status, wrong_state.value.code) == (409, "IncorrectState")
    assert "STOP needs RUNNING" in wrong_state.value.message
    assert (unknown.value.status, unknown.value.code) == (404, "NotAuthorizedOrNotFound")
    assert (no_compartment.value.status, no_compartment.value.message) == (
        400,
        "compartmentId is required.",
    )
