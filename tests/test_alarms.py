"""MQL builder, AlarmTopic, OciAlarm and CloudWatchAlarm."""

from __future__ import annotations

import re

import pulumi
import pytest

from components import (
    AlarmTopic,
    AlarmTopicArgs,
    CloudWatchAlarm,
    CloudWatchAlarmArgs,
    GovernanceTagging,
    MqlQuery,
    OciAlarm,
    OciAlarmArgs,
)
from components.mql import MqlError
from guardrails.runtime.validation import ComponentArgumentError
from tests.conftest import COMPARTMENT, TOPIC, ocid

TAGGING = GovernanceTagging("CC-101", "dev", "platform", cost_centers=("CC-101",))
DB = ocid("autonomousdatabase", "orders", "eu-frankfurt-1")
SNS = "arn:aws:sns:eu-central-1:123456789012:alarms"


# --- MQL --------------------------------------------------------------------------------------


def _text(run_mocked, query: MqlQuery) -> str:
    seen: list[str] = []
    run_mocked(lambda: query.render().apply(seen.append))
    return seen[0]


def test_mql_renders_metric_interval_dimensions_statistic_and_comparison(run_mocked):
    query = MqlQuery("CpuUtilization", "5m", "mean", {"resourceId": DB}, ">", 80)
    assert _text(run_mocked, query) == f'CpuUtilization[5m]{{resourceId = "{DB}"}}.mean() > 80'


def test_mql_sorts_dimensions_and_formats_thresholds(run_mocked):
    query = MqlQuery(
        "PutMessagesFault.Count", "1m", "sum", {"resourceId": "r", "region": "eu"}, ">=", 0.5
    )
    assert (
        _text(run_mocked, query)
        == 'PutMessagesFault.Count[1m]{region = "eu", resourceId = "r"}.sum() >= 0.5'
    )


def test_mql_absent_and_percentile(run_mocked):
    absent = MqlQuery("Heartbeat", "10m", absent=True)
    assert _text(run_mocked, absent) == "Heartbeat[10m].absent()"
    percentile = MqlQuery("Latency", "1h", "percentile(0.95)", {}, ">", 200)
    assert _text(run_mocked, percentile) == "Latency[1h].percentile(0.95) > 200"


def test_mql_render_waits_for_output_dimensions(run_mocked):
    seen = []

    def build():
        query = MqlQuery(
            "CpuUtilization",
            dimensions={"resourceId": pulumi.Output.from_input(DB)},
            operator=">",
            threshold=1,
        )
        return query.render().apply(seen.append)

    run_mocked(build)
    assert seen == [f'CpuUtilization[5m]{{resourceId = "{DB}"}}.mean() > 1']


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "Cpu Utilization"}, "metric must be a metric name"),
        ({"metric": ""}, "metric must be a metric name"),
        ({"interval": "5s"}, "interval must look like 1m, 5m, 1h or 1d"),
        ({"interval": "2d"}, "interval must be between 1m and 1d"),
        ({"statistic": "avg"}, "statistic must be one of mean, sum"),
        ({"dimensions": {"resourceId": 'x" || true'}}, "must be a non-empty value without quotes"),
        ({"dimensions": {"bad key": "x"}}, "invalid dimension name 'bad key'"),
        ({"operator": "=>"}, "operator must be one of >, >=, <, <=, ==, !="),
        ({"operator": None}, "operator and threshold are both required"),
        ({"absent": True}, "absent takes no operator or threshold"),
    ],
)
def test_mql_rejects_malformed_parts(kwargs, message):
    args = {"metric": "CpuUtilization", "operator": ">", "threshold": 80} | kwargs
    with pytest.raises(MqlError, match=f"MqlQuery: .*{re.escape(message)}"):
        MqlQuery(**args)


# --- AlarmTopic ---------------------------------------------------------------------------------


def _topic_args(**overrides):
    args = {
        "compartment_id": COMPARTMENT,
        "tagging": TAGGING,
        "topic_name": "dev-alarms",
        "email": ["oncall@example.com"],
    }
    return AlarmTopicArgs(**(args | overrides))


def test_topic_with_every_kind_of_subscription(run_mocked):
    def build():
        return AlarmTopic(
            "alarms",
            _topic_args(
                https=["https://hooks.example.com/oci"],
                slack=[pulumi.Output.secret("https://hooks.slack.com/services/T0/B0/x")],
                pagerduty=[
                    pulumi.Output.secret("https://events.pagerduty.com/integration/k/enqueue")
                ],
            ),
        )

    rec = run_mocked(build)
    assert rec.inputs("alarms-topic")["name"] == "dev-alarms"
    subs = {r.name: r for r in rec.of_type("oci:Ons/subscription:Subscription")}
    assert {n: s.inputs["protocol"] for n, s in subs.items()} == {
        "alarms-email-1": "EMAIL",
        "alarms-https-1": "CUSTOM_HTTPS",
        "alarms-slack-1": "SLACK",
        "alarms-pagerduty-1": "PAGERDUTY",
    }
    assert subs["alarms-email-1"].inputs["endpoint"] == "oncall@example.com"
    # token-bearing endpoints stay secret all the way to the engine
    assert subs["alarms-slack-1"].secret_inputs == ["endpoint"]
    assert subs["alarms-slack-1"].inputs["endpoint"] == "[secret]"
    for sub in subs.values():
        assert sub.inputs["topicId"] == "alarms-topic-preview-id"
        assert sub.inputs["definedTags"] == TAGGING.defined_tags()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": []}, "email/https/slack/pagerduty must not be empty"),
        ({"email": ["oncall"]}, r"email\[0\] must be an e-mail address \(got 'oncall'\)"),
        ({"https": ["http://insecure.example.com"]}, "https must be an https:// URL"),
        ({"slack": ["https://hooks.slack.com/services/T0/B0/x"]}, "slack endpoints embed a token"),
        ({"topic_name": "has space"}, "topic_name must be 1-256 letters"),
        ({"compartment_id": "compartment-1"}, "compartment_id must be"),
    ],
)
def test_topic_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match=f"AlarmTopic: {message}"):
        run_mocked(lambda: AlarmTopic("alarms", _topic_args(**overrides)))
    assert run_mocked.registered == []


# --- OciAlarm -----------------------------------------------------------------------------------


def _alarm_args(**overrides):
    args = {
        "compartment_id": COMPARTMENT,
        "metric_compartment_id": COMPARTMENT,
        "namespace": "oci_autonomous_database",
        "query": MqlQuery(
            "StorageUtilization", dimensions={"resourceId": DB}, operator=">", threshold=85
        ),
        "severity": "CRITICAL",
        "destinations": [TOPIC],
        "tagging": TAGGING,
        "display_name": "orders storage above 85%",
        "runbook_url": "https://runbooks.example.com/adb",
    }
    return OciAlarmArgs(**(args | overrides))


def test_alarm_defaults(run_mocked):
    rec = run_mocked(lambda: OciAlarm("storage", _alarm_args()))
    alarm = rec.inputs("storage-alarm")
    assert alarm["query"] == f'StorageUtilization[5m]{{resourceId = "{DB}"}}.mean() > 85'
    assert alarm["severity"] == "CRITICAL"
    assert alarm["isEnabled"] is True
    assert alarm["pendingDuration"] == "PT5M"
    assert alarm["repeatNotificationDuration"] == "PT2H"
    assert alarm["messageFormat"] == "ONS_OPTIMIZED"
    assert alarm["destinations"] == [TOPIC]
    assert alarm["body"] == "orders storage above 85%\nRunbook: https://runbooks.example.com/adb"
    assert alarm["definedTags"] == TAGGING.defined_tags()


def test_non_critical_alarm_does_not_repeat(run_mocked):
    rec = run_mocked(lambda: OciAlarm("cpu", _alarm_args(severity="WARNING")))
    assert "repeatNotificationDuration" not in rec.inputs("cpu-alarm")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"severity": "FATAL"}, "severity must be one of CRITICAL, ERROR, WARNING, INFO"),
        ({"destinations": []}, "destinations must not be empty"),
        (
            {"destinations": [TOPIC, ocid("onstopic", "other")]},
            "destinations allow at most one destination per service",
        ),
        ({"destinations": [ocid("bucket")]}, "destinations must be ocid1.onstopic"),
        ({"pending_duration": "5 minutes"}, "pending_duration must be an ISO 8601 duration"),
        ({"pending_duration": "PT2H"}, "pending_duration must be between PT1M and PT1H"),
        (
            {"message_format": "HTML"},
            "message_format must be one of RAW, PRETTY_JSON, ONS_OPTIMIZED",
        ),
        ({"runbook_url": "wiki/adb"}, "runbook_url must be an https:// URL"),
    ],
)
def test_alarm_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match=f"OciAlarm: {message}"):
        run_mocked(lambda: OciAlarm("a", _alarm_args(**overrides)))
    assert run_mocked.registered == []


# --- CloudWatch ---------------------------------------------------------------------------------


def _cw_args(**overrides):
    args = {
        "metric_name": "Errors",
        "namespace": "AWS/Lambda",
        "threshold": 1,
        "comparison_operator": "GreaterThanOrEqualToThreshold",
        "alarm_actions": [SNS],
        "tagging": TAGGING,
        "dimensions": {"FunctionName": "checkout"},
    }
    return CloudWatchAlarmArgs(**(args | overrides))


def test_cloudwatch_alarm_notifies_sns(run_mocked):
    rec = run_mocked(lambda: CloudWatchAlarm("errors", _cw_args()))
    alarm = rec.inputs("errors-alarm")
    assert alarm["alarmActions"] == [SNS] and alarm["okActions"] == [SNS]
    assert alarm["metricName"] == "Errors" and alarm["namespace"] == "AWS/Lambda"
    assert alarm["period"] == 300 and alarm["evaluationPeriods"] == 1
    assert alarm["treatMissingData"] == "notBreaching"
    assert alarm["dimensions"] == {"FunctionName": "checkout"}
    assert alarm["tags"] == {"cost_center": "CC-101", "environment": "dev", "owner": "platform"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alarm_actions": []}, "alarm_actions must not be empty"),
        (
            {"alarm_actions": ["arn:aws:sns:eu-central-1:1234:alarms"]},
            "alarm_actions must hold SNS topic ARNs",
        ),
        ({"comparison_operator": ">"}, "comparison_operator must be one of"),
        ({"statistic": "Mean"}, "statistic must be one of SampleCount"),
        ({"period": 90}, "period must be 10, 30 or a multiple of 60 seconds"),
        ({"evaluation_periods": 0}, "evaluation_periods must be >= 1"),
        ({"treat_missing_data": "zero"}, "treat_missing_data must be one of"),
    ],
)
def test_cloudwatch_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match=f"CloudWatchAlarm: {message}"):
        run_mocked(lambda: CloudWatchAlarm("a", _cw_args(**overrides)))
    assert run_mocked.registered == []
