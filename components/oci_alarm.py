"""`OciAlarm`: an OCI Monitoring alarm with sane defaults and a body that links the runbook,
and `resource_alarms`, one alarm per `AlarmCheck` on a single resource.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.mql import MqlQuery
from components.tagging import GovernanceTagging, merge_defined_tags
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_https_url,
    check_not_empty,
    check_ocid,
    check_one_of,
    ocid_kind,
)

ALARM_SEVERITIES = ("CRITICAL", "ERROR", "WARNING", "INFO")


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
    alarm_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: OciAlarmArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        component = "OciAlarm"
        check_ocid(component, "compartment_id", args.compartment_id, "compartment", "tenancy")
        check_one_of(component, "severity", args.severity, ALARM_SEVERITIES)
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
        self.alarm_id = self.alarm.id
        self.register_outputs({"alarm_id": self.alarm_id})


@dataclass(frozen=True)
class AlarmCheck:
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
    checks: Sequence[AlarmCheck],
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
