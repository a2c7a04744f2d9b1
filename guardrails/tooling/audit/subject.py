"""A live account as a gate subject: what the readers read becomes the capture record the
one gate core (`gate/core.py`) judges through the real policy pack, with three differences
a live account makes:

- a rule set to `remediate` is `mandatory`: the pack cannot fix what is already deployed;
- the rules that judge only a declaration (a Pulumi resource option, an input the API never
  returns, an estimate before deploy) are not run, and the report names them and why;
- a value the API did not return is unknown, said as such (not "during preview").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from guardrails.tooling.audit.live import Reading
from guardrails.tooling.gate.core import Loaded, Say
from guardrails.tooling.gate.pack import PolicyPackProcess
from guardrails.tooling.gate.policy_config import PolicyConfig
from guardrails.tooling.gate.settings import GateSettings

LIVE_UNKNOWN = (
    "not decided: {what} was not returned by the cloud API for this resource (the audit's "
    "notes say why); the rule could not judge it"
)

DECLARATION_ONLY: dict[str, str] = {
    "oci-database-adb-production-protected": "reads Pulumi's protect option, which a deployed "
    "database does not carry",
    "oci-database-adb-vault-password": "reads the adminPassword input, which the API never returns",
    "oci-budget-costcenter-estimate-within-budget": "judges the cost estimate before deploy "
    "(`cost report` compares real spend with the budgets)",
}
"""Rules the audit does not run on a live account, and why (in the report)."""


def live_policy_config(config: PolicyConfig) -> PolicyConfig:
    """The policy config for a live account: `remediate` -> `mandatory`, declaration-only
    rules disabled."""
    live: PolicyConfig = {}
    for rule_id, (level, settings) in config.items():
        if rule_id in DECLARATION_ONLY:
            live[rule_id] = ("disabled", settings)
        else:
            live[rule_id] = ("mandatory" if level == "remediate" else level, settings)
    return live


@dataclass
class LiveSubject:
    """A live account, read when the gate loads it."""

    read: Callable[[Reading], None]
    """Fills the reading (`oci_reader.read_oci` or `aws_reader.read_aws` with their options)."""
    reading: Reading
    extra_summary: dict[str, Any] = field(default_factory=dict)

    def load(
        self, pack: PolicyPackProcess, settings: GateSettings, say: Say, timings: dict[str, float]
    ) -> Loaded:
        start = time.perf_counter()
        say(f"reading the {self.reading.cloud.upper()} account")
        self.read(self.reading)
        timings["read"] = time.perf_counter() - start
        summary = {
            **self.reading.summary(),
            "notJudged": dict(DECLARATION_ONLY),
            **self.extra_summary,
        }
        return Loaded(
            self.reading.capture(),
            checkov_scan=None,
            summary=summary,
            unknown_wording=LIVE_UNKNOWN,
            live=True,
        )
