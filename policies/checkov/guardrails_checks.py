"""The rule catalog as checkov custom checks, for Terraform HCL and Terraform plans.

    checkov -d infra/ --external-checks-dir policies/checkov
    checkov -f plan.json --framework terraform_plan --external-checks-dir policies/checkov

One check per resource rule of the catalog, with the rule's id, severity and function:
checkov's resource configuration is turned back into the catalog's view (Pulumi type token,
camelCase inputs) and the same `Rule.evaluate` decides. Stack rules (topics, budgets) see
the whole program and have no checkov equivalent. Policy config is not read here: the
checks use each rule's defaults.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# checkov runs in its own virtual environment; make the catalog importable from there.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from checkov.common.bridgecrew.severities import BcSeverities, Severities  # noqa: E402
from checkov.common.models.enums import CheckCategories, CheckResult  # noqa: E402
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck  # noqa: E402

from policies.catalog import RULES  # noqa: E402
from policies.checkov import SEEN_CHECK_ID  # noqa: E402
from policies.model import Resource, Rule  # noqa: E402
from policies.naming import from_terraform, terraform_types  # noqa: E402

_SEVERITY = {
    "low": BcSeverities.LOW,
    "medium": BcSeverities.MEDIUM,
    "high": BcSeverities.HIGH,
    "critical": BcSeverities.CRITICAL,
}
_SKIP = {"start_line", "end_line", "count", "provisioner", "depends_on", "for_each", "provider"}


def _unwrap(value: Any) -> Any:
    """checkov wraps attribute values in one-element lists and blocks in lists of dicts."""
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            blocks = [_unwrap_block(v) for v in value]
            return blocks[0] if len(blocks) == 1 else blocks
        if len(value) == 1:
            inner = value[0]
            return _unwrap_block(inner) if isinstance(inner, dict) else inner
        return value
    if isinstance(value, dict):
        return _unwrap_block(value)
    return value


def _unwrap_block(conf: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _unwrap(value)
        for key, value in conf.items()
        if not (isinstance(key, str) and (key.startswith("__") or key in _SKIP))
    }


def resource_from_conf(token: str, conf: dict[str, Any], address: str = "") -> Resource:
    """The catalog's view of one checkov resource configuration."""
    props = from_terraform(_unwrap_block(conf))
    lifecycle = props.pop("lifecycle", {})
    protect = isinstance(lifecycle, dict) and lifecycle.get("preventDestroy") is True
    name = address.rsplit("::", 1)[-1] if address else token
    return Resource(type=token, name=name, urn=address, props=props, protect=protect)


class CatalogCheck(BaseResourceCheck):
    """A catalog rule as a checkov resource check."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.tokens = terraform_types(rule.resource_types)
        super().__init__(
            name=f"{rule.description} [guardrails]",
            id=rule.id,
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=sorted(self.tokens),
        )
        self.severity = Severities[_SEVERITY[rule.severity]]

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        token = self.tokens.get(self.entity_type)
        if token is None:
            return CheckResult.UNKNOWN
        address = conf.get("__address__", "")
        resource = resource_from_conf(token, conf, str(address))
        self.details = self.rule.evaluate(resource)
        return CheckResult.FAILED if self.details else CheckResult.PASSED


class SeenCheck(BaseResourceCheck):
    """Passes on every resource checkov reads: with it, checkov's resource count is the
    number of resources it parsed (not only those some check applies to), so the gate can
    tell a plan checkov misread from resource types no checkov check covers."""

    def __init__(self) -> None:
        super().__init__(
            name="checkov read this resource [guardrails]",
            id=SEEN_CHECK_ID,
            categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["*"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return CheckResult.PASSED


CHECKS = [CatalogCheck(rule) for rule in RULES if not rule.is_stack_rule] + [SeenCheck()]
