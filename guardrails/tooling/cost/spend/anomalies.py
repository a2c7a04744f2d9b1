"""Anomalous days: spend far above a cost center's recent normal.

Method (stated in every report): costs are first divided by their weekday's factor (the
forecast's weekday factors over the 28 days before the day), so a Sunday is compared with a
normal Sunday; then a day is anomalous when its adjusted cost exceeds
`median + K x max(1.4826 x MAD, FLOOR x median)` of the trailing 14 adjusted days (at least
7 days of history), i.e. a modified z-score above 3.5 (Iglewicz and Hoaglin). 1.4826 x MAD
estimates the standard deviation robustly, so the spike itself and a few earlier spikes do
not raise the bar; the floor keeps a flat series from flagging a 1 % wobble. Baseline and
threshold are reported back in the day's own (unadjusted) terms.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from guardrails.tooling.cost.spend.forecast import HISTORY_DAYS, weekday_factors

K = 3.5
WINDOW_DAYS = 14
MIN_HISTORY_DAYS = 7
FLOOR = 0.05
METHOD = (
    f"weekday-adjusted cost > median + {K} x max(1.4826 x MAD, {FLOOR:.0%} of median) "
    f"over the trailing {WINDOW_DAYS} days (at least {MIN_HISTORY_DAYS} days of history)"
)


@dataclass(frozen=True)
class DayAnomaly:
    day: date
    cost: float
    baseline: float
    """The trailing median."""
    threshold: float


def find_anomalies(daily: Mapping[date, float], days: Iterable[date]) -> list[DayAnomaly]:
    """The anomalous days among `days` (missing days in the history cost 0 when the series
    has any value before them)."""
    first = min(daily) if daily else None
    found: list[DayAnomaly] = []
    for day in days:
        before = [
            day - timedelta(days=i)
            for i in range(1, HISTORY_DAYS + 1)
            if first is not None and day - timedelta(days=i) >= first
        ]
        if len(before) < MIN_HISTORY_DAYS:
            continue
        factors = weekday_factors({d: daily.get(d, 0.0) for d in before})
        history = [daily.get(d, 0.0) / factors[d.weekday()] for d in before[:WINDOW_DAYS]]
        median = statistics.median(history)
        mad = statistics.median(abs(v - median) for v in history)
        factor = factors[day.weekday()]
        threshold = (median + K * max(1.4826 * mad, FLOOR * median)) * factor
        cost = daily.get(day, 0.0)
        if cost > threshold and cost > 0:
            found.append(DayAnomaly(day, cost, median * factor, threshold))
    return found
