"""Security rules for AWS resources: Lambda layers, CloudWatch alarms, SNS topics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import ConfigField, Resource, Rule
from policies.notifications import topics_without_subscriptions

LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"
LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUDGET = "aws:budgets/budget:Budget"

# Runtimes AWS has deprecated (no new functions or updates); keep in step with the Lambda
# runtime deprecation table.
DEPRECATED_RUNTIMES = (
    "python2.7", "python3.6", "python3.7", "python3.8",
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
    "nodejs14.x", "nodejs16.x",
    "java8", "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet5.0",
    "dotnet6", "go1.x", "ruby2.5", "ruby2.7", "provided",
)  # fmt: skip


def _layer_public(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("principal") == "*" and not resource.get("organizationId"):
        yield "layer version shared with every AWS account (principal * without organizationId)"


def _layer_runtimes_declared(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("compatibleRuntimes"):
        yield "compatibleRuntimes is not declared; list the runtimes the layer was built for"


def _layer_runtimes_supported(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    deprecated = [
        r for r in resource.get("compatibleRuntimes", []) if r in config["deprecatedRuntimes"]
    ]
    if deprecated:
        yield (
            f"compatibleRuntimes lists deprecated runtimes: {', '.join(deprecated)}; "
            "build the layer for a supported runtime"
        )


def _alarm_actions(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("alarmActions"):
        yield "alarm has no alarmActions: nobody is notified; add an SNS topic ARN to alarmActions"


def _topic_kms(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("kmsMasterKeyId"):
        yield "topic is not encrypted with KMS (kmsMasterKeyId)"


def _topics_subscribed(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    return topics_without_subscriptions(
        resources, SNS_TOPIC, SNS_SUBSCRIPTION, [METRIC_ALARM, BUDGET]
    )


RULES = (
    Rule(
        id="aws-lambda-layerpermission-no-public",
        description="Layer versions are not shared with every AWS account: principal * needs an "
        "organizationId.",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({LAYER_PERMISSION}),
        check=_layer_public,
    ),
    Rule(
        id="aws-lambda-layerversion-runtimes-declared",
        description="Layer versions declare their compatible runtimes.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({LAYER_VERSION}),
        check=_layer_runtimes_declared,
    ),
    Rule(
        id="aws-lambda-layerversion-runtimes-supported",
        description="Layer versions list no deprecated Lambda runtime.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({LAYER_VERSION}),
        check=_layer_runtimes_supported,
        config={
            "deprecatedRuntimes": ConfigField(
                "array", "Runtimes treated as deprecated", list(DEPRECATED_RUNTIMES), "string"
            )
        },
    ),
    Rule(
        id="aws-cloudwatch-alarm-has-actions",
        description="CloudWatch alarms notify someone (alarmActions).",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({METRIC_ALARM}),
        check=_alarm_actions,
    ),
    Rule(
        id="aws-sns-topic-kms-encrypted",
        description="SNS topics are encrypted with KMS.",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({SNS_TOPIC}),
        check=_topic_kms,
        checkov_ids=("CKV_AWS_26",),
    ),
    Rule(
        id="aws-sns-topic-has-subscription",
        description="Every SNS topic used by an alarm or budget has a subscription.",
        severity="high",
        enforcement="mandatory",
        check_stack=_topics_subscribed,
    ),
)
