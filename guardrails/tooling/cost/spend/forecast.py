"""Forecast of a month's spend: a weekday-adjusted run rate with a robust trend.

Method (stated in every report):
1. Weekday factors from the last 28 days of history (this month and the one before): the
   median cost of each weekday over the mean of the seven medians, when there are at least
   7 days (fewer: no weekday effect).
2. The level: the median of the last 7 days' weekday-adjusted costs (a one-day spike does
   not move a median).
3. The trend: the Theil-Sen slope (median of pairwise slopes) of the weekday-adjusted costs
   over the same 28 days, capped at +-3 % of the level per day.
4. Each remaining day of the month: (level + slope x days since the level's mid-point) x its
   weekday factor, never below zero. Month forecast = month to date + the remaining days.

Backtested on generated months (tests/test_cost_forecast.py and docs/benchmarks.md): the
error of the month total at day 10 and day 20 is stated there.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from guardrails.tooling.cost.month import Month

METHOD = (
    "weekday-adjusted run rate: median of the last 7 days' weekday-adjusted cost, "
    "Theil-Sen trend over 28 days (capped at 3 %/day), weekday factors from 28 days"
)
HISTORY_DAYS = 28
LEVEL_DAYS = 7
MIN_DAYS_FOR_WEEKDAYS = 7
MAX_RELATIVE_SLOPE = 0.03


@dataclass(frozen=True)
class MonthForecast:
    month_to_date: float
    remaining: tuple[float, ...]
    """Forecast cost of each day after `through` to the month's end."""

    @property
    def total(self) -> float:
        return self.month_to_date + sum(self.remaining)


def weekday_factors(history: Mapping[date, float]) -> list[float]:
    """Each weekday's median cost over the mean of the seven medians (medians, so that one
    spike does not make its weekday look expensive)."""
    if len(history) < MIN_DAYS_FOR_WEEKDAYS:
        return [1.0] * 7
    medians: list[float | None] = []
    for weekday in range(7):
        values = [v for d, v in history.items() if d.weekday() == weekday]
        medians.append(statistics.median(values) if values else None)
    known = [m for m in medians if m is not None]
    mean = statistics.fmean(known)  # seven days or more: some weekday has a median
    if mean <= 0:
        return [1.0] * 7
    return [m / mean if m is not None and m > 0 else 1.0 for m in medians]


def _theil_sen(points: list[tuple[int, float]]) -> float:
    slopes = [
        (y2 - y1) / (x2 - x1)
        for i, (x1, y1) in enumerate(points)
        for x2, y2 in points[i + 1 :]
        if x2 != x1
    ]
    return statistics.median(slopes) if slopes else 0.0


def forecast_month(daily: Mapping[date, float], through: date, month: Month) -> MonthForecast:
    """Forecast the month from daily costs (days without an entry cost 0 within the month)."""
    month_to_date = sum(v for d, v in daily.items() if month.contains(d) and d <= through)
    remaining_days = [
        month.first + timedelta(days=i)
        for i in range(month.days)
        if month.first + timedelta(days=i) > through
    ]
    start = through - timedelta(days=HISTORY_DAYS - 1)
    history = {
        start + timedelta(days=i): daily.get(start + timedelta(days=i), 0.0)
        for i in range(HISTORY_DAYS)
        if start + timedelta(days=i) >= month.first or start + timedelta(days=i) in daily
    }
    if not remaining_days or not history:
        return MonthForecast(month_to_date, tuple(0.0 for _ in remaining_days))
    factors = weekday_factors(history)
    adjusted = {d: v / factors[d.weekday()] for d, v in history.items()}
    recent = sorted(adjusted)[-LEVEL_DAYS:]
    level = statistics.median(adjusted[d] for d in recent)
    mid = recent[len(recent) // 2]
    slope = _theil_sen([((d - mid).days, v) for d, v in sorted(adjusted.items())])
    cap = MAX_RELATIVE_SLOPE * abs(level)
    slope = max(-cap, min(cap, slope))
    remaining = tuple(
        max(0.0, (level + slope * (d - mid).days) * factors[d.weekday()]) for d in remaining_days
    )
    return MonthForecast(month_to_date, remaining)


def run_out_day(
    daily: Mapping[date, float],
    forecast: MonthForecast,
    through: date,
    month: Month,
    budget: float,
) -> date | None:
    """The day cumulative spend reaches the budget: already passed (actuals) or ahead (the
    forecast); None when it stays under the budget this month."""
    total = 0.0
    day = month.first
    while day <= min(through, month.last):
        total += daily.get(day, 0.0)
        if total >= budget:
            return day
        day += timedelta(days=1)
    for cost in forecast.remaining:
        total += cost
        if total >= budget:
            return day
        day += timedelta(days=1)
    return None
