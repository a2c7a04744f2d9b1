"""CostCenterBudgets under Pulumi mocks."""

from __future__ import annotations

import json

import pytest

from components import (
    AlertRule,
    CostCenterBudget,
    CostCenterBudgets,
    CostCenterBudgetsArgs,
    GovernanceTagging,
)
from guardrails.runtime.validation import ComponentArgumentError
from tests.conftest import TENANCY, ocid

TAGGING = GovernanceTagging("CC-101", "prod", "finops", cost_centers=("CC-101", "CC-202", "CC-303"))


def _args(**overrides):
    args = {
        "tenancy_id": TENANCY,
        "tagging": TAGGING,
        "budgets": [
            CostCenterBudget("CC-101", 5000, ["finops@example.com", "pay@example.com"]),
            CostCenterBudget("CC-202", 2000, ["search@example.com"], aws_monthly_amount=1500),
        ],
        "tenancy_monthly_amount": 20000,
        "tenancy_recipients": ["finops@example.com"],
    }
    return CostCenterBudgetsArgs(**(args | overrides))


def test_one_tag_budget_per_cost_center_in_the_tenancy_root(run_mocked):
    rec = run_mocked(lambda: CostCenterBudgets("b", _args()))
    budget = rec.inputs("b-cc-101")
    assert budget["compartmentId"] == TENANCY
    assert budget["targetType"] == "TAG"
    assert budget["targets"] == ["governance.cost_center.CC-101"]
    assert budget["resetPeriod"] == "MONTHLY"
    assert budget["amount"] == 5000
    assert budget["definedTags"]["governance.cost_center"] == "CC-101"
    assert rec.inputs("b-cc-202")["definedTags"]["governance.cost_center"] == "CC-202"


def test_default_alert_rules_with_comma_separated_recipients(run_mocked):
    rec = run_mocked(lambda: CostCenterBudgets("b", _args()))
    rules = {
        r.name: r.inputs
        for r in rec.of_type("oci:Budget/rule:Rule")
        if r.name.startswith("b-cc-101-")
    }
    assert {(r["type"], r["threshold"]) for r in rules.values()} == {
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("FORECAST", 100.0),
    }
    for rule in rules.values():
        assert rule["thresholdType"] == "PERCENTAGE"
        assert rule["recipients"] == "finops@example.com,pay@example.com"
        assert rule["budgetId"] == "b-cc-101-preview-id"


def test_tenancy_budget_always_has_a_forecast_rule(run_mocked):
    rec = run_mocked(lambda: CostCenterBudgets("b", _args(alert_rules=[AlertRule("ACTUAL", 90)])))
    tenancy = rec.inputs("b-tenancy")
    assert tenancy["targetType"] == "COMPARTMENT" and tenancy["targets"] == [TENANCY]
    tenancy_rules = [
        r.inputs for r in rec.of_type("oci:Budget/rule:Rule") if r.name.startswith("b-tenancy-")
    ]
    assert {(r["type"], r["threshold"]) for r in tenancy_rules} == {
        ("ACTUAL", 90.0),
        ("FORECAST", 100.0),
    }
    cc_rules = [r for r in rec.of_type("oci:Budget/rule:Rule") if r.name.startswith("b-cc-101-")]
    assert len(cc_rules) == 1


def test_aws_budget_filters_on_the_cost_allocation_tag(run_mocked):
    rec = run_mocked(lambda: CostCenterBudgets("b", _args()))
    budgets = rec.of_type("aws:budgets/budget:Budget")
    assert [b.name for b in budgets] == ["b-aws-cc-202"]
    budget = budgets[0].inputs
    assert budget["costFilters"] == [{"name": "TagKeyValue", "values": ["user:cost_center$CC-202"]}]
    assert budget["limitAmount"] == "1500" and budget["timeUnit"] == "MONTHLY"
    kinds = {(n["notificationType"], n["threshold"]) for n in budget["notifications"]}
    assert kinds == {("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0)}
    topic = rec.inputs("b-aws-topic")
    assert topic["kmsMasterKeyId"] == "alias/aws/sns"
    assert topic["tags"]["cost_center"] == "CC-101"
    policy = json.loads(rec.inputs("b-aws-topic-policy")["policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "budgets.amazonaws.com"}
    subs = rec.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert [s.inputs["endpoint"] for s in subs] == ["search@example.com"]


def test_no_aws_resources_without_aws_amounts(run_mocked):
    rec = run_mocked(
        lambda: CostCenterBudgets(
            "b", _args(budgets=[CostCenterBudget("CC-101", 10, ["a@example.com"])])
        )
    )
    assert not [r for r in rec.resources if r.type.startswith("aws:")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tenancy_id": ocid("compartment")}, "tenancy_id must be ocid1.tenancy"),
        ({"budgets": []}, "budgets must not be empty"),
        (
            {"budgets": [CostCenterBudget("CC-101", 99.5, ["a@example.com"])]},
            r"budgets\[CC-101\].monthly_amount must be a whole number",
        ),
        (
            {"budgets": [CostCenterBudget("CC-101", 0, ["a@example.com"])]},
            r"monthly_amount must be >= 1 \(got 0\)",
        ),
        (
            {"budgets": [CostCenterBudget("CC-404", 10, ["a@example.com"])]},
            "cost_center must be one of CC-101, CC-202, CC-303",
        ),
        ({"budgets": [CostCenterBudget("CC-101", 10, [])]}, "recipients must not be empty"),
        (
            {"budgets": [CostCenterBudget("CC-101", 10, ["not-an-address"])]},
            r"recipients\[0\] must be an e-mail address",
        ),
        ({"budgets": [CostCenterBudget("CC-101", 10, ["a@example.com"])] * 2}, "is defined twice"),
        (
            {"alert_rules": [AlertRule("SPEND", 80)]},
            r"alert_rules\[0\].type must be one of ACTUAL, FORECAST",
        ),
        ({"alert_rules": [AlertRule("ACTUAL", 0)]}, r"alert_rules\[0\].threshold must be >= 1"),
        (
            {"alert_rules": [AlertRule("ACTUAL", 80), AlertRule("ACTUAL", 80)]},
            "repeats another rule",
        ),
        ({"tenancy_monthly_amount": 0}, "tenancy_monthly_amount must be >= 1"),
        ({"aws_currency": "dollars"}, "aws_currency must be an ISO 4217 code"),
    ],
)
def test_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match=f"CostCenterBudgets: .*{message}"):
        run_mocked(lambda: CostCenterBudgets("b", _args(**overrides)))
    assert run_mocked.registered == []
