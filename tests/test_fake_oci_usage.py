"""The fake Usage API, through the real UsageapiClient: grouping, rules, paging, forecast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import oci
import pytest
from oci.usage_api.models import (
    Dimension,
    Filter,
    Forecast,
    RequestSummarizedUsagesDetails,
    Tag,
)

from tests.fake_oci.fixture import FakeOci
from tests.fake_oci.state import ocid

NS = "Governance"
PROD = ocid("compartment", "prod")
DEV = ocid("compartment", "dev")
ADB = ocid("autonomousdatabase", "orders", "eu-frankfurt-1")
VM = ocid("instance", "web", "eu-frankfurt-1")
NOV = datetime(2026, 11, 1, tzinfo=UTC)


def _lines() -> list[dict[str, Any]]:
    lines = []
    for day in range(1, 6):  # 1..5 November
        lines += [
            {
                "day": f"2026-11-{day:02d}",
                "service": "Database",
                "cost": 10.0,
                "quantity": 48.0,
                "unit": "ECPU_HOURS",
                "compartment_id": PROD,
                "compartment_name": "prod",
                "resource_id": ADB,
                "tags": {f"{NS}.cost_center": "cc-orders", f"{NS}.environment": "prod"},
            },
            {
                "day": f"2026-11-{day:02d}",
                "service": "Compute",
                "cost": 2.0 * day,
                "compartment_id": DEV,
                "compartment_name": "dev",
                "resource_id": VM,
                "tags": {f"{NS}.cost_center": "cc-web"},
            },
            {
                "day": f"2026-11-{day:02d}",
                "service": "Object Storage",
                "cost": 1.0,
                "compartment_id": DEV,
                "compartment_name": "dev",
            },
        ]
    return lines


def _details(fake: FakeOci, **kwargs: Any) -> RequestSummarizedUsagesDetails:
    values: dict[str, Any] = {
        "tenant_id": fake.tenancy,
        "time_usage_started": NOV,
        "time_usage_ended": NOV + timedelta(days=5),
        "granularity": "DAILY",
    }
    values.update(kwargs)
    return RequestSummarizedUsagesDetails(**values)


def _ask(fake: FakeOci, **kwargs: Any) -> list[oci.usage_api.models.UsageSummary]:
    usage = fake.client(oci.usage_api.UsageapiClient)
    return usage.request_summarized_usages(_details(fake, **kwargs)).data.items


def _refused(fake: FakeOci, **kwargs: Any) -> oci.exceptions.ServiceError:
    usage = fake.client(oci.usage_api.UsageapiClient)
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        usage.request_summarized_usages(_details(fake, **kwargs))
    return caught.value


@pytest.fixture
def usage(fake_oci: FakeOci) -> FakeOci:
    fake_oci.usage.add(_lines())
    return fake_oci


def test_daily_cost_by_cost_center_tag(usage: FakeOci) -> None:
    items = _ask(usage, group_by_tag=[Tag(namespace=NS, key="cost_center")])

    day3 = {
        i.tags[0].value: i.computed_amount
        for i in items
        if i.time_usage_started == NOV + timedelta(days=2)
    }
    assert day3 == {"cc-orders": 10.0, "cc-web": 6.0, None: 1.0}
    assert len(items) == 15
    assert all(i.currency == "USD" and i.is_forecast is False for i in items)
    assert items[0].time_usage_ended - items[0].time_usage_started == timedelta(days=1)
    assert items[0].tags[0].namespace == NS and items[0].tags[0].key == "cost_center"
    assert items[0].tenant_id == usage.tenancy


def test_group_by_dimensions_and_monthly_sums(usage: FakeOci) -> None:
    items = _ask(usage, granularity="MONTHLY", group_by=["service", "compartmentName"])

    assert {(i.service, i.compartment_name): i.computed_amount for i in items} == {
        ("Database", "prod"): 50.0,
        ("Compute", "dev"): 30.0,
        ("Object Storage", "dev"): 5.0,
    }
    assert all(i.time_usage_started == NOV for i in items)
    assert all(i.tags is None for i in items)


def test_aggregate_by_time_and_usage_query(usage: FakeOci) -> None:
    items = _ask(usage, is_aggregate_by_time=True, query_type="USAGE", group_by=["resourceId"])

    by_resource = {i.resource_id: i for i in items}
    assert by_resource[ADB].computed_quantity == 240.0
    assert by_resource[ADB].unit == "ECPU_HOURS"
    assert by_resource[ADB].computed_amount is None
    assert by_resource[ADB].time_usage_started == NOV


def test_group_by_tag_keys_counts_a_line_once_per_tag(usage: FakeOci) -> None:
    items = _ask(usage, is_aggregate_by_time=True, group_by=["tagNamespace", "tagKey", "tagValue"])

    assert {(t.key, t.value): i.computed_amount for i in items for t in i.tags} == {
        ("cost_center", "cc-orders"): 50.0,
        ("environment", "prod"): 50.0,
        ("cost_center", "cc-web"): 30.0,
    }
    assert [i.computed_amount for i in items if not i.tags] == [5.0]


def test_filter_on_dimensions_and_tags(usage: FakeOci) -> None:
    both = Filter(
        operator="AND",
        dimensions=[Dimension(key="compartmentName", value="dev")],
        filters=[
            Filter(operator="NOT", tags=[Tag(namespace=NS, key="cost_center", value="cc-web")])
        ],
    )
    either = Filter(
        operator="OR",
        dimensions=[Dimension(key="service", value="Database")],
        tags=[Tag(namespace=NS, key="cost_center", value="cc-web")],
    )

    dev_untagged = _ask(usage, is_aggregate_by_time=True, group_by=["service"], filter=both)
    tagged = _ask(usage, is_aggregate_by_time=True, group_by=["service"], filter=either)

    carrying = Filter(operator="AND", tags=[Tag(namespace=NS, key="environment")])
    with_environment = _ask(usage, is_aggregate_by_time=True, group_by=["service"], filter=carrying)

    assert [(i.service, i.computed_amount) for i in dev_untagged] == [("Object Storage", 5.0)]
    assert [(i.service, i.computed_amount) for i in with_environment] == [("Database", 50.0)]
    assert {i.service: i.computed_amount for i in tagged} == {"Database": 50.0, "Compute": 30.0}


@pytest.mark.parametrize("granularity", ["DAILY", "MONTHLY"])
def test_daily_and_monthly_times_must_be_midnight_utc(usage: FakeOci, granularity: str) -> None:
    error = _refused(usage, granularity=granularity, time_usage_started=NOV + timedelta(hours=6))

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert error.message == "Passed UTC date does not have the right precision"


def test_a_midnight_in_another_time_zone_is_not_midnight_utc(usage: FakeOci) -> None:
    from datetime import timezone

    paris = datetime(2026, 11, 6, tzinfo=timezone(timedelta(hours=1)))

    error = _refused(usage, time_usage_ended=paris)

    assert error.message == "Passed UTC date does not have the right precision"


def test_hourly_times_must_be_whole_hours(usage: FakeOci) -> None:
    error = _refused(usage, granularity="HOURLY", time_usage_started=NOV + timedelta(minutes=30))
    hourly = _ask(
        usage,
        granularity="HOURLY",
        time_usage_ended=NOV + timedelta(hours=2),
        group_by=["service"],
        filter=Filter(operator="AND", dimensions=[Dimension(key="service", value="Database")]),
    )

    half_day = _ask(
        usage,
        granularity="HOURLY",
        time_usage_ended=NOV + timedelta(hours=12),
        is_aggregate_by_time=True,
        group_by=["service"],
    )

    assert error.message == "Passed UTC date does not have the right precision"
    assert [round(i.computed_amount, 6) for i in hourly] == [round(10 / 24, 6)] * 2
    assert {i.service: i.computed_amount for i in half_day} == {
        "Database": 5.0,
        "Compute": 1.0,
        "Object Storage": 0.5,
    }


def test_hourly_lines_keep_their_hour(fake_oci: FakeOci) -> None:
    fake_oci.usage.add(
        [
            {"day": "2026-11-01", "hour": 5, "service": "Compute", "cost": 3.0},
            {"day": "2026-11-01", "hour": 7, "service": "Compute", "cost": 4.0},
        ]
    )

    hourly = _ask(fake_oci, granularity="HOURLY", time_usage_ended=NOV + timedelta(hours=6))
    daily = _ask(fake_oci, time_usage_ended=NOV + timedelta(days=1))

    assert [(i.time_usage_started.hour, i.computed_amount) for i in hourly] == [(5, 3.0)]
    assert [i.computed_amount for i in daily] == [7.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_by": ["tag.cost_center"]}, "Invalid groupBy 'tag.cost_center'"),
        ({"group_by": ["service", "costCenter"]}, "Invalid groupBy 'costCenter'"),
        (
            {"group_by_tag": [Tag(namespace=NS, key="cost_center"), Tag(namespace=NS, key="x")]},
            "groupByTag supports only one tag.",
        ),
        (
            {"group_by_tag": [Tag(namespace=NS)]},
            "groupByTag needs a tag with a namespace and a key.",
        ),
        ({"tenant_id": None}, "tenantId is required."),
        ({"granularity": None}, "granularity is required."),
        ({"granularity": "TOTAL"}, "granularity TOTAL is not yet supported."),
        ({"time_usage_ended": NOV}, "timeUsageStarted must be before timeUsageEnded."),
        ({"filter": Filter(operator="XOR")}, "filter.operator must be one of AND, OR, NOT"),
        ({"filter": Filter(dimensions=[])}, "filter.operator must be one of AND, OR, NOT"),
        (
            {"filter": Filter(operator="AND", dimensions=[Dimension(key="tagKey", value="x")])},
            "Invalid filter dimension key 'tagKey'.",
        ),
        (
            {"filter": Filter(operator="AND", tags=[Tag(key="cost_center", value="x")])},
            "filter.tags items must have a namespace and a key.",
        ),
        (
            {"forecast": Forecast(forecast_type="BASIC")},
            "timeForecastEnded is required.",
        ),
    ],
)
def test_request_rules_are_400_invalid_parameter(
    usage: FakeOci, kwargs: dict[str, Any], message: str
) -> None:
    error = _refused(usage, **kwargs)

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert error.message.startswith(message)
    assert usage.state.calls[-1].status == 400


def test_another_tenancy_is_404(usage: FakeOci) -> None:
    error = _refused(usage, tenant_id=ocid("tenancy", "other"))

    assert (error.status, error.code) == (404, "NotAuthorizedOrNotFound")


def test_pages_follow_opc_next_page(usage: FakeOci) -> None:
    usage.usage.page_size = 4
    client = usage.client(oci.usage_api.UsageapiClient)
    details = _details(usage, group_by=["service"])

    seen, page, pages = [], None, 0
    while True:
        response = client.request_summarized_usages(details, page=page)
        seen += response.data.items
        pages += 1
        page = response.next_page
        if not page:
            break

    assert pages == 4
    assert len(seen) == 15
    assert sum(i.computed_amount for i in seen) == 85.0
    assert response.data.group_by == ["service"]
    small = client.request_summarized_usages(details, limit=2)
    assert len(small.data.items) == 2 and small.next_page


def test_forecast_is_the_mean_of_the_last_days_per_group(usage: FakeOci) -> None:
    end = NOV + timedelta(days=5)

    items = _ask(
        usage,
        group_by=["service"],
        forecast=Forecast(time_forecast_started=end, time_forecast_ended=end + timedelta(days=2)),
    )

    forecast = [
        (i.time_usage_started.day, i.service, i.computed_amount) for i in items if i.is_forecast
    ]
    assert forecast == [
        (6, "Compute", 6.0),
        (6, "Database", 10.0),
        (6, "Object Storage", 1.0),
        (7, "Compute", 6.0),
        (7, "Database", 10.0),
        (7, "Object Storage", 1.0),
    ]
    assert len([i for i in items if not i.is_forecast]) == 15


def test_forecast_needs_three_days_of_data(usage: FakeOci) -> None:
    end = NOV + timedelta(days=2)

    error = _refused(
        usage,
        time_usage_ended=end,
        forecast=Forecast(time_forecast_ended=end + timedelta(days=3)),
    )

    assert (error.status, error.code) == (400, "InvalidParameter")
    assert error.message.startswith("Not enough data to forecast: at least 3 days")
    assert "found 2" in error.message


def test_forecast_times_must_be_midnight_for_daily(usage: FakeOci) -> None:
    end = NOV + timedelta(days=5)

    error = _refused(usage, forecast=Forecast(time_forecast_ended=end + timedelta(hours=12)))

    assert error.message == "Passed UTC date does not have the right precision"
