"""Forecast backtest on generated months, anomalies on planted spikes, run-out day."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest

from guardrails.tooling.cost.month import Month
from guardrails.tooling.cost.spend.anomalies import find_anomalies
from guardrails.tooling.cost.spend.forecast import MonthForecast, forecast_month, run_out_day
from tests.cost_data import CostMonth, Spike

MONTHS = [(2026, 2), (2026, 3), (2026, 6), (2026, 9), (2026, 10)]
CENTERS = ("CC-101", "CC-202", "CC-303")


def backtest(day: int, spikes: tuple[Spike, ...] = ()) -> list[float]:
    """Relative error of the month total forecast on `day`, per generated month and center."""
    errors = []
    for seed in range(6):
        for year, number in MONTHS:
            month = Month(year, number)
            truth = CostMonth(year, number, month.days, seed=seed, spikes=spikes)
            for center in CENTERS:
                series = truth.daily_totals(center)
                daily = {month.day(i + 1): v for i, v in enumerate(series) if i < day}
                predicted = forecast_month(daily, month.day(day), month)
                errors.append(abs(predicted.total - sum(series)) / sum(series))
    return errors


@pytest.mark.parametrize(("day", "mean_bound", "max_bound"), [(10, 0.03, 0.06), (20, 0.01, 0.025)])
def test_backtest_error_at_day_10_and_20(day: int, mean_bound: float, max_bound: float) -> None:
    errors = backtest(day)
    assert statistics.fmean(errors) < mean_bound
    assert max(errors) < max_bound


def test_a_past_spike_does_not_inflate_the_forecast() -> None:
    """A 4x day on day 18 is in the history at day 20; the median level ignores it."""
    with_spike = backtest(20, (Spike("CC-202", 18, 4.0),))
    without = backtest(20)
    # the spike is in the month's truth (known by day 20): errors stay as small
    assert statistics.fmean(with_spike) < 0.01 + statistics.fmean(without)


def test_no_history_forecasts_nothing_more() -> None:
    month = Month(2026, 11)
    predicted = forecast_month({}, month.first - timedelta(days=1), month)
    assert predicted.total == 0
    assert len(predicted.remaining) == 30


def test_a_finished_month_has_nothing_left_to_forecast() -> None:
    month = Month(2026, 10)
    daily = {month.day(d): 10.0 for d in range(1, 32)}
    predicted = forecast_month(daily, month.last, month)
    assert predicted.remaining == ()
    assert predicted.total == 310.0


def test_run_out_day_ahead_and_already_passed() -> None:
    month = Month(2026, 11)
    daily = {month.day(d): 100.0 for d in range(1, 11)}
    predicted = MonthForecast(1000.0, tuple([100.0] * 20))
    assert run_out_day(daily, predicted, month.day(10), month, 1500) == month.day(15)
    assert run_out_day(daily, predicted, month.day(10), month, 450) == month.day(5)
    assert run_out_day(daily, predicted, month.day(10), month, 5000) is None


# -- anomalies -------------------------------------------------------------------------


def _series(truth: CostMonth, center: str) -> dict[date, float]:
    return {
        truth.first_day + timedelta(days=i): v for i, v in enumerate(truth.daily_totals(center))
    }


@pytest.mark.parametrize("seed", range(5))
def test_planted_spikes_are_found_and_nothing_else(seed: int) -> None:
    spikes = (Spike("CC-101", 12, 2.0), Spike("CC-202", 18, 4.0), Spike("CC-303", 25, 1.7))
    truth = CostMonth(2026, 10, 31, seed=seed, spikes=spikes)
    days = [truth.first_day + timedelta(days=i) for i in range(31)]
    for center in CENTERS:
        found = find_anomalies(_series(truth, center), days)
        expected = [
            truth.first_day + timedelta(days=s.day - 1) for s in spikes if s.cost_center == center
        ]
        assert [a.day for a in found] == expected, (center, found)


def test_a_small_rise_is_not_an_anomaly() -> None:
    truth = CostMonth(2026, 10, 31, spikes=(Spike("CC-101", 20, 1.1),))
    days = [truth.first_day + timedelta(days=i) for i in range(31)]
    assert find_anomalies(_series(truth, "CC-101"), days) == []


def test_anomalies_need_seven_days_of_history() -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 7)} | {date(2026, 10, 7): 100.0}
    assert find_anomalies(daily, list(daily)) == []
    daily[date(2026, 10, 8)] = 100.0
    assert [a.day for a in find_anomalies(daily, list(daily))] == [date(2026, 10, 8)]


def test_a_flat_series_has_a_floor() -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 20)}
    daily[date(2026, 10, 20)] = 11.0  # +10 %: MAD is 0, the 5 % floor keeps it normal
    assert find_anomalies(daily, [date(2026, 10, 20)]) == []
    daily[date(2026, 10, 20)] = 12.0  # +20 % > 3.5 x 5 %
    assert len(find_anomalies(daily, [date(2026, 10, 20)])) == 1
