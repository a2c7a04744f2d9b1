"""Boundaries the cost maths and schedule matching must hold exactly: each test fails on a
one-token change of the code (a `<` for a `<=`, a window of 28 for 14, a cap removed), the
mutants the issue's review found surviving. Rule limits are in tests/policy_cases.py (at,
just below and just above each)."""

from __future__ import annotations

from collections.abc import Callable
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
    return Schedule("s", "STOP_RESOURCE", (0,), None, resource)


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


# --- the forecast's parts, each to its exact value (mutants of weekday_factors, _theil_sen,
# forecast_month and run_out_day change one of these numbers) ------------------------------

from guardrails.tooling.cost.spend.forecast import _theil_sen, run_out_day, weekday_factors  # noqa: E402

MONDAY = date(2026, 10, 5)


def _week(costs: list[float], start: date = MONDAY) -> dict[date, float]:
    return {start + timedelta(days=i): c for i, c in enumerate(costs)}


def test_weekday_factors_need_seven_days() -> None:
    assert weekday_factors(_week([20, 10, 10, 10, 10, 10])) == [1.0] * 7  # six days: none
    factors = weekday_factors(_week([20, 10, 10, 10, 10, 10, 10]))
    assert factors == pytest.approx([20 / (80 / 7)] + [10 / (80 / 7)] * 6)


def test_weekday_factors_of_a_zero_or_missing_weekday_are_one() -> None:
    factors = weekday_factors(_week([10, 10, 10, 10, 10, 10, 0]))  # nothing on Sunday
    assert factors == pytest.approx([10 / (60 / 7)] * 6 + [1.0])
    two_mondays = _week([10, 10, 10, 10, 10, 10]) | {MONDAY + timedelta(days=7): 30.0}
    factors = weekday_factors(two_mondays)  # no Sunday at all; Monday's median is 20
    assert factors == pytest.approx([20 / (70 / 6)] + [10 / (70 / 6)] * 5 + [1.0])
    assert weekday_factors(_week([0.0] * 7)) == [1.0] * 7


def test_theil_sen_is_the_median_pairwise_slope_skipping_equal_x() -> None:
    assert _theil_sen([(0, 0.0), (1, 1.0), (2, 10.0)]) == 5.0  # slopes 1, 5, 9
    assert _theil_sen([(0, 1.0), (0, 5.0), (1, 2.0)]) == -1.0  # slopes 1 and -3
    assert _theil_sen([(3, 4.0)]) == 0.0


def test_a_gentle_trend_is_extrapolated_from_the_level_s_mid_point() -> None:
    # six days, 10.0 rising 0.2 a day: too few for weekday factors; level 10.5 (median),
    # mid-point the 4th day, slope 0.2 (under the 3 % cap of 0.315)
    daily = {date(2026, 10, 1) + timedelta(days=i): 10.0 + 0.2 * i for i in range(6)}
    forecast = forecast_month(daily, date(2026, 10, 6), MONTH)
    assert forecast.month_to_date == pytest.approx(63.0)
    assert len(forecast.remaining) == 25
    assert forecast.remaining[0] == pytest.approx(10.5 + 0.2 * 3)  # 7 Oct, 3 days after mid
    assert forecast.remaining[-1] == pytest.approx(10.5 + 0.2 * 27)  # 31 Oct
    assert forecast.total == pytest.approx(63.0 + 337.5)


def test_days_before_the_month_count_only_when_the_data_has_them() -> None:
    flat = {date(2026, 10, 1) + timedelta(days=i): 10.0 for i in range(10)}
    # September absent: not zeros (which would make a rising trend out of nothing)
    assert forecast_month(flat, THROUGH, MONTH).remaining == (10.0,) * 21
    with_zeros = flat | {date(2026, 9, 30) - timedelta(days=i): 0.0 for i in range(18)}
    rising = forecast_month(with_zeros, THROUGH, MONTH).remaining
    assert rising[0] > 10.0  # September's real zeros are history


def test_month_to_date_and_the_remaining_days_stop_at_the_month() -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 11)}
    daily |= {date(2026, 9, 30): 999.0, date(2026, 10, 12): 999.0}  # outside, after through
    forecast = forecast_month(daily, THROUGH, MONTH)
    assert forecast.month_to_date == 100.0
    assert len(forecast.remaining) == 21


def test_credits_never_forecast_negative_spend() -> None:
    # a cost center running on credits: the level is negative, each day is clamped at zero
    daily = {date(2026, 10, 1) + timedelta(days=i): -10.0 for i in range(6)}
    forecast = forecast_month(daily, date(2026, 10, 6), MONTH)
    assert forecast.remaining == (0.0,) * 25
    assert forecast.month_to_date == -60.0


@pytest.mark.parametrize(
    ("budget", "day"),
    [
        (30.0, date(2026, 10, 3)),  # reached exactly on the 3rd: that day
        (30.0001, date(2026, 10, 4)),
        (100.0, date(2026, 10, 10)),  # the last day of actuals
        (150.0, date(2026, 10, 15)),  # on the forecast: 100 + 5 x 10
        (310.0, date(2026, 10, 31)),  # exactly the month's forecast
        (310.01, None),
    ],
)
def test_run_out_day(budget: float, day: date | None) -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 11)}
    forecast = forecast_month(daily, THROUGH, MONTH)
    assert run_out_day(daily, forecast, THROUGH, MONTH, budget) == day


# --- anomalies: the threshold to its exact value ----------------------------------------


def _steady(day: date, cost: float = 100.0, days: int = 28) -> dict[date, float]:
    return {day - timedelta(days=i): cost for i in range(1, days + 1)}


def test_an_anomaly_is_strictly_above_median_plus_k_times_the_floor() -> None:
    day = THROUGH
    threshold = 100.0 + 3.5 * 0.05 * 100.0  # MAD is 0: the 5 % floor decides: 117.5
    (found,) = find_anomalies(_steady(day) | {day: 117.51}, [day])
    assert (found.cost, found.baseline, found.threshold) == (
        117.51, pytest.approx(100.0), pytest.approx(threshold)
    )  # fmt: skip
    assert find_anomalies(_steady(day) | {day: 117.5}, [day]) == []  # at it: not above


def test_the_mad_widens_the_threshold_when_days_vary() -> None:
    day = THROUGH
    varied = {day - timedelta(days=i): (90.0 if i % 2 else 110.0) for i in range(1, 29)}
    # weekday-adjusted these stay 90/110 alternating (each weekday sees both); median 100,
    # MAD 10: threshold 100 + 3.5 x 14.826 = 151.89
    (found,) = find_anomalies(varied | {day: 152.0}, [day])
    assert found.threshold == pytest.approx(100.0 + 3.5 * 1.4826 * 10.0, rel=1e-3)
    assert find_anomalies(varied | {day: 151.0}, [day]) == []


def test_seven_days_of_history_are_enough_six_are_not() -> None:
    day = THROUGH
    assert find_anomalies(_steady(day, days=6) | {day: 1000.0}, [day]) == []
    (found,) = find_anomalies(_steady(day, days=7) | {day: 1000.0}, [day])
    assert found.day == day


def test_a_day_costing_nothing_is_never_an_anomaly() -> None:
    day = THROUGH
    assert (
        find_anomalies({day - timedelta(days=i): 0.0 for i in range(1, 15)} | {day: 0.0}, [day])
        == []
    )


# --- Resource Scheduler schedules: cron, parsing, selection, the stopped share -------------

from policies.pricing.schedules import cron_times, parse_schedules, stopped_share  # noqa: E402

DAY = 1440


@pytest.mark.parametrize(
    ("expression", "times"),
    [
        ("0 19 * * 1-5", tuple(d * DAY + 19 * 60 for d in range(1, 6))),
        ("*/30 8 * * 0", (8 * 60, 8 * 60 + 30)),  # Sunday is 0 ...
        ("0 7 * * 7", (7 * 60,)),  # ... and 7
        ("0 0-23/6 * * 1", tuple(DAY + h * 60 for h in (0, 6, 12, 18))),
        ("5/20 1 * * 1", tuple(DAY + 60 + m for m in (5, 25, 45))),  # a start with a step
        ("0 8-10 * * 1", tuple(DAY + h * 60 for h in (8, 9, 10))),
        ("0 8 * * 1,3", (DAY + 480, 3 * DAY + 480)),
        ("59 23 * * 6", (6 * DAY + 23 * 60 + 59,)),  # the last minute of the week
    ],
)
def test_cron_times(expression: str, times: tuple[int, ...]) -> None:
    assert cron_times(expression) == (times, None)


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("0 8 * *", "is not a five-field cron expression"),
        ("0 8 * * * *", "is not a five-field cron expression"),
        ("0 8 1 * *", "restricts day of month or month"),
        ("0 8 * 6 *", "restricts day of month or month"),
        ("0 24 * * 1", "is not understood"),
        ("60 8 * * 1", "is not understood"),
        ("0 8 * * 8", "is not understood"),
        ("0 8 * * 5-1", "is not understood"),
        ("*/0 8 * * 1", "is not understood"),
        ("*/a 8 * * 1", "is not understood"),
        ("0 8 * * mon", "is not understood"),
        ("0 8-x * * 1", "is not understood"),
    ],
)
def test_cron_expressions_not_read(expression: str, why: str) -> None:
    times, problem = cron_times(expression)
    assert times is None and problem == f"recurrence {expression!r} {why}"


def _schedule_resource(name: str = "s", **props: object) -> Resource:
    base = {
        "action": "STOP_RESOURCE",
        "recurrenceType": "CRON",
        "recurrenceDetails": "0 19 * * 1-5",
    }
    return Resource(type=SCHEDULE_TYPE, name=name, urn=f"urn:{name}", props={**base, **props})


SCHEDULE_TYPE = "oci:ResourceScheduler/schedule:Schedule"


def test_parse_schedules_reads_stop_and_start_and_says_what_it_cannot_read() -> None:
    parsed = parse_schedules([
        _schedule_resource("stop", action="stop_resource"),
        _schedule_resource("start", action="START_RESOURCE", recurrenceDetails="0 7 * * 1-5"),
        _schedule_resource("ical", recurrenceType="ICAL", recurrenceDetails="FREQ=DAILY"),
        _schedule_resource("inactive", state="INACTIVE"),
        _schedule_resource("other", action="CHANGE_SHAPE"),
        Resource(type="oci:Core/vcn:Vcn", name="v", urn="urn:v", props={}),
    ])  # fmt: skip
    assert [(s.name, s.action, s.problem) for s in parsed] == [
        ("stop", "STOP_RESOURCE", None),
        ("start", "START_RESOURCE", None),
        ("ical", "STOP_RESOURCE", "recurrence type ICAL is not read (only CRON)"),
    ]
    assert parsed[0].times == tuple(d * DAY + 19 * 60 for d in range(1, 6))
    assert parsed[2].times is None


def _selects(*filters: dict[str, object], resources: list[str] | None = None,
             deps: tuple[str, ...] = ()) -> bool:  # fmt: skip
    props: dict[str, object] = {"resourceFilters": list(filters)}
    if resources is not None:
        props["resources"] = [{"id": r} for r in resources]
    (schedule,) = parse_schedules([
        Resource(type=SCHEDULE_TYPE, name="s", urn="urn:s", dependencies=deps,
                 props={"action": "STOP_RESOURCE", "recurrenceDetails": "0 19 * * 1-5", **props})
    ])  # fmt: skip
    target = Resource(
        type="oci:Database/autonomousDatabase:AutonomousDatabase", name="db", urn="urn:db",
        props={"compartmentId": "c1", "definedTags": {"gov.environment": "dev"}},
    )  # fmt: skip
    return selects(schedule, target)


def test_selection_by_resource_list_and_by_filters() -> None:
    assert _selects(resources=["ocid"], deps=("urn:db",))
    assert not _selects(resources=["ocid"], deps=("urn:other",))  # listed, not this one
    assert not _selects()  # no filter, no list: selects nothing
    env = {"attribute": "DEFINED_TAGS", "values": [{"namespace": "gov", "tagKey": "environment", "value": "dev"}]}  # fmt: skip
    assert _selects(env)
    assert _selects({**env, "attribute": "defined_tags"})  # the attribute in any case
    assert not _selects({**env, "values": [{"namespace": "gov", "tagKey": "environment", "value": "prod"}]})  # fmt: skip
    assert _selects({"attribute": "COMPARTMENT_ID", "values": [{"value": "c2"}, {"value": "c1"}]})
    assert not _selects({"attribute": "COMPARTMENT_ID", "values": [{"value": "c2"}]})
    assert _selects({"attribute": "RESOURCE_TYPE", "values": [{"value": "AutonomousDatabase"}]})
    assert not _selects({"attribute": "RESOURCE_TYPE", "values": [{"value": "Instance"}]})
    assert _selects(env, {"attribute": "LIFECYCLE_STATE", "values": [{"value": "AVAILABLE"}]})
    assert not _selects(
        env, {"attribute": "COMPARTMENT_ID", "values": [{"value": "c2"}]}
    )  # all must


def test_stopped_share_of_a_working_week() -> None:
    stops = [d * DAY + 19 * 60 for d in range(1, 6)]
    starts = [d * DAY + 7 * 60 for d in range(1, 6)]
    assert stopped_share(stops, starts) == pytest.approx(108 / 168)  # 4 nights + the weekend
    assert stopped_share(stops[:1], []) == 1.0  # stopped once, never started
    assert stopped_share([], starts) == 0.0
    assert stopped_share([DAY], [DAY + 60]) == pytest.approx(1 / 168)  # one hour a week


def test_weekday_factors_of_small_costs_are_real_factors() -> None:
    # a cost center spending cents: a mean below 1 is still a mean
    factors = weekday_factors(_week([0.4, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]))
    assert factors == pytest.approx([0.4 / (1.6 / 7)] + [0.2 / (1.6 / 7)] * 6)


def test_a_day_without_an_entry_inside_the_month_costs_nothing() -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 11) if d != 5}  # the 5th: no entry
    forecast = forecast_month(daily, THROUGH, MONTH)
    assert forecast.month_to_date == 90.0
    # the level is the median of the last 7 days (one of them 0): still 10
    assert forecast.remaining[0] == pytest.approx(10.0, abs=1.0)
    assert run_out_day(daily, forecast, THROUGH, MONTH, 50.0) == date(2026, 10, 6)


def test_the_month_s_first_day_is_history() -> None:
    # only the 1st has a cost: the history is the month so far, the 1st included
    daily = {date(2026, 10, 1): 70.0}
    forecast = forecast_month(daily, date(2026, 10, 2), MONTH)
    assert forecast.month_to_date == 70.0
    # level 35 (median of 70 and 0), falling at the 3 % cap: 35 - 1.05 on the 3rd
    assert forecast.remaining[0] == pytest.approx(33.95)


def test_an_anomaly_window_with_days_missing_counts_them_as_zero() -> None:
    day = THROUGH
    daily = {day - timedelta(days=i): 100.0 for i in range(1, 29) if i % 2}  # every other day
    daily[day] = 120.0
    # history alternates 100 and 0 (missing): median 50, MAD 50 -> threshold ~309: no anomaly
    assert find_anomalies(daily, [day]) == []


def test_parse_schedules_reads_past_what_is_not_a_schedule() -> None:
    parsed = parse_schedules([
        Resource(type="oci:Core/vcn:Vcn", name="v", urn="urn:v", props={}),
        _schedule_resource("other", action="CHANGE_SHAPE"),
        _schedule_resource("inactive", state="INACTIVE"),
        _schedule_resource("stop"),
    ])  # fmt: skip
    assert [s.name for s in parsed] == ["stop"]


def test_a_schedule_that_cannot_be_read_gives_no_savings() -> None:
    from policies.pricing.schedules import off_hours

    target = Resource(type="oci:Database/autonomousDatabase:AutonomousDatabase", name="db",
                      urn="urn:db", props={"compartmentId": "c1"})  # fmt: skip
    by_compartment = [{"attribute": "COMPARTMENT_ID", "values": [{"value": "c1"}]}]
    schedules = parse_schedules([
        _schedule_resource("stop", resourceFilters=by_compartment),
        _schedule_resource("ical", recurrenceType="ICAL", resourceFilters=by_compartment),
    ])  # fmt: skip
    found = off_hours(schedules, target)
    assert found is not None
    assert found.share_stopped == 0.0  # one of them is not understood: no claim at all
    assert found.problems == ("schedule ical: recurrence type ICAL is not read (only CRON)",)
    assert off_hours(schedules[:1], target).share_stopped == 1.0  # type: ignore[union-attr]


def test_a_missing_first_day_of_the_month_is_a_zero_of_its_history() -> None:
    daily = {date(2026, 10, 2): 70.0}  # nothing booked on the 1st
    forecast = forecast_month(daily, date(2026, 10, 2), MONTH)
    assert forecast.remaining[0] == pytest.approx(36.05)  # level 35 = median(0, 70), rising


def test_run_out_day_counts_a_day_without_entry_as_nothing() -> None:
    daily = {date(2026, 10, d): 10.0 for d in range(1, 11) if d != 5}
    forecast = forecast_month(daily, THROUGH, MONTH)
    assert run_out_day(daily, forecast, THROUGH, MONTH, 41.0) == date(2026, 10, 6)


def test_anomaly_baseline_and_threshold_with_missing_days() -> None:
    day = THROUGH
    daily = {day - timedelta(days=i): 100.0 for i in range(1, 29) if i % 2} | {day: 1000.0}
    (found,) = find_anomalies(daily, [day])  # the window: seven 100s, seven 0s (missing)
    assert found.baseline == pytest.approx(50.0)
    assert found.threshold == pytest.approx(50.0 + 3.5 * 1.4826 * 50.0)


def test_anomaly_baseline_is_in_the_day_s_own_weekday_terms() -> None:
    monday = date(2026, 10, 12)
    daily = {monday - timedelta(days=i): (200.0 if (monday - timedelta(days=i)).weekday() == 0
                                          else 100.0) for i in range(1, 29)}  # fmt: skip
    (found,) = find_anomalies(daily | {monday: 1000.0}, [monday])
    assert found.baseline == pytest.approx(200.0)  # a normal Monday, not a normal day


def test_anomalies_of_cents_and_of_credits() -> None:
    day = THROUGH
    cents = {day - timedelta(days=i): 0.1 for i in range(1, 15)}
    (found,) = find_anomalies(cents | {day: 0.5}, [day])  # 0.5 > 0.1 + 3.5 x 5 %
    assert found.cost == 0.5
    credits = {day - timedelta(days=i): -10.0 for i in range(1, 15)}
    assert find_anomalies(credits | {day: 0.0}, [day]) == []  # nothing spent is no anomaly


# --- the survivors of the mutation run with 129: each test fails on one of them -----------


def test_a_schedule_s_blank_state_missing_type_and_missing_recurrence() -> None:
    blank, untyped, no_details = parse_schedules([
        _schedule_resource("blank", state=""),  # as Terraform writes an unset state: active
        Resource(type=SCHEDULE_TYPE, name="untyped", urn="urn:untyped",
                 props={"action": "STOP_RESOURCE", "recurrenceDetails": "0 19 * * 1-5"}),
        _schedule_resource("no-details", recurrenceDetails=None),
    ])  # fmt: skip
    assert (blank.name, blank.problem) == ("blank", None)
    assert (untyped.times, untyped.problem) == (blank.times, None)  # CRON is the default
    assert (no_details.times, no_details.problem) == (
        None, "recurrence '' is not a five-field cron expression"
    )  # fmt: skip


def test_a_tag_filter_does_not_select_a_database_without_defined_tags() -> None:
    untagged = Resource("oci:Database/autonomousDatabase:AutonomousDatabase", "db", "urn:db",
                        {"compartmentId": "c1"})  # fmt: skip
    env = {"namespace": "governance", "tagKey": "environment", "value": "dev"}
    assert selects(_schedule({"attribute": "DEFINED_TAGS", "values": [env]}), untagged) is False


def test_a_start_schedule_that_cannot_be_read_gives_no_savings() -> None:
    from policies.pricing.schedules import off_hours

    by_compartment = [{"attribute": "COMPARTMENT_ID", "values": [{"value": "c1"}]}]
    schedules = parse_schedules([
        _schedule_resource("stop", resourceFilters=by_compartment),
        _schedule_resource("start", action="START_RESOURCE", recurrenceType="ICAL",
                           resourceFilters=by_compartment),
    ])  # fmt: skip
    found = off_hours(schedules, DB)
    assert found is not None
    assert (found.share_stopped, found.problems) == (
        0.0, ("schedule start: recurrence type ICAL is not read (only CRON)",)
    )  # fmt: skip


def test_weekday_factors_of_credits_cancelling_to_a_zero_mean_are_one() -> None:
    assert weekday_factors(_week([10, -10, 0, 0, 0, 0, 0])) == [1.0] * 7


def test_no_spend_at_all_is_no_anomaly() -> None:
    assert find_anomalies({}, [THROUGH]) == []


def test_a_day_without_an_entry_is_no_anomaly() -> None:
    cents = {THROUGH - timedelta(days=i): 0.1 for i in range(1, 15)}
    assert find_anomalies(cents, [THROUGH]) == []  # the day itself costs nothing


def _weekday_history(day: date, value: Callable[[int], float | None]) -> dict[date, float]:
    """29 days before `day`: the value of `i` days back (None: no entry)."""
    out = {day - timedelta(days=i): value(i) for i in range(1, 30)}
    return {d: v for d, v in out.items() if v is not None}


def test_anomaly_weekday_factors_use_exactly_28_days() -> None:
    # With `v / M` the ratio of a day's cost to its weekday's median M, the baseline is M of
    # the day's weekday times the median ratio over the window. The window: six days at 0.5,
    # six at 1.5 and the two of the day before's weekday in the middle; that weekday's costs
    # are 100, 100, 200, 200 over 28 days (M 150, ratio 2/3) and one more 200 on day 29 back
    # (which would make M 200, ratio 0.5, and the day an anomaly).
    def value(i: int) -> float:
        if i % 7 == 1:
            return 100.0 if i < 14 else 200.0
        return 50.0 if (i % 7 in (0, 2, 3)) == (i <= 14) else 150.0

    day = THROUGH
    history = _weekday_history(day, value)
    assert find_anomalies(history | {day: 100.0}, [day]) == []
    (found,) = find_anomalies(history | {day: 1000.0}, [day])
    assert found.baseline == pytest.approx(100.0 * 2 / 3)
    assert found.threshold == pytest.approx(100.0 * (2 / 3 + 3.5 * 1.4826 / 6))


def test_missing_days_weigh_nothing_in_the_anomaly_weekday_factors() -> None:
    # the day's weekday misses two of its four days (the history reaches further back, so
    # they cost 0): its median is 50, the baseline 50 (100 a day everywhere else)
    day = THROUGH
    history = _weekday_history(day, lambda i: None if i in (7, 21) else 100.0)
    (found,) = find_anomalies(history | {day: 1000.0}, [day])
    assert (found.baseline, found.threshold) == (pytest.approx(50.0), pytest.approx(58.75))


# --- rules with settings of their own, and inputs only a program under mocks passes --------

from policies.aws_network import _opened as aws_opened  # noqa: E402
from policies.catalog import RULES  # noqa: E402

RULE = {rule.id: rule for rule in RULES}
ADB_TYPE = "oci:Database/autonomousDatabase:AutonomousDatabase"


def _judge(rule_id: str, type_: str, props: dict[str, object], **config: object) -> list[str]:
    return RULE[rule_id].evaluate(Resource(type_, "r", "urn:r", props), config)


def test_aws_port_labels() -> None:
    assert aws_opened("tcp", 22, 22) == ("TCP 22", (22, 22))
    assert aws_opened("6", 20, 25) == ("TCP 20-25", (20, 25))
    assert aws_opened(None, 22, 22) is None  # no protocol: no ports


def test_the_tenancy_admin_message_names_every_admin_group() -> None:
    statement = "Allow group devs to manage all-resources in tenancy"
    assert _judge("oci-identity-policy-no-tenancy-admin", "oci:Identity/policy:Policy",
                  {"statements": [statement]}, adminGroups=["Administrators", "NetOps"]) == [
        f"grants manage all-resources in tenancy to group devs: {statement}; only "
        "Administrators, NetOps may, scope it to a compartment"
    ]  # fmt: skip


ALLOWED = {"environment": ["dev", "prod"], "cost_center": ["CC-101"]}


def test_every_tag_value_not_allowed_is_named() -> None:
    oci = {"definedTags": {"governance.environment": "qa", "governance.cost_center": "CC-9"}}
    assert _judge("oci-tagging-resource-allowed-values", "oci:Core/vcn:Vcn", oci,
                  allowedValues=ALLOWED) == [
        "defined tag values not allowed: cost_center='CC-9' (allowed: CC-101); "
        "environment='qa' (allowed: dev, prod)"
    ]  # fmt: skip
    aws = {"tags": {"environment": "qa", "cost_center": "CC-9"}}
    assert _judge("aws-tagging-resource-allowed-values", "aws:sns/topic:Topic", aws,
                  allowedValues=ALLOWED) == [
        "tag values not allowed: cost_center='CC-9' (allowed: CC-101); "
        "environment='qa' (allowed: dev, prod)"
    ]  # fmt: skip


def test_a_missing_environment_tag_is_no_environment_even_one_named_none() -> None:
    untagged = {"definedTags": {"governance.cost_center": "CC-101"}}
    assert _judge("oci-database-adb-production-protected", ADB_TYPE, untagged,
                  productionEnvironments=["None"]) == []  # fmt: skip


@pytest.mark.parametrize("default_tags", ["cost_center=CC-101", '["cost_center"]'])
def test_provider_default_tags_that_are_no_map_count_for_nothing(default_tags: str) -> None:
    topic = Resource("aws:sns/topic:Topic", "t", "urn:t", {"tags": {"environment": "dev"}},
                     provider_props={"defaultTags": default_tags})  # fmt: skip
    assert RULE["aws-tagging-resource-required-tags"].evaluate(topic) == [
        "missing tags cost_center (provider defaultTags count); add them to tags or to the "
        "provider's defaultTags"
    ]
