"""The spend report: per cost center (or any tag's values), month-to-date cost against the
budget of the stack file, the forecast to the month's end, the day the budget runs out,
the top services, untagged spend as a finding, and anomalous days.

`build_report` is the one entry point (the CLI and `cost enforce` call it): it loads the
requested source into the store, then `compose_report` turns daily costs into a
`CostReport`. Budgets come from the stack's `guardrails:budgets` block, read through the
stack schema, the same block that provisions the OCI budgets: `monthly` for OCI spend,
`awsMonthly` for AWS spend (FOCUS files).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema import BudgetsConfig, StackConfig
from guardrails.tooling.cost.lines import DailyCost
from guardrails.tooling.cost.month import Month
from guardrails.tooling.cost.spend import anomalies, forecast
from guardrails.tooling.cost.spend.anomalies import METHOD as ANOMALY_METHOD
from guardrails.tooling.cost.spend.forecast import METHOD as FORECAST_METHOD

CostBasis = Literal["billed", "effective"]
COST_CENTER_KEY = "cost_center"
DEFAULT_NAMESPACE = "governance"
UNTAGGED = "(untagged)"
UNTAGGED_OR_UNKNOWN = "(untagged or unknown)"
TOP_SERVICES = 3


@dataclass(frozen=True)
class ServiceCost:
    service: str
    cost: float


@dataclass(frozen=True)
class CostCenterRow:
    """One cost center (or tag value) of one provider."""

    provider: str
    cost_center: str
    currency: str
    month_to_date: float
    budget: float | None
    forecast: float
    """Forecast total of the month (month to date + the rest)."""
    run_out_day: date | None
    top_services: tuple[ServiceCost, ...]
    finding: str | None = None
    """Set on the row of untagged or unknown spend: what it holds."""
    api_forecast: float | None = None
    """The Usage API's own forecast of the month total, when asked for."""
    daily: tuple[tuple[date, float], ...] = ()
    """Actual cost per day of the month through the report's last day."""
    forecast_daily: tuple[tuple[date, float], ...] = ()

    @property
    def percent_used(self) -> float | None:
        return 100 * self.month_to_date / self.budget if self.budget else None

    @property
    def forecast_percent(self) -> float | None:
        return 100 * self.forecast / self.budget if self.budget else None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "costCenter": self.cost_center,
            "currency": self.currency,
            "monthToDate": amount(self.month_to_date),
            "budget": self.budget,
            "percentUsed": _round(self.percent_used),
            "forecast": amount(self.forecast),
            "forecastPercent": _round(self.forecast_percent),
            "apiForecast": amount(self.api_forecast),
            "runOutDay": self.run_out_day.isoformat() if self.run_out_day else None,
            "topServices": [
                {"service": s.service, "cost": amount(s.cost)} for s in self.top_services
            ],
            "finding": self.finding,
            "daily": [{"day": d.isoformat(), "cost": amount(c)} for d, c in self.daily],
            "forecastDaily": [
                {"day": d.isoformat(), "cost": amount(c)} for d, c in self.forecast_daily
            ],
        }


@dataclass(frozen=True)
class Anomaly:
    provider: str
    cost_center: str
    day: date
    cost: float
    baseline: float
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "costCenter": self.cost_center,
            "day": self.day.isoformat(),
            "cost": amount(self.cost),
            "baseline": amount(self.baseline),
            "threshold": amount(self.threshold),
        }


@dataclass(frozen=True)
class CostReport:
    stack: str | None
    month: Month
    through: date
    """The last day with data (yesterday for the running month)."""
    source: str
    cost_basis: CostBasis
    group_by: str
    """The tag key grouped by, e.g. governance.cost_center."""
    rows: list[CostCenterRow]
    anomalies: list[Anomaly] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    """Files (or API fetches) read this run; files already in the store are not re-read."""
    notes: list[str] = field(default_factory=list)
    """What the run decided that the reader should know: copies counted once, files without
    tags, a month without data, sources in the store this run did not use."""

    forecast_method: str = FORECAST_METHOD
    anomaly_method: str = ANOMALY_METHOD
    tenancy: str | None = None
    """The stack's tenancy (what `cost enforce --spend` checks the report against)."""

    def totals(self) -> list[TagTotal]:
        """Spend per tag value and currency across providers (amounts in two currencies are
        never added)."""
        sums: dict[tuple[str, str], list[CostCenterRow]] = {}
        for r in self.rows:
            sums.setdefault((r.cost_center, r.currency), []).append(r)
        return [
            TagTotal(
                value,
                currency,
                sum(r.month_to_date for r in rows),
                sum(r.forecast for r in rows),
                tuple(sorted({r.provider for r in rows})),
            )
            for (value, currency), rows in sorted(sums.items())
        ]

    def row(self, cost_center: str, provider: str = "oci") -> CostCenterRow | None:
        """The row of a cost center (None when the report has none)."""
        return next(
            (r for r in self.rows if r.cost_center == cost_center and r.provider == provider),
            None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "tenancy": self.tenancy,
            "month": str(self.month),
            "through": self.through.isoformat(),
            "source": self.source,
            "costBasis": self.cost_basis,
            "groupBy": self.group_by,
            "forecastMethod": self.forecast_method,
            "anomalyMethod": self.anomaly_method,
            "rows": [
                {"tagKey": self.group_by, "tagValue": r.cost_center, **r.to_json()}
                for r in self.rows
            ],
            "totals": [t.to_json(self.group_by) for t in self.totals()],
            "anomalies": [a.to_json() for a in self.anomalies],
            "findings": self.findings,
            "loaded": self.loaded,
            "notes": self.notes,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


AMOUNT_DECIMALS = 6
"""Amounts in JSON and CSV: what the cost lines carry (tables show 2 decimals)."""


def amount(value: float | None) -> float | None:
    """An amount for JSON or CSV: full precision to AMOUNT_DECIMALS; never NaN (a non-finite
    sum is a bug: the loads refuse non-finite lines)."""
    if value is None:
        return None
    if not math.isfinite(value):
        raise ValueError(f"a non-finite amount reached the report: {value}")
    return round(value, AMOUNT_DECIMALS)


@dataclass(frozen=True)
class TagTotal:
    """One tag value's spend in one currency, across providers."""

    tag_value: str
    currency: str
    month_to_date: float
    forecast: float
    providers: tuple[str, ...]

    def to_json(self, tag_key: str) -> dict[str, Any]:
        return {
            "tagKey": tag_key,
            "tagValue": self.tag_value,
            "currency": self.currency,
            "monthToDate": amount(self.month_to_date),
            "forecast": amount(self.forecast),
            "providers": list(self.providers),
        }


@dataclass(frozen=True)
class Grouping:
    """Which tag the report groups by, and the keys it is found under per provider."""

    label: str
    oci_keys: tuple[str, ...]
    other_keys: tuple[str, ...]
    usage_api_tag: tuple[str, str]
    is_cost_center: bool


def grouping(tag_key: str | None, namespace: str) -> Grouping:
    """`--tag KEY`: a defined tag `ns.key` or a key (in the governance namespace, or
    free-form); default the governance namespace's cost_center."""
    key = tag_key or COST_CENTER_KEY
    if not key.replace("_", "").replace("-", "").replace(".", "").replace(":", "").isalnum():
        raise GuardrailsError(f"--tag {key!r}: a tag key is letters, digits, _, -, . and :")
    if "." in key:
        ns, _, short = key.partition(".")
        oci_keys: tuple[str, ...] = (key,)
    else:
        ns, short = namespace, key
        oci_keys = (f"{namespace}.{key}", key)
    return Grouping(
        label=f"{ns}.{short}",
        oci_keys=oci_keys,
        other_keys=(short, f"user:{short}"),
        usage_api_tag=(ns, short),
        is_cost_center=short == COST_CENTER_KEY and ns == namespace,
    )


def _series(costs: Iterable[DailyCost], basis: CostBasis) -> dict[date, float]:
    series: dict[date, float] = defaultdict(float)
    for c in costs:
        series[c.day] += _amount(c, basis)
    return dict(series)


def _amount(cost: DailyCost, basis: CostBasis) -> float:
    if basis == "effective":
        if cost.effective is None:
            raise GuardrailsError(
                "--basis effective needs FOCUS data (EffectiveCost); the classic cost report "
                "and the Usage API give the billed cost only"
            )
        return cost.effective
    return cost.billed


def _row(
    provider: str,
    name: str,
    costs: list[DailyCost],
    budget: float | None,
    options: ReportOptions,
    finding: str | None = None,
    api_forecast: float | None = None,
) -> CostCenterRow:
    month, through = options.month, options.through
    series = _series(costs, options.basis)
    in_month = {d: v for d, v in series.items() if month.contains(d) and d <= through}
    predicted = forecast.forecast_month(series, through, month)
    by_service: dict[str, float] = defaultdict(float)
    for c in costs:
        if month.contains(c.day) and c.day <= through:
            by_service[c.service] += _amount(c, options.basis)
    top = sorted(by_service.items(), key=lambda kv: (-kv[1], kv[0]))[: options.top]
    remaining_start = max(through, month.first - timedelta(days=1)) + timedelta(days=1)
    return CostCenterRow(
        provider=provider,
        cost_center=name,
        currency=next((c.currency for c in costs if c.currency), options.currency(provider)),
        month_to_date=predicted.month_to_date,
        budget=budget,
        forecast=predicted.total,
        run_out_day=(
            forecast.run_out_day(series, predicted, through, month, budget) if budget else None
        ),
        top_services=tuple(ServiceCost(s, v) for s, v in top),
        finding=finding,
        api_forecast=(predicted.month_to_date + api_forecast if api_forecast is not None else None),
        daily=tuple(sorted(in_month.items())),
        forecast_daily=tuple(
            (remaining_start + timedelta(days=i), v) for i, v in enumerate(predicted.remaining)
        ),
    )


@dataclass(frozen=True)
class ReportOptions:
    month: Month
    through: date
    basis: CostBasis = "billed"
    top: int = TOP_SERVICES
    currencies: dict[str, str] = field(default_factory=dict)

    def currency(self, provider: str) -> str:
        return self.currencies.get(provider, "")


def stack_budget(budgets: BudgetsConfig | None, name: str, provider: str) -> float | None:
    """`monthly` for OCI spend, `awsMonthly` for AWS spend; None for other providers."""
    if budgets is None or name not in budgets.costCenters:
        return None
    entry = budgets.costCenters[name]
    value = {"oci": entry.monthly, "aws": entry.awsMonthly}.get(provider)
    return float(value) if value is not None else None


def _stray_finding(strays: Sequence[str]) -> str:
    parts = ["untagged"] if "" in strays else []
    unknown = [n for n in strays if n]
    if unknown:
        parts.append("unknown cost_center " + ", ".join(unknown))
    return " and ".join(parts)


def _budget_findings(rows: Sequence[CostCenterRow]) -> list[str]:
    findings = []
    for row in rows:
        where = f"{row.provider.upper()} {row.cost_center}"
        if row.budget and row.month_to_date >= row.budget:
            findings.append(
                f"{where}: over budget ({row.month_to_date:,.2f} of {row.budget:,.0f} "
                f"{row.currency})"
            )
        elif row.budget and row.forecast >= row.budget:
            when = f", runs out on {row.run_out_day.isoformat()}" if row.run_out_day else ""
            findings.append(
                f"{where}: forecast {row.forecast:,.2f} exceeds the budget of "
                f"{row.budget:,.0f} {row.currency}{when}"
            )
    return findings


def compose_report(
    costs: Sequence[DailyCost],
    config: StackConfig | None,
    options: ReportOptions,
    *,
    stack: str | None,
    source: str,
    group: Grouping,
    api_forecast: dict[str, float] | None = None,
    loaded: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> CostReport:
    """Rows, anomalies and findings from daily costs (pure: no I/O).

    With a stack (grouping by cost center) every cost center of `governance.costCenters`
    gets a row with its budget, and spend without the tag or with a value not in the list
    is one row, a finding. Without a stack every tag value is a row.
    """
    by_cost_center = config is not None and group.is_cost_center
    budgets = config.budgets if by_cost_center and config is not None else None
    known = list(config.governance.costCenters) if by_cost_center and config else None
    currencies = {c.provider: c.currency for c in costs if c.currency}
    options = ReportOptions(options.month, options.through, options.basis, options.top, currencies)
    by_provider: dict[str, dict[str, list[DailyCost]]] = defaultdict(lambda: defaultdict(list))
    for c in costs:
        by_provider[c.provider][c.group].append(c)
    # AWS rows only with AWS data: a budget against spend never loaded would read as 0
    providers = sorted(
        set(by_provider) | ({"oci"} if known else set()), key=lambda p: (p != "oci", p)
    )

    def predicted(provider: str, names: Sequence[str]) -> float | None:
        if provider != "oci" or api_forecast is None:
            return None
        return sum(api_forecast.get(n, 0.0) for n in names)

    rows: list[CostCenterRow] = []
    findings: list[str] = []
    for provider in providers:
        groups = by_provider.get(provider, {})
        if known is None:
            for name in sorted(groups, key=lambda n: (n == "", n)):
                finding = None if name else f"spend without a {group.label} tag"
                rows.append(
                    _row(
                        provider,
                        name or UNTAGGED,
                        groups[name],
                        None,
                        options,
                        finding,
                        predicted(provider, [name]),
                    )
                )
            continue
        for name in known:
            budget = stack_budget(budgets, name, provider)
            if provider == "oci" or name in groups or budget is not None:
                rows.append(
                    _row(
                        provider,
                        name,
                        groups.get(name, []),
                        budget,
                        options,
                        api_forecast=predicted(provider, [name]),
                    )
                )
        strays = sorted(n for n in groups if n not in known)
        if strays:
            finding = _stray_finding(strays)
            row = _row(
                provider,
                UNTAGGED_OR_UNKNOWN,
                [c for n in strays for c in groups[n]],
                None,
                options,
                finding,
                predicted(provider, strays),
            )
            rows.append(row)
            findings.append(
                f"{provider.upper()}: {row.month_to_date:,.2f} {row.currency} of spend this "
                f"month is {finding} (not counted against any budget)"
            )
    month_days = [
        d
        for d in (options.month.day(i + 1) for i in range(options.month.days))
        if d <= options.through
    ]
    found: list[Anomaly] = []
    for provider in providers:
        for name, group_costs in sorted(by_provider.get(provider, {}).items()):
            label = name or (UNTAGGED if known is None else UNTAGGED_OR_UNKNOWN)
            for a in anomalies.find_anomalies(_series(group_costs, options.basis), month_days):
                found.append(Anomaly(provider, label, a.day, a.cost, a.baseline, a.threshold))
    findings += _budget_findings(rows)
    return CostReport(
        stack=stack,
        month=options.month,
        through=options.through,
        source=source,
        cost_basis=options.basis,
        group_by=group.label,
        rows=rows,
        anomalies=found,
        findings=findings,
        loaded=list(loaded),
        notes=list(notes),
        tenancy=config.tenancyOcid if config is not None else None,
    )
