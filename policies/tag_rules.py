"""Tagging rules: governance tags on every OCI and AWS resource that accepts tags.

Which types accept tags comes from `data/taggable_types.json`, generated from the provider
SDKs' Args classes (`python -m guardrails.tooling.catalog_data.taggable_types`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from policies.model import ConfigField, Resource, Rule, one

_DATA = Path(__file__).resolve().parent / "data" / "taggable_types.json"


@cache
def taggable_types(tag_input: str) -> frozenset[str]:
    """Resource types whose Args class has `tag_input` (definedTags for OCI, tags for AWS)."""
    doc: dict[str, list[str]] = json.loads(_DATA.read_text(encoding="utf-8"))
    return frozenset(doc[tag_input])


# A copy of guardrails.runtime.limits.ENVIRONMENTS (the catalog imports only policies.*, as it
# also runs in checkov's environment); tests/test_limits.py keeps the two equal.
ALLOWED_VALUES = {"environment": ["dev", "staging", "prod"]}
TAG_NAMESPACE = "oci:Identity/tagNamespace:TagNamespace"
TAG_DEFINITION = "oci:Identity/tag:Tag"
OCI_TAG_CONFIG = {
    "namespace": ConfigField(
        "string", "Defined-tag namespace of the governance tags", "governance"
    ),
    "requiredKeys": ConfigField(
        "array", "Keys every taggable resource must carry", ["cost_center", "environment"], "string"
    ),
    "allowedValues": ConfigField(
        "object",
        'Allowed values per key, e.g. {"cost_center": ["CC-101"]}',
        ALLOWED_VALUES,
        values="array",
    ),
    "defaultValues": ConfigField(
        "object",
        'Values remediation fills in for missing keys, e.g. {"environment": "dev"}',
        {},
        values="string",
    ),
    "exemptTypes": ConfigField(
        "array",
        "Types not checked; the tag namespace and its tags cannot carry tags that do not exist yet",
        ["oci:Identity/tagNamespace:TagNamespace", "oci:Identity/tag:Tag"],
        "string",
    ),
}
AWS_TAG_CONFIG = {
    "requiredKeys": ConfigField(
        "array",
        "Tag keys every taggable resource must carry",
        ["cost_center", "environment"],
        "string",
    ),
    "allowedValues": ConfigField(
        "object", "Allowed values per key", ALLOWED_VALUES, values="array"
    ),
}


def _oci_tags(resource: Resource, namespace: str) -> dict[str, str]:
    tags = resource.get("definedTags", {})
    prefix = f"{namespace}."
    return {
        k[len(prefix) :]: v for k, v in tags.items() if isinstance(k, str) and k.startswith(prefix)
    }


def aws_tags(resource: Resource) -> dict[str, str]:
    """The resource's tags plus the provider's default tags (resource tags win)."""
    defaults = resource.provider_value("defaultTags") or {}
    provider_tags = defaults.get("tags", {}) if isinstance(defaults, Mapping) else {}
    tags_all = resource.get("tagsAll", {})  # Terraform plans carry the merged map here
    return {**provider_tags, **tags_all, **resource.get("tags", {})}


def _missing(tags: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    return [k for k in keys if not tags.get(k)]


def _disallowed(tags: Mapping[str, Any], allowed: Mapping[str, list[str]]) -> list[str]:
    return [
        f"{k}={tags[k]!r} (allowed: {', '.join(values)})"
        for k, values in sorted(allowed.items())
        if k in tags and tags[k] not in values
    ]


def _check_oci_required(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    if resource.type in config["exemptTypes"]:
        return
    ns = config["namespace"]
    missing = _missing(_oci_tags(resource, ns), config["requiredKeys"])
    if missing:
        yield (
            f"missing defined tags {', '.join(f'{ns}.{k}' for k in missing)}; "
            "add them to definedTags"
        )


def _check_oci_values(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    bad = _disallowed(_oci_tags(resource, config["namespace"]), config["allowedValues"])
    if bad:
        yield f"defined tag values not allowed: {'; '.join(bad)}"


def _remediate_oci(resource: Resource, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Fill in missing governance tags that have a configured default value."""
    if resource.type in config["exemptTypes"]:
        return None
    ns = config["namespace"]
    tags = dict(resource.get("definedTags", {}))
    present = _oci_tags(resource, ns)
    added = {
        f"{ns}.{k}": v
        for k, v in config["defaultValues"].items()
        if k in config["requiredKeys"] and not present.get(k)
    }
    if not added:
        return None
    return {**resource.props, "definedTags": {**tags, **added}}


def _check_aws_required(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    missing = _missing(aws_tags(resource), config["requiredKeys"])
    if missing:
        yield (
            f"missing tags {', '.join(missing)} (provider defaultTags count); "
            "add them to tags or to the provider's defaultTags"
        )


def _check_aws_values(resource: Resource, config: Mapping[str, Any]) -> Iterable[str]:
    bad = _disallowed(aws_tags(resource), config["allowedValues"])
    if bad:
        yield f"tag values not allowed: {'; '.join(bad)}"


def enum_values(resources: Sequence[Resource], default_namespace: str) -> dict[str, list[str]]:
    """`namespace.key` -> allowed values, for every tag definition in the stack whose
    validator is an ENUM. A tag's namespace is the TagNamespace it depends on (its name),
    else `default_namespace` (a namespace another stack owns)."""
    namespaces = {r.urn: r.get("name") for r in resources if r.type == TAG_NAMESPACE}
    out: dict[str, list[str]] = {}
    for tag in resources:
        if tag.type != TAG_DEFINITION:
            continue
        validator = one(tag.get("validator"))
        values = validator.get("values")
        if str(validator.get("validatorType", "")).upper() != "ENUM" or not values:
            continue
        owner = next((namespaces[d] for d in tag.dependencies if d in namespaces), None)
        out[f"{owner or default_namespace}.{tag.get('name')}"] = [str(v) for v in values]
    return out


def _check_oci_enum_values(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterable[tuple[str | None, str]]:
    allowed = enum_values(resources, config["namespace"])
    if not allowed:
        return
    for resource in resources:
        if resource.type in config["exemptTypes"]:
            continue
        tags = resource.get("definedTags", {})
        if not isinstance(tags, Mapping):
            continue
        bad = [
            f"{key}={tags[key]!r} (allowed: {', '.join(values)})"
            for key, values in sorted(allowed.items())
            if key in tags and tags[key] not in values
        ]
        if bad:
            yield (
                resource.urn,
                "defined tag values not allowed by the tag definitions' ENUM validators: "
                + "; ".join(bad),
            )


OCI_STACK_TAG_CONFIG = {key: OCI_TAG_CONFIG[key] for key in ("namespace", "exemptTypes")}

RULES = (
    Rule(
        id="oci-tagging-resource-required-tags",
        description="Every OCI resource that accepts defined tags carries the governance tags.",
        severity="high",
        enforcement="mandatory",
        resource_types=taggable_types("definedTags"),
        check=_check_oci_required,
        config=OCI_TAG_CONFIG,
        remediate=_remediate_oci,
        remediation_steps="Pass governance tags (components.tagging) or set defaultValues.",
    ),
    Rule(
        id="oci-tagging-resource-allowed-values",
        description="Governance defined-tag values are among the allowed values.",
        severity="medium",
        enforcement="mandatory",
        resource_types=taggable_types("definedTags"),
        check=_check_oci_values,
        config=OCI_TAG_CONFIG,
    ),
    Rule(
        id="oci-tagging-stack-allowed-values",
        description="Defined-tag values are among the values of the ENUM validator of the tag "
        "definition declared in the same stack.",
        severity="medium",
        enforcement="mandatory",
        check_stack=_check_oci_enum_values,
        config=OCI_STACK_TAG_CONFIG,
    ),
    Rule(
        id="aws-tagging-resource-required-tags",
        description="Every AWS resource that accepts tags carries cost_center and environment, "
        "counting the provider's defaultTags.",
        severity="high",
        enforcement="mandatory",
        resource_types=taggable_types("tags"),
        check=_check_aws_required,
        config=AWS_TAG_CONFIG,
    ),
    Rule(
        id="aws-tagging-resource-allowed-values",
        description="Governance tag values on AWS resources are among the allowed values.",
        severity="medium",
        enforcement="mandatory",
        resource_types=taggable_types("tags"),
        check=_check_aws_values,
        config=AWS_TAG_CONFIG,
    ),
)
