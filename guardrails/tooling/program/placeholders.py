"""Well-formed placeholder values where a preview has no real ones: data-source answers
(empty lists, placeholder strings, numeric versions) and, for component tests run with
`preview=False`, the outputs a created resource would report."""

from __future__ import annotations

import functools
import re
import typing
from collections import abc
from typing import Any

from guardrails.runtime import pulumi_compat
from guardrails.tooling.program.provider_types import function_result_class, resource_output_types

PLACEHOLDER_ID = "preview-id"
PLACEHOLDER_ACCOUNT = "123456789012"
_MAX_DEPTH = 3


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _placeholder(name: str, typ: Any, depth: int = 0) -> Any:
    """A well-formed but empty value for one field of a data-source result."""
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return _placeholder(name, args[0], depth) if args else None
    if origin in (list, abc.Sequence) or typ is list:
        return []
    if origin in (dict, abc.Mapping) or typ is dict:
        return {}
    if typ is str:
        if name == "id":
            return PLACEHOLDER_ID
        # Version strings are numeric (Lambda layer and function versions, OCI object
        # versions); programs convert them, e.g. to a LayerVersionPermission's version_number.
        return "1" if name == "version" else f"preview-{_kebab(name)}"
    if typ is bool:
        return False
    if typ in (int, float):
        return 0
    if isinstance(typ, type) and pulumi_compat.is_output_type(typ) and depth < _MAX_DEPTH:
        return _placeholder_result(typ, depth + 1)
    return None


def _placeholder_result(cls: type, depth: int = 0) -> dict[str, Any]:
    return _placeholders(pulumi_compat.output_type_types(cls), depth)


def _placeholders(types: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    return {name: _placeholder(name, typ, depth) for name, typ in types.items()}


@functools.cache
def _resource_placeholders(token: str) -> dict[str, Any]:
    # Scalars, empty lists and maps only: nested objects would multiply the SDK's
    # serialization work per resource for values no program in practice reads offline.
    placeholders = _placeholders(resource_output_types(token), depth=_MAX_DEPTH)
    return {k: v for k, v in placeholders.items() if v is not None}


def resource_outputs(token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What a created resource would report: its inputs, and for every other output property
    a well-formed placeholder (an ARN for AWS `arn`), so dependent resources get values."""
    outputs = {
        k: (v.copy() if isinstance(v, list | dict) else v)
        for k, v in _resource_placeholders(token).items()
    }
    if "arn" in outputs and token.startswith("aws:"):
        service = token.split(":")[1].split("/", maxsplit=1)[0]
        outputs["arn"] = f"arn:aws:{service}:us-east-1:{PLACEHOLDER_ACCOUNT}:{name}"
    outputs.update(inputs)
    return outputs


def placeholder_answer(token: str) -> dict[str, Any]:
    """The answer the preview gives to a data-source call: empty lists, placeholder strings."""
    cls = function_result_class(token)
    return _placeholder_result(cls) if cls is not None else {}
