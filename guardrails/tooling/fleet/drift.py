"""Drift: where a running database differs from what the stack file declares.

A change made in the console (a scale-up, auto-scaling switched on, a shorter retention)
shows here, named by the stack-file setting, so it can be written back or undone on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.runtime.stack_schema import DatabaseConfig
from guardrails.tooling.fleet.inventory import DatabaseInfo


@dataclass(frozen=True)
class Drift:
    setting: str
    """The stack-file setting under `guardrails:databases.<key>`, e.g. `computeCount`."""
    declared: object
    actual: object

    def describe(self) -> str:
        return f"{self.setting}: stack {_shown(self.declared)}, running {_shown(self.actual)}"


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def database_drift(declared: DatabaseConfig, info: DatabaseInfo | None) -> list[Drift]:
    """The differences, in stack-file order; a declared database that does not run is one."""
    if info is None:
        return [Drift("database", "declared", "not found")]
    pairs: list[tuple[str, object, object]] = [
        ("workload", declared.workload, info.workload),
        ("licenseModel", declared.licenseModel, info.license_model),
        ("computeCount", float(declared.computeCount), info.ecpu),
        ("storageTbs", float(declared.storageTbs), info.storage_tbs),
        ("backupRetentionDays", declared.backupRetentionDays, info.backup_retention_days),
        ("autoScaling", declared.autoScaling, info.auto_scaling),
        ("storageAutoScaling", declared.storageAutoScaling, info.storage_auto_scaling),
    ]
    return [Drift(name, want, have) for name, want, have in pairs if want != have]
