"""The fake's Autonomous Database update/clone/delete/backup routes and Monitoring's
summarizeMetricsData, through the real SDK: the request rules they enforce and the
transitions they take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import oci
import pytest
from oci.database.models import (
    CreateAutonomousDatabaseBackupDetails,
    CreateAutonomousDatabaseCloneDetails,
    UpdateAutonomousDatabaseDetails,
)
from oci.monitoring.models import SummarizeMetricsDataDetails

from tests.fake_oci.fixture import FakeOci

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaafleetroutes000000000000000000000000000000000000000000"
SECRET = "ocid1.vaultsecret.oc1.eu-frankfurt-1.aaaaaaaaroutessecret0000000000000000000000000000000000000000"


@pytest.fixture
def adb(fake_oci: FakeOci):
    return fake_oci.database.add_autonomous_database(
        compartment_id=COMPARTMENT, display_name="orders", db_name="ORDERS", compute_count=4.0
    )


def _db(fake_oci: FakeOci):
    return fake_oci.client(oci.database.DatabaseClient)


def _refused(call, status: int, code: str, text: str) -> None:
    with pytest.raises(oci.exceptions.ServiceError) as info:
        call()
    assert (info.value.status, info.value.code) == (status, code)
    assert text in info.value.message


@pytest.mark.parametrize(
    ("details", "text"),
    [
        ({"compute_count": 1.0}, "computeCount 1.0 is invalid"),
        ({"compute_count": 2.5}, "computeCount 2.5 is invalid"),
        ({"compute_count": 4.0, "license_model": "LICENSE_INCLUDED"}, "cannot be updated together"),
        ({"backup_retention_period_in_days": 61}, "between 1 and 60"),
    ],
)
def test_update_rules(fake_oci, adb, details, text):
    client = _db(fake_oci)
    _refused(
        lambda: client.update_autonomous_database(
            adb.id, UpdateAutonomousDatabaseDetails(**details)
        ),
        400,
        "InvalidParameter",
        text,
    )


def test_update_scales_over_a_few_polls(fake_oci, adb):
    client = _db(fake_oci)
    ops = oci.database.DatabaseClientCompositeOperations(
        client, work_request_client=fake_oci.client(oci.work_requests.WorkRequestClient)
    )
    answer = client.update_autonomous_database(
        adb.id, UpdateAutonomousDatabaseDetails(compute_count=6.0)
    )
    assert answer.data.lifecycle_state == "SCALE_IN_PROGRESS"
    assert "opc-work-request-id" in answer.headers
    result = oci.wait_until(
        client,
        client.get_autonomous_database(adb.id),
        "lifecycle_state",
        "AVAILABLE",
        max_interval_seconds=0,
    )
    assert result.data.compute_count == 6.0
    _refused(
        lambda: ops.stop_autonomous_database_and_wait_for_work_request(
            "ocid1.autonomousdatabase.oc1..x"
        ),
        404,
        "NotAuthorizedOrNotFound",
        "",
    )


def test_backup_rules_and_transition(fake_oci, adb):
    client = _db(fake_oci)
    fake_oci.database.transition_polls = 4
    _refused(
        lambda: client.create_autonomous_database_backup(
            CreateAutonomousDatabaseBackupDetails(
                autonomous_database_id=adb.id, is_long_term_backup=True, retention_period_in_days=30
            )
        ),
        400,
        "InvalidParameter",
        "90 to 3650 days",
    )
    backup = client.create_autonomous_database_backup(
        CreateAutonomousDatabaseBackupDetails(autonomous_database_id=adb.id, display_name="b1")
    ).data
    assert backup.lifecycle_state == "CREATING"
    assert client.get_autonomous_database(adb.id).data.lifecycle_state == "BACKUP_IN_PROGRESS"
    _refused(
        lambda: client.create_autonomous_database_backup(
            CreateAutonomousDatabaseBackupDetails(autonomous_database_id=adb.id)
        ),
        409,
        "IncorrectState",
        "BACKUP_IN_PROGRESS",
    )
    for _ in range(3):
        client.get_autonomous_database_backup(backup.id)
    assert client.get_autonomous_database_backup(backup.id).data.lifecycle_state == "ACTIVE"
    newest = client.list_autonomous_database_backups(
        autonomous_database_id=adb.id, sort_by="TIMECREATED", sort_order="DESC", limit=1
    ).data
    assert [b.id for b in newest] == [backup.id]
    _refused(client.list_autonomous_database_backups, 400, "InvalidParameter", "required")


def test_clone_rules_and_work_request(fake_oci, adb):
    client = _db(fake_oci)

    def clone(**changes):
        values = {
            "source": "DATABASE",
            "source_id": adb.id,
            "clone_type": "FULL",
            "compartment_id": COMPARTMENT,
            "db_name": "ORDERSQA",
            "secret_id": SECRET,
        } | changes
        return client.create_autonomous_database(CreateAutonomousDatabaseCloneDetails(**values))

    _refused(lambda: clone(clone_type="PARTIAL"), 400, "InvalidParameter", "FULL or METADATA")
    _refused(lambda: clone(db_name="orders"), 409, "Conflict", "ORDERS already exists")
    _refused(lambda: clone(secret_id=None), 400, "InvalidParameter", "adminPassword or secretId")
    created = clone()
    assert created.data.lifecycle_state == "PROVISIONING"
    work_requests = fake_oci.client(oci.work_requests.WorkRequestClient)
    wr_id = created.headers["opc-work-request-id"]
    work_requests.get_work_request(wr_id)
    done = work_requests.get_work_request(wr_id).data
    assert done.status == "SUCCEEDED"
    assert [(r.action_type, r.identifier) for r in done.resources] == [("CREATED", created.data.id)]


def test_delete_terminates(fake_oci, adb):
    client = _db(fake_oci)
    answer = client.delete_autonomous_database(adb.id)
    assert answer.status == 204 and "opc-work-request-id" in answer.headers
    client.get_autonomous_database(adb.id)
    assert client.get_autonomous_database(adb.id).data.lifecycle_state == "TERMINATED"


def _summarize(fake_oci, query, start, end, resolution="1h"):
    client = fake_oci.client(oci.monitoring.MonitoringClient)
    details = SummarizeMetricsDataDetails(
        namespace="oci_autonomous_database",
        query=query,
        start_time=start,
        end_time=end,
        resolution=resolution,
    )
    return client.summarize_metrics_data(COMPARTMENT, details).data


def test_metrics_follow_the_patterns(fake_oci, adb):
    fake_oci.monitoring.set_pattern(adb.id, CpuUtilization="busy", StorageUtilization="growing")
    end = datetime(2026, 11, 23, tzinfo=UTC)
    start = end - timedelta(days=7)
    [cpu] = _summarize(
        fake_oci, f'CpuUtilization[1h]{{resourceId = "{adb.id}"}}.mean()', start, end
    )
    values = [p.value for p in cpu.aggregated_datapoints]
    assert len(values) == 168 and min(values) >= 85 and max(values) <= 95
    assert cpu.dimensions == {"resourceId": adb.id}
    [storage] = _summarize(
        fake_oci, f'StorageUtilization[1h]{{resourceId = "{adb.id}"}}.mean()', start, end
    )
    assert storage.aggregated_datapoints[0].value == 70
    assert storage.aggregated_datapoints[-1].value > 89.8
    other = 'CpuUtilization[1h]{resourceId = "ocid1.autonomousdatabase.oc1..other"}.mean()'
    assert _summarize(fake_oci, other, start, end) == []
    assert _summarize(fake_oci, f'Sessions[1h]{{resourceId = "{adb.id}"}}.mean()', start, end) == []


@pytest.mark.parametrize(
    ("query", "days", "text"),
    [
        ("CpuUtilization.mean()", 1, "Invalid query"),
        ("CpuUtilization[7d].mean()", 1, "must be between 1m and 1d"),
        ("CpuUtilization[1h]{resourceId = x}.mean()", 1, "Invalid dimension filter"),
        ("CpuUtilization[1m].mean()", 90, "the limit is 100000"),
    ],
)
def test_metric_query_rules(fake_oci, query, days, text):
    end = datetime(2026, 11, 23, tzinfo=UTC)
    _refused(
        lambda: _summarize(fake_oci, query, end - timedelta(days=days), end, "1m"),
        400,
        "InvalidParameter",
        text,
    )
