"""The budget stack rule through the real policy pack process, and through the gate on our
stacks and on a stack file variant whose databases exceed a budget."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from guardrails.tooling.gate.pack import PACK_DIR, PolicyPackProcess
from guardrails.tooling.gate.policy_config import parse_policy_config
from policies.budget_estimate import RULE_ID
from tests.conftest import ROOT
from tests.gating import gate_program
from tests.policy_cases import ADB, AWS_BUDGET, BUDGET, CW_ALARM, adb, res

H = 730
# 2 ECPU license included, 1 TB storage (the ADB of tests/policy_cases.adb)
DB_COST = 2 * H * 0.336 + 1024 * 0.1953


def oci_budget(amount: float, cost_center: str = "CC-101", name: str = "b"):
    return res(
        BUDGET,
        {
            "targetType": "TAG",
            "targets": [f"governance.cost_center.{cost_center}"],
            "amount": amount,
        },
        name=name,
    )


def messages(config: dict, resources) -> list[tuple[str, str]]:
    with PolicyPackProcess(PACK_DIR) as pack:
        pack.configure(parse_policy_config(config))
        return [
            (d.level, d.message) for d in pack.analyze_stack(resources, {}) if d.policy == RULE_ID
        ]


@pytest.mark.subprocess
def test_over_budget_is_advisory_by_default_with_the_amounts():
    [(level, message)] = messages({}, [oci_budget(500), res(ADB, adb(), name="db")])
    assert level == "advisory"
    assert message.endswith(
        f"cost center CC-101: OCI estimate {DB_COST:,.2f} USD a month exceeds 100% of its "
        f"budget b (500.00 of 500.00 USD) by {DB_COST - 500:,.2f} USD; lower the estimate "
        "(compute count, license model, auto-scaling, off-hours schedule) or raise the budget"
    )


@pytest.mark.subprocess
def test_share_and_mandatory_enforcement_from_policy_config():
    resources = [oci_budget(1000), res(ADB, adb(), name="db")]
    assert messages({RULE_ID: {"enforcementLevel": "mandatory", "share": 70}}, resources) == []
    [(level, message)] = messages(
        {RULE_ID: {"enforcementLevel": "mandatory", "share": 60}}, resources
    )
    assert level == "mandatory"
    assert "exceeds 60% of its budget b (600.00 of 1,000.00 USD)" in message


@pytest.mark.subprocess
def test_auto_scaling_maximum_on_request():
    resources = [oci_budget(1000), res(ADB, adb(), name="db")]  # auto-scaling unset: on
    assert messages({}, resources) == []
    [(_, message)] = messages({RULE_ID: {"useAutoScalingMaximum": True}}, resources)
    maximum = 3 * 2 * H * 0.336 + 1024 * 0.1953
    assert f"OCI maximum (auto-scaling) estimate {maximum:,.2f} USD" in message


@pytest.mark.subprocess
def test_aws_budget_compares_the_cost_centers_aws_resources():
    tags = {"cost_center": "CC-202", "environment": "dev"}
    budget = res(
        AWS_BUDGET,
        {
            "limitAmount": "1",
            "costFilters": [{"name": "TagKeyValue", "values": ["user:cost_center$CC-202"]}],
            "tags": tags,
        },
        name="aws-b",
    )
    # 30 standard alarms: 10 free, 20 x 0.10 = 2.00 USD; the budget itself is one of two free
    alarms = [res(CW_ALARM, {"period": 60, "tags": tags}, name=f"a{i}") for i in range(30)]
    [(_, message)] = messages({}, [budget, *alarms])
    assert (
        "cost center CC-202: AWS estimate 2.00 USD a month exceeds 100% of its budget aws-b"
        in message
    )
    assert messages({}, [budget, *alarms[:20]]) == []  # 10 paid alarms: 1.00 USD


@pytest.mark.subprocess
def test_other_cost_centers_and_stacks_without_budgets_pass():
    assert messages({}, [oci_budget(10, "CC-999"), res(ADB, adb(), name="db")]) == []
    assert messages({}, [res(ADB, adb(), name="db")]) == []


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_our_stacks_fit_their_budgets(stack):
    result = gate_program(ROOT, stack)
    assert [f for f in result.findings if f.policy == RULE_ID] == []


@pytest.mark.subprocess
def test_a_stack_whose_databases_exceed_a_budget(tmp_path: Path):
    program = tmp_path / "program"
    (program / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", program)
    shutil.copy(ROOT / "stacks" / "__main__.py", program / "stacks")
    doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    doc["config"]["guardrails:databases"]["orders"]["computeCount"] = 16
    doc["config"].pop("guardrails:offHours")  # no off-hours savings: the database runs all month
    (program / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    config = tmp_path / "policy.json"
    config.write_text(f'{{"{RULE_ID}": "mandatory"}}')

    result = gate_program(program, "dev", policy_config=config)

    [finding] = [f for f in result.findings if f.policy == RULE_ID]
    # orders: 16 ECPU license included + 1 TB against CC-101's 2,500 USD
    orders = 16 * H * 0.336 + 1024 * 0.1953
    assert finding.level == "mandatory" and not result.passed
    assert finding.name == "budgets-cc-101"
    assert finding.message == (
        f"cost center CC-101: OCI estimate {orders:,.2f} USD a month exceeds 100% of its budget "
        f"budgets-cc-101 (2,500.00 of 2,500.00 USD) by {orders - 2500:,.2f} USD; lower the "
        "estimate (compute count, license model, auto-scaling, off-hours schedule) or raise the "
        "budget"
    )
