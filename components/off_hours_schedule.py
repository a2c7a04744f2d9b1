"""`OffHoursSchedule`: OCI Resource Scheduler schedules that stop a cost center's
non-production Autonomous Databases and compute instances in the evening and start them in
the morning, and the IAM policy that lets the schedules act.

OCI facts this follows:

- A schedule (`oci.resourcescheduler.Schedule`) runs one action, `STOP_RESOURCE` or
  `START_RESOURCE`, on a recurrence (`CRON` here, evaluated in `local_time_zone`), on the
  resources that match *all* of its resource filters. Each defined tag gets a filter of its
  own (cost center, environment), so both must match, next to the compartment and resource
  type filters.
- A new schedule may act on nothing: it runs as its own resource principal, which needs
  `Allow any-user to manage <resources> in compartment id <c> where all
  {request.principal.type = 'resourceschedule', request.principal.id = '<schedule>'}`.
  The policy is written per schedule, so no other schedule gains the right.
- Stopping production on a timer is refused here, not only in the stack schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_oci as oci

from components.tagging import GovernanceTagging, merge_defined_tags
from guardrails.runtime.cron import cron_problem, time_zone_problem
from guardrails.runtime.limits import PRODUCTION_ENVIRONMENTS
from guardrails.runtime.tag_keys import COST_CENTER_KEY, ENVIRONMENT_KEY
from guardrails.runtime.validation import (
    ComponentArgumentError,
    check_not_empty,
    check_ocid,
    check_one_of,
)

_COMPONENT = "OffHoursSchedule"
ACTIONS = {"stop": "STOP_RESOURCE", "start": "START_RESOURCE"}
RESOURCE_FAMILIES = {"AutonomousDatabase": "autonomous-databases", "Instance": "instances"}
"""Resource Scheduler resource types, and the IAM resource type a schedule manages."""


@dataclass
class OffHoursScheduleArgs:
    compartment_id: str
    """Where the schedules and their IAM policy live."""
    tagging: GovernanceTagging
    """Whose resources: the cost center and (non-production) environment they are tagged with;
    the schedules and the policy carry the same tags."""
    target_compartment_ids: Sequence[str] = field(default_factory=list)
    """Compartments whose resources are scheduled; default: `compartment_id`."""
    time_zone: str = "UTC"
    stop_cron: str = "0 19 * * 1-5"
    start_cron: str = "0 7 * * 1-5"
    resource_types: Sequence[str] = tuple(RESOURCE_FAMILIES)


class OffHoursSchedule(pulumi.ComponentResource):
    """Stop at `stop_cron`, start at `start_cron`, for one cost center's resources."""

    stop_schedule: oci.resourcescheduler.Schedule
    start_schedule: oci.resourcescheduler.Schedule
    policy: oci.identity.Policy
    targets: list[str]
    stop_schedule_id: pulumi.Output[str]
    start_schedule_id: pulumi.Output[str]
    policy_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: OffHoursScheduleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("guardrails:oci:OffHoursSchedule", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tagging = args.tagging
        tags = merge_defined_tags(tagging.defined_tags())
        self.targets = list(args.target_compartment_ids or [args.compartment_id])
        filters = _filters(tagging, self.targets, args.resource_types)
        schedules = {}
        for role, cron in (("stop", args.stop_cron), ("start", args.start_cron)):
            schedules[role] = oci.resourcescheduler.Schedule(
                f"{name}-{role}",
                compartment_id=args.compartment_id,
                action=ACTIONS[role],
                recurrence_type="CRON",
                recurrence_details=cron,
                local_time_zone=args.time_zone,
                display_name=f"{name}-{role}",
                description=(
                    f"{role.capitalize()} {tagging.environment} resources of cost center "
                    f"{tagging.cost_center} ({cron}, {args.time_zone})"
                ),
                resource_filters=filters,
                state="ACTIVE",
                defined_tags=tags,
                opts=child,
            )
        self.stop_schedule, self.start_schedule = schedules["stop"], schedules["start"]
        families = [RESOURCE_FAMILIES[t] for t in args.resource_types]
        targets = list(self.targets)
        self.policy = oci.identity.Policy(
            f"{name}-policy",
            compartment_id=args.compartment_id,
            name=f"{name}-resource-schedules",
            description=f"Lets the off-hours schedules of {tagging.cost_center} stop and start",
            statements=pulumi.Output.all(self.stop_schedule.id, self.start_schedule.id).apply(
                lambda ids: schedule_statements(ids, families, targets)
            ),
            defined_tags=tags,
            opts=child,
        )
        self.stop_schedule_id = self.stop_schedule.id
        self.start_schedule_id = self.start_schedule.id
        self.policy_id = self.policy.id
        self.register_outputs(
            {
                "stop_schedule_id": self.stop_schedule_id,
                "start_schedule_id": self.start_schedule_id,
                "policy_id": self.policy_id,
            }
        )


def schedule_statements(
    schedule_ids: Sequence[str], families: Sequence[str], compartments: Sequence[str]
) -> list[str]:
    """One statement per schedule, resource type and compartment, scoped to that schedule."""
    return [
        f"Allow any-user to manage {family} in compartment id {compartment} where all "
        f"{{request.principal.type = 'resourceschedule', request.principal.id = '{sid}'}}"
        for sid in schedule_ids
        for family in families
        for compartment in compartments
    ]


def _filters(
    tagging: GovernanceTagging, compartments: Sequence[str], types: Sequence[str]
) -> list[oci.resourcescheduler.ScheduleResourceFilterArgs]:
    value = oci.resourcescheduler.ScheduleResourceFilterValueArgs
    tag_filters = [
        oci.resourcescheduler.ScheduleResourceFilterArgs(
            attribute="DEFINED_TAGS",
            values=[value(namespace=tagging.namespace, tag_key=key, value=tag_value)],
        )
        for key, tag_value in (
            (COST_CENTER_KEY, tagging.cost_center),
            (ENVIRONMENT_KEY, tagging.environment),
        )
    ]
    return [
        oci.resourcescheduler.ScheduleResourceFilterArgs(
            attribute="COMPARTMENT_ID",
            should_include_child_compartments=False,
            values=[value(value=c) for c in compartments],
        ),
        *tag_filters,
        oci.resourcescheduler.ScheduleResourceFilterArgs(
            attribute="RESOURCE_TYPE", values=[value(value=t) for t in types]
        ),
    ]


def _validate(args: OffHoursScheduleArgs) -> None:
    check_ocid(_COMPONENT, "compartment_id", args.compartment_id, "compartment", "tenancy")
    for index, target in enumerate(args.target_compartment_ids):
        check_ocid(_COMPONENT, f"target_compartment_ids[{index}]", target, "compartment", "tenancy")
    args.tagging.defined_tags()  # cost center and environment within the tag ENUMs
    if args.tagging.environment in PRODUCTION_ENVIRONMENTS:
        raise ComponentArgumentError(
            _COMPONENT,
            "tagging.environment",
            f"must not be production: off-hours stops are for non-production resources "
            f"(got {args.tagging.environment!r})",
        )
    for argument, problem in (
        ("time_zone", time_zone_problem(args.time_zone)),
        ("stop_cron", cron_problem(args.stop_cron)),
        ("start_cron", cron_problem(args.start_cron)),
    ):
        if problem:
            raise ComponentArgumentError(_COMPONENT, argument, problem)
    if args.stop_cron == args.start_cron:
        raise ComponentArgumentError(_COMPONENT, "start_cron", "must differ from stop_cron")
    check_not_empty(_COMPONENT, "resource_types", args.resource_types)
    for index, kind in enumerate(args.resource_types):
        check_one_of(_COMPONENT, f"resource_types[{index}]", kind, tuple(RESOURCE_FAMILIES))
