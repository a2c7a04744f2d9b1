"""Each limit is written once (`guardrails.runtime.limits`): a stack file and a direct
component call break it with the same words, and the component's error maps onto the stack
setting it came from (`guardrails.runtime.stack_schema.config_problem`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components import (
    AlarmTopic,
    AlertRule,
    AutonomousDatabaseFleet,
    CostCenterBudget,
    CostCenterBudgets,
    EventStreams,
    GovernanceTagging,
    GovernanceTags,
    StreamSpec,
    TagGrant,
)
from guardrails.runtime import limits
from guardrails.runtime.stack_schema import StackConfigError, config_problem, parse_stack_config
from guardrails.runtime.validation import ComponentArgumentError
from policies.tag_rules import ALLOWED_VALUES
from tests import (
    test_adb_fleet,
    test_alarms,
    test_cost_center_budgets,
    test_event_streams,
    test_governance_tags,
)
from tests.test_stack_schema import _with

DEV_COST_CENTERS = ("CC-101", "CC-202", "CC-303")
DEV_TAGGING = GovernanceTagging("CC-101", "dev", "platform", cost_centers=DEV_COST_CENTERS)


def _component(cls: Callable[..., object], name: str, make_args: Callable[..., Any]) -> Any:
    """`with_(**overrides)`: a builder of the component from its test module's arguments."""

    def with_(**overrides: Any) -> Callable[[], object]:
        return lambda: cls(name, make_args(**overrides))

    return with_


_fleet = _component(AutonomousDatabaseFleet, "adb", test_adb_fleet._args)
_streams = _component(EventStreams, "events", test_event_streams._args)
_budgets = _component(CostCenterBudgets, "budgets", test_cost_center_budgets._args)
_tags = _component(GovernanceTags, "gov", test_governance_tags._args)
_topic = _component(AlarmTopic, "alarms", test_alarms._topic_args)


def _db(**overrides: Any) -> Callable[[], object]:
    return _fleet(databases={"orders": test_adb_fleet._db(**overrides)})


# (stack config change, the same value given to a component, the shared problem line)
CASES: list[tuple[dict[str, object], Callable[[], object], str]] = [
    (
        {"environment": "qa"},
        _fleet(environment="qa"),
        "guardrails:environment: must be one of dev, staging, prod (got 'qa')",
    ),
    (
        {"databases.orders.computeCount": 1},
        _db(compute_count=1),
        "guardrails:databases.orders.computeCount: must be >= 2 (got 1)",
    ),
    (
        {"databases.orders.computeCount": 600},
        _db(compute_count=600),
        "guardrails:databases.orders.computeCount: must be <= 512 (got 600)",
    ),
    (
        {"databases.orders.storageTbs": 500},
        _db(storage_tbs=500),
        "guardrails:databases.orders.storageTbs: must be <= 384 (got 500)",
    ),
    (
        {"databases.orders.backupRetentionDays": 61},
        _db(backup_retention_days=61),
        "guardrails:databases.orders.backupRetentionDays: must be <= 60 (got 61)",
    ),
    (
        {"databases.orders.workload": "OLAP"},
        _db(workload="OLAP"),
        "guardrails:databases.orders.workload: must be one of OLTP, DW, AJD, APEX (got 'OLAP')",
    ),
    (
        {"databases.orders.licenseModel": "BYOL"},
        _db(license_model="BYOL"),
        "guardrails:databases.orders.licenseModel: must be one of LICENSE_INCLUDED, "
        "BRING_YOUR_OWN_LICENSE (got 'BYOL')",
    ),
    (
        {"databases.orders.dbName": "1orders"},
        _db(db_name="1orders"),
        "guardrails:databases.orders.dbName: must be a letter followed by at most 29 letters "
        "or digits (got '1orders')",
    ),
    (
        {"databases.orders.costCenter": "CC-999"},
        _fleet(
            tagging=DEV_TAGGING,
            databases={"orders": test_adb_fleet._db(cost_center="CC-999")},
        ),
        "guardrails:databases.orders.costCenter: must be one of CC-101, CC-202, CC-303 "
        "(got 'CC-999')",
    ),
    (
        {"databases.search.dbName": "ORDERSDEV"},
        _fleet(
            databases={
                "orders": test_adb_fleet._db(db_name="ORDERSDEV"),
                "search": test_adb_fleet._db(db_name="ordersdev", display_name="search"),
            }
        ),
        "guardrails:databases: must not repeat a db name (got 'ORDERSDEV' twice)",
    ),
    (
        {"backups.bucketName": "no spaces"},
        _fleet(backup_bucket=test_adb_fleet.BackupBucketSpec("ns", "no spaces")),
        "guardrails:backups.bucketName: must be a bucket name: 1-256 letters, digits, _ . or - "
        "(got 'no spaces')",
    ),
    (
        {"streams.streams.user-event-stream.partitions": 0},
        _streams(streams={"user-event-stream": StreamSpec(partitions=0)}),
        "guardrails:streams.streams.user-event-stream.partitions: must be >= 1 (got 0)",
    ),
    (
        {"streams.streams.user-event-stream.retentionHours": 200},
        _streams(streams={"user-event-stream": StreamSpec(retention_hours=200)}),
        "guardrails:streams.streams.user-event-stream.retentionHours: must be <= 168 (got 200)",
    ),
    (
        {"streams.streams.user-event-stream.retentionHours": 12},
        _streams(streams={"user-event-stream": StreamSpec(retention_hours=12)}),
        "guardrails:streams.streams.user-event-stream.retentionHours: must be >= 24 (got 12)",
    ),
    (
        {"streams.poolName": "no spaces"},
        _streams(pool_name="no spaces"),
        "guardrails:streams.poolName: must be 1-255 letters, digits, _ . or - (got 'no spaces')",
    ),
    (
        {"budgets.alertRules": [{"type": "ACTUAL", "threshold": 0}]},
        _budgets(alert_rules=[AlertRule("ACTUAL", 0)]),
        "guardrails:budgets.alertRules[0].threshold: must be >= 1 (got 0)",
    ),
    (
        {"budgets.alertRules": [{"type": "BOTH", "threshold": 80}]},
        _budgets(alert_rules=[AlertRule("BOTH", 80)]),
        "guardrails:budgets.alertRules[0].type: must be one of ACTUAL, FORECAST (got 'BOTH')",
    ),
    (
        {"budgets.tenancyMonthly": 0},
        _budgets(tenancy_monthly_amount=0),
        "guardrails:budgets.tenancyMonthly: must be >= 1 (got 0)",
    ),
    (
        {"budgets.costCenters.CC-101.monthly": 0},
        _budgets(budgets=[CostCenterBudget("CC-101", 0, ["finops@example.com"])]),
        "guardrails:budgets.costCenters.CC-101.monthly: must be >= 1 (got 0)",
    ),
    (
        {"budgets.costCenters.CC-404": {"monthly": 5, "recipients": ["a@example.com"]}},
        _budgets(budgets=[CostCenterBudget("CC-404", 5, ["a@example.com"])]),
        "guardrails:budgets.costCenters.CC-404: must be one of CC-101, CC-202, CC-303 "
        "(got 'CC-404')",
    ),
    (
        {"budgets.tenancyRecipients": ["finops"]},
        _budgets(tenancy_recipients=["finops"]),
        "guardrails:budgets.tenancyRecipients[0]: must be an e-mail address (got 'finops')",
    ),
    (
        {"governance.grants.0.verb": "own"},
        _tags(grants=[TagGrant("payments-engineers", "own", "all-resources", "CC-101")]),
        "guardrails:governance.grants[0].verb: must be one of inspect, read, use, manage "
        "(got 'own')",
    ),
    (
        {"governance.grants.0.resources": "All Resources"},
        _tags(grants=[TagGrant("payments-engineers", "use", "All Resources", "CC-101")]),
        "guardrails:governance.grants[0].resources: must be a resource type or family such as "
        "database-family (got 'All Resources')",
    ),
    (
        {"governance.namespace": "1bad"},
        _tags(namespace="1bad"),
        "guardrails:governance.namespace: must be a tag namespace name: a letter, then up to 99 "
        "letters, digits, _ or - (got '1bad')",
    ),
    (
        {"governance.defaultCostCenter": "CC-999"},
        lambda: GovernanceTagging("CC-999", "dev", "platform", cost_centers=DEV_COST_CENTERS),
        "guardrails:governance.defaultCostCenter: must be one of CC-101, CC-202, CC-303 "
        "(got 'CC-999')",
    ),
    (
        {"alarms.topicName": "has space"},
        _topic(topic_name="has space"),
        "guardrails:alarms.topicName: must be 1-256 letters, digits, - or _ (got 'has space')",
    ),
]


@pytest.mark.parametrize(
    ("change", "build", "line"), CASES, ids=[c[2].split(":")[1] for c in CASES]
)
def test_a_stack_file_and_a_component_break_a_limit_in_the_same_words(
    run_mocked, change, build, line
):
    with pytest.raises(StackConfigError) as schema:
        parse_stack_config(*_with(change))
    assert line in schema.value.problems, schema.value.problems

    with pytest.raises(ComponentArgumentError) as component:
        run_mocked(build)
    assert config_problem(component.value) == line
    assert component.value.problem == line.split(": ", 1)[1]
    assert run_mocked.registered == []


def test_a_component_error_without_a_stack_setting_keeps_its_own_words():
    error = ComponentArgumentError("OciAlarm", "severity", "must be one of CRITICAL (got 'X')")
    assert config_problem(error) == "OciAlarm: severity must be one of CRITICAL (got 'X')"


def test_the_catalog_allows_the_same_environments():
    # The catalog may import only policies.* (it runs in checkov's environment), so its
    # default is a copy; this keeps the copy equal to the one list.
    assert ALLOWED_VALUES["environment"] == list(limits.ENVIRONMENTS)
