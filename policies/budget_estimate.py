"""Cost before deploy as a stack rule: each cost center's estimated monthly cost stays within
its budget.

Budgets come from the stack itself: an `oci:Budget/budget:Budget` with target type TAG and
target `<namespace>.cost_center.<CC>` is that cost center's OCI budget (`amount`); an
`aws:budgets/budget:Budget` filtered on `TagKeyValue` `user:cost_center$<CC>` is its AWS
budget (`limitAmount`). The estimate (policies.pricing) of the cost center's OCI or AWS
resources is compared with `share` percent of the budget. Advisory by default; set the
rule's enforcement level to mandatory in the policy config to block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.model import ConfigField, Resource, Rule, many
from policies.oci_security import NAMESPACE_FIELD
from policies.pricing.estimate import COST_CENTER_KEY, StackEstimate, estimate_stack

OCI_BUDGET = "oci:Budget/budget:Budget"
AWS_BUDGET = "aws:budgets/budget:Budget"
RULE_ID = "oci-budget-costcenter-estimate-within-budget"


@dataclass(frozen=True)
class CostCenterBudget:
    cost_center: str
    provider: str
    amount: float
    urn: str
    name: str


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def stack_budgets(resources: Iterable[Resource], namespace: str) -> list[CostCenterBudget]:
    """The cost-center budgets a stack declares (OCI TAG budgets and tag-filtered AWS ones)."""
    prefix = f"{namespace}.{COST_CENTER_KEY}."
    aws_prefix = f"user:{COST_CENTER_KEY}$"
    out = []
    for r in resources:
        if r.type == OCI_BUDGET and str(r.get("targetType", "")).upper() == "TAG":
            amount = _number(r.get("amount"))
            for target in r.get("targets", []):
                if str(target).startswith(prefix) and amount is not None:
                    out.append(
                        CostCenterBudget(str(target)[len(prefix) :], "oci", amount, r.urn, r.name)
                    )
        elif r.type == AWS_BUDGET:
            amount = _number(r.get("limitAmount"))
            for flt in many(r.get("costFilters")):
                if flt.get("name") != "TagKeyValue" or amount is None:
                    continue
                for value in flt.get("values", []):
                    if str(value).startswith(aws_prefix):
                        out.append(
                            CostCenterBudget(
                                str(value)[len(aws_prefix) :], "aws", amount, r.urn, r.name
                            )
                        )
    return out


def over_budget(
    estimate: StackEstimate,
    budgets: Sequence[CostCenterBudget],
    share: float,
    use_maximum: bool = False,
) -> list[tuple[CostCenterBudget, float, float]]:
    """(budget, estimate, allowed) for every budget the cost center's estimate exceeds."""
    totals = estimate.by_cost_center()
    out = []
    for budget in budgets:
        total = totals.get(budget.cost_center)
        if total is None:
            continue
        by_provider = total.by_provider_max if use_maximum else total.by_provider
        cost = by_provider.get(budget.provider, 0.0)
        allowed = budget.amount * share / 100
        if cost > allowed + 0.005:
            out.append((budget, cost, allowed))
    return out


def _check(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    namespace = str(config["namespace"])
    budgets = stack_budgets(resources, namespace)
    if not budgets:
        return
    estimate = estimate_stack(resources, namespace=namespace)
    share = float(config["share"])
    use_maximum = bool(config["useAutoScalingMaximum"])
    currency = estimate.currency
    for budget, cost, allowed in over_budget(estimate, budgets, share, use_maximum):
        what = "maximum (auto-scaling) estimate" if use_maximum else "estimate"
        yield (
            budget.urn,
            f"cost center {budget.cost_center}: {budget.provider.upper()} {what} "
            f"{cost:,.2f} {currency} a month exceeds {share:g}% of its budget "
            f"{budget.name} ({allowed:,.2f} of {budget.amount:,.2f} {currency}) "
            f"by {cost - allowed:,.2f} {currency}; lower the estimate (compute count, "
            "license model, auto-scaling, off-hours schedule) or raise the budget",
        )


RULES = (
    Rule(
        id=RULE_ID,
        description="Each cost center's estimated monthly cost (list prices, before deploy) stays "
        "within a share of its budget declared in the stack.",
        severity="medium",
        enforcement="advisory",
        check_stack=_check,
        config={
            "share": ConfigField(
                "number", "Percent of each budget the monthly estimate may use", 100, above=0
            ),
            "namespace": NAMESPACE_FIELD,
            "useAutoScalingMaximum": ConfigField(
                "boolean",
                "Compare the maximum estimate (auto-scaling at 3x) instead of the base one",
                False,
            ),
        },
        remediation_steps="Lower compute counts or storage, stop non-production databases off "
        "hours (OffHoursSchedule), or raise the cost center's budget.",
    ),
)
