"""Governed OCI and AWS building blocks as Pulumi component resources.

Each component validates its arguments when constructed, parents its children, names them
`f"{name}-{role}"`, stamps the governance tags on every child that takes them and registers
its outputs. Import the classes from their modules or from here.
"""

from components.adb_fleet import (
    AllowListAccess,
    AutonomousDatabaseFleet,
    AutonomousDatabaseFleetArgs,
    BackupBucketSpec,
    DatabaseSpec,
    PrivateEndpointAccess,
)
from components.alarm_topic import AlarmTopic, AlarmTopicArgs
from components.cloudwatch_alarm import CloudWatchAlarm, CloudWatchAlarmArgs
from components.cost_center_budgets import (
    CostCenterBudget,
    CostCenterBudgets,
    CostCenterBudgetsArgs,
)
from components.event_streams import (
    EventStreams,
    EventStreamsArgs,
    StreamPoolPrivateEndpoint,
    StreamSpec,
)
from components.governance_tags import (
    GovernanceTags,
    GovernanceTagsArgs,
    RequiredTagCompartment,
    TagGrant,
)
from components.lambda_layer import LambdaLayer, LambdaLayerArgs, LayerAlarms, LayerShare
from components.mql import MqlQuery
from components.oci_alarm import OciAlarm, OciAlarmArgs
from components.off_hours_schedule import OffHoursSchedule, OffHoursScheduleArgs
from components.tagging import GovernanceTagging, governance_defined_tags, merge_defined_tags
from guardrails.runtime.alert_rules import AlertRule
from guardrails.runtime.validation import ComponentArgumentError

__all__ = [
    "AlarmTopic",
    "AlarmTopicArgs",
    "AlertRule",
    "AllowListAccess",
    "AutonomousDatabaseFleet",
    "AutonomousDatabaseFleetArgs",
    "BackupBucketSpec",
    "CloudWatchAlarm",
    "CloudWatchAlarmArgs",
    "ComponentArgumentError",
    "CostCenterBudget",
    "CostCenterBudgets",
    "CostCenterBudgetsArgs",
    "DatabaseSpec",
    "EventStreams",
    "EventStreamsArgs",
    "GovernanceTagging",
    "GovernanceTags",
    "GovernanceTagsArgs",
    "LambdaLayer",
    "LambdaLayerArgs",
    "LayerAlarms",
    "LayerShare",
    "MqlQuery",
    "OciAlarm",
    "OciAlarmArgs",
    "OffHoursSchedule",
    "OffHoursScheduleArgs",
    "PrivateEndpointAccess",
    "RequiredTagCompartment",
    "StreamPoolPrivateEndpoint",
    "StreamSpec",
    "TagGrant",
    "governance_defined_tags",
    "merge_defined_tags",
]
