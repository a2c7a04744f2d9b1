"""Boundaries the cost maths and schedule matching must hold exactly: each test fails on a
one-token change of the code (a `<` for a `<=`, a window of 28 for 14, a cap removed), the
mutants the issue's review found surviving. Rule limits are in tests/policy_cases.py (at,
just below and just above each)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from guardrails.tooling.cost.month import Month
from guardrails.tooling.cost.spend.anomalies import find_anomalies
from guardrails.tooling.cost.spend.forecast import forecast_month
from guardrails.tooling.cost.spend.report import CostCenterRow, _budget_findings
from policies.model import Resource
from policies.pricing.schedules import Schedule, selects

THROUGH = date(2026, 10, 10)
MONTH = Month(2026, 10)


def test_a_steep_trend_is_extrapolated_at_most_three_percent_of_the_level_a_day() -> None:
    # a ramp of 10 a day for four weeks: its own slope is 4 % of the recent level a day
    daily = {THROUGH - timedelta(days=i): 10.0 * (28 - i) for i in range(28)}
    rest = forecast_month(daily, THROUGH, MONTH).remaining
    straight_on = sum(10.0 * (28 + k) for k in range(1, len(rest) + 1))  # the ramp continued
    assert len(rest) == 21
    assert sum(rest) < 0.95 * straight_on  # capped
    assert sum(rest) > 0.85 * straight_on  # but still rising: a cap, not a flat line
    assert list(rest) == sorted(rest) or max(rest) > rest[0]


def test_anomalies_compare_with_the_last_fourteen_days_only() -> None:
    day = THROUGH
    daily = {day - timedelta(days=i): 100.0 for i in range(1, 15)}  # two quiet weeks
    daily |= {day - timedelta(days=i): 1000.0 for i in range(15, 29)}  # a busy fortnight before
    daily[day] = 300.0
    (found,) = find_anomalies(daily, [day])
    assert (found.day, found.baseline) == (day, pytest.approx(100.0))


def test_a_normal_day_after_a_busy_fortnight_is_no_anomaly() -> None:
    day = THROUGH
    daily = {day - timedelta(days=i): 1000.0 for i in range(1, 15)}
    daily |= {day - timedelta(days=i): 100.0 for i in range(15, 29)}
    daily[day] = 1000.0
    assert find_anomalies(daily, [day]) == []


def _row(month_to_date: float, forecast: float) -> CostCenterRow:
    return CostCenterRow("oci", "CC-101", "EUR", month_to_date, 1000.0, forecast, None, ())


@pytest.mark.parametrize(
    ("spent", "forecast", "finding"),
    [
        (1000.0, 1000.0, "OCI CC-101: over budget (1,000.00 of 1,000 EUR)"),
        (999.99, 1000.0, "OCI CC-101: forecast 1,000.00 exceeds the budget of 1,000 EUR"),
        (999.99, 999.99, None),
    ],
    ids=["spent-exactly-the-budget", "forecast-exactly-the-budget", "just-under"],
)
def test_spend_exactly_at_the_budget_is_over_it(
    spent: float, forecast: float, finding: str | None
) -> None:
    assert _budget_findings([_row(spent, forecast)]) == ([finding] if finding else [])


def _schedule(*filters: dict[str, object]) -> Schedule:
    props = {"action": "STOP_RESOURCE", "resourceFilters": list(filters)}
    resource = Resource("oci:ResourceScheduler/schedule:Schedule", "s", "urn:s", props)
    return Schedule("s", "urn:s", "STOP_RESOURCE", (0,), None, resource)


DB = Resource(
    "oci:Database/autonomousDatabase:AutonomousDatabase",
    "db",
    "urn:db",
    {"compartmentId": "c1", "definedTags": {"governance.environment": "dev"}},
)


@pytest.mark.parametrize(
    ("attribute", "selected"),
    [
        ("LIFECYCLE_STATE", True),  # cannot be judged before deploy: does not exclude
        ("TIME_CREATED", True),
        ("SOMETHING_NEW", False),  # an attribute we do not know never counts as a match
        ("", False),
    ],
)
def test_schedule_filter_attributes(attribute: str, selected: bool) -> None:
    schedule = _schedule(
        {"attribute": "COMPARTMENT_ID", "values": [{"value": "c1"}]},
        {"attribute": attribute, "values": [{"value": "x"}]},
    )
    assert selects(schedule, DB) is selected


def test_a_schedule_of_another_compartment_does_not_select() -> None:
    schedule = _schedule({"attribute": "COMPARTMENT_ID", "values": [{"value": "c2"}]})
    assert selects(schedule, DB) is False


def test_month_to_date_counts_only_the_month_through_its_last_day() -> None:
    daily = {date(2026, 9, 30): 1000.0, date(2026, 10, 1): 1.0, THROUGH: 2.0}
    daily[THROUGH + timedelta(days=1)] = 500.0  # after the report's last day
    assert forecast_month(daily, THROUGH, MONTH).month_to_date == 3.0


@pytest.mark.parametrize(
    ("value", "selected"),
    [("AutonomousDatabase", True), ("autonomousdatabase", True), ("Instance", False)],
)
def test_schedule_resource_type_filter(value: str, selected: bool) -> None:
    schedule = _schedule({"attribute": "RESOURCE_TYPE", "values": [{"value": value}]})
    assert selects(schedule, DB) is selected
