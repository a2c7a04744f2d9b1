"""`guardrails fleet` end to end: the real `oci` SDK against the fake OCI API (database, work
requests, monitoring), the checked-in dev and prod stack files, exit codes, audit records,
and that a refused command sends no changing call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guardrails.tooling.cli import main
from tests.conftest import ROOT
from tests.fake_oci.fixture import FakeOci

DEV_COMPARTMENT = (
    "ocid1.compartment.oc1..aaaaaaaadevworkloads0000000000000000000000000000000000000000"
)
PROD_COMPARTMENT = (
    "ocid1.compartment.oc1..aaaaaaaaprodworkloads000000000000000000000000000000000000000"
)
SECRET = "ocid1.vaultsecret.oc1.eu-frankfurt-1.aaaaaaaaclonesecret00000000000000000000000000000000000000000"
CHANGING = (
    "UpdateAutonomousDatabase",
    "StopAutonomousDatabase",
    "StartAutonomousDatabase",
    "CreateAutonomousDatabase",
    "CreateAutonomousDatabaseBackup",
    "DeleteAutonomousDatabase",
)


def _tags(env: str) -> dict:
    return {"governance": {"environment": env, "cost_center": "CC-101", "owner": "platform-team"}}


@pytest.fixture
def fleet(fake_oci: FakeOci, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A dev and a prod fleet in the fake, an OCI config file for it, and a runner."""
    monkeypatch.setenv("COLUMNS", "250")
    config = fake_oci.config_file(tmp_path)
    audit = tmp_path / "audit.jsonl"
    db = fake_oci.database
    orders = db.add_autonomous_database(
        compartment_id=DEV_COMPARTMENT,
        display_name="orders-dev",
        db_name="ORDERSDEV",
        compute_count=4.0,
        is_auto_scaling_enabled=False,
        data_storage_size_in_tbs=1,
        used_data_storage_size_in_tbs=0.9,
        backup_retention_period_in_days=7,
        whitelisted_ips=["203.0.113.0/24"],
        defined_tags=_tags("dev"),
    )
    search = db.add_autonomous_database(
        compartment_id=DEV_COMPARTMENT,
        display_name="search-dev",
        db_name="SEARCHDEV",
        db_workload="AJD",
        compute_count=2.0,
        is_auto_scaling_enabled=False,
        backup_retention_period_in_days=7,
        defined_tags=_tags("dev"),
    )
    stray = db.add_autonomous_database(
        compartment_id=DEV_COMPARTMENT,
        display_name="scratch",
        db_name="SCRATCH",
        compute_count=2.0,
        defined_tags=_tags("dev"),
    )
    untagged = db.add_autonomous_database(
        compartment_id=DEV_COMPARTMENT, display_name="legacy", db_name="LEGACY", compute_count=4.0
    )
    prod_orders = db.add_autonomous_database(
        compartment_id=PROD_COMPARTMENT,
        display_name="orders-prod",
        db_name="ORDERS",
        compute_count=8.0,
        license_model="BRING_YOUR_OWN_LICENSE",
        defined_tags=_tags("prod"),
    )
    mon = fake_oci.monitoring
    mon.set_pattern(orders.id, CpuUtilization="busy", StorageUtilization="growing", Sessions=40)
    mon.set_pattern(search.id, CpuUtilization="idle", StorageUtilization="flat")
    mon.set_pattern(stray.id, CpuUtilization="nightly", StorageUtilization="flat")
    mon.set_pattern(untagged.id, CpuUtilization="low", StorageUtilization="flat")
    db.add_backup(orders.id, time_ended=orders.time_created)

    class Fleet:
        def __init__(self) -> None:
            self.fake = fake_oci
            self.audit = audit
            self.orders, self.search, self.stray = orders, search, stray
            self.untagged, self.prod_orders = untagged, prod_orders

        def argv(self, *args: str, stack: str = "dev", poll: str = "0") -> list[str]:
            extra = ["--poll-seconds", poll, "--audit-log", str(audit)]
            acting = args[0] != "status"
            return [
                "fleet",
                *args,
                "--stack",
                stack,
                "--oci-config",
                str(config),
                "--endpoint-url",
                fake_oci.url,
                *(extra if acting else []),
            ]

        def run(self, *args: str, stack: str = "dev", poll: str = "0") -> int:
            return main(self.argv(*args, stack=stack, poll=poll))

        def changing_calls(self) -> list[str]:
            return [c.operation for c in fake_oci.state.calls if c.operation in CHANGING]

        def audit_lines(self) -> list[dict]:
            """Every record of the trail: intents and outcomes."""
            if not audit.exists():
                return []
            return [json.loads(line) for line in audit.read_text().splitlines()]

        def audit_records(self) -> list[dict]:
            """The outcome records, each after the intent it answers."""
            lines = self.audit_lines()
            announced = {r["intent"] for r in lines if r.get("record") == "intent"}
            outcomes = [r for r in lines if r.get("record") == "outcome"]
            assert all(r["intent"] in announced for r in outcomes)
            return outcomes

    return Fleet()


# --- status --------------------------------------------------------------------------------


def test_status_table_shows_state_metrics_drift_and_recommendations(fleet, capsys):
    assert fleet.run("status") == 0
    out = capsys.readouterr().out
    assert "fleet dev (dev): 3 databases, metrics over 7 days at 1h" in out
    assert "scratch (unmanaged)" in out and "legacy" not in out
    assert "orders: computeCount: stack 2, running 4" in out
    assert "scale from 4 to 7 ECPU" in out  # busy: p95 95 %
    assert "grow-storage" in out
    assert "stop-idle" in out and "guardrails fleet stop search" in out
    assert "90/95/95 %" in out  # orders CPU mean/p95/max
    calls = [c.operation for c in fleet.fake.state.calls]
    assert calls.count("ListAutonomousDatabases") == 1
    assert calls.count("SummarizeMetricsData") == 3 * 3
    assert calls.count("ListAutonomousDatabaseBackups") == 3
    assert fleet.changing_calls() == []


def test_status_all_flags_every_undeclared_database(fleet, capsys):
    assert fleet.run("status", "--all", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    managed = {d["database"]: d["managed"] for d in doc["databases"]}
    assert managed == {"orders": True, "search": True, "legacy": False, "scratch": False}
    orders = doc["databases"][0]
    assert orders["metrics"]["CpuUtilization"]["p95"] == 95
    assert orders["metrics"]["Sessions"]["mean"] == 40
    assert orders["metrics"]["StorageUtilization"]["points"] == 168
    assert orders["last_backup"] is not None
    assert doc["databases"][1]["metrics"]["Sessions"] is None  # not published for search
    rules = {d["database"]: [r["rule"] for r in d["recommendations"]] for d in doc["databases"]}
    assert rules == {
        "orders": ["scale-up", "grow-storage"],
        "search": ["stop-idle"],
        "legacy": ["scale-down"],
        "scratch": ["off-hours-schedule"],
    }
    [down] = doc["databases"][2]["recommendations"]
    assert down["action"] == "scale from 4 to 2 ECPU"
    assert down["monthly_cost_change"] == round(-2 * 0.336 * 730, 2)


def test_status_markdown_and_html_report(fleet, capsys, tmp_path):
    page = tmp_path / "fleet.html"
    assert fleet.run("status", "--format", "markdown", "--html", str(page), "--days", "1") == 0
    out = capsys.readouterr().out
    assert out.startswith("# fleet dev (dev): 3 databases, metrics over 1 day at 5m")
    html = page.read_text()
    assert html.count("<svg") == 6 and "orders: CpuUtilization (%)" in html
    for call in fleet.fake.state.calls_of("SummarizeMetricsData"):
        assert call.body["resolution"] == "5m"


def test_status_names_a_declared_database_that_does_not_run(fleet, capsys):
    fleet.fake.database.autonomous_databases[fleet.search.id].lifecycle_state = "TERMINATED"
    assert fleet.run("status") == 0
    out = capsys.readouterr().out
    assert "NOT FOUND" in out and "search: database: stack declared, running not found" in out


def test_status_read_failure_exits_1_with_code_and_request_id(fleet, capsys):
    fleet.fake.state.inject_fault(
        "SummarizeMetricsData", 404, "NotAuthorizedOrNotFound", "not allowed", times=-1
    )
    assert fleet.run("status") == 1
    out = capsys.readouterr().out
    assert "CpuUtilization: NotAuthorizedOrNotFound not allowed (opc-request-id " in out


# --- scale ---------------------------------------------------------------------------------


def test_scale_dry_run_prints_the_request_and_changes_nothing(fleet, capsys):
    assert fleet.run("scale", "orders", "--ecpu", "6") == 0
    out = capsys.readouterr().out
    assert "dry run: nothing changed; add --apply to do this" in out
    assert '"compute_count": 6.0' in out
    assert "computeCount: 6    # was 2" in out
    assert fleet.changing_calls() == [] and fleet.audit_records() == []


def test_scale_apply_waits_with_progress_and_writes_audit(fleet, capsys):
    fleet.fake.database.transition_polls = 4
    assert fleet.run("scale", "orders", "--ecpu", "6", "--auto-scaling", "on", "--apply") == 0
    captured = capsys.readouterr()
    assert "done: orders is AVAILABLE" in captured.out
    assert "orders update: work request IN_PROGRESS 50%" in captured.err
    record = fleet.fake.database.autonomous_databases[fleet.orders.id]
    assert record.compute_count == 6.0 and record.is_auto_scaling_enabled is True
    [call] = fleet.fake.state.calls_of("UpdateAutonomousDatabase")
    assert call.body == {"computeCount": 6.0, "isAutoScalingEnabled": True}
    [audit] = fleet.audit_records()
    assert audit["command"] == "fleet scale" and audit["outcome"]["status"] == "succeeded"
    assert audit["database_id"] == fleet.orders.id and audit["stack"] == "dev"
    assert "autoScaling: true    # was false" in captured.out


def test_scale_failed_work_request_exits_1_with_code_and_request_id(fleet, capsys):
    fleet.fake.database.fail_next(fleet.orders.id, "InternalError", "Scaling failed on the host")
    assert fleet.run("scale", "orders", "--ecpu", "6", "--apply") == 1
    out = capsys.readouterr().out
    assert (
        "failed: InternalError: Scaling failed on the host (opc-request-id guardrails-fleet-" in out
    )
    assert fleet.fake.database.autonomous_databases[fleet.orders.id].compute_count == 4.0
    [audit] = fleet.audit_records()
    assert audit["outcome"]["status"] == "failed"
    assert audit["outcome"]["error"]["code"] == "InternalError"
    assert audit["outcome"]["error"]["opc_request_id"].startswith("guardrails-fleet-")


def test_scale_timeout_exits_1(fleet, capsys):
    fleet.fake.database.transition_polls = 10**6
    assert fleet.run("scale", "orders", "--ecpu", "6", "--apply", "--timeout", "1") == 1
    out = capsys.readouterr().out
    assert "timed out: Timeout: scale orders: ECPU 4 -> 6: not done within 1s" in out
    assert fleet.audit_records()[0]["outcome"]["status"] == "timed out"


def test_scale_to_the_running_count_is_nothing_to_do(fleet, capsys):
    assert fleet.run("scale", "orders", "--ecpu", "4", "--apply") == 0
    out = capsys.readouterr().out
    assert "nothing to do: orders already runs that way" in out
    assert "computeCount: 4    # was 2" in out  # the console change is still to be written back
    assert fleet.changing_calls() == [] and fleet.audit_records() == []


def test_scale_by_ocid_of_an_undeclared_database(fleet, capsys):
    assert fleet.run("scale", fleet.stray.id, "--ecpu", "3", "--apply") == 0
    out = capsys.readouterr().out
    assert "scratch is not declared in Pulumi.dev.yaml: nothing to keep in sync" in out
    assert fleet.fake.database.autonomous_databases[fleet.stray.id].compute_count == 3.0


# --- bad input: exit 2, nothing changed ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("scale", "billing", "--ecpu", "4"),
            "unknown database 'billing': stack dev declares orders, search",
        ),
        (
            ("scale", "ocid1.autonomousdatabase.oc1..bad", "--ecpu", "4"),
            "malformed Autonomous Database OCID",
        ),
        (("scale", "orders", "--ecpu", "1"), "--ecpu 1 is refused: the minimum is 2 ECPU (got 1)"),
        (
            ("scale", "orders", "--ecpu", "1.5"),
            "--ecpu 1.5 is refused: ECPU counts are whole numbers",
        ),
        (("scale", "orders"), "scale needs --ecpu N and/or --auto-scaling on|off"),
        (("backup", "orders", "--retention-days", "61"), "--retention-days 61 is refused"),
        (("clone", "orders", "--name", "9x"), "--name '9x' is refused"),
    ],
)
def test_bad_input_is_refused_before_any_call(fleet, capsys, args, message):
    assert fleet.run(*args, "--apply") == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert fleet.fake.state.calls == []
    assert fleet.audit_records() == []


def test_prod_without_allow_prod_is_refused_before_any_call(fleet, capsys):
    assert fleet.run("stop", "orders", "--apply", stack="prod") == 2
    err = capsys.readouterr().err
    assert "orders is a production database (stack prod); add --allow-prod" in err
    assert fleet.fake.state.calls == []


def test_prod_tagged_database_by_ocid_needs_allow_prod(fleet, capsys):
    prod_by_ocid = fleet.prod_orders.id
    assert fleet.run("stop", prod_by_ocid, "--apply") == 2
    assert (
        "orders-prod is a production database (environment prod); add --allow-prod"
        in capsys.readouterr().err
    )
    assert fleet.changing_calls() == []


def test_transitional_state_is_refused_naming_it(fleet, capsys):
    fleet.fake.database.autonomous_databases[fleet.orders.id].lifecycle_state = "BACKUP_IN_PROGRESS"
    assert fleet.run("scale", "orders", "--ecpu", "6", "--apply") == 2
    assert "orders is BACKUP_IN_PROGRESS: OCI is busy with it" in capsys.readouterr().err
    assert fleet.changing_calls() == []


def test_clone_name_taken_is_refused(fleet, capsys):
    args = ("clone", "orders", "--name", "scratch", "--admin-secret", SECRET, "--apply")
    assert fleet.run(*args) == 2
    assert "clone name 'scratch' is taken" in capsys.readouterr().err
    assert fleet.changing_calls() == []


def test_unwritable_audit_log_is_refused_before_any_call(fleet, capsys, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    audit = str(blocker / "audit.jsonl")
    code = main(["fleet", "stop", "search", "--apply", "--audit-log", audit, "--oci-config", "x"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: --audit-log {audit}: {blocker} is a file, not a directory\n"
    )
    assert fleet.fake.state.calls == []


def test_unknown_ocid_is_bad_input(fleet, capsys):
    missing = "ocid1.autonomousdatabase.oc1.eu-frankfurt-1." + "a" * 60
    assert fleet.run("stop", missing, "--apply") == 2
    assert "not found: NotAuthorizedOrNotFound" in capsys.readouterr().err


def test_unreachable_oci_is_a_clear_error(fleet, capsys, monkeypatch):
    import oci

    def unreachable(*_args, **_kwargs):
        raise oci.exceptions.RequestException("Connection refused")

    monkeypatch.setattr("guardrails.tooling.fleet.status.collect_status", unreachable)
    assert fleet.run("status") == 2
    assert "cannot reach OCI: Connection refused" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "91", "nan", "7.5"])
def test_bad_window_is_refused(fleet, capsys, days):
    with pytest.raises(SystemExit) as exit_info:
        fleet.run("status", "--days", days)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: guardrails fleet status: argument --days: must be ")
    assert err.count("\n") == 1
    assert fleet.fake.state.calls == []


def test_missing_oci_config_is_bad_input(fleet, capsys, tmp_path):
    code = main(
        [
            "fleet",
            "status",
            "--oci-config",
            str(tmp_path / "nope"),
            "--endpoint-url",
            fleet.fake.url,
        ]
    )
    assert code == 2
    assert f"OCI config file {tmp_path / 'nope'} not found" in capsys.readouterr().err


def test_earlier_option_names_still_work_with_a_warning(fleet, capsys, tmp_path):
    code = main(
        ["fleet", "status", "--config-file", str(tmp_path / "nope"), "--endpoint", fleet.fake.url]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "warning: --config-file is deprecated; use --oci-config" in err
    assert "warning: --endpoint is deprecated; use --endpoint-url" in err
    assert f"OCI config file {tmp_path / 'nope'} not found" in err


# --- backup, clone, stop, start, retire ----------------------------------------------------


def test_backup_with_retention_updates_then_backs_up(fleet, capsys):
    assert fleet.run("backup", "orders", "--retention-days", "30", "--apply") == 0
    out = capsys.readouterr().out
    assert fleet.changing_calls() == ["UpdateAutonomousDatabase", "CreateAutonomousDatabaseBackup"]
    record = fleet.fake.database.autonomous_databases[fleet.orders.id]
    assert record.backup_retention_period_in_days == 30 and record.lifecycle_state == "AVAILABLE"
    assert "backupRetentionDays: 30    # was 7" in out
    [backup] = [b for b in fleet.fake.database.backups.values() if not b.is_automatic]
    assert backup.lifecycle_state == "ACTIVE" and f"created backup {backup.id}" in out


def test_long_term_backup(fleet, capsys):
    assert fleet.run("backup", "orders", "--long-term", "--retention-days", "365", "--apply") == 0
    [call] = fleet.fake.state.calls_of("CreateAutonomousDatabaseBackup")
    assert call.body["isLongTermBackup"] is True and call.body["retentionPeriodInDays"] == 365


def test_failed_backup_exits_1(fleet, capsys):
    fleet.fake.database.fail_next_backup("InternalError", "Backup storage unavailable")
    assert fleet.run("backup", "orders", "--apply") == 1
    out = capsys.readouterr().out
    assert (
        "failed: BackupFailed: backup" in out and "InternalError: Backup storage unavailable" in out
    )


def test_clone_to_another_environment(fleet, capsys):
    args = ("clone", "orders", "--name", "ordersqa", "--type", "metadata")
    assert fleet.run(*args, "--to-environment", "staging", "--admin-secret", SECRET, "--apply") == 0
    out = capsys.readouterr().out
    [clone] = [
        r for r in fleet.fake.database.autonomous_databases.values() if r.db_name == "ORDERSQA"
    ]
    assert clone.lifecycle_state == "AVAILABLE"
    assert clone.defined_tags["governance"]["environment"] == "staging"
    assert clone.extra == {"sourceId": fleet.orders.id, "cloneType": "METADATA"}
    assert f"created clone {clone.id}" in out
    assert "the clone ORDERSQA is in no stack file" in out


def test_cloning_into_production_needs_allow_prod_and_the_clone_can_be_retired(fleet, capsys):
    fleet.fake.database.autonomous_databases[fleet.orders.id].defined_tags["governance"][
        "cost_alerted"
    ] = "2026-11-02"
    args = ("clone", "orders", "--name", "ordersprod", "--to-environment", "prod")
    assert fleet.run(*args, "--admin-secret", SECRET, "--apply") == 2
    assert (
        "the clone would be a production database (prod in "
        f"{fleet.orders.compartment_id}); add --allow-prod to create it"
    ) in " ".join(capsys.readouterr().err.split())
    assert fleet.changing_calls() == []
    assert fleet.run(*args, "--admin-secret", SECRET, "--apply", "--allow-prod") == 0
    capsys.readouterr()
    [clone] = [
        r for r in fleet.fake.database.autonomous_databases.values() if r.db_name == "ORDERSPROD"
    ]
    assert clone.defined_tags["governance"]["environment"] == "prod"
    assert "cost_alerted" not in clone.defined_tags["governance"]  # not alerted for anything
    assert clone.freeform_tags == {"guardrails-created": f"fleet clone of {fleet.orders.db_name}"}
    # what the tool created it can retire, under the same rule
    assert fleet.run("retire", clone.id, "--apply") == 2
    assert "add --allow-prod to retire it" in capsys.readouterr().err
    assert fleet.run("retire", clone.id, "--apply", "--allow-prod") == 0


def test_failed_clone_exits_1(fleet, capsys):
    fleet.fake.database.fail_next_clone("QuotaExceeded", "adb-total-ecpu-count exceeded")
    args = ("clone", "orders", "--name", "ordersqa", "--admin-secret", SECRET, "--apply")
    assert fleet.run(*args) == 1
    assert "failed: QuotaExceeded: adb-total-ecpu-count exceeded" in capsys.readouterr().out


def test_stop_then_start(fleet, capsys):
    assert fleet.run("stop", "search", "--apply") == 0
    assert fleet.fake.database.autonomous_databases[fleet.search.id].lifecycle_state == "STOPPED"
    assert fleet.run("stop", "search", "--apply") == 0
    assert "nothing to do: it is STOPPED" in capsys.readouterr().out
    assert fleet.run("start", "search", "--apply") == 0
    assert fleet.fake.database.autonomous_databases[fleet.search.id].lifecycle_state == "AVAILABLE"
    assert fleet.changing_calls() == ["StopAutonomousDatabase", "StartAutonomousDatabase"]
    assert [r["command"] for r in fleet.audit_records()] == ["fleet stop", "fleet start"]


def test_retire_takes_a_final_backup_then_terminates(fleet, capsys):
    assert fleet.run("retire", "search", "--apply") == 0
    out = capsys.readouterr().out
    assert fleet.changing_calls() == ["CreateAutonomousDatabaseBackup", "DeleteAutonomousDatabase"]
    [backup] = [
        b
        for b in fleet.fake.database.backups.values()
        if b.autonomous_database_id == fleet.search.id
    ]
    assert backup.type == "LONGTERM" and backup.lifecycle_state == "ACTIVE"
    assert fleet.fake.database.autonomous_databases[fleet.search.id].lifecycle_state == "TERMINATED"
    assert "done: search is TERMINATED" in out
    assert "remove guardrails:databases.search" in out


def test_retire_refuses_a_protected_database(fleet, capsys):
    assert fleet.run("retire", "orders", "--apply", "--allow-prod", stack="prod") == 2
    assert "orders is protected (declared by production stack prod" in capsys.readouterr().err
    assert fleet.changing_calls() == []


def test_json_output_of_an_applied_command(fleet, capsys):
    assert fleet.run("stop", "search", "--apply", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["applied"] is True
    assert doc["plan"]["steps"][0]["action"] == "stop"
    assert doc["outcome"]["final_state"] == "STOPPED" and doc["outcome"]["error"] is None


def test_status_reports_progress_per_call(fleet):
    from datetime import UTC, datetime

    from guardrails.tooling.fleet.clients import FleetClients
    from guardrails.tooling.fleet.inventory import load_fleet_stack
    from guardrails.tooling.fleet.prices import LIST_PRICES
    from guardrails.tooling.fleet.status import collect_status

    seen: list[tuple[int, int]] = []
    auth = FleetClients(fleet.fake.config, endpoint=fleet.fake.url)
    status = collect_status(
        load_fleet_stack(ROOT, "dev"),
        auth,
        LIST_PRICES,
        days=7,
        include_all=False,
        now=datetime.now(UTC),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(status.databases) == 3
    assert sorted(seen) == [(i, 12) for i in range(1, 13)]  # 3 databases x (3 metrics + backups)


def test_ctrl_c_while_waiting_is_audited_and_exits_130(fleet, capsys, monkeypatch):
    from guardrails.tooling.fleet.executor import FleetExecutor

    def interrupt(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(FleetExecutor, "_wait_state", interrupt)
    assert fleet.run("stop", "search", "--apply") == 130
    assert "interrupted: Interrupted: stop search: stopped waiting" in capsys.readouterr().out
    [audit] = fleet.audit_records()
    assert audit["outcome"]["status"] == "interrupted"
    assert fleet.changing_calls() == ["StopAutonomousDatabase"]


# --- a run killed while OCI worked ---------------------------------------------------------


def _killed_backup_run(fleet, name: str) -> None:
    """What a `fleet backup --apply` killed during its wait leaves: an intent, no outcome."""
    from guardrails.tooling.acting.audit_trail import AuditLog

    AuditLog(fleet.audit).intent(
        "fleet backup",
        "backup",
        fleet.orders.id,
        stack="dev",
        database="orders",
        backup_name=name,
    )


def test_a_rerun_after_a_killed_backup_takes_no_second_backup(fleet, capsys):
    from datetime import UTC, datetime

    name = "manual-orders-20261203-010000"
    _killed_backup_run(fleet, name)
    earlier = fleet.fake.database.add_backup(
        fleet.orders.id, time_ended=datetime.now(UTC), is_automatic=False, display_name=name
    )
    assert fleet.run("backup", "orders", "--apply") == 0
    err = capsys.readouterr().err
    assert fleet.changing_calls() == []
    assert f"earlier run: fleet backup orders: done (its backup {earlier.id} ({name}) " in err
    assert f"not making it again: {earlier.id} is what this request asks for" in err
    (settled,) = [r for r in fleet.audit_records() if r.get("reconciled")]
    assert (settled["status"], settled["created"]) == ("done", earlier.id)


def test_a_killed_backup_whose_backup_never_started_is_taken_now(fleet, capsys):
    _killed_backup_run(fleet, "manual-orders-20261203-010000")
    assert fleet.run("backup", "orders", "--apply") == 0
    err = capsys.readouterr().err
    assert "earlier run: fleet backup orders: failed (no backup named" in err
    assert fleet.changing_calls() == ["CreateAutonomousDatabaseBackup"]
    from guardrails.tooling.acting.audit_trail import AuditLog

    assert AuditLog(fleet.audit).unresolved() == []


KILLS = [
    (
        ("clone", "orders", "--name", "scratch2", "--admin-secret", SECRET),
        "CreateAutonomousDatabase",
        "after",
    ),
    (("backup", "orders"), "CreateAutonomousDatabaseBackup", "before"),
    (("backup", "orders"), "CreateAutonomousDatabaseBackup", "after"),
    (("stop", "orders"), "StopAutonomousDatabase", "after"),
    (("scale", "orders", "--ecpu", "6"), "UpdateAutonomousDatabase", "after"),
    (("scale", "orders", "--ecpu", "6"), "UpdateAutonomousDatabase", "before"),
    (("stop", "orders"), "StopAutonomousDatabase", "before"),
    (("start", "orders"), "StartAutonomousDatabase", "before"),
    (("start", "orders"), "StartAutonomousDatabase", "after"),
    (("retire", "orders"), "CreateAutonomousDatabaseBackup", "after"),
    (("retire", "orders"), "DeleteAutonomousDatabase", "before"),
    (("retire", "orders"), "DeleteAutonomousDatabase", "after"),
]


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("command", "operation", "when"), KILLS, ids=[f"{c[0]}-{o}-{w}" for c, o, w in KILLS]
)
def test_a_fleet_run_killed_at_its_change_and_its_rerun(fleet, capsys, command, operation, when):
    import os
    import signal
    import subprocess
    import sys

    from guardrails.tooling.acting.audit_trail import AuditLog

    child: list[subprocess.Popen[str]] = []
    if command[0] == "start":
        fleet.fake.database.autonomous_databases[fleet.orders.id].lifecycle_state = "STOPPED"
    fleet.fake.state.on_call(operation, when, lambda: os.kill(child[0].pid, signal.SIGKILL))
    child.append(
        subprocess.Popen(
            [sys.executable, "-m", "guardrails.tooling.cli", *fleet.argv(*command, "--apply")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    (unanswered,) = AuditLog(fleet.audit).unresolved()  # announced before the call
    assert (unanswered.command, unanswered.target) == (f"fleet {command[0]}", fleet.orders.id)
    # OCI finishes what the killed run started while nobody watches (a rerun while it is
    # still busy is refused: "try again when it is AVAILABLE or STOPPED")
    for _ in range(20):
        fleet.fake.database.autonomous_databases[fleet.orders.id].poll()
        for backup in fleet.fake.database.backups.values():
            backup.poll()

    assert fleet.run(*command, "--apply") == 0
    assert AuditLog(fleet.audit).unresolved() == []
    err = capsys.readouterr().err
    assert f"earlier run: fleet {command[0]} orders: " in err
    # settled from the database: what the killed run did, or that it did nothing
    # a retire with its final backup taken but its delete not sent is half done
    partial = command[0] == "retire" and (operation, when) != ("DeleteAutonomousDatabase", "after")
    expected = "unknown" if partial else ("done" if when == "after" else "failed")
    assert f"earlier run: fleet {command[0]} orders: {expected} (" in err, err
    done = [
        c
        for c in fleet.fake.state.calls
        if c.operation == operation and c.status in (200, 202, 204)
    ]
    assert len(done) == 1, "the change was carried out twice"
    record = fleet.fake.database.autonomous_databases[fleet.orders.id]
    if command[0] == "backup":
        manual = [b for b in fleet.fake.database.backups.values() if not b.is_automatic]
        assert len(manual) == 1
    elif command[0] == "clone":
        clones = [
            r for r in fleet.fake.database.autonomous_databases.values() if r.db_name == "SCRATCH2"
        ]
        assert len(clones) == 1
    elif command[0] == "stop":
        assert record.lifecycle_state in ("STOPPING", "STOPPED")
    elif command[0] == "start":
        assert record.lifecycle_state in ("STARTING", "AVAILABLE")
    elif command[0] == "retire":
        assert record.lifecycle_state in ("TERMINATING", "TERMINATED")
        manual = [b for b in fleet.fake.database.backups.values() if not b.is_automatic]
        assert len(manual) == 1, "a second final backup"
        assert (
            len(
                [
                    c
                    for c in fleet.fake.state.calls
                    if c.operation == "DeleteAutonomousDatabase" and c.status in (200, 202, 204)
                ]
            )
            == 1
        )
    else:
        assert record.compute_count == 6


@pytest.mark.parametrize(
    ("command", "operation"),
    [
        (("scale", "orders", "--ecpu", "6"), "UpdateAutonomousDatabase"),
        (("stop", "orders"), "StopAutonomousDatabase"),
    ],
)
def test_an_answer_lost_after_the_change_is_read_back_not_failed(fleet, capsys, command, operation):
    from tests.fake_oci.server import OciError

    def lost() -> None:
        raise OciError(500, "InternalError", "the answer was lost on the way")

    fleet.fake.state.on_call(operation, "after", lost)
    assert fleet.run(*command, "--apply") == 0
    out = capsys.readouterr().out
    assert (
        "the call failed (InternalError: the answer was lost on the way) but the database " in out
    )
    assert len(fleet.fake.state.calls_of(operation)) == 1  # not sent again
    (record,) = [r for r in fleet.audit_records() if r.get("record") == "outcome"]
    assert record["status"] == "done" and record["outcome"]["recovered"]


def test_a_server_error_before_the_change_is_a_failed_step(fleet, capsys):
    fleet.fake.state.inject_fault("UpdateAutonomousDatabase", 500, "InternalError", "no")
    assert fleet.run("scale", "orders", "--ecpu", "6", "--apply") == 1
    assert "failed: InternalError: no" in capsys.readouterr().out
    assert fleet.fake.database.autonomous_databases[fleet.orders.id].compute_count == 4


def test_a_keyed_create_whose_answer_was_lost_is_retried_and_made_once(fleet, capsys):
    """A backup carries an opc-retry-token: the one retry policy sends it again, and OCI
    answers the repeated token with the first backup (no second one)."""
    from tests.fake_oci.server import OciError

    def lost() -> None:
        raise OciError(500, "InternalError", "the answer was lost on the way")

    fleet.fake.state.on_call("CreateAutonomousDatabaseBackup", "after", lost)
    assert fleet.run("backup", "orders", "--apply") == 0
    calls = fleet.fake.state.calls_of("CreateAutonomousDatabaseBackup")
    assert [c.status for c in calls] == [500, 200]  # the retry got the first answer
    manual = [b for b in fleet.fake.database.backups.values() if not b.is_automatic]
    assert len(manual) == 1


def test_an_unkeyed_change_is_never_retried(fleet, capsys):
    fleet.fake.state.inject_fault("StopAutonomousDatabase", 503, "ServiceUnavailable", "busy")
    assert fleet.run("stop", "orders", "--apply") == 1
    assert len(fleet.fake.state.calls_of("StopAutonomousDatabase")) == 1  # sent once


def test_reads_are_retried_under_the_one_policy(fleet, capsys):
    fleet.fake.state.inject_fault(
        "ListAutonomousDatabases", 429, "TooManyRequests", "slow", times=2
    )
    assert fleet.run("status", "--format", "json") in (0, 1)
    assert len(fleet.fake.state.calls_of("ListAutonomousDatabases")) >= 3
