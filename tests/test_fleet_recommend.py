"""Fleet recommendations: every rule on a database built to trigger it and one built not to,
with the numbers and the monthly cost effect at list prices."""

from __future__ import annotations

import pytest

from guardrails.runtime.stack_schema.fleet import FleetConfig, OffHoursConfig
from guardrails.tooling.fleet.metrics import CPU, DatabaseMetrics
from guardrails.tooling.fleet.prices import LIST_PRICES
from guardrails.tooling.fleet.recommend import recommend
from tests.fleet_cases import db_info, metrics

CFG = FleetConfig()
LI_ECPU_MONTH = 0.336 * 730
BYOL_ECPU_MONTH = 0.0807 * 730


def _recs(db=None, m=None, environment="dev", cfg=CFG):
    return recommend(
        "orders",
        db or db_info(),
        m or metrics(),
        environment,
        cfg,
        LIST_PRICES,
        window="7 days",
        interval_seconds=3600,
    )


def _rules(recs):
    return [r.rule for r in recs]


def test_steady_database_gets_no_recommendation():
    assert _recs(db_info(scheduled=True)) == []


def test_scale_up_when_p95_cpu_above_80():
    [rec] = _recs(db_info(scheduled=True), metrics("busy"), environment="prod")
    assert rec.rule == "scale-up"
    # p95 of 85..95 is 95: 4 ECPU * 95 / 60 -> 7 ECPU
    assert (
        rec.action
        == "scale from 4 to 7 ECPU, or enable auto-scaling (bills up to 12 ECPU while busy)"
    )
    assert rec.reason.startswith("p95 CPU 95.0 % > 80 % over 7 days")
    assert rec.monthly_cost_change == pytest.approx(3 * LI_ECPU_MONTH)
    assert rec.command == "guardrails fleet scale orders --ecpu 7"


def test_scale_up_with_auto_scaling_on_does_not_suggest_it_again():
    [rec] = _recs(db_info(auto_scaling=True, scheduled=True), metrics("busy"), "prod")
    assert rec.action == "scale from 4 to 7 ECPU"


def test_cpu_just_under_the_high_threshold_is_left_alone():
    cfg = FleetConfig(cpuHighPercent=96)
    assert _recs(db_info(scheduled=True), metrics("busy"), "prod", cfg) == []


def test_scale_down_when_p95_cpu_under_20_uses_byol_price():
    db = db_info(ecpu=8.0, license_model="BRING_YOUR_OWN_LICENSE", scheduled=True)
    [rec] = _recs(db, metrics("low"), environment="prod")
    assert rec.rule == "scale-down"
    # p95 of 8..12 is 12: 8 * 12 / 60 = 1.6 -> the minimum, 2 ECPU
    assert rec.action == "scale from 8 to 2 ECPU"
    assert "p95 CPU 12.0 % < 20 %" in rec.reason
    assert rec.monthly_cost_change == pytest.approx(-6 * BYOL_ECPU_MONTH)


def test_no_scale_down_below_the_minimum():
    assert _recs(db_info(ecpu=2.0, scheduled=True), metrics("low"), "prod") == []


def test_grow_storage_above_85_with_days_left():
    [rec] = _recs(db_info(storage_tbs=4.0, scheduled=True), metrics(storage="growing"), "prod")
    assert rec.rule == "grow-storage"
    # 90 % of 4 TB = 3.6 TB used; at 70 % target -> ceil(5.14) = 6 TB
    assert rec.action == "grow storage from 4 to 6 TB, or clean up"
    assert "storage 90.0 % used (3.60 of 4 TB) > 85 %" in rec.reason
    assert "growing 2.87 %/day: full in 3 days" in rec.reason
    # 2 TB more at the price book's ATP storage price, 0.1953 USD per GB-month
    assert rec.monthly_cost_change == pytest.approx(2 * 1024 * 0.1953)
    assert rec.command is None


def test_storage_at_85_or_below_is_left_alone():
    assert _recs(db_info(scheduled=True), metrics(storage="flat"), "prod") == []
    cfg = FleetConfig(storageHighPercent=90, storageTargetPercent=70)
    assert _recs(db_info(scheduled=True), metrics(storage="full"), "prod", cfg) == []


def test_stop_idle_non_production_database():
    [rec] = _recs(db_info(), metrics("idle"), environment="dev")
    assert rec.rule == "stop-idle"
    assert "p95 CPU 2.0 % < 5 %" in rec.reason
    assert rec.monthly_cost_change == pytest.approx(-4 * LI_ECPU_MONTH)
    assert rec.command == "guardrails fleet stop orders"


def test_idle_production_database_is_scaled_down_not_stopped():
    recs = _recs(db_info(scheduled=True), metrics("idle"), environment="prod")
    assert _rules(recs) == ["scale-down"]


def test_idle_database_tagged_prod_in_a_dev_stack_is_not_stopped():
    recs = _recs(db_info(environment="prod", scheduled=True), metrics("idle"), "dev")
    assert _rules(recs) == ["scale-down"]


def test_off_hours_schedule_for_database_quiet_at_night():
    [rec] = _recs(db_info(), metrics("nightly"), environment="staging")
    assert rec.rule == "off-hours-schedule"
    fraction = OffHoursConfig().off_fraction()
    assert fraction == pytest.approx((48 + 5 * 11) / 168)
    assert rec.action == (
        "add an auto start/stop schedule: stop at 20:00, start at 07:00 UTC Mon-Fri, "
        "stopped Sat-Sun"
    )
    assert rec.monthly_cost_change == pytest.approx(-4 * LI_ECPU_MONTH * fraction)


def test_no_schedule_recommendation_when_one_exists_or_busy_at_night_or_prod():
    assert _recs(db_info(scheduled=True), metrics("nightly"), "dev") == []
    assert _recs(db_info(), metrics("steady"), "dev") == []
    assert _recs(db_info(), metrics("nightly"), "prod") == []


def test_no_schedule_recommendation_from_daily_points():
    recs = recommend(
        "orders",
        db_info(),
        metrics("nightly"),
        "dev",
        CFG,
        LIST_PRICES,
        window="90 days",
        interval_seconds=86400,
    )
    assert recs == []


def test_stopped_database_and_missing_metrics_get_none():
    assert _recs(db_info(lifecycle_state="STOPPED"), metrics("busy")) == []
    assert _recs(db_info(scheduled=True), DatabaseMetrics({}), "prod") == []


def test_thresholds_come_from_the_config():
    cfg = FleetConfig(cpuHighPercent=90, cpuLowPercent=55, cpuTargetPercent=70, idleCpuPercent=1)
    recs = _recs(db_info(scheduled=True), metrics("steady"), "prod", cfg)
    assert _rules(recs) == ["scale-down"]
    assert recs[0].action == "scale from 4 to 3 ECPU"


def test_metric_series_without_cpu_still_gets_storage_rule():
    m = metrics(storage="full")
    m = DatabaseMetrics({k: v for k, v in m.series.items() if k != CPU})
    assert _rules(_recs(db_info(scheduled=True), m, "prod")) == ["grow-storage"]
