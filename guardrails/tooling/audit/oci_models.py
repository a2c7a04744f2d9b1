"""What the OCI readers share: a Resource Search hit, SDK models as the provider's input
names, and the reads a type's mapping may make (`Reads`, which `oci_reader.Reader` is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def model_inputs(model: Any) -> dict[str, Any]:
    """An SDK model as camelCase properties, None values dropped (the provider's inputs leave
    out what is not set)."""
    import oci

    raw = oci.util.to_dict(model)
    tags = raw.pop("defined_tags", None)
    freeform = raw.pop("freeform_tags", None)
    inputs: dict[str, Any] = _camel_tree(raw)
    if tags is not None:  # the provider's input is flat: {"ns.key": value}
        inputs["definedTags"] = flat_defined_tags(tags)
    if freeform is not None:  # users' own keys: not camel-cased
        inputs["freeformTags"] = dict(freeform)
    return inputs


def _camel_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {camel(k): _camel_tree(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_camel_tree(v) for v in value]
    return value


def flat_defined_tags(tags: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """`{"ns": {"key": v}}` (the API) -> `{"ns.key": v}` (the provider's input)."""
    return {f"{ns}.{k}": v for ns, values in (tags or {}).items() for k, v in values.items()}


@dataclass
class Summary:
    """One Resource Search hit."""

    search_type: str
    id: str
    compartment_id: str
    name: str
    defined_tags: dict[str, Any]
    freeform_tags: dict[str, str]
    lifecycle_state: str


class Reads(Protocol):
    """The reads a type's mapping makes (`oci_reader.Reader`)."""

    region: str

    @property
    def namespace(self) -> str: ...

    def call(self, client: str, operation: str, method: str, *args: Any, **kwargs: Any) -> Any: ...

    def pages(
        self, client: str, operation: str, method: str, *args: Any, **kwargs: Any
    ) -> list[Any]: ...
