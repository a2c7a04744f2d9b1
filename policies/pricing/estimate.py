"""The estimator: each resource of a stack to its monthly cost components, from the price books.

It works on the catalog's engine-neutral view (`policies.model.Resource`: type token and
camelCase inputs), so the policy pack (budget rule), the gate and `guardrails cost estimate`
price a stack the same way. Rules it follows:

- A month is the book's `hoursPerMonth` (730). Prices are list prices of the books.
- Free tiers are per tenancy or account: they are used up once per stack, in resource order,
  and each component says how much of its quantity they covered (`free_quantity`).
- Usage-based components take their quantity from the usage file; without one they are
  listed with their unit price and no quantity or cost ("per unit").
- Types without a price are listed as unpriced with the reason, never counted as zero.
  Types that cost nothing (tags, policies, budgets, networks) are priced at zero, by name.
- ADB: compute per ECPU (or legacy OCPU) hour by workload and license model (OCI assumes
  BYOL when `licenseModel` is unset), storage per GB-month; auto-scaling (on by default)
  gives a maximum of three times the compute; an off-hours schedule selecting the database
  bills compute only for the hours it runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from policies.model import Resource, many
from policies.pricing.prices import PriceBook, default_books
from policies.pricing.schedules import OffHours, Schedule, off_hours, parse_schedules
from policies.pricing.usage import NO_USAGE, Usage
from policies.tag_rules import aws_tags

UNTAGGED = "(no cost center)"
AUTO_SCALING_FACTOR = 3.0
COST_CENTER_KEY = "cost_center"
DEFAULT_NAMESPACE = "governance"
GB_PER_TB = 1024
BYTES_PER_GB = 1024**3

ADB = "oci:Database/autonomousDatabase:AutonomousDatabase"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
STREAM = "oci:Streaming/stream:Stream"
ONS_SUBSCRIPTION = "oci:Ons/subscription:Subscription"
OCI_ALARM = "oci:Monitoring/alarm:Alarm"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CW_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
AWS_BUDGET = "aws:budgets/budget:Budget"
S3_OBJECTS = ("aws:s3/bucketObjectv2:BucketObjectv2", "aws:s3/bucketObject:BucketObject")

# Usage keys each usage-priced type reads, with what they mean (docs and usage validation).
USAGE_KEYS: dict[str, dict[str, str]] = {
    BUCKET: {
        "storage_gb": "GB stored (monthly average)",
        "monthly_requests": "API requests a month",
    },
    STREAM: {
        "monthly_put_gb": "GB written (PUT) a month",
        "monthly_get_gb": "GB read (GET) a month",
    },
    ONS_SUBSCRIPTION: {"monthly_deliveries": "messages delivered to this subscription a month"},
    OCI_ALARM: {
        "monthly_retrieved_datapoints": "datapoints the alarm's queries read a month",
        "monthly_ingested_datapoints": "custom-metric datapoints posted a month",
    },
    SNS_TOPIC: {"monthly_requests": "publish and other API requests a month"},
    SNS_SUBSCRIPTION: {"monthly_deliveries": "messages delivered to this subscription a month"},
    **{
        t: {"storage_gb": "GB stored (default: the size of the local source file)"}
        for t in S3_OBJECTS
    },
}

# Types with no charge of their own (their cost, if any, is priced on other resources).
FREE_TYPES: dict[str, str] = {
    "oci:Identity/tagNamespace:TagNamespace": "tag namespaces cost nothing",
    "oci:Identity/tag:Tag": "defined tags cost nothing",
    "oci:Identity/tagDefault:TagDefault": "tag defaults cost nothing",
    "oci:Identity/policy:Policy": "IAM policies cost nothing",
    "oci:Identity/compartment:Compartment": "compartments cost nothing",
    "oci:Budget/budget:Budget": "OCI budgets cost nothing",
    "oci:Budget/rule:Rule": "budget alert rules cost nothing",
    "oci:Ons/notificationTopic:NotificationTopic": "topics cost nothing; deliveries are priced "
    "on their subscriptions",
    "oci:Core/vcn:Vcn": "VCNs cost nothing",
    "oci:Core/subnet:Subnet": "subnets cost nothing",
    "oci:Core/networkSecurityGroup:NetworkSecurityGroup": "NSGs cost nothing",
    "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule": "NSG rules "
    "cost nothing",
    "oci:Core/securityList:SecurityList": "security lists cost nothing",
    "oci:Core/routeTable:RouteTable": "route tables cost nothing",
    "oci:Streaming/streamPool:StreamPool": "stream pools cost nothing; streams are priced",
    "oci:ObjectStorage/objectLifecyclePolicy:ObjectLifecyclePolicy": "lifecycle policies cost "
    "nothing",
    "oci:ResourceScheduler/schedule:Schedule": "schedules cost nothing; their savings show on "
    "the resources they stop",
    "aws:sns/topicPolicy:TopicPolicy": "topic policies cost nothing",
    "aws:lambda/layerVersion:LayerVersion": "layer storage counts against Lambda's 75 GB code "
    "storage at no charge; an archive uploaded to S3 is priced on its bucket object",
    "aws:lambda/layerVersionPermission:LayerVersionPermission": "layer permissions cost nothing",
    "aws:s3/bucket:Bucket": "a bucket costs nothing; its objects are priced",
    "aws:iam/role:Role": "IAM roles cost nothing",
    "aws:iam/policy:Policy": "IAM policies cost nothing",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM attachments cost nothing",
}

# (compute model, workload family, BYOL) -> part number
ADB_COMPUTE_PARTS = {
    ("ECPU", "ATP", False): "B95702",
    ("ECPU", "ATP", True): "B95704",
    ("ECPU", "ADW", False): "B95701",
    ("ECPU", "ADW", True): "B95703",
    ("ECPU", "AJD", False): "B99708",
    ("OCPU", "ATP", False): "B90453",
    ("OCPU", "ATP", True): "B90454",
    ("OCPU", "ADW", False): "B89040",
    ("OCPU", "ADW", True): "B89039",
}
_ADB_WORKLOADS = {"OLTP": "ATP", "DW": "ADW", "LH": "ADW", "AJD": "AJD"}
ADB_STORAGE_PARTS = {"ADW": "B95754", "ATP": "B95706", "AJD": "B95706"}


@dataclass(frozen=True)
class CostComponent:
    """One priced line. `monthly_quantity` and `monthly_cost` are None for a usage-based
    component without usage ("per unit"); `price` is the paid tier's unit price."""

    name: str
    unit: str
    monthly_quantity: float | None
    price: float
    monthly_cost: float | None
    part_number: str | None = None
    free_quantity: float = 0.0
    monthly_cost_max: float | None = None
    usage_key: str | None = None


@dataclass(frozen=True)
class ResourceCost:
    urn: str
    name: str
    type: str
    provider: str
    cost_center: str
    components: tuple[CostComponent, ...]
    notes: tuple[str, ...] = ()
    off_hours_savings: float = 0.0

    @property
    def monthly_cost(self) -> float:
        return sum(c.monthly_cost or 0.0 for c in self.components)

    @property
    def monthly_cost_max(self) -> float:
        return sum(
            c.monthly_cost_max if c.monthly_cost_max is not None else c.monthly_cost or 0.0
            for c in self.components
        )


@dataclass(frozen=True)
class Unpriced:
    urn: str
    name: str
    type: str
    cost_center: str
    reason: str


@dataclass(frozen=True)
class CostCenterTotal:
    monthly_cost: float
    monthly_cost_max: float
    by_provider: Mapping[str, float]
    by_provider_max: Mapping[str, float]


@dataclass
class StackEstimate:
    resources: list[ResourceCost]
    unpriced: list[Unpriced]
    currency: str
    books: list[PriceBook]

    @property
    def monthly_cost(self) -> float:
        return sum(r.monthly_cost for r in self.resources)

    @property
    def monthly_cost_max(self) -> float:
        return sum(r.monthly_cost_max for r in self.resources)

    def by_cost_center(self) -> dict[str, CostCenterTotal]:
        sums: dict[str, dict[str, list[float]]] = {}
        for r in self.resources:
            cell = sums.setdefault(r.cost_center, {}).setdefault(r.provider, [0.0, 0.0])
            cell[0] += r.monthly_cost
            cell[1] += r.monthly_cost_max
        for u in self.unpriced:
            sums.setdefault(u.cost_center, {})
        return {
            cc: CostCenterTotal(
                monthly_cost=sum(v[0] for v in providers.values()),
                monthly_cost_max=sum(v[1] for v in providers.values()),
                by_provider={p: v[0] for p, v in providers.items()},
                by_provider_max={p: v[1] for p, v in providers.items()},
            )
            for cc, providers in sorted(sums.items())
        }


class _Unpriced(Exception):
    """Raised by a pricer: this resource cannot be priced, for this reason."""


@dataclass
class _Context:
    oci: PriceBook
    aws: PriceBook
    usage: Usage
    schedules: list[Schedule]
    used: dict[str, float] = field(default_factory=dict)

    def book(self, provider: str) -> PriceBook:
        return self.oci if provider == "oci" else self.aws

    def charge(
        self,
        provider: str,
        part_number: str,
        name: str,
        unit: str,
        quantity: float | None,
        *,
        usage_key: str | None = None,
        max_factor: float | None = None,
    ) -> CostComponent:
        """A component for `quantity` units of a part, using up the stack's free tiers."""
        part = self.book(provider).part(part_number)
        if quantity is None:
            return CostComponent(
                name, unit, None, part.unit_price, None, part_number, 0.0, None, usage_key
            )
        used = self.used.get(part_number, 0.0)
        cost, free = part.charge(used, quantity)
        self.used[part_number] = used + quantity
        return CostComponent(
            name,
            unit,
            quantity,
            part.unit_price,
            cost,
            part_number,
            free,
            cost * max_factor if max_factor is not None else None,
            usage_key,
        )


@dataclass
class _Priced:
    components: list[CostComponent]
    notes: list[str] = field(default_factory=list)
    savings: float = 0.0


Pricer = Callable[[Resource, _Context, Mapping[str, float]], _Priced]


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def _adb(r: Resource, ctx: _Context, _: Mapping[str, float]) -> _Priced:
    if r.get("isFreeTier") is True:
        return _Priced([], ["Always Free database: no charge"])
    model = str(r.get("computeModel", "ECPU")).upper()
    workload = str(r.get("dbWorkload", "OLTP")).upper()
    family = _ADB_WORKLOADS.get(workload)
    if family is None:
        raise _Unpriced(f"no {workload} workload price in the price book (APEX is not priced)")
    license_model = str(r.get("licenseModel", "BRING_YOUR_OWN_LICENSE")).upper()
    byol = license_model == "BRING_YOUR_OWN_LICENSE"
    notes = [] if r.get("licenseModel") else ["licenseModel unset: OCI bills BYOL"]
    if family == "AJD" and byol:
        byol = False
        notes.append("Autonomous JSON Database has no BYOL price: priced license included")
    part_number = ADB_COMPUTE_PARTS.get((model, family, byol))
    if part_number is None:
        raise _Unpriced(f"no {model} price for workload {workload}")
    default_count = 2.0 if model == "ECPU" else 1.0
    count = _number(r.get("computeCount", r.get("cpuCoreCount", r.get("ocpuCount"))), default_count)
    hours = ctx.oci.hours_per_month
    schedule: OffHours | None = off_hours(ctx.schedules, r)
    running = 1.0 - (schedule.share_stopped if schedule else 0.0)
    auto_scaling = r.get("isAutoScalingEnabled", True) is not False
    license_text = "BYOL" if byol else "license included"
    name = f"Compute ({model}, {license_text})"
    if schedule is not None:
        notes.extend(schedule.problems)
        if schedule.share_stopped:
            notes.append(
                f"off-hours schedule {', '.join(schedule.schedules)}: stopped "
                f"{schedule.share_stopped:.0%} of the week, compute billed for the rest"
            )
            name += f", running {running:.0%} of the week"
    compute = ctx.charge(
        "oci",
        part_number,
        name,
        f"{model}-hours",
        count * hours * running,
        max_factor=AUTO_SCALING_FACTOR if auto_scaling else None,
    )
    savings = count * hours * (1.0 - running) * compute.price
    if auto_scaling:
        notes.append("auto-scaling on: compute up to 3x the base count")
    storage_gb = (
        _number(r.get("dataStorageSizeInGb"), 0.0)
        or _number(r.get("dataStorageSizeInTbs"), 1.0) * GB_PER_TB
    )
    storage = ctx.charge("oci", ADB_STORAGE_PARTS[family], "Storage", "GB-months", storage_gb)
    return _Priced([compute, storage], notes, savings)


def _bucket(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    archive = str(r.get("storageTier", "Standard")).lower() == "archive"
    storage = ctx.charge(
        "oci",
        "B91633" if archive else "B91628",
        "Storage (Archive tier)" if archive else "Storage (Standard tier)",
        "GB-months",
        usage.get("storage_gb"),
        usage_key="storage_gb",
    )
    requests = usage.get("monthly_requests")
    calls = ctx.charge(
        "oci",
        "B91627",
        "Requests",
        "10,000 requests",
        None if requests is None else requests / 10_000,
        usage_key="monthly_requests",
    )
    return _Priced([storage, calls])


def _stream(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    put, get = usage.get("monthly_put_gb"), usage.get("monthly_get_gb")
    retention = _number(r.get("retentionInHours"), 24.0)
    extra_hours = max(0.0, retention - 24.0)
    components = [
        ctx.charge("oci", "B90938", "PUT traffic", "GB", put, usage_key="monthly_put_gb"),
        ctx.charge("oci", "B90938", "GET traffic", "GB", get, usage_key="monthly_get_gb"),
    ]
    notes = []
    if extra_hours:
        # each GB written is kept `retention` hours; the first 24 are included
        components.append(
            ctx.charge(
                "oci",
                "B90939",
                f"Retention beyond 24 h ({retention:g} h)",
                "GB-hours",
                None if put is None else put * extra_hours,
                usage_key="monthly_put_gb",
            )
        )
    else:
        notes.append("24 h retention: storage included")
    return _Priced(components, notes)


def _ons_subscription(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    protocol = str(r.get("protocol", "")).upper()
    deliveries = usage.get("monthly_deliveries")
    if protocol == "EMAIL":
        per = 1000.0
        component = ctx.charge(
            "oci",
            "B90941",
            "Email deliveries",
            "1,000 emails",
            None if deliveries is None else deliveries / per,
            usage_key="monthly_deliveries",
        )
    elif protocol in ("HTTPS", "CUSTOM_HTTPS", "SLACK", "PAGERDUTY", "ORACLE_FUNCTIONS"):
        component = ctx.charge(
            "oci",
            "B90940",
            f"{protocol} deliveries",
            "1M deliveries",
            None if deliveries is None else deliveries / 1e6,
            usage_key="monthly_deliveries",
        )
    else:
        raise _Unpriced(f"no price for {protocol or 'unknown'} deliveries (SMS varies by country)")
    return _Priced([component])


def _oci_alarm(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    retrieved = usage.get("monthly_retrieved_datapoints")
    components = [
        ctx.charge(
            "oci",
            "B90926",
            "Metric retrieval (alarm queries)",
            "1M datapoints",
            None if retrieved is None else retrieved / 1e6,
            usage_key="monthly_retrieved_datapoints",
        )
    ]
    notes = []
    if str(r.get("namespace", "")).startswith("oci_"):
        notes.append("service metric namespace: ingestion is free")
    else:
        ingested = usage.get("monthly_ingested_datapoints")
        components.append(
            ctx.charge(
                "oci",
                "B90925",
                "Custom metric ingestion",
                "1M datapoints",
                None if ingested is None else ingested / 1e6,
                usage_key="monthly_ingested_datapoints",
            )
        )
    return _Priced(components, notes)


def _sns_topic(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    requests = usage.get("monthly_requests")
    return _Priced(
        [
            ctx.charge(
                "aws",
                "aws-sns-requests",
                "Requests",
                "1M requests",
                None if requests is None else requests / 1e6,
                usage_key="monthly_requests",
            )
        ]
    )


def _sns_subscription(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    protocol = str(r.get("protocol", "")).lower()
    deliveries = usage.get("monthly_deliveries")
    if protocol in ("email", "email-json"):
        part, unit, per = "aws-sns-email", "100,000 emails", 100_000.0
    elif protocol in ("http", "https"):
        part, unit, per = "aws-sns-http", "1M deliveries", 1e6
    elif protocol in ("sqs", "lambda", "firehose"):
        return _Priced([], [f"{protocol} deliveries cost nothing"])
    else:
        raise _Unpriced(f"no price for {protocol or 'unknown'} deliveries (SMS varies by country)")
    quantity = None if deliveries is None else deliveries / per
    return _Priced(
        [
            ctx.charge(
                "aws",
                part,
                f"{protocol} deliveries",
                unit,
                quantity,
                usage_key="monthly_deliveries",
            )
        ]
    )


def _cloudwatch_alarm(r: Resource, ctx: _Context, _: Mapping[str, float]) -> _Priced:
    queries = [q for q in many(r.get("metricQueries")) if q.get("metric")]
    metrics = float(len(queries) or 1)
    periods = [_number(r.get("period"), 60.0)] + [
        _number(q.get("metric", {}).get("period"), 60.0) for q in queries
    ]
    high_resolution = min(periods) < 60
    part = (
        "aws-cloudwatch-alarm-high-resolution"
        if high_resolution
        else "aws-cloudwatch-alarm-standard"
    )
    name = "High resolution alarm metrics" if high_resolution else "Standard alarm metrics"
    return _Priced([ctx.charge("aws", part, name, "alarm metrics", metrics)])


def _aws_budget(r: Resource, ctx: _Context, _: Mapping[str, float]) -> _Priced:
    days = ctx.aws.hours_per_month / 24
    return _Priced([ctx.charge("aws", "aws-budgets-budget", "Budget", "budget-days", days)])


_ASSET = re.compile(r"^<FileAsset (?P<path>.+)>$")


def _s3_object(r: Resource, ctx: _Context, usage: Mapping[str, float]) -> _Priced:
    size = usage.get("storage_gb")
    notes = []
    if size is None:
        match = _ASSET.match(str(r.get("source", "")))
        if match and os.path.isfile(match["path"]):
            size = os.path.getsize(match["path"]) / BYTES_PER_GB
            notes.append("size of the local source file")
    component = ctx.charge(
        "aws", "aws-s3-standard-storage", "Storage (S3 Standard)", "GB-months", size,
        usage_key="storage_gb",
    )  # fmt: skip
    return _Priced([component], notes)


PRICERS: dict[str, Pricer] = {
    ADB: _adb,
    BUCKET: _bucket,
    STREAM: _stream,
    ONS_SUBSCRIPTION: _ons_subscription,
    OCI_ALARM: _oci_alarm,
    SNS_TOPIC: _sns_topic,
    SNS_SUBSCRIPTION: _sns_subscription,
    CW_ALARM: _cloudwatch_alarm,
    AWS_BUDGET: _aws_budget,
    **dict.fromkeys(S3_OBJECTS, _s3_object),
}
_CLOUD_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+$")


def provider_of(type_: str) -> str:
    return type_.split(":", 1)[0]


def is_cloud_resource(type_: str) -> bool:
    """A resource a provider creates: not a provider, the stack, or a component."""
    return not type_.startswith("pulumi:") and bool(_CLOUD_TOKEN.match(type_))


def cost_center(resource: Resource, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The governance cost center: OCI defined tag `<namespace>.cost_center`, AWS tag
    `cost_center` (provider default tags count); UNTAGGED when absent."""
    if provider_of(resource.type) == "aws":
        value = aws_tags(resource).get(COST_CENTER_KEY)
    else:
        value = resource.get("definedTags", {}).get(f"{namespace}.{COST_CENTER_KEY}")
    return str(value) if value else UNTAGGED


def estimate_stack(
    resources: Sequence[Resource],
    *,
    usage: Usage = NO_USAGE,
    books: tuple[PriceBook, PriceBook] | None = None,
    namespace: str = DEFAULT_NAMESPACE,
) -> StackEstimate:
    """Price every cloud resource of a stack (resources in a stable order, e.g. by URN)."""
    oci_book, aws_book = books or default_books()
    ctx = _Context(oci_book, aws_book, usage, parse_schedules(resources))
    priced: list[ResourceCost] = []
    unpriced: list[Unpriced] = []
    for r in resources:
        if not is_cloud_resource(r.type):
            continue
        provider = provider_of(r.type)
        cc = cost_center(r, namespace)
        if r.type in FREE_TYPES:
            priced.append(
                ResourceCost(r.urn, r.name, r.type, provider, cc, (), (FREE_TYPES[r.type],))
            )
            continue
        pricer = PRICERS.get(r.type)
        reason = None
        if pricer is None:
            reason = "no price for this type in the price books"
        elif provider == "aws" and aws_book.currency != oci_book.currency:
            reason = f"AWS prices are in {aws_book.currency}, the estimate in {oci_book.currency}"
        if reason is None and pricer is not None:
            try:
                result = pricer(r, ctx, usage.of(r.type, r.name))
            except _Unpriced as exc:
                reason = str(exc)
            else:
                priced.append(
                    ResourceCost(
                        r.urn, r.name, r.type, provider, cc, tuple(result.components),
                        tuple(result.notes), result.savings,
                    )
                )  # fmt: skip
                continue
        unpriced.append(Unpriced(r.urn, r.name, r.type, cc, reason or ""))
    return StackEstimate(priced, unpriced, oci_book.currency, [oci_book, aws_book])
