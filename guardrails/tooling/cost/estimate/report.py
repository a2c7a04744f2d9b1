"""Estimate reports: Infracost's JSON layout (version 0.2) with our extra fields, a terminal
table and markdown.

Infracost fields kept as Infracost writes them (decimal strings, null for unknown):
`projects[].breakdown.resources[].costComponents[]` (name, unit, hourlyQuantity,
monthlyQuantity, price, hourlyCost, monthlyCost), `totalMonthlyCost`, `pastTotalMonthlyCost`,
`diffTotalMonthlyCost`, `summary`. Extra fields (documented in the README): on components
`partNumber`, `freeQuantity`, `monthlyCostMax`, `usageKey`; on resources `urn`, `costCenter`,
`monthlyCostMax`, `notes`, `offHoursSavings`; on projects `stack`, `costCenters`,
`unpricedResources`, `totalMonthlyCostMax`; at the top `totalMonthlyCostMax` and `priceBooks`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console

from guardrails.tooling.console import print_table
from guardrails.tooling.cost.estimate.run import StackCost
from policies.pricing.estimate import CostComponent, ResourceCost, StackEstimate

VERSION = "0.2"


def dec(value: float | None) -> str | None:
    """A decimal string as Infracost writes amounts ("490.56"), None stays None."""
    if value is None:
        return None
    text = f"{round(value, 10):.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def num(value: Any) -> float:
    """An amount read back from the JSON (a decimal string or None)."""
    return float(value) if value not in (None, "") else 0.0


def amount(value: float) -> str:
    """A quantity for people: thousands separated, at most four significant decimals."""
    if abs(value) >= 1000:
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return f"{value:.4g}"


def money(value: float, currency: str = "") -> str:
    return f"{value:,.2f}" + (f" {currency}" if currency else "")


def _component(c: CostComponent, hours: float) -> dict[str, Any]:
    return {
        "name": c.name,
        "unit": c.unit,
        "hourlyQuantity": dec(None if c.monthly_quantity is None else c.monthly_quantity / hours),
        "monthlyQuantity": dec(c.monthly_quantity),
        "price": dec(c.price),
        "hourlyCost": dec(None if c.monthly_cost is None else c.monthly_cost / hours),
        "monthlyCost": dec(c.monthly_cost),
        "partNumber": c.part_number,
        "freeQuantity": dec(c.free_quantity),
        "monthlyCostMax": dec(c.monthly_cost_max),
        "usageKey": c.usage_key,
    }


def _resource(r: ResourceCost, hours: float) -> dict[str, Any]:
    return {
        "name": r.name,
        "resourceType": r.type,
        "tags": {},
        "metadata": {},
        "hourlyCost": dec(r.monthly_cost / hours),
        "monthlyCost": dec(r.monthly_cost),
        "costComponents": [_component(c, hours) for c in r.components],
        "subresources": [],
        "urn": r.urn,
        "costCenter": r.cost_center,
        "monthlyCostMax": dec(r.monthly_cost_max),
        "notes": list(r.notes),
        "offHoursSavings": dec(r.off_hours_savings),
    }


def _summary(estimates: Sequence[StackEstimate]) -> dict[str, Any]:
    priced = [r for e in estimates for r in e.resources]
    unpriced = [u for e in estimates for u in e.unpriced]
    free = [r for r in priced if not r.components]
    return {
        "totalDetectedResources": len(priced) + len(unpriced),
        "totalSupportedResources": len(priced),
        "totalUnsupportedResources": len(unpriced),
        "totalUsageBasedResources": sum(
            1 for r in priced if any(c.usage_key for c in r.components)
        ),
        "totalNoPriceResources": len(free),
        "unsupportedResourceCounts": dict(sorted(Counter(u.type for u in unpriced).items())),
        "noPriceResourceCounts": dict(sorted(Counter(r.type for r in free).items())),
    }


def _cost_centers(cost: StackCost) -> dict[str, Any]:
    budgets: dict[str, dict[str, str | None]] = {}
    for b in cost.budgets:
        budgets.setdefault(b.cost_center, {})[b.provider] = dec(b.amount)
    return {
        cc: {
            "monthlyCost": dec(t.monthly_cost),
            "monthlyCostMax": dec(t.monthly_cost_max),
            "byProvider": {p: dec(v) for p, v in sorted(t.by_provider.items())},
            "budgets": budgets.get(cc, {}),
        }
        for cc, t in cost.estimate.by_cost_center().items()
    }


def project_json(cost: StackCost) -> dict[str, Any]:
    e = cost.estimate
    hours = e.books[0].hours_per_month
    return {
        "name": f"{cost.project}/{cost.stack}",
        "stack": cost.stack,
        "metadata": {"path": cost.program, "type": "pulumi_program"},
        "pastBreakdown": None,
        "breakdown": {
            "resources": [_resource(r, hours) for r in e.resources],
            "totalHourlyCost": dec(e.monthly_cost / hours),
            "totalMonthlyCost": dec(e.monthly_cost),
        },
        "diff": None,
        "summary": _summary([e]),
        "totalMonthlyCostMax": dec(e.monthly_cost_max),
        "costCenters": _cost_centers(cost),
        "unpricedResources": [
            {
                "name": u.name,
                "resourceType": u.type,
                "urn": u.urn,
                "costCenter": u.cost_center,
                "reason": u.reason,
            }
            for u in e.unpriced
        ],
    }


def estimate_json(costs: Sequence[StackCost]) -> dict[str, Any]:
    """The estimate of one or more stacks as an Infracost 0.2 document."""
    estimates = [c.estimate for c in costs]
    total = sum(e.monthly_cost for e in estimates)
    hours = estimates[0].books[0].hours_per_month if estimates else 730.0
    books = estimates[0].books if estimates else []
    return {
        "version": VERSION,
        "metadata": {"generator": "guardrails cost estimate"},
        "currency": estimates[0].currency if estimates else "USD",
        "projects": [project_json(c) for c in costs],
        "totalHourlyCost": dec(total / hours),
        "totalMonthlyCost": dec(total),
        "totalMonthlyCostMax": dec(sum(e.monthly_cost_max for e in estimates)),
        "pastTotalMonthlyCost": "0",
        "diffTotalMonthlyCost": dec(total),
        "timeGenerated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": _summary(estimates),
        "priceBooks": [
            {"provider": b.provider, "currency": b.currency, "date": b.date, "source": b.source}
            for b in books
        ],
    }


def _quantity(c: Mapping[str, Any]) -> str:
    if c["monthlyQuantity"] is None:
        return "per unit"
    return f"{amount(num(c['monthlyQuantity']))} {c['unit']}"


def render_table(doc: Mapping[str, Any], console: Console) -> None:
    """Per stack: resources and components, cost centers, unpriced resources; then the total.
    Names and amounts are never cut (`print_table`)."""
    currency = doc["currency"]
    for project in doc["projects"]:
        rows = []
        for r in project["breakdown"]["resources"]:
            for c in r["costComponents"]:
                cost = "-" if c["monthlyCost"] is None else money(num(c["monthlyCost"]))
                if c["monthlyCostMax"] is not None:
                    cost += f" (up to {money(num(c['monthlyCostMax']))})"
                rows.append(
                    {
                        "resource": r["name"],
                        "cost center": r["costCenter"],
                        "component": c["name"],
                        "quantity": _quantity(c),
                        "unit price": f"{num(c['price']):g} / {c['unit']}",
                        "monthly": cost,
                    }
                )
        print_table(
            rows,
            ("resource", "cost center", "component", "quantity", "unit price", "monthly"),
            console,
            title=f"{project['name']}: monthly estimate ({currency})",
            wrap=("component",),
            right=("monthly",),
            group=True,
        )
        centers = [
            {
                "cost center": cc,
                "monthly": money(num(t["monthlyCost"])),
                "with auto-scaling": money(num(t["monthlyCostMax"])),
                "budgets": ", ".join(
                    f"{p.upper()} {money(num(v))}" for p, v in t["budgets"].items()
                ),
            }
            for cc, t in _shown_cost_centers(project)
        ]
        centers.append(
            {
                "cost center": "stack total",
                "monthly": money(num(project["breakdown"]["totalMonthlyCost"])),
                "with auto-scaling": money(num(project["totalMonthlyCostMax"])),
            }
        )
        print_table(
            centers,
            ("cost center", "monthly", "with auto-scaling", "budgets"),
            console,
            title=f"{project['name']}: per cost center ({currency})",
            right=("monthly", "with auto-scaling"),
        )
        _unpriced_lines(project, console)
    console.print(
        f"[bold]total[/]: {money(num(doc['totalMonthlyCost']), currency)} a month "
        f"(up to {money(num(doc['totalMonthlyCostMax']), currency)} with auto-scaling)"
    )
    for book in doc["priceBooks"]:
        console.print(
            f"price book {book['provider']}: {book['date']} ({book['currency']})", style="dim"
        )


def _shown_cost_centers(project: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Cost centers with a cost or a budget (not those of free resources only)."""
    return [
        (cc, t)
        for cc, t in project["costCenters"].items()
        if num(t["monthlyCostMax"]) or t["budgets"]
    ]


def _unpriced_lines(project: Mapping[str, Any], console: Console) -> None:
    unpriced = project["unpricedResources"]
    pending = [
        r["name"]
        for r in project["breakdown"]["resources"]
        if any(c["monthlyCost"] is None for c in r["costComponents"])
    ]
    if unpriced:
        console.print(f"{len(unpriced)} resources not priced:", style="yellow")
        for u in unpriced:
            console.print(f"  {u['name']} ({u['resourceType']}): {u['reason']}", markup=False)
    if pending:
        console.print(
            f"{len(pending)} resources have usage-based prices without usage (per unit); "
            "give quantities with --usage",
            style="dim",
        )


def render_markdown(doc: Mapping[str, Any]) -> str:
    currency = doc["currency"]
    lines = [f"## Cost estimate ({currency} a month, list prices)", ""]
    for project in doc["projects"]:
        lines += [
            f"### {project['name']}: {money(num(project['breakdown']['totalMonthlyCost']))} "
            f"(up to {money(num(project['totalMonthlyCostMax']))} with auto-scaling)",
            "",
            "| Cost center | Monthly | With auto-scaling | Budgets |",
            "|---|---:|---:|---|",
        ]
        for cc, t in _shown_cost_centers(project):
            budgets = ", ".join(f"{p.upper()} {money(num(v))}" for p, v in t["budgets"].items())
            lines.append(
                f"| {cc} | {money(num(t['monthlyCost']))} | {money(num(t['monthlyCostMax']))} "
                f"| {budgets} |"
            )
        lines += ["", "| Resource | Cost center | Monthly |", "|---|---|---:|"]
        for r in project["breakdown"]["resources"]:
            if r["costComponents"]:
                lines.append(
                    f"| `{r['name']}` | {r['costCenter']} | {money(num(r['monthlyCost']))} |"
                )
        if project["unpricedResources"]:
            lines += ["", f"Not priced ({len(project['unpricedResources'])}):", ""]
            lines += [
                f"- `{u['name']}` ({u['resourceType']}): {u['reason']}"
                for u in project["unpricedResources"]
            ]
        lines.append("")
    lines.append(_books_line(doc))
    return "\n".join(lines) + "\n"


def _books_line(doc: Mapping[str, Any]) -> str:
    return "Price books: " + "; ".join(
        f"{b['provider']} {b['date']} ({b['currency']})" for b in doc["priceBooks"]
    )
