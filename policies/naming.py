"""Names across engines: Pulumi type tokens and camelCase inputs on one side, Terraform
resource types and snake_case attributes on the other.

Used in both directions: the gate exports captured resources as a Terraform plan for
checkov, and the checkov custom checks turn Terraform resources back into the catalog's
view. Keys inside map-valued attributes (tags, metadata) are data and are never renamed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Map-valued attributes whose keys are data ("governance.cost_center", "cost_center").
DATA_MAPS_CAMEL = frozenset(
    {"definedTags", "freeformTags", "systemTags", "tags", "tagsAll", "metadata", "dimensions"}
)

# Resources whose Terraform name does not follow from the Pulumi token.
_TOKEN_OVERRIDES = {"oci:Budget/rule:Rule": "oci_budget_alert_rule"}
_TOKEN = re.compile(
    r"^(?P<pkg>[a-z0-9-]+):(?P<mod>[A-Za-z0-9]+)/(?P<member>[A-Za-z0-9]+):[A-Za-z0-9]+$"
)


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def terraform_type(token: str) -> str | None:
    """Terraform type of a Pulumi token, e.g. `oci:Budget/budget:Budget` -> `oci_budget_budget`."""
    if token in _TOKEN_OVERRIDES:
        return _TOKEN_OVERRIDES[token]
    match = _TOKEN.match(token)
    if not match:
        return None
    return f"{match['pkg']}_{match['mod'].lower()}_{snake(match['member'])}"


def terraform_types(tokens: Iterable[str]) -> dict[str, str]:
    """Terraform type -> Pulumi token, for the tokens that have one."""
    out: dict[str, str] = {}
    for token in tokens:
        tf = terraform_type(token)
        if tf is not None:
            out[tf] = token
    return out


def _convert(value: Any, key_fn: Any, data_maps: frozenset[str]) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            new_key = key_fn(key)
            # the data-map check uses the camelCase name whichever way we convert
            is_data = camel(key) in data_maps or key in data_maps
            out[new_key] = (
                dict(item)
                if is_data and isinstance(item, Mapping)
                else _convert(item, key_fn, data_maps)
            )
        return out
    if isinstance(value, list):
        return [_convert(item, key_fn, data_maps) for item in value]
    return value


def to_terraform(props: Mapping[str, Any]) -> dict[str, Any]:
    """camelCase Pulumi inputs -> snake_case Terraform values."""
    converted: dict[str, Any] = _convert(props, snake, DATA_MAPS_CAMEL)
    return converted


def from_terraform(values: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case Terraform values -> camelCase Pulumi inputs."""
    converted: dict[str, Any] = _convert(values, camel, DATA_MAPS_CAMEL)
    return converted
