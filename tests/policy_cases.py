"""Compliant and violating resources for every rule of the catalog.

Each resource rule has one compliant case and one case per way to violate it; each stack
rule has stacks that pass and stacks that fail. The same cases drive the real policy pack
process (test_policy_pack.py) and the checkov custom checks (test_checkov.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from guardrails.tooling.program.record import UNKNOWN, CapturedResource
from tests.conftest import ocid

ADB = "oci:Database/autonomousDatabase:AutonomousDatabase"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
POOL = "oci:Streaming/streamPool:StreamPool"
ALARM = "oci:Monitoring/alarm:Alarm"
TOPIC = "oci:Ons/notificationTopic:NotificationTopic"
SUBSCRIPTION = "oci:Ons/subscription:Subscription"
BUDGET = "oci:Budget/budget:Budget"
BUDGET_RULE = "oci:Budget/rule:Rule"
POLICY = "oci:Identity/policy:Policy"
VCN = "oci:Core/vcn:Vcn"
LAYER = "aws:lambda/layerVersion:LayerVersion"
LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
CW_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SNS = "aws:sns/topic:Topic"
SNS_SUB = "aws:sns/topicSubscription:TopicSubscription"
AWS_BUDGET = "aws:budgets/budget:Budget"
TAG_NAMESPACE = "oci:Identity/tagNamespace:TagNamespace"
TAG_DEFINITION = "oci:Identity/tag:Tag"
S3 = "aws:s3/bucket:Bucket"
SCHEDULE = "oci:ResourceScheduler/schedule:Schedule"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
SUBNET_TYPE = "oci:Core/subnet:Subnet"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "oci:Core/defaultRouteTable:DefaultRouteTable"
IGW = "oci:Core/internetGateway:InternetGateway"

TAGS = {
    "governance.cost_center": "CC-101",
    "governance.environment": "dev",
    "governance.owner": "platform",
}
PROD_TAGS = {**TAGS, "governance.environment": "prod"}
AWS_TAGS = {"cost_center": "CC-101", "environment": "dev"}
SUBNET = ocid("subnet", "db", "eu-frankfurt-1")
KEY = "ocid1.key.oc1.eu-frankfurt-1.bbbbbbbbvault.aaaaaaaakey00000000000000000000"


def res(
    type_: str,
    props: dict[str, Any],
    *,
    name: str = "r",
    protect: bool = False,
    deps: tuple[str, ...] = (),
) -> CapturedResource:
    return CapturedResource(
        urn=f"urn:pulumi:dev::cases::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        parent=None,
        inputs=props,
        protect=protect,
        dependencies=list(deps),
    )


@dataclass(frozen=True)
class Case:
    rule: str
    label: str
    resource: CapturedResource
    violates: bool
    provider_props: dict[str, Any] = field(default_factory=dict)
    checkov: bool = True
    """False where checkov cannot see what the rule needs (provider defaultTags in HCL)."""
    message: str = ""
    """For a violating case: the rule's message, which names the offending value and the fix
    (so a rule that fires for the wrong reason fails its test)."""
    messages: tuple[str, ...] = ()
    """The exact messages, when the case asserts them whole (in process: the pack and
    checkov add their own prefixes)."""


def adb(**props: Any) -> dict[str, Any]:
    base = {
        "compartmentId": ocid("compartment"),
        "dbName": "ORDERS",
        "licenseModel": "LICENSE_INCLUDED",
        "subnetId": SUBNET,
        "isMtlsConnectionRequired": True,
        "secretId": ocid("vaultsecret"),
        "backupRetentionPeriodInDays": 14,
        "definedTags": TAGS,
    }
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


def bucket(**props: Any) -> dict[str, Any]:
    base = {
        "name": "b",
        "namespace": "ns",
        "compartmentId": ocid("compartment"),
        "accessType": "NoPublicAccess",
        "versioning": "Enabled",
        "kmsKeyId": KEY,
        "definedTags": TAGS,
    }
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


def nsg_rule(**props: Any) -> dict[str, Any]:
    base = {
        "direction": "INGRESS",
        "networkSecurityGroupId": "nsg",
        "protocol": "6",
        "source": "10.0.0.0/16",
        "sourceType": "CIDR_BLOCK",
        "tcpOptions": {"destinationPortRange": {"min": 1521, "max": 1522}},
    }
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


def ingress(**rule: Any) -> dict[str, Any]:
    return {
        "compartmentId": ocid("compartment"),
        "vcnId": "vcn",
        "definedTags": TAGS,
        "ingressSecurityRules": [rule],
    }


def pool(**props: Any) -> dict[str, Any]:
    base = {
        "name": "p",
        "compartmentId": ocid("compartment"),
        "customEncryptionKey": {"kmsKeyId": KEY},
        "privateEndpointSettings": {"subnetId": SUBNET},
        "definedTags": TAGS,
    }
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


def alarm(**props: Any) -> dict[str, Any]:
    base = {
        "displayName": "a",
        "compartmentId": ocid("compartment"),
        "metricCompartmentId": ocid("compartment"),
        "namespace": "oci_streaming",
        "query": "X[1m].sum() > 0",
        "severity": "CRITICAL",
        "isEnabled": True,
        "destinations": ["topic"],
        "definedTags": TAGS,
    }
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


def port(low: int, high: int | None = None) -> dict[str, Any]:
    """NSG rule tcpOptions for a destination port range."""
    return {"destinationPortRange": {"min": low, "max": low if high is None else high}}


def cluster(**endpoint: Any) -> dict[str, Any]:
    base = {
        "compartmentId": ocid("compartment"),
        "vcnId": ocid("vcn"),
        "kubernetesVersion": "v1.31.1",
        "name": "oke",
        "definedTags": TAGS,
        "endpointConfig": {"subnetId": SUBNET, **endpoint},
    }
    return base


def layer(**props: Any) -> dict[str, Any]:
    base = {"layerName": "deps", "compatibleRuntimes": ["python3.12"], "code": "layer.zip"}
    base.update(props)
    return {k: v for k, v in base.items() if v is not None}


CASES: list[Case] = [
    # tagging (OCI)
    Case(
        "oci-tagging-resource-required-tags",
        "tagged",
        res(VCN, {"cidrBlocks": ["10.0.0.0/16"], "definedTags": TAGS}),
        False,
    ),
    Case(
        "oci-tagging-resource-required-tags",
        "no tags",
        res(VCN, {"cidrBlocks": ["10.0.0.0/16"]}),
        True,
    ),
    Case(
        "oci-tagging-resource-required-tags",
        "no environment",
        res(VCN, {"definedTags": {"governance.cost_center": "CC-101"}}),
        True,
    ),
    Case(
        "oci-tagging-resource-required-tags",
        "other namespace",
        res(VCN, {"definedTags": {"ops.cost_center": "CC-101", "ops.environment": "dev"}}),
        True,
    ),
    Case(
        "oci-tagging-resource-required-tags",
        "tag namespace itself",
        res("oci:Identity/tagNamespace:TagNamespace", {"name": "governance"}),
        False,
    ),
    Case("oci-tagging-resource-allowed-values", "allowed", res(VCN, {"definedTags": TAGS}), False),
    Case(
        "oci-tagging-resource-allowed-values",
        "unknown environment",
        res(VCN, {"definedTags": {**TAGS, "governance.environment": "qa"}}),
        True,
    ),
    # tagging (AWS)
    Case(
        "aws-tagging-resource-required-tags",
        "tagged",
        res(SNS, {"tags": AWS_TAGS, "kmsMasterKeyId": "alias/aws/sns"}),
        False,
    ),
    Case(
        "aws-tagging-resource-required-tags",
        "provider default tags",
        res(SNS, {"kmsMasterKeyId": "k"}),
        False,
        provider_props={"defaultTags": '{"tags":{"cost_center":"CC-1","environment":"dev"}}'},
        checkov=False,
    ),
    Case("aws-tagging-resource-required-tags", "no tags", res(SNS, {"kmsMasterKeyId": "k"}), True),
    Case(
        "aws-tagging-resource-required-tags",
        "no cost_center",
        res(SNS, {"tags": {"environment": "dev"}}),
        True,
    ),
    Case("aws-tagging-resource-allowed-values", "allowed", res(SNS, {"tags": AWS_TAGS}), False),
    Case(
        "aws-tagging-resource-allowed-values",
        "unknown environment",
        res(SNS, {"tags": {**AWS_TAGS, "environment": "qa"}}),
        True,
    ),
    # Autonomous Database
    Case("oci-database-adb-private-access", "private endpoint", res(ADB, adb()), False),
    Case(
        "oci-database-adb-private-access",
        "allow-list",
        res(ADB, adb(subnetId=None, whitelistedIps=["203.0.113.0/24"])),
        False,
    ),
    Case("oci-database-adb-private-access", "neither", res(ADB, adb(subnetId=None)), True),
    Case(
        "oci-database-adb-private-access",
        "empty allow-list",
        res(ADB, adb(subnetId=None, whitelistedIps=[])),
        True,
    ),
    Case(
        "oci-database-adb-private-access",
        "0.0.0.0/0",
        res(ADB, adb(subnetId=None, whitelistedIps=["10.0.0.0/8", "0.0.0.0/0"])),
        True,
    ),
    Case(
        "oci-database-adb-private-access",
        "::/0",
        res(ADB, adb(subnetId=None, whitelistedIps=["::/0"])),
        True,
    ),
    Case(
        "oci-database-adb-mtls-required",
        "private endpoint, no mTLS",
        res(ADB, adb(isMtlsConnectionRequired=False)),
        False,
    ),
    Case(
        "oci-database-adb-mtls-required",
        "allow-list with mTLS",
        res(ADB, adb(subnetId=None, whitelistedIps=["203.0.113.7"])),
        False,
    ),
    Case(
        "oci-database-adb-mtls-required",
        "allow-list without mTLS",
        res(
            ADB, adb(subnetId=None, whitelistedIps=["203.0.113.7"], isMtlsConnectionRequired=False)
        ),
        True,
    ),
    Case(
        "oci-database-adb-mtls-required",
        "allow-list, mTLS unset",
        res(ADB, adb(subnetId=None, whitelistedIps=["203.0.113.7"], isMtlsConnectionRequired=None)),
        True,
    ),
    Case("oci-database-adb-license-explicit", "set", res(ADB, adb()), False),
    Case("oci-database-adb-license-explicit", "unset", res(ADB, adb(licenseModel=None)), True),
    Case("oci-database-adb-vault-password", "vault", res(ADB, adb()), False),
    Case(
        "oci-database-adb-vault-password",
        "admin password",
        res(ADB, adb(secretId=None, adminPassword="[secret]")),
        True,
    ),
    Case("oci-database-adb-backup-retention", "14 days", res(ADB, adb()), False),
    Case(
        "oci-database-adb-backup-retention",
        "service default",
        res(ADB, adb(backupRetentionPeriodInDays=None)),
        False,
    ),
    Case(
        "oci-database-adb-backup-retention",
        "3 days",
        res(ADB, adb(backupRetentionPeriodInDays=3)),
        True,
        message="backup retention 3 days is below 7 days; set backupRetentionPeriodInDays to "
        "at least 7",
    ),
    # at, just below and just above the limit (7 days by default)
    Case(
        "oci-database-adb-backup-retention",
        "exactly the minimum",
        res(ADB, adb(backupRetentionPeriodInDays=7)),
        False,
    ),
    Case(
        "oci-database-adb-backup-retention",
        "one day short",
        res(ADB, adb(backupRetentionPeriodInDays=6)),
        True,
        message="backup retention 6 days is below 7 days",
    ),
    Case(
        "oci-database-adb-backup-retention",
        "one day over",
        res(ADB, adb(backupRetentionPeriodInDays=8)),
        False,
    ),
    Case(
        "oci-database-adb-production-protected",
        "prod, protected",
        res(ADB, adb(definedTags=PROD_TAGS), protect=True),
        False,
    ),
    Case("oci-database-adb-production-protected", "dev, unprotected", res(ADB, adb()), False),
    Case(
        "oci-database-adb-production-protected",
        "prod, unprotected",
        res(ADB, adb(definedTags=PROD_TAGS)),
        True,
    ),
    # buckets
    Case("oci-objectstorage-bucket-no-public-access", "private", res(BUCKET, bucket()), False),
    Case(
        "oci-objectstorage-bucket-no-public-access",
        "default access",
        res(BUCKET, bucket(accessType=None)),
        False,
    ),
    Case(
        "oci-objectstorage-bucket-no-public-access",
        "ObjectRead",
        res(BUCKET, bucket(accessType="ObjectRead")),
        True,
    ),
    Case(
        "oci-objectstorage-bucket-no-public-access",
        "ObjectReadWithoutList",
        res(BUCKET, bucket(accessType="ObjectReadWithoutList")),
        True,
    ),
    Case("oci-objectstorage-bucket-versioning-enabled", "enabled", res(BUCKET, bucket()), False),
    Case(
        "oci-objectstorage-bucket-versioning-enabled",
        "unset",
        res(BUCKET, bucket(versioning=None)),
        True,
    ),
    Case(
        "oci-objectstorage-bucket-versioning-enabled",
        "disabled",
        res(BUCKET, bucket(versioning="Disabled")),
        True,
    ),
    Case("oci-objectstorage-bucket-customer-managed-key", "CMK", res(BUCKET, bucket()), False),
    Case(
        "oci-objectstorage-bucket-customer-managed-key",
        "Oracle key",
        res(BUCKET, bucket(kmsKeyId=None)),
        True,
    ),
    # network
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "private source",
        res(NSG_RULE, nsg_rule()),
        False,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "public https",
        res(
            NSG_RULE,
            nsg_rule(
                source="0.0.0.0/0", tcpOptions={"destinationPortRange": {"min": 443, "max": 443}}
            ),
        ),
        False,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "public icmp",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", protocol="1", tcpOptions=None)),
        False,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "egress to world",
        res(NSG_RULE, nsg_rule(direction="EGRESS", source=None, destination="0.0.0.0/0")),
        False,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "ssh from world",
        res(
            NSG_RULE,
            nsg_rule(
                source="0.0.0.0/0", tcpOptions={"destinationPortRange": {"min": 22, "max": 22}}
            ),
        ),
        True,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "range containing 3389",
        res(
            NSG_RULE,
            nsg_rule(
                source="::/0", tcpOptions={"destinationPortRange": {"min": 3000, "max": 4000}}
            ),
        ),
        True,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "listener from world",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0")),
        True,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "all TCP ports",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=None)),
        True,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "all protocols",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", protocol="all", tcpOptions=None)),
        True,
    ),
    Case(
        "oci-network-securitylist-no-public-admin-ports",
        "private ssh",
        res(
            SECURITY_LIST,
            ingress(protocol="6", source="10.0.0.0/8", tcpOptions={"min": 22, "max": 22}),
        ),
        False,
    ),
    Case(
        "oci-network-securitylist-no-public-admin-ports",
        "public https",
        res(
            SECURITY_LIST,
            ingress(protocol="6", source="0.0.0.0/0", tcpOptions={"min": 443, "max": 443}),
        ),
        False,
    ),
    Case(
        "oci-network-securitylist-no-public-admin-ports",
        "public ssh",
        res(
            SECURITY_LIST,
            ingress(protocol="6", source="0.0.0.0/0", tcpOptions={"min": 22, "max": 22}),
        ),
        True,
    ),
    Case(
        "oci-network-securitylist-no-public-admin-ports",
        "public all",
        res(SECURITY_LIST, ingress(protocol="all", source="0.0.0.0/0")),
        True,
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "Kubernetes API from world",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(6443))),
        True,
        message="ingress from 0.0.0.0/0 to 6443",
    ),
    Case(
        "oci-network-nsgrule-no-public-admin-ports",
        "Kubernetes API from the VCN",
        res(NSG_RULE, nsg_rule(source="10.0.0.0/16", tcpOptions=port(6443))),
        False,
    ),
    Case(
        "oci-network-securitylist-no-public-admin-ports",
        "public listener range",
        res(
            SECURITY_LIST,
            ingress(protocol="6", source="::/0", tcpOptions={"min": 1500, "max": 1600}),
        ),
        True,
        message="ingressSecurityRules[0]: ingress from ::/0 to 1521, 1522",
    ),
    # Kubernetes NodePorts
    Case(
        "oci-network-ingress-no-public-nodeports",
        "NodePorts from the VCN",
        res(NSG_RULE, nsg_rule(source="10.0.0.0/16", tcpOptions=port(30000, 32767))),
        False,
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "public https",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(443))),
        False,
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "NodePort range from world (NSG rule)",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(30000, 32767))),
        True,
        message="ingress from 0.0.0.0/0 to the Kubernetes NodePort range 30000-32767 "
        "(TCP 30000-32767)",
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "one NodePort from world (UDP, security list)",
        res(
            SECURITY_LIST,
            ingress(protocol="17", source="0.0.0.0/0", udpOptions={"min": 31000, "max": 31000}),
        ),
        True,
        message="ingressSecurityRules[0]: ingress from 0.0.0.0/0 to the Kubernetes NodePort "
        "range 30000-32767 (UDP 31000)",
    ),
    # each end of the NodePort range, and just outside it
    Case(
        "oci-network-ingress-no-public-nodeports",
        "from world up to 30000",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(8000, 30000))),
        True,
        message="ingress from 0.0.0.0/0 to the Kubernetes NodePort range 30000-32767 "
        "(TCP 8000-30000)",
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "from world up to 29999",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(8000, 29999))),
        False,
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "from world from 32767",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(32767, 40000))),
        True,
        message="ingress from 0.0.0.0/0 to the Kubernetes NodePort range 30000-32767 "
        "(TCP 32767-40000)",
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "from world from 32768",
        res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(32768, 40000))),
        False,
    ),
    Case(
        "oci-network-ingress-no-public-nodeports",
        "all protocols from world (security list)",
        res(SECURITY_LIST, ingress(protocol="all", source="0.0.0.0/0")),
        True,
        message="ingressSecurityRules[0]: ingress from 0.0.0.0/0 to the Kubernetes NodePort "
        "range 30000-32767 (all protocols and ports)",
    ),
    # Kubernetes API endpoint
    Case(
        "oci-containerengine-cluster-private-api-endpoint",
        "private endpoint",
        res(CLUSTER, cluster(isPublicIpEnabled=False)),
        False,
    ),
    Case(
        "oci-containerengine-cluster-private-api-endpoint",
        "public IP unset",
        res(CLUSTER, cluster()),
        False,
    ),
    Case(
        "oci-containerengine-cluster-private-api-endpoint",
        "public IP",
        res(CLUSTER, cluster(isPublicIpEnabled=True)),
        True,
        message="the Kubernetes API endpoint has a public IP "
        "(endpointConfig.isPublicIpEnabled=true); reach it through a bastion or VPN instead",
    ),
    Case(
        "oci-containerengine-cluster-private-api-endpoint",
        "legacy endpoint outside the VCN",
        res(CLUSTER, {k: v for k, v in cluster().items() if k != "endpointConfig"}),
        True,
        message="no endpointConfig: the Kubernetes API endpoint is not in the VCN and is "
        "public; set endpointConfig with a private subnet",
    ),
    # streaming
    Case("oci-streaming-streampool-customer-managed-key", "CMK", res(POOL, pool()), False),
    Case(
        "oci-streaming-streampool-customer-managed-key",
        "Oracle key",
        res(POOL, pool(customEncryptionKey=None)),
        True,
    ),
    Case("oci-streaming-streampool-private-endpoint", "private", res(POOL, pool()), False),
    Case(
        "oci-streaming-streampool-private-endpoint",
        "public",
        res(POOL, pool(privateEndpointSettings=None)),
        True,
    ),
    # alarms
    Case("oci-monitoring-alarm-enabled", "enabled", res(ALARM, alarm()), False),
    Case("oci-monitoring-alarm-enabled", "disabled", res(ALARM, alarm(isEnabled=False)), True),
    Case("oci-monitoring-alarm-has-destination", "destination", res(ALARM, alarm()), False),
    Case("oci-monitoring-alarm-has-destination", "none", res(ALARM, alarm(destinations=[])), True),
    # IAM
    Case(
        "oci-identity-policy-no-tenancy-admin",
        "scoped",
        res(
            POLICY,
            {
                "statements": ["Allow group devs to use database-family in compartment apps"],
                "definedTags": TAGS,
            },
        ),
        False,
    ),
    Case(
        "oci-identity-policy-no-tenancy-admin",
        "administrators",
        res(
            POLICY,
            {
                "statements": ["Allow group Administrators to manage all-resources in tenancy"],
                "definedTags": TAGS,
            },
        ),
        False,
    ),
    Case(
        "oci-identity-policy-no-tenancy-admin",
        "administrators, quoted",
        res(
            POLICY,
            {
                "statements": ["Allow group 'Administrators' to manage all-resources in tenancy"],
                "definedTags": TAGS,
            },
        ),
        False,
    ),
    Case(
        "oci-identity-policy-no-tenancy-admin",
        "other group",
        res(
            POLICY,
            {
                "statements": ["allow group 'Default'/'devs' to manage all-resources in tenancy"],
                "definedTags": TAGS,
            },
        ),
        True,
    ),
    # AWS
    Case(
        "aws-lambda-layerpermission-no-public",
        "account",
        res(LAYER_PERMISSION, {"principal": "123456789012", "action": "lambda:GetLayerVersion"}),
        False,
    ),
    Case(
        "aws-lambda-layerpermission-no-public",
        "organisation",
        res(
            LAYER_PERMISSION,
            {
                "principal": "*",
                "organizationId": "o-abc123def4",
                "action": "lambda:GetLayerVersion",
            },
        ),
        False,
    ),
    Case(
        "aws-lambda-layerpermission-no-public",
        "public",
        res(LAYER_PERMISSION, {"principal": "*", "action": "lambda:GetLayerVersion"}),
        True,
    ),
    Case("aws-lambda-layerversion-runtimes-declared", "declared", res(LAYER, layer()), False),
    Case(
        "aws-lambda-layerversion-runtimes-declared",
        "missing",
        res(LAYER, layer(compatibleRuntimes=None)),
        True,
    ),
    Case(
        "aws-lambda-layerversion-runtimes-supported",
        "current",
        res(LAYER, layer(compatibleRuntimes=["python3.12", "python3.13"])),
        False,
    ),
    Case(
        "aws-lambda-layerversion-runtimes-supported",
        "deprecated",
        res(LAYER, layer(compatibleRuntimes=["python3.12", "python3.7"])),
        True,
    ),
    Case(
        "aws-cloudwatch-alarm-has-actions",
        "actions",
        res(
            CW_ALARM,
            {"alarmActions": ["arn:aws:sns:eu-central-1:123456789012:a"], "tags": AWS_TAGS},
        ),
        False,
    ),
    Case(
        "aws-cloudwatch-alarm-has-actions",
        "none",
        res(CW_ALARM, {"metricName": "Errors", "tags": AWS_TAGS}),
        True,
    ),
    Case(
        "aws-sns-topic-kms-encrypted",
        "KMS",
        res(SNS, {"kmsMasterKeyId": "alias/aws/sns", "tags": AWS_TAGS}),
        False,
    ),
    Case("aws-sns-topic-kms-encrypted", "plain", res(SNS, {"tags": AWS_TAGS}), True),
]

# --- the classic exposures, judged by the catalog itself (issue 17) -------------------------
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS = "aws:eks/cluster:Cluster"
AWS_SUBNET = "aws:ec2/subnet:Subnet"
RDS = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
OCI_INSTANCE = "oci:Core/instance:Instance"
ADMIN_FIX = "allow a specific CIDR (or a bastion, or SSM Session Manager) instead"


def sg(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"vpcId": "vpc-1", "tags": AWS_TAGS, "ingress": list(rules)}


def sg_in(low: int, high: int | None, protocol: str = "tcp", **source: Any) -> dict[str, Any]:
    return {"protocol": protocol, "fromPort": low, "toPort": high, **source}


WORLD4 = {"cidrBlocks": ["0.0.0.0/0"]}
WORLD6 = {"ipv6CidrBlocks": ["::/0"]}
OFFICE = {"cidrBlocks": ["203.0.113.0/24"]}
SG_ID = "aws-ec2-securitygroup-no-public-admin-ports"
CASES += [
    Case(SG_ID, "https from world", res(SG, sg(sg_in(443, 443, **WORLD4))), False),
    Case(SG_ID, "ssh from the office", res(SG, sg(sg_in(22, 22, **OFFICE))), False),
    Case(SG_ID, "icmp from world", res(SG, sg(sg_in(-1, -1, "icmp", **WORLD4))), False),
    Case(SG_ID, "port 21 from world", res(SG, sg(sg_in(21, 21, **WORLD4))), False),
    Case(SG_ID, "port 23 from world", res(SG, sg(sg_in(23, 23, **WORLD4))), False),
    Case(
        SG_ID,
        "ssh from world",
        res(SG, sg(sg_in(22, 22, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "rdp from ::/0",
        res(SG, sg(sg_in(443, 443, **OFFICE), sg_in(3389, 3389, **WORLD6))),
        True,
        message=f"ingress[1]: ingress from ::/0 to 3389; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "Kubernetes API range from world",
        res(SG, sg(sg_in(6000, 7000, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 6443; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "everything from world",
        res(SG, sg(sg_in(0, 0, "-1", **WORLD4))),
        True,
        message="ingress[0]: ingress from 0.0.0.0/0 to all protocols and ports (protocol -1); "
        + ADMIN_FIX,
    ),
    Case(
        SG_ID,
        "all TCP ports from world",
        res(SG, sg(sg_in(0, 65535, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to all TCP ports; {ADMIN_FIX}",
    ),
    # where "all ports" starts and ends, protocol numbers, a missing toPort
    Case(
        SG_ID,
        "ports 1-65535 from world",
        res(SG, sg(sg_in(1, 65535, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to all TCP ports; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "ports 2-65535 from world",
        res(SG, sg(sg_in(2, 65535, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 22, 1521, 1522, 3389, 6443; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "ports 0-65534 from world",
        res(SG, sg(sg_in(0, 65534, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 22, 1521, 1522, 3389, 6443; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "protocol 6, ssh from world",
        res(SG, sg(sg_in(22, 22, "6", **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "udp 3389 from world",
        res(SG, sg(sg_in(3389, 3389, "udp", **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 3389; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "ssh from world, no toPort",
        res(SG, sg(sg_in(22, None, **WORLD4))),
        True,
        message=f"ingress[0]: ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
    ),
    Case(SG_ID, "port 2222 from world", res(SG, sg(sg_in(2222, 2222, **WORLD4))), False),
    Case(
        SG_ID,
        "rule resource, ssh from world",
        res(
            SG_RULE,
            {"type": "ingress", "securityGroupId": "sg-1", **sg_in(22, 22, **WORLD4)},
        ),
        True,
        message=f"ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "rule resource, egress to world",
        res(SG_RULE, {"type": "egress", "securityGroupId": "sg-1", **sg_in(0, 0, "-1", **WORLD4)}),
        False,
    ),
    Case(
        SG_ID,
        "vpc ingress rule, ssh from world",
        res(
            SG_INGRESS,
            {
                "securityGroupId": "sg-1",
                "ipProtocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrIpv4": "0.0.0.0/0",
            },
        ),
        True,
        message=f"ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
    ),
    Case(
        SG_ID,
        "vpc ingress rule, all from ::/0",
        res(SG_INGRESS, {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv6": "::/0"}),
        True,
        message="ingress from ::/0 to all protocols and ports (protocol -1); " + ADMIN_FIX,
    ),
    Case(
        SG_ID,
        "vpc ingress rule, ssh from a subnet",
        res(
            SG_INGRESS,
            {
                "securityGroupId": "sg-1",
                "ipProtocol": "tcp",
                "fromPort": 22,
                "toPort": 22,
                "cidrIpv4": "10.0.0.0/16",
            },
        ),
        False,
    ),
    Case(
        "aws-eks-cluster-private-api-endpoint",
        "private endpoint",
        res(
            EKS,
            {
                "roleArn": "arn",
                "tags": AWS_TAGS,
                "vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True},
            },
        ),
        False,
    ),
    Case(
        "aws-eks-cluster-private-api-endpoint",
        "public endpoint for the office",
        res(
            EKS,
            {
                "roleArn": "arn",
                "tags": AWS_TAGS,
                "vpcConfig": {"publicAccessCidrs": ["203.0.113.0/24"]},
            },
        ),
        False,
    ),
    Case(
        "aws-eks-cluster-private-api-endpoint",
        "defaults",
        res(EKS, {"roleArn": "arn", "tags": AWS_TAGS, "vpcConfig": {"subnetIds": ["s-1"]}}),
        True,
        message="the Kubernetes API endpoint is public and open to 0.0.0.0/0 (the default) "
        "(vpcConfig.endpointPublicAccess is not false); set endpointPublicAccess=false with "
        "endpointPrivateAccess=true, or list specific publicAccessCidrs",
    ),
    Case(
        "aws-eks-cluster-private-api-endpoint",
        "open to the world",
        res(
            EKS,
            {
                "roleArn": "arn",
                "tags": AWS_TAGS,
                "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]},
            },
        ),
        True,
        message="the Kubernetes API endpoint is public and open to 0.0.0.0/0 "
        "(vpcConfig.endpointPublicAccess is not false)",
    ),
    Case(
        "aws-ec2-subnet-no-public-ip-on-launch",
        "private",
        res(AWS_SUBNET, {"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "tags": AWS_TAGS}),
        False,
    ),
    Case(
        "aws-ec2-subnet-no-public-ip-on-launch",
        "public IPs on launch",
        res(
            AWS_SUBNET,
            {
                "vpcId": "vpc-1",
                "cidrBlock": "10.0.1.0/24",
                "mapPublicIpOnLaunch": True,
                "tags": AWS_TAGS,
            },
        ),
        True,
        message="every instance launched in the subnet gets a public IP "
        "(mapPublicIpOnLaunch=true); set it to false and use a NAT gateway or a load balancer",
    ),
    Case(
        "aws-rds-instance-not-public",
        "private",
        res(RDS, {"instanceClass": "db.t3.micro", "publiclyAccessible": False, "tags": AWS_TAGS}),
        False,
    ),
    Case(
        "aws-rds-instance-not-public",
        "public",
        res(RDS, {"instanceClass": "db.t3.micro", "publiclyAccessible": True, "tags": AWS_TAGS}),
        True,
        message="the database has a public endpoint (publiclyAccessible=true); set it to false "
        "and reach it from inside the VPC",
    ),
    Case(
        "aws-rds-instance-not-public",
        "public cluster instance",
        res(
            RDS_CLUSTER_INSTANCE,
            {"clusterIdentifier": "c", "publiclyAccessible": True, "tags": AWS_TAGS},
        ),
        True,
        message="the database has a public endpoint (publiclyAccessible=true)",
    ),
    Case(
        "oci-compute-instance-no-public-ip",
        "private VNIC",
        res(
            OCI_INSTANCE,
            {"definedTags": TAGS, "createVnicDetails": {"assignPublicIp": False}},
        ),
        False,
    ),
    Case(
        "oci-compute-instance-no-public-ip",
        "subnet decides",
        res(OCI_INSTANCE, {"definedTags": TAGS, "createVnicDetails": {"subnetId": SUBNET}}),
        False,
    ),
    Case(
        "oci-compute-instance-no-public-ip",
        "public IP",
        res(OCI_INSTANCE, {"definedTags": TAGS, "createVnicDetails": {"assignPublicIp": True}}),
        True,
        message="the instance's primary VNIC gets a public IP (createVnicDetails.assignPublicIp="
        "true); set it to false and reach the instance through a bastion or a load balancer",
    ),
    Case(
        "oci-compute-instance-no-public-ip",
        "public IP as Terraform writes it",
        res(OCI_INSTANCE, {"definedTags": TAGS, "createVnicDetails": {"assignPublicIp": "true"}}),
        True,
        message="createVnicDetails.assignPublicIp=true",
    ),
]


@dataclass(frozen=True)
class StackCase:
    rule: str
    label: str
    resources: list[CapturedResource]
    violating: list[str]
    """Names of the resources reported (`<stack>` for a stack-wide finding)."""
    messages: list[str] = field(default_factory=list)
    """The exact reported messages, when the case asserts them whole."""
    message: str = ""
    """A fragment every reported message contains (naming the offending value and the fix)."""


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::cases::{type_}::{name}"


TENANCY = ocid("tenancy")


def _governance_tags(
    namespace: str = "governance", *, linked: bool = True
) -> list[CapturedResource]:
    """A tag namespace and its ENUM tag definitions, as GovernanceTags declares them."""
    deps = (_urn(TAG_NAMESPACE, "ns"),) if linked else ()
    enum = {"validatorType": "ENUM"}
    return [
        res(TAG_NAMESPACE, {"name": namespace}, name="ns"),
        res(
            TAG_DEFINITION,
            {"name": "cost_center", "validator": enum | {"values": ["CC-101", "CC-202"]}},
            name="cc",
            deps=deps,
        ),
        res(
            TAG_DEFINITION,
            {"name": "environment", "validator": enum | {"values": ["dev", "prod"]}},
            name="env",
            deps=deps,
        ),
        res(TAG_DEFINITION, {"name": "owner"}, name="owner", deps=deps),
    ]


_ENUM_RULE = "oci-tagging-stack-allowed-values"
_ENUM_MESSAGE = "defined tag values not allowed by the tag definitions' ENUM validators: "
ENUM_CASES: list[StackCase] = [
    StackCase(
        _ENUM_RULE,
        "values in the ENUMs",
        [*_governance_tags(), res(VCN, {"definedTags": TAGS}, name="v")],
        [],
    ),
    StackCase(
        _ENUM_RULE,
        "no ENUM tag definition in the stack",
        [res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-999"}}, name="v")],
        [],
    ),
    StackCase(
        _ENUM_RULE,
        "cost center outside its ENUM",
        [
            *_governance_tags(),
            res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-303"}}, name="v"),
        ],
        ["v"],
        [_ENUM_MESSAGE + "governance.cost_center='CC-303' (allowed: CC-101, CC-202)"],
    ),
    StackCase(
        _ENUM_RULE,
        "environment outside its ENUM",
        [
            *_governance_tags(),
            res(VCN, {"definedTags": {**TAGS, "governance.environment": "staging"}}, name="v"),
        ],
        ["v"],
        [_ENUM_MESSAGE + "governance.environment='staging' (allowed: dev, prod)"],
    ),
    StackCase(
        _ENUM_RULE,
        "namespace named by the TagNamespace the tags depend on",
        [
            *_governance_tags("finops"),
            res(VCN, {"definedTags": {"finops.cost_center": "CC-9", **TAGS}}, name="v"),
        ],
        ["v"],
        [_ENUM_MESSAGE + "finops.cost_center='CC-9' (allowed: CC-101, CC-202)"],
    ),
    StackCase(
        _ENUM_RULE,
        "tags of a namespace another stack owns take the configured namespace",
        [
            *_governance_tags("other", linked=False),
            res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-9"}}, name="v"),
        ],
        ["v"],
        [_ENUM_MESSAGE + "governance.cost_center='CC-9' (allowed: CC-101, CC-202)"],
    ),
]

STACK_CASES: list[StackCase] = [
    *ENUM_CASES,
    StackCase(
        "oci-ons-topic-has-subscription",
        "subscribed",
        [
            res(TOPIC, {"name": "t"}, name="t"),
            res(SUBSCRIPTION, {"protocol": "EMAIL"}, name="s", deps=(_urn(TOPIC, "t"),)),
            res(ALARM, alarm(), name="a", deps=(_urn(TOPIC, "t"),)),
        ],
        [],
    ),
    StackCase(
        "oci-ons-topic-has-subscription", "unused topic", [res(TOPIC, {"name": "t"}, name="t")], []
    ),
    StackCase(
        "oci-ons-topic-has-subscription",
        "alarm topic without subscription",
        [
            res(TOPIC, {"name": "t"}, name="t"),
            res(ALARM, alarm(), name="a", deps=(_urn(TOPIC, "t"),)),
        ],
        ["t"],
    ),
    StackCase(
        "aws-sns-topic-has-subscription",
        "budget topic without subscription",
        [res(SNS, {}, name="t"), res(AWS_BUDGET, {}, name="b", deps=(_urn(SNS, "t"),))],
        ["t"],
    ),
    StackCase(
        "aws-sns-topic-has-subscription",
        "subscribed",
        [
            res(SNS, {}, name="t"),
            res(SNS_SUB, {}, name="s", deps=(_urn(SNS, "t"),)),
            res(CW_ALARM, {}, name="a", deps=(_urn(SNS, "t"),)),
        ],
        [],
    ),
    StackCase(
        "oci-budget-budget-has-alert-rule",
        "with rule",
        [
            res(BUDGET, {"targets": [TENANCY]}, name="b"),
            res(BUDGET_RULE, {"type": "FORECAST"}, name="r", deps=(_urn(BUDGET, "b"),)),
        ],
        [],
    ),
    StackCase(
        "oci-budget-budget-has-alert-rule",
        "without rule",
        [res(BUDGET, {"targets": [TENANCY]}, name="b")],
        ["b"],
    ),
    StackCase(
        "oci-budget-tenancy-forecast-rule",
        "no budgets in stack",
        [res(VCN, {"definedTags": TAGS}, name="v")],
        [],
    ),
    StackCase(
        "oci-budget-tenancy-forecast-rule",
        "tenancy forecast",
        [
            res(BUDGET, {"targetType": "COMPARTMENT", "targets": [TENANCY]}, name="b"),
            res(BUDGET_RULE, {"type": "FORECAST"}, name="r", deps=(_urn(BUDGET, "b"),)),
        ],
        [],
    ),
    StackCase(
        "oci-budget-tenancy-forecast-rule",
        "tenancy budget with actual rule only",
        [
            res(BUDGET, {"targetType": "COMPARTMENT", "targets": [TENANCY]}, name="b"),
            res(BUDGET_RULE, {"type": "ACTUAL"}, name="r", deps=(_urn(BUDGET, "b"),)),
        ],
        ["<stack>"],
    ),
    StackCase(
        "oci-budget-tenancy-forecast-rule",
        "forecast only on a tag budget",
        [
            res(
                BUDGET, {"targetType": "TAG", "targets": ["governance.cost_center.CC-1"]}, name="b"
            ),
            res(BUDGET_RULE, {"type": "FORECAST"}, name="r", deps=(_urn(BUDGET, "b"),)),
        ],
        ["<stack>"],
    ),
    *(
        StackCase(
            "oci-budget-costcenter-estimate-within-budget",
            label,
            [
                res(
                    BUDGET,
                    {
                        "targetType": "TAG",
                        "targets": ["governance.cost_center.CC-101"],
                        "amount": amount,
                    },
                    name="b",
                ),
                # 2 ECPU license included, 1 TB: 2 x 730 x 0.336 + 1024 x 0.1953 = 690.55 USD
                res(ADB, adb(), name="db"),
            ],
            violating,
        )
        for label, amount, violating in (
            ("estimate within the budget", 700, []),
            ("estimate over the budget", 500, ["b"]),
        )
    ),
]


def schedule(action: str = "STOP_RESOURCE", cost_center: str = "CC-101") -> dict[str, Any]:
    def tag(key: str, value: str) -> dict[str, Any]:
        return {
            "attribute": "DEFINED_TAGS",
            "values": [{"namespace": "governance", "tagKey": key, "value": value}],
        }

    return {
        "action": action,
        "recurrenceType": "CRON",
        "recurrenceDetails": "0 19 * * 1-5",
        "resourceFilters": [
            {"attribute": "COMPARTMENT_ID", "values": [{"value": ocid("compartment")}]},
            tag("cost_center", cost_center),
            tag("environment", "dev"),
        ],
        "definedTags": TAGS,
    }


OFF_HOURS = "oci-resourcescheduler-schedule-offhours-nonprod"
STACK_CASES += [
    StackCase(
        OFF_HOURS,
        "dev database with a stop schedule for its cost center",
        [res(ADB, adb(), name="db"), res(SCHEDULE, schedule(), name="stop")],
        [],
    ),
    StackCase(
        OFF_HOURS,
        "production database without schedule",
        [res(ADB, adb(definedTags=PROD_TAGS), name="db", protect=True)],
        [],
    ),
    StackCase(OFF_HOURS, "dev database without schedule", [res(ADB, adb(), name="db")], ["db"]),
    StackCase(
        OFF_HOURS,
        "only a start schedule",
        [res(ADB, adb(), name="db"), res(SCHEDULE, schedule("START_RESOURCE"), name="start")],
        ["db"],
    ),
    StackCase(
        OFF_HOURS,
        "stop schedule of another cost center",
        [res(ADB, adb(), name="db"), res(SCHEDULE, schedule(cost_center="CC-202"), name="stop")],
        ["db"],
    ),
]


def _network(subnet: dict[str, Any], *, igw: bool = True, default_table: bool = False) -> list:
    """A VCN, an internet gateway, a route table (or the VCN's default one) and a subnet."""
    vcn = res(VCN, {"cidrBlocks": ["10.0.0.0/16"], "definedTags": TAGS}, name="vcn")
    gateway = res(IGW, {"vcnId": "vcn-id", "definedTags": TAGS}, name="igw", deps=(vcn.urn,))
    target = (gateway.urn,) if igw else ()
    rules = [{"destination": "0.0.0.0/0", "networkEntityId": "igw-id" if igw else "ngw-id"}]
    if default_table:
        table = res(
            DEFAULT_ROUTE_TABLE,
            {"manageDefaultResourceId": "vcn-drt", "routeRules": rules},
            name="default-rt",
            deps=(vcn.urn, *target),
        )
        deps: tuple[str, ...] = (vcn.urn,)
    else:
        table = res(ROUTE_TABLE, {"vcnId": "vcn-id", "routeRules": rules}, name="rt", deps=target)
        subnet = {"routeTableId": "rt-id", **subnet}
        deps = (vcn.urn, table.urn)
    props = {"cidrBlock": "10.0.1.0/24", "vcnId": "vcn-id", "definedTags": TAGS, **subnet}
    return [vcn, gateway, table, res(SUBNET_TYPE, props, name="web", deps=deps)]


STACK_CASES += [
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "private subnet behind an internet gateway",
        _network({"prohibitPublicIpOnVnic": True}),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "public subnet without an internet route",
        _network({"prohibitPublicIpOnVnic": False}, igw=False),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "public subnet routed to the internet gateway",
        _network({"prohibitPublicIpOnVnic": False}),
        ["web"],
        message="subnet web allows public IPs on its VNICs (prohibitPublicIpOnVnic is not "
        "true) and routes to an internet gateway through route table rt",
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "public IPs by default, VCN default route table to the gateway",
        _network({}, default_table=True),
        ["web"],
        message="subnet web allows public IPs on its VNICs (prohibitPublicIpOnVnic is not "
        "true) and routes to an internet gateway through route table default-rt",
    ),
]


def _live_network(table_rules: list[dict[str, Any]], subnet: dict[str, Any]) -> list:
    """As a live account holds it: no gateway resource of the stack, the route table's
    target an internet gateway OCID, the subnet naming its table."""
    table = res(ROUTE_TABLE, {"vcnId": "vcn-id", "routeRules": table_rules}, name="live-rt")
    props = {"vcnId": "vcn-id", "routeTableId": "rt-id", **subnet}
    return [table, res(SUBNET_TYPE, props, name="live", deps=(table.urn,))]


S3_RULE_ID = "aws-s3-bucket-public-access-block"
IGW_OCID = "ocid1.internetgateway.oc1.eu-frankfurt-1.aaaa"
STACK_CASES += [
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "live: routed to an internet gateway OCID",
        _live_network(
            [{"destination": "0.0.0.0/0", "networkEntityId": IGW_OCID}],
            {"prohibitPublicIpOnVnic": False},
        ),
        ["live"],
        message="subnet live allows public IPs on its VNICs (prohibitPublicIpOnVnic is not "
        "true) and routes to an internet gateway through route table live-rt",
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "live: routed to a NAT gateway only",
        _live_network(
            [
                {
                    "destination": "0.0.0.0/0",
                    "networkEntityId": "ocid1.natgateway.oc1.eu-frankfurt-1.aaaa",
                }
            ],
            {"prohibitPublicIpOnVnic": False},
        ),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "live: routed to the gateway but public IPs prohibited",
        _live_network(
            [{"destination": "0.0.0.0/0", "networkEntityId": IGW_OCID}],
            {"prohibitPublicIpOnVnic": True},
        ),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "route target known only after apply",
        _live_network(
            [{"destination": "0.0.0.0/0", "networkEntityId": UNKNOWN}],
            {"prohibitPublicIpOnVnic": False},
        ),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "prohibitPublicIpOnVnic known only after apply",
        _live_network(
            [{"destination": "0.0.0.0/0", "networkEntityId": IGW_OCID}],
            {"prohibitPublicIpOnVnic": UNKNOWN},
        ),
        [],
    ),
    StackCase(
        "oci-network-subnet-prohibit-public-ip",
        "own route table private, the VCN default one to the gateway",
        [
            *_network({}, default_table=True)[:3],
            res(ROUTE_TABLE, {"vcnId": "vcn-id", "routeRules": []}, name="own-rt"),
            res(
                SUBNET_TYPE,
                {"vcnId": "vcn-id", "routeTableId": "own-rt-id"},
                name="web",
                deps=(_urn(VCN, "vcn"), _urn(ROUTE_TABLE, "own-rt")),
            ),
        ],
        [],
    ),
]

FORECAST_RULE = "oci-budget-tenancy-forecast-rule"
NO_FORECAST = (
    "no tenancy-wide budget with a FORECAST alert rule (Oracle's best-practice check); add a "
    "FORECAST rule to the root-compartment budget"
)


def _budget(name: str, targets: list[str], rule_type: str | None, **props: Any) -> list:
    budget = res(BUDGET, {"targets": targets, **props}, name=name)
    if rule_type is None:
        return [budget]
    rule = res(BUDGET_RULE, {"type": rule_type}, name=f"{name}-rule", deps=(budget.urn,))
    return [budget, rule]


STACK_CASES += [
    StackCase(FORECAST_RULE, "targetType left to its default (COMPARTMENT)",
              _budget("b", [TENANCY], "FORECAST"), []),
    StackCase(FORECAST_RULE, "a compartment budget's forecast is not tenancy-wide",
              _budget("b", [ocid("compartment", "apps")], "FORECAST", targetType="COMPARTMENT"),
              ["<stack>"], messages=[NO_FORECAST]),
    StackCase(FORECAST_RULE, "one of two budgets is tenancy-wide with a forecast",
              [*_budget("apps", [ocid("compartment", "apps")], "ACTUAL"),
               *_budget("all", [TENANCY], "FORECAST", targetType="COMPARTMENT")], []),
    StackCase(FORECAST_RULE, "the forecast sits on the compartment budget, not the tenancy one",
              [*_budget("apps", [ocid("compartment", "apps")], "FORECAST"),
               *_budget("all", [TENANCY], "ACTUAL")], ["<stack>"], messages=[NO_FORECAST]),
    StackCase(FORECAST_RULE, "a tenancy budget without any rule",
              _budget("all", [TENANCY], None), ["<stack>"], messages=[NO_FORECAST]),
]  # fmt: skip

# --- cases for the mutants the last mutation run left (docs/mutation.md) --------------------

WORLD_RULE = {"type": "ingress", "securityGroupId": "sg-1", "protocol": "tcp"}
CASES += [
    # a SecurityGroupRule's ports and IPv6 sources are read (not defaulted)
    Case(SG_ID, "rule resource, https from world", res(SG_RULE, {
        **WORLD_RULE, "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}), False),
    Case(SG_ID, "rule resource, port 23-80 from world", res(SG_RULE, {
        **WORLD_RULE, "fromPort": 23, "toPort": 80, "cidrBlocks": ["0.0.0.0/0"]}), False),
    Case(SG_ID, "rule resource, ssh from ::/0", res(SG_RULE, {
        **WORLD_RULE, "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]}), True,
         message=f"ingress from ::/0 to 22; {ADMIN_FIX}"),
    Case(SG_ID, "rule resource, ports 10-21 from world", res(SG_RULE, {
        **WORLD_RULE, "fromPort": 10, "toPort": 21, "cidrBlocks": ["0.0.0.0/0"]}), False),
    # a VPC ingress rule's ports are read
    Case(SG_ID, "vpc ingress rule, https from world", res(SG_INGRESS, {
        "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
        "cidrIpv4": "0.0.0.0/0"}), False),
    Case(SG_ID, "vpc ingress rule, 23-80 from world", res(SG_INGRESS, {
        "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 23, "toPort": 80,
        "cidrIpv4": "0.0.0.0/0"}), False),
    # inline rules: a missing fromPort is port 0, not port 1
    Case(SG_ID, "port range from 1 to 21", res(SG, sg(sg_in(1, 21, **WORLD4))), False),
    # the vault rule: no password (a secret, or neither as for a clone) passes
    Case("oci-database-adb-vault-password", "neither password nor secret (a clone)",
         res(ADB, adb(secretId=None)), False),
    Case("oci-database-adb-vault-password", "a secret and no password",
         res(ADB, adb()), False),
    # NSG rules: the message starts with the ingress, and all TCP ports from 1
    Case("oci-network-nsgrule-no-public-admin-ports", "tcp 1-65535 from world",
         res(NSG_RULE, nsg_rule(source="0.0.0.0/0",
                                tcpOptions={"destinationPortRange": {"min": 1, "max": 65535}})),
         True, message="ingress from 0.0.0.0/0 to TCP 1-65535; allow a specific CIDR (or a "
         "bastion) instead"),
    Case("oci-network-nsgrule-no-public-admin-ports", "tcp 2-65535 from world",
         res(NSG_RULE, nsg_rule(source="0.0.0.0/0",
                                tcpOptions={"destinationPortRange": {"min": 2, "max": 65535}})),
         True, message="ingress from 0.0.0.0/0 to 22, 1521, 1522, 3389, 6443; allow a specific "
         "CIDR (or a bastion) instead"),
]  # fmt: skip


def _env_schedule(environment: str) -> dict[str, Any]:
    sched = schedule()
    sched["resourceFilters"] = [
        f
        if "environment" not in str(f)
        else {
            "attribute": "DEFINED_TAGS",
            "values": [{"namespace": "governance", "tagKey": "environment", "value": environment}],
        }
        for f in sched["resourceFilters"]
    ]
    return sched


STACK_CASES += [
    StackCase(OFF_HOURS, "stop schedule of another environment",
              [res(ADB, adb(), name="db"), res(SCHEDULE, _env_schedule("staging"), name="stop")],
              ["db"], message="has no off-hours STOP_RESOURCE schedule selecting it; add an"),
    StackCase(OFF_HOURS, "a production database before an unscheduled dev one",
              [res(ADB, adb(definedTags=PROD_TAGS), name="prod", protect=True),
               res(ADB, adb(), name="dev")],
              ["dev"], messages=[
                  "non-production Autonomous Database (environment dev, cost center CC-101) has "
                  "no off-hours STOP_RESOURCE schedule selecting it; add an OffHoursSchedule "
                  "(guardrails:offHours)"]),
    StackCase(OFF_HOURS, "no cost center tag", [res(ADB, adb(definedTags={
        "governance.environment": "dev"}), name="db")], ["db"], messages=[
            "non-production Autonomous Database (environment dev, cost center none) has no "
            "off-hours STOP_RESOURCE schedule selecting it; add an OffHoursSchedule "
            "(guardrails:offHours)"]),
]  # fmt: skip

CASES += [
    Case(SG_ID, "tcp from world, no ports given", res(SG, sg({"protocol": "tcp", **WORLD4})),
         True, message=f"ingress[0]: ingress from 0.0.0.0/0 to all TCP ports; {ADMIN_FIX}"),
    Case("oci-database-adb-private-access", "a VCN-scoped allow-list entry open to the world",
         res(ADB, adb(subnetId=None, whitelistedIps=["ocid1.vcn.oc1..aaaa;0.0.0.0/0"])), True,
         message="IP allow-list opens the database to the whole internet "
         "(ocid1.vcn.oc1..aaaa;0.0.0.0/0)"),
    Case("oci-database-adb-private-access", "a VCN-scoped allow-list entry for a CIDR",
         res(ADB, adb(subnetId=None, whitelistedIps=["ocid1.vcn.oc1..aaaa;10.0.0.0/16"])), False),
]  # fmt: skip
STACK_CASES += [
    StackCase(_ENUM_RULE, "a free-form tag definition before the ENUM ones",
              [res(TAG_DEFINITION, {"name": "owner"}, name="owner0"), *_governance_tags(),
               res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-303"}}, name="v")],
              ["v"], [_ENUM_MESSAGE + "governance.cost_center='CC-303' (allowed: CC-101, CC-202)"]),
    StackCase(_ENUM_RULE, "a DEFAULT validator with values is no ENUM",
              [res(TAG_DEFINITION, {"name": "cost_center", "validator": {
                  "validatorType": "DEFAULT", "values": ["CC-101"]}}, name="cc"),
               res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-999"}}, name="v")],
              []),
    StackCase(S3_RULE_ID, "another resource before the unblocked bucket",
              [res(VCN, {"definedTags": TAGS}, name="vcn0"),
               res("aws:s3/bucket:Bucket", {"bucket": "logs", "tags": AWS_TAGS}, name="logs")],
              ["logs"], message="bucket logs has no public access block"),
]  # fmt: skip


def _schedule_with(*values: dict[str, str]) -> dict[str, Any]:
    sched = schedule()
    sched["resourceFilters"] = [{"attribute": "DEFINED_TAGS", "values": list(values)}]
    return sched


STACK_CASES += [
    StackCase(OFF_HOURS, "a filter on another tag key does not constrain the cost center",
              [res(ADB, adb(), name="db"), res(SCHEDULE, _schedule_with(
                  {"namespace": "governance", "tagKey": "environment", "value": "dev"},
                  {"namespace": "governance", "tagKey": "owner", "value": "ops"}), name="stop")],
              []),
]  # fmt: skip

# --- cases for the survivors of the mutation run with 129 (each asserts its messages whole;
# tests/mutation/accepted.toml lists the survivors that change no verdict and no message) ------

OCI_ADMIN_FIX = "allow a specific CIDR (or a bastion) instead"
CASES += [
    # a security list's port range with `min` only (Terraform leaves `max` optional): one port
    Case("oci-network-securitylist-no-public-admin-ports", "tcp min 22 without max from world",
         res(SECURITY_LIST, ingress(protocol="6", source="0.0.0.0/0", tcpOptions={"min": 22})),
         True, message="to 22", messages=(
             f"ingressSecurityRules[0]: ingress from 0.0.0.0/0 to 22; {OCI_ADMIN_FIX}",)),
    # no protocol (checkov reads HCL that `terraform validate` would refuse): the worst case
    Case("oci-network-securitylist-no-public-admin-ports", "no protocol from world",
         res(SECURITY_LIST, ingress(source="0.0.0.0/0")), True, message="all protocols",
         messages=(f"ingressSecurityRules[0]: ingress from 0.0.0.0/0 to all protocols and ports; "
                   f"{OCI_ADMIN_FIX}",)),
    # the toPort of a SecurityGroupRule and of a VPC ingress rule bounds the range
    Case(SG_ID, "rule resource, ports 20-25 from world", res(SG_RULE, {
        **WORLD_RULE, "fromPort": 20, "toPort": 25, "cidrBlocks": ["0.0.0.0/0"]}), True,
         message="to 22;", messages=(f"ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",)),
    Case(SG_ID, "vpc ingress rule, 20-25 from world", res(SG_INGRESS, {
        "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 20, "toPort": 25,
        "cidrIpv4": "0.0.0.0/0"}), True,
         message="to 22;", messages=(f"ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",)),
    Case(SG_ID, "ssh from both worlds", res(SG, sg(sg_in(22, 22, **WORLD4, **WORLD6))), True,
         message="0.0.0.0/0, ::/0", messages=(
             f"ingress[0]: ingress from 0.0.0.0/0, ::/0 to 22; {ADMIN_FIX}",)),
    Case("aws-eks-cluster-private-api-endpoint", "open to both worlds", res(EKS, {
        "roleArn": "arn", "tags": AWS_TAGS,
        "vpcConfig": {"publicAccessCidrs": ["0.0.0.0/0", "::/0"]}}), True,
         message="0.0.0.0/0, ::/0", messages=(
             "the Kubernetes API endpoint is public and open to 0.0.0.0/0, ::/0 "
             "(vpcConfig.endpointPublicAccess is not false); set endpointPublicAccess=false with "
             "endpointPrivateAccess=true, or list specific publicAccessCidrs",)),
    Case("oci-database-adb-private-access", "allow-list open to both worlds",
         res(ADB, adb(subnetId=None, whitelistedIps=["0.0.0.0/0", "::/0"])), True,
         message="0.0.0.0/0, ::/0", messages=(
             "IP allow-list opens the database to the whole internet (0.0.0.0/0, ::/0); list "
             "specific CIDRs or use a private endpoint (subnetId)",)),
    # a password next to a secret is still a password in the program
    Case("oci-database-adb-vault-password", "a password next to a secret",
         res(ADB, adb(adminPassword="[secret]")), True, message="adminPassword", messages=(
             "admin password passed as adminPassword; reference an OCI Vault secret (secretId)",)),
    Case("oci-database-adb-production-protected", "no defined tags at all",
         res(ADB, adb(definedTags=None)), False),
    Case("oci-objectstorage-bucket-versioning-enabled", "suspended",
         res(BUCKET, bucket(versioning="Suspended")), True, message="Suspended",
         messages=("versioning is Suspended; set it to Enabled",)),
    Case("oci-identity-policy-no-tenancy-admin", "a group whose name extends an admin group's",
         res(POLICY, {"statements": ["Allow group AdministratorsX to manage all-resources in "
                                     "tenancy"], "definedTags": TAGS}), True,
         message="AdministratorsX", messages=(
             "grants manage all-resources in tenancy to group AdministratorsX: Allow group "
             "AdministratorsX to manage all-resources in tenancy; only Administrators may, scope "
             "it to a compartment",)),
    Case("oci-identity-policy-no-tenancy-admin", "no statements",
         res(POLICY, {"name": "p", "definedTags": TAGS}), False),
    Case("aws-lambda-layerversion-runtimes-supported", "no runtimes declared",
         res(LAYER, layer(compatibleRuntimes=None)), False),
    Case("aws-lambda-layerversion-runtimes-supported", "two deprecated runtimes",
         res(LAYER, layer(compatibleRuntimes=["python3.7", "nodejs16.x"])), True,
         message="python3.7, nodejs16.x", messages=(
             "compatibleRuntimes lists deprecated runtimes: python3.7, nodejs16.x; build the "
             "layer for a supported runtime",)),
    # Terraform plans carry the provider's default tags merged into tagsAll
    Case("aws-tagging-resource-required-tags", "tags only in tagsAll",
         res(SNS, {"tagsAll": AWS_TAGS}), False),
    # another namespace as long as ours: its keys are not ours cut at our prefix's length
    Case("oci-tagging-resource-required-tags", "environment in a namespace as long as ours",
         res(VCN, {"definedTags": {"governance.cost_center": "CC-101",
                                   "operations.environment": "dev"}}), True,
         message="governance.environment", messages=(
             "missing defined tags governance.environment; add them to definedTags",)),
]  # fmt: skip

_SUBNET_FIX = "set prohibitPublicIpOnVnic=true, or route through a NAT gateway"
_OUTSIDE_VCN = "ocid1.vcn.oc1.eu-frankfurt-1.outside"
STACK_CASES += [
    # no routeTableId: the VCN's default table routes it, not a table it merely depends on
    StackCase("oci-network-subnet-prohibit-public-ip",
              "default route table, depends on a public route table",
              [*_network({"prohibitPublicIpOnVnic": False})[:3],
               res(SUBNET_TYPE, {"vcnId": "vcn-id", "cidrBlock": "10.0.2.0/24"}, name="web",
                   deps=(_urn(VCN, "vcn"), _urn(ROUTE_TABLE, "rt")))],
              []),
    StackCase("oci-network-subnet-prohibit-public-ip",
              "default route table of a VCN outside the stack, managed here, to a gateway OCID",
              [res(DEFAULT_ROUTE_TABLE, {"manageDefaultResourceId": "drt-id", "routeRules": [
                  {"destination": "0.0.0.0/0", "networkEntityId": IGW_OCID}]}, name="drt"),
               res(SUBNET_TYPE, {"vcnId": _OUTSIDE_VCN}, name="web",
                   deps=(_urn(DEFAULT_ROUTE_TABLE, "drt"),))],
              ["web"], messages=[
                  "subnet web allows public IPs on its VNICs (prohibitPublicIpOnVnic is not "
                  f"true) and routes to an internet gateway through route table drt; {_SUBNET_FIX}"]),
    StackCase("oci-network-subnet-prohibit-public-ip", "routed by its own table, message whole",
              _network({"prohibitPublicIpOnVnic": False}), ["web"], messages=[
                  "subnet web allows public IPs on its VNICs (prohibitPublicIpOnVnic is not "
                  f"true) and routes to an internet gateway through route table rt; {_SUBNET_FIX}"]),
    # budgets: the deprecated targetCompartmentId is a target; a TAG target is no tenancy
    StackCase(FORECAST_RULE, "the deprecated targetCompartmentId names the tenancy",
              [res(BUDGET, {"targetCompartmentId": TENANCY}, name="b"),
               res(BUDGET_RULE, {"type": "FORECAST"}, name="r", deps=(_urn(BUDGET, "b"),))], []),
    StackCase(FORECAST_RULE, "a budget without any target",
              [res(BUDGET, {"amount": 100}, name="b"),
               res(BUDGET_RULE, {"type": "FORECAST"}, name="r", deps=(_urn(BUDGET, "b"),))],
              ["<stack>"], messages=[NO_FORECAST]),
    StackCase(FORECAST_RULE, "a TAG budget whose target reads like the tenancy OCID",
              _budget("tag", [TENANCY], "FORECAST", targetType="TAG"), ["<stack>"],
              messages=[NO_FORECAST]),
    StackCase(OFF_HOURS, "definedTags that is no map: no environment, not judged",
              [res(ADB, adb(definedTags="governance.environment=dev"), name="db")], []),
    StackCase("oci-ons-topic-has-subscription", "a topic two alarms use",
              [res(TOPIC, {"name": "t"}, name="t"),
               res(ALARM, alarm(), name="b-alarm", deps=(_urn(TOPIC, "t"),)),
               res(ALARM, alarm(), name="a-alarm", deps=(_urn(TOPIC, "t"),))],
              ["t"], messages=[
                  "topic t notifies nobody: no subscription (used by a-alarm, b-alarm); subscribe "
                  "an email, Slack or PagerDuty endpoint"]),
    StackCase(_ENUM_RULE, "definedTags that is no map before a resource outside the ENUMs",
              [*_governance_tags(), res(VCN, {"definedTags": "governance.environment=dev"},
                                        name="garbled"),
               res(VCN, {"definedTags": {**TAGS, "governance.cost_center": "CC-303",
                                         "governance.environment": "qa"}}, name="v")],
              ["v"], [_ENUM_MESSAGE + "governance.cost_center='CC-303' (allowed: CC-101, CC-202); "
                      "governance.environment='qa' (allowed: dev, prod)"]),
]  # fmt: skip

# What each violating case must say: the offending value and the fix.
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
S3_RULE = "aws-s3-bucket-public-access-block"
STACK_CASES += [
    StackCase(
        S3_RULE,
        "bucket with its block",
        [
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
            res(S3_BLOCK, ALL_BLOCKED, name="data-block", deps=(_urn(S3_BUCKET, "data"),)),
        ],
        [],
    ),
    StackCase(
        S3_RULE,
        "block naming the bucket",
        [
            res(S3_BUCKET, {"bucket": "acme-data", "tags": AWS_TAGS}, name="data"),
            res(S3_BLOCK, {**ALL_BLOCKED, "bucket": "acme-data"}, name="data-block"),
        ],
        [],
    ),
    StackCase(
        S3_RULE,
        "account block",
        [
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
            res(S3_ACCOUNT_BLOCK, ALL_BLOCKED, name="account"),
        ],
        [],
    ),
    StackCase(
        S3_RULE,
        "bucket without a block",
        [
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="logs"),
            res(S3_BLOCK, ALL_BLOCKED, name="logs-block", deps=(_urn(S3_BUCKET, "logs"),)),
        ],
        ["data"],
        messages=[
            "bucket data has no public access block; add an s3.BucketPublicAccessBlock for it "
            "with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and "
            "restrictPublicBuckets set to true"
        ],
    ),
    StackCase(
        S3_RULE,
        "block with a setting off",
        [
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
            res(
                S3_BLOCK,
                {**ALL_BLOCKED, "restrictPublicBuckets": False},
                name="data-block",
                deps=(_urn(S3_BUCKET, "data"),),
            ),
        ],
        ["data"],
        messages=[
            "bucket data's public access block leaves restrictPublicBuckets off; set all four "
            "settings to true"
        ],
    ),
    StackCase(
        S3_RULE,
        "account block with a setting off",
        [
            res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
            res(S3_ACCOUNT_BLOCK, {**ALL_BLOCKED, "blockPublicPolicy": False}, name="account"),
        ],
        ["data"],
        message="bucket data has no public access block",
    ),
]

STACK_CASES += [
    StackCase(S3_RULE, "block with two settings off",
              [res(S3_BUCKET, {"tags": AWS_TAGS}, name="data"),
               res(S3_BLOCK, {**ALL_BLOCKED, "blockPublicPolicy": False,
                              "restrictPublicBuckets": False},
                   name="data-block", deps=(_urn(S3_BUCKET, "data"),))],
              ["data"], messages=[
                  "bucket data's public access block leaves blockPublicPolicy, "
                  "restrictPublicBuckets off; set all four settings to true"]),
]  # fmt: skip


MESSAGES: dict[tuple[str, str], str] = {
    (
        "oci-tagging-resource-required-tags",
        "no tags",
    ): "missing defined tags governance.cost_center, governance.environment; add them to definedTags",
    (
        "oci-tagging-resource-required-tags",
        "no environment",
    ): "missing defined tags governance.environment; add them to definedTags",
    (
        "oci-tagging-resource-required-tags",
        "other namespace",
    ): "missing defined tags governance.cost_center, governance.environment; add them to definedTags",
    (
        "oci-tagging-resource-allowed-values",
        "unknown environment",
    ): "defined tag values not allowed: environment='qa' (allowed: dev, staging, prod)",
    (
        "aws-tagging-resource-required-tags",
        "no tags",
    ): "missing tags cost_center, environment (provider defaultTags count); add them to tags or to the provider's defaultTags",
    (
        "aws-tagging-resource-required-tags",
        "no cost_center",
    ): "missing tags cost_center (provider defaultTags count); add them to tags or to the provider's defaultTags",
    (
        "aws-tagging-resource-allowed-values",
        "unknown environment",
    ): "tag values not allowed: environment='qa' (allowed: dev, staging, prod)",
    (
        "oci-database-adb-private-access",
        "neither",
    ): "reachable from the whole internet: no private endpoint (subnetId) and no IP allow-list; set subnetId (private endpoint) or whitelistedIps",
    (
        "oci-database-adb-private-access",
        "empty allow-list",
    ): "reachable from the whole internet: no private endpoint (subnetId) and no IP allow-list; set subnetId (private endpoint) or whitelistedIps",
    (
        "oci-database-adb-private-access",
        "0.0.0.0/0",
    ): "IP allow-list opens the database to the whole internet (0.0.0.0/0); list specific CIDRs or use a private endpoint (subnetId)",
    (
        "oci-database-adb-private-access",
        "::/0",
    ): "IP allow-list opens the database to the whole internet (::/0); list specific CIDRs or use a private endpoint (subnetId)",
    (
        "oci-database-adb-mtls-required",
        "allow-list without mTLS",
    ): "reachable through an IP allow-list without isMtlsConnectionRequired=true",
    (
        "oci-database-adb-mtls-required",
        "allow-list, mTLS unset",
    ): "reachable through an IP allow-list without isMtlsConnectionRequired=true",
    (
        "oci-database-adb-license-explicit",
        "unset",
    ): "licenseModel is not set (OCI then assumes BRING_YOUR_OWN_LICENSE); set LICENSE_INCLUDED or BRING_YOUR_OWN_LICENSE explicitly",
    (
        "oci-database-adb-vault-password",
        "admin password",
    ): "admin password passed as adminPassword; reference an OCI Vault secret (secretId)",
    (
        "oci-database-adb-backup-retention",
        "3 days",
    ): "backup retention 3 days is below 7 days; set backupRetentionPeriodInDays to at least 7",
    (
        "oci-database-adb-production-protected",
        "prod, unprotected",
    ): "production database is not protected (ResourceOptions(protect=True))",
    (
        "oci-objectstorage-bucket-no-public-access",
        "ObjectRead",
    ): "accessType is ObjectRead; use NoPublicAccess",
    (
        "oci-objectstorage-bucket-no-public-access",
        "ObjectReadWithoutList",
    ): "accessType is ObjectReadWithoutList; use NoPublicAccess",
    (
        "oci-objectstorage-bucket-versioning-enabled",
        "unset",
    ): "versioning is Disabled; set it to Enabled",
    (
        "oci-objectstorage-bucket-versioning-enabled",
        "disabled",
    ): "versioning is Disabled; set it to Enabled",
    (
        "oci-objectstorage-bucket-customer-managed-key",
        "Oracle key",
    ): "encrypted with an Oracle-managed key; set kmsKeyId to a customer-managed key",
    (
        "oci-network-nsgrule-no-public-admin-ports",
        "ssh from world",
    ): "ingress from 0.0.0.0/0 to 22; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-nsgrule-no-public-admin-ports",
        "range containing 3389",
    ): "ingress from ::/0 to 3389; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-nsgrule-no-public-admin-ports",
        "listener from world",
    ): "ingress from 0.0.0.0/0 to 1521, 1522; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-nsgrule-no-public-admin-ports",
        "all TCP ports",
    ): "ingress from 0.0.0.0/0 to all TCP ports; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-nsgrule-no-public-admin-ports",
        "all protocols",
    ): "ingress from 0.0.0.0/0 to all protocols and ports; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-securitylist-no-public-admin-ports",
        "public ssh",
    ): "ingressSecurityRules[0]: ingress from 0.0.0.0/0 to 22; allow a specific CIDR (or a bastion) instead",
    (
        "oci-network-securitylist-no-public-admin-ports",
        "public all",
    ): "ingressSecurityRules[0]: ingress from 0.0.0.0/0 to all protocols and ports; allow a specific CIDR (or a bastion) instead",
    (
        "oci-streaming-streampool-customer-managed-key",
        "Oracle key",
    ): "stream pool uses an Oracle-managed key; set customEncryptionKey.kmsKeyId",
    (
        "oci-streaming-streampool-private-endpoint",
        "public",
    ): "stream pool has a public endpoint; set privateEndpointSettings.subnetId",
    ("oci-monitoring-alarm-enabled", "disabled"): "alarm is disabled; set isEnabled to true",
    (
        "oci-monitoring-alarm-has-destination",
        "none",
    ): "alarm has no destination; add a notification topic to destinations",
    (
        "oci-identity-policy-no-tenancy-admin",
        "other group",
    ): "grants manage all-resources in tenancy to group 'Default'/'devs': allow group 'Default'/'devs' to manage all-resources in tenancy; only Administrators may, scope it to a compartment",
    (
        "aws-lambda-layerpermission-no-public",
        "public",
    ): "layer version shared with every AWS account (principal * without organizationId)",
    (
        "aws-lambda-layerversion-runtimes-declared",
        "missing",
    ): "compatibleRuntimes is not declared; list the runtimes the layer was built for",
    (
        "aws-lambda-layerversion-runtimes-supported",
        "deprecated",
    ): "compatibleRuntimes lists deprecated runtimes: python3.7; build the layer for a supported runtime",
    (
        "aws-cloudwatch-alarm-has-actions",
        "none",
    ): "alarm has no alarmActions: nobody is notified; add an SNS topic ARN to alarmActions",
    ("aws-sns-topic-kms-encrypted", "plain"): "topic is not encrypted with KMS (kmsMasterKeyId)",
    (
        "oci-ons-topic-has-subscription",
        "alarm topic without subscription",
    ): "topic t notifies nobody: no subscription (used by a); subscribe an email, Slack or PagerDuty endpoint",
    (
        "aws-sns-topic-has-subscription",
        "budget topic without subscription",
    ): "topic t notifies nobody: no subscription (used by b); subscribe an email, Slack or PagerDuty endpoint",
    (
        "oci-budget-budget-has-alert-rule",
        "without rule",
    ): "budget b has no alert rule; add a budget Rule for it",
    (
        "oci-budget-tenancy-forecast-rule",
        "tenancy budget with actual rule only",
    ): "no tenancy-wide budget with a FORECAST alert rule (Oracle's best-practice check); add a FORECAST rule to the root-compartment budget",
    (
        "oci-budget-tenancy-forecast-rule",
        "forecast only on a tag budget",
    ): "no tenancy-wide budget with a FORECAST alert rule (Oracle's best-practice check); add a FORECAST rule to the root-compartment budget",
    (
        "oci-budget-costcenter-estimate-within-budget",
        "estimate over the budget",
    ): "a month exceeds 100% of its budget b",
    (
        OFF_HOURS,
        "dev database without schedule",
    ): "has no off-hours STOP_RESOURCE schedule selecting it; add an",
    (
        OFF_HOURS,
        "only a start schedule",
    ): "has no off-hours STOP_RESOURCE schedule selecting it; add an",
    (
        OFF_HOURS,
        "stop schedule of another cost center",
    ): "has no off-hours STOP_RESOURCE schedule selecting it; add an",
}


# --- declared against deployed (live audit with a stack) -----------------------------------

DECLARATION = "guardrails:audit/declaration:Declaration"
APPS = ocid("compartment", "apps")
LIVE_BUCKET = "aws:s3/bucketV2:BucketV2"


def declaration(vendor: str, declared: list[tuple[str, str | None]], scopes: list[str]) -> Any:
    return res(
        DECLARATION,
        {
            "stack": "dev",
            "vendor": vendor,
            "declared": [
                {"type": t, "name": n, "urn": f"urn:pulumi:dev::app::{t}::{n}"} for t, n in declared
            ],
            "scopes": scopes,
        },
        name="declaration",
    )


STACK_CASES += [
    StackCase(
        "oci-stack-resource-deployed",
        "no declaration (not a live audit with a stack)",
        [res(BUCKET, {"compartmentId": APPS}, name="logs")],
        [],
    ),
    StackCase(
        "oci-stack-resource-deployed",
        "declared and deployed",
        [
            declaration("oci", [(BUCKET, "logs")], []),
            res(BUCKET, {"compartmentId": APPS}, name="logs"),
        ],
        [],
    ),
    StackCase(
        "oci-stack-resource-deployed",
        "declared name known only after deploy",
        [declaration("oci", [(BUCKET, None)], [])],
        [],
    ),
    StackCase(
        "oci-stack-resource-deployed",
        "declared, missing in the account",
        [
            declaration("oci", [(BUCKET, "logs")], []),
            res(BUCKET, {"compartmentId": APPS}, name="other"),
        ],
        ["<stack>"],
        messages=[
            "stack dev declares Bucket 'logs' but the account has none by that name: deleted or "
            "renamed outside Pulumi (run `pulumi refresh`), or never deployed"
        ],
    ),
    StackCase(
        "oci-stack-resource-declared",
        "every live one declared",
        [
            declaration("oci", [(BUCKET, "logs")], [APPS]),
            res(BUCKET, {"compartmentId": APPS}, name="logs"),
        ],
        [],
    ),
    StackCase(
        "oci-stack-resource-declared",
        "undeclared, outside the stack's compartments",
        [
            declaration("oci", [(BUCKET, "logs")], [APPS]),
            res(BUCKET, {"compartmentId": ocid("compartment", "elsewhere")}, name="console"),
        ],
        [],
    ),
    StackCase(
        "oci-stack-resource-declared",
        "undeclared type with a generated name",
        [
            declaration("oci", [(BUCKET, None)], [APPS]),
            res(BUCKET, {"compartmentId": APPS}, name="x"),
        ],
        [],
    ),
    StackCase(
        "oci-stack-resource-declared",
        "made in the console",
        [
            declaration("oci", [(BUCKET, "logs")], [APPS]),
            res(BUCKET, {"compartmentId": APPS}, name="logs"),
            res(BUCKET, {"compartmentId": APPS}, name="console"),
        ],
        ["console"],
        messages=[
            "Bucket 'console' is in stack dev's compartments but the stack does not declare it: "
            "made in the console or by a script; import it (`pulumi import`) or remove it"
        ],
    ),
    StackCase(
        "aws-stack-resource-deployed",
        "declared and deployed",
        [declaration("aws", [(LIVE_BUCKET, "logs")], []), res(LIVE_BUCKET, {}, name="logs")],
        [],
    ),
    StackCase(
        "aws-stack-resource-deployed",
        "an OCI declaration is not an AWS one",
        [declaration("oci", [(LIVE_BUCKET, "logs")], [])],
        [],
    ),
    StackCase(
        "aws-stack-resource-deployed",
        "declared, missing in the account",
        [declaration("aws", [(LIVE_BUCKET, "logs")], [])],
        ["<stack>"],
        messages=[
            "stack dev declares BucketV2 'logs' but the account has none by that name: deleted "
            "or renamed outside Pulumi (run `pulumi refresh`), or never deployed"
        ],
    ),
    StackCase(
        "aws-stack-resource-declared",
        "every live one declared",
        [
            declaration("aws", [(LIVE_BUCKET, "logs")], ["eu-west-1"]),
            res(LIVE_BUCKET, {"region": "eu-west-1"}, name="logs"),
        ],
        [],
    ),
    StackCase(
        "aws-stack-resource-declared",
        "made by a script",
        [
            declaration("aws", [(LIVE_BUCKET, "logs")], ["eu-west-1"]),
            res(LIVE_BUCKET, {"region": "eu-west-1"}, name="logs"),
            res(LIVE_BUCKET, {"region": "eu-west-1"}, name="script-made"),
        ],
        ["script-made"],
        messages=[
            "BucketV2 'script-made' is in stack dev's regions but the stack does not declare it: "
            "made in the console or by a script; import it (`pulumi import`) or remove it"
        ],
    ),
]

# MESSAGES are whole messages: a violating case listed there reports exactly that one.
CASES = [
    replace(c, message=MESSAGES[c.rule, c.label], messages=(MESSAGES[c.rule, c.label],))
    if (c.rule, c.label) in MESSAGES
    else c
    for c in CASES
]
STACK_CASES = [replace(c, message=MESSAGES.get((c.rule, c.label), c.message)) for c in STACK_CASES]
