"""The one catalog of guardrails rules. Every engine (CrossGuard, the offline gate, checkov)
is an adapter over `RULES`; a rule is written once, here or in the modules it collects.
"""

from __future__ import annotations

import re

from policies import (
    aws_network,
    aws_security,
    aws_storage,
    budget_estimate,
    budget_rules,
    declared_rules,
    notifications,
    oci_cost,
    oci_network,
    oci_security,
    tag_rules,
)
from policies.model import Rule

PACK_NAME = "guardrails"
_RULE_ID = re.compile(r"^(oci|aws)-[a-z0-9]+-[a-z0-9]+-[a-z0-9-]+$")

RULES: tuple[Rule, ...] = (
    *tag_rules.RULES,
    *oci_security.RULES,
    *oci_network.RULES,
    *notifications.RULES,
    *budget_rules.RULES,
    *oci_cost.RULES,
    *aws_security.RULES,
    *aws_network.RULES,
    *aws_storage.RULES,
    *budget_estimate.RULES,
    *declared_rules.RULES,
)


def _check_catalog(rules: tuple[Rule, ...]) -> dict[str, Rule]:
    by_id: dict[str, Rule] = {}
    for rule in rules:
        if not _RULE_ID.match(rule.id):
            raise ValueError(f"rule id {rule.id!r} must read vendor-service-resource-rule")
        if rule.id in by_id:
            raise ValueError(f"rule id {rule.id!r} is defined twice")
        if (rule.check is None) == (rule.check_stack is None):
            raise ValueError(f"rule {rule.id!r} needs exactly one of check or check_stack")
        if rule.check is not None and not rule.resource_types:
            raise ValueError(f"resource rule {rule.id!r} applies to no resource type")
        by_id[rule.id] = rule
    return by_id


RULES_BY_ID: dict[str, Rule] = _check_catalog(RULES)
