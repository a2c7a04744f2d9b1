"""EventStreams under Pulumi mocks."""

from __future__ import annotations

import re

import pytest

from components import (
    EventStreams,
    EventStreamsArgs,
    GovernanceTagging,
    StreamPoolPrivateEndpoint,
    StreamSpec,
)
from guardrails.runtime.validation import ComponentArgumentError
from tests.conftest import COMPARTMENT, TOPIC, ocid

TAGGING = GovernanceTagging("CC-303", "staging", "data", cost_centers=("CC-303",))
KEY = "ocid1.key.oc1.eu-frankfurt-1.bbbbbbbbvault.aaaaaaaastreamkey0000000000000000"
SUBNET = ocid("subnet", "streams", "eu-frankfurt-1")
NSG = ocid("networksecuritygroup", "streams", "eu-frankfurt-1")


def _args(**overrides):
    args = {
        "compartment_id": COMPARTMENT,
        "tagging": TAGGING,
        "pool_name": "staging-events",
        "streams": {"user-event-stream": StreamSpec(partitions=4, retention_hours=72)},
        "kms_key_id": KEY,
        "private_endpoint": StreamPoolPrivateEndpoint(SUBNET, [NSG]),
        "alarm_topic_id": TOPIC,
    }
    return EventStreamsArgs(**(args | overrides))


def test_pool_carries_key_and_private_endpoint(run_mocked):
    rec = run_mocked(lambda: EventStreams("events", _args()))
    pool = rec.inputs("events-pool")
    assert pool["name"] == "staging-events"
    assert pool["customEncryptionKey"] == {"kmsKeyId": KEY}
    assert pool["privateEndpointSettings"] == {"subnetId": SUBNET, "nsgIds": [NSG]}
    assert pool["definedTags"] == TAGGING.defined_tags()


def test_streams_and_their_alarms(run_mocked):
    rec = run_mocked(lambda: EventStreams("events", _args()))
    stream = rec.inputs("events-user-event-stream")
    assert stream == {
        "name": "user-event-stream",
        "streamPoolId": "events-pool-preview-id",
        "partitions": 4,
        "retentionInHours": 72,
        "definedTags": TAGGING.defined_tags(),
    }
    failures = rec.inputs("events-user-event-stream-put-failures-alarm")
    assert (
        failures["query"]
        == 'PutMessagesFault.Count[1m]{resourceId = "events-user-event-stream-preview-id"}.sum() > 0'
    )
    assert failures["namespace"] == "oci_streaming" and failures["severity"] == "CRITICAL"
    throttled = rec.inputs("events-user-event-stream-put-throttled-alarm")
    assert throttled["query"].startswith("PutMessagesThrottling.Count[1m]")
    assert throttled["severity"] == "WARNING"


def test_public_pool_without_key_and_no_alarms(run_mocked):
    rec = run_mocked(
        lambda: EventStreams(
            "events", _args(kms_key_id=None, private_endpoint=None, alarm_topic_id=None)
        )
    )
    pool = rec.inputs("events-pool")
    assert "customEncryptionKey" not in pool and "privateEndpointSettings" not in pool
    assert rec.of_type("oci:Monitoring/alarm:Alarm") == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"streams": {}}, "streams must not be empty"),
        (
            {"streams": {"s": StreamSpec(partitions=0)}},
            "streams['s'].partitions must be >= 1 (got 0)",
        ),
        (
            {"streams": {"s": StreamSpec(retention_hours=12)}},
            "streams['s'].retention_hours must be >= 24 (got 12)",
        ),
        (
            {"streams": {"s": StreamSpec(retention_hours=169)}},
            "streams['s'].retention_hours must be <= 168 (got 169)",
        ),
        (
            {"streams": {"bad name": StreamSpec()}},
            "streams['bad name'] must be 1-255 letters, digits, _ . or - (got 'bad name')",
        ),
        ({"kms_key_id": ocid("vault")}, "kms_key_id must be ocid1.key"),
        (
            {"private_endpoint": StreamPoolPrivateEndpoint(ocid("vcn"))},
            "private_endpoint.subnet_id must be ocid1.subnet",
        ),
        (
            {"pool_name": "no spaces"},
            "pool_name must be 1-255 letters, digits, _ . or - (got 'no spaces')",
        ),
    ],
)
def test_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match="EventStreams: " + re.escape(message)):
        run_mocked(lambda: EventStreams("events", _args(**overrides)))
    assert run_mocked.registered == []
