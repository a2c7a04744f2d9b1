"""Alarms and where they notify: `AlarmTopic`, the MQL query builder, `OciAlarm` and
`CloudWatchAlarm`.

OCI Monitoring alarms are written in MQL, for example
`CpuUtilization[5m]{resourceId = "ocid1..."}.mean() > 80`. Building the text from parts (and
refusing malformed parts) avoids alarms that OCI accepts but that never fire, such as a
dimension value with a stray quote or an interval the service does not support.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_oci as oci

from components.tagging import GovernanceTagging, merge_aws_tags, merge_defined_tags
from guardrails.runtime.validation import (
    SNS_TOPIC_ARN,
    TOPIC_NAME,
    ComponentArgumentError,
    check_emails,
    check_https_url,
    check_not_empty,
    check_ocid,
    check_one_of,
    check_range,
    matches,
    ocid_kind,
)

# --- MQL ------------------------------------------------------------------------------------

_METRIC = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_DIMENSION_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_INTERVAL = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<unit>[mhd])$")
_INTERVAL_MINUTES = {"m": 1, "h": 60, "d": 1440}
STATISTICS = ("mean", "sum", "max", "min", "count", "rate", "last")
OPERATORS = (">", ">=", "<", "<=", "==", "!=")
_PERCENTILE = re.compile(r"^percentile\((0?\.[0-9]+)\)$")


class MqlError(ComponentArgumentError):
    def __init__(self, argument: str, problem: str) -> None:
        super().__init__("MqlQuery", argument, problem)


def _check_dimension_value(key: str, value: str) -> None:
    if not value or any(c in value for c in '"\\\n'):
        raise MqlError(
            f"dimensions[{key!r}]", f"must be a non-empty value without quotes (got {value!r})"
        )


@dataclass(frozen=True)
class MqlQuery:
    """One MQL alarm query: `metric[interval]{dimensions}.statistic() op threshold`.

    With `absent=True` the query is `metric[interval]{dimensions}.absent()` and fires when the
    metric stops arriving. Dimension values may be Outputs (a resource's id).
    """

    metric: str
    interval: str = "5m"
    statistic: str = "mean"
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    operator: str | None = None
    threshold: float | None = None
    absent: bool = False

    def __post_init__(self) -> None:
        if not _METRIC.match(self.metric):
            raise MqlError(
                "metric", f"must be a metric name such as CpuUtilization (got {self.metric!r})"
            )
        match = _INTERVAL.match(self.interval)
        if not match:
            raise MqlError("interval", f"must look like 1m, 5m, 1h or 1d (got {self.interval!r})")
        minutes = int(match["n"]) * _INTERVAL_MINUTES[match["unit"]]
        if not 1 <= minutes <= 1440:
            raise MqlError("interval", f"must be between 1m and 1d (got {self.interval!r})")
        for key, value in self.dimensions.items():
            if not _DIMENSION_KEY.match(key):
                raise MqlError("dimensions", f"has an invalid dimension name {key!r}")
            if isinstance(value, str):
                _check_dimension_value(key, value)
        if self.absent:
            if self.operator is not None or self.threshold is not None:
                raise MqlError("absent", "takes no operator or threshold")
            return
        if self.statistic not in STATISTICS and not _PERCENTILE.match(self.statistic):
            raise MqlError(
                "statistic",
                f"must be one of {', '.join(STATISTICS)} or percentile(0.9) "
                f"(got {self.statistic!r})",
            )
        if self.operator is None or self.threshold is None:
            raise MqlError("operator", "and threshold are both required unless absent=True")
        if self.operator not in OPERATORS:
            raise MqlError(
                "operator", f"must be one of {', '.join(OPERATORS)} (got {self.operator!r})"
            )
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int | float):
            raise MqlError("threshold", f"must be a number (got {self.threshold!r})")

    def _text(self, dimensions: Mapping[str, str]) -> str:
        dims = ""
        if dimensions:
            parts = []
            for key in sorted(dimensions):
                _check_dimension_value(key, dimensions[key])
                parts.append(f'{key} = "{dimensions[key]}"')
            dims = "{" + ", ".join(parts) + "}"
        head = f"{self.metric}[{self.interval}]{dims}"
        if self.absent:
            return f"{head}.absent()"
        statistic = self.statistic if "(" in self.statistic else f"{self.statistic}()"
        return f"{head}.{statistic} {self.operator} {self.threshold:g}"

    def render(self) -> pulumi.Output[str]:
        """The query text; an Output because dimension values may be Outputs."""
        return pulumi.Output.all(**dict(self.dimensions)).apply(self._text)

    def render_plain(self) -> str:
        """The query text when every dimension value is a plain string."""
        plain = {k: v for k, v in self.dimensions.items() if isinstance(v, str)}
        if len(plain) != len(self.dimensions):
            raise MqlError("dimensions", "hold Outputs; use render()")
        return self._text(plain)


# --- notification topics --------------------------------------------------------------------

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
        if not matches(TOPIC_NAME, args.topic_name):
            raise ComponentArgumentError(
                component,
                "topic_name",
                f"must be 1-256 letters, digits, - or _ (got {args.topic_name!r})",
            )
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
        self.register_outputs({"topic_id": self.topic.id})


# --- OCI alarms -----------------------------------------------------------------------------

SEVERITIES = ("CRITICAL", "ERROR", "WARNING", "INFO")
MESSAGE_FORMATS = ("RAW", "PRETTY_JSON", "ONS_OPTIMIZED")
_ISO_DURATION = re.compile(r"^PT(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?$")


def _duration_minutes(argument: str, value: str) -> int:
    match = _ISO_DURATION.match(value)
    if not match or not (match["h"] or match["m"]):
        raise ComponentArgumentError(
            "OciAlarm", argument, f"must be an ISO 8601 duration such as PT5M (got {value!r})"
        )
    return int(match["h"] or 0) * 60 + int(match["m"] or 0)


@dataclass
class OciAlarmArgs:
    compartment_id: str
    metric_compartment_id: pulumi.Input[str]
    namespace: str
    """Metric namespace, e.g. oci_autonomous_database."""
    query: MqlQuery
    severity: str
    destinations: Sequence[pulumi.Input[str]]
    """At most one destination per service: one ONS topic (and/or one stream)."""
    tagging: GovernanceTagging
    display_name: str
    summary: str = ""
    runbook_url: str | None = None
    pending_duration: str = "PT5M"
    repeat_notification_duration: str | None = None
    """Defaults to PT2H for CRITICAL alarms, none otherwise."""
    message_format: str = "ONS_OPTIMIZED"
    enabled: bool = True


class OciAlarm(pulumi.ComponentResource):
    """An OCI Monitoring alarm with sane defaults and a body that links the runbook."""

    alarm: oci.monitoring.Alarm

    def __init__(
        self, name: str, args: OciAlarmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        component = "OciAlarm"
        check_ocid(component, "compartment_id", args.compartment_id, "compartment", "tenancy")
        check_one_of(component, "severity", args.severity, SEVERITIES)
        check_one_of(component, "message_format", args.message_format, MESSAGE_FORMATS)
        check_not_empty(component, "destinations", args.destinations)
        kinds = [ocid_kind(d) for d in args.destinations if isinstance(d, str)]
        for value in args.destinations:
            check_ocid(component, "destinations", value, "onstopic", "stream")
        if len(set(kinds)) != len(kinds) or len(args.destinations) > 2:
            raise ComponentArgumentError(
                component, "destinations", "allow at most one destination per service"
            )
        pending = _duration_minutes("pending_duration", args.pending_duration)
        if not 1 <= pending <= 60:
            raise ComponentArgumentError(
                component,
                "pending_duration",
                f"must be between PT1M and PT1H (got {args.pending_duration!r})",
            )
        repeat = args.repeat_notification_duration
        if repeat is None and args.severity == "CRITICAL":
            repeat = "PT2H"
        if repeat is not None:
            minutes = _duration_minutes("repeat_notification_duration", repeat)
            if not 1 <= minutes <= 30 * 24 * 60:
                raise ComponentArgumentError(
                    component,
                    "repeat_notification_duration",
                    f"must be between PT1M and 30 days (got {repeat!r})",
                )
        if args.runbook_url is not None:
            check_https_url(component, "runbook_url", args.runbook_url)
        super().__init__("guardrails:oci:OciAlarm", name, None, opts)
        body_lines = [args.summary or args.display_name]
        if args.runbook_url:
            body_lines.append(f"Runbook: {args.runbook_url}")
        self.alarm = oci.monitoring.Alarm(
            f"{name}-alarm",
            compartment_id=args.compartment_id,
            metric_compartment_id=args.metric_compartment_id,
            namespace=args.namespace,
            query=args.query.render(),
            severity=args.severity,
            display_name=args.display_name,
            alarm_summary=args.summary or args.display_name,
            body="\n".join(body_lines),
            destinations=list(args.destinations),
            is_enabled=args.enabled,
            pending_duration=args.pending_duration,
            repeat_notification_duration=repeat,
            message_format=args.message_format,
            defined_tags=merge_defined_tags(args.tagging.defined_tags()),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"alarm_id": self.alarm.id})


@dataclass(frozen=True)
class ResourceCheck:
    """One alarm on a metric of a single resource, e.g. CPU above 80 % for a database."""

    role: str
    metric: str
    threshold: float
    severity: str
    what: str
    statistic: str = "mean"
    interval: str = "5m"
    operator: str = ">"


def resource_alarms(
    prefix: str,
    checks: Sequence[ResourceCheck],
    *,
    resource_id: pulumi.Input[str],
    label: str,
    namespace: str,
    compartment_id: str,
    destination: pulumi.Input[str],
    tagging: GovernanceTagging,
    runbook_url: str | None,
    parent: pulumi.Resource,
) -> list[OciAlarm]:
    """One `OciAlarm` per check, named `f"{prefix}-{role}"`, on the resource's `resourceId`."""
    return [
        OciAlarm(
            f"{prefix}-{check.role}",
            OciAlarmArgs(
                compartment_id=compartment_id,
                metric_compartment_id=compartment_id,
                namespace=namespace,
                query=MqlQuery(
                    metric=check.metric,
                    interval=check.interval,
                    statistic=check.statistic,
                    dimensions={"resourceId": resource_id},
                    operator=check.operator,
                    threshold=check.threshold,
                ),
                severity=check.severity,
                destinations=[destination],
                tagging=tagging,
                display_name=f"{label} {check.what}",
                summary=f"{label}: {check.what}",
                runbook_url=runbook_url,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for check in checks
    ]


# --- AWS CloudWatch -------------------------------------------------------------------------

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
        self.register_outputs({"alarm_arn": self.alarm.arn})
