"""Security and cost rules for OCI resources (CIS OCI Benchmark where one applies)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import ConfigField, Resource, Rule, is_unknown_error, many, one

ADB = "oci:Database/autonomousDatabase:AutonomousDatabase"
BUCKET = "oci:ObjectStorage/bucket:Bucket"
NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
STREAM_POOL = "oci:Streaming/streamPool:StreamPool"
ALARM = "oci:Monitoring/alarm:Alarm"
TOPIC = "oci:Ons/notificationTopic:NotificationTopic"
SUBSCRIPTION = "oci:Ons/subscription:Subscription"
BUDGET = "oci:Budget/budget:Budget"
BUDGET_RULE = "oci:Budget/rule:Rule"
IAM_POLICY = "oci:Identity/policy:Policy"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
SUBNET = "oci:Core/subnet:Subnet"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "oci:Core/defaultRouteTable:DefaultRouteTable"
INTERNET_GATEWAY = "oci:Core/internetGateway:InternetGateway"

WORLD = ("0.0.0.0/0", "::/0")
# SSH, RDP, the Oracle listener and the Kubernetes API server: the one default list of the
# admin-port rules (configurable per rule as `adminPorts`).
ADMIN_PORTS = (22, 3389, 1521, 1522, 6443)
NODE_PORTS = (30000, 32767)  # Kubernetes' default NodePort range
_ALL_PORTS = (1, 65535)
_PROTOCOL_TCP, _PROTOCOL_UDP = "6", "17"


# --- Autonomous Database ----------------------------------------------------------------------


def _adb_access(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("subnetId"):
        return
    entries = [str(e) for e in resource.get("whitelistedIps", [])]
    if not entries:
        yield (
            "reachable from the whole internet: no private endpoint (subnetId) and no IP "
            "allow-list; set subnetId (private endpoint) or whitelistedIps"
        )
        return
    open_entries = [e for e in entries if e.split(";")[-1] in WORLD]
    if open_entries:
        yield (
            f"IP allow-list opens the database to the whole internet ({', '.join(open_entries)}); "
            "list specific CIDRs or use a private endpoint (subnetId)"
        )


def _adb_mtls(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("subnetId") and resource.get("isMtlsConnectionRequired") is not True:
        yield "reachable through an IP allow-list without isMtlsConnectionRequired=true"


def _adb_license(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("licenseModel"):
        yield (
            "licenseModel is not set (OCI then assumes BRING_YOUR_OWN_LICENSE); "
            "set LICENSE_INCLUDED or BRING_YOUR_OWN_LICENSE explicitly"
        )


def _adb_vault(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("adminPassword") and not resource.get("secretId"):
        yield "admin password passed as adminPassword; reference an OCI Vault secret (secretId)"


def _adb_retention(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    days = resource.get("backupRetentionPeriodInDays")
    if days is not None and float(days) < config["minimumDays"]:
        yield (
            f"backup retention {days:g} days is below {config['minimumDays']} days; "
            f"set backupRetentionPeriodInDays to at least {config['minimumDays']}"
        )


def _environment(resource: Resource, namespace: str) -> str | None:
    value = resource.get("definedTags", {}).get(f"{namespace}.environment")
    return str(value) if value is not None else None


def _adb_protected(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    if (
        _environment(resource, config["namespace"]) in config["productionEnvironments"]
        and not resource.protect
    ):
        yield "production database is not protected (ResourceOptions(protect=True))"


# --- Object Storage -------------------------------------------------------------------------


def _bucket_public(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    access = resource.get("accessType", "NoPublicAccess")
    if access != "NoPublicAccess":
        yield f"accessType is {access}; use NoPublicAccess"


def _bucket_versioning(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("versioning") != "Enabled":
        yield f"versioning is {resource.get('versioning', 'Disabled')}; set it to Enabled"


def _bucket_cmk(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("kmsKeyId"):
        yield "encrypted with an Oracle-managed key; set kmsKeyId to a customer-managed key"


# --- Networking -----------------------------------------------------------------------------


def _port_range(options: Any) -> tuple[int, int] | None:
    """The destination port range of tcpOptions/udpOptions; None means all ports.

    NSG rules nest it (`destinationPortRange: {min, max}`); security lists put `min` and
    `max` on the options themselves.
    """
    options = one(options)
    rng = one(options.get("destinationPortRange", options))
    if rng.get("min") is None:
        return None
    return int(rng["min"]), int(rng.get("max", rng["min"]))


def _opened(rule: Mapping[str, Any]) -> tuple[str, tuple[int, int]] | None:
    """What an ingress rule opens: a label and the destination port range (None: no ports,
    as for ICMP and other protocols)."""
    protocol = str(rule.get("protocol", "all")).lower()
    if protocol == "all":
        return "all protocols and ports", _ALL_PORTS
    options = {_PROTOCOL_TCP: "tcpOptions", _PROTOCOL_UDP: "udpOptions"}.get(protocol)
    if options is None:
        return None
    name = "TCP" if protocol == _PROTOCOL_TCP else "UDP"
    rng = _port_range(rule.get(options))
    if rng is None:
        return f"all {name} ports", _ALL_PORTS
    return f"{name} {rng[0]}-{rng[1]}" if rng[0] != rng[1] else f"{name} {rng[0]}", rng


def _exposed_ports(rule: Mapping[str, Any], ports: Iterable[Any]) -> list[str]:
    """What an ingress rule from anywhere opens among `ports` (empty: nothing)."""
    opened = _opened(rule)
    if opened is None:
        return []
    label, (low, high) = opened
    if (low, high) == _ALL_PORTS:
        return [label]
    return [str(p) for p in sorted({int(p) for p in ports}) if low <= p <= high]


def _exposed_node_ports(rule: Mapping[str, Any]) -> str | None:
    opened = _opened(rule)
    if opened is None:
        return None
    label, (low, high) = opened
    return label if low <= NODE_PORTS[1] and high >= NODE_PORTS[0] else None


def _public_ingress(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, ingress rule) for each rule from 0.0.0.0/0 or ::/0 of an NSG rule or a
    security list."""
    if resource.type == SECURITY_LIST:
        return [
            (f"ingressSecurityRules[{index}]: ", rule)
            for index, rule in enumerate(many(resource.get("ingressSecurityRules")))
            if rule.get("source") in WORLD
        ]
    if str(resource.get("direction", "")).upper() == "INGRESS" and resource.get("source") in WORLD:
        return [("", resource.props)]
    return []


def _admin_ports(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    for where, rule in _public_ingress(resource):
        exposed = _exposed_ports(rule, config["adminPorts"])
        if exposed:
            yield (
                f"{where}ingress from {rule['source']} to {', '.join(exposed)}; "
                "allow a specific CIDR (or a bastion) instead"
            )


def _node_ports(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    for where, rule in _public_ingress(resource):
        opened = _exposed_node_ports(rule)
        if opened:
            low, high = NODE_PORTS
            yield (
                f"{where}ingress from {rule['source']} to the Kubernetes NodePort range "
                f"{low}-{high} ({opened}); expose services through a load balancer instead"
            )


def _cluster_endpoint(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    endpoint = one(resource.get("endpointConfig"))
    if not endpoint:
        yield (
            "no endpointConfig: the Kubernetes API endpoint is not in the VCN and is public; "
            "set endpointConfig with a private subnet"
        )
    elif endpoint.get("isPublicIpEnabled") is True:
        yield (
            "the Kubernetes API endpoint has a public IP (endpointConfig.isPublicIpEnabled=true); "
            "reach it through a bastion or VPN instead"
        )


def _routes_to_internet(table: Resource, gateways: set[str]) -> bool:
    if any(dep in gateways for dep in table.dependencies):
        return True
    try:
        return any(
            str(rule.get("networkEntityId", "")).startswith("ocid1.internetgateway.")
            for rule in many(table.get("routeRules"))
        )
    except Exception as exc:
        if is_unknown_error(exc):
            return False  # a target known only after apply, and no gateway of the stack
        raise


def _allows_public_ips(subnet: Resource) -> bool:
    """prohibitPublicIpOnVnic is not true (OCI's default is false); unknown: not judged."""
    try:
        return subnet.get("prohibitPublicIpOnVnic") is not True
    except Exception as exc:
        if is_unknown_error(exc):
            return False
        raise


def _public_subnets(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    by_urn = {r.urn: r for r in resources}
    gateways = {r.urn for r in resources if r.type == INTERNET_GATEWAY}
    # A VCN's default route table, as managed in the stack, keyed by the VCN it depends on.
    default_tables: dict[str, list[Resource]] = {}
    for table in resources:
        if table.type == DEFAULT_ROUTE_TABLE:
            for dep in table.dependencies:
                default_tables.setdefault(dep, []).append(table)
    for subnet in resources:
        if subnet.type != SUBNET or not _allows_public_ips(subnet):
            continue
        deps = [by_urn[d] for d in subnet.dependencies if d in by_urn]
        tables = [d for d in deps if d.type in (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)]
        if not subnet.is_set("routeTableId"):  # the subnet uses its VCN's default route table
            tables += [t for d in deps for t in default_tables.get(d.urn, [])]
        routed = [t.name for t in tables if _routes_to_internet(t, gateways)]
        if routed:
            yield (
                subnet.urn,
                f"subnet {subnet.name} allows public IPs on its VNICs (prohibitPublicIpOnVnic is "
                f"not true) and routes to an internet gateway through route table {routed[0]}; "
                "set prohibitPublicIpOnVnic=true, or route through a NAT gateway",
            )


# --- Streaming, monitoring, budgets, IAM ----------------------------------------------------


def _pool_cmk(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not one(resource.get("customEncryptionKey")).get("kmsKeyId"):
        yield "stream pool uses an Oracle-managed key; set customEncryptionKey.kmsKeyId"


def _pool_private(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not one(resource.get("privateEndpointSettings")).get("subnetId"):
        yield "stream pool has a public endpoint; set privateEndpointSettings.subnetId"


def _alarm_enabled(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("isEnabled") is not True:
        yield "alarm is disabled; set isEnabled to true"


def _alarm_destination(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if not resource.get("destinations"):
        yield "alarm has no destination; add a notification topic to destinations"


def _referrers(resources: Sequence[Resource], types: Iterable[str]) -> dict[str, list[Resource]]:
    """For every resource URN, the resources of `types` that depend on it."""
    wanted = set(types)
    out: dict[str, list[Resource]] = {}
    for r in resources:
        if r.type in wanted:
            for dep in r.dependencies:
                out.setdefault(dep, []).append(r)
    return out


def topics_without_subscriptions(
    resources: Sequence[Resource],
    topic_type: str,
    subscription_type: str,
    user_types: Iterable[str],
) -> Iterable[tuple[str | None, str]]:
    users = _referrers(resources, user_types)
    subscriptions = _referrers(resources, [subscription_type])
    for topic in resources:
        if topic.type == topic_type and topic.urn in users and topic.urn not in subscriptions:
            names = ", ".join(sorted(u.name for u in users[topic.urn]))
            yield (
                topic.urn,
                f"topic {topic.name} notifies nobody: no subscription (used by {names}); "
                "subscribe an email, Slack or PagerDuty endpoint",
            )


def _topics_subscribed(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    return topics_without_subscriptions(resources, TOPIC, SUBSCRIPTION, [ALARM, BUDGET_RULE])


def _budget_rules(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    rules = _referrers(resources, [BUDGET_RULE])
    for budget in resources:
        if budget.type == BUDGET and budget.urn not in rules:
            yield budget.urn, f"budget {budget.name} has no alert rule; add a budget Rule for it"


def _tenancy_forecast(
    resources: Sequence[Resource], _: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    budgets = [r for r in resources if r.type == BUDGET]
    if not budgets:
        return  # this stack manages no budgets
    rules = _referrers(resources, [BUDGET_RULE])
    for budget in budgets:
        targets = [str(t) for t in budget.get("targets", [])]
        tenancy_wide = budget.get("targetType", "COMPARTMENT") == "COMPARTMENT" and any(
            t.startswith("ocid1.tenancy.") for t in targets
        )
        if tenancy_wide and any(r.get("type") == "FORECAST" for r in rules.get(budget.urn, [])):
            return
    yield (
        None,
        (
            "no tenancy-wide budget with a FORECAST alert rule (Oracle's best-practice check); "
            "add a FORECAST rule to the root-compartment budget"
        ),
    )


_MANAGE_ALL = re.compile(
    r"^\s*allow\s+group\s+(?P<group>.+?)\s+to\s+manage\s+all-resources\s+in\s+tenancy\b", re.I
)


def _iam_admin(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    admins = {g.lower() for g in config["adminGroups"]}
    for statement in resource.get("statements", []):
        match = _MANAGE_ALL.match(str(statement))
        if match and match["group"].strip("'\" ").lower() not in admins:
            yield (
                f"grants manage all-resources in tenancy to group {match['group']}: {statement}; "
                f"only {', '.join(config['adminGroups'])} may, scope it to a compartment"
            )


ADMIN_PORTS_FIELD = ConfigField(
    "array",
    "Ports no ingress from 0.0.0.0/0 or ::/0 may reach (default: SSH, RDP, the Oracle listener "
    "1521-1522, the Kubernetes API 6443)",
    list(ADMIN_PORTS),
    "integer",
)
NAMESPACE_FIELD = ConfigField(
    "string", "Defined-tag namespace of the governance tags", "governance"
)
PRODUCTION_FIELD = ConfigField(
    "array", "Values of the environment tag that mean production", ["prod"], "string"
)

RULES = (
    Rule(
        id="oci-database-adb-private-access",
        description="Autonomous Database access is restricted: a private endpoint, or a non-empty "
        "IP allow-list without 0.0.0.0/0 or ::/0 (CIS OCI 2.8).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_access,
        frameworks=("CIS OCI 2.8",),
    ),
    Rule(
        id="oci-database-adb-mtls-required",
        description="An Autonomous Database reachable through an IP allow-list requires mTLS.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_mtls,
    ),
    Rule(
        id="oci-database-adb-license-explicit",
        description="The Autonomous Database license model is stated explicitly.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_license,
    ),
    Rule(
        id="oci-database-adb-vault-password",
        description="The admin password comes from an OCI Vault secret, not adminPassword.",
        severity="medium",
        enforcement="advisory",
        resource_types=frozenset({ADB}),
        check=_adb_vault,
    ),
    Rule(
        id="oci-database-adb-backup-retention",
        description="Automatic backups are kept at least the configured number of days.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_retention,
        config={
            "minimumDays": ConfigField("integer", "Minimum backup retention in days", 7, minimum=1)
        },
    ),
    Rule(
        id="oci-database-adb-production-protected",
        description="Production Autonomous Databases are protected against deletion.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ADB}),
        check=_adb_protected,
        config={
            "namespace": NAMESPACE_FIELD,
            "productionEnvironments": PRODUCTION_FIELD,
        },
    ),
    Rule(
        id="oci-objectstorage-bucket-no-public-access",
        description="Buckets allow no public access (CIS OCI 5.1.1).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_public,
        frameworks=("CIS OCI 5.1.1",),
        checkov_ids=("CKV_OCI_10",),
    ),
    Rule(
        id="oci-objectstorage-bucket-versioning-enabled",
        description="Bucket versioning is Enabled (CIS OCI 5.1.3).",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_versioning,
        frameworks=("CIS OCI 5.1.3",),
        checkov_ids=("CKV_OCI_8",),
    ),
    Rule(
        id="oci-objectstorage-bucket-customer-managed-key",
        description="Buckets are encrypted with a customer-managed key (CIS OCI 5.1.2).",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({BUCKET}),
        check=_bucket_cmk,
        frameworks=("CIS OCI 5.1.2",),
        checkov_ids=("CKV_OCI_9",),
    ),
    Rule(
        id="oci-network-nsgrule-no-public-admin-ports",
        description="NSG rules allow no ingress from 0.0.0.0/0 or ::/0 to the admin ports "
        "(22, 3389, 1521-1522, 6443 by default) or to all ports (CIS OCI 2.1-2.5).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({NSG_RULE}),
        check=_admin_ports,
        config={"adminPorts": ADMIN_PORTS_FIELD},
        frameworks=("CIS OCI 2.1", "CIS OCI 2.2", "CIS OCI 2.3", "CIS OCI 2.4", "CIS OCI 2.5"),
        checkov_ids=(
            "CKV_OCI_22",
            "CKV2_OCI_2",
        ),
    ),
    Rule(
        id="oci-network-securitylist-no-public-admin-ports",
        description="Security lists allow no ingress from 0.0.0.0/0 or ::/0 to the admin ports "
        "(22, 3389, 1521-1522, 6443 by default) or to all ports (CIS OCI 2.1-2.2).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({SECURITY_LIST}),
        check=_admin_ports,
        config={"adminPorts": ADMIN_PORTS_FIELD},
        frameworks=("CIS OCI 2.1", "CIS OCI 2.2"),
        checkov_ids=(
            "CKV_OCI_19",
            "CKV_OCI_20",
        ),
    ),
    Rule(
        id="oci-network-ingress-no-public-nodeports",
        description="NSG rules and security lists allow no ingress from 0.0.0.0/0 or ::/0 to "
        "the Kubernetes NodePort range 30000-32767; expose services through a load balancer.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({NSG_RULE, SECURITY_LIST}),
        check=_node_ports,
    ),
    Rule(
        id="oci-containerengine-cluster-private-api-endpoint",
        description="The Kubernetes API endpoint of an OKE cluster is in the VCN without a "
        "public IP (endpointConfig.isPublicIpEnabled is not true).",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({CLUSTER}),
        check=_cluster_endpoint,
    ),
    Rule(
        id="oci-network-subnet-prohibit-public-ip",
        description="Subnets routed to an internet gateway of the stack prohibit public IPs on "
        "their VNICs (prohibitPublicIpOnVnic=true).",
        severity="high",
        enforcement="mandatory",
        check_stack=_public_subnets,
    ),
    Rule(
        id="oci-streaming-streampool-customer-managed-key",
        description="Stream pools encrypt with a customer-managed key.",
        severity="low",
        enforcement="advisory",
        resource_types=frozenset({STREAM_POOL}),
        check=_pool_cmk,
    ),
    Rule(
        id="oci-streaming-streampool-private-endpoint",
        description="Stream pools are reachable through a private endpoint only.",
        severity="medium",
        enforcement="advisory",
        resource_types=frozenset({STREAM_POOL}),
        check=_pool_private,
    ),
    Rule(
        id="oci-monitoring-alarm-enabled",
        description="Alarms are enabled.",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({ALARM}),
        check=_alarm_enabled,
    ),
    Rule(
        id="oci-monitoring-alarm-has-destination",
        description="Alarms notify at least one destination.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({ALARM}),
        check=_alarm_destination,
    ),
    Rule(
        id="oci-ons-topic-has-subscription",
        description="Every notification topic used by an alarm or budget has a subscription.",
        severity="high",
        enforcement="mandatory",
        check_stack=_topics_subscribed,
    ),
    Rule(
        id="oci-budget-budget-has-alert-rule",
        description="Every budget has at least one alert rule.",
        severity="medium",
        enforcement="mandatory",
        check_stack=_budget_rules,
    ),
    Rule(
        id="oci-budget-tenancy-forecast-rule",
        description="A stack that manages budgets has a tenancy-wide budget with a FORECAST rule.",
        severity="medium",
        enforcement="mandatory",
        check_stack=_tenancy_forecast,
    ),
    Rule(
        id="oci-identity-policy-no-tenancy-admin",
        description="No IAM policy grants manage all-resources in tenancy outside the "
        "administrators group (CIS OCI 1.2).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({IAM_POLICY}),
        check=_iam_admin,
        config={
            "adminGroups": ConfigField(
                "array",
                "Groups allowed to manage all-resources in tenancy",
                ["Administrators"],
                "string",
            )
        },
        frameworks=("CIS OCI 1.2",),
    ),
)
