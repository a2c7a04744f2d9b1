"""Right-sizing recommendations for one database, with the numbers behind them and their
monthly cost effect at list prices (`prices.py`). Thresholds come from `guardrails:fleet`.

Rules (each names the command or stack change that carries it out):

- `scale-up`: p95 CPU above `cpuHighPercent` -> the ECPU count that brings p95 to
  `cpuTargetPercent` (or auto-scaling, when it is off).
- `scale-down`: p95 CPU below `cpuLowPercent` -> the same target, never under 2 ECPU.
- `grow-storage`: storage above `storageHighPercent` -> the TB that bring it to
  `storageTargetPercent` (or clean up), with the days left at the current growth.
- `stop-idle`: a non-production database whose p95 CPU stays below `idleCpuPercent`.
- `off-hours-schedule`: a non-production database without a start/stop schedule that is
  quiet (p95 below `idleCpuPercent`) in the configured off-hours.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from guardrails.runtime.adb_rules import MIN_ECPU, is_protected
from guardrails.runtime.stack_schema.fleet import FleetConfig
from guardrails.tooling.fleet.inventory import DatabaseInfo
from guardrails.tooling.fleet.metrics import CPU, STORAGE, DatabaseMetrics, percentile
from guardrails.tooling.fleet.prices import FleetPrices


@dataclass(frozen=True)
class Recommendation:
    rule: str
    action: str
    reason: str
    monthly_cost_change: float
    """Positive costs more, negative saves; list prices, 730 hours a month."""
    command: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["monthly_cost_change"] = round(self.monthly_cost_change, 2)
        return out


def _ecpu_for(current: float, p95: float, target: float) -> int:
    return max(MIN_ECPU, math.ceil(current * p95 / target))


def _cpu_rules(
    ref: str, db: DatabaseInfo, p95: float, cfg: FleetConfig, prices: FleetPrices, window: str
) -> list[Recommendation]:
    per_ecpu = prices.ecpu_month(db.license_model)
    if p95 > cfg.cpuHighPercent:
        new = max(_ecpu_for(db.ecpu, p95, cfg.cpuTargetPercent), int(db.ecpu) + 1)
        also = (
            ""
            if db.auto_scaling
            else f", or enable auto-scaling (bills up to {3 * db.ecpu:g} ECPU while busy)"
        )
        return [
            Recommendation(
                "scale-up",
                f"scale from {db.ecpu:g} to {new} ECPU{also}",
                f"p95 CPU {p95:.1f} % > {cfg.cpuHighPercent:g} % over {window}; "
                f"{new} ECPU bring it to about {db.ecpu * p95 / new:.0f} %",
                (new - db.ecpu) * per_ecpu,
                f"guardrails fleet scale {ref} --ecpu {new}",
            )
        ]
    if p95 < cfg.cpuLowPercent and db.ecpu > MIN_ECPU:
        new = _ecpu_for(db.ecpu, p95, cfg.cpuTargetPercent)
        if new < db.ecpu:
            return [
                Recommendation(
                    "scale-down",
                    f"scale from {db.ecpu:g} to {new} ECPU",
                    f"p95 CPU {p95:.1f} % < {cfg.cpuLowPercent:g} % over {window}; "
                    f"{new} ECPU run it at about {db.ecpu * p95 / new:.0f} %",
                    (new - db.ecpu) * per_ecpu,
                    f"guardrails fleet scale {ref} --ecpu {new}",
                )
            ]
    return []


def _storage_rule(
    db: DatabaseInfo, metrics: DatabaseMetrics, cfg: FleetConfig, prices: FleetPrices
) -> list[Recommendation]:
    series = metrics.series.get(STORAGE)
    stats = series.stats() if series else None
    if series is None or stats is None or stats.latest <= cfg.storageHighPercent:
        return []
    used = db.storage_tbs * stats.latest / 100
    new = max(math.ceil(used * 100 / cfg.storageTargetPercent), int(db.storage_tbs) + 1)
    slope = series.slope_per_day()
    trend = ""
    if slope is not None and slope > 0:
        trend = f", growing {slope:.2f} %/day: full in {(100 - stats.latest) / slope:.0f} days"
    return [
        Recommendation(
            "grow-storage",
            f"grow storage from {db.storage_tbs:g} to {new} TB, or clean up",
            f"storage {stats.latest:.1f} % used ({used:.2f} of {db.storage_tbs:g} TB) "
            f"> {cfg.storageHighPercent:g} %{trend}",
            (new - db.storage_tbs) * prices.storage_tb_month(),
            None,
        )
    ]


def _off_hours_p95(
    metrics: DatabaseMetrics, cfg: FleetConfig, interval_seconds: int
) -> float | None:
    series = metrics.series.get(CPU)
    if series is None or interval_seconds > 3600:
        return None
    quiet = [v for t, v in series.points if cfg.offHours.is_off(t.weekday(), t.hour)]
    if not quiet:
        return None
    return percentile(quiet, 0.95)


def _schedule_text(cfg: FleetConfig) -> str:
    hours = cfg.offHours
    days = "Mon-Fri" if hours.weekends else "every day"
    weekend = ", stopped Sat-Sun" if hours.weekends else ""
    return f"stop at {hours.start}, start at {hours.stop} UTC {days}{weekend}"


def recommend(
    ref: str,
    db: DatabaseInfo,
    metrics: DatabaseMetrics,
    environment: str,
    cfg: FleetConfig,
    prices: FleetPrices,
    *,
    window: str,
    interval_seconds: int,
) -> list[Recommendation]:
    """Recommendations for one running database; `ref` is how commands name it."""
    if db.lifecycle_state != "AVAILABLE":
        return []
    out: list[Recommendation] = []
    cpu = metrics.stats(CPU)
    per_ecpu = prices.ecpu_month(db.license_model)
    production = is_protected(environment) or is_protected(db.environment or "")
    idle = cpu is not None and not production and cpu.p95 < cfg.idleCpuPercent
    if idle:
        assert cpu is not None
        out.append(
            Recommendation(
                "stop-idle",
                "stop the database while it is not used",
                f"non-production and idle: p95 CPU {cpu.p95:.1f} % < "
                f"{cfg.idleCpuPercent:g} % over {window}",
                -db.ecpu * per_ecpu,
                f"guardrails fleet stop {ref}",
            )
        )
    elif cpu is not None:
        out += _cpu_rules(ref, db, cpu.p95, cfg, prices, window)
    out += _storage_rule(db, metrics, cfg, prices)
    if not production and not idle and not db.scheduled:
        quiet = _off_hours_p95(metrics, cfg, interval_seconds)
        if quiet is not None and quiet < cfg.idleCpuPercent:
            fraction = cfg.offHours.off_fraction()
            out.append(
                Recommendation(
                    "off-hours-schedule",
                    f"add an auto start/stop schedule: {_schedule_text(cfg)}",
                    f"non-production, p95 CPU {quiet:.1f} % < {cfg.idleCpuPercent:g} % "
                    f"in off-hours ({fraction * 100:.0f} % of the week)",
                    -db.ecpu * per_ecpu * fraction,
                    None,
                )
            )
    return out
