"""What `guardrails cost enforce` needs to know per cost center: actual month-to-date and
forecast spend against the budget, and where that spend comes from (OCI or AWS).

`spend_from_report` is the adapter from the cost report (`guardrails cost report --format
json`, issue 10 item 1) to these statuses; it reads the report's JSON, so the enforcer works
the same from a file written by the daily report job as from a report computed in process.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.month import month_of
from guardrails.tooling.inputs import read_json

Provider = Literal["oci", "aws"]


@dataclass(frozen=True)
class SpendStatus:
    """One cost center's spend this month against its budget, in one currency."""

    cost_center: str
    actual: float
    """Month to date."""
    forecast: float
    """Forecast to month end (at least `actual`)."""
    budget: float
    currency: str
    provider: Provider = "oci"

    def percent(self, kind: str) -> float:
        """Actual (`ACTUAL`) or forecast (`FORECAST`) spend as a percentage of the budget."""
        value = self.actual if kind == "ACTUAL" else self.forecast
        return 100.0 * value / self.budget


def _number(row: Mapping[str, Any], where: str, *keys: str) -> float:
    for key in keys:
        value = row.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise GuardrailsError(f"{where}.{key}: must be a number (got {value!r})")
            if not math.isfinite(value) or value < 0:
                raise GuardrailsError(f"{where}.{key}: must be a finite amount >= 0 (got {value})")
            return float(value)
    raise GuardrailsError(f"{where}: needs {' or '.join(keys)}")


def _status(row: Any, where: str) -> SpendStatus | None:
    if not isinstance(row, Mapping):
        raise GuardrailsError(f"{where}: must be an object")
    cost_center = row.get("costCenter", row.get("cost_center"))
    budget = row.get("budget")
    if cost_center is None or budget is None:
        return None  # untagged spend, or a cost center without a budget: nothing to enforce
    if not isinstance(cost_center, str) or not cost_center:
        raise GuardrailsError(f"{where}.costCenter: must be a cost center name")
    provider = row.get("provider", "oci")
    if provider not in ("oci", "aws"):
        raise GuardrailsError(f"{where}.provider: must be oci or aws (got {provider!r})")
    currency = row.get("currency")
    if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
        raise GuardrailsError(f"{where}.currency: must be an ISO 4217 code (got {currency!r})")
    actual = _number(row, where, "actual", "monthToDate")
    budget_amount = _number(row, where, "budget")
    if budget_amount <= 0:
        raise GuardrailsError(f"{where}.budget: must be > 0 (got {budget_amount:g})")
    forecast = max(actual, _number(row, where, "forecast", "forecastMonthEnd"))
    return SpendStatus(cost_center, actual, forecast, budget_amount, currency, provider)


def spend_from_report(report: Any, source: str = "report") -> tuple[str | None, list[SpendStatus]]:
    """The month and the per-cost-center statuses of a cost report JSON document.

    Accepted: `{"month": "2026-11", "costCenters": [{costCenter, actual, forecast, budget,
    currency, provider?}, ...]}` (the report's rows; `monthToDate`/`forecastMonthEnd` are
    read as well), or that list alone. Rows without a cost center or budget are skipped.
    """
    rows: Any = report
    month = None
    if isinstance(report, Mapping):
        month = report.get("month")
        if month is not None and month_of(month) is None:
            raise GuardrailsError(f"{source}: month must read YYYY-MM (got {month!r})")
        rows = report.get("costCenters", report.get("rows"))
    if not isinstance(rows, list):
        raise GuardrailsError(f"{source}: expected a list of cost centers under costCenters")
    statuses = [_status(row, f"{source}: costCenters[{i}]") for i, row in enumerate(rows)]
    return month, [s for s in statuses if s is not None]


@dataclass(frozen=True)
class SpendFile:
    """A cost report JSON file: whose and which month it says it is, and its statuses."""

    stack: str | None
    tenancy: str | None
    month: str | None
    statuses: list[SpendStatus]


def read_spend_file(path: Path) -> SpendFile:
    """A cost report JSON file; unreadable or malformed is a GuardrailsError."""
    document = read_json(path, "spend report")
    month, statuses = spend_from_report(document, str(path))
    about = document if isinstance(document, Mapping) else {}
    stack, tenancy = about.get("stack"), about.get("tenancy")
    return SpendFile(
        str(stack) if stack else None, str(tenancy) if tenancy else None, month, statuses
    )


def check_known(statuses: Iterable[SpendStatus], known: Iterable[str], source: str) -> None:
    """Refuse statuses for cost centers the stack does not declare (a report of another stack)."""
    names = sorted(set(known))
    for status in statuses:
        if status.cost_center not in names:
            raise GuardrailsError(
                f"{source}: cost center {status.cost_center!r} is not one of the stack's "
                f"governance.costCenters ({', '.join(names)})"
            )
