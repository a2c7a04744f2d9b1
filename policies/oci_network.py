"""Network exposure rules for OCI: ingress from the internet to admin ports and NodePorts
(NSG rules, security lists), public Kubernetes API endpoints, subnets that give VNICs public
IPs behind an internet gateway, instances that ask for a public IP (CIS OCI 2.x)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.model import Resource, Rule, is_unknown_error, many, one
from policies.network import (
    ADMIN_PORTS_FIELD,
    ALL_PORTS,
    NODE_PORTS,
    WORLD,
    exposed_among,
    reaches_node_ports,
)

NSG_RULE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule"
SECURITY_LIST = "oci:Core/securityList:SecurityList"
CLUSTER = "oci:ContainerEngine/cluster:Cluster"
SUBNET = "oci:Core/subnet:Subnet"
ROUTE_TABLE = "oci:Core/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "oci:Core/defaultRouteTable:DefaultRouteTable"
INTERNET_GATEWAY = "oci:Core/internetGateway:InternetGateway"
INSTANCE = "oci:Core/instance:Instance"
_PROTOCOL_TCP, _PROTOCOL_UDP = "6", "17"


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
        return "all protocols and ports", ALL_PORTS
    options = {_PROTOCOL_TCP: "tcpOptions", _PROTOCOL_UDP: "udpOptions"}.get(protocol)
    if options is None:
        return None
    name = "TCP" if protocol == _PROTOCOL_TCP else "UDP"
    rng = _port_range(rule.get(options))
    if rng is None:
        return f"all {name} ports", ALL_PORTS
    return f"{name} {rng[0]}-{rng[1]}" if rng[0] != rng[1] else f"{name} {rng[0]}", rng


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
        exposed = exposed_among(_opened(rule), config["adminPorts"])
        if exposed:
            yield (
                f"{where}ingress from {rule['source']} to {', '.join(exposed)}; "
                "allow a specific CIDR (or a bastion) instead"
            )


def _node_ports(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    for where, rule in _public_ingress(resource):
        opened = reaches_node_ports(_opened(rule))
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
        if subnet.is_set("routeTableId"):
            tables = [d for d in deps if d.type in (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)]
        else:  # its VCN's default route table, not another table it merely depends on
            tables = [d for d in deps if d.type == DEFAULT_ROUTE_TABLE]
            tables += [t for d in deps for t in default_tables.get(d.urn, [])]
        routed = [t.name for t in tables if _routes_to_internet(t, gateways)]
        if routed:
            yield (
                subnet.urn,
                f"subnet {subnet.name} allows public IPs on its VNICs (prohibitPublicIpOnVnic is "
                f"not true) and routes to an internet gateway through route table {routed[0]}; "
                "set prohibitPublicIpOnVnic=true, or route through a NAT gateway",
            )


def _instance_public_ip(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    # Terraform writes the flag as a string ("true"); Pulumi and the API as a boolean.
    value = one(resource.get("createVnicDetails")).get("assignPublicIp")
    if str(value).lower() == "true":
        yield (
            "the instance's primary VNIC gets a public IP (createVnicDetails.assignPublicIp="
            "true); set it to false and reach the instance through a bastion or a load balancer"
        )


RULES = (
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
        id="oci-compute-instance-no-public-ip",
        description="Compute instances do not ask for a public IP on their primary VNIC "
        "(createVnicDetails.assignPublicIp is not true); left unset, the subnet decides, which "
        "oci-network-subnet-prohibit-public-ip judges.",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({INSTANCE}),
        check=_instance_public_ip,
    ),
)
