"""What `guardrails cost enforce` needs to know per cost center: actual month-to-date and
forecast spend against the budget, and where that spend comes from (OCI or AWS).

`spend_from_report` is the adapter from the cost report (`guardrails cost report --format
json`, issue 10 item 1) to these statuses; it reads the report's JSON, so the enforcer works
the same from a file written by the daily report job as from a report computed in process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    model_validator,
)

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.month import month_of
from guardrails.tooling.documents import validate_document
from guardrails.tooling.inputs import parse_json, read_text

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


def _month(value: str) -> str:
    if month_of(value) is None:
        raise ValueError(f"must read YYYY-MM (got {value!r})")
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"must be an ISO 4217 code (got {value!r})")
    return value


_Amount = Annotated[float, Strict(), Field(ge=0)]
"""An amount of money: a JSON number (not a string, not true), finite (the reader refuses
NaN and Infinity), not negative."""


class _Row(BaseModel):
    """One cost center's row of the report; rows without a cost center or a budget (untagged
    spend, a cost center without a budget) are checked but give nothing to enforce."""

    model_config = ConfigDict(extra="ignore")

    cost_center: Annotated[str, Field(min_length=1)] | None = Field(
        None, validation_alias=AliasChoices("costCenter", "cost_center")
    )
    budget: Annotated[float, Strict(), Field(gt=0)] | None = None
    provider: Provider = "oci"
    currency: Annotated[str, AfterValidator(_currency)] | None = None
    actual: _Amount | None = Field(None, validation_alias=AliasChoices("actual", "monthToDate"))
    forecast: _Amount | None = Field(
        None, validation_alias=AliasChoices("forecast", "forecastMonthEnd")
    )

    @model_validator(mode="after")
    def _complete(self) -> _Row:
        if self.cost_center is None or self.budget is None:
            return self
        needed = {
            "currency": self.currency,
            "actual or monthToDate": self.actual,
            "forecast or forecastMonthEnd": self.forecast,
        }
        missing = [name for name, value in needed.items() if value is None]
        if missing:
            raise ValueError(f"a cost center with a budget needs {', '.join(missing)}")
        return self

    def status(self) -> SpendStatus | None:
        if self.cost_center is None or self.budget is None:
            return None
        assert self.currency is not None and self.actual is not None
        assert self.forecast is not None  # all checked by _complete
        forecast = max(self.actual, self.forecast)
        return SpendStatus(
            self.cost_center, self.actual, forecast, self.budget, self.currency, self.provider
        )


class _Report(BaseModel):
    """`guardrails cost report --format json` as the enforcer reads it (other keys ignored);
    the list of rows alone is read as that report's rows."""

    model_config = ConfigDict(extra="ignore")

    stack: str | None = None
    tenancy: str | None = None
    month: Annotated[str, AfterValidator(_month)] | None = None
    rows: list[_Row] = Field(validation_alias=AliasChoices("costCenters", "rows"))

    @model_validator(mode="before")
    @classmethod
    def _rows_alone(cls, doc: Any) -> Any:
        return {"costCenters": doc} if isinstance(doc, list) else doc

    def statuses(self) -> list[SpendStatus]:
        return [status for row in self.rows if (status := row.status()) is not None]


def spend_from_report(
    report: Any, source: str = "report", text: str | None = None
) -> tuple[str | None, list[SpendStatus]]:
    """The month and the per-cost-center statuses of a cost report JSON document.

    Accepted: `{"month": "2026-11", "costCenters": [{costCenter, actual, forecast, budget,
    currency, provider?}, ...]}` (the report's `rows`, with `monthToDate` and
    `forecastMonthEnd` read as well), or that list alone. GuardrailsError naming every
    problem (with its line when `text` is given).
    """
    parsed = validate_document(_Report, report, source, text)
    return parsed.month, parsed.statuses()


@dataclass(frozen=True)
class SpendFile:
    """A cost report JSON file: whose and which month it says it is, and its statuses."""

    stack: str | None
    tenancy: str | None
    month: str | None
    statuses: list[SpendStatus]


def read_spend_file(path: Path) -> SpendFile:
    """A cost report JSON file; unreadable or malformed is a GuardrailsError."""
    text = read_text(path, "spend report")
    parsed = validate_document(_Report, parse_json(text, str(path)), str(path), text)
    return SpendFile(parsed.stack or None, parsed.tenancy or None, parsed.month, parsed.statuses())


def check_known(statuses: Iterable[SpendStatus], known: Iterable[str], source: str) -> None:
    """Refuse statuses for cost centers the stack does not declare (a report of another stack)."""
    names = sorted(set(known))
    for status in statuses:
        if status.cost_center not in names:
            raise GuardrailsError(
                f"{source}: cost center {status.cost_center!r} is not one of the stack's "
                f"governance.costCenters ({', '.join(names)})"
            )
