"""The estimator, type by type, against amounts worked out by hand from the packaged snapshot.

Every expected amount is written as its arithmetic: quantity x unit price, with 730 hours a
month and 1,024 GB a TB; free tiers are used up once per stack.
"""

from __future__ import annotations

import pytest

from policies.model import Resource
from policies.pricing.estimate import (
    ADB,
    UNTAGGED,
    USAGE_KEYS,
    ResourceCost,
    StackEstimate,
    estimate_stack,
)
from policies.pricing.prices import default_books
from policies.pricing.schedules import cron_times, stopped_share
from policies.pricing.usage import Usage, UsageError, validate_usage

H = 730  # hours a month
TAGS = {"governance.cost_center": "CC-101", "governance.environment": "dev"}
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaaworkloads"


def res(type_: str, name: str, props: dict, deps: tuple[str, ...] = (), provider=None) -> Resource:
    return Resource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:dev::p::{type_}::{name}",
        props=props,
        provider_props=provider or {},
        dependencies=deps,
    )


def adb(name: str = "db", **props) -> Resource:
    base = {
        "compartmentId": COMPARTMENT,
        "dbWorkload": "OLTP",
        "computeModel": "ECPU",
        "computeCount": 2,
        "licenseModel": "LICENSE_INCLUDED",
        "dataStorageSizeInTbs": 1,
        "isAutoScalingEnabled": False,
        "definedTags": TAGS,
    }
    base.update(props)
    return res(ADB, name, {k: v for k, v in base.items() if v is not None})


def one(resources: list[Resource], usage: Usage | None = None) -> ResourceCost:
    estimate = estimate_stack(resources, usage=usage or Usage())
    priced = [r for r in estimate.resources if r.components]
    assert len(priced) == 1, estimate
    return priced[0]


def costs(r: ResourceCost) -> dict[str, float | None]:
    return {c.name: c.monthly_cost for c in r.components}


def test_adb_oltp_license_included_ecpu():
    r = one([adb(computeCount=4, dataStorageSizeInTbs=2)])
    assert costs(r) == pytest.approx(
        {"Compute (ECPU, license included)": 4 * H * 0.336, "Storage": 2 * 1024 * 0.1953}
    )
    assert r.monthly_cost == pytest.approx(4 * H * 0.336 + 2 * 1024 * 0.1953)
    assert r.cost_center == "CC-101"


def test_adb_byol_against_license_included():
    byol = one([adb(licenseModel="BRING_YOUR_OWN_LICENSE")])
    included = one([adb(licenseModel="LICENSE_INCLUDED")])
    assert byol.components[0].monthly_cost == pytest.approx(2 * H * 0.0807)
    assert included.components[0].monthly_cost == pytest.approx(2 * H * 0.336)
    assert byol.components[0].part_number == "B95704"
    assert included.components[0].part_number == "B95702"


def test_adb_license_unset_is_billed_as_byol():
    r = one([adb(licenseModel=None)])
    assert r.components[0].monthly_cost == pytest.approx(2 * H * 0.0807)
    assert "licenseModel unset: OCI bills BYOL" in r.notes


def test_adb_data_warehouse_uses_its_own_parts():
    r = one([adb(dbWorkload="DW", computeCount=16, dataStorageSizeInTbs=10)])
    assert [c.part_number for c in r.components] == ["B95701", "B95754"]
    assert r.monthly_cost == pytest.approx(16 * H * 0.336 + 10 * 1024 * 0.0299)


def test_adb_json_database_has_no_byol_price():
    r = one([adb(dbWorkload="AJD", licenseModel="BRING_YOUR_OWN_LICENSE")])
    assert r.components[0].monthly_cost == pytest.approx(2 * H * 0.0807)
    assert any("no BYOL price" in n for n in r.notes)


def test_adb_legacy_ocpu_model():
    r = one([adb(computeModel="OCPU", computeCount=None, cpuCoreCount=3)])
    assert r.components[0].monthly_cost == pytest.approx(3 * H * 1.3441)


def test_adb_auto_scaling_is_a_range_up_to_three_times_compute():
    r = one([adb(isAutoScalingEnabled=True, computeCount=8)])
    compute, storage = r.components
    assert storage.monthly_cost_max is None  # storage does not scale with compute
    assert compute.monthly_cost == pytest.approx(8 * H * 0.336)
    assert compute.monthly_cost_max == pytest.approx(3 * 8 * H * 0.336)
    assert r.monthly_cost_max == pytest.approx(3 * 8 * H * 0.336 + 1024 * 0.1953)
    # OCI turns auto-scaling on when the input is unset
    assert one([adb(isAutoScalingEnabled=None)]).components[0].monthly_cost_max is not None


def test_adb_always_free_costs_nothing():
    estimate = estimate_stack([adb(isFreeTier=True)])
    assert estimate.monthly_cost == 0
    assert estimate.unpriced == []


def test_adb_apex_is_listed_unpriced_not_zero():
    estimate = estimate_stack([adb(dbWorkload="APEX")])
    assert estimate.resources == []
    [u] = estimate.unpriced
    assert u.name == "db" and "APEX" in u.reason


def test_object_storage_after_the_10_gb_free_tier_once_per_stack():
    bucket = "oci:ObjectStorage/bucket:Bucket"
    a = res(bucket, "a", {"definedTags": TAGS})
    b = res(bucket, "b", {"definedTags": TAGS})
    usage = Usage(by_name={"a": {"storage_gb": 4}, "b": {"storage_gb": 100}})
    estimate = estimate_stack([a, b], usage=usage)
    first, second = (r.components[0] for r in estimate.resources)
    assert first.monthly_cost == 0 and first.free_quantity == 4
    # b: 6 GB left of the 10 free, 94 GB paid
    assert second.monthly_cost == pytest.approx((100 - 6) * 0.0255)
    assert second.free_quantity == 6


def test_object_storage_without_usage_is_per_unit():
    r = one([res("oci:ObjectStorage/bucket:Bucket", "b", {"definedTags": TAGS})])
    storage = r.components[0]
    assert storage.monthly_quantity is None and storage.monthly_cost is None
    assert storage.price == 0.0255 and r.monthly_cost == 0
    assert any(c.monthly_cost is None for c in r.components)  # usage still to come


def test_stream_traffic_and_retention_beyond_a_day():
    stream = res("oci:Streaming/stream:Stream", "s", {"retentionInHours": 72, "definedTags": TAGS})
    usage = Usage(by_type={stream.type: {"monthly_put_gb": 100, "monthly_get_gb": 300}})
    r = one([stream], usage)
    assert costs(r) == pytest.approx(
        {
            "PUT traffic": 100 * 0.025,
            "GET traffic": 300 * 0.025,
            # every GB written is kept 72 h, the first 24 h included
            "Retention beyond 24 h (72 h)": 100 * (72 - 24) * 0.0022,
        }
    )


def test_notifications_email_after_the_free_thousand():
    sub = res("oci:Ons/subscription:Subscription", "mail", {"protocol": "EMAIL"})
    r = one([sub], Usage(by_name={"mail": {"monthly_deliveries": 5000}}))
    assert r.monthly_cost == pytest.approx((5000 - 1000) / 1000 * 0.02)


def test_notifications_https_free_tier_shared_by_subscriptions():
    a = res("oci:Ons/subscription:Subscription", "a", {"protocol": "HTTPS"})
    b = res("oci:Ons/subscription:Subscription", "b", {"protocol": "SLACK"})
    usage = Usage(by_type={a.type: {"monthly_deliveries": 800_000}})
    estimate = estimate_stack([a, b], usage=usage)
    assert [r.monthly_cost for r in estimate.resources] == pytest.approx(
        [0, (1_600_000 - 1_000_000) / 1e6 * 0.6]
    )


def test_sms_subscription_is_unpriced():
    estimate = estimate_stack([res("oci:Ons/subscription:Subscription", "t", {"protocol": "SMS"})])
    assert estimate.unpriced[0].reason.startswith("no price for SMS")


def test_monitoring_free_tiers_and_custom_metric_ingestion():
    alarm = res("oci:Monitoring/alarm:Alarm", "a", {"namespace": "custom_app"})
    usage = Usage(
        by_name={"a": {"monthly_retrieved_datapoints": 1.5e9, "monthly_ingested_datapoints": 6e8}}
    )
    r = one([alarm], usage)
    assert costs(r) == pytest.approx(
        {
            "Metric retrieval (alarm queries)": (1500 - 1000) * 0.0015,
            "Custom metric ingestion": (600 - 500) * 0.0025,
        }
    )
    service = one([res(alarm.type, "b", {"namespace": "oci_autonomous_database"})])
    assert [c.name for c in service.components] == ["Metric retrieval (alarm queries)"]


def test_aws_budgets_first_two_free():
    budgets = [
        res("aws:budgets/budget:Budget", f"b{i}", {"tags": {"cost_center": "CC-1"}})
        for i in range(3)
    ]
    estimate = estimate_stack(budgets)
    assert [r.monthly_cost for r in estimate.resources] == pytest.approx([0, 0, 730 / 24 * 0.02])


def test_cloudwatch_alarms_ten_free_then_per_alarm_metric():
    alarms = [
        res("aws:cloudwatch/metricAlarm:MetricAlarm", f"a{i}", {"period": 300}) for i in range(12)
    ]
    alarms.append(res(alarms[0].type, "fast", {"period": 10}))
    estimate = estimate_stack(alarms)
    assert estimate.monthly_cost == pytest.approx(2 * 0.10 + 1 * 0.30)


def test_sns_requests_and_deliveries():
    topic = res("aws:sns/topic:Topic", "t", {})
    mail = res("aws:sns/topicSubscription:TopicSubscription", "m", {"protocol": "email"})
    queue = res(mail.type, "q", {"protocol": "sqs"})
    usage = Usage(
        by_name={"t": {"monthly_requests": 3_000_000}, "m": {"monthly_deliveries": 201_000}}
    )
    estimate = estimate_stack([topic, mail, queue], usage=usage)
    by_name = {r.name: r.monthly_cost for r in estimate.resources}
    assert by_name == pytest.approx(
        {"t": (3 - 1) * 0.5, "m": (201_000 - 1_000) / 100_000 * 2.0, "q": 0}
    )


def test_layer_archive_in_s3_priced_from_usage_or_local_file(tmp_path):
    archive = tmp_path / "layer.zip"
    archive.write_bytes(b"x" * 1024)
    token = "aws:s3/bucketObjectv2:BucketObjectv2"
    from_file = one([res(token, "archive", {"source": f"<FileAsset {archive}>"})])
    assert from_file.components[0].monthly_quantity == pytest.approx(1024 / 1024**3)
    given = one([res(token, "archive", {})], Usage(by_name={"archive": {"storage_gb": 2}}))
    assert given.monthly_cost == pytest.approx(2 * 0.023)
    layer = estimate_stack([res("aws:lambda/layerVersion:LayerVersion", "v", {})])
    assert layer.resources[0].components == () and layer.unpriced == []


def test_unknown_types_are_listed_and_counted_never_zero():
    estimate = estimate_stack(
        [
            res("oci:Core/instance:Instance", "vm", {"definedTags": TAGS}),
            res("aws:ec2/instance:Instance", "ec2", {}),
            res("guardrails:oci:AutonomousDatabaseFleet", "fleet", {}),  # a component
            res("pulumi:providers:oci", "default", {}),
        ]
    )
    assert sorted((u.name, u.cost_center) for u in estimate.unpriced) == [
        ("ec2", UNTAGGED),
        ("vm", "CC-101"),
    ]
    assert estimate.resources == []


def test_cost_centers_from_defined_tags_and_aws_provider_default_tags():
    aws_budget = res(
        "aws:budgets/budget:Budget",
        "b",
        {},
        provider={"defaultTags": '{"tags": {"cost_center": "CC-202"}}'},
    )
    estimate: StackEstimate = estimate_stack([adb(), aws_budget])
    totals = estimate.by_cost_center()
    assert totals["CC-101"].monthly_cost == pytest.approx(2 * H * 0.336 + 1024 * 0.1953)
    assert set(totals) == {"CC-101", "CC-202"}


def _schedule(name: str, action: str, cron: str, filters: list) -> Resource:
    return res(
        "oci:ResourceScheduler/schedule:Schedule",
        name,
        {
            "action": action,
            "recurrenceType": "CRON",
            "recurrenceDetails": cron,
            "compartmentId": COMPARTMENT,
            "resourceFilters": filters,
        },
    )


DEV_FILTERS = [
    {"attribute": "COMPARTMENT_ID", "values": [{"value": COMPARTMENT}]},
    {
        "attribute": "DEFINED_TAGS",
        "values": [{"namespace": "governance", "tagKey": "environment", "value": "dev"}],
    },
]


def test_off_hours_schedule_stopping_twelve_hours_a_day_halves_compute():
    stop = _schedule("stop", "STOP_RESOURCE", "0 19 * * *", DEV_FILTERS)
    start = _schedule("start", "START_RESOURCE", "0 7 * * *", DEV_FILTERS)
    r = one([adb(computeCount=4), stop, start])
    assert r.components[0].monthly_cost == pytest.approx(4 * H * 0.336 * 0.5)
    assert r.components[1].monthly_cost == pytest.approx(1024 * 0.1953)  # storage still billed
    assert r.off_hours_savings == pytest.approx(4 * H * 0.336 * 0.5)
    assert any("stopped 50% of the week" in n for n in r.notes)


def test_off_hours_weekday_schedule_and_unselected_databases():
    stop = _schedule("stop", "STOP_RESOURCE", "0 19 * * 1-5", DEV_FILTERS)
    start = _schedule("start", "START_RESOURCE", "0 7 * * 1-5", DEV_FILTERS)
    prod = adb("prod-db", definedTags={**TAGS, "governance.environment": "prod"})
    estimate = estimate_stack([adb(), prod, stop, start])
    by_name = {r.name: r.components[0].monthly_cost for r in estimate.resources if r.components}
    # stopped Mon-Thu nights (4 x 12 h) and Fri 19:00 to Mon 07:00 (60 h): 108 of 168 hours
    assert by_name["db"] == pytest.approx(2 * H * 0.336 * (168 - 108) / 168)
    assert by_name["prod-db"] == pytest.approx(2 * H * 0.336)


def test_unreadable_schedule_gives_no_savings_and_says_why():
    stop = _schedule("stop", "STOP_RESOURCE", "0 19 1 * *", DEV_FILTERS)
    r = one([adb(), stop])
    assert r.components[0].monthly_cost == pytest.approx(2 * H * 0.336)
    assert any("restricts day of month" in n for n in r.notes)


def test_stopped_share_of_cron_pairs():
    stop, _ = cron_times("30 18 * * *")
    start, _ = cron_times("30 6 * * *")
    assert stopped_share(stop or (), start or ()) == pytest.approx(0.5)
    assert stopped_share([], start or ()) == 0


def test_price_books_are_dated_with_their_source():
    oci, aws = default_books()
    assert oci.source.startswith("https://apexapps.oracle.com/pls/apex/cetools/api/v1/products/")
    assert oci.date and aws.date and oci.currency == aws.currency == "USD"
    assert oci.part("B91628").tiers[0].value == 0 and oci.part("B91628").tiers[0].upper == 10


# --- usage validation --------------------------------------------------------------------------

STACK = [("events-s", "oci:Streaming/stream:Stream"), ("db", ADB)]


def test_usage_document_by_type_and_name():
    usage = validate_usage(
        {
            "version": "0.1",
            "resource_type_default_usage": {"oci:Streaming/stream:Stream": {"monthly_put_gb": 1}},
            "resource_usage": {"events-s": {"monthly_get_gb": 2}},
        },
        STACK,
        USAGE_KEYS,
    )
    assert usage.of("oci:Streaming/stream:Stream", "events-s") == {
        "monthly_put_gb": 1,
        "monthly_get_gb": 2,
    }


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": "0.1", "resource_usage": {"events-x": {}}}, "resource_usage.events-x: no "
         "resource of that name in the stack (did you mean 'events-s'?)"),
        ({"version": "0.1", "resource_usage": {"events-s": {"monthly_put_gb": -5}}},
         "resource_usage.events-s.monthly_put_gb: must be a finite number >= 0 (got -5)"),
        ({"version": "0.1", "resource_usage": {"events-s": {"put": 5}}},
         "resource_usage.events-s.put: unknown usage key for oci:Streaming/stream:Stream"),
        ({"version": "0.1", "resource_usage": {"events-s": {"monthly_put_gb": "lots"}}},
         "monthly_put_gb: must be a number (got 'lots')"),
        ({"version": "0.1", "resource_usage": {"db": {"x": 1}}},
         f"resource_usage.db: {ADB} takes no usage quantities"),
        ({"version": "2", "resource_usage": {}}, "version must be 0.1 (got '2')"),
        ({"version": "0.1", "resources": {}}, "unknown key 'resources'"),
        (["a"], "expected a mapping with version and resource_usage"),
        ({"version": "0.1", "resource_type_default_usage": {"oci:Core/vcn:Vcn": {}}},
         "resource_type_default_usage.oci:Core/vcn:Vcn: not a type with usage-based prices"),
    ],
)  # fmt: skip
def test_bad_usage_documents_are_refused_with_the_reason(doc, message):
    with pytest.raises(UsageError) as raised:
        validate_usage(doc, STACK, USAGE_KEYS, "u.yml")
    assert message in str(raised.value)
    assert str(raised.value).startswith("u.yml: ")
