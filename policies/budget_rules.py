"""Budget rules for OCI stacks: every budget has an alert rule, and a tenancy-wide budget
warns on the forecast (Oracle's best-practice check)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule
from policies.notifications import BUDGET_RULE, referrers

BUDGET = "oci:Budget/budget:Budget"


def _budget_rules(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    rules = referrers(resources, [BUDGET_RULE])
    for budget in resources:
        if budget.type == BUDGET and budget.urn not in rules:
            yield budget.urn, f"budget {budget.name} has no alert rule; add a budget Rule for it"


def _tenancy_forecast(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    budgets = [r for r in resources if r.type == BUDGET]
    if not budgets:
        return  # this stack manages no budgets
    rules = referrers(resources, [BUDGET_RULE])
    for budget in budgets:
        # targetCompartmentId: the deprecated form of a single target
        targets = budget.get("targets") or [budget.get("targetCompartmentId")]
        tenancy_wide = budget.get("targetType", "COMPARTMENT") == "COMPARTMENT" and any(
            str(t).startswith("ocid1.tenancy.") for t in targets
        )
        if tenancy_wide and any(r.get("type") == "FORECAST" for r in rules.get(budget.urn, [])):
            return
    yield (
        None,
        (
            "no tenancy-wide budget with a FORECAST alert rule (Oracle's best-practice check); "
            "add a FORECAST rule to the root-compartment budget"
        ),
    )


RULES = (
    Rule(
        id="oci-budget-budget-has-alert-rule",
        description="Every budget has at least one alert rule.",
        severity="medium",
        enforcement="mandatory",
        check_stack=_budget_rules,
    ),
    Rule(
        id="oci-budget-tenancy-forecast-rule",
        description="A stack that manages budgets has a tenancy-wide budget with a FORECAST rule.",
        severity="medium",
        enforcement="mandatory",
        check_stack=_tenancy_forecast,
    ),
)
