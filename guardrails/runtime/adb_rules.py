"""Autonomous Database rules shared by the `AutonomousDatabaseFleet` component and the
`guardrails fleet` commands: which environments are protected, and OCI's limits on ECPU
counts and backup retention (ADB Serverless, ECPU compute model)."""

from __future__ import annotations

PROTECTED_ENVIRONMENTS: tuple[str, ...] = ("prod",)

MIN_ECPU = 2
MAX_ECPU = 512
"""ECPU counts are whole numbers from 2 (OCI's minimum) to 512."""
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 60
"""Automatic backups are kept 1 to 60 days."""
MIN_LONG_TERM_DAYS = 90
MAX_LONG_TERM_DAYS = 3650
"""Long-term backups are kept 90 days to 10 years."""


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
