"""Network exposure rules for AWS: security groups (inline rules, `SecurityGroupRule`,
`vpc.SecurityGroupIngressRule`) open from the internet to admin ports or to everything, EKS
API endpoints open to the internet, subnets that give every instance a public IP, and RDS
databases with a public endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from policies.model import Resource, Rule, many, one
from policies.network import ADMIN_PORTS_FIELD, ALL_PORTS, WORLD, exposed_among

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
DB_INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"

_ALL_PROTOCOLS = ("-1", "all")
_NAMED = {"tcp": "TCP", "6": "TCP", "udp": "UDP", "17": "UDP"}


def _opened(protocol: Any, low: Any, high: Any) -> tuple[str, tuple[int, int]] | None:
    """What a rule opens: a label and its port range (None: no ports, as for ICMP)."""
    protocol = str(protocol if protocol is not None else "").lower()
    if protocol in _ALL_PROTOCOLS:
        return "all protocols and ports (protocol -1)", ALL_PORTS
    name = _NAMED.get(protocol)
    if name is None:
        return None
    first, last = int(low or 0), int(high if high is not None else low or 0)
    if (first, last) == (0, 0) or (first <= 1 and last >= ALL_PORTS[1]):
        return f"all {name} ports", ALL_PORTS
    return (f"{name} {first}-{last}" if first != last else f"{name} {first}"), (first, last)


def _world_sources(*cidr_lists: Any) -> list[str]:
    sources: list[str] = []
    for value in cidr_lists:
        items = [value] if isinstance(value, str) else list(value or [])
        sources += [str(c) for c in items if c in WORLD]
    return sources


def _public_ingress(resource: Resource) -> list[tuple[str, list[str], Any, Any, Any]]:
    """(where, world sources, protocol, from port, to port) of each ingress rule of a
    security group, security group rule or VPC ingress rule that admits the internet."""
    out = []
    if resource.type == SECURITY_GROUP:
        for index, rule in enumerate(many(resource.get("ingress"))):
            sources = _world_sources(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
            if sources:
                args = (rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
                out.append((f"ingress[{index}]: ", sources, *args))
    elif resource.type == SECURITY_GROUP_RULE:
        if str(resource.get("type", "")).lower() == "ingress":
            sources = _world_sources(resource.get("cidrBlocks"), resource.get("ipv6CidrBlocks"))
            if sources:
                args = (resource.get("protocol"), resource.get("fromPort"), resource.get("toPort"))
                out.append(("", sources, *args))
    else:
        sources = _world_sources(resource.get("cidrIpv4"), resource.get("cidrIpv6"))
        if sources:
            args = (resource.get("ipProtocol"), resource.get("fromPort"), resource.get("toPort"))
            out.append(("", sources, *args))
    return out


def _admin_ports(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    for where, sources, protocol, low, high in _public_ingress(resource):
        exposed = exposed_among(_opened(protocol, low, high), config["adminPorts"])
        if exposed:
            yield (
                f"{where}ingress from {', '.join(sources)} to {', '.join(exposed)}; allow a "
                "specific CIDR (or a bastion, or SSM Session Manager) instead"
            )


def _eks_endpoint(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    vpc = one(resource.get("vpcConfig"))
    if vpc.get("endpointPublicAccess") is False:
        return
    cidrs = [str(c) for c in vpc.get("publicAccessCidrs") or []]
    open_to = [c for c in cidrs if c in WORLD] if cidrs else ["0.0.0.0/0 (the default)"]
    if open_to:
        yield (
            f"the Kubernetes API endpoint is public and open to {', '.join(open_to)} "
            "(vpcConfig.endpointPublicAccess is not false); set endpointPublicAccess=false with "
            "endpointPrivateAccess=true, or list specific publicAccessCidrs"
        )


def _subnet_public_ip(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("mapPublicIpOnLaunch") is True:
        yield (
            "every instance launched in the subnet gets a public IP (mapPublicIpOnLaunch=true); "
            "set it to false and use a NAT gateway or a load balancer"
        )


def _rds_public(resource: Resource, _: Mapping[str, Any]) -> Iterable[str]:
    if resource.get("publiclyAccessible") is True:
        yield (
            "the database has a public endpoint (publiclyAccessible=true); set it to false and "
            "reach it from inside the VPC"
        )


RULES = (
    Rule(
        id="aws-ec2-securitygroup-no-public-admin-ports",
        description="Security groups and their rules allow no ingress from 0.0.0.0/0 or ::/0 to "
        "the admin ports (22, 3389, 1521-1522, 6443 by default) or to all ports (protocol -1).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE}),
        check=_admin_ports,
        config={"adminPorts": ADMIN_PORTS_FIELD},
        frameworks=("CIS AWS 5.2", "CIS AWS 5.3"),
        checkov_ids=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
    ),
    Rule(
        id="aws-eks-cluster-private-api-endpoint",
        description="The Kubernetes API endpoint of an EKS cluster is not open to the internet "
        "(endpointPublicAccess=false, or publicAccessCidrs without 0.0.0.0/0).",
        severity="high",
        enforcement="mandatory",
        resource_types=frozenset({EKS_CLUSTER}),
        check=_eks_endpoint,
        checkov_ids=("CKV_AWS_38", "CKV_AWS_39"),
    ),
    Rule(
        id="aws-ec2-subnet-no-public-ip-on-launch",
        description="Subnets do not give instances a public IP by default "
        "(mapPublicIpOnLaunch is not true).",
        severity="medium",
        enforcement="mandatory",
        resource_types=frozenset({SUBNET}),
        check=_subnet_public_ip,
        checkov_ids=("CKV_AWS_130",),
    ),
    Rule(
        id="aws-rds-instance-not-public",
        description="RDS database instances have no public endpoint (publiclyAccessible is not "
        "true).",
        severity="critical",
        enforcement="mandatory",
        resource_types=frozenset({DB_INSTANCE, CLUSTER_INSTANCE}),
        check=_rds_public,
        checkov_ids=("CKV_AWS_17",),
    ),
)
