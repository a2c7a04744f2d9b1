"""What a gate run is judged with, worked out once: the policy config and the suppression
ledger (given, else the project's own files, else the catalog's defaults), and whether
checkov runs. Every input is read and checked here, before any expensive work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.ledger import Suppression, load_ledger
from guardrails.tooling.gate.pack import PACK_DIR
from guardrails.tooling.gate.policy_config import PolicyConfig, load_policy_config

PROJECT_ROOT = PACK_DIR.parent
DEFAULT_LEDGER = PACK_DIR / "suppressions.yaml"
LEDGER_NAMES = ("guardrails-suppressions.yaml", "guardrails-suppressions.yml")
POLICY_CONFIG_NAMES = ("guardrails-policy-config.json",)


def default_ledger(root: Path) -> Path | None:
    """The project's own ledger (`guardrails-suppressions.yaml` in `root`); for the
    guardrails project itself, `policies/suppressions.yaml`; else none."""
    found = next((p for n in LEDGER_NAMES if (p := root / n).is_file()), None)
    if found is None and root.resolve() == PROJECT_ROOT and DEFAULT_LEDGER.is_file():
        return DEFAULT_LEDGER
    return found


def default_policy_config(root: Path) -> Path | None:
    """`guardrails-policy-config.json` in `root`, else none (the catalog's levels)."""
    return next((p for n in POLICY_CONFIG_NAMES if (p := root / n).is_file()), None)


@dataclass(frozen=True)
class GateSettings:
    """The policy config and ledger a gate run uses, already read and checked."""

    policy_config: PolicyConfig
    ledger: list[Suppression]
    policy_config_path: Path | None = None
    ledger_path: Path | None = None
    checkov: bool = False
    today: dt.date | None = None
    """The day suppressions expire against (None: today)."""

    def used(self) -> dict[str, str | None]:
        """Which files were used, for the report (None: the defaults)."""
        return {
            "policyConfig": str(self.policy_config_path) if self.policy_config_path else None,
            "suppressions": str(self.ledger_path) if self.ledger_path else None,
        }


def gate_settings(
    root: Path,
    *,
    policy_config: Path | None = None,
    ledger: Path | None = None,
    checkov: bool = False,
    today: dt.date | None = None,
) -> GateSettings:
    """Settings for a gate run on the project in `root`: the given files, else the
    project's own (`default_policy_config`, `default_ledger`). GuardrailsError (exit 2) for a
    missing or malformed file, or a checkov that cannot run, before any expensive work."""
    if ledger is not None and not ledger.is_file():
        raise GuardrailsError(f"{ledger}: suppression ledger not found")
    policy_config_path = policy_config or default_policy_config(root)
    ledger_path = ledger or default_ledger(root)
    loaded_config = load_policy_config(policy_config_path)
    loaded_ledger = load_ledger(ledger_path)
    if checkov:
        from guardrails.tooling.gate.checkov_run import ensure_checkov

        ensure_checkov()
    return GateSettings(
        loaded_config, loaded_ledger, policy_config_path, ledger_path, checkov, today
    )
