"""Security rules for OCI resources (CIS OCI Benchmark where one applies): Autonomous
Databases, Object Storage buckets, stream pools and IAM policies. Network exposure is in
`oci_network.py`, alarms and topics in `notifications.py`, budgets in `budget_rules.py`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from policies.model import ConfigField, Resource, Rule, one
from policies.network import WORLD

ADB = "oci:Database/autonomousDatabase:AutonomousDatabase"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
STREAM_POOL = "oci:Streaming/streamPool:StreamPool"
IAM_POLICY = "oci:Identity/policy:Policy"

# --- Autonomous Database ----------------------------------------------------------------------


def _adb_access(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("subnetId"):
        return
    entries = [str(e) for e in resource.get("whitelistedIps", [])]
    if not entries:
        yield (
            "reachable from the whole internet: no private endpoint (subnetId) and no IP "
            "allow-list; set subnetId (private endpoint) or whitelistedIps"
        )
        return
    open_entries = [e for e in entries if e.split(";")[-1] in WORLD]
    if open_entries:
        yield (
            f"IP allow-list opens the database to the whole internet ({', '.join(open_entries)}); "
            "list specific CIDRs or use a private endpoint (subnetId)"
        )


def _adb_mtls(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("subnetId") and resource.get("isMtlsConnectionRequired") is not True:
        yield "reachable through an IP allow-list without isMtlsConnectionRequired=true"


def _adb_license(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("licenseModel"):
        yield (
            "licenseModel is not set (OCI then assumes BRING_YOUR_OWN_LICENSE); "
            "set LICENSE_INCLUDED or BRING_YOUR_OWN_LICENSE explicitly"
        )


def _adb_vault(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    # a password next to a secret is still a password in the program (and its state)
    if resource.get("adminPassword"):
        yield "admin password passed as adminPassword; reference an OCI Vault secret (secretId)"


def _adb_retention(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    days = resource.get("backupRetentionPeriodInDays")
    if days is not None and float(days) < config["minimumDays"]:
        yield (
            f"backup retention {days:g} days is below {config['minimumDays']} days; "
            f"set backupRetentionPeriodInDays to at least {config['minimumDays']}"
        )


def _environment(resource: Resource, namespace: str) -> str | None:
    value = resource.get("definedTags", {}).get(f"{namespace}.environment")
    return str(value) if value is not None else None


def _adb_protected(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    if (
        _environment(resource, config["namespace"]) in config["productionEnvironments"]
        and not resource.protect
    ):
        yield "production database is not protected (ResourceOptions(protect=True))"


# --- Object Storage -------------------------------------------------------------------------


def _bucket_public(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    access = resource.get("accessType", "NoPublicAccess")
    if access != "NoPublicAccess":
        yield f"accessType is {access}; use NoPublicAccess"


def _bucket_versioning(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("versioning") != "Enabled":
        yield f"versioning is {resource.get('versioning', 'Disabled')}; set it to Enabled"


def _bucket_cmk(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("kmsKeyId"):
        yield "encrypted with an Oracle-managed key; set kmsKeyId to a customer-managed key"


# --- Streaming, IAM ---------------------------------------------------------------------------


def _pool_cmk(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not one(resource.get("customEncryptionKey")).get("kmsKeyId"):
        yield "stream pool uses an Oracle-managed key; set customEncryptionKey.kmsKeyId"


def _pool_private(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not one(resource.get("privateEndpointSettings")).get("subnetId"):
        yield "stream pool has a public endpoint; set privateEndpointSettings.subnetId"


_MANAGE_ALL = re.compile(
    r"^\s*allow\s+group\s+(?P<group>.+?)\s+to\s+manage\s+all-resources\s+in\s+tenancy\b", re.I
)


def _iam_admin(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    admins = {g.lower() for g in config["adminGroups"]}
    for statement in resource.get("statements", []):
        match = _MANAGE_ALL.match(str(statement))
        if match and match["group"].strip("'\" ").lower() not in admins:
            yield (
                f"grants manage all-resources in tenancy to group {match['group']}: {statement}; "
                f"only {', '.join(config['adminGroups'])} may, scope it to a compartment"
            )


NAMESPACE_FIELD = ConfigField(
    "string", "Defined-tag namespace of the governance tags", "governance"
)
PRODUCTION_FIELD = ConfigField(
    "array", "Values of the environment tag that mean production", ["prod"], "string"
)

RULES = (
    Rule(
        id="oci-database-adb-private-access",
        description="Autonomous Database access is restricted: a private endpoint, or a non-empty "
        "IP allow-list without 0.0.0.0/0 or ::/0 (CIS OCI 2.8).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_access,
        frameworks=("CIS OCI 2.8",),
    ),
    Rule(
        id="oci-database-adb-mtls-required",
        description="An Autonomous Database reachable through an IP allow-list requires mTLS.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_mtls,
    ),
    Rule(
        id="oci-database-adb-license-explicit",
        description="The Autonomous Database license model is stated explicitly.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_license,
    ),
    Rule(
        id="oci-database-adb-vault-password",
        description="The admin password comes from an OCI Vault secret, not adminPassword.",
        severity="medium",
        enforcement="advisory",
        resource_types=frozenset({ADB}),
        check=_adb_vault,
    ),
    Rule(
        id="oci-database-adb-backup-retention",
        description="Automatic backups are kept at least the configured number of days.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_retention,
        config={
            "minimumDays": ConfigField("integer", "Minimum backup retention in days", 7, minimum=1)
        },
    ),
    Rule(
        id="oci-database-adb-production-protected",
        description="Production Autonomous Databases are protected against deletion.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_protected,
        config={
            "namespace": NAMESPACE_FIELD,
            "productionEnvironments": PRODUCTION_FIELD,
        },
    ),
    Rule(
        id="oci-objectstorage-bucket-no-public-access",
        description="Buckets allow no public access (CIS OCI 5.1.1).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_public,
        frameworks=("CIS OCI 5.1.1",),
        checkov_ids=("CKV_OCI_10",),
    ),
    Rule(
        id="oci-objectstorage-bucket-versioning-enabled",
        description="Bucket versioning is Enabled (CIS OCI 5.1.3).",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_versioning,
        frameworks=("CIS OCI 5.1.3",),
        checkov_ids=("CKV_OCI_8",),
    ),
    Rule(
        id="oci-objectstorage-bucket-customer-managed-key",
        description="Buckets are encrypted with a customer-managed key (CIS OCI 5.1.2).",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_cmk,
        frameworks=("CIS OCI 5.1.2",),
        checkov_ids=("CKV_OCI_9",),
    ),
    Rule(
        id="oci-streaming-streampool-customer-managed-key",
        description="Stream pools encrypt with a customer-managed key.",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({STREAM_POOL}),
        check=_pool_cmk,
    ),
    Rule(
        id="oci-streaming-streampool-private-endpoint",
        description="Stream pools are reachable through a private endpoint only.",
        severity="medium",
        enforcement="advisory",
        resource_types=frozenset({STREAM_POOL}),
        check=_pool_private,
    ),
    Rule(
        id="oci-identity-policy-no-tenancy-admin",
        description="No IAM policy grants manage all-resources in tenancy outside the "
        "administrators group (CIS OCI 1.2).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({IAM_POLICY}),
        check=_iam_admin,
        config={
            "adminGroups": ConfigField(
                "array",
                "Groups allowed to manage all-resources in tenancy",
                ["Administrators"],
                "string",
            )
        },
        frameworks=("CIS OCI 1.2",),
    ),
)
