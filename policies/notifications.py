"""Who gets told: OCI alarms enabled and with a destination, and notification topics (OCI
ONS, AWS SNS) that alarms or budgets use but nobody subscribes to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule

ALARM = "oci:Monitoring/alarm:Alarm"
TOPIC = "oci:Ons/notificationTopic:NotificationTopic"
SUBSCRIPTION = "oci:Ons/subscription:Subscription"
BUDGET_RULE = "oci:Budget/rule:Rule"


def _alarm_enabled(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("isEnabled") is not True:
        yield "alarm is disabled; set isEnabled to true"


def _alarm_destination(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("destinations"):
        yield "alarm has no destination; add a notification topic to destinations"


def referrers(resources: Sequence[Resource], types: Iterable[str]) -> dict[str, list[Resource]]:
    """For every resource URN, the resources of `types` that depend on it."""
    wanted = set(types)
    out: dict[str, list[Resource]] = {}
    for r in resources:
        if r.type in wanted:
            for dep in r.dependencies:
                out.setdefault(dep, []).append(r)
    return out


def topics_without_subscriptions(
    resources: Sequence[Resource],
    topic_type: str,
    subscription_type: str,
    user_types: Iterable[str],
) -> Iterable[tuple[str | None, str]]:
    users = referrers(resources, user_types)
    subscriptions = referrers(resources, [subscription_type])
    for topic in resources:
        if topic.type == topic_type and topic.urn in users and topic.urn not in subscriptions:
            names = ", ".join(sorted(u.name for u in users[topic.urn]))
            yield (
                topic.urn,
                f"topic {topic.name} notifies nobody: no subscription (used by {names}); "
                "subscribe an email, Slack or PagerDuty endpoint",
            )


def _topics_subscribed(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    return topics_without_subscriptions(resources, TOPIC, SUBSCRIPTION, [ALARM, BUDGET_RULE])


RULES = (
    Rule(
        id="oci-monitoring-alarm-enabled",
        description="Alarms are enabled.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ALARM}),
        check=_alarm_enabled,
    ),
    Rule(
        id="oci-monitoring-alarm-has-destination",
        description="Alarms notify at least one destination.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ALARM}),
        check=_alarm_destination,
    ),
    Rule(
        id="oci-ons-topic-has-subscription",
        description="Every notification topic used by an alarm or budget has a subscription.",
        severity="high",
        enforcement="mandatory",
        check_stack=_topics_subscribed,
    ),
)
