"""The `guardrails:fleet` stack config block: how `guardrails fleet status` judges databases.

Every threshold of the Autonomous Database recommendations lives here, with the defaults the
issue names (scale up above 80 % p95 CPU, down below 20 %, storage above 85 %), so a stack
can tune them without code changes, e.g.

    guardrails:fleet:
      cpuHighPercent: 75
      offHours: {start: "20:00", stop: "07:00", weekends: true}
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from guardrails.runtime.stack_schema.base import ConfigModel

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class OffHoursConfig(ConfigModel):
    """When non-production databases are not needed (UTC): stopped from `start` to `stop`
    on weekdays, and all weekend when `weekends` is true."""

    start: str = "20:00"
    stop: str = "07:00"
    weekends: bool = True

    @field_validator("start", "stop")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"must be a time of day HH:MM (got {value!r})")
        return value

    def hour_of(self, which: str) -> int:
        """`start` or `stop` as a whole hour (minutes are rounded down)."""
        return int(getattr(self, which)[:2])

    def is_off(self, weekday: int, hour: int) -> bool:
        """True when hour `hour` (0-23) of `weekday` (Monday 0) is off-hours."""
        if self.weekends and weekday >= 5:
            return True
        start, stop = self.hour_of("start"), self.hour_of("stop")
        if start == stop:
            return False
        if start < stop:
            return start <= hour < stop
        return hour >= start or hour < stop

    def off_fraction(self) -> float:
        """Share of a week's hours that are off-hours."""
        return sum(self.is_off(d, h) for d in range(7) for h in range(24)) / 168


class FleetConfig(ConfigModel):
    """Recommendation thresholds and status settings for the stack's database fleet."""

    cpuHighPercent: float = Field(default=80, gt=0, le=100)
    """p95 CPU above this for the window: scale up or enable auto-scaling."""
    cpuLowPercent: float = Field(default=20, ge=0, lt=100)
    """p95 CPU below this for the window: scale down."""
    cpuTargetPercent: float = Field(default=60, gt=0, le=100)
    """p95 CPU a resized database should run at; sets the recommended ECPU count."""
    storageHighPercent: float = Field(default=85, gt=0, le=100)
    """Storage utilisation above this: grow storage or clean up."""
    storageTargetPercent: float = Field(default=70, gt=0, le=100)
    """Utilisation the grown storage should have."""
    idleCpuPercent: float = Field(default=5, ge=0, lt=100)
    """A non-production database whose p95 CPU stays below this is idle: stop it."""
    offHours: OffHoursConfig = Field(default_factory=OffHoursConfig)
    """Off-hours of non-production databases, for the schedule recommendation."""
    days: int = Field(default=7, ge=1, le=90)
    """Default metrics window of `fleet status`."""
    maxPoints: int = Field(default=500, ge=24, le=10000)
    """Most datapoints one metric query may return; sets the resolution."""
    concurrency: int = Field(default=8, ge=1, le=32)
    """Metric queries in flight at once."""

    @model_validator(mode="after")
    def _ordered(self) -> FleetConfig:
        if self.cpuLowPercent >= self.cpuHighPercent:
            raise ValueError(
                f"cpuLowPercent ({self.cpuLowPercent:g}) must be below "
                f"cpuHighPercent ({self.cpuHighPercent:g})"
            )
        if not self.cpuLowPercent < self.cpuTargetPercent < self.cpuHighPercent:
            raise ValueError(
                f"cpuTargetPercent ({self.cpuTargetPercent:g}) must lie between "
                f"cpuLowPercent and cpuHighPercent"
            )
        if self.storageTargetPercent >= self.storageHighPercent:
            raise ValueError(
                f"storageTargetPercent ({self.storageTargetPercent:g}) must be below "
                f"storageHighPercent ({self.storageHighPercent:g})"
            )
        if self.idleCpuPercent >= self.cpuLowPercent:
            raise ValueError(
                f"idleCpuPercent ({self.idleCpuPercent:g}) must be below "
                f"cpuLowPercent ({self.cpuLowPercent:g})"
            )
        return self
