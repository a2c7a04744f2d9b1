"""`AutonomousDatabaseFleet`: one Autonomous Database (Serverless) per entry of an
environment's database map, with private access, a backup bucket and alarms.

Decisions that differ from OCI's defaults, and why:

- ECPU only (OCPU is being retired); `license_model` must be stated, because OCI silently
  assumes BYOL when it is unset.
- Auto-scaling is off unless asked for: it can bill up to three times the base ECPU count.
- Access is private (subnet plus an NSG that opens 1521-1522 to the configured CIDRs) or an
  IP allow-list that is never empty and never the whole internet (CIS OCI 2.8).
- mTLS is required unless turned off explicitly.
- The admin password is a Pulumi secret or, better, an OCI Vault secret (`secret_id`);
  a plain string is refused.
- The backup bucket keeps versioning Enabled. OCI refuses retention rules on a versioned
  bucket, so the retention days become an Object Lifecycle rule that deletes previous
  object versions after that many days (the bucket's objects themselves are kept).
- Production databases are protected and retained on delete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_oci as oci

from components.oci_alarm import AlarmCheck, OciAlarm, resource_alarms
from components.tagging import GovernanceTagging, merge_defined_tags
from guardrails.runtime.adb_rules import is_protected
from guardrails.runtime.limits import (
    BACKUP_RETENTION_DAYS,
    BUCKET_NAME,
    DB_NAME,
    ECPU_COUNT,
    ENVIRONMENT,
    LICENSE_MODEL,
    STORAGE_TBS,
    WORKLOAD,
    repeated_problem,
)
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_limit,
    check_not_empty,
    check_ocid,
    check_one_of,
    is_ocid,
    parse_cidr,
)

_COMPONENT = "AutonomousDatabaseFleet"
DB_PORTS = (1521, 1522)
DATABASE_CHECKS = (
    AlarmCheck("cpu", "CpuUtilization", 80, "WARNING", "CPU above 80%"),
    AlarmCheck("storage", "StorageUtilization", 85, "CRITICAL", "storage above 85%"),
)


@dataclass(frozen=True)
class DatabaseSpec:
    """One database as platform teams describe it."""

    db_name: str
    display_name: str
    workload: str
    license_model: str
    compute_count: float
    storage_tbs: int
    backup_retention_days: int = 7
    auto_scaling: bool = False
    storage_auto_scaling: bool = False
    cost_center: str | None = None
    """Overrides the fleet's cost center for this database."""
    vault_secret_id: str | None = None
    """OCID of the OCI Vault secret holding the admin password (preferred)."""
    admin_password: pulumi.Input[str] | None = None
    """A Pulumi secret (e.g. `config.require_secret(...)`); never a plain string."""


@dataclass(frozen=True)
class PrivateEndpointAccess:
    """Reach the databases through a private endpoint in `subnet_id`.

    An NSG in `vcn_id` opens 1521-1522 (TCP) to `client_cidrs` only.
    """

    subnet_id: str
    vcn_id: str
    client_cidrs: Sequence[str]


@dataclass(frozen=True)
class AllowListAccess:
    """Reach the databases over the public endpoint from these IPs, CIDRs or VCN OCIDs."""

    whitelisted_ips: Sequence[str]


@dataclass(frozen=True)
class BackupBucketSpec:
    namespace: pulumi.Input[str]
    """Object Storage namespace (from `oci.objectstorage.get_namespace`)."""
    name: str
    kms_key_id: str | None = None


@dataclass
class AutonomousDatabaseFleetArgs:
    compartment_id: str
    environment: str
    tagging: GovernanceTagging
    databases: Mapping[str, DatabaseSpec]
    access: PrivateEndpointAccess | AllowListAccess
    backup_bucket: BackupBucketSpec
    alarm_topic_id: pulumi.Input[str]
    mtls_required: bool = True
    protect: bool | None = None
    """Protect and retain the databases on delete; defaults to True for prod."""
    runbook_url: str | None = None
    extra_defined_tags: Mapping[str, str] = field(default_factory=dict)


class AutonomousDatabaseFleet(pulumi.ComponentResource):
    """A governed set of Autonomous Databases for one environment."""

    databases: dict[str, oci.database.AutonomousDatabase]
    alarms: dict[str, list[OciAlarm]]
    backup_bucket: oci.objectstorage.Bucket
    backup_lifecycle: oci.objectstorage.ObjectLifecyclePolicy
    nsg: oci.core.NetworkSecurityGroup | None
    nsg_rules: list[oci.core.NetworkSecurityGroupSecurityRule]
    database_ids: dict[str, pulumi.Output[str]]
    backup_bucket_name: pulumi.Output[str]
    nsg_id: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        args: AutonomousDatabaseFleetArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        _validate(args)
        super().__init__("guardrails:oci:AutonomousDatabaseFleet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        fleet_tags = merge_defined_tags(args.tagging.defined_tags(), args.extra_defined_tags)
        protect = args.protect if args.protect is not None else is_protected(args.environment)

        retention_days = max(spec.backup_retention_days for spec in args.databases.values())
        self.backup_bucket = oci.objectstorage.Bucket(
            f"{name}-backups",
            compartment_id=args.compartment_id,
            namespace=args.backup_bucket.namespace,
            name=args.backup_bucket.name,
            access_type="NoPublicAccess",
            versioning="Enabled",
            kms_key_id=args.backup_bucket.kms_key_id,
            object_events_enabled=True,
            storage_tier="Standard",
            defined_tags=fleet_tags,
            opts=child,
        )
        self.backup_lifecycle = oci.objectstorage.ObjectLifecyclePolicy(
            f"{name}-backups-lifecycle",
            namespace=args.backup_bucket.namespace,
            bucket=self.backup_bucket.name,
            rules=[
                oci.objectstorage.ObjectLifecyclePolicyRuleArgs(
                    name="expire-previous-versions",
                    action="DELETE",
                    target="previous-object-versions",
                    is_enabled=True,
                    time_amount=str(retention_days),
                    time_unit="DAYS",
                )
            ],
            opts=child,
        )

        self.nsg, self.nsg_rules = None, []
        network: dict[str, pulumi.Input[object]]
        if isinstance(args.access, PrivateEndpointAccess):
            self.nsg = oci.core.NetworkSecurityGroup(
                f"{name}-nsg",
                compartment_id=args.compartment_id,
                vcn_id=args.access.vcn_id,
                display_name=f"{name}-adb",
                defined_tags=fleet_tags,
                opts=child,
            )
            for index, cidr in enumerate(args.access.client_cidrs):
                self.nsg_rules.append(
                    oci.core.NetworkSecurityGroupSecurityRule(
                        f"{name}-nsg-ingress-{index + 1}",
                        network_security_group_id=self.nsg.id,
                        direction="INGRESS",
                        protocol="6",
                        source=cidr,
                        source_type="CIDR_BLOCK",
                        stateless=False,
                        description=f"Oracle Net (TCPS) from {cidr}",
                        tcp_options=oci.core.NetworkSecurityGroupSecurityRuleTcpOptionsArgs(
                            destination_port_range=oci.core.NetworkSecurityGroupSecurityRuleTcpOptionsDestinationPortRangeArgs(
                                min=DB_PORTS[0], max=DB_PORTS[1]
                            )
                        ),
                        opts=child,
                    )
                )
            network = {"subnet_id": args.access.subnet_id, "nsg_ids": [self.nsg.id]}
        else:
            network = {"whitelisted_ips": list(args.access.whitelisted_ips)}

        db_opts = pulumi.ResourceOptions(
            parent=self, protect=protect, retain_on_delete=protect or None
        )
        self.databases, self.alarms = {}, {}
        for key, spec in sorted(args.databases.items()):
            tagging = args.tagging.for_cost_center(spec.cost_center or args.tagging.cost_center)
            tags = merge_defined_tags(tagging.defined_tags(), args.extra_defined_tags)
            credentials: dict[str, pulumi.Input[object]] = (
                {"secret_id": spec.vault_secret_id}
                if spec.vault_secret_id
                else {"admin_password": pulumi.Output.secret(spec.admin_password)}
            )
            database = oci.database.AutonomousDatabase(
                f"{name}-{key}",
                compartment_id=args.compartment_id,
                db_name=spec.db_name,
                display_name=spec.display_name,
                db_workload=spec.workload,
                license_model=spec.license_model,
                compute_model="ECPU",
                compute_count=float(spec.compute_count),
                data_storage_size_in_tbs=int(spec.storage_tbs),
                is_auto_scaling_enabled=spec.auto_scaling,
                is_auto_scaling_for_storage_enabled=spec.storage_auto_scaling,
                backup_retention_period_in_days=int(spec.backup_retention_days),
                is_mtls_connection_required=args.mtls_required,
                defined_tags=tags,
                opts=db_opts,
                **network,
                **credentials,
            )
            self.databases[key] = database
            self.alarms[key] = resource_alarms(
                f"{name}-{key}",
                DATABASE_CHECKS,
                resource_id=database.id,
                label=f"Autonomous Database {spec.display_name}",
                namespace="oci_autonomous_database",
                compartment_id=args.compartment_id,
                destination=args.alarm_topic_id,
                tagging=tagging,
                runbook_url=args.runbook_url,
                parent=self,
            )

        self.database_ids = {k: db.id for k, db in self.databases.items()}
        self.backup_bucket_name = self.backup_bucket.name
        self.nsg_id = self.nsg.id if self.nsg else None
        self.register_outputs(
            {
                "database_ids": self.database_ids,
                "backup_bucket_name": self.backup_bucket_name,
                "nsg_id": self.nsg_id,
            }
        )


def _validate_access(access: PrivateEndpointAccess | AllowListAccess) -> None:
    if isinstance(access, PrivateEndpointAccess):
        check_ocid(_COMPONENT, "access.subnet_id", access.subnet_id, "subnet")
        check_ocid(_COMPONENT, "access.vcn_id", access.vcn_id, "vcn")
        check_not_empty(_COMPONENT, "access.client_cidrs", access.client_cidrs)
        for cidr in access.client_cidrs:
            parse_cidr(_COMPONENT, "access.client_cidrs", cidr)
        return
    check_not_empty(_COMPONENT, "access.whitelisted_ips", access.whitelisted_ips)
    for entry in access.whitelisted_ips:
        # An entry is an IP, a CIDR, a VCN OCID, or "<vcn ocid>;<ip or cidr>".
        vcn, _, address = entry.partition(";") if entry.startswith("ocid1.") else ("", "", entry)
        if vcn and not is_ocid(vcn, "vcn"):
            raise ComponentArgumentError(
                _COMPONENT, "access.whitelisted_ips", f"holds an invalid VCN OCID {vcn!r}"
            )
        if address:
            parse_cidr(_COMPONENT, "access.whitelisted_ips", address)


def _validate_database(key: str, spec: DatabaseSpec, tagging: GovernanceTagging) -> None:
    where = f"databases[{key!r}]"
    check_limit(_COMPONENT, f"{where}.db_name", spec.db_name, DB_NAME)
    check_limit(_COMPONENT, f"{where}.workload", spec.workload, WORKLOAD)
    check_limit(_COMPONENT, f"{where}.license_model", spec.license_model, LICENSE_MODEL)
    check_limit(_COMPONENT, f"{where}.compute_count", spec.compute_count, ECPU_COUNT)
    check_limit(_COMPONENT, f"{where}.storage_tbs", spec.storage_tbs, STORAGE_TBS)
    check_limit(
        _COMPONENT, f"{where}.backup_retention_days", spec.backup_retention_days,
        BACKUP_RETENTION_DAYS,
    )  # fmt: skip
    if spec.cost_center is not None:
        check_one_of(_COMPONENT, f"{where}.cost_center", spec.cost_center, tagging.cost_centers)
    if spec.vault_secret_id and spec.admin_password is not None:
        raise ComponentArgumentError(
            _COMPONENT, where, "takes vault_secret_id or admin_password, not both"
        )
    if spec.vault_secret_id:
        check_ocid(_COMPONENT, f"{where}.vault_secret_id", spec.vault_secret_id, "vaultsecret")
    elif spec.admin_password is None:
        raise ComponentArgumentError(
            _COMPONENT, where, "needs vault_secret_id (preferred) or admin_password"
        )
    elif isinstance(spec.admin_password, str):
        raise ComponentArgumentError(
            _COMPONENT,
            f"{where}.admin_password",
            "must be a Pulumi secret (config.require_secret) or a Vault secret, never plain text",
        )


def _validate(args: AutonomousDatabaseFleetArgs) -> None:
    check_ocid(_COMPONENT, "compartment_id", args.compartment_id, "compartment")
    check_limit(_COMPONENT, "environment", args.environment, ENVIRONMENT)
    check_not_empty(_COMPONENT, "databases", args.databases)
    _validate_access(args.access)
    check_limit(_COMPONENT, "backup_bucket.name", args.backup_bucket.name, BUCKET_NAME)
    if args.backup_bucket.kms_key_id is not None:
        check_ocid(_COMPONENT, "backup_bucket.kms_key_id", args.backup_bucket.kms_key_id, "key")
    repeated = repeated_problem((s.db_name.upper() for s in args.databases.values()), "db name")
    if repeated:
        raise ComponentArgumentError(_COMPONENT, "databases", repeated)
    for key, spec in args.databases.items():
        _validate_database(key, spec, args.tagging)
