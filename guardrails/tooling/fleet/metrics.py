"""Autonomous Database metrics over a window, read with `MonitoringClient.summarize_metrics_data`.

One query per metric and database (`CpuUtilization[1h]{resourceId = "..."}.mean()`), in the
`oci_autonomous_database` namespace. The interval is the finest of 1m, 5m, 1h, 1d that keeps a
series at or under `max_points` datapoints (7 days: hourly, 168 points), so a longer window
costs the same number of calls and a bounded amount of data. Queries run on a bounded thread
pool, each thread with its own client (the SDK's HTTP session is not shared across threads).

The summary of a series is over its interval means: mean, p95 (nearest rank) and max. Sessions
is read where the service publishes it; an empty answer means "not available", not zero.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

NAMESPACE = "oci_autonomous_database"
CPU = "CpuUtilization"
STORAGE = "StorageUtilization"
SESSIONS = "Sessions"
METRICS: tuple[str, ...] = (CPU, STORAGE, SESSIONS)
RESOLUTIONS: tuple[tuple[str, int], ...] = (("1m", 60), ("5m", 300), ("1h", 3600), ("1d", 86400))


def pick_interval(window_seconds: float, max_points: int) -> tuple[str, int]:
    """The finest interval (label, seconds) with at most `max_points` points in the window."""
    for label, seconds in RESOLUTIONS:
        if window_seconds / seconds <= max_points:
            return label, seconds
    return RESOLUTIONS[-1]


def metric_query(metric: str, resource_id: str, interval: str) -> str:
    """The MQL text for one database's series."""
    return f'{metric}[{interval}]{{resourceId = "{resource_id}"}}.mean()'


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class MetricStats:
    mean: float
    p95: float
    max: float
    latest: float
    points: int


@dataclass(frozen=True)
class Series:
    """One metric of one database over the window."""

    metric: str
    points: tuple[tuple[datetime, float], ...]

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points]

    def stats(self) -> MetricStats | None:
        values = self.values
        if not values:
            return None
        return MetricStats(
            mean=sum(values) / len(values),
            p95=percentile(values, 0.95),
            max=max(values),
            latest=values[-1],
            points=len(values),
        )

    def slope_per_day(self) -> float | None:
        """Least-squares trend in units per day, None with fewer than two points."""
        if len(self.points) < 2:
            return None
        t0 = self.points[0][0]
        xs = [(t - t0).total_seconds() / 86400 for t, _ in self.points]
        ys = self.values
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs)
        if var == 0:
            return None
        return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


@dataclass(frozen=True)
class MetricsError:
    """A metric query OCI refused; the status shows it instead of numbers."""

    metric: str
    code: str
    message: str
    request_id: str | None


@dataclass(frozen=True)
class DatabaseMetrics:
    series: dict[str, Series]
    errors: tuple[MetricsError, ...] = ()

    def stats(self, metric: str) -> MetricStats | None:
        series = self.series.get(metric)
        return series.stats() if series else None


class MetricsReader:
    """Reads the fleet's metrics over [start, end) with at most `concurrency` queries in flight.

    `client_factory` makes one `MonitoringClient`; each worker thread builds its own.
    """

    def __init__(
        self,
        client_factory: Callable[[], Any],
        compartment_id: str,
        start: datetime,
        end: datetime,
        *,
        max_points: int = 500,
        concurrency: int = 8,
        metrics: Sequence[str] = METRICS,
        on_query: Callable[[], None] | None = None,
    ) -> None:
        self._factory = client_factory
        self._local = threading.local()
        self.compartment_id = compartment_id
        self.start, self.end = start, end
        self.interval, self.interval_seconds = pick_interval(
            (end - start).total_seconds(), max_points
        )
        self.concurrency = concurrency
        self.metrics = tuple(metrics)
        self._on_query = on_query

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._factory()
        return client

    def _query(self, resource_id: str, metric: str) -> Series | MetricsError:
        from oci.exceptions import ServiceError
        from oci.monitoring.models import SummarizeMetricsDataDetails

        details = SummarizeMetricsDataDetails(
            namespace=NAMESPACE,
            query=metric_query(metric, resource_id, self.interval),
            start_time=self.start,
            end_time=self.end,
            resolution=self.interval,
        )
        try:
            response = self._client().summarize_metrics_data(self.compartment_id, details)
        except ServiceError as exc:
            return MetricsError(metric, str(exc.code), str(exc.message), exc.request_id)
        finally:
            if self._on_query:
                self._on_query()
        points: list[tuple[datetime, float]] = []
        for item in response.data or []:
            points += [(p.timestamp, float(p.value)) for p in item.aggregated_datapoints or []]
        points.sort(key=lambda p: p[0])
        return Series(metric, tuple(points))

    def read(self, resource_ids: Iterable[str]) -> dict[str, DatabaseMetrics]:
        """Metrics per database id; a refused query becomes a MetricsError for that metric."""
        jobs = [(rid, metric) for rid in resource_ids for metric in self.metrics]
        if not jobs:
            return {}
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(jobs))) as pool:
            answers = list(pool.map(lambda job: self._query(*job), jobs))
        series: dict[str, dict[str, Series]] = {}
        errors: dict[str, list[MetricsError]] = {}
        for (rid, _), answer in zip(jobs, answers, strict=True):
            if isinstance(answer, MetricsError):
                errors.setdefault(rid, []).append(answer)
            else:
                series.setdefault(rid, {})[answer.metric] = answer
        return {
            rid: DatabaseMetrics(series.get(rid, {}), tuple(errors.get(rid, ())))
            for rid in dict.fromkeys(rid for rid, _ in jobs)
        }
