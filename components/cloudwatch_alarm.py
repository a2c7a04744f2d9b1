"""`CloudWatchAlarm`: an `aws.cloudwatch.MetricAlarm` that always notifies an SNS topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import GovernanceTagging, merge_aws_tags
from guardrails.runtime.validation import (
    SNS_TOPIC_ARN,
    ComponentArgumentError,
    check_not_empty,
    check_one_of,
    check_range,
    matches,
)

CW_COMPARISONS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)


CW_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")


CW_MISSING_DATA = ("missing", "ignore", "breaching", "notBreaching")


@dataclass
class CloudWatchAlarmArgs:
    metric_name: str
    namespace: str
    threshold: float
    comparison_operator: str
    alarm_actions: Sequence[pulumi.Input[str]]
    """SNS topic ARNs notified on ALARM (and on OK, unless `notify_ok` is false)."""
    tagging: GovernanceTagging
    statistic: str = "Sum"
    period: int = 300
    evaluation_periods: int = 1
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    treat_missing_data: str = "notBreaching"
    description: str = ""
    notify_ok: bool = True


class CloudWatchAlarm(pulumi.ComponentResource):
    """An `aws.cloudwatch.MetricAlarm` that always notifies an SNS topic."""

    alarm: aws.cloudwatch.MetricAlarm
    alarm_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CloudWatchAlarmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        component = "CloudWatchAlarm"
        check_one_of(component, "comparison_operator", args.comparison_operator, CW_COMPARISONS)
        check_one_of(component, "statistic", args.statistic, CW_STATISTICS)
        check_one_of(component, "treat_missing_data", args.treat_missing_data, CW_MISSING_DATA)
        check_range(component, "threshold", args.threshold)
        check_range(component, "evaluation_periods", args.evaluation_periods, 1, 100, whole=True)
        if args.period not in (10, 30) and (args.period < 60 or args.period % 60):
            raise ComponentArgumentError(
                component,
                "period",
                f"must be 10, 30 or a multiple of 60 seconds (got {args.period})",
            )
        check_not_empty(component, "alarm_actions", args.alarm_actions)
        for arn in args.alarm_actions:
            if isinstance(arn, str) and not matches(SNS_TOPIC_ARN, arn):
                raise ComponentArgumentError(
                    component, "alarm_actions", f"must hold SNS topic ARNs (got {arn!r})"
                )
        super().__init__("guardrails:aws:CloudWatchAlarm", name, None, opts)
        actions = list(args.alarm_actions)
        self.alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-alarm",
            alarm_description=args.description or f"{args.namespace} {args.metric_name}",
            metric_name=args.metric_name,
            namespace=args.namespace,
            statistic=args.statistic,
            period=args.period,
            evaluation_periods=args.evaluation_periods,
            threshold=args.threshold,
            comparison_operator=args.comparison_operator,
            dimensions=dict(args.dimensions),
            treat_missing_data=args.treat_missing_data,
            alarm_actions=actions,
            ok_actions=actions if args.notify_ok else None,
            tags=merge_aws_tags(args.tagging),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarm_arn = self.alarm.arn
        self.register_outputs({"alarm_arn": self.alarm_arn})
