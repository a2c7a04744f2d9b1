"""AutonomousDatabaseFleet under Pulumi mocks."""

from __future__ import annotations

import re

import pulumi
import pytest

from components import (
    AllowListAccess,
    AutonomousDatabaseFleet,
    AutonomousDatabaseFleetArgs,
    BackupBucketSpec,
    DatabaseSpec,
    GovernanceTagging,
    PrivateEndpointAccess,
)
from guardrails.runtime.validation import ComponentArgumentError
from guardrails.tooling.program.provider_types import accepts_input
from tests.conftest import COMPARTMENT, TOPIC, ocid

TAGGING = GovernanceTagging("CC-101", "prod", "platform", cost_centers=("CC-101", "CC-202"))
SUBNET = ocid("subnet", "db", "eu-frankfurt-1")
VCN = ocid("vcn", "core", "eu-frankfurt-1")
SECRET = ocid("vaultsecret", "admin", "eu-frankfurt-1")
KEY = "ocid1.key.oc1.eu-frankfurt-1.bbbbbbbbvault.aaaaaaaabackupkey0000000000000000"


def _db(**overrides):
    spec = {
        "db_name": "ORDERS",
        "display_name": "orders",
        "workload": "OLTP",
        "license_model": "BRING_YOUR_OWN_LICENSE",
        "compute_count": 4,
        "storage_tbs": 2,
        "backup_retention_days": 30,
        "vault_secret_id": SECRET,
    }
    return DatabaseSpec(**(spec | overrides))


def _args(**overrides):
    args = {
        "compartment_id": COMPARTMENT,
        "environment": "prod",
        "tagging": TAGGING,
        "databases": {
            "orders": _db(),
            "search": _db(
                db_name="SEARCH",
                display_name="search",
                cost_center="CC-202",
                backup_retention_days=7,
            ),
        },
        "access": PrivateEndpointAccess(SUBNET, VCN, ["10.0.0.0/16", "10.1.0.0/24"]),
        "backup_bucket": BackupBucketSpec(
            namespace="tenancyns", name="prod-adb-backups", kms_key_id=KEY
        ),
        "alarm_topic_id": TOPIC,
        "runbook_url": "https://runbooks.example.com/adb",
    }
    return AutonomousDatabaseFleetArgs(**(args | overrides))


def test_database_settings(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    db = rec.named("adb-orders")
    assert db.inputs["computeModel"] == "ECPU"
    assert db.inputs["computeCount"] == 4.0
    assert db.inputs["dataStorageSizeInTbs"] == 2
    assert db.inputs["licenseModel"] == "BRING_YOUR_OWN_LICENSE"
    assert db.inputs["dbWorkload"] == "OLTP"
    assert db.inputs["isAutoScalingEnabled"] is False
    assert db.inputs["isMtlsConnectionRequired"] is True
    assert db.inputs["backupRetentionPeriodInDays"] == 30
    assert db.inputs["secretId"] == SECRET
    assert "adminPassword" not in db.inputs
    assert db.inputs["subnetId"] == SUBNET
    assert db.inputs["nsgIds"] == ["adb-nsg-preview-id"]
    assert "whitelistedIps" not in db.inputs
    assert rec.named("adb-search").inputs["definedTags"]["governance.cost_center"] == "CC-202"


def test_production_databases_are_protected(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    assert all(
        r.protect and r.retain_on_delete
        for r in rec.of_type("oci:Database/autonomousDatabase:AutonomousDatabase")
    )
    dev = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args(environment="dev")))
    assert not any(r.protect for r in dev.resources)


def test_nsg_opens_only_the_listener_ports_to_the_configured_cidrs(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    assert rec.inputs("adb-nsg")["vcnId"] == VCN
    rules = rec.of_type(
        "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
    )
    assert {r.name: r.inputs["source"] for r in rules} == {
        "adb-nsg-ingress-1": "10.0.0.0/16",
        "adb-nsg-ingress-2": "10.1.0.0/24",
    }
    for rule in rules:
        assert rule.inputs["direction"] == "INGRESS"
        assert rule.inputs["protocol"] == "6"
        assert rule.inputs["sourceType"] == "CIDR_BLOCK"
        assert rule.inputs["tcpOptions"] == {"destinationPortRange": {"min": 1521, "max": 1522}}


def test_backup_bucket_is_private_versioned_encrypted_with_events(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    bucket = rec.inputs("adb-backups")
    assert bucket["accessType"] == "NoPublicAccess"
    assert bucket["versioning"] == "Enabled"
    assert bucket["kmsKeyId"] == KEY
    assert bucket["objectEventsEnabled"] is True
    assert bucket["namespace"] == "tenancyns" and bucket["name"] == "prod-adb-backups"
    lifecycle = rec.inputs("adb-backups-lifecycle")
    assert lifecycle["rules"] == [
        {
            "action": "DELETE",
            "isEnabled": True,
            "name": "expire-previous-versions",
            "target": "previous-object-versions",
            "timeAmount": "30",
            "timeUnit": "DAYS",
        }
    ]


def test_cpu_and_storage_alarms_per_database(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    cpu = rec.inputs("adb-orders-cpu-alarm")
    assert cpu["query"] == 'CpuUtilization[5m]{resourceId = "adb-orders-preview-id"}.mean() > 80'
    assert cpu["severity"] == "WARNING" and cpu["destinations"] == [TOPIC]
    storage = rec.inputs("adb-orders-storage-alarm")
    assert (
        storage["query"]
        == 'StorageUtilization[5m]{resourceId = "adb-orders-preview-id"}.mean() > 85'
    )
    assert storage["severity"] == "CRITICAL"
    assert storage["namespace"] == "oci_autonomous_database"
    assert "Runbook: https://runbooks.example.com/adb" in storage["body"]
    assert len(rec.of_type("oci:Monitoring/alarm:Alarm")) == 4


def test_allow_list_access(run_mocked):
    access = AllowListAccess(["203.0.113.0/24", f"{VCN};10.0.0.0/16"])
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args(access=access)))
    db = rec.inputs("adb-orders")
    assert db["whitelistedIps"] == ["203.0.113.0/24", f"{VCN};10.0.0.0/16"]
    assert "subnetId" not in db
    assert rec.of_type("oci:Core/networkSecurityGroup:NetworkSecurityGroup") == []


def test_admin_password_stays_secret(run_mocked):
    spec = _db(vault_secret_id=None, admin_password=pulumi.Output.secret("Sup3r-Secret-Pw"))
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args(databases={"orders": spec})))
    db = rec.named("adb-orders")
    assert db.secret_inputs == ["adminPassword"]
    assert "Sup3r-Secret-Pw" not in repr(rec.resources)


def test_every_taggable_child_carries_governance_tags(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    taggable = [r for r in rec.resources if r.custom and accepts_input(r.type, "definedTags")]
    assert len(taggable) >= 6
    for resource in taggable:
        tags = resource.inputs.get("definedTags", {})
        assert {"governance.cost_center", "governance.environment", "governance.owner"} <= set(
            tags
        ), resource.name


def test_children_are_parented_and_named_by_role(run_mocked):
    rec = run_mocked(lambda: AutonomousDatabaseFleet("adb", _args()))
    fleet = rec.named("adb")
    assert {r.name for r in rec.children(fleet)} >= {
        "adb-backups",
        "adb-backups-lifecycle",
        "adb-nsg",
        "adb-orders",
        "adb-search",
        "adb-orders-cpu",
        "adb-orders-storage",
    }
    assert all(r.name.startswith("adb-") for r in rec.resources if r is not fleet)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"databases": {}}, "databases must not be empty"),
        (
            {"databases": {"o": _db(compute_count=1)}},
            "databases['o'].compute_count must be >= 2 (got 1)",
        ),
        (
            {"databases": {"o": _db(storage_tbs=0)}},
            "databases['o'].storage_tbs must be >= 1 (got 0)",
        ),
        (
            {"databases": {"o": _db(license_model=None)}},
            "databases['o'].license_model must be one of LICENSE_INCLUDED, BRING_YOUR_OWN_LICENSE (got None)",
        ),
        (
            {"databases": {"o": _db(workload="OLAP")}},
            "databases['o'].workload must be one of OLTP, DW, AJD, APEX",
        ),
        (
            {"databases": {"o": _db(db_name="1orders")}},
            "databases['o'].db_name must be a letter followed by at most 29 letters or digits",
        ),
        (
            {"databases": {"o": _db(backup_retention_days=90)}},
            "databases['o'].backup_retention_days must be <= 60 (got 90)",
        ),
        (
            {"databases": {"o": _db(cost_center="CC-9")}},
            "databases['o'].cost_center must be one of CC-101, CC-202",
        ),
        (
            {"databases": {"o": _db(vault_secret_id=None)}},
            "databases['o'] needs vault_secret_id (preferred) or admin_password",
        ),
        (
            {"databases": {"o": _db(vault_secret_id=None, admin_password="hunter2")}},
            "databases['o'].admin_password must be a Pulumi secret",
        ),
        (
            {"databases": {"o": _db(vault_secret_id=ocid("vault"))}},
            "databases['o'].vault_secret_id must be ocid1.vaultsecret",
        ),
        (
            {"databases": {"a": _db(), "b": _db(display_name="b")}},
            "databases must not repeat a db name (got 'ORDERS' twice)",
        ),
        ({"access": AllowListAccess([])}, "access.whitelisted_ips must not be empty"),
        (
            {"access": AllowListAccess(["0.0.0.0/0"])},
            "access.whitelisted_ips must not open access to the whole internet",
        ),
        (
            {"access": AllowListAccess(["::/0"])},
            "access.whitelisted_ips must not open access to the whole internet",
        ),
        (
            {"access": AllowListAccess(["ocid1.subnet.oc1..aaaaaaaaaaaaaaaaaaaaaaaa;10.0.0.0/8"])},
            "access.whitelisted_ips holds an invalid VCN OCID",
        ),
        (
            {"access": PrivateEndpointAccess(SUBNET, VCN, [])},
            "access.client_cidrs must not be empty",
        ),
        (
            {"access": PrivateEndpointAccess(SUBNET, VCN, ["0.0.0.0/0"])},
            "access.client_cidrs must not open access to the whole internet",
        ),
        (
            {"access": PrivateEndpointAccess(VCN, VCN, ["10.0.0.0/8"])},
            "access.subnet_id must be ocid1.subnet",
        ),
        ({"environment": "qa"}, "environment must be one of dev, staging, prod"),
        (
            {"backup_bucket": BackupBucketSpec("ns", "bad name")},
            "backup_bucket.name must be a bucket name: 1-256 letters, digits, _ . or -",
        ),
        (
            {"backup_bucket": BackupBucketSpec("ns", "b", kms_key_id=ocid("vault"))},
            "backup_bucket.kms_key_id must be ocid1.key",
        ),
    ],
)
def test_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(
        ComponentArgumentError, match="AutonomousDatabaseFleet: " + re.escape(message)
    ):
        run_mocked(lambda: AutonomousDatabaseFleet("adb", _args(**overrides)))
    assert run_mocked.registered == []
