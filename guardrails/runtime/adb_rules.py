"""Autonomous Database rules shared by the `AutonomousDatabaseFleet` component and the
`guardrails fleet` commands: which environments are protected, and OCI's limits on ECPU
counts and backup retention (ADB Serverless, ECPU compute model), named from
`guardrails.runtime.limits`, where each limit is written once."""

from __future__ import annotations

from guardrails.runtime.limits import (
    BACKUP_RETENTION_DAYS,
    ECPU_COUNT,
    LONG_TERM_BACKUP_DAYS,
    PRODUCTION_ENVIRONMENTS,
)

PROTECTED_ENVIRONMENTS = PRODUCTION_ENVIRONMENTS


def _bound(value: float | None) -> int:
    assert value is not None, "ADB limits are bounded on both sides"
    return int(value)


MIN_ECPU = _bound(ECPU_COUNT.minimum)
MAX_ECPU = _bound(ECPU_COUNT.maximum)
MIN_RETENTION_DAYS = _bound(BACKUP_RETENTION_DAYS.minimum)
MAX_RETENTION_DAYS = _bound(BACKUP_RETENTION_DAYS.maximum)
MIN_LONG_TERM_DAYS = _bound(LONG_TERM_BACKUP_DAYS.minimum)
MAX_LONG_TERM_DAYS = _bound(LONG_TERM_BACKUP_DAYS.maximum)


def is_protected(environment: str) -> bool:
    """True when databases of `environment` are protected and retained on delete."""
    return environment in PROTECTED_ENVIRONMENTS


def ecpu_problem(value: float) -> str | None:
    """Why `value` is not a valid ECPU count, or None."""
    if not float(value).is_integer():
        return f"ECPU counts are whole numbers (got {value:g})"
    if value < MIN_ECPU:
        return f"the minimum is {MIN_ECPU} ECPU (got {value:g})"
    if value > MAX_ECPU:
        return f"the maximum is {MAX_ECPU} ECPU (got {value:g})"
    return None
