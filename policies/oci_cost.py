"""Cost rules for OCI stacks: what keeps non-production spend down between deployments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule, many
from policies.oci_security import ADB, NAMESPACE_FIELD, PRODUCTION_FIELD

SCHEDULE = "oci:ResourceScheduler/schedule:Schedule"


def _tag(props: Mapping[str, Any], namespace: str, key: str) -> str | None:
    tags = props.get("definedTags") or {}
    value = tags.get(f"{namespace}.{key}") if isinstance(tags, Mapping) else None
    return None if value is None else str(value)


def _tag_filter(schedule: Resource, namespace: str, key: str) -> set[str] | None:
    """Values a schedule's DEFINED_TAGS filters accept for `key` (None: it does not filter)."""
    values: set[str] | None = None
    for resource_filter in many(schedule.get("resourceFilters")):
        if resource_filter.get("attribute") != "DEFINED_TAGS":
            continue
        for value in many(resource_filter.get("values")):
            if value.get("namespace") == namespace and value.get("tagKey") == key:
                values = (values or set()) | {str(value.get("value"))}
    return values


def _covers(schedule: Resource, adb: Resource, namespace: str) -> bool:
    if schedule.get("action") != "STOP_RESOURCE":
        return False
    for key in ("cost_center", "environment"):
        accepted = _tag_filter(schedule, namespace, key)
        if accepted is not None and _tag(adb.props, namespace, key) not in accepted:
            return False
    return True


def _off_hours(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    namespace, production = config["namespace"], set(config["productionEnvironments"])
    schedules = [r for r in resources if r.type == SCHEDULE]
    for adb in (r for r in resources if r.type == ADB):
        environment = _tag(adb.props, namespace, "environment")
        if environment is None or environment in production:
            continue
        if not any(_covers(s, adb, namespace) for s in schedules):
            cost_center = _tag(adb.props, namespace, "cost_center") or "none"
            yield (
                adb.urn,
                f"non-production Autonomous Database (environment {environment}, cost center "
                f"{cost_center}) has no off-hours STOP_RESOURCE schedule selecting it; add an "
                "OffHoursSchedule (guardrails:offHours)",
            )


RULES: tuple[Rule, ...] = (
    Rule(
        id="oci-resourcescheduler-schedule-offhours-nonprod",
        description="Every non-production Autonomous Database is stopped off hours by a "
        "Resource Scheduler STOP_RESOURCE schedule whose tag filters select it.",
        severity="low",
        enforcement="advisory",
        check_stack=_off_hours,
        config={
            "namespace": NAMESPACE_FIELD,
            "productionEnvironments": PRODUCTION_FIELD,
        },
        remediation_steps="Add a guardrails:offHours block to the stack (OffHoursSchedule).",
    ),
)
