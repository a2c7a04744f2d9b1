"""Which functions use which layer versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardrails.tooling.layer_ops.api import LambdaApi
from guardrails.tooling.layer_ops.arns import LAYER_ARN, check_layer_name, unversioned


@dataclass(frozen=True)
class UsageRow:
    layer: str
    version: int | None
    function: str
    runtime: str
    memory: int
    architectures: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "version": self.version,
            "function": self.function,
            "runtime": self.runtime,
            "memory": self.memory,
            "architectures": list(self.architectures),
        }


def usage(api: LambdaApi, layer: str | None = None) -> list[UsageRow]:
    """Which functions use which layer versions (optionally of one layer)."""
    name = check_layer_name(layer) if layer else None
    rows = []
    for function in api.functions():
        for attached in function.get("Layers", []):
            arn = attached["Arn"]
            match = LAYER_ARN.match(arn)
            if name and (not match or match["name"] != name):
                continue
            rows.append(
                UsageRow(
                    layer=unversioned(arn),
                    version=int(match["version"]) if match and match["version"] else None,
                    function=function["FunctionName"],
                    runtime=function.get("Runtime", ""),
                    memory=function.get("MemorySize", 0),
                    architectures=tuple(function.get("Architectures", ["x86_64"])),
                )
            )
    return sorted(rows, key=lambda r: (r.layer, r.version or 0, r.function))
