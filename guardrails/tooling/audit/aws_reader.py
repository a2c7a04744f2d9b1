"""Reading an AWS account for the audit: the describe/list calls of the catalog's types, and
the Resource Groups Tagging API for the tags the describe calls do not carry.

    sts:GetCallerIdentity                                 -> the account (12 digits)
    per region: tag:GetResources (paged, 100 a page)      -> tags of buckets, functions,
                                                             topics, alarms (one map by ARN)
    per region, in a bounded pool:
        s3:ListBuckets (BucketRegion)      + s3:GetPublicAccessBlock per bucket
        ec2:DescribeSecurityGroups, ec2:DescribeSubnets, rds:DescribeDBInstances (tags inline)
        eks:ListClusters                   + eks:DescribeCluster per cluster (tags inline)
        lambda:ListLayers + ListLayerVersions per layer + GetLayerVersionPolicy per version
        lambda:ListFunctions, cloudwatch:DescribeAlarms
        sns:ListTopics + GetTopicAttributes per topic, sns:ListSubscriptions
    once: s3control:GetPublicAccessBlock (the account's), budgets:DescribeBudgets
          + DescribeNotificationsForBudget per budget + DescribeSubscribersForNotification
          per notification, tag:GetResources for budgets in us-east-1

Every property is mapped under the name the Pulumi AWS provider (7.x) uses for the input, so
a rule reads a live resource as it reads a declared one. Every call goes through the one
retry policy (`acting.retry.Budget`) and is counted in `Reading.calls` as `service:Operation`
(`IAM_ACTIONS` maps each to the IAM action a read-only audit policy must allow). A read the
account refuses (AccessDenied, an opt-in region, a service not offered there) is one note
naming service, region and error; what it would have given is unknown to the rules (never
assumed), and the audit goes on. Only Describe*/Get*/List* calls are made.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUDGET = "aws:budgets/budget:Budget"

AWS_TYPES = frozenset(
    {
        BUCKET, BUCKET_BLOCK, ACCOUNT_BLOCK, SECURITY_GROUP, SUBNET, DB_INSTANCE,
        CLUSTER_INSTANCE, EKS_CLUSTER, LAYER_VERSION, LAYER_PERMISSION, FUNCTION, TOPIC,
        SUBSCRIPTION, METRIC_ALARM, BUDGET,
    }
)  # fmt: skip
"""The Pulumi types the audit reads from an AWS account."""

IAM_ACTIONS: dict[str, str] = {
    "sts:GetCallerIdentity": "sts:GetCallerIdentity",
    "tag:GetResources": "tag:GetResources",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "ec2:DescribeSecurityGroups": "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets": "ec2:DescribeSubnets",
    "rds:DescribeDBInstances": "rds:DescribeDBInstances",
    "eks:ListClusters": "eks:ListClusters",
    "eks:DescribeCluster": "eks:DescribeCluster",
    "lambda:ListLayers": "lambda:ListLayers",
    "lambda:ListLayerVersions": "lambda:ListLayerVersions",
    "lambda:GetLayerVersionPolicy": "lambda:GetLayerVersionPolicy",
    "lambda:ListFunctions": "lambda:ListFunctions",
    "sns:ListTopics": "sns:ListTopics",
    "sns:GetTopicAttributes": "sns:GetTopicAttributes",
    "sns:ListSubscriptions": "sns:ListSubscriptions",
    "cloudwatch:DescribeAlarms": "cloudwatch:DescribeAlarms",
    "budgets:DescribeBudgets": "budgets:ViewBudget",
    "budgets:DescribeNotificationsForBudget": "budgets:ViewBudget",
    "budgets:DescribeSubscribersForNotification": "budgets:ViewBudget",
}
"""Every call the reader makes (`service:Operation`, as counted in `Reading.calls`) and the
IAM action that allows it: the read-only policy the audit needs is `sorted(set(values))`."""

# boto3 client name for each call prefix above
_CLIENTS = {"tag": "resourcegroupstaggingapi"}
# services whose API has no regional endpoint: read once, in this region
_GLOBAL_REGION = "us-east-1"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_BLOCK_SETTINGS = (
    ("BlockPublicAcls", "blockPublicAcls"),
    ("BlockPublicPolicy", "blockPublicPolicy"),
    ("IgnorePublicAcls", "ignorePublicAcls"),
    ("RestrictPublicBuckets", "restrictPublicBuckets"),
)
_NO_BLOCK = "NoSuchPublicAccessBlockConfiguration"

Task = Callable[[], list["Task"]]
"""One read; it returns the reads it found to do next (a layer's versions, a budget's
notifications), which the pool runs too."""


# --- mapping: API answers -> provider inputs -------------------------------------------------


def tag_map(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """`[{"Key": k, "Value": v}]` (every API but EKS) -> `{k: v}` (the provider's `tags`)."""
    return {str(t["Key"]): str(t.get("Value", "")) for t in tags or []}


def _name_tag(tags: Mapping[str, str], fallback: str) -> str:
    return tags.get("Name") or fallback


def permissions(
    found: Iterable[Mapping[str, Any]], group_id: str, account: str
) -> list[dict[str, Any]]:
    """EC2 `IpPermissions` -> the provider's `ingress`/`egress` blocks: one block per
    permission and description (as Terraform flattens them), ports 0 where the API gives
    none (protocol -1), the group itself as `self`."""
    return [block for p in found for block in _permission_blocks(p, group_id, account)]


def _permission_blocks(
    permission: Mapping[str, Any], group_id: str, account: str
) -> list[dict[str, Any]]:
    by_description: dict[str, dict[str, Any]] = {}

    def block(description: Any) -> dict[str, Any]:
        key = str(description or "")
        if key not in by_description:
            by_description[key] = {
                "protocol": str(permission["IpProtocol"]),
                "fromPort": int(permission.get("FromPort", 0)),
                "toPort": int(permission.get("ToPort", 0)),
                "cidrBlocks": [],
                "ipv6CidrBlocks": [],
                "prefixListIds": [],
                "securityGroups": [],
                "self": False,
                "description": key,
            }
        return by_description[key]

    for item in permission.get("IpRanges") or []:
        block(item.get("Description"))["cidrBlocks"].append(item["CidrIp"])
    for item in permission.get("Ipv6Ranges") or []:
        block(item.get("Description"))["ipv6CidrBlocks"].append(item["CidrIpv6"])
    for item in permission.get("PrefixListIds") or []:
        block(item.get("Description"))["prefixListIds"].append(item["PrefixListId"])
    for item in permission.get("UserIdGroupPairs") or []:
        target = block(item.get("Description"))
        other, owner = item.get("GroupId", ""), item.get("UserId", account)
        if other == group_id:
            target["self"] = True
        else:
            target["securityGroups"].append(other if owner == account else f"{owner}/{other}")
    if not by_description:
        block("")
    return list(by_description.values())


def security_group(group: Mapping[str, Any], account: str, region: str) -> LiveResource:
    group_id = str(group["GroupId"])
    inputs = _present(
        name=group.get("GroupName"),
        description=group.get("Description"),
        vpcId=group.get("VpcId"),
        ingress=permissions(group.get("IpPermissions") or [], group_id, account),
        egress=permissions(group.get("IpPermissionsEgress") or [], group_id, account),
        tags=tag_map(group.get("Tags")),
        region=region,
    )
    return LiveResource(
        SECURITY_GROUP, group_id, str(group.get("GroupName") or group_id), inputs,
        region=region, scope=account,
    )  # fmt: skip


def subnet(found: Mapping[str, Any], account: str, region: str) -> LiveResource:
    tags = tag_map(found.get("Tags"))
    subnet_id = str(found["SubnetId"])
    inputs = _present(
        vpcId=found.get("VpcId"),
        cidrBlock=found.get("CidrBlock"),
        availabilityZone=found.get("AvailabilityZone"),
        mapPublicIpOnLaunch=found.get("MapPublicIpOnLaunch"),
        assignIpv6AddressOnCreation=found.get("AssignIpv6AddressOnCreation"),
        tags=tags,
        region=region,
    )
    return LiveResource(
        SUBNET, subnet_id, _name_tag(tags, subnet_id), inputs,
        unknown=_missing(found, MapPublicIpOnLaunch="mapPublicIpOnLaunch"),
        region=region, scope=account,
    )  # fmt: skip


def db_instance(found: Mapping[str, Any], account: str, region: str) -> LiveResource:
    """An RDS instance; one in an Aurora cluster is the provider's `ClusterInstance`."""
    identifier = str(found["DBInstanceIdentifier"])
    cluster = found.get("DBClusterIdentifier")
    common = {
        "identifier": identifier,
        "engine": found.get("Engine"),
        "instanceClass": found.get("DBInstanceClass"),
        "publiclyAccessible": found.get("PubliclyAccessible"),
    }
    if cluster:
        inputs = _present(**common, clusterIdentifier=cluster)
        unknown = _missing(found, PubliclyAccessible="publiclyAccessible")
    else:
        inputs = _present(**common, storageEncrypted=found.get("StorageEncrypted"))
        unknown = _missing(
            found, PubliclyAccessible="publiclyAccessible", StorageEncrypted="storageEncrypted"
        )
    inputs.update(tags=tag_map(found.get("TagList")), region=region)
    return LiveResource(
        CLUSTER_INSTANCE if cluster else DB_INSTANCE, identifier, identifier, inputs,
        unknown=unknown, region=region, scope=account,
    )  # fmt: skip


def eks_cluster(found: Mapping[str, Any], account: str, region: str) -> LiveResource:
    name = str(found["name"])
    vpc = found.get("resourcesVpcConfig") or {}
    vpc_config = _present(
        endpointPublicAccess=vpc.get("endpointPublicAccess"),
        endpointPrivateAccess=vpc.get("endpointPrivateAccess"),
        publicAccessCidrs=vpc.get("publicAccessCidrs"),
        subnetIds=vpc.get("subnetIds"),
        securityGroupIds=vpc.get("securityGroupIds"),
    )
    inputs = _present(
        name=name,
        roleArn=found.get("roleArn"),
        version=found.get("version"),
        vpcConfig=vpc_config,
        tags=dict(found.get("tags") or {}),
        region=region,
    )
    # the rule reads endpointPublicAccess; AWS always returns it, so its absence is a gap
    unknown = [] if "endpointPublicAccess" in vpc else ["vpcConfig"]
    if unknown:
        del inputs["vpcConfig"]
    return LiveResource(
        EKS_CLUSTER, name, name, inputs, unknown=unknown, region=region, scope=account
    )


def layer_version(
    layer_name: str, version: Mapping[str, Any], account: str, region: str
) -> LiveResource:
    return LiveResource(
        LAYER_VERSION,
        str(version["LayerVersionArn"]),
        layer_name,
        {
            "layerName": layer_name,
            "compatibleRuntimes": list(version.get("CompatibleRuntimes") or []),
            "compatibleArchitectures": list(version.get("CompatibleArchitectures") or []),
            "region": region,
        },
        region=region,
        scope=account,
    )


def _principal(value: Any) -> str:
    """A statement's principal as the provider's `principal`: `*` or a 12-digit account."""
    if isinstance(value, Mapping):
        value = value.get("AWS", "")
    values = [value] if isinstance(value, str) else [str(v) for v in value or []]
    if "*" in values:
        return "*"
    accounts = []
    for v in values:  # "111122223333" or "arn:aws:iam::111122223333:root"
        parts = v.split(":")
        accounts.append(parts[4] if v.startswith("arn:") and len(parts) > 4 else v)
    return ",".join(accounts)


def _organization(statement: Mapping[str, Any]) -> str | None:
    """`aws:PrincipalOrgID` from the statement's condition (moto 5 writes the statement key
    `OrganizationId` instead)."""
    for operands in (statement.get("Condition") or {}).values():
        for key, value in (operands or {}).items():
            if key.lower() == "aws:principalorgid":
                return value if isinstance(value, str) else ",".join(map(str, value))
    org = statement.get("OrganizationId")
    return str(org) if org else None


def layer_permissions(
    layer_name: str, version: Mapping[str, Any], policy: str, account: str, region: str
) -> list[LiveResource]:
    """One `LayerVersionPermission` per Allow statement of a layer version's policy."""
    arn = str(version["LayerVersionArn"])
    statements = json.loads(policy).get("Statement") or []
    out = []
    for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
        if statement.get("Effect") != "Allow":
            continue
        sid = str(statement.get("Sid") or index)
        action = statement.get("Action")
        inputs = _present(
            layerName=layer_name,
            versionNumber=int(version["Version"]),
            statementId=sid,
            action=action if isinstance(action, str) else ",".join(map(str, action or [])),
            principal=_principal(statement.get("Principal")),
            organizationId=_organization(statement),
            region=region,
        )
        out.append(
            LiveResource(
                LAYER_PERMISSION, f"{arn}#{sid}", layer_name, inputs, references=[arn],
                region=region, scope=account, parent_id=arn,
            )
        )  # fmt: skip
    return out


def function(
    found: Mapping[str, Any], tags: Mapping[str, str] | None, account: str, region: str
) -> LiveResource:
    name = str(found["FunctionName"])
    inputs = _present(
        name=name,
        runtime=found.get("Runtime"),
        packageType=found.get("PackageType"),
        architectures=found.get("Architectures"),
        layers=[str(layer["Arn"]) for layer in found.get("Layers") or []],
        tags=None if tags is None else dict(tags),
        region=region,
    )
    return LiveResource(
        FUNCTION, name, name, inputs, unknown=[] if tags is not None else ["tags"],
        region=region, scope=account,
    )  # fmt: skip


def topic(
    arn: str,
    attributes: Mapping[str, str] | None,
    tags: Mapping[str, str] | None,
    account: str,
    region: str,
) -> LiveResource:
    """A topic; `attributes` None when GetTopicAttributes was refused (its KMS key unknown)."""
    name = arn.rsplit(":", 1)[-1]
    inputs = _present(
        name=name,
        kmsMasterKeyId=(attributes or {}).get("KmsMasterKeyId") or None,
        tags=None if tags is None else dict(tags),
        region=region,
    )
    unknown = ([] if attributes is not None else ["kmsMasterKeyId"]) + (
        [] if tags is not None else ["tags"]
    )
    return LiveResource(TOPIC, arn, name, inputs, unknown=unknown, region=region, scope=account)


def subscription(found: Mapping[str, Any], account: str, region: str) -> LiveResource:
    """A subscription. One not confirmed yet (`SubscriptionArn` is `PendingConfirmation`)
    delivers nothing: it carries `pendingConfirmation` and no reference to its topic, so a
    topic whose only subscription is pending still counts as notifying nobody."""
    topic_arn = str(found["TopicArn"])
    arn = str(found.get("SubscriptionArn") or "")
    protocol, endpoint = str(found.get("Protocol", "")), str(found.get("Endpoint", ""))
    inputs: dict[str, Any] = {
        "topic": topic_arn,
        "protocol": protocol,
        "endpoint": endpoint,
        "region": region,
    }
    if arn.startswith("arn:"):
        return LiveResource(
            SUBSCRIPTION, arn, arn.rsplit(":", 1)[-1], inputs, references=[topic_arn],
            region=region, scope=account,
        )  # fmt: skip
    inputs["pendingConfirmation"] = True
    pending_id = f"{topic_arn}/{arn or 'PendingConfirmation'}/{protocol}/{endpoint}"
    return LiveResource(
        SUBSCRIPTION, pending_id, f"{protocol}:{endpoint} (pending)", inputs, region=region,
        scope=account,
    )  # fmt: skip


def _sns_arns(*lists: Iterable[str]) -> list[str]:
    out: list[str] = []
    for items in lists:
        out += [a for a in items if a.split(":")[2:3] == ["sns"] and a not in out]
    return out


def metric_alarm(
    found: Mapping[str, Any], tags: Mapping[str, str] | None, account: str, region: str
) -> LiveResource:
    name = str(found["AlarmName"])
    actions = [list(found.get(k) or []) for k in ("AlarmActions", "OKActions")]
    insufficient = list(found.get("InsufficientDataActions") or [])
    inputs = _present(
        name=name,
        actionsEnabled=found.get("ActionsEnabled"),
        alarmActions=actions[0],
        okActions=actions[1],
        insufficientDataActions=insufficient,
        metricName=found.get("MetricName"),
        namespace=found.get("Namespace"),
        statistic=found.get("Statistic"),
        comparisonOperator=found.get("ComparisonOperator"),
        threshold=found.get("Threshold"),
        evaluationPeriods=found.get("EvaluationPeriods"),
        period=found.get("Period"),
        tags=None if tags is None else dict(tags),
        region=region,
    )
    return LiveResource(
        METRIC_ALARM, name, name, inputs, references=_sns_arns(*actions, insufficient),
        unknown=[] if tags is not None else ["tags"], region=region, scope=account,
    )  # fmt: skip


def budget_notification(
    notification: Mapping[str, Any], subscribers: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A budget notification and its subscribers -> one of the provider's `notifications`."""
    subscribers = list(subscribers)
    return {
        "comparisonOperator": notification.get("ComparisonOperator"),
        "threshold": float(notification.get("Threshold", 0)),
        "thresholdType": notification.get("ThresholdType") or "PERCENTAGE",
        "notificationType": notification.get("NotificationType"),
        "subscriberEmailAddresses": [
            str(s["Address"]) for s in subscribers if s.get("SubscriptionType") == "EMAIL"
        ],
        "subscriberSnsTopicArns": [
            str(s["Address"]) for s in subscribers if s.get("SubscriptionType") == "SNS"
        ],
    }


def budget(
    found: Mapping[str, Any],
    notifications: list[dict[str, Any]] | None,
    tags: Mapping[str, str] | None,
    account: str,
) -> LiveResource:
    """A budget; `notifications` None when they could not be read (unknown to the rules)."""
    name = str(found["BudgetName"])
    limit = found.get("BudgetLimit") or {}
    filters = found.get("CostFilters") or {}
    inputs = _present(
        name=name,
        budgetType=found.get("BudgetType"),
        limitAmount=limit.get("Amount"),
        limitUnit=limit.get("Unit"),
        timeUnit=found.get("TimeUnit"),
        costFilters=[{"name": k, "values": list(v)} for k, v in sorted(filters.items())] or None,
        notifications=notifications,
        tags=None if tags is None else dict(tags),
    )
    topics = _sns_arns(*[n["subscriberSnsTopicArns"] for n in notifications or []])
    unknown = ([] if notifications is not None else ["notifications"]) + (
        [] if tags is not None else ["tags"]
    )
    return LiveResource(
        BUDGET, f"{account}:{name}", name, inputs, references=topics, unknown=unknown,
        region="global", scope=account,
    )  # fmt: skip


def public_access_block(
    type_: str,
    id_: str,
    name: str,
    config: Mapping[str, Any] | None,
    account: str,
    inputs: Mapping[str, Any],
) -> LiveResource:
    """A bucket's or the account's public access block; `config` None when it could not be
    read (its four settings unknown). A bucket's block references its bucket."""
    settings = {
        ours: bool(config[theirs])
        for theirs, ours in _BLOCK_SETTINGS
        if config and theirs in config
    }
    unknown = [ours for _, ours in _BLOCK_SETTINGS if ours not in settings]
    return LiveResource(
        type_, id_, name, {**inputs, **settings}, unknown=unknown,
        region=str(inputs.get("region", "global")), scope=account,
        references=[str(inputs["bucket"])] if "bucket" in inputs else [],
    )  # fmt: skip


def _present(**values: Any) -> dict[str, Any]:
    """The provider's inputs leave out what is not set."""
    return {k: v for k, v in values.items() if v is not None}


def _missing(found: Mapping[str, Any], **names: str) -> list[str]:
    """The inputs (values of `names`) whose API field (keys) the answer did not carry."""
    return [ours for theirs, ours in names.items() if found.get(theirs) is None]


# --- reading ---------------------------------------------------------------------------------


def _reason(exc: Exception) -> str | None:
    """A one-line reason when `exc` is the service's answer to this read that another try
    will not change (access denied, opt-in region, not found); None for anything else."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError) or retryable(exc) is not None:
        return None
    error = exc.response.get("Error", {})
    code = error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    message = " ".join(str(error.get("Message", "")).split())[:200]
    return f"{exc.operation_name} {code}: {message}".rstrip(": ")


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


class AwsReader:
    """One audit's reads of one account: its clients, tags by ARN per region, the pool."""

    def __init__(
        self,
        session: Any,
        access: AwsAccess,
        budget: Budget,
        reading: Reading,
        account: str,
        partition: str,
    ) -> None:
        self.session, self.access, self.budget, self.reading = session, access, budget, reading
        self.account, self.partition = account, partition
        self.tags: dict[str, dict[str, dict[str, str]] | None] = {}
        """Region -> {ARN: tags} from the Tagging API (None: the API refused)."""
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # clients and calls

    def client(self, service: str, region: str) -> Any:
        name = _CLIENTS.get(service, service)
        with self._lock:
            if (name, region) not in self._clients:
                client = self.session.client(
                    name,
                    region_name=region,
                    endpoint_url=self.access.endpoint_url,
                    config=botocore_config(self.budget),
                )
                if name == "s3control" and self.access.endpoint_url:
                    _no_account_host(client, self.account)
                self._clients[name, region] = client
            return self._clients[name, region]

    def call(self, region: str, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One call, counted and retried by the budget."""
        from botocore import xform_name

        if operation not in IAM_ACTIONS:
            raise KeyError(f"{operation} is not in IAM_ACTIONS")  # a bug of ours
        service, name = operation.split(":")
        self.reading.called(operation)
        method = getattr(self.client(service, region), xform_name(name))
        answer: dict[str, Any] = self.budget.call(
            method, what=f"{operation} in {region}", endpoint=self.access.endpoint_url or "",
            **kwargs,
        )  # fmt: skip
        return answer

    def pages(
        self, region: str, operation: str, key: str, token: tuple[str, str], **kwargs: Any
    ) -> list[Any]:
        """Every item under `key` of a paged call; `token` is (request, response) field."""
        items: list[Any] = []
        seen: set[str] = set()
        sent, returned = token
        while True:
            answer = self.call(region, operation, **kwargs)
            items += answer.get(key) or []
            following = answer.get(returned)
            if not following:
                return items
            if following in seen:
                raise GuardrailsError(f"{operation} in {region} repeated a page token: {following}")
            seen.add(following)
            kwargs[sent] = following

    def tags_of(self, region: str, arn: str) -> dict[str, str] | None:
        """The resource's tags; None when the Tagging API refused this region (unknown). A
        resource absent from its answer has never been tagged."""
        found = self.tags.get(region)
        return None if found is None else dict(found.get(arn, {}))

    # refusals

    def refused(self, service: str, region: str, exc: Exception, consequence: str) -> None:
        """Note a refused read, or re-raise what is not a refusal (a bug, an exhausted budget)."""
        reason = _reason(exc)
        if reason is None:
            raise exc
        self.reading.note(f"aws {service} in {region}: {reason}; {consequence}")

    def task(
        self,
        service: str,
        region: str,
        consequence: str,
        body: Callable[[], list[Task]],
        on_refused: Callable[[], None] | None = None,
    ) -> Task:
        """A read that, refused, is noted (and `on_refused` records what became unknown)."""

        def run() -> list[Task]:
            try:
                return body()
            except Exception as exc:
                self.refused(service, region, exc, consequence)
                if on_refused is not None:
                    on_refused()
                return []

        return run

    def add(self, *resources: LiveResource) -> None:
        for resource in resources:
            self.reading.add(resource)


def _no_account_host(client: Any, account: str) -> None:
    """S3 Control puts the account id in the host name (`<account>.s3-control...`); against
    an endpoint given by URL (a local emulator) that host does not resolve, so the label is
    dropped before the request is signed."""

    def strip(request: Any, **_: Any) -> None:
        request.url = request.url.replace(f"://{account}.", "://", 1)

    client.meta.events.register("before-sign.s3-control", strip)


def run_tasks(tasks: Sequence[Task], workers: int) -> None:
    """Run `tasks` and the tasks they return on a pool of `workers` threads; the first
    exception (a bug, an exhausted budget) cancels what has not started and propagates."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="audit-aws") as pool:
        pending: set[Future[list[Task]]] = {pool.submit(t) for t in tasks}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    pending |= {pool.submit(t) for t in future.result()}
        except BaseException:
            for future in pending:
                future.cancel()
            raise


# --- the reads ------------------------------------------------------------------------------


def _tagging(reader: AwsReader, region: str, key: str, filters: list[str]) -> Task:
    def body() -> list[Task]:
        found = reader.pages(
            region, "tag:GetResources", "ResourceTagMappingList",
            ("PaginationToken", "PaginationToken"),
            ResourcesPerPage=100, ResourceTypeFilters=filters,
        )  # fmt: skip
        reader.tags[key] = {str(m["ResourceARN"]): tag_map(m.get("Tags")) for m in found}
        return []

    def refused() -> None:
        reader.tags[key] = None

    what = ", ".join(filters)
    return reader.task(
        "tag", region, f"tags of {what} resources are unknown to the rules", body, refused
    )


def _buckets(reader: AwsReader, region: str) -> Task:
    def body() -> list[Task]:
        found = reader.pages(
            region, "s3:ListBuckets", "Buckets", ("ContinuationToken", "ContinuationToken"),
            BucketRegion=region, MaxBuckets=1000,
        )  # fmt: skip
        tasks = []
        for item in found:
            name = str(item["Name"])
            tags = reader.tags_of(region, f"arn:{reader.partition}:s3:::{name}")
            inputs = _present(bucket=name, tags=tags, region=region)
            reader.add(
                LiveResource(
                    BUCKET, name, name, inputs, unknown=[] if tags is not None else ["tags"],
                    region=region, scope=reader.account,
                )
            )  # fmt: skip
            tasks.append(_bucket_block(reader, region, name))
        return tasks

    return reader.task("s3", region, "buckets not read", body)


def _block_task(
    reader: AwsReader,
    region: str,
    operation: str,
    params: Mapping[str, Any],
    block: Callable[[Mapping[str, Any] | None], LiveResource],
    unknown: str,
) -> Task:
    """Read one public access block (`s3:` a bucket's, `s3control:` the account's): none
    set is no resource; a refused read is one with unknown settings, so the rules say so."""

    def body() -> list[Task]:
        try:
            answer = reader.call(region, operation, **params)
        except Exception as exc:
            if _code(exc) == _NO_BLOCK:
                return []
            raise
        reader.add(block(answer.get("PublicAccessBlockConfiguration") or {}))
        return []

    service = operation.split(":", 1)[0]
    return reader.task(service, region, unknown, body, lambda: reader.add(block(None)))


def _bucket_block(reader: AwsReader, region: str, bucket: str) -> Task:
    def block(config: Mapping[str, Any] | None) -> LiveResource:
        return public_access_block(
            BUCKET_BLOCK, f"{bucket}-public-access-block", bucket, config, reader.account,
            {"bucket": bucket, "region": region},
        )  # fmt: skip

    return _block_task(
        reader, region, "s3:GetPublicAccessBlock", {"Bucket": bucket}, block,
        f"bucket {bucket}'s public access block is unknown to the rules",
    )  # fmt: skip


def _account_block(reader: AwsReader, region: str) -> Task:
    account = reader.account

    def block(config: Mapping[str, Any] | None) -> LiveResource:
        return public_access_block(
            ACCOUNT_BLOCK, account, account, config, account, {"accountId": account}
        )

    return _block_task(
        reader, region, "s3control:GetPublicAccessBlock", {"AccountId": account}, block,
        "the account's public access block is unknown to the rules",
    )  # fmt: skip


def _listed(
    reader: AwsReader,
    region: str,
    operation: str,
    key: str,
    tokens: tuple[str, str],
    make: Callable[[Mapping[str, Any]], LiveResource],
    not_read: str,
    **params: Any,
) -> Task:
    """A paged list call whose every item is one live resource (`make`)."""

    def body() -> list[Task]:
        found = reader.pages(region, operation, key, tokens, **params)
        reader.add(*(make(item) for item in found))
        return []

    return reader.task(operation.split(":", 1)[0], region, not_read, body)


def _security_groups(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "ec2:DescribeSecurityGroups", "SecurityGroups", ("NextToken", "NextToken"),
        lambda g: security_group(g, reader.account, region), "security groups not read",
        MaxResults=1000,
    )  # fmt: skip


def _subnets(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "ec2:DescribeSubnets", "Subnets", ("NextToken", "NextToken"),
        lambda s: subnet(s, reader.account, region), "subnets not read", MaxResults=1000,
    )  # fmt: skip


def _databases(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "rds:DescribeDBInstances", "DBInstances", ("Marker", "Marker"),
        lambda d: db_instance(d, reader.account, region), "database instances not read",
        MaxRecords=100,
    )  # fmt: skip


def _clusters(reader: AwsReader, region: str) -> Task:
    def body() -> list[Task]:
        names = reader.pages(
            region, "eks:ListClusters", "clusters", ("nextToken", "nextToken"), maxResults=100
        )
        return [_cluster(reader, region, str(name)) for name in names]

    return reader.task("eks", region, "EKS clusters not read", body)


def _cluster(reader: AwsReader, region: str, name: str) -> Task:
    def body() -> list[Task]:
        found = reader.call(region, "eks:DescribeCluster", name=name)["cluster"]
        reader.add(eks_cluster(found, reader.account, region))
        return []

    def refused() -> None:
        reader.add(
            LiveResource(
                EKS_CLUSTER, name, name, {"name": name, "region": region},
                unknown=["vpcConfig", "tags"], region=region, scope=reader.account,
            )
        )  # fmt: skip

    return reader.task(
        "eks", region, f"cluster {name}'s settings are unknown to the rules", body, refused
    )


def _layers(reader: AwsReader, region: str) -> Task:
    def body() -> list[Task]:
        found = reader.pages(
            region, "lambda:ListLayers", "Layers", ("Marker", "NextMarker"), MaxItems=50
        )
        return [_layer(reader, region, layer) for layer in found]

    return reader.task("lambda", region, "layers not read", body)


def _layer(reader: AwsReader, region: str, layer: Mapping[str, Any]) -> Task:
    name = str(layer["LayerName"])

    def body() -> list[Task]:
        versions = reader.pages(
            region, "lambda:ListLayerVersions", "LayerVersions", ("Marker", "NextMarker"),
            LayerName=name, MaxItems=50,
        )  # fmt: skip
        tasks = []
        for version in versions:
            reader.add(layer_version(name, version, reader.account, region))
            tasks.append(_layer_policy(reader, region, name, version))
        return tasks

    return reader.task("lambda", region, f"versions of layer {name} not read", body)


def _layer_policy(reader: AwsReader, region: str, name: str, version: Mapping[str, Any]) -> Task:
    arn = str(version["LayerVersionArn"])

    def body() -> list[Task]:
        try:
            answer = reader.call(
                region, "lambda:GetLayerVersionPolicy", LayerName=name,
                VersionNumber=int(version["Version"]),
            )  # fmt: skip
        except Exception as exc:
            if _code(exc) == "ResourceNotFoundException":
                return []  # no policy: shared with nobody
            raise
        reader.add(*layer_permissions(name, version, answer["Policy"], reader.account, region))
        return []

    def refused() -> None:
        reader.add(
            LiveResource(
                LAYER_PERMISSION, f"{arn}#unread", name,
                {"layerName": name, "versionNumber": int(version["Version"]), "region": region},
                references=[arn], unknown=["principal", "organizationId", "action"],
                region=region, scope=reader.account, parent_id=arn,
            )
        )  # fmt: skip

    return reader.task(
        "lambda", region, f"who may use layer version {arn} is unknown to the rules", body,
        refused,
    )  # fmt: skip


def _functions(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "lambda:ListFunctions", "Functions", ("Marker", "NextMarker"),
        lambda f: function(f, reader.tags_of(region, str(f["FunctionArn"])), reader.account,
                           region),
        "functions not read", MaxItems=50,
    )  # fmt: skip


def _topics(reader: AwsReader, region: str) -> Task:
    def body() -> list[Task]:
        found = reader.pages(region, "sns:ListTopics", "Topics", ("NextToken", "NextToken"))
        return [_topic(reader, region, str(item["TopicArn"])) for item in found]

    return reader.task("sns", region, "topics not read", body)


def _topic(reader: AwsReader, region: str, arn: str) -> Task:
    def body() -> list[Task]:
        attributes = reader.call(region, "sns:GetTopicAttributes", TopicArn=arn)["Attributes"]
        reader.add(topic(arn, attributes, reader.tags_of(region, arn), reader.account, region))
        return []

    def refused() -> None:
        reader.add(topic(arn, None, reader.tags_of(region, arn), reader.account, region))

    return reader.task(
        "sns", region, f"topic {arn}'s encryption is unknown to the rules", body, refused
    )


def _subscriptions(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "sns:ListSubscriptions", "Subscriptions", ("NextToken", "NextToken"),
        lambda s: subscription(s, reader.account, region),
        "subscriptions not read: topics used by alarms or budgets read as notifying nobody",
    )  # fmt: skip


def _alarms(reader: AwsReader, region: str) -> Task:
    return _listed(
        reader, region, "cloudwatch:DescribeAlarms", "MetricAlarms", ("NextToken", "NextToken"),
        lambda a: metric_alarm(a, reader.tags_of(region, str(a["AlarmArn"])), reader.account,
                               region),
        "metric alarms not read", AlarmTypes=["MetricAlarm"], MaxRecords=100,
    )  # fmt: skip


def _budgets(reader: AwsReader) -> Task:
    region = _GLOBAL_REGION

    def body() -> list[Task]:
        found = reader.pages(
            region, "budgets:DescribeBudgets", "Budgets", ("NextToken", "NextToken"),
            AccountId=reader.account, MaxResults=100,
        )  # fmt: skip
        return [_budget(reader, item) for item in found]

    return reader.task("budgets", region, "budgets not read", body)


def _budget(reader: AwsReader, found: Mapping[str, Any]) -> Task:
    region = _GLOBAL_REGION
    name = str(found["BudgetName"])
    arn = f"arn:{reader.partition}:budgets::{reader.account}:budget/{name}"

    def body() -> list[Task]:
        notifications = reader.pages(
            region, "budgets:DescribeNotificationsForBudget", "Notifications",
            ("NextToken", "NextToken"), AccountId=reader.account, BudgetName=name, MaxResults=100,
        )  # fmt: skip
        mapped = []
        for notification in notifications:
            subscribers = reader.pages(
                region, "budgets:DescribeSubscribersForNotification", "Subscribers",
                ("NextToken", "NextToken"), AccountId=reader.account, BudgetName=name,
                Notification=notification, MaxResults=100,
            )  # fmt: skip
            mapped.append(budget_notification(notification, subscribers))
        reader.add(budget(found, mapped, reader.tags_of("budgets", arn), reader.account))
        return []

    def refused() -> None:
        reader.add(budget(found, None, reader.tags_of("budgets", arn), reader.account))

    return reader.task(
        "budgets", region, f"budget {name}'s notifications are unknown to the rules", body,
        refused,
    )  # fmt: skip


_REGIONAL = (
    ("s3", _buckets), ("ec2", _security_groups), ("ec2", _subnets), ("rds", _databases),
    ("eks", _clusters), ("lambda", _layers), ("lambda", _functions), ("sns", _topics),
    ("sns", _subscriptions), ("cloudwatch", _alarms),
)  # fmt: skip
# types whose describe answer lacks tags: the Tagging API gives them
_TAGGED_BY_API = ["s3:bucket", "lambda:function", "sns:topic", "cloudwatch:alarm"]


def read_aws(
    access: AwsAccess,
    regions: Sequence[str],
    budget: Budget,
    reading: Reading,
    progress: Callable[[str], None] | None = None,
    workers: int = 8,
) -> None:
    """Read every resource of the catalog's AWS types in `regions` into `reading`.

    GuardrailsError (exit 2) when the account cannot be read at all: a bad region or
    profile, credentials refused, an account id that is not 12 digits or not the one asked
    for. `BudgetExhausted` when AWS does not answer usefully within the retry budget."""
    import boto3
    from botocore.exceptions import BotoCoreError

    if workers < 1:
        raise GuardrailsError(f"workers must be at least 1 (got {workers})")
    try:
        session = boto3.Session(profile_name=access.profile, region_name=access.region)
    except BotoCoreError as exc:
        raise GuardrailsError(f"AWS session: {exc}") from None
    chosen = list(dict.fromkeys(regions)) or ([session.region_name] if session.region_name else [])
    if not chosen:
        raise GuardrailsError("no AWS region: pass --region (or set the profile's region)")
    for region in chosen:
        if not _REGION.match(region):
            raise GuardrailsError(f"--region {region!r}: not an AWS region name (e.g. eu-west-1)")
    say = progress or (lambda _: None)
    say("aws: who am I")
    account, partition = _caller(session, access, budget, reading, chosen[0])
    reading.regions = reading.regions or chosen
    reader = AwsReader(session, access, budget, reading, account, partition)

    say("aws: tags")
    tagging = [_tagging(reader, r, r, _TAGGED_BY_API) for r in chosen]
    tagging.append(_tagging(reader, _GLOBAL_REGION, "budgets", ["budgets:budget"]))
    run_tasks(tagging, workers)

    tasks = [_account_block(reader, chosen[0]), _budgets(reader)]
    for region in chosen:
        for service, read in _REGIONAL:
            if _offered(session, access, service, region, partition):
                tasks.append(read(reader, region))
            else:
                reading.note(
                    f"aws {service} in {region}: not offered in this region (botocore's "
                    "endpoint data); its resources not read"
                )
    say(f"aws: reading {', '.join(chosen)}")
    run_tasks(tasks, workers)


def _caller(
    session: Any, access: AwsAccess, budget: Budget, reading: Reading, region: str
) -> tuple[str, str]:
    """The account id and partition of the credentials; `reading.scope` set or checked."""
    from botocore.exceptions import BotoCoreError, ClientError

    reading.called("sts:GetCallerIdentity")
    try:
        sts = session.client(
            "sts", region_name=region, endpoint_url=access.endpoint_url,
            config=botocore_config(budget),
        )  # fmt: skip
        me = budget.call(
            sts.get_caller_identity, what="sts:GetCallerIdentity",
            endpoint=access.endpoint_url or "",
        )  # fmt: skip
    except (BotoCoreError, ClientError) as exc:
        raise GuardrailsError(f"AWS credentials: sts:GetCallerIdentity failed ({exc})") from None
    account = str(me.get("Account", ""))
    if not _ACCOUNT.match(account):
        raise GuardrailsError(f"AWS account id {account!r} is not 12 digits")
    if reading.scope and reading.scope != account:
        if not _ACCOUNT.match(reading.scope):
            raise GuardrailsError(f"AWS account id {reading.scope!r} is not 12 digits")
        raise GuardrailsError(
            f"the credentials are for account {account}, not {reading.scope}; nothing was read"
        )
    reading.scope = account
    arn = str(me.get("Arn", ""))
    return account, (arn.split(":")[1] if arn.count(":") >= 5 else "aws")


def _offered(session: Any, access: AwsAccess, service: str, region: str, partition: str) -> bool:
    """Whether `service` has an endpoint in `region` (always, against an endpoint URL)."""
    if access.endpoint_url:
        return True
    return region in session.get_available_regions(service, partition_name=partition)
