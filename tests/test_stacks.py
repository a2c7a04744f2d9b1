"""The three stacks, rendered by the real preview runner (a fresh process per run)."""

from __future__ import annotations

import json

import pytest

from guardrails.tooling.program.preview import capture_program
from guardrails.tooling.program.provider_types import accepts_input
from guardrails.tooling.program.record import UNKNOWN, Capture
from tests.conftest import ROOT, STACKS

COMMON = {
    "pulumi:providers:oci": 1,
    "guardrails:oci:GovernanceTags": 1,
    "oci:Identity/tagNamespace:TagNamespace": 1,
    "oci:Identity/tag:Tag": 5,  # + cost_alerted, cost_exempt (costEnforcement)
    "oci:Identity/tagDefault:TagDefault": 4,
    "oci:Identity/policy:Policy": 1,
    "guardrails:oci:AlarmTopic": 1,
    "oci:Ons/notificationTopic:NotificationTopic": 1,
    "guardrails:oci:CostCenterBudgets": 1,
    "oci:Budget/budget:Budget": 4,
    "guardrails:oci:AutonomousDatabaseFleet": 1,
    "oci:ObjectStorage/bucket:Bucket": 1,
    "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy": 1,
    "guardrails:oci:EventStreams": 1,
    "oci:Streaming/streamPool:StreamPool": 1,
}
OFF_HOURS = {  # one OffHoursSchedule per cost center: stop, start, policy
    "guardrails:oci:OffHoursSchedule": 3,
    "oci:ResourceScheduler/schedule:Schedule": 6,
    "oci:Identity/policy:Policy": 4,
}
EXPECTED = {
    "dev": COMMON
    | {
        "oci:Ons/subscription:Subscription": 1,
        "oci:Budget/rule:Rule": 12,
        "oci:Database/autonomousDatabase:AutonomousDatabase": 2,
        "guardrails:oci:OciAlarm": 6,
        "oci:Monitoring/alarm:Alarm": 6,
        "oci:Streaming/stream:Stream": 1,
    }
    | OFF_HOURS,
    "staging": COMMON
    | {
        "oci:Ons/subscription:Subscription": 1,
        "oci:Budget/rule:Rule": 12,
        "oci:Core/networkSecurityGroup:NetworkSecurityGroup": 1,
        "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule": 1,
        "oci:Database/autonomousDatabase:AutonomousDatabase": 2,
        "guardrails:oci:OciAlarm": 6,
        "oci:Monitoring/alarm:Alarm": 6,
        "oci:Streaming/stream:Stream": 1,
    }
    | OFF_HOURS,
    "prod": COMMON
    | {
        "oci:Ons/subscription:Subscription": 3,
        "oci:Budget/rule:Rule": 16,
        "oci:Core/networkSecurityGroup:NetworkSecurityGroup": 1,
        "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule": 2,
        "oci:Database/autonomousDatabase:AutonomousDatabase": 3,
        "guardrails:oci:OciAlarm": 10,
        "oci:Monitoring/alarm:Alarm": 10,
        "oci:Streaming/stream:Stream": 2,
        "pulumi:providers:aws": 1,
        "aws:budgets/budget:Budget": 2,
        "aws:sns/topic:Topic": 1,
        "aws:sns/topicPolicy:TopicPolicy": 1,
        "aws:sns/topicSubscription:TopicSubscription": 3,
    },
}

_CACHE: dict[str, Capture] = {}


def render(stack: str) -> Capture:
    if stack not in _CACHE:
        _CACHE[stack] = capture_program(ROOT, stack)
    return _CACHE[stack]


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", STACKS)
def test_stack_renders_with_expected_resource_counts(stack):
    capture = render(stack)
    assert capture.project == "guardrails" and capture.stack == stack
    assert capture.counts_by_type() == dict(
        sorted(EXPECTED[stack].items(), key=lambda kv: (-kv[1], kv[0]))
    )


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_resource_carries_the_governance_tags(stack):
    capture = render(stack)
    checked = 0
    for resource in capture.resources:
        if resource.type.startswith("oci:") and accepts_input(resource.type, "definedTags"):
            if resource.type in ("oci:Identity/tagNamespace:TagNamespace", "oci:Identity/tag:Tag"):
                continue  # cannot carry tags that do not exist yet
            tags = resource.inputs.get("definedTags", {})
            assert tags.get("governance.environment") == stack, resource.urn
            assert tags.get("governance.cost_center") in ("CC-101", "CC-202", "CC-303"), (
                resource.urn
            )
            checked += 1
        if resource.type.startswith("aws:") and accepts_input(resource.type, "tags"):
            assert resource.inputs["tags"]["cost_center"], resource.urn
    assert checked > 20


@pytest.mark.subprocess
def test_production_databases_are_protected_and_others_are_not():
    for stack, protected in (("dev", False), ("staging", False), ("prod", True)):
        dbs = [r for r in render(stack).resources if r.type.endswith(":AutonomousDatabase")]
        assert dbs and all(r.protect is protected for r in dbs), stack


@pytest.mark.subprocess
def test_resources_use_the_explicit_provider_that_ignores_oracle_tags():
    capture = render("dev")
    provider = next(r for r in capture.resources if r.type == "pulumi:providers:oci")
    # provider inputs reach the engine JSON-encoded, as under the CLI
    assert json.loads(provider.inputs["ignoreDefinedTags"]) == [
        "Oracle-Tags.CreatedBy",
        "Oracle-Tags.CreatedOn",
    ]
    custom = [r for r in capture.resources if r.custom and r.type.startswith("oci:")]
    assert custom and all(r.provider and r.provider.startswith(provider.urn) for r in custom)


@pytest.mark.subprocess
def test_dev_uses_the_user_event_stream_with_four_partitions():
    stream = next(r for r in render("dev").resources if r.type == "oci:Streaming/stream:Stream")
    assert stream.inputs["name"] == "user-event-stream" and stream.inputs["partitions"] == 4


@pytest.mark.subprocess
def test_outputs_carry_ids_and_no_secrets():
    capture = render("prod")
    outputs = capture.outputs
    assert set(outputs) >= {
        "alarmTopicId",
        "budgetIds",
        "tenancyBudgetId",
        "databases",
        "streams",
        "tagNamespaceId",
    }
    assert set(outputs["budgetIds"]) == {"CC-101", "CC-202", "CC-303"}
    # ids and connection details are provider outputs: unknown offline, as in a preview;
    # dbName is the program's own input, known
    assert outputs["databases"]["orders"] == {
        "id": UNKNOWN,
        "dbName": "ORDERS",
        "privateEndpoint": UNKNOWN,
        "connectionUrls": UNKNOWN,
    }


@pytest.mark.subprocess
def test_no_secret_reaches_the_capture():
    for stack in ("dev", "prod"):
        text = json.dumps(render(stack).to_json())
        assert "offline-preview-secret" not in text
        assert "AAAB" not in text  # ciphertexts never leave the stack file
    subscriptions = [
        r for r in render("prod").resources if r.type == "oci:Ons/subscription:Subscription"
    ]
    assert sorted(r.inputs["protocol"] for r in subscriptions) == ["EMAIL", "PAGERDUTY", "SLACK"]
    assert all(
        r.secret_inputs == ["endpoint"] for r in subscriptions if r.inputs["protocol"] != "EMAIL"
    )
    db = next(r for r in render("dev").resources if r.type.endswith(":AutonomousDatabase"))
    assert db.secret_inputs == ["adminPassword"] and db.inputs["adminPassword"] == "[secret]"


@pytest.mark.subprocess
def test_rendering_twice_gives_identical_inputs():
    first = render("staging")
    second = capture_program(ROOT, "staging")
    assert [(r.urn, r.inputs, r.parent, r.protect) for r in first.resources] == [
        (r.urn, r.inputs, r.parent, r.protect) for r in second.resources
    ]
    assert first.outputs == second.outputs


@pytest.mark.subprocess
def test_source_locations_point_at_the_declaring_line():
    capture = render("dev")
    fleet = next(r for r in capture.resources if r.type == "guardrails:oci:AutonomousDatabaseFleet")
    assert fleet.source is not None and fleet.source.file == "stacks/__main__.py"
    line = (ROOT / "stacks/__main__.py").read_text().splitlines()[fleet.source.line - 1]
    assert "AutonomousDatabaseFleet(" in line
    db = next(r for r in capture.resources if r.type.endswith(":AutonomousDatabase"))
    assert db.source is not None and db.source.file == "components/adb_fleet.py"
