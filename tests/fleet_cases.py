"""Builders for the fleet tests: databases as OCI reports them, and metric series with known
utilisation patterns (busy, idle, quiet at night, growing storage)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from guardrails.tooling.fleet.inventory import DatabaseInfo, FleetMember, FleetStack
from guardrails.tooling.fleet.metrics import CPU, STORAGE, DatabaseMetrics, Series
from tests.conftest import ocid

END = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday, midnight
HOURS = 168


def db_info(**changes: Any) -> DatabaseInfo:
    base = DatabaseInfo(
        id=ocid("autonomousdatabase", "orders", "eu-frankfurt-1"),
        display_name="orders-dev",
        db_name="ORDERSDEV",
        compartment_id=ocid("compartment", "devworkloads"),
        lifecycle_state="AVAILABLE",
        workload="OLTP",
        license_model="LICENSE_INCLUDED",
        compute_model="ECPU",
        ecpu=4.0,
        auto_scaling=False,
        storage_auto_scaling=False,
        storage_tbs=1.0,
        storage_used_tbs=0.4,
        backup_retention_days=7,
        environment="dev",
        scheduled=False,
        whitelisted_ips=("203.0.113.0/24",),
        defined_tags={"governance": {"environment": "dev", "cost_center": "CC-101"}},
    )
    return replace(base, **changes)


def hourly(metric: str, values: list[float]) -> Series:
    start = END - timedelta(hours=len(values))
    return Series(metric, tuple((start + timedelta(hours=i), v) for i, v in enumerate(values)))


def cpu_pattern(kind: str) -> list[float]:
    """busy: 85-95 %; idle: 1-2 %; steady: 40-50 %; low: 8-12 %; nightly: 55 % in office
    hours (07-20 UTC weekdays), 1 % otherwise."""
    start = END - timedelta(hours=HOURS)
    out = []
    for i in range(HOURS):
        t = start + timedelta(hours=i)
        wobble = (i % 5) / 4
        if kind == "busy":
            out.append(85 + 10 * wobble)
        elif kind == "idle":
            out.append(1 + wobble)
        elif kind == "steady":
            out.append(40 + 10 * wobble)
        elif kind == "low":
            out.append(8 + 4 * wobble)
        elif kind == "nightly":
            office = t.weekday() < 5 and 7 <= t.hour < 20
            out.append(55 + 5 * wobble if office else 1.0)
        else:
            raise ValueError(kind)
    return out


def storage_pattern(kind: str) -> list[float]:
    """flat: 40 %; growing: 70 % to 90 % over the week; full: 90 %."""
    if kind == "flat":
        return [40.0] * HOURS
    if kind == "growing":
        return [70 + 20 * i / (HOURS - 1) for i in range(HOURS)]
    if kind == "full":
        return [90.0] * HOURS
    raise ValueError(kind)


def metrics(cpu: str = "steady", storage: str = "flat") -> DatabaseMetrics:
    return DatabaseMetrics(
        {
            CPU: hourly(CPU, cpu_pattern(cpu)),
            STORAGE: hourly(STORAGE, storage_pattern(storage)),
        }
    )


def member(stack: FleetStack, key: str | None = "orders", **changes: Any) -> FleetMember:
    declared = stack.databases.get(key) if key else None
    info = db_info(**changes)
    if declared is not None and "db_name" not in changes:
        info = replace(info, db_name=declared.dbName, display_name=declared.displayName)
    return FleetMember(key, declared, info)
