"""`AlarmTopic`: an ONS notification topic and its subscriptions (e-mail, HTTPS, Slack,
PagerDuty), where alarms notify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_oci as oci

from components.tagging import GovernanceTagging, merge_defined_tags
from guardrails.runtime.limits import TOPIC_NAME
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_emails,
    check_https_url,
    check_limit,
    check_not_empty,
    check_ocid,
)

ONS_PROTOCOLS = {
    "email": "EMAIL",
    "https": "CUSTOM_HTTPS",
    "slack": "SLACK",
    "pagerduty": "PAGERDUTY",
}


@dataclass
class AlarmTopicArgs:
    compartment_id: str
    tagging: GovernanceTagging
    topic_name: str
    description: str = "Alarm notifications"
    email: Sequence[str] = field(default_factory=list)
    https: Sequence[str] = field(default_factory=list)
    slack: Sequence[pulumi.Input[str]] = field(default_factory=list)
    """Slack webhook URLs; they embed a token, so pass secrets (`config.require_secret`)."""
    pagerduty: Sequence[pulumi.Input[str]] = field(default_factory=list)
    """PagerDuty integration URLs; they embed the integration key, so pass secrets."""


class AlarmTopic(pulumi.ComponentResource):
    """An ONS notification topic and its subscriptions (e-mail, HTTPS, Slack, PagerDuty)."""

    topic: oci.ons.NotificationTopic
    subscriptions: list[oci.ons.Subscription]
    topic_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        component = "AlarmTopic"
        check_ocid(component, "compartment_id", args.compartment_id, "compartment", "tenancy")
        check_limit(component, "topic_name", args.topic_name, TOPIC_NAME)
        check_emails(component, "email", args.email)
        for url in args.https:
            check_https_url(component, "https", url)
        for kind in ("slack", "pagerduty"):
            for url in getattr(args, kind):
                if isinstance(url, str):
                    raise ComponentArgumentError(
                        component,
                        kind,
                        "endpoints embed a token: pass them as secrets, not plain strings",
                    )
        endpoints: list[tuple[str, pulumi.Input[str]]] = [
            (kind, endpoint) for kind in ONS_PROTOCOLS for endpoint in getattr(args, kind)
        ]
        check_not_empty(component, "email/https/slack/pagerduty", endpoints)
        super().__init__("guardrails:oci:AlarmTopic", name, None, opts)
        tags = merge_defined_tags(args.tagging.defined_tags())
        child = pulumi.ResourceOptions(parent=self)
        self.topic = oci.ons.NotificationTopic(
            f"{name}-topic",
            compartment_id=args.compartment_id,
            name=args.topic_name,
            description=args.description,
            defined_tags=tags,
            opts=child,
        )
        self.subscriptions = []
        counters: dict[str, int] = {}
        for kind, endpoint in endpoints:
            counters[kind] = counters.get(kind, 0) + 1
            self.subscriptions.append(
                oci.ons.Subscription(
                    f"{name}-{kind}-{counters[kind]}",
                    compartment_id=args.compartment_id,
                    topic_id=self.topic.id,
                    protocol=ONS_PROTOCOLS[kind],
                    endpoint=endpoint,
                    defined_tags=tags,
                    opts=child,
                )
            )
        self.topic_id = self.topic.id
        self.register_outputs({"topic_id": self.topic_id})
