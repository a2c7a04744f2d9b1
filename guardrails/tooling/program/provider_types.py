"""Look up a provider's own Python classes from Pulumi type tokens.

The provider SDKs (pulumi_oci, pulumi_aws, ...) are the source of truth for what a resource
accepts and what a data source returns; reading them beats keeping hand-written lists that
drift with every provider release.

    oci:Identity/tag:Tag                          -> pulumi_oci.identity.TagArgs
    oci:ObjectStorage/getNamespace:getNamespace   -> pulumi_oci.objectstorage.GetNamespaceResult
    aws:index/getRegion:getRegion                 -> pulumi_aws.GetRegionResult
    aws:lambda/layerVersion:LayerVersion          -> pulumi_aws.lambda_.LayerVersionArgs
"""

from __future__ import annotations

import functools
import importlib
import keyword
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from guardrails.runtime import pulumi_compat

_TOKEN = re.compile(r"^(?P<pkg>[\w-]+):(?P<mod>\w+)(?:/\w+)?:(?P<member>\w+)$")


@functools.cache
def _module(token: str) -> tuple[ModuleType, str] | None:
    match = _TOKEN.match(token)
    if not match:
        return None
    package = "pulumi_" + match["pkg"].replace("-", "_")
    module = match["mod"].lower()
    if keyword.iskeyword(module):
        module += "_"
    # A provider's top module is `index` in tokens (aws:index/getRegion:getRegion) and the
    # package root in the Python SDK (pulumi_aws.get_region).
    name = package if module == "index" else f"{package}.{module}"
    try:
        return importlib.import_module(name), match["member"]
    except ImportError:
        return None


def _class(token: str, name: Callable[[str], str]) -> type | None:
    """The class `name(member)` in the token's provider module, if there is one."""
    found = _module(token)
    if found is None:
        return None
    module, member = found
    cls = getattr(module, name(member), None)
    return cls if isinstance(cls, type) else None


@functools.cache
def function_result_class(token: str) -> type | None:
    """The `@pulumi.output_type` class a data source returns, or None if unknown."""
    cls = _class(token, lambda fn: fn[:1].upper() + fn[1:] + "Result")
    return cls if cls is not None and pulumi_compat.is_output_type(cls) else None


@functools.cache
def resource_class(token: str) -> type | None:
    """The resource class of a type token (`pulumi_oci.database.AutonomousDatabase`)."""
    return _class(token, lambda member: member)


@functools.cache
def resource_output_types(token: str) -> dict[str, Any]:
    """camelCase output property name -> Python type, from the resource class."""
    cls = resource_class(token)
    if cls is None:
        return {}
    try:
        return dict(pulumi_compat.resource_types(cls))
    except (NameError, TypeError):  # unresolvable forward references in generated code
        return {}


@functools.cache
def resource_args_class(token: str) -> type | None:
    """The `@pulumi.input_type` Args class of a resource type, or None if unknown."""
    cls = _class(token, lambda member: f"{member}Args")
    return cls if cls is not None and pulumi_compat.is_input_type(cls) else None


@functools.cache
def resource_input_names(token: str) -> frozenset[str] | None:
    """The camelCase input property names a resource type accepts, or None if unknown."""
    cls = resource_args_class(token)
    if cls is None:
        return None
    return frozenset(pulumi_compat.input_type_py_to_pulumi_names(cls).values())


def accepts_input(token: str, name: str) -> bool:
    """Whether resources of `token` accept the camelCase input `name` (e.g. definedTags)."""
    names = resource_input_names(token)
    return names is not None and name in names
