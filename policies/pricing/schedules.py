"""Resource Scheduler savings: which off-hours schedules stop a database, and for how much of
the week.

An `oci:ResourceScheduler/schedule:Schedule` with action STOP_RESOURCE or START_RESOURCE and
a five-field cron recurrence selects resources by OCID (a schedule listing a database depends
on it) or by resource filters (compartment, defined tags, resource type: all must match, any
value of one filter matches). The stopped share of a week comes from replaying the stop and
start times over two weeks and measuring the second. Schedules this cannot read (iCal
recurrences, day-of-month or month restrictions) give no savings, and say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.model import Resource, many

SCHEDULE = "oci:ResourceScheduler/schedule:Schedule"
MINUTES_PER_WEEK = 7 * 24 * 60
_ADB_RESOURCE_TYPES = frozenset(
    {"autonomousdatabase", "autonomous_database", "autonomousdatabases"}
)


@dataclass(frozen=True)
class Schedule:
    name: str
    action: str
    times: tuple[int, ...] | None
    """Minutes of the week (0 = Sunday 00:00) it runs at; None when not understood."""
    problem: str | None
    resource: Resource


def _expand(field: str, low: int, high: int) -> set[int] | None:
    values: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if (step_text and not step_text.isdigit()) or step == 0:
            return None
        if base == "*":
            lo, hi = low, high
        else:
            lo_text, _, hi_text = base.partition("-")
            if not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
                return None
            lo = int(lo_text)
            hi = int(hi_text) if hi_text else (high if step_text else lo)
        if lo < low or hi > high or lo > hi:
            return None
        values.update(range(lo, hi + 1, step))
    return values


def cron_times(expression: str) -> tuple[tuple[int, ...] | None, str | None]:
    """Minutes of the week a cron expression fires at, or (None, why not)."""
    fields = expression.split()
    if len(fields) != 5:
        return None, f"recurrence {expression!r} is not a five-field cron expression"
    minute, hour, dom, month, dow = fields
    if dom != "*" or month != "*":
        return None, f"recurrence {expression!r} restricts day of month or month"
    minutes, hours, days = _expand(minute, 0, 59), _expand(hour, 0, 23), _expand(dow, 0, 7)
    if minutes is None or hours is None or days is None:
        return None, f"recurrence {expression!r} is not understood"
    weekdays = {d % 7 for d in days}
    return tuple(
        sorted(d * 1440 + h * 60 + m for d in weekdays for h in hours for m in minutes)
    ), None


def parse_schedules(resources: Iterable[Resource]) -> list[Schedule]:
    out = []
    for r in resources:
        if r.type != SCHEDULE:
            continue
        action = str(r.get("action", "")).upper()
        if action not in ("STOP_RESOURCE", "START_RESOURCE"):
            continue
        if str(r.get("state", "ACTIVE")).upper() not in ("ACTIVE", ""):
            continue
        kind = str(r.get("recurrenceType", "CRON")).upper()
        times: tuple[int, ...] | None
        problem: str | None
        if kind != "CRON":
            times, problem = None, f"recurrence type {kind} is not read (only CRON)"
        else:
            times, problem = cron_times(str(r.get("recurrenceDetails", "")))
        out.append(Schedule(r.name, action, times, problem, r))
    return out


def _filter_matches(attribute: str, values: Sequence[Mapping[str, Any]], target: Resource) -> bool:
    if attribute == "COMPARTMENT_ID":
        return any(v.get("value") == target.get("compartmentId") for v in values)
    if attribute == "DEFINED_TAGS":
        tags = target.get("definedTags", {})
        return any(
            tags.get(f"{v.get('namespace')}.{v.get('tagKey')}") == v.get("value") for v in values
        )
    if attribute == "RESOURCE_TYPE":
        return any(str(v.get("value", "")).lower() in _ADB_RESOURCE_TYPES for v in values)
    # LIFECYCLE_STATE and TIME_CREATED cannot be judged before deploy: they do not exclude.
    return attribute in ("LIFECYCLE_STATE", "TIME_CREATED")


def selects(schedule: Schedule, target: Resource) -> bool:
    props = schedule.resource
    if many(props.get("resources")) and target.urn in props.dependencies:
        return True
    filters = many(props.get("resourceFilters"))
    if not filters:
        return False
    return all(
        _filter_matches(str(f.get("attribute", "")).upper(), many(f.get("values")), target)
        for f in filters
    )


def stopped_share(stops: Sequence[int], starts: Sequence[int]) -> float:
    """Share of the week a resource is stopped, given stop and start minutes of the week.

    Replays two weeks from a running start and measures the second, so the state carried
    over the weekend counts.
    """
    if not stops:
        return 0.0
    week = MINUTES_PER_WEEK
    timeline = sorted(
        (w * week + t, is_stop)
        for w in (0, 1)
        for t, is_stop in [*((t, False) for t in starts), *((t, True) for t in stops)]
    )
    stopped, since, total = False, 0, 0
    for at, is_stop in [*timeline, (2 * week, stopped)]:
        if stopped:
            total += max(0, at - max(since, week))  # the second week only
        stopped, since = is_stop, at
    return total / week


@dataclass(frozen=True)
class OffHours:
    share_stopped: float
    schedules: tuple[str, ...]
    problems: tuple[str, ...]


def off_hours(schedules: Sequence[Schedule], target: Resource) -> OffHours | None:
    """How much of the week the schedules that select `target` keep it stopped."""
    chosen = [s for s in schedules if selects(s, target)]
    if not chosen:
        return None
    problems = tuple(f"schedule {s.name}: {s.problem}" for s in chosen if s.problem)
    stops = [t for s in chosen if s.action == "STOP_RESOURCE" and s.times for t in s.times]
    starts = [t for s in chosen if s.action == "START_RESOURCE" and s.times for t in s.times]
    share = 0.0 if problems else stopped_share(stops, starts)
    return OffHours(share, tuple(sorted(s.name for s in chosen)), problems)
