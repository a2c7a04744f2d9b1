"""Network exposure primitives shared by the OCI and AWS rules: what "the whole internet"
is, the admin ports no ingress from it may reach, and port ranges as both vendors write them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from policies.model import ConfigField

WORLD = ("0.0.0.0/0", "::/0")
# SSH, RDP, the Oracle listener and the Kubernetes API server: the one default list of the
# admin-port rules (configurable per rule as `adminPorts`).
ADMIN_PORTS = (22, 3389, 1521, 1522, 6443)
NODE_PORTS = (30000, 32767)  # Kubernetes' default NodePort range
ALL_PORTS = (0, 65535)

ADMIN_PORTS_FIELD = ConfigField(
    "array",
    "Ports no ingress from 0.0.0.0/0 or ::/0 may reach (default: SSH, RDP, the Oracle listener "
    "1521-1522, the Kubernetes API 6443)",
    list(ADMIN_PORTS),
    "integer",
)


def exposed_among(opened: tuple[str, tuple[int, int]] | None, ports: Iterable[Any]) -> list[str]:
    """What an ingress rule from anywhere opens among `ports`: the label of a rule open to
    every port, else the listed ports it reaches (empty: nothing)."""
    if opened is None:
        return []
    label, (low, high) = opened
    if low <= ALL_PORTS[0] + 1 and high >= ALL_PORTS[1]:
        return [label]
    return [str(p) for p in sorted({int(p) for p in ports}) if low <= p <= high]


def reaches_node_ports(opened: tuple[str, tuple[int, int]] | None) -> str | None:
    """The label of an ingress rule that reaches the NodePort range, else None."""
    if opened is None:
        return None
    label, (low, high) = opened
    return label if low <= NODE_PORTS[1] and high >= NODE_PORTS[0] else None
