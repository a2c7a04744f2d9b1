"""The AWS side of `guardrails audit`: `read_aws` against the real moto server on 127.0.0.1,
through the fault proxy (`tests/aws_faults.py`), seeded with boto3 with compliant and
violating resources of every type the catalog judges.

Asserted for each type: the inputs exactly as the Pulumi AWS provider names them, the
references, what is unknown, and each rule's verdict and message when the catalog judges
the mapped resources in process (as `tests/test_rule_cases.py` judges the declared cases).
Then the manners: read-only calls, calls per resource, pagination, a refused read noted
(never a silent pass), a 500 storm past the budget.

moto 5.2 lacks budgets' DescribeSubscribersForNotification (it answers 500): the proxy here
answers it, in the AWS response shape, with the subscribers the test created the budget
with. Everything else is moto's answer.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.retry import Budget, BudgetExhausted, botocore_config
from guardrails.tooling.audit import aws_reader
from guardrails.tooling.audit.aws_reader import IAM_ACTIONS, read_aws
from guardrails.tooling.audit.live import LiveResource, Reading
from guardrails.tooling.cli_options import AwsAccess
from guardrails.tooling.program.record import UNKNOWN
from policies.catalog import RULES_BY_ID
from policies.model import Resource
from tests import aws_faults
from tests.aws_faults import Call, FaultProxy
from tests.moto_server import CREDENTIALS, REGION

ACCOUNT = "123456789012"
AWS_TAGS = {"cost_center": "CC-101", "environment": "dev"}
ADMIN_FIX = "allow a specific CIDR (or a bastion, or SSM Session Manager) instead"
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
MISSING_TAGS = (
    "missing tags cost_center, environment (provider defaultTags count); add them to tags or to "
    "the provider's defaultTags"
)


# --- the proxy: moto, plus the one budgets read moto lacks -----------------------------------


@dataclass
class Proxy(FaultProxy):
    """The fault proxy; it answers DescribeSubscribersForNotification from `subscribers`,
    and injects errors into XML-protocol calls (EC2, SNS) in their own XML error shapes
    (`FaultProxy.fail` answers JSON, which only JSON-protocol clients parse)."""

    subscribers: dict[tuple[str, str, float], list[dict[str, str]]] = field(default_factory=dict)
    xml_faults: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)

    def fail_xml(
        self, operation: str, status: int, code: str, message: str, *, times: int = 1
    ) -> None:
        """Answer the next `times` calls of `operation` (EC2 or a query service) with an
        error, without forwarding them."""
        self.xml_faults.setdefault(operation, []).extend([(status, code, message)] * times)

    def forward(
        self, call: Call, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.xml_faults.get(call.operation):
            status, code, message = self.xml_faults[call.operation].pop(0)
            call.forwarded, call.status, call.fault = False, status, "fail"
            error = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
            if b"Version=2016-11-15" in call.body:  # EC2's own error shape
                xml = f"<Response><Errors>{error}</Errors><RequestID>r-1</RequestID></Response>"
            else:
                xml = f"<ErrorResponse>{error}<RequestId>r-1</RequestId></ErrorResponse>"
            return status, [("Content-Type", "text/xml")], xml.encode()
        if call.operation != "DescribeSubscribersForNotification":
            return super().forward(call, headers)
        body = json.loads(call.body)
        n = body["Notification"]
        found = self.subscribers.get(
            (body["BudgetName"], n["NotificationType"], float(n["Threshold"])), []
        )
        call.forwarded, call.status = False, 200
        payload = json.dumps({"Subscribers": found}).encode()
        return 200, [("Content-Type", "application/x-amz-json-1.1")], payload


def serving(upstream: str) -> AbstractContextManager[Proxy]:
    """The fault proxy with the budgets answers moto lacks, in front of `upstream`."""
    return aws_faults.serving(upstream, Proxy)


def _reset(endpoint: str) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def _read(
    proxy: Proxy, budget: Budget | None = None, reading: Reading | None = None, **kwargs: Any
) -> Reading:
    reading = reading or Reading(cloud="aws", scope="")
    access = AwsAccess(region=REGION, endpoint_url=proxy.url)
    read_aws(access, [REGION], budget or Budget(seconds=60), reading, **kwargs)
    return reading


# --- the seeded account -----------------------------------------------------------------------


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _zip(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(name, text)
    return buf.getvalue()


class Account:
    """boto3 clients on moto (not through the proxy) to seed the account."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.session = boto3.Session(region_name=REGION)

    def client(self, name: str, region: str = REGION) -> Any:
        make: Any = self.session.client  # the stubs type it per literal service name
        return make(name, region_name=region, endpoint_url=self.endpoint)


@dataclass
class Scene:
    """What `seed` created: ids that moto makes up, ARNs."""

    ids: dict[str, str] = field(default_factory=dict)


def seed(account: Account, proxy: Proxy) -> Scene:
    scene = Scene()
    ids = scene.ids
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ids["vpc"] = vpc

    def group(name: str, permissions: list[dict[str, Any]], tags: dict[str, str]) -> str:
        spec = [{"ResourceType": "security-group", "Tags": _tags(tags)}] if tags else []
        group_id = ec2.create_security_group(
            GroupName=name, Description=f"{name} group", VpcId=vpc, TagSpecifications=spec
        )["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
        return str(group_id)

    ids["sg-web"] = group(
        "web",
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "office"}],
            },
        ],
        AWS_TAGS,
    )
    ids["sg-admin"] = group(
        "admin-open",
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 3389,
                "ToPort": 3389,
                "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "rdp"}],
            },
        ],
        AWS_TAGS,
    )
    ids["sg-all"] = group(
        "all-open", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], {}
    )

    subnet_tags = [{"ResourceType": "subnet", "Tags": _tags({**AWS_TAGS, "Name": "private-a"})}]
    ids["subnet-private"] = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="eu-west-1a",
        TagSpecifications=subnet_tags,
    )["Subnet"]["SubnetId"]  # fmt: skip
    ids["subnet-public"] = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="eu-west-1b"
    )["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=ids["subnet-public"], MapPublicIpOnLaunch={"Value": True})

    rds = account.client("rds")
    common = {"MasterUsername": "admin", "MasterUserPassword": "not-a-secret-0"}
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db", Engine="postgres", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, PubliclyAccessible=False, StorageEncrypted=True,
        Tags=_tags(AWS_TAGS), **common,
    )  # fmt: skip
    rds.create_db_instance(
        DBInstanceIdentifier="public-db", Engine="mysql", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, PubliclyAccessible=True, **common,
    )  # fmt: skip
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", **common)
    rds.create_db_instance(
        DBInstanceIdentifier="aurora-1", Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large", DBClusterIdentifier="aurora", PubliclyAccessible=True,
        Tags=_tags(AWS_TAGS),
    )  # fmt: skip

    iam = account.client("iam")
    role = iam.create_role(RoleName="audit-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    ids["role"] = role
    eks = account.client("eks")
    eks.create_cluster(
        name="private-k8s", roleArn=role, tags=AWS_TAGS,
        resourcesVpcConfig={
            "subnetIds": [ids["subnet-private"]], "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
    )  # fmt: skip
    eks.create_cluster(
        name="public-k8s", roleArn=role, tags=AWS_TAGS,
        resourcesVpcConfig={
            "subnetIds": [ids["subnet-private"]], "endpointPublicAccess": True,
            "publicAccessCidrs": ["0.0.0.0/0"],
        },
    )  # fmt: skip

    s3 = account.client("s3")
    where = {"LocationConstraint": REGION}
    for name in ("acme-data", "acme-logs", "acme-web"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=where)
    for name in ("acme-data", "acme-web"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(AWS_TAGS)})
    s3.put_public_access_block(Bucket="acme-data", PublicAccessBlockConfiguration=BLOCK_ALL)
    s3.put_public_access_block(
        Bucket="acme-web",
        PublicAccessBlockConfiguration={**BLOCK_ALL, "RestrictPublicBuckets": False},
    )

    lam = account.client("lambda")
    layer = _zip("python/lib.py", "x = 1")

    def publish(name: str, **kwargs: Any) -> dict[str, Any]:
        found: dict[str, Any] = lam.publish_layer_version(
            LayerName=name, Content={"ZipFile": layer}, **kwargs
        )
        ids[f"layer-{name}"] = found["LayerVersionArn"]
        return found

    deps = publish(
        "deps", CompatibleRuntimes=["python3.12", "python3.13"], CompatibleArchitectures=["arm64"]
    )
    for sid, extra in (
        ("partner", {"Principal": "111122223333"}),
        ("org", {"Principal": "*", "OrganizationId": "o-abc123def4"}),
    ):
        lam.add_layer_version_permission(
            LayerName="deps", VersionNumber=deps["Version"], StatementId=sid,
            Action="lambda:GetLayerVersion", **extra,
        )  # fmt: skip
    legacy = publish("legacy", CompatibleRuntimes=["python3.7"])
    lam.add_layer_version_permission(
        LayerName="legacy", VersionNumber=legacy["Version"], StatementId="world",
        Action="lambda:GetLayerVersion", Principal="*",
    )  # fmt: skip
    publish("bare")
    lam.create_function(
        FunctionName="api", Runtime="python3.12", Role=role, Handler="h.handler",
        Code={"ZipFile": _zip("h.py", "def handler(e, c): pass")}, Layers=[ids["layer-deps"]],
        Tags=AWS_TAGS,
    )  # fmt: skip

    sns = account.client("sns")
    alerts = sns.create_topic(
        Name="alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"}, Tags=_tags(AWS_TAGS)
    )["TopicArn"]
    quiet = sns.create_topic(Name="quiet", Tags=_tags(AWS_TAGS))["TopicArn"]
    ids["topic-alerts"], ids["topic-quiet"] = alerts, quiet
    ids["sub-alerts"] = sns.subscribe(
        TopicArn=alerts, Protocol="email", Endpoint="oncall@example.com",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]  # fmt: skip

    cloudwatch = account.client("cloudwatch")
    alarm = {
        "Namespace": "AWS/EC2", "Statistic": "Average", "Period": 300, "EvaluationPeriods": 2,
        "Threshold": 80.0, "ComparisonOperator": "GreaterThanThreshold",
    }  # fmt: skip
    cloudwatch.put_metric_alarm(
        AlarmName="cpu-high", MetricName="CPUUtilization", AlarmActions=[alerts],
        OKActions=[alerts], Tags=_tags(AWS_TAGS), **alarm,
    )  # fmt: skip
    cloudwatch.put_metric_alarm(AlarmName="disk-full", MetricName="DiskUsed", **alarm)
    cloudwatch.put_metric_alarm(
        AlarmName="errors", MetricName="Errors", AlarmActions=[quiet], Tags=_tags(AWS_TAGS),
        **alarm,
    )  # fmt: skip

    budgets = account.client("budgets", "us-east-1")
    notification = {
        "NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
        "ThresholdType": "PERCENTAGE",
    }  # fmt: skip
    subscribers = [
        {"SubscriptionType": "SNS", "Address": alerts},
        {"SubscriptionType": "EMAIL", "Address": "finops@example.com"},
    ]
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": "cc-101-monthly", "BudgetLimit": {"Amount": "100.0", "Unit": "USD"},
            "TimeUnit": "MONTHLY", "BudgetType": "COST",
            "CostFilters": {"TagKeyValue": ["user:cost_center$CC-101"]},
        },
        NotificationsWithSubscribers=[{"Notification": notification, "Subscribers": subscribers}],
    )  # fmt: skip
    proxy.subscribers["cc-101-monthly", "ACTUAL", 80.0] = subscribers
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget={
            "BudgetName": "silent", "BudgetLimit": {"Amount": "50.0", "Unit": "USD"},
            "TimeUnit": "MONTHLY", "BudgetType": "COST",
        },
    )  # fmt: skip
    return scene


@dataclass
class Live:
    scene: Scene
    reading: Reading
    proxy_calls: list[Call]
    progress: list[str]

    def of(self, type_: str) -> dict[str, LiveResource]:
        return {r.id: r for r in self.reading.resources if r.type == type_}

    def one(self, type_: str, id_: str) -> LiveResource:
        return self.of(type_)[id_]


@pytest.fixture(scope="module")
def live(moto_server: str) -> Iterator[Live]:
    """One seeded account read once (the per-type tests below only look at it)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in CREDENTIALS.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        _reset(moto_server)
        with serving(moto_server) as proxy:
            scene = seed(Account(moto_server), proxy)
            said: list[str] = []
            reading = _read(proxy, progress=said.append, workers=4)
            yield Live(scene, reading, list(proxy.calls), said)


# --- judging the mapped resources in process ---------------------------------------------------


def views(reading: Reading) -> list[Resource]:
    return [
        Resource(
            type=c.type,
            name=c.name,
            urn=c.urn,
            props=c.inputs,
            parent=c.parent,
            dependencies=tuple(c.dependencies),
        )
        for c in reading.capture().resources
    ]


def _id(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def judged(reading: Reading, rule_id: str) -> dict[str, list[str]]:
    """Rule `rule_id` on every resource it applies to: {resource id: messages}."""
    rule = RULES_BY_ID[rule_id]
    resources = views(reading)
    if rule.is_stack_rule:
        out: dict[str, list[str]] = {}
        for urn, message in rule.evaluate_stack(resources):
            out.setdefault(_id(urn or "<stack>"), []).append(message)
        return out
    return {_id(r.urn): rule.evaluate(r) for r in resources if rule.applies_to(r.type)}


# --- each type: inputs exactly, references, the rules' verdicts --------------------------------

moto = pytest.mark.subprocess  # the moto server is a child process


def _block(description: str = "", **values: Any) -> dict[str, Any]:
    base = {
        "protocol": "tcp", "fromPort": 0, "toPort": 0, "cidrBlocks": [], "ipv6CidrBlocks": [],
        "prefixListIds": [], "securityGroups": [], "self": False, "description": description,
    }  # fmt: skip
    return {**base, **values}


@moto
def test_security_groups(live: Live) -> None:
    ids = live.scene.ids
    egress = [_block(protocol="-1", cidrBlocks=["0.0.0.0/0"])]
    web = live.one(aws_reader.SECURITY_GROUP, ids["sg-web"])
    assert web.inputs == {
        "name": "web",
        "description": "web group",
        "vpcId": ids["vpc"],
        "ingress": [
            _block("https", fromPort=443, toPort=443, cidrBlocks=["0.0.0.0/0"]),
            _block("office", fromPort=22, toPort=22, cidrBlocks=["203.0.113.0/24"]),
        ],
        "egress": egress,
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert (web.name, web.region, web.scope, web.unknown) == ("web", REGION, ACCOUNT, [])
    admin = live.one(aws_reader.SECURITY_GROUP, ids["sg-admin"])
    assert admin.inputs["ingress"] == [
        _block(fromPort=22, toPort=22, cidrBlocks=["0.0.0.0/0"]),
        _block("rdp", fromPort=3389, toPort=3389, ipv6CidrBlocks=["::/0"]),
    ]
    everything = live.one(aws_reader.SECURITY_GROUP, ids["sg-all"])
    assert everything.inputs["ingress"] == [_block(protocol="-1", cidrBlocks=["0.0.0.0/0"])]
    assert everything.inputs["tags"] == {}

    verdicts = judged(live.reading, "aws-ec2-securitygroup-no-public-admin-ports")
    assert verdicts[ids["sg-web"]] == []
    assert verdicts[ids["sg-admin"]] == [
        f"ingress[0]: ingress from 0.0.0.0/0 to 22; {ADMIN_FIX}",
        f"ingress[1]: ingress from ::/0 to 3389; {ADMIN_FIX}",
    ]
    assert verdicts[ids["sg-all"]] == [
        f"ingress[0]: ingress from 0.0.0.0/0 to all protocols and ports (protocol -1); {ADMIN_FIX}"
    ]
    tagging = judged(live.reading, "aws-tagging-resource-required-tags")
    assert tagging[ids["sg-web"]] == [] and tagging[ids["sg-all"]] == [MISSING_TAGS]


@moto
def test_subnets(live: Live) -> None:
    ids = live.scene.ids
    private = live.one(aws_reader.SUBNET, ids["subnet-private"])
    assert private.inputs == {
        "vpcId": ids["vpc"],
        "cidrBlock": "10.0.1.0/24",
        "availabilityZone": "eu-west-1a",
        "mapPublicIpOnLaunch": False,
        "assignIpv6AddressOnCreation": False,
        "tags": {**AWS_TAGS, "Name": "private-a"},
        "region": REGION,
    }
    assert private.name == "private-a"
    public = live.one(aws_reader.SUBNET, ids["subnet-public"])
    assert public.inputs["mapPublicIpOnLaunch"] is True and public.name == ids["subnet-public"]
    verdicts = judged(live.reading, "aws-ec2-subnet-no-public-ip-on-launch")
    assert verdicts[ids["subnet-private"]] == []
    assert verdicts[ids["subnet-public"]] == [
        "every instance launched in the subnet gets a public IP (mapPublicIpOnLaunch=true); "
        "set it to false and use a NAT gateway or a load balancer"
    ]


@moto
def test_databases(live: Live) -> None:
    orders = live.one(aws_reader.DB_INSTANCE, "orders-db")
    assert orders.inputs == {
        "identifier": "orders-db",
        "engine": "postgres",
        "instanceClass": "db.t3.micro",
        "publiclyAccessible": False,
        "storageEncrypted": True,
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert live.one(aws_reader.DB_INSTANCE, "public-db").inputs["publiclyAccessible"] is True
    member = live.one(aws_reader.CLUSTER_INSTANCE, "aurora-1")
    assert member.inputs == {
        "identifier": "aurora-1",
        "engine": "aurora-postgresql",
        "instanceClass": "db.r6g.large",
        "publiclyAccessible": True,
        "clusterIdentifier": "aurora",
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert "aurora-1" not in live.of(aws_reader.DB_INSTANCE)
    public = (
        "the database has a public endpoint (publiclyAccessible=true); set it to false and "
        "reach it from inside the VPC"
    )
    verdicts = judged(live.reading, "aws-rds-instance-not-public")
    assert verdicts == {"orders-db": [], "public-db": [public], "aurora-1": [public]}
    assert judged(live.reading, "aws-tagging-resource-required-tags")["public-db"] == [MISSING_TAGS]


@moto
def test_eks_clusters(live: Live) -> None:
    private = live.one(aws_reader.EKS_CLUSTER, "private-k8s")
    assert private.inputs == {
        "name": "private-k8s",
        "roleArn": live.scene.ids["role"],
        "version": private.inputs["version"],  # moto's default Kubernetes version
        "vpcConfig": {
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
            "subnetIds": [live.scene.ids["subnet-private"]],
        },
        "tags": AWS_TAGS,
        "region": REGION,
    }
    public = live.one(aws_reader.EKS_CLUSTER, "public-k8s")
    assert public.inputs["vpcConfig"]["publicAccessCidrs"] == ["0.0.0.0/0"]
    verdicts = judged(live.reading, "aws-eks-cluster-private-api-endpoint")
    assert verdicts == {
        "private-k8s": [],
        "public-k8s": [
            "the Kubernetes API endpoint is public and open to 0.0.0.0/0 "
            "(vpcConfig.endpointPublicAccess is not false); set endpointPublicAccess=false with "
            "endpointPrivateAccess=true, or list specific publicAccessCidrs"
        ],
    }


@moto
def test_buckets_and_their_public_access_blocks(live: Live) -> None:
    buckets = live.of(aws_reader.BUCKET)
    assert buckets["acme-data"].inputs == {
        "bucket": "acme-data",
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert buckets["acme-logs"].inputs == {"bucket": "acme-logs", "tags": {}, "region": REGION}
    blocks = live.of(aws_reader.BUCKET_BLOCK)
    assert sorted(blocks) == ["acme-data-public-access-block", "acme-web-public-access-block"]
    data = blocks["acme-data-public-access-block"]
    assert data.inputs == {"bucket": "acme-data", "region": REGION, **BLOCKED}
    assert (data.name, data.references) == ("acme-data", ["acme-data"])
    web = blocks["acme-web-public-access-block"]
    assert web.inputs == {
        "bucket": "acme-web",
        "region": REGION,
        **BLOCKED,
        "restrictPublicBuckets": False,
    }
    assert live.of(aws_reader.ACCOUNT_BLOCK) == {}  # none set: not an error
    assert judged(live.reading, "aws-s3-bucket-public-access-block") == {
        "acme-logs": [
            "bucket acme-logs has no public access block; add an s3.BucketPublicAccessBlock for "
            "it with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and "
            "restrictPublicBuckets set to true"
        ],
        "acme-web": [
            "bucket acme-web's public access block leaves restrictPublicBuckets off; set all "
            "four settings to true"
        ],
    }
    tagging = judged(live.reading, "aws-tagging-resource-required-tags")
    assert tagging["acme-logs"] == [MISSING_TAGS] and tagging["acme-data"] == []


@moto
def test_layer_versions_and_permissions(live: Live) -> None:
    ids = live.scene.ids
    versions = live.of(aws_reader.LAYER_VERSION)
    assert set(versions) == {ids["layer-deps"], ids["layer-legacy"], ids["layer-bare"]}
    deps = versions[ids["layer-deps"]]
    assert deps.inputs == {
        "layerName": "deps",
        "compatibleRuntimes": ["python3.12", "python3.13"],
        "compatibleArchitectures": ["arm64"],
        "region": REGION,
    }
    assert versions[ids["layer-bare"]].inputs["compatibleRuntimes"] == []
    permissions = live.of(aws_reader.LAYER_PERMISSION)
    assert {k: (v.inputs, v.references) for k, v in permissions.items()} == {
        f"{ids['layer-deps']}#partner": (
            {
                "layerName": "deps", "versionNumber": 1, "statementId": "partner",
                "action": "lambda:GetLayerVersion", "principal": "111122223333", "region": REGION,
            },
            [ids["layer-deps"]],
        ),
        f"{ids['layer-deps']}#org": (
            {
                "layerName": "deps", "versionNumber": 1, "statementId": "org",
                "action": "lambda:GetLayerVersion", "principal": "*",
                "organizationId": "o-abc123def4", "region": REGION,
            },
            [ids["layer-deps"]],
        ),
        f"{ids['layer-legacy']}#world": (
            {
                "layerName": "legacy", "versionNumber": 1, "statementId": "world",
                "action": "lambda:GetLayerVersion", "principal": "*", "region": REGION,
            },
            [ids["layer-legacy"]],
        ),
    }  # fmt: skip
    assert judged(live.reading, "aws-lambda-layerpermission-no-public") == {
        f"{ids['layer-deps']}#partner": [],
        f"{ids['layer-deps']}#org": [],
        f"{ids['layer-legacy']}#world": [
            "layer version shared with every AWS account (principal * without organizationId)"
        ],
    }
    assert judged(live.reading, "aws-lambda-layerversion-runtimes-declared") == {
        ids["layer-deps"]: [],
        ids["layer-legacy"]: [],
        ids["layer-bare"]: [
            "compatibleRuntimes is not declared; list the runtimes the layer was built for"
        ],
    }
    assert judged(live.reading, "aws-lambda-layerversion-runtimes-supported")[
        ids["layer-legacy"]
    ] == [
        "compatibleRuntimes lists deprecated runtimes: python3.7; build the layer for a "
        "supported runtime"
    ]


@moto
def test_functions(live: Live) -> None:
    api = live.one(aws_reader.FUNCTION, "api")
    assert api.inputs == {
        "name": "api",
        "runtime": "python3.12",
        "packageType": "Zip",
        "architectures": ["x86_64"],
        "layers": [live.scene.ids["layer-deps"]],
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert judged(live.reading, "aws-tagging-resource-required-tags")["api"] == []


@moto
def test_topics_subscriptions_and_alarms(live: Live) -> None:
    ids = live.scene.ids
    alerts, quiet = ids["topic-alerts"], ids["topic-quiet"]
    topics = live.of(aws_reader.TOPIC)
    assert topics[alerts].inputs == {
        "name": "alerts",
        "kmsMasterKeyId": "alias/aws/sns",
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert topics[quiet].inputs == {"name": "quiet", "tags": AWS_TAGS, "region": REGION}
    subscription = live.one(aws_reader.SUBSCRIPTION, ids["sub-alerts"])
    assert subscription.inputs == {
        "topic": alerts,
        "protocol": "email",
        "endpoint": "oncall@example.com",
        "region": REGION,
    }
    assert subscription.references == [alerts]
    alarms = live.of(aws_reader.METRIC_ALARM)
    assert alarms["cpu-high"].inputs == {
        "name": "cpu-high",
        "actionsEnabled": True,
        "alarmActions": [alerts],
        "okActions": [alerts],
        "insufficientDataActions": [],
        "metricName": "CPUUtilization",
        "namespace": "AWS/EC2",
        "statistic": "Average",
        "comparisonOperator": "GreaterThanThreshold",
        "threshold": 80.0,
        "evaluationPeriods": 2,
        "period": 300,
        "tags": AWS_TAGS,
        "region": REGION,
    }
    assert alarms["cpu-high"].references == [alerts]
    assert alarms["disk-full"].inputs["alarmActions"] == [] and alarms["disk-full"].references == []
    assert alarms["errors"].references == [quiet]

    assert judged(live.reading, "aws-cloudwatch-alarm-has-actions") == {
        "cpu-high": [],
        "errors": [],
        "disk-full": [
            "alarm has no alarmActions: nobody is notified; add an SNS topic ARN to alarmActions"
        ],
    }
    assert judged(live.reading, "aws-sns-topic-kms-encrypted") == {
        alerts: [],
        quiet: ["topic is not encrypted with KMS (kmsMasterKeyId)"],
    }
    assert judged(live.reading, "aws-sns-topic-has-subscription") == {
        quiet: [
            "topic quiet notifies nobody: no subscription (used by errors); subscribe an "
            "email, Slack or PagerDuty endpoint"
        ]
    }
    assert judged(live.reading, "aws-tagging-resource-required-tags")["disk-full"] == [MISSING_TAGS]


@moto
def test_budgets(live: Live) -> None:
    ids = live.scene.ids
    budgets = live.of(aws_reader.BUDGET)
    monthly = budgets[f"{ACCOUNT}:cc-101-monthly"]
    assert monthly.inputs == {
        "name": "cc-101-monthly",
        "budgetType": "COST",
        "limitAmount": "100.0",
        "limitUnit": "USD",
        "timeUnit": "MONTHLY",
        "costFilters": [{"name": "TagKeyValue", "values": ["user:cost_center$CC-101"]}],
        "notifications": [
            {
                "comparisonOperator": "GREATER_THAN",
                "threshold": 80.0,
                "thresholdType": "PERCENTAGE",
                "notificationType": "ACTUAL",
                "subscriberEmailAddresses": ["finops@example.com"],
                "subscriberSnsTopicArns": [ids["topic-alerts"]],
            }
        ],
        "tags": {},  # moto cannot tag a budget
    }
    assert (monthly.references, monthly.unknown) == ([ids["topic-alerts"]], [])
    silent = budgets[f"{ACCOUNT}:silent"]
    assert silent.inputs["notifications"] == [] and silent.references == []
    # the budget's topic has a subscription: the stack rule names only `quiet` (above)
    assert ids["topic-alerts"] not in judged(live.reading, "aws-sns-topic-has-subscription")
    assert judged(live.reading, "aws-tagging-resource-required-tags")[f"{ACCOUNT}:silent"] == [
        MISSING_TAGS
    ]


@moto
def test_read_only_scope_and_calls(live: Live) -> None:
    reading = live.reading
    assert reading.scope == ACCOUNT and reading.regions == [REGION] and reading.notes == []
    assert live.progress == ["aws: who am I", "aws: tags", f"aws: reading {REGION}"]
    assert set(reading.calls) <= set(IAM_ACTIONS)
    assert all(re.match(r"^[a-z0-9]+:(Describe|Get|List)[A-Za-z]+$", op) for op in reading.calls)
    # what reached the account (the proxy's log): reads only; REST reads are GETs
    for call in live.proxy_calls:
        assert call.method == "GET" or call.operation.startswith(("Describe", "Get", "List")), (
            call.method,
            call.path,
            call.operation,
        )
    assert reading.calls["tag:GetResources"] == 2  # the region, and budgets in us-east-1
    assert reading.calls["s3:GetPublicAccessBlock"] == 3  # one per bucket
    assert reading.calls["lambda:GetLayerVersionPolicy"] == 3  # one per version
    assert reading.calls["budgets:DescribeSubscribersForNotification"] == 1
    # every mapped resource reaches the capture with its references resolved
    capture = reading.capture()
    assert len(capture.resources) == len(reading.resources)
    alarm = next(c for c in capture.resources if c.name == "cpu-high")
    assert [_id(d) for d in alarm.dependencies] == [live.scene.ids["topic-alerts"]]


# --- scale: calls per resource, pagination -----------------------------------------------------


@moto
def test_calls_per_resource_and_pagination(aws: str) -> None:
    """About 200 resources of mixed types: at most 2 calls a resource on average; the
    Tagging API (100 a page) and SNS topics (100 a page) need a second page, and nothing is
    lost across pages."""
    account = Account(aws)
    ec2, s3, sns = account.client("ec2"), account.client("s3"), account.client("sns")
    cloudwatch, lam = account.client("cloudwatch"), account.client("lambda")
    for i in range(30):
        ec2.create_security_group(
            GroupName=f"sg-{i}", Description="d",
            TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(AWS_TAGS)}],
        )  # fmt: skip
    for i in range(25):
        name = f"bucket-{i:03d}"
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags({"n": str(i)})})
        if i % 2:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    topics = [
        sns.create_topic(Name=f"t-{i:03d}", Tags=_tags({"n": str(i)}))["TopicArn"]
        for i in range(105)
    ]
    for i in range(20):
        cloudwatch.put_metric_alarm(
            AlarmName=f"a-{i}", MetricName="M", Namespace="N", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[topics[i]], Tags=_tags({"n": str(i)}),
        )  # fmt: skip
    for i in range(5):
        lam.publish_layer_version(
            LayerName=f"layer-{i}", Content={"ZipFile": _zip("python/x.py", "")},
            CompatibleRuntimes=["python3.12"],
        )  # fmt: skip
    with serving(aws) as proxy:
        reading = _read(proxy)
    assert reading.notes == []
    counts: dict[str, int] = {}
    for r in reading.resources:
        counts[r.type] = counts.get(r.type, 0) + 1
    resources, calls = len(reading.resources), reading.total_calls
    per = calls / resources
    assert resources >= 200, counts
    assert per <= 2, f"{calls} calls for {resources} resources: {per:.2f} a resource ({counts})"
    print(f"\n{calls} calls for {resources} resources: {per:.2f} a resource")
    assert reading.calls["tag:GetResources"] >= 3  # two pages in the region, budgets
    assert reading.calls["sns:ListTopics"] == 2
    tags = {r.id: r.inputs["tags"] for r in reading.resources if r.type == aws_reader.TOPIC}
    assert tags == {arn: {"n": str(i)} for i, arn in enumerate(topics)}
    buckets = {r.id: r.inputs["tags"] for r in reading.resources if r.type == aws_reader.BUCKET}
    assert buckets == {f"bucket-{i:03d}": {"n": str(i)} for i in range(25)}


@moto
def test_regions_are_read_apart(aws: str) -> None:
    """Two regions: each resource once, in its own region (buckets by their region)."""
    account = Account(aws)
    for region in (REGION, "us-east-1"):
        s3 = account.client("s3", region)
        where = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=f"acme-{region}", **where)
        account.client("sns", region).create_topic(Name=f"alerts-{region}", Tags=_tags(AWS_TAGS))
    with serving(aws) as proxy:
        reading = Reading(cloud="aws", scope="")
        access = AwsAccess(region=REGION, endpoint_url=proxy.url)
        read_aws(access, [REGION, "us-east-1", REGION], Budget(seconds=60), reading)
    assert reading.regions == [REGION, "us-east-1"] and reading.notes == []
    found = sorted(
        (r.type, r.name, r.region)
        for r in reading.resources
        if r.type in (aws_reader.BUCKET, aws_reader.TOPIC)
    )
    assert found == [
        (aws_reader.BUCKET, f"acme-{REGION}", REGION),
        (aws_reader.BUCKET, "acme-us-east-1", "us-east-1"),
        (aws_reader.TOPIC, f"alerts-{REGION}", REGION),
        (aws_reader.TOPIC, "alerts-us-east-1", "us-east-1"),
    ]
    assert all(
        r.inputs["tags"] == AWS_TAGS for r in reading.resources if r.type == aws_reader.TOPIC
    )
    assert reading.calls["s3:ListBuckets"] == 2 and reading.calls["budgets:DescribeBudgets"] == 1


def test_services_not_offered_in_a_region_are_not_called() -> None:
    session = boto3.Session(region_name=REGION)
    assert aws_reader._offered(session, AwsAccess(), "eks", REGION, "aws")
    assert not aws_reader._offered(session, AwsAccess(), "eks", "xx-nowhere-9", "aws")
    assert aws_reader._offered(
        session, AwsAccess(endpoint_url="http://127.0.0.1:1"), "eks", "xx-nowhere-9", "aws"
    )


# --- refusals and faults ----------------------------------------------------------------------


@moto
def test_refused_list_is_noted_and_the_rest_is_read(aws: str) -> None:
    account = Account(aws)
    ec2 = account.client("ec2")
    ec2.create_security_group(GroupName="web", Description="d")
    account.client("sns").create_topic(Name="alerts")
    with serving(aws) as proxy:
        proxy.fail_xml(
            "DescribeSecurityGroups", 403, "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        )  # fmt: skip
        reading = _read(proxy)
    assert [r for r in reading.resources if r.type == aws_reader.SECURITY_GROUP] == []
    assert reading.notes == [
        f"aws ec2 in {REGION}: DescribeSecurityGroups UnauthorizedOperation: You are not "
        "authorized to perform this operation.; security groups not read"
    ]
    assert any(r.type == aws_reader.SUBNET for r in reading.resources)  # the rest is read
    assert any(r.type == aws_reader.TOPIC for r in reading.resources)


@moto
def test_refused_tagging_leaves_tags_unknown(aws: str) -> None:
    account = Account(aws)
    s3 = account.client("s3")
    s3.create_bucket(Bucket="acme-data", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="acme-data", Tagging={"TagSet": _tags(AWS_TAGS)})
    account.client("ec2").create_security_group(
        GroupName="web", Description="d",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(AWS_TAGS)}],
    )  # fmt: skip
    with serving(aws) as proxy:
        # every GetResources (the region's and us-east-1's for budgets, in any order)
        proxy.fail("GetResources", status=400, code="AccessDeniedException", message="denied",
                   times=99)  # fmt: skip
        reading = _read(proxy)
    bucket = next(r for r in reading.resources if r.type == aws_reader.BUCKET)
    assert ("tags" in bucket.inputs, bucket.unknown) == (False, ["tags"])
    group = next(r for r in reading.resources if r.name == "web")
    assert (group.inputs["tags"], group.unknown) == (AWS_TAGS, [])  # EC2 tags come inline
    assert (
        f"aws tag in {REGION}: GetResources AccessDeniedException: denied; tags of s3:bucket, "
        "lambda:function, sns:topic, cloudwatch:alarm resources are unknown to the rules"
    ) in reading.notes
    captured = next(c for c in reading.capture().resources if c.name == "acme-data")
    assert captured.inputs["tags"] == UNKNOWN  # the pack reports the tag rules unknown


@moto
def test_refused_per_resource_reads_leave_their_properties_unknown(aws: str) -> None:
    account = Account(aws)
    s3 = account.client("s3")
    s3.create_bucket(Bucket="acme-data", CreateBucketConfiguration={"LocationConstraint": REGION})
    topic = account.client("sns").create_topic(Name="alerts")["TopicArn"]
    lam = account.client("lambda")
    arn = lam.publish_layer_version(
        LayerName="deps", Content={"ZipFile": _zip("python/x.py", "")},
        CompatibleRuntimes=["python3.12"],
    )["LayerVersionArn"]  # fmt: skip
    with serving(aws) as proxy:
        proxy.fail_xml("GetTopicAttributes", 403, "AuthorizationError", "no")
        proxy.fail("GetLayerVersionPolicy", status=403, code="AccessDeniedException", message="no")
        reading = _read(proxy)
    by_type = {r.type: r for r in reading.resources}
    assert by_type[aws_reader.TOPIC].id == topic
    assert by_type[aws_reader.TOPIC].unknown == ["kmsMasterKeyId"]
    permission = by_type[aws_reader.LAYER_PERMISSION]
    assert (permission.id, permission.references) == (f"{arn}#unread", [arn])
    assert permission.unknown == ["principal", "organizationId", "action"]
    assert sorted(reading.notes) == [
        f"aws lambda in {REGION}: GetLayerVersionPolicy AccessDeniedException: no; who may use "
        f"layer version {arn} is unknown to the rules",
        f"aws sns in {REGION}: GetTopicAttributes AuthorizationError: no; topic {topic}'s "
        "encryption is unknown to the rules",
    ]
    captured = {c.type: c for c in reading.capture().resources}
    assert captured[aws_reader.LAYER_PERMISSION].inputs["principal"] == UNKNOWN
    assert captured[aws_reader.TOPIC].inputs["kmsMasterKeyId"] == UNKNOWN


@moto
def test_a_500_is_retried_a_storm_exhausts_the_budget(aws: str) -> None:
    Account(aws).client("ec2").create_security_group(GroupName="web", Description="d")
    # botocore's own attempts behind one budget attempt (`botocore_config`)
    client = boto3.client("ec2", region_name=REGION, config=botocore_config())
    inner = int(client.meta.config.retries["total_max_attempts"])
    retries: list[str] = []
    with serving(aws) as proxy:
        proxy.fail_xml("DescribeSubnets", 500, "InternalError", "try again", times=inner)
        budget = Budget(seconds=60, sleep=lambda _: None, progress=retries.append)
        reading = _read(proxy, budget)
        assert reading.notes == [] and len(proxy.of("DescribeSubnets")) == inner + 1
        assert any(r.type == aws_reader.SUBNET for r in reading.resources)
        assert len(retries) == 1, retries
        assert retries[0].startswith(f"ec2:DescribeSubnets in {REGION}: 500 InternalError; retry")
        proxy.reset()
        proxy.fail_xml("DescribeSubnets", 500, "InternalError", "try again", times=100)
        budget = Budget(seconds=60, attempts=3, sleep=lambda _: None)
        with pytest.raises(BudgetExhausted, match=r"ec2:DescribeSubnets in eu-west-1.*500"):
            _read(proxy, budget)
        assert len(proxy.of("DescribeSubnets")) == 3 * inner


@moto
def test_account_block(aws: str) -> None:
    account = Account(aws)
    s3 = account.client("s3")
    s3.create_bucket(Bucket="acme-logs", CreateBucketConfiguration={"LocationConstraint": REGION})
    control = account.client("s3control")
    aws_reader._no_account_host(control, ACCOUNT)
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    with serving(aws) as proxy:
        reading = _read(proxy)
    block = next(r for r in reading.resources if r.type == aws_reader.ACCOUNT_BLOCK)
    assert (block.id, block.inputs) == (ACCOUNT, {"accountId": ACCOUNT, **BLOCKED})
    assert judged(reading, "aws-s3-bucket-public-access-block") == {}  # the account blocks all


@moto
def test_scope_is_checked_before_anything_is_read(aws: str) -> None:
    with serving(aws) as proxy:
        with pytest.raises(GuardrailsError, match="credentials are for account 123456789012, "
                           "not 210987654321; nothing was read"):  # fmt: skip
            _read(proxy, reading=Reading(cloud="aws", scope="210987654321"))
        with pytest.raises(GuardrailsError, match=r"AWS account id 'acct-1' is not 12 digits"):
            _read(proxy, reading=Reading(cloud="aws", scope="acct-1"))
        assert [c.operation for c in proxy.calls] == ["GetCallerIdentity"] * 2
        reading = Reading(cloud="aws", scope="")
        access = AwsAccess(region=REGION, endpoint_url=proxy.url)
        with pytest.raises(GuardrailsError, match=r"--region 'eu-west-1\.evil\.com'"):
            read_aws(access, ["eu-west-1.evil.com"], Budget(seconds=10), reading)
        assert len(proxy.calls) == 2  # refused before any call


# --- shapes moto does not produce (AWS's documented answers) -----------------------------------


@pytest.mark.parametrize(
    ("statement", "principal", "organization"),
    [
        ({"Principal": "*"}, "*", None),
        ({"Principal": {"AWS": "*"}}, "*", None),
        ({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, "111122223333", None),
        (
            {
                "Principal": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}},
            },
            "*",
            "o-abc123def4",
        ),
    ],
)
def test_layer_policy_statements_as_aws_writes_them(
    statement: dict[str, Any], principal: str, organization: str | None
) -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"
    policy = {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [
            {"Sid": "s1", "Effect": "Allow", "Action": "lambda:GetLayerVersion", **statement}
        ],
    }
    version = {"LayerVersionArn": arn, "Version": 3}
    [permission] = aws_reader.layer_permissions(
        "deps", version, json.dumps(policy), ACCOUNT, REGION
    )
    assert permission.inputs.get("principal") == principal
    assert permission.inputs.get("organizationId") == organization
    rule = RULES_BY_ID["aws-lambda-layerpermission-no-public"]
    view = Resource(permission.type, permission.name, "urn:p", permission.inputs)
    assert bool(rule.evaluate(view)) is (principal == "*" and organization is None)


def test_pending_subscription_does_not_count_as_notifying() -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    pending = aws_reader.subscription(
        {"SubscriptionArn": "PendingConfirmation", "TopicArn": topic, "Protocol": "email",
         "Endpoint": "oncall@example.com"},
        ACCOUNT, REGION,
    )  # fmt: skip
    assert pending.inputs == {
        "topic": topic,
        "protocol": "email",
        "endpoint": "oncall@example.com",
        "region": REGION,
        "pendingConfirmation": True,
    }
    assert pending.references == []
    reading = Reading(cloud="aws", scope=ACCOUNT)
    alarm = {"AlarmName": "cpu", "AlarmActions": [topic]}
    for resource in (
        aws_reader.topic(topic, {}, {}, ACCOUNT, REGION),
        pending,
        aws_reader.metric_alarm(alarm, {}, ACCOUNT, REGION),
    ):
        reading.add(resource)
    assert judged(reading, "aws-sns-topic-has-subscription") == {
        topic: [
            "topic alerts notifies nobody: no subscription (used by cpu); subscribe an email, "
            "Slack or PagerDuty endpoint"
        ]
    }


def test_security_group_sources_split_by_description() -> None:
    permission = {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [
            {"CidrIp": "203.0.113.0/24", "Description": "office"},
            {"CidrIp": "0.0.0.0/0", "Description": "temporary"},
        ],
        "UserIdGroupPairs": [
            {"GroupId": "sg-self", "UserId": ACCOUNT},
            {"GroupId": "sg-peer", "UserId": "111122223333", "Description": "office"},
        ],
        "PrefixListIds": [{"PrefixListId": "pl-1"}],
    }
    icmp = {
        "IpProtocol": "icmp",
        "FromPort": -1,
        "ToPort": -1,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }
    assert aws_reader.permissions([permission, icmp], "sg-self", ACCOUNT) == [
        _block("office", fromPort=22, toPort=22, cidrBlocks=["203.0.113.0/24"],
               securityGroups=["111122223333/sg-peer"]),
        _block("temporary", fromPort=22, toPort=22, cidrBlocks=["0.0.0.0/0"]),
        _block(fromPort=22, toPort=22, prefixListIds=["pl-1"], self=True),
        _block(protocol="icmp", fromPort=-1, toPort=-1, cidrBlocks=["0.0.0.0/0"]),
    ]  # fmt: skip


def test_missing_answers_are_unknown_not_assumed() -> None:
    cluster = aws_reader.eks_cluster(
        {"name": "k", "resourcesVpcConfig": {"subnetIds": ["subnet-1"]}}, ACCOUNT, REGION
    )
    assert ("vpcConfig" in cluster.inputs, cluster.unknown) == (False, ["vpcConfig"])
    member = aws_reader.db_instance(
        {"DBInstanceIdentifier": "a-1", "DBClusterIdentifier": "a", "Engine": "aurora-mysql"},
        ACCOUNT,
        REGION,
    )
    assert member.unknown == ["publiclyAccessible"]
    subnet = aws_reader.subnet({"SubnetId": "subnet-1", "VpcId": "vpc-1"}, ACCOUNT, REGION)
    assert subnet.unknown == ["mapPublicIpOnLaunch"]
    block = aws_reader.public_access_block(
        aws_reader.BUCKET_BLOCK, "b-public-access-block", "b", None, ACCOUNT, {"bucket": "b"}
    )
    assert block.unknown == [
        "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"
    ]  # fmt: skip
