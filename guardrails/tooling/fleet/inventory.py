"""Find a stack's Autonomous Databases: the stack file says what should run, OCI what does.

The stack file (`stacks/Pulumi.<stack>.yaml`, read with the project loader and validated by
the stack schema) gives the compartment, the environment and the `guardrails:databases` map.
A running database belongs to the stack when its `dbName` is declared there and its
governance `environment` tag, if any, is the stack's. With `include_all`, every other
database of the compartment is listed too, flagged as unmanaged; without it, only those that
carry the stack's environment tag are (they claim to belong to the stack but are not declared).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.runtime.adb_rules import is_protected
from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import DatabaseConfig, StackConfig
from guardrails.runtime.stack_schema.fleet import FleetConfig
from guardrails.runtime.tag_keys import ENVIRONMENT_KEY
from guardrails.runtime.validation import is_ocid
from guardrails.tooling.project import validated_stack

ADB_OCID_KIND = "autonomousdatabase"

# Lifecycle states in which OCI is busy with the database: no operation may start.
TRANSITIONAL_STATES = frozenset(
    {
        "PROVISIONING",
        "STOPPING",
        "STARTING",
        "TERMINATING",
        "RESTORE_IN_PROGRESS",
        "BACKUP_IN_PROGRESS",
        "SCALE_IN_PROGRESS",
        "UPDATING",
        "MAINTENANCE_IN_PROGRESS",
        "RESTARTING",
        "RECREATING",
        "ROLE_CHANGE_IN_PROGRESS",
        "UPGRADING",
        "TRANSPORTING",
    }
)
GONE_STATES = frozenset({"TERMINATED"})


@dataclass(frozen=True)
class FleetStack:
    """One stack's view of its database fleet."""

    name: str
    path: Path
    config: StackConfig

    @property
    def environment(self) -> str:
        return self.config.environment

    @property
    def compartment_id(self) -> str:
        return self.config.compartmentOcid

    @property
    def databases(self) -> dict[str, DatabaseConfig]:
        return self.config.databases

    @property
    def fleet(self) -> FleetConfig:
        return self.config.fleet

    @property
    def tag_namespace(self) -> str:
        return self.config.governance.namespace

    @property
    def protected(self) -> bool:
        """The stack's databases are protected (AutonomousDatabaseFleet's rule)."""
        return is_protected(self.environment)


def load_fleet_stack(program_dir: Path, stack: str) -> FleetStack:
    """Read and validate `Pulumi.<stack>.yaml`; GuardrailsError (exit 2) when it is invalid."""
    settings, config = validated_stack(program_dir, stack)
    return FleetStack(name=stack, path=settings.path, config=config)


@dataclass(frozen=True)
class DatabaseInfo:
    """What runs: the parts of an OCI `AutonomousDatabase` the fleet commands use."""

    id: str
    display_name: str
    db_name: str
    compartment_id: str
    lifecycle_state: str
    workload: str
    license_model: str
    compute_model: str
    ecpu: float
    auto_scaling: bool
    storage_auto_scaling: bool
    storage_tbs: float
    storage_used_tbs: float | None
    backup_retention_days: int | None
    environment: str | None
    """The governance `environment` tag, when the database carries it."""
    scheduled: bool
    """The database has an auto start/stop schedule (`scheduled_operations`)."""
    subnet_id: str | None = None
    nsg_ids: tuple[str, ...] = ()
    whitelisted_ips: tuple[str, ...] = ()
    mtls_required: bool | None = None
    defined_tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    freeform_tags: dict[str, str] = field(default_factory=dict)

    @property
    def transitional(self) -> bool:
        return self.lifecycle_state in TRANSITIONAL_STATES


def _storage_tbs(db: Any) -> float:
    if db.data_storage_size_in_tbs is not None:
        return float(db.data_storage_size_in_tbs)
    return float(db.data_storage_size_in_gbs or 0) / 1024


def _used_tbs(db: Any) -> float | None:
    for value in (db.actual_used_data_storage_size_in_tbs, db.used_data_storage_size_in_tbs):
        if value is not None:
            return float(value)
    if db.used_data_storage_size_in_gbs is not None:
        return float(db.used_data_storage_size_in_gbs) / 1024
    return None


def database_info(db: Any, tag_namespace: str) -> DatabaseInfo:
    """Read an SDK `AutonomousDatabase` or `AutonomousDatabaseSummary`."""
    tags = db.defined_tags or {}
    environment = (tags.get(tag_namespace) or {}).get(ENVIRONMENT_KEY)
    ecpu = db.compute_count if db.compute_count is not None else db.cpu_core_count
    return DatabaseInfo(
        id=db.id,
        display_name=db.display_name or db.db_name,
        db_name=db.db_name,
        compartment_id=db.compartment_id,
        lifecycle_state=db.lifecycle_state,
        workload=db.db_workload or "",
        license_model=db.license_model or "",
        compute_model=db.compute_model or "ECPU",
        ecpu=float(ecpu or 0),
        auto_scaling=bool(db.is_auto_scaling_enabled),
        storage_auto_scaling=bool(db.is_auto_scaling_for_storage_enabled),
        storage_tbs=_storage_tbs(db),
        storage_used_tbs=_used_tbs(db),
        backup_retention_days=db.backup_retention_period_in_days,
        environment=str(environment) if environment is not None else None,
        scheduled=bool(db.scheduled_operations),
        subnet_id=db.subnet_id,
        nsg_ids=tuple(db.nsg_ids or ()),
        whitelisted_ips=tuple(db.whitelisted_ips or ()),
        mtls_required=db.is_mtls_connection_required,
        defined_tags={k: dict(v) for k, v in tags.items()},
        freeform_tags={str(k): str(v) for k, v in (db.freeform_tags or {}).items()},
    )


@dataclass(frozen=True)
class FleetMember:
    """A database of the fleet: declared, running, or both."""

    key: str | None
    """The stack key (`orders`), None for a database the stack does not declare."""
    declared: DatabaseConfig | None
    database: DatabaseInfo | None
    """None when the stack declares the database but it does not run."""

    @property
    def managed(self) -> bool:
        return self.declared is not None

    @property
    def label(self) -> str:
        if self.key:
            return self.key
        assert self.database is not None
        return self.database.display_name


def list_databases(client: Any, compartment_id: str) -> Iterator[Any]:
    """Every Autonomous Database of the compartment, page by page."""
    page: str | None = None
    while True:
        kwargs: dict[str, Any] = {"compartment_id": compartment_id, "limit": 100}
        if page:
            kwargs["page"] = page
        response = client.list_autonomous_databases(**kwargs)
        yield from response.data
        page = response.headers.get("opc-next-page")
        if not page:
            return


def _belongs(info: DatabaseInfo, stack: FleetStack) -> bool:
    return info.environment in (None, stack.environment)


def find_fleet(client: Any, stack: FleetStack, *, include_all: bool = False) -> list[FleetMember]:
    """The stack's databases (declared first, in key order), then unmanaged ones."""
    running = [
        database_info(db, stack.tag_namespace)
        for db in list_databases(client, stack.compartment_id)
        if db.lifecycle_state not in GONE_STATES
    ]
    by_name = {info.db_name.upper(): info for info in running if _belongs(info, stack)}
    members: list[FleetMember] = []
    claimed: set[str] = set()
    for key, declared in sorted(stack.databases.items()):
        info = by_name.get(declared.dbName.upper())
        if info is not None:
            claimed.add(info.id)
        members.append(FleetMember(key, declared, info))
    for info in sorted(running, key=lambda i: i.display_name):
        if info.id in claimed:
            continue
        if include_all or info.environment == stack.environment:
            members.append(FleetMember(None, None, info))
    return members


def check_reference(stack: FleetStack, reference: str) -> None:
    """Refuse a `DB` argument that is neither a declared key nor a well-formed ADB OCID,
    before any call is made."""
    if reference.startswith("ocid1."):
        if not is_ocid(reference, ADB_OCID_KIND):
            raise GuardrailsError(
                f"malformed Autonomous Database OCID {reference!r}: "
                f"expected ocid1.{ADB_OCID_KIND}.<realm>.<region>.<unique id>"
            )
        return
    if reference not in stack.databases:
        known = ", ".join(sorted(stack.databases)) or "none"
        raise GuardrailsError(
            f"unknown database {reference!r}: stack {stack.name} declares {known}; "
            "give a stack key or an Autonomous Database OCID"
        )


def resolve(client: Any, stack: FleetStack, reference: str) -> FleetMember:
    """The database a `DB` argument names (a stack key or an OCID)."""
    check_reference(stack, reference)
    if reference.startswith("ocid1."):
        info = database_info(client.get_autonomous_database(reference).data, stack.tag_namespace)
        for key, declared in stack.databases.items():
            if declared.dbName.upper() == info.db_name.upper() and _belongs(info, stack):
                return FleetMember(key, declared, info)
        return FleetMember(None, None, info)
    declared = stack.databases[reference]
    for db in list_databases(client, stack.compartment_id):
        info = database_info(db, stack.tag_namespace)
        if (
            info.db_name.upper() == declared.dbName.upper()
            and info.lifecycle_state not in GONE_STATES
            and _belongs(info, stack)
        ):
            return FleetMember(reference, declared, info)
    raise GuardrailsError(
        f"database {reference!r} (dbName {declared.dbName}) is declared in {stack.path.name} "
        f"but does not run in compartment {stack.compartment_id}; has `pulumi up` run?"
    )
