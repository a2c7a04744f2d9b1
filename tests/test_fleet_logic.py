"""Fleet logic that needs no OCI: the `guardrails:fleet` block, drift, metric summaries and
resolution, lifecycle argument checks and plans, and the reports."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import StackConfigError, parse_stack_config
from guardrails.runtime.stack_schema.fleet import FleetConfig, OffHoursConfig
from guardrails.tooling.fleet import lifecycle
from guardrails.tooling.fleet.drift import database_drift
from guardrails.tooling.fleet.inventory import FleetMember, check_reference, load_fleet_stack
from guardrails.tooling.fleet.metrics import (
    CPU,
    STORAGE,
    Series,
    metric_query,
    percentile,
    pick_interval,
)
from guardrails.tooling.fleet.prices import LIST_PRICES
from guardrails.tooling.fleet.recommend import recommend
from guardrails.tooling.fleet.status import DatabaseStatus, FleetStatus, LastBackup
from guardrails.tooling.fleet.status_output import (
    render_html,
    render_json,
    render_markdown,
    render_plan,
    render_table,
    svg_chart,
)
from tests.conftest import ROOT, ocid
from tests.fleet_cases import END, db_info, member, metrics
from tests.test_stack_schema import _with

DEV = load_fleet_stack(ROOT, "dev")
PROD = load_fleet_stack(ROOT, "prod")
NOW = datetime(2026, 11, 27, 9, 30, 15, tzinfo=UTC)


# --- the guardrails:fleet block ------------------------------------------------------------


def test_fleet_block_defaults_when_absent():
    assert DEV.fleet == FleetConfig()
    assert DEV.fleet.cpuHighPercent == 80 and DEV.fleet.cpuLowPercent == 20
    assert DEV.fleet.storageHighPercent == 85


def test_fleet_block_read_from_the_stack_file():
    cfg = parse_stack_config(
        *_with({"fleet": {"cpuHighPercent": 75, "offHours": {"start": "19:00"}}})
    )
    assert cfg.fleet.cpuHighPercent == 75
    assert cfg.fleet.offHours.start == "19:00" and cfg.fleet.offHours.stop == "07:00"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"cpuHighPercent": 120}, "guardrails:fleet.cpuHighPercent: must be <= 100 (got 120)"),
        ({"cpuLowPercent": 85}, "cpuLowPercent (85) must be below cpuHighPercent (80)"),
        ({"cpuTargetPercent": 90}, "cpuTargetPercent (90) must lie between"),
        ({"storageTargetPercent": 90}, "storageTargetPercent (90) must be below"),
        ({"idleCpuPercent": 25}, "idleCpuPercent (25) must be below cpuLowPercent (20)"),
        ({"offHours": {"start": "25:00"}}, "must be a time of day HH:MM (got '25:00')"),
        ({"concurrency": 0}, "guardrails:fleet.concurrency: must be >= 1 (got 0)"),
        ({"threshold": 1}, "guardrails:fleet.threshold: is not a known setting"),
    ],
)
def test_fleet_block_bad_values(block, message):
    with pytest.raises(StackConfigError) as info:
        parse_stack_config(*_with({"fleet": block}))
    assert message in str(info.value)


def test_off_hours_wrap_midnight_and_weekends():
    hours = OffHoursConfig(start="20:00", stop="07:00", weekends=True)
    assert hours.is_off(0, 21) and hours.is_off(0, 6) and not hours.is_off(0, 12)
    assert hours.is_off(5, 12)
    day_shift = OffHoursConfig(start="08:00", stop="18:00", weekends=False)
    assert day_shift.is_off(6, 9) and not day_shift.is_off(6, 19)
    assert day_shift.off_fraction() == pytest.approx(10 / 24)


# --- drift ---------------------------------------------------------------------------------


def test_no_drift_when_the_database_runs_as_declared():
    declared = DEV.databases["orders"]
    info = db_info(ecpu=2.0, storage_tbs=1.0, backup_retention_days=7)
    assert database_drift(declared, info) == []


def test_drift_of_compute_count_changed_in_the_console():
    declared = DEV.databases["orders"]
    [drift] = database_drift(declared, db_info(ecpu=6.0))
    assert drift.describe() == "computeCount: stack 2, running 6"


def test_drift_of_every_setting_and_of_a_missing_database():
    declared = PROD.databases["orders"]
    info = db_info(
        ecpu=8.0,
        storage_tbs=3.0,
        license_model="LICENSE_INCLUDED",
        backup_retention_days=7,
        auto_scaling=False,
        storage_auto_scaling=False,
    )
    described = [d.describe() for d in database_drift(declared, info)]
    assert described == [
        "licenseModel: stack BRING_YOUR_OWN_LICENSE, running LICENSE_INCLUDED",
        "storageTbs: stack 4, running 3",
        "backupRetentionDays: stack 35, running 7",
        "autoScaling: stack on, running off",
        "storageAutoScaling: stack on, running off",
    ]
    assert [d.describe() for d in database_drift(declared, None)] == [
        "database: stack declared, running not found"
    ]


# --- metrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "interval", "points"),
    [(1, "5m", 288), (7, "1h", 168), (30, "1h", 720 // 2 * 2), (90, "1d", 90)],
)
def test_interval_keeps_points_bounded(days, interval, points):
    max_points = 1000 if days == 30 else 500
    label, seconds = pick_interval(days * 86400, max_points)
    assert label == interval
    assert days * 86400 / seconds == points


def test_query_text_and_percentile():
    rid = ocid("autonomousdatabase", "x", "eu-frankfurt-1")
    assert metric_query(CPU, rid, "1h") == f'CpuUtilization[1h]{{resourceId = "{rid}"}}.mean()'
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([3.0], 0.95) == 3.0


def test_series_stats_and_trend():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    series = Series(STORAGE, tuple((start + timedelta(days=i), 50.0 + i) for i in range(5)))
    stats = series.stats()
    assert stats is not None
    assert (stats.mean, stats.p95, stats.max, stats.latest, stats.points) == (52, 54, 54, 54, 5)
    assert series.slope_per_day() == pytest.approx(1.0)
    assert Series(CPU, ()).stats() is None


# --- lifecycle: argument checks (no call is made before these) ----------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1, "--ecpu 1 is refused: the minimum is 2 ECPU (got 1)"),
        (1.5, "--ecpu 1.5 is refused: ECPU counts are whole numbers (got 1.5)"),
        (2.5, "--ecpu 2.5 is refused: ECPU counts are whole numbers (got 2.5)"),
        (600, "--ecpu 600 is refused: the maximum is 512 ECPU (got 600)"),
    ],
)
def test_bad_ecpu_counts(value, message):
    with pytest.raises(GuardrailsError, match=re.escape(message)):
        lifecycle.check_ecpu(value)


def test_good_ecpu_counts():
    for value in (None, 2, 3.0, 512):
        lifecycle.check_ecpu(value)


@pytest.mark.parametrize(
    ("days", "long_term", "message"),
    [
        (61, False, "--retention-days 61 is refused: automatic backups are kept 1 to 60 days"),
        (0, False, "--retention-days 0 is refused"),
        (60, True, "--retention-days 60 is refused: long-term backups keep 90 to 3650 days"),
        (None, True, "--long-term needs --retention-days (90 to 3650 days)"),
    ],
)
def test_bad_retention(days, long_term, message):
    with pytest.raises(GuardrailsError, match=re.escape(message)):
        lifecycle.check_retention(days, long_term=long_term)


@pytest.mark.parametrize(
    ("name", "env", "secret", "message"),
    [
        (
            "9orders",
            None,
            None,
            "--name '9orders' is refused: a database name starts with a letter",
        ),
        ("orders_copy", None, None, "--name 'orders_copy' is refused"),
        ("orderscopy", "qa", None, "--to-environment 'qa' is refused: one of dev, staging, prod"),
        ("orderscopy", None, "secret", "--admin-secret 'secret' is not a Vault secret OCID"),
    ],
)
def test_bad_clone_arguments(name, env, secret, message):
    with pytest.raises(GuardrailsError, match=re.escape(message)):
        lifecycle.check_clone_args(name, env, secret)


def test_unknown_key_and_malformed_ocid_are_refused_by_name():
    with pytest.raises(
        GuardrailsError, match="unknown database 'billing': stack dev declares orders, search"
    ):
        check_reference(DEV, "billing")
    with pytest.raises(
        GuardrailsError,
        match=re.escape("malformed Autonomous Database OCID 'ocid1.autonomousdatabase.oc1..short'"),
    ):
        check_reference(DEV, "ocid1.autonomousdatabase.oc1..short")
    with pytest.raises(GuardrailsError, match="malformed Autonomous Database OCID"):
        check_reference(DEV, ocid("instance", "x", "eu-frankfurt-1"))
    check_reference(DEV, "orders")
    check_reference(DEV, ocid("autonomousdatabase", "x", "eu-frankfurt-1"))


def test_prod_key_needs_allow_prod_before_any_call():
    with pytest.raises(
        GuardrailsError, match=r"orders is a production database \(stack prod\); add --allow-prod"
    ):
        lifecycle.check_prod_flag(PROD, "orders", allow_prod=False)
    lifecycle.check_prod_flag(PROD, "orders", allow_prod=True)
    lifecycle.check_prod_flag(DEV, "orders", allow_prod=False)


# --- lifecycle: refusals on the resolved database ------------------------------------------


@pytest.mark.parametrize(
    "state", ["SCALE_IN_PROGRESS", "BACKUP_IN_PROGRESS", "STOPPING", "UPDATING"]
)
def test_transitional_state_is_refused_naming_it(state):
    m = member(DEV, lifecycle_state=state)
    with pytest.raises(GuardrailsError, match=f"orders is {state}: OCI is busy with it"):
        lifecycle.check_allowed("scale", m, DEV, allow_prod=False)


def test_state_a_command_cannot_start_from():
    with pytest.raises(GuardrailsError, match="orders is STOPPED; scale needs it AVAILABLE"):
        lifecycle.check_allowed("scale", member(DEV, lifecycle_state="STOPPED"), DEV, False)
    with pytest.raises(
        GuardrailsError, match="orders is UNAVAILABLE; start needs it AVAILABLE or STOPPED"
    ):
        lifecycle.check_allowed("start", member(DEV, lifecycle_state="UNAVAILABLE"), DEV, False)


def test_scale_refuses_an_ocpu_database():
    with pytest.raises(GuardrailsError, match="orders uses the OCPU compute model"):
        lifecycle.check_allowed("scale", member(DEV, compute_model="OCPU"), DEV, False)


def test_database_tagged_prod_needs_allow_prod_in_any_stack():
    m = FleetMember(None, None, db_info(environment="prod", display_name="ledger"))
    with pytest.raises(
        GuardrailsError,
        match=r"ledger is a production database \(environment prod\); add --allow-prod to stop it",
    ):
        lifecycle.check_allowed("stop", m, DEV, allow_prod=False)
    lifecycle.check_allowed("stop", m, DEV, allow_prod=True)


def test_retire_refuses_a_protected_database_even_with_allow_prod():
    m = member(PROD, environment="prod")
    with pytest.raises(
        GuardrailsError, match=r"orders is protected \(declared by production stack prod"
    ):
        lifecycle.check_allowed("retire", m, PROD, allow_prod=True)
    lifecycle.check_allowed("retire", member(DEV), DEV, allow_prod=False)


# --- lifecycle: plans ----------------------------------------------------------------------


def test_scale_plan_with_stack_file_change():
    plan = lifecycle.plan_scale(DEV, member(DEV, ecpu=2.0), 4, True)
    [step] = plan.steps
    assert step.action == "update" and step.target_state == "AVAILABLE"
    assert step.request == {"compute_count": 4.0, "is_auto_scaling_enabled": True}
    assert step.summary == "scale orders: ECPU 2 -> 4, auto-scaling on"
    assert plan.stack_change == (
        "# Pulumi.dev.yaml, under guardrails:databases.orders:\n"
        "    computeCount: 4    # was 2\n"
        "    autoScaling: true    # was false"
    )
    assert "or the next `pulumi up` sets it back" in plan.notes[0]


def test_scale_to_the_running_count_is_nothing_to_do():
    plan = lifecycle.plan_scale(DEV, member(DEV, ecpu=2.0), 2, None)
    assert plan.nothing_to_do and plan.stack_change is None
    assert plan.notes == ("nothing to do: orders already runs that way",)


def test_scale_of_an_undeclared_database_has_no_stack_change():
    m = FleetMember(None, None, db_info(display_name="scratch"))
    plan = lifecycle.plan_scale(DEV, m, 6, None)
    assert plan.stack_change is None
    assert plan.notes == ("scratch is not declared in Pulumi.dev.yaml: nothing to keep in sync",)


def test_backup_plans():
    plain = lifecycle.plan_backup(DEV, member(DEV), None, False, NOW)
    [step] = plain.steps
    assert step.request == {
        "autonomous_database_id": db_info().id,
        "display_name": "manual-ordersdev-20261127-093015",
    }
    assert plain.stack_change is None
    longer = lifecycle.plan_backup(DEV, member(DEV), 30, False, NOW)
    assert [s.action for s in longer.steps] == ["update", "backup"]
    assert longer.steps[0].request == {"backup_retention_period_in_days": 30}
    assert "backupRetentionDays: 30    # was 7" in (longer.stack_change or "")
    long_term = lifecycle.plan_backup(DEV, member(DEV), 365, True, NOW)
    assert long_term.steps[0].request["is_long_term_backup"] is True
    assert long_term.steps[0].request["retention_period_in_days"] == 365


CLONE_SECRET = ocid("vaultsecret", "clone", "eu-frankfurt-1")


def _clone(**changes):
    values = {
        "name": "ordersqa",
        "clone_type": "full",
        "to_environment": None,
        "secret_id": CLONE_SECRET,
        "taken_names": {"ORDERSDEV"},
    } | changes
    return lifecycle.plan_clone(DEV, member(DEV), **values)


def test_clone_plan_and_name_taken():
    plan = _clone(clone_type="metadata", to_environment="staging")
    [step] = plan.steps
    assert step.request["source"] == "DATABASE" and step.request["clone_type"] == "METADATA"
    assert step.request["db_name"] == "ORDERSQA"
    assert step.request["defined_tags"]["governance"]["environment"] == "staging"
    assert step.request["whitelisted_ips"] == ["203.0.113.0/24"]
    assert step.request["secret_id"] == CLONE_SECRET
    with pytest.raises(GuardrailsError, match="clone name 'ordersdev' is taken"):
        _clone(name="ordersdev")
    with pytest.raises(GuardrailsError, match="clone needs the new database's admin password"):
        _clone(secret_id=None)


def test_stop_start_and_retire_plans():
    assert lifecycle.plan_power(member(DEV, lifecycle_state="STOPPED"), "stop").nothing_to_do
    [start] = lifecycle.plan_power(member(DEV, lifecycle_state="STOPPED"), "start").steps
    assert start.target_state == "AVAILABLE"
    plan = lifecycle.plan_retire(DEV, member(DEV), NOW)
    assert [s.action for s in plan.steps] == ["backup", "delete"]
    assert plan.steps[0].request["is_long_term_backup"] is True
    assert plan.steps[0].request["retention_period_in_days"] == 90
    assert "remove guardrails:databases.orders" in (plan.stack_change or "")


# --- reports -------------------------------------------------------------------------------


def _status() -> FleetStatus:
    busy = member(DEV, ecpu=6.0)
    busy_status = DatabaseStatus(
        "orders",
        True,
        busy.declared,
        busy.database,
        LastBackup(END - timedelta(hours=3), "INCREMENTAL"),
        metrics("busy", "growing"),
        database_drift(DEV.databases["orders"], busy.database),
    )
    assert busy.database is not None
    busy_status.recommendations = recommend(
        "orders",
        busy.database,
        metrics("busy", "growing"),
        "dev",
        DEV.fleet,
        LIST_PRICES,
        window="7 days",
        interval_seconds=3600,
    )
    missing = DatabaseStatus("search", True, DEV.databases["search"], None)
    missing.drift = database_drift(DEV.databases["search"], None)
    stray = DatabaseStatus("scratch", False, None, replace(db_info(), display_name="scratch"))
    return FleetStatus(
        "dev",
        "dev",
        DEV.compartment_id,
        END - timedelta(days=7),
        END,
        "1h",
        80,
        85,
        LIST_PRICES.source,
        [busy_status, missing, stray],
    )


def test_table_report_names_drift_recommendations_and_unmanaged():
    console = Console(record=True, width=250)
    render_table(_status(), console)
    text = console.export_text()
    assert "fleet dev (dev): 3 databases, metrics over 7 days at 1h" in text
    assert "scratch (unmanaged)" in text and "NOT FOUND" in text
    assert "orders: computeCount: stack 2, running 6" in text
    assert "scale from 6 to 10 ECPU" in text and "+$981.12" in text
    assert "grow-storage" in text


def test_json_and_markdown_reports():
    doc = json.loads(render_json(_status()))
    orders = doc["databases"][0]
    assert orders["metrics"]["CpuUtilization"]["p95"] == 95
    assert orders["metrics"]["Sessions"] is None
    assert orders["drift"] == [{"setting": "computeCount", "declared": 2.0, "actual": 6.0}]
    assert {r["rule"] for r in orders["recommendations"]} == {"scale-up", "grow-storage"}
    assert doc["databases"][1]["state"] == "NOT FOUND"
    assert doc["databases"][2]["managed"] is False
    md = render_markdown(_status())
    assert "| orders | scale-up | scale from 6 to 10 ECPU" in md
    assert "- **orders** computeCount: stack 2, running 6" in md


def test_html_report_is_self_contained_with_a_chart_per_database_and_metric():
    page = render_html(_status())
    assert page.count("<svg") == 4  # orders and scratch: CPU and storage each
    assert "orders: CpuUtilization (%)" in page and "orders: StorageUtilization (%)" in page
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "declared in the stack file but not running" in page


def test_svg_chart_plots_the_series_and_the_threshold():
    svg = svg_chart("t", metrics("busy").series[CPU], END - timedelta(days=7), END, 80)
    points = re.search(r'points="([^"]+)"', svg)
    assert points is not None and len(points.group(1).split()) == 168
    assert 'stroke-dasharray="4 3"' in svg
    assert "no data" in svg_chart("t", None, END - timedelta(days=7), END, 80)


def test_dry_run_plan_prints_requests_and_stack_change():
    console = Console(record=True, width=200)
    plan = lifecycle.plan_scale(DEV, member(DEV, ecpu=2.0), 4, None)
    render_plan(plan, console, applied=False)
    text = console.export_text()
    assert "dry run: nothing changed; add --apply to do this" in text
    assert '"compute_count": 4.0' in text
    assert "computeCount: 4    # was 2" in text
