"""Reading an AWS account for the audit: the Resource Groups Tagging API for every
resource's tags (one paged call per region, not one per resource), then the describe/get
calls of the catalog's types, mapped to the Pulumi AWS provider's input names.

    sts GetCallerIdentity                                   -> the account (12 digits)
    per region: tagging GetResources (paged)                -> tags by ARN
        ec2 DescribeSecurityGroups, DescribeSubnets; rds DescribeDBInstances;
        eks ListClusters + DescribeCluster; lambda ListLayers + ListLayerVersions +
        GetLayerVersionPolicy, ListFunctions; sns ListTopics + GetTopicAttributes,
        ListSubscriptions; cloudwatch DescribeAlarms
    once: s3 ListBuckets + GetPublicAccessBlock per bucket; s3control GetPublicAccessBlock;
        budgets DescribeBudgets + DescribeNotificationsForBudget +
        DescribeSubscribersForNotification

Read-only by construction: only Describe/Get/List calls. A service or call the account
refuses (AccessDenied, a service not in the region) is a note naming the service, region and
error, and what it would have shown is not judged; throttling and 5xx are retried within the
run's budget (`acting.retry.Budget`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.retry import Budget, botocore_config, retryable
from guardrails.tooling.audit.live import LiveResource, Reading
from guardrails.tooling.cli_options import AwsAccess

BUCKET = "aws:s3/bucketV2:BucketV2"
BUCKET_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
DB_INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"
LAYER_PERMISSION = "aws:lambda/layerVersionPermission:LayerVersionPermission"
FUNCTION = "aws:lambda/function:Function"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUDGET = "aws:budgets/budget:Budget"

AWS_TYPES: frozenset[str] = frozenset({
    BUCKET, BUCKET_BLOCK, ACCOUNT_BLOCK, SECURITY_GROUP, SUBNET, DB_INSTANCE, CLUSTER_INSTANCE,
    EKS_CLUSTER, LAYER_VERSION, LAYER_PERMISSION, FUNCTION, TOPIC, SUBSCRIPTION, ALARM, BUDGET,
})  # fmt: skip
SERVICES = (
    "sts", "resourcegroupstaggingapi", "ec2", "rds", "eks", "lambda", "sns", "cloudwatch", "s3",
    "s3control", "budgets",
)  # fmt: skip
_ACCOUNT = re.compile(r"^\d{12}$")
_BLOCK_SETTINGS = {
    "BlockPublicAcls": "blockPublicAcls",
    "BlockPublicPolicy": "blockPublicPolicy",
    "IgnorePublicAcls": "ignorePublicAcls",
    "RestrictPublicBuckets": "restrictPublicBuckets",
}
_REFUSED_CODES = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
    "OptInRequired", "InvalidClientTokenId", "AuthFailure", "SubscriptionRequiredException",
}  # fmt: skip


def _refused(exc: Exception) -> str | None:
    """One line when `exc` is AWS refusing this read (noted, the audit goes on)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or retryable(exc) is not None:
        return None
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _REFUSED_CODES or status in (401, 403, 404):
        return f"{code}: {error.get('Message', '')}".strip()
    return None


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


class AwsReader:
    """One audit's reads of one account in one region."""

    def __init__(self, access: AwsAccess, region: str, budget: Budget, reading: Reading) -> None:
        import boto3

        self.region, self.budget, self.reading = region, budget, reading
        self.session = boto3.session.Session(profile_name=access.profile, region_name=region)
        self.endpoint = access.endpoint_url
        self._clients: dict[str, Any] = {}
        self.tags: dict[str, dict[str, str]] = {}

    def prepare(self) -> None:
        """Every client made up front: boto3 makes clients one thread at a time, then they
        are safe to share."""
        for service in SERVICES:
            self.client(service)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            from botocore.config import Config

            config = botocore_config(self.budget)
            if self.endpoint:  # an emulator: no `<account>.` host prefix (s3control)
                config = config.merge(Config(inject_host_prefix=False))
            self._clients[service] = self.session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                config=config,
            )
        return self._clients[service]

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """One API call, counted, through the retry policy."""
        self.reading.called(f"{service}:{operation}")
        method = getattr(self.client(service), _snake(operation))
        return self.budget.call(
            method, what=f"{service}:{operation}", endpoint=self.region, **kwargs
        )

    def pages(
        self, service: str, operation: str, key: str, token: str = "NextToken",
        out_token: str | None = None, **kwargs: Any,
    ) -> list[Any]:  # fmt: skip
        """Every item under `key` of a paged call (`token` in, `out_token` out)."""
        items: list[Any] = []
        next_token: str | None = None
        while True:
            extra = {token: next_token} if next_token else {}
            answer = self.call(service, operation, **kwargs, **extra)
            items += answer.get(key, [])
            next_token = answer.get(out_token or token)
            if not next_token:
                return items

    def guarded(self, what: str, read: Callable[[], list[LiveResource]]) -> list[LiveResource]:
        """`read()`, or a note and nothing when the account refuses it."""
        try:
            return read()
        except Exception as exc:
            reason = _refused(exc)
            if reason is None:
                raise
            self.reading.note(f"{what} in {self.region} could not be read ({reason})")
            return []

    def resource(
        self, type_: str, id_: str, name: str, inputs: dict[str, Any], arn: str | None = None,
        references: Iterable[str] = (), parent_id: str | None = None,
    ) -> LiveResource:  # fmt: skip
        if arn is not None:
            inputs = {**inputs, "tags": self.tags.get(arn, {})}
        inputs.setdefault("region", self.region)
        return LiveResource(
            type_, id_, name, inputs, references=[r for r in references if r],
            region=self.region, scope=self.reading.scope, parent_id=parent_id,
        )  # fmt: skip


def _snake(operation: str) -> str:
    """`DescribeDBInstances` -> `describe_db_instances`, as boto3 names its methods."""
    from botocore import xform_name

    return str(xform_name(operation))


# --- per type -----------------------------------------------------------------------------


def _rule(perm: dict[str, Any]) -> dict[str, Any]:
    return {
        "protocol": str(perm.get("IpProtocol", "-1")),
        "fromPort": int(perm.get("FromPort", 0)),
        "toPort": int(perm.get("ToPort", 0)),
        "cidrBlocks": [r["CidrIp"] for r in perm.get("IpRanges", [])],
        "ipv6CidrBlocks": [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])],
        "securityGroups": [
            p["GroupId"] for p in perm.get("UserIdGroupPairs", []) if "GroupId" in p
        ],
    }


def _security_groups(r: AwsReader) -> list[LiveResource]:
    out = []
    for sg in r.pages("ec2", "DescribeSecurityGroups", "SecurityGroups"):
        arn = f"arn:aws:ec2:{r.region}:{r.reading.scope}:security-group/{sg['GroupId']}"
        inputs = {
            "name": sg.get("GroupName", ""), "description": sg.get("Description", ""),
            "vpcId": sg.get("VpcId"), "ingress": [_rule(p) for p in sg.get("IpPermissions", [])],
            "egress": [_rule(p) for p in sg.get("IpPermissionsEgress", [])],
        }  # fmt: skip
        resource = r.resource(SECURITY_GROUP, sg["GroupId"], sg.get("GroupName", ""), inputs, arn)
        resource.inputs["tags"] = r.tags.get(arn) or _tag_list(sg.get("Tags"))
        out.append(resource)
    return out


def _tag_list(tags: Any) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or [] if "Key" in t}


def _subnets(r: AwsReader) -> list[LiveResource]:
    out = []
    for subnet in r.pages("ec2", "DescribeSubnets", "Subnets"):
        tags = _tag_list(subnet.get("Tags"))
        inputs = {
            "vpcId": subnet.get("VpcId"), "cidrBlock": subnet.get("CidrBlock"),
            "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch")),
            "availabilityZone": subnet.get("AvailabilityZone"), "tags": tags,
        }  # fmt: skip
        out.append(
            r.resource(SUBNET, subnet["SubnetId"], tags.get("Name", subnet["SubnetId"]), inputs)
        )
    return out


def _databases(r: AwsReader) -> list[LiveResource]:
    out = []
    found = r.pages("rds", "DescribeDBInstances", "DBInstances", token="Marker", out_token="Marker")
    for db in found:
        identifier = db["DBInstanceIdentifier"]
        inputs = {
            "identifier": identifier, "engine": db.get("Engine"),
            "instanceClass": db.get("DBInstanceClass"),
            "publiclyAccessible": bool(db.get("PubliclyAccessible")),
            "storageEncrypted": bool(db.get("StorageEncrypted")),
            "tags": _tag_list(db.get("TagList")) or r.tags.get(db.get("DBInstanceArn", ""), {}),
        }  # fmt: skip
        type_ = CLUSTER_INSTANCE if db.get("DBClusterIdentifier") else DB_INSTANCE
        if type_ == CLUSTER_INSTANCE:
            inputs["clusterIdentifier"] = db["DBClusterIdentifier"]
        out.append(r.resource(type_, identifier, identifier, inputs))
    return out


def _clusters(r: AwsReader) -> list[LiveResource]:
    out = []
    for name in r.pages("eks", "ListClusters", "clusters", token="nextToken"):
        cluster = r.call("eks", "DescribeCluster", name=name)["cluster"]
        vpc = cluster.get("resourcesVpcConfig", {})
        inputs = {
            "name": name, "version": cluster.get("version"), "roleArn": cluster.get("roleArn"),
            "vpcConfig": {
                "endpointPublicAccess": bool(vpc.get("endpointPublicAccess")),
                "endpointPrivateAccess": bool(vpc.get("endpointPrivateAccess")),
                "publicAccessCidrs": list(vpc.get("publicAccessCidrs") or []),
                "subnetIds": list(vpc.get("subnetIds") or []),
            },
            "tags": dict(cluster.get("tags") or {}),
        }  # fmt: skip
        out.append(r.resource(EKS_CLUSTER, name, name, inputs))
    return out


def _layers(r: AwsReader) -> list[LiveResource]:
    out = []
    for layer in r.pages("lambda", "ListLayers", "Layers", token="Marker", out_token="NextMarker"):
        name = layer["LayerName"]
        versions = r.pages(
            "lambda", "ListLayerVersions", "LayerVersions", token="Marker",
            out_token="NextMarker", LayerName=name,
        )  # fmt: skip
        for version in versions:
            arn = version["LayerVersionArn"]
            number = int(version["Version"])
            inputs = {
                "layerName": name,
                "compatibleRuntimes": list(version.get("CompatibleRuntimes") or []),
                "compatibleArchitectures": list(version.get("CompatibleArchitectures") or []),
            }
            out.append(r.resource(LAYER_VERSION, arn, f"{name}:{number}", inputs))
            out += _layer_permissions(r, name, number, arn)
    return out


def _layer_permissions(r: AwsReader, name: str, number: int, arn: str) -> list[LiveResource]:
    try:
        answer = r.call("lambda", "GetLayerVersionPolicy", LayerName=name, VersionNumber=number)
    except Exception as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return []  # a layer version shared with nobody
        raise
    out = []
    for index, statement in enumerate(
        json.loads(answer.get("Policy") or "{}").get("Statement", [])
    ):
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            principal = principal.get("AWS")
        if isinstance(principal, str) and principal.startswith("arn:aws:iam::"):
            principal = principal.split(":")[4]
        condition = statement.get("Condition", {}).get("StringEquals", {})
        inputs = {
            "layerName": name, "versionNumber": number, "statementId": statement.get("Sid", ""),
            "action": statement.get("Action"), "principal": principal,
            "organizationId": condition.get("aws:PrincipalOrgID"),
        }  # fmt: skip
        sid = statement.get("Sid") or str(index)
        out.append(
            r.resource(LAYER_PERMISSION, f"{arn}#{sid}", f"{name}:{number}#{sid}",
                       {k: v for k, v in inputs.items() if v is not None},
                       references=[arn], parent_id=arn)
        )  # fmt: skip
    return out


def _functions(r: AwsReader) -> list[LiveResource]:
    out = []
    for fn in r.pages(
        "lambda", "ListFunctions", "Functions", token="Marker", out_token="NextMarker"
    ):
        arn = fn["FunctionArn"]
        inputs = {
            "name": fn["FunctionName"], "runtime": fn.get("Runtime"),
            "layers": [layer["Arn"] for layer in fn.get("Layers", [])],
        }  # fmt: skip
        out.append(r.resource(FUNCTION, fn["FunctionName"], fn["FunctionName"], inputs, arn))
    return out


def _topics(r: AwsReader) -> list[LiveResource]:
    out = []
    for topic in r.pages("sns", "ListTopics", "Topics"):
        arn = topic["TopicArn"]
        attributes = r.call("sns", "GetTopicAttributes", TopicArn=arn).get("Attributes", {})
        inputs: dict[str, Any] = {"name": arn.rsplit(":", 1)[-1]}
        if attributes.get("KmsMasterKeyId"):
            inputs["kmsMasterKeyId"] = attributes["KmsMasterKeyId"]
        out.append(r.resource(TOPIC, arn, inputs["name"], inputs, arn))
    for sub in r.pages("sns", "ListSubscriptions", "Subscriptions"):
        arn = sub["SubscriptionArn"]
        pending = arn == "PendingConfirmation"
        inputs = {"topic": sub["TopicArn"], "protocol": sub.get("Protocol"),
                  "endpoint": sub.get("Endpoint"), "pendingConfirmation": pending}  # fmt: skip
        sub_id = f"{sub['TopicArn']}#{sub.get('Endpoint')}" if pending else arn
        out.append(
            r.resource(SUBSCRIPTION, sub_id, str(sub.get("Endpoint", arn)), inputs,
                       references=[sub["TopicArn"]])
        )  # fmt: skip
    return out


def _alarms(r: AwsReader) -> list[LiveResource]:
    out = []
    for alarm in r.pages("cloudwatch", "DescribeAlarms", "MetricAlarms"):
        actions = list(alarm.get("AlarmActions") or [])
        inputs = {
            "name": alarm["AlarmName"], "alarmActions": actions,
            "okActions": list(alarm.get("OKActions") or []),
            "insufficientDataActions": list(alarm.get("InsufficientDataActions") or []),
            "actionsEnabled": bool(alarm.get("ActionsEnabled", True)),
            "metricName": alarm.get("MetricName"), "namespace": alarm.get("Namespace"),
        }  # fmt: skip
        inputs = {k: v for k, v in inputs.items() if v is not None}
        out.append(
            r.resource(ALARM, alarm["AlarmName"], alarm["AlarmName"], inputs,
                       alarm.get("AlarmArn"), references=actions)
        )  # fmt: skip
    return out


def _buckets(r: AwsReader) -> list[LiveResource]:
    out = []
    for bucket in r.call("s3", "ListBuckets").get("Buckets", []):
        name = bucket["Name"]
        out.append(r.resource(BUCKET, name, name, {"bucket": name}, f"arn:aws:s3:::{name}"))
        try:
            block = r.call("s3", "GetPublicAccessBlock", Bucket=name)
        except Exception as exc:
            if _error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
                continue  # no block: the rule says so
            raise
        settings = block.get("PublicAccessBlockConfiguration", {})
        inputs = {"bucket": name, **{v: bool(settings.get(k)) for k, v in _BLOCK_SETTINGS.items()}}
        out.append(
            r.resource(BUCKET_BLOCK, f"{name}-public-access-block", name, inputs,
                       references=[name], parent_id=name)
        )  # fmt: skip
    if r.endpoint:
        # s3control addresses `<account>.<endpoint>`, which a custom endpoint has no name for
        r.reading.aside(
            "the account's S3 public access block was not read (s3control cannot use a custom "
            "endpoint); each bucket was judged by its own block"
        )
        return out
    try:
        account = r.call("s3control", "GetPublicAccessBlock", AccountId=r.reading.scope)
    except Exception as exc:
        if _error_code(exc) in ("NoSuchPublicAccessBlockConfiguration", "NoSuchPublicAccessBlock"):
            return out
        raise
    settings = account.get("PublicAccessBlockConfiguration", {})
    inputs = {v: bool(settings.get(k)) for k, v in _BLOCK_SETTINGS.items()}
    out.append(r.resource(ACCOUNT_BLOCK, r.reading.scope, "account", inputs))
    return out


def _budgets(r: AwsReader) -> list[LiveResource]:
    out = []
    account = r.reading.scope
    for budget in r.pages("budgets", "DescribeBudgets", "Budgets", AccountId=account):
        name = budget["BudgetName"]
        notifications = []
        topics: list[str] = []
        for notification in r.pages(
            "budgets", "DescribeNotificationsForBudget", "Notifications",
            AccountId=account, BudgetName=name,
        ):  # fmt: skip
            subscribers = r.pages(
                "budgets", "DescribeSubscribersForNotification", "Subscribers",
                AccountId=account, BudgetName=name, Notification=notification,
            )  # fmt: skip
            sns = [s["Address"] for s in subscribers if s.get("SubscriptionType") == "SNS"]
            topics += sns
            notifications.append({
                "comparisonOperator": notification.get("ComparisonOperator"),
                "threshold": notification.get("Threshold"),
                "thresholdType": notification.get("ThresholdType", "PERCENTAGE"),
                "notificationType": notification.get("NotificationType"),
                "subscriberSnsTopicArns": sns,
                "subscriberEmailAddresses": [
                    s["Address"] for s in subscribers if s.get("SubscriptionType") == "EMAIL"
                ],
            })  # fmt: skip
        limit = budget.get("BudgetLimit", {})
        inputs = {
            "name": name, "budgetType": budget.get("BudgetType"),
            "limitAmount": limit.get("Amount"), "limitUnit": limit.get("Unit"),
            "timeUnit": budget.get("TimeUnit"), "notifications": notifications,
        }  # fmt: skip
        out.append(r.resource(BUDGET, name, name, inputs, references=topics))
    return out


REGIONAL: tuple[tuple[str, Callable[[AwsReader], list[LiveResource]]], ...] = (
    ("EC2 security groups", _security_groups),
    ("EC2 subnets", _subnets),
    ("RDS instances", _databases),
    ("EKS clusters", _clusters),
    ("Lambda layers", _layers),
    ("Lambda functions", _functions),
    ("SNS topics", _topics),
    ("CloudWatch alarms", _alarms),
)
GLOBAL: tuple[tuple[str, Callable[[AwsReader], list[LiveResource]]], ...] = (
    ("S3 buckets", _buckets),
    ("AWS Budgets", _budgets),
)


def _tags(r: AwsReader) -> None:
    try:
        found = r.pages(
            "resourcegroupstaggingapi", "GetResources", "ResourceTagMappingList",
            token="PaginationToken",
        )  # fmt: skip
    except Exception as exc:
        reason = _refused(exc)
        if reason is None:
            raise
        r.reading.note(
            f"tags in {r.region} could not be read ({reason}); the tag rules judged only the "
            "tags the services' own answers carry"
        )
        return
    for item in found:
        r.tags[item["ResourceARN"]] = _tag_list(item.get("Tags"))


def read_aws(
    access: AwsAccess,
    regions: Sequence[str],
    budget: Budget,
    reading: Reading,
    progress: Callable[[str], None] | None = None,
    workers: int = 8,
) -> None:
    """Read every resource of the catalog's AWS types in `regions` into `reading`."""
    say = progress or (lambda _: None)
    first = AwsReader(access, regions[0], budget, reading)
    try:
        identity = first.call("sts", "GetCallerIdentity")
    except Exception as exc:
        reason = _refused(exc)
        raise GuardrailsError(f"AWS: cannot tell which account this is ({reason or exc})") from None
    account = str(identity.get("Account", ""))
    if not _ACCOUNT.match(account):
        raise GuardrailsError(f"AWS: GetCallerIdentity answered account {account!r}, not 12 digits")
    reading.scope = reading.scope or account
    reading.regions = list(regions)
    readers = [first] + [AwsReader(access, region, budget, reading) for region in regions[1:]]
    for reader in readers:
        reader.prepare()
        say(f"reading tags in {reader.region}")
        _tags(reader)
    jobs = [(first, what, read) for what, read in GLOBAL]
    jobs += [(reader, what, read) for reader in readers for what, read in REGIONAL]
    say(f"reading {len(jobs)} services")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-aws") as pool:
        for found in pool.map(lambda job: job[0].guarded(job[1], lambda: job[2](job[0])), jobs):
            for resource in found:
                reading.add(resource)
