"""The enforcement planner, spend input, audit log and config blocks as plain functions
(no cloud): thresholds, guards, the stack schema's messages with their key paths."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from components.cost_center_budgets import AlertRule
from guardrails.runtime.cron import cron_problem, time_zone_problem
from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import StackConfigError, parse_stack_config
from guardrails.tooling.acting.audit_trail import AuditLog
from guardrails.tooling.cost.enforce.records import AuditRecord, notified
from guardrails.tooling.cost.enforce.spend_status import SpendStatus, spend_from_report
from guardrails.tooling.cost.enforce.steps import (
    CostResource,
    breaches,
    plan,
    settings_from_stack,
    stop_refusal,
)
from guardrails.tooling.project import load_project, load_stack_config, load_stack_settings
from tests.conftest import ROOT

RULES = (AlertRule("ACTUAL", 80), AlertRule("ACTUAL", 100), AlertRule("FORECAST", 100))


def status(actual: float, forecast: float, budget: float = 1000) -> SpendStatus:
    return SpendStatus("CC-101", actual, forecast, budget, "USD")


def test_rules_are_crossed_at_their_threshold_by_actual_or_forecast():
    assert breaches([status(799.99, 999.99)], RULES) == []
    (at_80,) = breaches([status(800, 900)], RULES)
    assert [r.threshold for r in at_80.crossed] == [80]
    (forecast,) = breaches([status(500, 1000)], RULES)
    assert forecast.top == AlertRule("FORECAST", 100)
    (both,) = breaches([status(1000, 1000)], RULES)
    assert both.top == AlertRule("ACTUAL", 100)  # at a tie the actual rule is named
    assert (
        both.why()
        == "OCI actual 1,000.00 USD is 100% of the 1,000.00 USD budget (rule ACTUAL 100%)"
    )


class Inventory:
    def __init__(self, resources: list[CostResource]) -> None:
        self.items = resources
        self.asked: list[str] = []

    def resources(self, namespace: str, cost_center: str) -> list[CostResource]:
        self.asked.append(cost_center)
        return self.items

    def quota(self, name: str) -> str | None:
        return None


def _settings():
    settings = settings_from_stack("dev", load_stack_config(ROOT, "dev"))
    assert settings is not None
    return settings


def adb(environment: str | None, state: str = "AVAILABLE", **tags: str) -> CostResource:
    values = {"cost_center": "CC-101", **tags}
    if environment:
        values["environment"] = environment
    return CostResource(
        "ocid1.autonomousdatabase.oc1..x",
        "AutonomousDatabase",
        "db",
        "c",
        state,
        {"governance": values},
    )


@pytest.mark.parametrize(
    ("resource", "refusal"),
    [
        (adb("dev"), None),
        (adb("staging"), None),
        (adb("prod"), "production resource (environment prod): never stopped"),
        (adb(None), "no governance.environment tag: treated as production, not stopped"),
        (adb("dev", cost_exempt="TRUE"), "exempt (governance.cost_exempt = TRUE)"),
        (adb("dev", cost_exempt="false"), None),
        (adb("dev", "STOPPING"), "already STOPPING"),
    ],
)
def test_stop_guards(resource, refusal):
    assert stop_refusal(resource, _settings()) == refusal


def test_plan_reads_the_inventory_only_for_breached_cost_centers():
    inventory = Inventory([adb("dev")])
    steps = plan(
        breaches([status(1200, 1300)], RULES),
        _settings(),
        inventory,
        month="2026-11",
        notified=set(),
    )
    assert [(s.action, s.skip) for s in steps] == [("notify", None), ("tag", None), ("stop", None)]
    assert inventory.asked == ["CC-101"]  # once, for tag and stop together
    assert plan([], _settings(), inventory, month="2026-11", notified=set()) == []


def test_a_notification_is_not_repeated_for_the_same_rule_and_month():
    found = breaches([status(1200, 1300)], RULES)
    notified = {("CC-101", "ons:guardrails-dev-alarms", "ACTUAL 100%")}
    steps = plan(found, _settings(), Inventory([]), month="2026-11", notified=notified)
    assert steps[0].skip == "already notified for ACTUAL 100% this month"


def test_audit_log_appends_json_lines_and_remembers_notifications(tmp_path):
    log = AuditLog(tmp_path / "deep" / "audit.jsonl")
    record = AuditRecord(
        "2026-11-27T09:00:00+00:00",
        "dev",
        "CC-101",
        "notify",
        "slack",
        "done",
        "posted",
        1200.0,
        1300.0,
        1000.0,
        "USD",
        "ACTUAL 100%",
        "2026-11",
    )
    log.append(asdict(record))
    log.append(
        asdict(AuditRecord("t", "dev", "CC-202", "notify", "slack", "failed", "x", month="2026-11"))
    )
    with log.path.open("a") as handle:
        handle.write("{torn\n")
    lines = log.path.read_text().splitlines()
    assert json.loads(lines[0])["spend"] == 1200.0 and len(lines) == 3
    assert notified(log, "dev", "2026-11") == {("CC-101", "slack", "ACTUAL 100%")}
    assert notified(log, "dev", "2026-10") == set() and notified(log, "prod", "2026-11") == set()


def test_spend_from_the_report_json_skips_untagged_and_checks_values():
    month, statuses = spend_from_report(
        {
            "month": "2026-11",
            "rows": [
                {
                    "provider": "oci",
                    "costCenter": "CC-101",
                    "currency": "EUR",
                    "monthToDate": 10.0,
                    "forecast": 5.0,
                    "budget": 100,
                },
                {
                    "provider": "oci",
                    "costCenter": "(untagged)",
                    "currency": "EUR",
                    "monthToDate": 3.0,
                    "forecast": 4.0,
                    "budget": None,
                },
            ],
        }
    )
    assert month == "2026-11"
    assert statuses == [SpendStatus("CC-101", 10.0, 10.0, 100.0, "EUR")]  # forecast >= actual
    with pytest.raises(GuardrailsError, match=r"costCenters\[0\]\.currency: must be an ISO 4217"):
        spend_from_report(
            [{"costCenter": "CC-101", "actual": 1, "forecast": 1, "budget": 1, "currency": "usd"}]
        )
    with pytest.raises(GuardrailsError) as missing:
        spend_from_report([{"costCenter": "CC-101", "budget": 1}])
    assert str(missing.value) == (
        "report: costCenters[0]: a cost center with a budget needs currency, actual or "
        "monthToDate, forecast or forecastMonthEnd"
    )
    with pytest.raises(GuardrailsError, match="month: must read YYYY-MM"):
        spend_from_report({"month": "11/2026", "costCenters": []})
    with pytest.raises(GuardrailsError, match=r"budget: must be > 0"):
        spend_from_report(
            [{"costCenter": "A", "actual": 1, "forecast": 1, "budget": 0, "currency": "USD"}]
        )


_ROW = {"costCenter": "CC-101", "actual": 1, "forecast": 2, "budget": 10, "currency": "USD"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"provider": "gcp"},
            "rows[0].provider: must be one of oci, aws (got 'gcp') (line 10, column 16)",
        ),
        ({"actual": "12"}, "rows[0].actual: must be a number (got '12') (line 6, column 14)"),
        ({"forecast": True}, "rows[0].forecast: must be a number (got True) (line 7, column 16)"),
        ({"actual": -0.01}, "rows[0].actual: must be >= 0 (got -0.01) (line 6, column 14)"),
        ({"budget": -1}, "rows[0].budget: must be > 0 (got -1) (line 8, column 14)"),
        ({"costCenter": ""}, "rows[0].costCenter: must not be empty (line 5, column 18)"),
        (
            {"currency": "US$"},
            "rows[0].currency: must be an ISO 4217 code (got 'US$') (line 9, column 16)",
        ),
    ],
)
def test_each_bad_value_of_a_spend_report_is_named_with_its_line(change, message):
    doc = {"month": "2026-11", "rows": [{**_ROW, **change}]}
    text = json.dumps(doc, indent=1)
    with pytest.raises(GuardrailsError) as err:
        spend_from_report(doc, "spend.json", text)
    assert str(err.value).startswith(f"spend.json: {message}"), str(err.value)


def test_a_spend_report_row_without_budget_is_checked_but_not_enforced():
    untagged = {**_ROW, "costCenter": "(untagged)", "budget": None}
    assert spend_from_report({"rows": [untagged]}) == (None, [])
    with pytest.raises(GuardrailsError, match=r"rows\[0\]\.actual: must be >= 0 \(got -3\)"):
        spend_from_report({"rows": [{**untagged, "actual": -3}]})


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("0 19 * * 1-5", None),
        ("*/15 8-18 1,15 * 0", None),
        ("0 19 * *", "must be a cron expression of 5 fields"),
        ("0 19 * 13 *", "has month '13' outside 1-12"),
        ("0 19-7 * * *", "has hour '19-7' outside 0-23"),
        ("0 */0 * * *", "has an invalid hour field '*/0'"),
        ("0 19 * * MON", "has an invalid day of week field 'MON'"),
    ],
)
def test_cron_expressions(expression, problem):
    found = cron_problem(expression)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_time_zones():
    assert time_zone_problem("Europe/Berlin") is None and time_zone_problem("UTC") is None
    assert "IANA time zone" in (time_zone_problem("CET+1") or "")


def _parse(**blocks):
    settings = load_stack_settings(load_project(ROOT), "dev")
    raw = dict(settings.config)
    for key, value in blocks.items():
        if value is None:
            raw.pop(f"guardrails:{key}", None)
        else:
            raw[f"guardrails:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return parse_stack_config(raw, set(settings.secret_keys))


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (
            {"offHours": {"costCenters": ["CC-9"]}},
            "guardrails:offHours: costCenters: 'CC-9' is not one of governance.costCenters "
            "(CC-101, CC-202, CC-303)",
        ),
        (
            {"offHours": {"stopCron": "7pm"}},
            "guardrails:offHours.stopCron: must be a cron expression of 5 fields, e.g. "
            "'0 19 * * 1-5' (got '7pm')",
        ),
        (
            {"offHours": {"timeZone": "Mars/Olympus"}},
            "guardrails:offHours.timeZone: must be an IANA time zone such as Europe/Berlin or "
            "UTC (got 'Mars/Olympus')",
        ),
        (
            {"offHours": {"compartments": ["ocid1.vcn.oc1..aaaaaaaaaaaaaaaaaaaa"]}},
            "guardrails:offHours.compartments[0]: must be an OCID of type compartment",
        ),
        (
            {"environment": "prod", "offHours": {}},
            "guardrails:offHours: off-hours schedules are for non-production stacks "
            "(environment prod)",
        ),
        (
            {"costEnforcement": {"costCenters": {"CC-101": {"actions": ["stop", "stop"]}}}},
            "guardrails:costEnforcement.costCenters.CC-101: actions must not repeat an action",
        ),
        (
            {"costEnforcement": {"costCenters": {}}},
            "guardrails:costEnforcement.costCenters: map should have at least 1 item",
        ),
        (
            {
                "costEnforcement": {
                    "costCenters": {"CC-101": {"actions": ["notify"]}},
                    "slackWebhookSecretOcid": "https://hooks.slack.com/x",
                }
            },
            "guardrails:costEnforcement.slackWebhookSecretOcid:",
        ),
        (
            {
                "costEnforcement": {
                    "costCenters": {"CC-101": {"actions": ["notify"]}},
                    "awsSnsTopicArn": "arn:aws:sns:eu-west-1:123:x",
                }
            },
            "guardrails:costEnforcement.awsSnsTopicArn: has an invalid format",
        ),
    ],
    ids=[
        "offhours cc",
        "cron",
        "time zone",
        "compartment",
        "prod",
        "repeat",
        "empty",
        "slack url in plain text",
        "sns arn",
    ],
)
def test_config_blocks_report_problems_with_their_key_path(blocks, message):
    with pytest.raises(StackConfigError) as caught:
        _parse(**blocks)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems


def test_config_blocks_parse_with_defaults():
    cfg = _parse(offHours={}, costEnforcement={"costCenters": {"CC-101": {"actions": ["tag"]}}})
    assert cfg.offHours is not None and cfg.offHours.stopCron == "0 19 * * 1-5"
    assert cfg.offHours.timeZone == "UTC" and cfg.offHours.costCenters == []
    assert cfg.costEnforcement is not None
    assert cfg.costEnforcement.productionEnvironments == ["prod"]
    assert cfg.costEnforcement.exemptTag is None
