"""Checks for the recurrence of OCI Resource Scheduler schedules: a UNIX cron expression
and an IANA time zone. The stack schema and the OffHoursSchedule component share them, so a
bad value fails before anything is declared, with the same sentence in both places.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# minute hour day-of-month month day-of-week, each `*`, a number, a range, a step or a list
_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_PART = re.compile(r"^(?:\*|(?P<lo>\d+)(?:-(?P<hi>\d+))?)(?:/(?P<step>\d+))?$")


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a five-field cron expression, or None."""
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        return f"must be a cron expression of 5 fields, e.g. '0 19 * * 1-5' (got {expression!r})"
    for text, (name, low, high) in zip(fields, _FIELDS, strict=True):
        for part in text.split(","):
            match = _PART.match(part)
            if match is None or match["step"] == "0":
                return f"has an invalid {name} field {text!r} (got {expression!r})"
            numbers = [int(n) for n in (match["lo"], match["hi"]) if n is not None]
            if any(not low <= n <= high for n in numbers) or numbers != sorted(numbers):
                return f"has {name} {text!r} outside {low}-{high} (got {expression!r})"
    return None


def time_zone_problem(name: str) -> str | None:
    """Why `name` is not an IANA time zone such as Europe/Berlin, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"must be an IANA time zone such as Europe/Berlin or UTC (got {name!r})"
    return None
