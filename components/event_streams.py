"""`EventStreams`: an OCI Streaming stream pool, its streams, and alarms on failed and
throttled puts.

Streams have no encryption or network setting of their own: the stream pool carries the
customer-managed KMS key and the private endpoint, so both are arguments of the pool here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_oci as oci

from components.oci_alarm import AlarmCheck, OciAlarm, resource_alarms
from components.tagging import GovernanceTagging, merge_defined_tags
from guardrails.runtime.limits import STREAM_NAME, STREAM_PARTITIONS, STREAM_RETENTION_HOURS
from guardrails.runtime.validation import check_limit, check_not_empty, check_ocid

_COMPONENT = "EventStreams"
STREAM_CHECKS = (
    AlarmCheck("put-failures", "PutMessagesFault.Count", 0, "CRITICAL", "failed puts", "sum", "1m"),
    AlarmCheck(
        "put-throttled", "PutMessagesThrottling.Count", 0, "WARNING", "throttled puts", "sum", "1m"
    ),
)


@dataclass(frozen=True)
class StreamSpec:
    partitions: int = 1
    retention_hours: int = 24


@dataclass(frozen=True)
class StreamPoolPrivateEndpoint:
    subnet_id: str
    nsg_ids: Sequence[str] = ()
    private_endpoint_ip: str | None = None


@dataclass
class EventStreamsArgs:
    compartment_id: str
    tagging: GovernanceTagging
    pool_name: str
    streams: Mapping[str, StreamSpec]
    kms_key_id: str | None = None
    private_endpoint: StreamPoolPrivateEndpoint | None = None
    alarm_topic_id: pulumi.Input[str] | None = None
    """When set, each stream gets alarms on failed and throttled puts to this topic."""
    runbook_url: str | None = None
    extra_defined_tags: Mapping[str, str] = field(default_factory=dict)


class EventStreams(pulumi.ComponentResource):
    """A stream pool with streams and their put-failure and throttling alarms."""

    pool: oci.streaming.StreamPool
    streams: dict[str, oci.streaming.Stream]
    alarms: dict[str, list[OciAlarm]]
    stream_pool_id: pulumi.Output[str]
    stream_ids: dict[str, pulumi.Output[str]]
    messages_endpoints: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: EventStreamsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _validate(args)
        super().__init__("guardrails:oci:EventStreams", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = merge_defined_tags(args.tagging.defined_tags(), args.extra_defined_tags)
        endpoint = args.private_endpoint
        self.pool = oci.streaming.StreamPool(
            f"{name}-pool",
            compartment_id=args.compartment_id,
            name=args.pool_name,
            custom_encryption_key=(
                oci.streaming.StreamPoolCustomEncryptionKeyArgs(kms_key_id=args.kms_key_id)
                if args.kms_key_id
                else None
            ),
            private_endpoint_settings=(
                oci.streaming.StreamPoolPrivateEndpointSettingsArgs(
                    subnet_id=endpoint.subnet_id,
                    nsg_ids=list(endpoint.nsg_ids) or None,
                    private_endpoint_ip=endpoint.private_endpoint_ip,
                )
                if endpoint
                else None
            ),
            defined_tags=tags,
            opts=child,
        )
        self.streams, self.alarms = {}, {}
        for stream_name, spec in sorted(args.streams.items()):
            stream = oci.streaming.Stream(
                f"{name}-{stream_name}",
                name=stream_name,
                stream_pool_id=self.pool.id,
                partitions=int(spec.partitions),
                retention_in_hours=int(spec.retention_hours),
                defined_tags=tags,
                opts=child,
            )
            self.streams[stream_name] = stream
            if args.alarm_topic_id is not None:
                self.alarms[stream_name] = resource_alarms(
                    f"{name}-{stream_name}",
                    STREAM_CHECKS,
                    resource_id=stream.id,
                    label=f"Stream {stream_name}",
                    namespace="oci_streaming",
                    compartment_id=args.compartment_id,
                    destination=args.alarm_topic_id,
                    tagging=args.tagging,
                    runbook_url=args.runbook_url,
                    parent=self,
                )

        self.stream_pool_id = self.pool.id
        self.stream_ids = {k: s.id for k, s in self.streams.items()}
        self.messages_endpoints = {k: s.messages_endpoint for k, s in self.streams.items()}
        self.register_outputs(
            {
                "stream_pool_id": self.stream_pool_id,
                "stream_ids": self.stream_ids,
                "messages_endpoints": self.messages_endpoints,
            }
        )


def _validate(args: EventStreamsArgs) -> None:
    check_ocid(_COMPONENT, "compartment_id", args.compartment_id, "compartment")
    check_limit(_COMPONENT, "pool_name", args.pool_name, STREAM_NAME)
    check_not_empty(_COMPONENT, "streams", args.streams)
    if args.kms_key_id is not None:
        check_ocid(_COMPONENT, "kms_key_id", args.kms_key_id, "key")
    if args.private_endpoint is not None:
        check_ocid(
            _COMPONENT, "private_endpoint.subnet_id", args.private_endpoint.subnet_id, "subnet"
        )
        for nsg in args.private_endpoint.nsg_ids:
            check_ocid(_COMPONENT, "private_endpoint.nsg_ids", nsg, "networksecuritygroup")
    for stream_name, spec in args.streams.items():
        where = f"streams[{stream_name!r}]"
        check_limit(_COMPONENT, where, stream_name, STREAM_NAME)
        check_limit(_COMPONENT, f"{where}.partitions", spec.partitions, STREAM_PARTITIONS)
        check_limit(
            _COMPONENT, f"{where}.retention_hours", spec.retention_hours, STREAM_RETENTION_HOURS
        )
