"""``oci.database.DatabaseClient``: Autonomous Databases (list, get, stop, start).

Seed databases, then operate on them with the real client and its composite operations::

    adb = fake_oci.database.add_autonomous_database(
        display_name="orders", compartment_id=COMPARTMENT, compute_count=4,
        defined_tags={"Governance": {"cost_center": "cc-1", "environment": "dev"}})
    fake_oci.database.transition_polls = 3      # reads until a transition ends (default 2)
    fake_oci.database.fail_next(adb.id, "InternalError", "Stop failed")  # next op fails

Routes (base path /20160918): ListAutonomousDatabases (``compartmentId`` required,
``lifecycleState``, ``lifecycleStateNotEqualTo``, ``displayName``, ``dbWorkload``,
``sortBy``/``sortOrder``, paging), GetAutonomousDatabase, StopAutonomousDatabase,
StartAutonomousDatabase. Unknown ids are 404 NotAuthorizedOrNotFound. Stop needs AVAILABLE,
start needs STOPPED, else 409 IncorrectState naming the state. An operation answers the
database in its transitional state (STOPPING, STARTING) with ``etag`` and
``opc-work-request-id`` headers; the database reaches the final state after
``transition_polls`` reads of it or of the work request (lifecycle.py), so
``stop_autonomous_database_and_wait_for_state`` and ``..._and_wait_for_work_request`` both
work. ``if-match`` is checked (412). A failed operation (``fail_next``) ends with the database
back in its former state and the work request FAILED with the error; a never-ending one is
``transition_polls = 10**6`` (timeout tests).

Extend it (update, backup, clone, delete): write the handler with ``_operation`` (allowed
states, transitional and final state, work request type), apply the change to the record
(``record.compute_count = ...``; unknown members go in ``record.extra`` as camelCase JSON),
register the route in ``register`` with the SDK operation name, and test it through the SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fake_oci.lifecycle import (
    TrackedResource,
    check_if_match,
    common_json,
    json_without_none,
    list_in_compartment,
    read,
)
from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    conflict,
    invalid_parameter,
)
from tests.fake_oci.state import FakeOciState, new_ocid
from tests.fake_oci.work_requests import WorkRequestState

BASE = "/20160918"
ENTITY = "autonomousDatabase"
LIFECYCLE_STATES = (
    "PROVISIONING",
    "AVAILABLE",
    "STOPPING",
    "STOPPED",
    "STARTING",
    "TERMINATING",
    "TERMINATED",
    "UNAVAILABLE",
    "RESTORE_IN_PROGRESS",
    "RESTORE_FAILED",
    "BACKUP_IN_PROGRESS",
    "SCALE_IN_PROGRESS",
    "AVAILABLE_NEEDS_ATTENTION",
    "UPDATING",
    "MAINTENANCE_IN_PROGRESS",
    "RESTARTING",
    "RECREATING",
    "ROLE_CHANGE_IN_PROGRESS",
    "UPGRADING",
    "INACCESSIBLE",
    "STANDBY",
    "TRANSPORTING",
)
WORKLOADS = ("OLTP", "DW", "AJD", "APEX", "LH")


@dataclass
class AutonomousDatabaseRecord(TrackedResource):
    """One Autonomous Database (Serverless) as the fake keeps it."""

    db_name: str = ""
    db_workload: str = "OLTP"
    db_version: str = "19c"
    license_model: str = "LICENSE_INCLUDED"
    compute_model: str = "ECPU"
    compute_count: float = 2.0
    is_auto_scaling_enabled: bool = True
    is_auto_scaling_for_storage_enabled: bool = False
    data_storage_size_in_tbs: int = 1
    used_data_storage_size_in_tbs: float = 0.2
    backup_retention_period_in_days: int = 60
    is_free_tier: bool = False
    is_dev_tier: bool = False
    is_mtls_connection_required: bool = False
    subnet_id: str | None = None
    whitelisted_ips: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def adb_json(record: AutonomousDatabaseRecord) -> dict[str, Any]:
    body = common_json(record) | json_without_none(
        {
            "dbName": record.db_name,
            "dbWorkload": record.db_workload,
            "dbVersion": record.db_version,
            "licenseModel": record.license_model,
            "computeModel": record.compute_model,
            "computeCount": record.compute_count,
            "isAutoScalingEnabled": record.is_auto_scaling_enabled,
            "isAutoScalingForStorageEnabled": record.is_auto_scaling_for_storage_enabled,
            "dataStorageSizeInTBs": record.data_storage_size_in_tbs,
            "dataStorageSizeInGBs": record.data_storage_size_in_tbs * 1024,
            "usedDataStorageSizeInTBs": round(record.used_data_storage_size_in_tbs),
            "actualUsedDataStorageSizeInTBs": record.used_data_storage_size_in_tbs,
            "allocatedStorageSizeInTBs": record.used_data_storage_size_in_tbs,
            "backupRetentionPeriodInDays": record.backup_retention_period_in_days,
            "isFreeTier": record.is_free_tier,
            "isDevTier": record.is_dev_tier,
            "isMtlsConnectionRequired": record.is_mtls_connection_required,
            "isDedicated": False,
            "infrastructureType": "CLOUD",
            "subnetId": record.subnet_id,
            "whitelistedIps": record.whitelisted_ips,
        }
    )
    return body | record.extra


class DatabaseState:
    """Autonomous Databases by id, how many reads a transition takes, and planned failures."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.autonomous_databases: dict[str, AutonomousDatabaseRecord] = {}
        self.transition_polls = 2
        self.failures: dict[str, tuple[str, str]] = {}

    def add_autonomous_database(
        self, *, compartment_id: str, display_name: str, **values: Any
    ) -> AutonomousDatabaseRecord:
        """Seed a database (AVAILABLE unless ``lifecycle_state`` says otherwise)."""
        values.setdefault("lifecycle_state", "AVAILABLE")
        values.setdefault("id", new_ocid("autonomousdatabase", self.state.region))
        values.setdefault("db_name", display_name.replace("-", "")[:14] or "db")
        record = AutonomousDatabaseRecord(
            compartment_id=compartment_id, display_name=display_name, **values
        )
        with self.state.lock:
            self.autonomous_databases[record.id] = record
        return record

    def fail_next(self, adb_id: str, code: str, message: str) -> None:
        """Make the next lifecycle operation on ``adb_id`` fail (work request FAILED)."""
        with self.state.lock:
            self.failures[adb_id] = (code, message)


def _database(request: FakeRequest) -> DatabaseState:
    return request.state.service(DatabaseState)


def _operation(
    request: FakeRequest,
    *,
    allowed_from: Sequence[str],
    transitional: str,
    final: str,
    operation_type: str,
) -> tuple[AutonomousDatabaseRecord, FakeResponse]:
    """Start a lifecycle operation on the path's database; the answer to send back."""
    database = _database(request)
    record = read(database.autonomous_databases, request.params["autonomousDatabaseId"])
    check_if_match(request, record)
    if request.header("opc-dry-run"):
        raise invalid_parameter("opc-dry-run is not implemented by the fake.")
    if record.lifecycle_state not in allowed_from:
        raise conflict(
            f"The Autonomous Database {record.id} is in the {record.lifecycle_state} state; "
            f"this operation needs {' or '.join(allowed_from)}."
        )
    work_request = request.state.service(WorkRequestState).create(
        operation_type, record, ENTITY, "UPDATED"
    )
    record.begin(
        transitional,
        final,
        database.transition_polls,
        work_request=work_request,
        error=database.failures.pop(record.id, None),
    )
    record.changed()
    headers = {"etag": record.etag, "opc-work-request-id": work_request.id}
    return record, FakeResponse(adb_json(record), headers=headers)


def list_autonomous_databases(request: FakeRequest) -> FakeResponse:
    workload = request.arg("dbWorkload")
    if workload is not None and workload not in WORKLOADS:
        raise invalid_parameter(f"Invalid dbWorkload {workload!r}.")
    records = [
        r
        for r in _database(request).autonomous_databases.values()
        if workload is None or r.db_workload == workload
    ]
    page, headers = list_in_compartment(request, records, LIFECYCLE_STATES)
    return FakeResponse([adb_json(r) for r in page], headers=headers)


def get_autonomous_database(request: FakeRequest) -> FakeResponse:
    record = read(_database(request).autonomous_databases, request.params["autonomousDatabaseId"])
    return FakeResponse(adb_json(record), headers={"etag": record.etag})


def stop_autonomous_database(request: FakeRequest) -> FakeResponse:
    return _operation(
        request,
        allowed_from=("AVAILABLE",),
        transitional="STOPPING",
        final="STOPPED",
        operation_type="STOP_AUTONOMOUS_DATABASE",
    )[1]


def start_autonomous_database(request: FakeRequest) -> FakeResponse:
    return _operation(
        request,
        allowed_from=("STOPPED",),
        transitional="STARTING",
        final="AVAILABLE",
        operation_type="START_AUTONOMOUS_DATABASE",
    )[1]


def register(router: Router) -> None:
    adbs = f"{BASE}/autonomousDatabases"
    one = f"{adbs}/{{autonomousDatabaseId}}"
    router.add("GET", adbs, "ListAutonomousDatabases", list_autonomous_databases)
    router.add("GET", one, "GetAutonomousDatabase", get_autonomous_database)
    router.add("POST", f"{one}/actions/stop", "StopAutonomousDatabase", stop_autonomous_database)
    router.add("POST", f"{one}/actions/start", "StartAutonomousDatabase", start_autonomous_database)
