"""``oci.database.DatabaseClient``: Autonomous Databases (list, get, stop, start, update,
clone, delete) and their backups (create, list, get).

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

Update (``UpdateAutonomousDatabase``: SCALE_IN_PROGRESS for ECPU or auto-scaling changes,
else UPDATING; the ECPU rules of OCI: at least 2, whole, not together with a license, access
list or schedule change; retention 1..60), clone (``CreateAutonomousDatabase`` with
``source`` DATABASE: the source AVAILABLE, ``cloneType`` FULL|METADATA, a dbName free in the
compartment, ``adminPassword`` or ``secretId``; the clone is PROVISIONING, then AVAILABLE, and
its work request names it CREATED), delete (TERMINATING, then TERMINATED) and backups
(``CreateAutonomousDatabaseBackup``: the database BACKUP_IN_PROGRESS and the backup CREATING
until both are read ``transition_polls`` times; long-term backups keep 90..3650 days) follow
the same pattern. A change is applied when the operation is accepted, unless it is planned
to fail (``fail_next``; ``fail_next_backup`` makes the next backup end FAILED,
``fail_next_clone`` the next clone end TERMINATED with a FAILED work request).

Extend it: write the handler with ``_operation`` (allowed
states, transitional and final state, work request type), apply the change to the record
(``record.compute_count = ...``; unknown members go in ``record.extra`` as camelCase JSON),
register the route in ``register`` with the SDK operation name, and test it through the SDK.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fake_oci.lifecycle import (
    TrackedResource,
    check_if_match,
    common_json,
    json_without_none,
    list_in_compartment,
    read,
    sort_order,
)
from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    OciError,
    Router,
    conflict,
    invalid_parameter,
    oci_time,
    page_of,
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


@dataclass
class AutonomousDatabaseBackupRecord(TrackedResource):
    """A backup of an Autonomous Database (manual, long-term or automatic)."""

    autonomous_database_id: str = ""
    type: str = "FULL"
    is_automatic: bool = False
    retention_period_in_days: int | None = None
    time_started: datetime | None = None
    time_ended: datetime | None = None
    failure: tuple[str, str] | None = None


def backup_json(record: AutonomousDatabaseBackupRecord) -> dict[str, Any]:
    failed = record.lifecycle_state == "FAILED" and record.failure
    return common_json(record) | json_without_none(
        {
            "autonomousDatabaseId": record.autonomous_database_id,
            "type": record.type,
            "isAutomatic": record.is_automatic,
            "isRestorable": record.lifecycle_state == "ACTIVE",
            "retentionPeriodInDays": record.retention_period_in_days,
            "timeStarted": oci_time(record.time_started) if record.time_started else None,
            "timeEnded": oci_time(record.time_ended) if record.time_ended else None,
            "lifecycleDetails": f"{record.failure[0]}: {record.failure[1]}"
            if failed and record.failure
            else None,
        }
    )


class DatabaseState:
    """Autonomous Databases by id, how many reads a transition takes, and planned failures."""

    def __init__(self, state: FakeOciState) -> None:
        self.state = state
        self.autonomous_databases: dict[str, AutonomousDatabaseRecord] = {}
        self.backups: dict[str, AutonomousDatabaseBackupRecord] = {}
        self.transition_polls = 2
        self.failures: dict[str, tuple[str, str]] = {}
        self.backup_failure: tuple[str, str] | None = None
        self.clone_failure: tuple[str, str] | None = None

    def add_backup(
        self, autonomous_database_id: str, *, time_ended: datetime, **values: Any
    ) -> AutonomousDatabaseBackupRecord:
        """Seed a finished (ACTIVE) backup of a database, automatic unless told otherwise."""
        adb = self.autonomous_databases[autonomous_database_id]
        values.setdefault("is_automatic", True)
        values.setdefault("type", "INCREMENTAL")
        record = AutonomousDatabaseBackupRecord(
            id=values.pop("id", new_ocid("autonomousdatabasebackup", self.state.region)),
            compartment_id=adb.compartment_id,
            lifecycle_state=values.pop("lifecycle_state", "ACTIVE"),
            display_name=values.pop("display_name", f"Automatic Backup {time_ended:%d-%b-%Y}"),
            autonomous_database_id=autonomous_database_id,
            time_created=time_ended,
            time_started=time_ended,
            time_ended=time_ended,
            **values,
        )
        with self.state.lock:
            self.backups[record.id] = record
        return record

    def fail_next_backup(self, code: str, message: str) -> None:
        """Make the next created backup end FAILED with this error."""
        with self.state.lock:
            self.backup_failure = (code, message)

    def fail_next_clone(self, code: str, message: str) -> None:
        """Make the next clone's work request end FAILED (the clone TERMINATED)."""
        with self.state.lock:
            self.clone_failure = (code, message)

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
    action: str = "UPDATED",
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
        operation_type, record, ENTITY, action
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


# --- update, clone, delete ------------------------------------------------------------------

DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,29}$")
MIN_ECPU = 2
UPDATE_FIELDS = {
    "computeCount": "compute_count",
    "isAutoScalingEnabled": "is_auto_scaling_enabled",
    "isAutoScalingForStorageEnabled": "is_auto_scaling_for_storage_enabled",
    "dataStorageSizeInTBs": "data_storage_size_in_tbs",
    "backupRetentionPeriodInDays": "backup_retention_period_in_days",
    "licenseModel": "license_model",
    "displayName": "display_name",
    "whitelistedIps": "whitelisted_ips",
}
# OCI refuses a compute change together with these (one kind of change per update).
NOT_WITH_COMPUTE = ("licenseModel", "whitelistedIps", "scheduledOperations")


def _check_compute(body: dict[str, Any]) -> None:
    count = body.get("computeCount")
    if count is None:
        return
    if not isinstance(count, int | float) or isinstance(count, bool):
        raise invalid_parameter("computeCount must be a number.")
    if count < MIN_ECPU or float(count) != int(count):
        raise invalid_parameter(
            f"computeCount {count} is invalid: the ECPU compute model takes whole numbers "
            f"from {MIN_ECPU}."
        )


def _check_retention(body: dict[str, Any]) -> None:
    days = body.get("backupRetentionPeriodInDays")
    if days is not None and not (isinstance(days, int) and 1 <= days <= 60):
        raise invalid_parameter("backupRetentionPeriodInDays must be between 1 and 60.")


def update_autonomous_database(request: FakeRequest) -> FakeResponse:
    body = request.json_object()
    from tests.fake_oci import tags  # tags builds on this module

    if tags.is_tag_update(body):
        return tags.update_autonomous_database(request)
    unknown = sorted(set(body) - set(UPDATE_FIELDS) - set(NOT_WITH_COMPUTE))
    if unknown:
        raise invalid_parameter(f"The fake does not update {', '.join(unknown)}.")
    _check_compute(body)
    _check_retention(body)
    together = [k for k in NOT_WITH_COMPUTE if k in body]
    if "computeCount" in body and together:
        raise invalid_parameter(
            f"computeCount cannot be updated together with {', '.join(together)}."
        )
    scaling = {"computeCount", "isAutoScalingEnabled", "dataStorageSizeInTBs"} & set(body)
    database = _database(request)
    failing = request.params["autonomousDatabaseId"] in database.failures
    record, response = _operation(
        request,
        allowed_from=("AVAILABLE",),
        transitional="SCALE_IN_PROGRESS" if scaling else "UPDATING",
        final="AVAILABLE",
        operation_type="UPDATE_AUTONOMOUS_DATABASE",
    )
    if not failing:
        for key, attribute in UPDATE_FIELDS.items():
            if key in body:
                value = body[key]
                setattr(record, attribute, float(value) if key == "computeCount" else value)
    return FakeResponse(adb_json(record), headers=response.headers)


def _create_clone(request: FakeRequest, body: dict[str, Any]) -> FakeResponse:
    database = _database(request)
    source = read(database.autonomous_databases, str(body.get("sourceId") or ""))
    compartment = body.get("compartmentId")
    if not isinstance(compartment, str) or not compartment:
        raise invalid_parameter("compartmentId is required.")
    clone_type = body.get("cloneType")
    if clone_type not in ("FULL", "METADATA"):
        raise invalid_parameter("cloneType must be FULL or METADATA.")
    name = body.get("dbName")
    if not isinstance(name, str) or not DB_NAME.match(name):
        raise invalid_parameter(f"dbName {name!r} is not a valid database name.")
    if not body.get("adminPassword") and not body.get("secretId"):
        raise invalid_parameter("adminPassword or secretId is required.")
    _check_compute(body)
    if source.lifecycle_state != "AVAILABLE":
        raise conflict(
            f"The source database {source.id} is {source.lifecycle_state}; a clone needs it "
            "AVAILABLE."
        )
    taken = any(
        r.compartment_id == compartment
        and r.db_name.upper() == name.upper()
        and r.lifecycle_state != "TERMINATED"
        for r in database.autonomous_databases.values()
    )
    if taken:
        raise OciError(
            409, "Conflict", f"A database named {name.upper()} already exists in the compartment."
        )
    clone = database.add_autonomous_database(
        compartment_id=compartment,
        display_name=str(body.get("displayName") or name.lower()),
        db_name=name.upper(),
        # a clone that fails ends TERMINATED: the state the transition falls back to
        lifecycle_state="TERMINATED",
        db_workload=body.get("dbWorkload", source.db_workload),
        license_model=body.get("licenseModel", source.license_model),
        compute_count=float(body.get("computeCount", source.compute_count)),
        is_auto_scaling_enabled=bool(body.get("isAutoScalingEnabled", False)),
        data_storage_size_in_tbs=int(body.get("dataStorageSizeInTBs", 1)),
        used_data_storage_size_in_tbs=(
            source.used_data_storage_size_in_tbs if clone_type == "FULL" else 0.01
        ),
        subnet_id=body.get("subnetId"),
        whitelisted_ips=body.get("whitelistedIps"),
        defined_tags=body.get("definedTags") or {},
        freeform_tags=body.get("freeformTags") or {},
        extra={"sourceId": source.id, "cloneType": clone_type},
    )
    work_request = request.state.service(WorkRequestState).create(
        "CREATE_AUTONOMOUS_DATABASE", clone, ENTITY, "CREATED"
    )
    failure, database.clone_failure = database.clone_failure, None
    clone.begin(
        "PROVISIONING",
        "AVAILABLE",
        database.transition_polls,
        work_request=work_request,
        error=failure,
    )
    headers = {"etag": clone.etag, "opc-work-request-id": work_request.id}
    return FakeResponse(adb_json(clone), headers=headers)


def create_autonomous_database(request: FakeRequest) -> FakeResponse:
    body = request.json_object()
    if body.get("source") != "DATABASE":
        raise invalid_parameter("The fake creates Autonomous Databases as clones only.")
    return _create_clone(request, body)


def delete_autonomous_database(request: FakeRequest) -> FakeResponse:
    _, response = _operation(
        request,
        allowed_from=("AVAILABLE", "STOPPED", "UNAVAILABLE", "AVAILABLE_NEEDS_ATTENTION"),
        transitional="TERMINATING",
        final="TERMINATED",
        operation_type="DELETE_AUTONOMOUS_DATABASE",
        action="DELETED",
    )
    work_request = response.headers["opc-work-request-id"]
    return FakeResponse(None, status=204, headers={"opc-work-request-id": work_request})


# --- backups --------------------------------------------------------------------------------

BACKUP_STATES = ("CREATING", "ACTIVE", "DELETING", "DELETED", "FAILED", "UPDATING")


def create_autonomous_database_backup(request: FakeRequest) -> FakeResponse:
    body = request.json_object()
    database = _database(request)
    adb_id = body.get("autonomousDatabaseId")
    if not isinstance(adb_id, str):
        raise invalid_parameter("autonomousDatabaseId is required.")
    adb = read(database.autonomous_databases, adb_id)
    long_term = bool(body.get("isLongTermBackup"))
    days = body.get("retentionPeriodInDays")
    if long_term and not (isinstance(days, int) and 90 <= days <= 3650):
        raise invalid_parameter("A long-term backup keeps 90 to 3650 days (retentionPeriodInDays).")
    if not long_term and days is not None:
        raise invalid_parameter("retentionPeriodInDays is for long-term backups only.")
    if adb.lifecycle_state != "AVAILABLE":
        raise conflict(
            f"The Autonomous Database {adb.id} is in the {adb.lifecycle_state} state; "
            "a backup needs AVAILABLE."
        )
    now = datetime.now(UTC)
    failure, database.backup_failure = database.backup_failure, None
    backup = AutonomousDatabaseBackupRecord(
        id=new_ocid("autonomousdatabasebackup", request.state.region),
        compartment_id=adb.compartment_id,
        # a failing backup falls back to FAILED
        lifecycle_state="FAILED",
        display_name=str(body.get("displayName") or f"Manual backup {now:%d-%b-%Y}"),
        autonomous_database_id=adb.id,
        type="LONGTERM" if long_term else "FULL",
        retention_period_in_days=days if long_term else None,
        time_started=now,
        time_ended=now,
        failure=failure,
    )
    work_request = request.state.service(WorkRequestState).create(
        "CREATE_AUTONOMOUS_DATABASE_BACKUP", backup, "autonomousDatabaseBackup", "CREATED"
    )
    backup.begin(
        "CREATING", "ACTIVE", database.transition_polls, work_request=work_request, error=failure
    )
    adb.begin("BACKUP_IN_PROGRESS", "AVAILABLE", database.transition_polls)
    adb.changed()
    with request.state.lock:
        database.backups[backup.id] = backup
    headers = {"etag": backup.etag, "opc-work-request-id": work_request.id}
    return FakeResponse(backup_json(backup), headers=headers)


def get_autonomous_database_backup(request: FakeRequest) -> FakeResponse:
    record = read(_database(request).backups, request.params["autonomousDatabaseBackupId"])
    return FakeResponse(backup_json(record), headers={"etag": record.etag})


def list_autonomous_database_backups(request: FakeRequest) -> FakeResponse:
    adb_id = request.arg("autonomousDatabaseId")
    compartment = request.arg("compartmentId")
    if not adb_id and not compartment:
        raise invalid_parameter("autonomousDatabaseId or compartmentId is required.")
    state = request.arg("lifecycleState")
    if state is not None and state not in BACKUP_STATES:
        raise invalid_parameter(f"Invalid lifecycle state {state!r}.")
    sort_key = sort_order(request)
    chosen = []
    for record in _database(request).backups.values():
        if adb_id and record.autonomous_database_id != adb_id:
            continue
        if compartment and record.compartment_id != compartment:
            continue
        record.poll()
        if state is None or record.lifecycle_state == state:
            chosen.append(record)
    sort_key(chosen)
    page, headers = page_of(request, chosen)
    return FakeResponse([backup_json(r) for r in page], headers=headers)


def register(router: Router) -> None:
    adbs = f"{BASE}/autonomousDatabases"
    one = f"{adbs}/{{autonomousDatabaseId}}"
    backups = f"{BASE}/autonomousDatabaseBackups"
    router.add("GET", adbs, "ListAutonomousDatabases", list_autonomous_databases)
    router.add("POST", adbs, "CreateAutonomousDatabase", create_autonomous_database)
    router.add("GET", one, "GetAutonomousDatabase", get_autonomous_database)
    router.add("PUT", one, "UpdateAutonomousDatabase", update_autonomous_database)
    router.add("DELETE", one, "DeleteAutonomousDatabase", delete_autonomous_database)
    router.add("POST", f"{one}/actions/stop", "StopAutonomousDatabase", stop_autonomous_database)
    router.add("POST", f"{one}/actions/start", "StartAutonomousDatabase", start_autonomous_database)
    router.add("GET", backups, "ListAutonomousDatabaseBackups", list_autonomous_database_backups)
    router.add("POST", backups, "CreateAutonomousDatabaseBackup", create_autonomous_database_backup)
    router.add(
        "GET",
        f"{backups}/{{autonomousDatabaseBackupId}}",
        "GetAutonomousDatabaseBackup",
        get_autonomous_database_backup,
    )
