"""``oci.monitoring.MonitoringClient``: ``SummarizeMetricsData`` with datapoints generated from
known utilisation patterns, per resource and metric::

    fake_oci.monitoring.set_pattern(adb.id, CpuUtilization="busy", StorageUtilization="growing")

Route: POST /20180401/metrics/actions/summarizeMetricsData?compartmentId=... (required).
The body needs ``namespace`` and ``query``; ``startTime`` < ``endTime``; ``resolution``, when
given, is an interval such as 5m or 1h. The query is MQL of the form
``Metric[interval]{dim = "value", ...}.statistic()``: the interval is 1m..1d, the statistic
one of mean, max, min, sum, count, rate, percentile(p); a malformed query is 400
InvalidParameter, as is a window over 100,000 datapoints. Series are generated for the
resources of the namespace that match the dimensions and have a pattern: one datapoint per
interval, timestamped at the interval's start, from ``startTime`` to ``endTime``.

Patterns (values in percent, or sessions): ``busy`` 85-95, ``steady`` 40-50, ``low`` 8-12,
``idle`` 1-2, ``nightly`` 55-60 in office hours (07-20 UTC on weekdays) and 1 otherwise,
``growing`` 70 rising linearly to 90 over the window, ``flat`` 40, ``full`` 90; a number is
that constant value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.fake_oci.server import (
    FakeRequest,
    FakeResponse,
    Router,
    invalid_parameter,
    oci_time,
    parse_oci_time,
)
from tests.fake_oci.state import FakeOciState

BASE = "/20180401"
MAX_DATAPOINTS = 100_000
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_QUERY = re.compile(
    r"^(?P<metric>[A-Za-z][A-Za-z0-9_]*)\[(?P<interval>\d+[mhd])\]"
    r"(?:\{(?P<dims>[^}]*)\})?"
    r"\.(?P<stat>mean|max|min|sum|count|rate|percentile\(0?\.\d+\))\(?\)?$"
)
_DIMENSION = re.compile(r'^\s*(?P<key>[A-Za-z][A-Za-z0-9_.]*)\s*=\s*"(?P<value>[^"]*)"\s*$')


def _interval_seconds(text: str, what: str) -> int:
    match = re.fullmatch(r"(\d+)([mhd])", text)
    if not match:
        raise invalid_parameter(f"{what} {text!r} is not an interval such as 1m, 5m, 1h or 1d.")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if not 60 <= seconds <= 86400:
        raise invalid_parameter(f"{what} {text!r} must be between 1m and 1d.")
    return seconds


def pattern_value(pattern: str | float, t: datetime, start: datetime, end: datetime) -> float:
    """The value of ``pattern`` at ``t`` in a window [start, end)."""
    if isinstance(pattern, int | float):
        return float(pattern)
    wobble = (t.hour % 5) / 4
    if pattern == "busy":
        return 85 + 10 * wobble
    if pattern == "steady":
        return 40 + 10 * wobble
    if pattern == "low":
        return 8 + 4 * wobble
    if pattern == "idle":
        return 1 + wobble
    if pattern == "nightly":
        office = t.weekday() < 5 and 7 <= t.hour < 20
        return 55 + 5 * wobble if office else 1.0
    if pattern == "growing":
        span = max((end - start).total_seconds(), 1)
        return 70 + 20 * (t - start).total_seconds() / span
    if pattern == "flat":
        return 40.0
    if pattern == "full":
        return 90.0
    raise ValueError(f"unknown pattern {pattern!r}")


@dataclass
class MonitoringState:
    """Patterns by (resource id, metric name), and the namespace each resource publishes in."""

    state: FakeOciState
    patterns: dict[tuple[str, str], str | float] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)
    compartments: dict[str, str] = field(default_factory=dict)

    def set_pattern(
        self,
        resource_id: str,
        *,
        compartment_id: str | None = None,
        namespace: str = "oci_autonomous_database",
        **metrics: str | float,
    ) -> None:
        """Publish ``metrics`` (name -> pattern) for a resource; its compartment is looked up
        among the fake's Autonomous Databases unless given."""
        if compartment_id is None:
            from tests.fake_oci.database import DatabaseState

            compartment_id = (
                self.state.service(DatabaseState).autonomous_databases[resource_id].compartment_id
            )
        with self.state.lock:
            self.namespaces[resource_id] = namespace
            self.compartments[resource_id] = compartment_id
            for name, pattern in metrics.items():
                self.patterns[(resource_id, name)] = pattern


def _dimensions(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    dims: dict[str, str] = {}
    for part in text.split(","):
        match = _DIMENSION.match(part)
        if not match:
            raise invalid_parameter(f"Invalid dimension filter {part.strip()!r} in the query.")
        dims[match["key"]] = match["value"]
    return dims


def summarize_metrics_data(request: FakeRequest) -> FakeResponse:
    compartment = request.arg("compartmentId")
    if not compartment:
        raise invalid_parameter("compartmentId is required.")
    body = request.json_object()
    namespace = body.get("namespace")
    query = body.get("query")
    if not isinstance(namespace, str) or not namespace:
        raise invalid_parameter("namespace is required.")
    if not isinstance(query, str) or not query:
        raise invalid_parameter("query is required.")
    match = _QUERY.match(query.strip())
    if not match:
        raise invalid_parameter(f"Invalid query {query!r}.")
    step = _interval_seconds(match["interval"], "The query interval")
    if body.get("resolution") is not None:
        _interval_seconds(str(body["resolution"]), "resolution")
    start = parse_oci_time(body.get("startTime"), "startTime")
    end = parse_oci_time(body.get("endTime"), "endTime")
    if start >= end:
        raise invalid_parameter("startTime must be before endTime.")
    points = int((end - start).total_seconds() // step)
    if points > MAX_DATAPOINTS:
        raise invalid_parameter(
            f"The query would return {points} datapoints per series; the limit is "
            f"{MAX_DATAPOINTS}. Use a coarser interval or a shorter window."
        )
    dims = _dimensions(match["dims"])
    monitoring = request.state.service(MonitoringState)
    metric = match["metric"]
    answer: list[dict[str, Any]] = []
    for (resource_id, name), pattern in sorted(monitoring.patterns.items()):
        if name != metric or monitoring.namespaces.get(resource_id) != namespace:
            continue
        if monitoring.compartments.get(resource_id) != compartment:
            continue
        if any(k == "resourceId" and v != resource_id for k, v in dims.items()):
            continue
        datapoints = [
            {
                "timestamp": oci_time(t),
                "value": round(pattern_value(pattern, t, start, end), 4),
            }
            for t in (start + timedelta(seconds=step * i) for i in range(points))
        ]
        answer.append(
            {
                "namespace": namespace,
                "compartmentId": compartment,
                "name": metric,
                "dimensions": {"resourceId": resource_id},
                "metadata": {"unit": "percent" if name != "Sessions" else "count"},
                "resolution": match["interval"],
                "aggregatedDatapoints": datapoints,
            }
        )
    return FakeResponse(answer)


def register(router: Router) -> None:
    router.add(
        "POST",
        f"{BASE}/metrics/actions/summarizeMetricsData",
        "SummarizeMetricsData",
        summarize_metrics_data,
    )
