"""`terraform show -json` documents built for tests, in the shapes Terraform writes: the
resource's values in `planned_values` and `resource_changes[].change.after`, what apply will
compute in `after_unknown`, and the `configuration` (provider blocks, expressions, modules)
that the values came from.

    plan = TfPlan(provider_config={"aws": aws_provider(default_tags={"cost_center": "CC-1"})})
    plan.add("aws_sns_topic", "alerts", {"name": "alerts", "tags": None},
             unknown={"arn": True, "tags_all": True})
    plan.write(tmp_path / "plan.json")
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def aws_provider(*, default_tags: dict[str, str] | None = None, tags_ref: str = "") -> dict:
    """An `aws` provider block: `default_tags` given literally, or from a reference."""
    expressions: dict[str, Any] = {"region": {"constant_value": "eu-west-1"}}
    if default_tags is not None:
        expressions["default_tags"] = [{"tags": {"constant_value": default_tags}}]
    elif tags_ref:
        expressions["default_tags"] = [{"tags": {"references": [tags_ref]}}]
    return {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
            "expressions": expressions}  # fmt: skip


@dataclass
class TfPlan:
    format_version: str = "1.2"
    terraform_version: str = "1.9.5"
    provider_config: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    _root: list[dict[str, Any]] = field(default_factory=list)
    _modules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _changes: list[dict[str, Any]] = field(default_factory=list)
    _config: dict[tuple[str, ...], list[dict[str, Any]]] = field(default_factory=dict)

    def add(
        self,
        type_: str,
        name: str,
        values: dict[str, Any],
        *,
        unknown: dict[str, Any] | None = None,
        module: str = "",
        index: int | str | None = None,
        expressions: dict[str, Any] | None = None,
        provider_key: str | None = None,
    ) -> str:
        """One managed resource to create; returns its address. `module` is the module
        instance address (`module.net["web"]`); `expressions` its configuration (by default
        every value as a constant, `after_unknown` leaves out)."""
        key = "" if index is None else f"[{json.dumps(index)}]"
        local = f"{type_}.{name}{key}"
        address = f"{module}.{local}" if module else local
        provider = "registry.terraform.io/" + (
            "oracle/oci" if type_.startswith("oci_") else "hashicorp/aws"
        )
        resource = {
            "address": address, "mode": "managed", "type": type_, "name": name,
            "provider_name": provider, "schema_version": 0, "values": values,
            "sensitive_values": {},
        }  # fmt: skip
        if index is not None:
            resource["index"] = index
        if module:
            self._modules.setdefault(module, []).append(resource)
        else:
            self._root.append(resource)
        self._changes.append(
            {
                "address": address, "mode": "managed", "type": type_, "name": name,
                "provider_name": provider,
                "change": {"actions": ["create"], "before": None, "after": values,
                           "after_unknown": unknown or {}, "before_sensitive": False,
                           "after_sensitive": {}},
            }
        )  # fmt: skip
        calls = tuple(part.split("[")[0] for part in module.split(".module.") if part)
        calls = tuple(c.removeprefix("module.") for c in calls)
        if expressions is None:
            expressions = {k: {"constant_value": v} for k, v in values.items() if v is not None}
        config = {
            "address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name,
            "provider_config_key": provider_key or type_.split("_", 1)[0],
            "expressions": expressions, "schema_version": 0,
        }  # fmt: skip
        entries = self._config.setdefault(calls, [])
        if not any(c["address"] == config["address"] for c in entries):
            entries.append(config)
        return address

    def document(self) -> dict[str, Any]:
        child_modules = [
            {"address": address, "resources": resources}
            for address, resources in sorted(self._modules.items())
        ]
        root_module: dict[str, Any] = {"resources": self._root}
        if child_modules:
            root_module["child_modules"] = child_modules
        return {
            "format_version": self.format_version,
            "terraform_version": self.terraform_version,
            "variables": self.variables,
            "planned_values": {"root_module": root_module},
            "resource_changes": self._changes,
            "configuration": {
                "provider_config": self.provider_config,
                "root_module": self._config_module(()),
            },
        }

    def _config_module(self, calls: tuple[str, ...]) -> dict[str, Any]:
        module: dict[str, Any] = {"resources": self._config.get(calls, [])}
        children = sorted({c[len(calls)] for c in self._config if len(c) > len(calls)
                           and c[: len(calls)] == calls})  # fmt: skip
        if children:
            module["module_calls"] = {
                child: {
                    "source": f"./modules/{child}",
                    "module": self._config_module((*calls, child)),
                }
                for child in children
            }
        return module

    def write(self, path: Path, encoding: str = "utf-8") -> Path:
        path.write_text(json.dumps(self.document(), indent=2), encoding=encoding)
        return path
