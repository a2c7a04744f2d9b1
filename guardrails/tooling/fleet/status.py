"""`fleet status`: what each database of a stack runs, how it ran over the window, how it
drifted from the stack file, and what to change.

API calls: one `list_autonomous_databases` per 100 databases of the compartment, then per
running database one `list_autonomous_database_backups` (newest ACTIVE backup, limit 1) and
one `summarize_metrics_data` per metric (3), so 4 per database: the count grows linearly
with the fleet. Backups and metrics are read on a bounded thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from guardrails.runtime.stack_schema import DatabaseConfig
from guardrails.tooling.fleet.clients import FleetClients
from guardrails.tooling.fleet.drift import Drift, database_drift
from guardrails.tooling.fleet.inventory import DatabaseInfo, FleetStack, find_fleet
from guardrails.tooling.fleet.metrics import METRICS, DatabaseMetrics, MetricsReader
from guardrails.tooling.fleet.prices import FleetPrices
from guardrails.tooling.fleet.recommend import Recommendation, recommend


def window_text(days: float) -> str:
    return "1 day" if days == 1 else f"{days:g} days"


@dataclass(frozen=True)
class LastBackup:
    time: datetime | None
    type: str | None
    error: str | None = None


@dataclass
class DatabaseStatus:
    ref: str
    managed: bool
    declared: DatabaseConfig | None
    database: DatabaseInfo | None
    last_backup: LastBackup | None = None
    metrics: DatabaseMetrics | None = None
    drift: list[Drift] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        out = [
            f"{e.metric}: {e.code} {e.message} (opc-request-id {e.request_id})"
            for e in (self.metrics.errors if self.metrics else ())
        ]
        if self.last_backup and self.last_backup.error:
            out.append(f"backups: {self.last_backup.error}")
        return out

    def to_json(self) -> dict[str, Any]:
        db = self.database
        metrics: dict[str, Any] = {}
        for name in METRICS:
            stats = self.metrics.stats(name) if self.metrics else None
            metrics[name] = (
                None
                if stats is None
                else {
                    "mean": round(stats.mean, 2),
                    "p95": round(stats.p95, 2),
                    "max": round(stats.max, 2),
                    "points": stats.points,
                }
            )
        return {
            "database": self.ref,
            "managed": self.managed,
            "id": db.id if db else None,
            "display_name": db.display_name if db else None,
            "state": db.lifecycle_state if db else "NOT FOUND",
            "workload": db.workload if db else None,
            "license_model": db.license_model if db else None,
            "ecpu": db.ecpu if db else None,
            "auto_scaling": db.auto_scaling if db else None,
            "storage_allocated_tbs": db.storage_tbs if db else None,
            "storage_used_tbs": db.storage_used_tbs if db else None,
            "backup_retention_days": db.backup_retention_days if db else None,
            "last_backup": (
                self.last_backup.time.isoformat()
                if self.last_backup and self.last_backup.time
                else None
            ),
            "metrics": metrics,
            "drift": [
                {"setting": d.setting, "declared": d.declared, "actual": d.actual}
                for d in self.drift
            ],
            "recommendations": [r.to_json() for r in self.recommendations],
            "errors": self.errors,
        }


@dataclass
class FleetStatus:
    stack: str
    environment: str
    compartment_id: str
    start: datetime
    end: datetime
    interval: str
    cpu_high: float
    storage_high: float
    prices_source: str
    databases: list[DatabaseStatus]

    @property
    def window(self) -> str:
        return window_text((self.end - self.start).total_seconds() / 86400)

    @property
    def monthly_cost_change(self) -> float:
        return sum(r.monthly_cost_change for d in self.databases for r in d.recommendations)

    @property
    def failed(self) -> bool:
        return any(d.errors for d in self.databases)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "compartment_id": self.compartment_id,
            "window": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "interval": self.interval,
            },
            "prices": self.prices_source,
            "monthly_cost_change": round(self.monthly_cost_change, 2),
            "databases": [d.to_json() for d in self.databases],
        }


def _last_backups(
    clients: FleetClients, ids: list[str], concurrency: int, on_call: Callable[[], None] | None
) -> dict[str, LastBackup]:
    from oci.exceptions import ServiceError

    local = threading.local()

    def one(database_id: str) -> LastBackup:
        client = getattr(local, "client", None) or clients.database()
        local.client = client
        try:
            response = client.list_autonomous_database_backups(
                autonomous_database_id=database_id,
                lifecycle_state="ACTIVE",
                sort_by="TIMECREATED",
                sort_order="DESC",
                limit=1,
            )
        except ServiceError as exc:
            return LastBackup(
                None, None, f"{exc.code} {exc.message} (opc-request-id {exc.request_id})"
            )
        finally:
            if on_call:
                on_call()
        items = response.data or []
        if not items:
            return LastBackup(None, None)
        newest = items[0]
        return LastBackup(newest.time_ended or newest.time_started, newest.type)

    if not ids:
        return {}
    with ThreadPoolExecutor(max_workers=min(concurrency, len(ids))) as pool:
        return dict(zip(ids, pool.map(one, ids), strict=True))


def collect_status(
    stack: FleetStack,
    clients: FleetClients,
    prices: FleetPrices,
    *,
    days: int,
    include_all: bool,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> FleetStatus:
    """Read the fleet and judge it; `progress(done, total)` follows the per-database calls."""
    cfg = stack.fleet
    members = find_fleet(clients.database(), stack, include_all=include_all)
    running = [m.database.id for m in members if m.database is not None]
    total = len(running) * (len(METRICS) + 1)
    done = 0
    lock = threading.Lock()

    def on_call() -> None:
        nonlocal done
        with lock:
            done += 1
            if progress:
                progress(done, total)

    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    reader = MetricsReader(
        clients.monitoring,
        stack.compartment_id,
        start,
        end,
        max_points=cfg.maxPoints,
        concurrency=cfg.concurrency,
        on_query=on_call,
    )
    metrics = reader.read(running)
    backups = _last_backups(clients, running, cfg.concurrency, on_call)
    statuses: list[DatabaseStatus] = []
    window = window_text(days)
    for member in members:
        db = member.database
        status = DatabaseStatus(member.label, member.managed, member.declared, db)
        if member.declared is not None:
            status.drift = database_drift(member.declared, db)
        if db is not None:
            status.metrics = metrics.get(db.id)
            status.last_backup = backups.get(db.id)
            if status.metrics is not None:
                status.recommendations = recommend(
                    member.key or db.id,
                    db,
                    status.metrics,
                    stack.environment,
                    cfg,
                    prices,
                    window=window,
                    interval_seconds=reader.interval_seconds,
                )
        statuses.append(status)
    return FleetStatus(
        stack=stack.name,
        environment=stack.environment,
        compartment_id=stack.compartment_id,
        start=start,
        end=end,
        interval=reader.interval,
        cpu_high=cfg.cpuHighPercent,
        storage_high=cfg.storageHighPercent,
        prices_source=prices.source,
        databases=statuses,
    )
