"""The OCI types the audit reads: Resource Search type -> Pulumi type token, and for the
types whose rules read more than tags, the read that fills the provider's input names.

A type without a `read` is judged on what the search gives (name, compartment, tags): the
tag rules. `properties` names the inputs a read fills, so that a read the tenancy refused
leaves exactly those unknown to the rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from guardrails.tooling.audit.live import LiveResource
from guardrails.tooling.audit.oci_models import Reads as Reader
from guardrails.tooling.audit.oci_models import Summary, model_inputs

ADB = "oci:Database/autonomousDatabase:AutonomousDatabase"
BUCKET_TYPE = "oci:ObjectStorage/bucket:Bucket"
STREAM_POOL = "oci:Streaming/streamPool:StreamPool"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
NSG = "oci:Core/networkSecurityGroup:NetworkSecurityGroup"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
SUBNET = "oci:Core/subnet:Subnet"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
INSTANCE = "oci:Core/instance:Instance"
ALARM = "oci:Monitoring/alarm:Alarm"
TOPIC = "oci:Ons/notificationTopic:NotificationTopic"
SUBSCRIPTION = "oci:Ons/subscription:Subscription"
POLICY = "oci:Identity/policy:Policy"
TAG_NAMESPACE = "oci:Identity/tagNamespace:TagNamespace"
TAG = "oci:Identity/tag:Tag"
BUDGET = "oci:Budget/budget:Budget"
BUDGET_RULE = "oci:Budget/rule:Rule"
SCHEDULE = "oci:ResourceScheduler/schedule:Schedule"

Read = Callable[[Reader, Summary, LiveResource], list[LiveResource]]


@dataclass(frozen=True)
class OciType:
    search_type: str
    token: str
    read: Read | None = None
    properties: tuple[str, ...] = ()
    """The inputs `read` fills (unknown when the read was refused)."""


def _fill(base: LiveResource, model: Any, *drop: str, **renamed: str) -> LiveResource:
    """`base` with the model's properties (camelCase), search tags kept, `renamed` as the
    provider names them (`accessType` for the API's `publicAccessType`)."""
    inputs = model_inputs(model)
    for api_name, input_name in renamed.items():
        if api_name in inputs:
            inputs[input_name] = inputs.pop(api_name)
    for name in drop:
        inputs.pop(name, None)
    for key in ("definedTags", "freeformTags"):  # the search's, when the read has none
        inputs[key] = inputs.get(key) or base.inputs[key]
    base.inputs = {**base.inputs, **inputs}
    return base


def _adb(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    adb = reader.call("database", "GetAutonomousDatabase", "get_autonomous_database", s.id)
    base = _fill(base, adb, "connectionStrings", "connectionUrls", "backupConfig")
    base.references = [r for r in [adb.subnet_id] if r]
    return [base]


def _bucket(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    bucket = reader.call("objects", "GetBucket", "get_bucket", reader.namespace, s.name)
    return [_fill(base, bucket, "etag", publicAccessType="accessType")]


def _stream_pool(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    pool = reader.call("streams", "GetStreamPool", "get_stream_pool", s.id)
    base = _fill(base, pool)
    subnet = (pool.private_endpoint_settings and pool.private_endpoint_settings.subnet_id) or None
    base.references = [subnet] if subnet else []
    return [base]


def _security_list(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    found = reader.call("network", "GetSecurityList", "get_security_list", s.id)
    base = _fill(base, found)
    base.references = [found.vcn_id]
    return [base]


def _nsg(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    rules = reader.pages(
        "network",
        "ListNetworkSecurityGroupSecurityRules",
        "list_network_security_group_security_rules",
        s.id,
    )
    out = [base]
    for rule in rules:
        inputs = model_inputs(rule)
        inputs.pop("id", None)
        inputs["networkSecurityGroupId"] = s.id
        out.append(
            LiveResource(
                NSG_RULE, f"{s.id}/{rule.id}", f"{s.name}/{rule.id}", inputs,
                references=[s.id], region=reader.region, scope=s.compartment_id, parent_id=s.id,
            )
        )  # fmt: skip
    return out


def _subnet(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    subnet = reader.call("network", "GetSubnet", "get_subnet", s.id)
    base = _fill(base, subnet, "virtualRouterIp", "virtualRouterMac", "subnetDomainName")
    base.references = [r for r in (subnet.route_table_id, subnet.vcn_id) if r]
    return [base]


def _route_table(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    table = reader.call("network", "GetRouteTable", "get_route_table", s.id)
    base = _fill(base, table)
    base.references = [table.vcn_id, *(r.network_entity_id for r in table.route_rules or [])]
    return [base]


def _cluster(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    cluster = reader.call("oke", "GetCluster", "get_cluster", s.id)
    base = _fill(base, cluster, "endpoints", "metadata", "availableKubernetesUpgrades")
    base.references = [cluster.vcn_id] if cluster.vcn_id else []
    return [base]


def _instance(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    """The rule reads `createVnicDetails.assignPublicIp`: the primary VNIC has a public IP."""
    attachments = reader.pages(
        "compute",
        "ListVnicAttachments",
        "list_vnic_attachments",
        s.compartment_id,
        instance_id=s.id,
    )
    attached = [a for a in attachments if a.lifecycle_state == "ATTACHED" and a.vnic_id]
    public: bool | None = None
    subnet = None
    for attachment in attached:
        vnic = reader.call("network", "GetVnic", "get_vnic", attachment.vnic_id)
        if vnic.is_primary or len(attached) == 1:
            public, subnet = bool(vnic.public_ip), vnic.subnet_id
            break
    if public is None:
        base.unknown = ["createVnicDetails"]
        return [base]
    base.inputs["createVnicDetails"] = {"assignPublicIp": public, "subnetId": subnet}
    base.references = [subnet] if subnet else []
    return [base]


def _alarm(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    alarm = reader.call("monitoring", "GetAlarm", "get_alarm", s.id)
    base = _fill(base, alarm)
    base.references = list(alarm.destinations or [])
    return [base]


def _subscription(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    subscription = reader.call("ons", "GetSubscription", "get_subscription", s.id)
    base = _fill(base, subscription, "etag", "deliveryPolicy")
    base.references = [subscription.topic_id]
    return [base]


def _policy(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    policy = reader.call("identity", "GetPolicy", "get_policy", s.id)
    return [_fill(base, policy, "inactiveStatus")]


def _tag_namespace(reader: Reader, s: Summary, base: LiveResource) -> list[LiveResource]:
    base.inputs["name"] = s.name
    out = [base]
    for summary in reader.pages("identity", "ListTags", "list_tags", s.id):
        tag = reader.call("identity", "GetTag", "get_tag", s.id, summary.name)
        inputs = model_inputs(tag)
        inputs.pop("id", None)
        inputs["tagNamespaceId"] = s.id
        out.append(
            LiveResource(
                TAG, tag.id, tag.name, inputs, references=[s.id],
                region=reader.region, scope=s.compartment_id, parent_id=s.id,
            )
        )  # fmt: skip
    return out


_READ: tuple[OciType, ...] = (
    OciType(
        "AutonomousDatabase", ADB, _adb,
        ("subnetId", "whitelistedIps", "isMtlsConnectionRequired", "licenseModel",
         "backupRetentionPeriodInDays"),
    ),
    OciType("Bucket", BUCKET_TYPE, _bucket, ("accessType", "versioning", "kmsKeyId")),
    OciType(
        "StreamPool", STREAM_POOL, _stream_pool,
        ("customEncryptionKey", "privateEndpointSettings"),
    ),
    OciType("SecurityList", SECURITY_LIST, _security_list, ("ingressSecurityRules",)),
    OciType("NetworkSecurityGroup", NSG, _nsg),
    OciType("Subnet", SUBNET, _subnet, ("prohibitPublicIpOnVnic", "routeTableId")),
    OciType("RouteTable", ROUTE_TABLE, _route_table, ("routeRules",)),
    OciType("ClustersCluster", CLUSTER, _cluster, ("endpointConfig",)),
    OciType("Instance", INSTANCE, _instance, ("createVnicDetails",)),
    OciType("Alarm", ALARM, _alarm, ("isEnabled", "destinations")),
    OciType("OnsTopic", TOPIC),
    OciType("OnsSubscription", SUBSCRIPTION, _subscription, ("topicId",)),
    OciType("Policy", POLICY, _policy, ("statements",)),
    OciType("TagNamespace", TAG_NAMESPACE, _tag_namespace),
    OciType("InternetGateway", "oci:Core/internetGateway:InternetGateway"),
    OciType("Vcn", "oci:Core/vcn:Vcn"),
    OciType("Stream", "oci:Streaming/stream:Stream"),
    OciType("Compartment", "oci:Identity/compartment:Compartment"),
)  # fmt: skip


@cache
def _taggable() -> dict[str, str]:
    """Search type -> token for the other taggable types: the token's last part, when exactly
    one taggable OCI type has it (`FileSystem` -> `oci:FileStorage/fileSystem:FileSystem`)."""
    import policies

    path = Path(policies.__file__).parent / "data" / "taggable_types.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    tokens = data["definedTags"]
    by_name: dict[str, list[str]] = {}
    for token in tokens:
        if isinstance(token, str) and token.startswith("oci:"):
            by_name.setdefault(token.rsplit(":", 1)[-1], []).append(token)
    return {name: found[0] for name, found in by_name.items() if len(found) == 1}


def _table() -> dict[str, OciType]:
    table = {name: OciType(name, token) for name, token in _taggable().items()}
    table.update({t.search_type: t for t in _READ})
    return table


TYPE_FOR_SEARCH: dict[str, OciType] = _table()
OCI_TYPES: frozenset[str] = frozenset(t.token for t in TYPE_FOR_SEARCH.values())
