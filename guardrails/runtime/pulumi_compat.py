"""The one door to Pulumi SDK internals.

guardrails relies on a few names the Pulumi SDKs do not document as public API: the type
metadata of `pulumi._types` (which inputs a provider resource takes, what a data source
returns), `pulumi.runtime.sync_await._sync_await` and `settings.set_root_resource` (to run a
program under mocks as the language host does), the secret signature of `pulumi.runtime.rpc`,
`MockMonitor.make_urn` (URNs as the engine forms them), the module globals of
`pulumi_policy.policy` that the pack's speed shim replaces, and the resource registry that
each provider package writes into its `__init__.py`. Every use goes through this module.

Importing it checks the `pulumi` names; `check_policy_sdk()` and `provider_resource_tokens()`
check theirs when first used. A broken assumption raises `PulumiSdkChanged`, naming the SDK
and its installed version, instead of failing somewhere deep inside a run. The speed shim is
optional: it is feature-detected, and `GUARDRAILS_POLICY_SHIM=0` turns it off.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pulumi
import pulumi.runtime
from pulumi import _types as _pulumi_types
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings
from pulumi.runtime import sync_await as _sync_await_module

from guardrails.runtime.errors import GuardrailsError

T = TypeVar("T")

# The environment variable that turns the policy pack's speed shim off ("0", "false", "off").
POLICY_SHIM_ENV = "GUARDRAILS_POLICY_SHIM"
# The pulumi_policy.policy globals the shim wraps (all three are pure conversions).
POLICY_SHIM_GLOBALS = ("json_format", "deserialize_properties", "unknown_checking_proxy")


class PulumiSdkChanged(GuardrailsError):
    """An installed Pulumi SDK no longer has what guardrails relies on."""


def sdk_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def _changed(distribution: str, what: str) -> PulumiSdkChanged:
    return PulumiSdkChanged(
        f"{distribution} {sdk_version(distribution)} no longer provides {what}, which guardrails "
        f"relies on; install a version within the bounds in pyproject.toml"
    )


def _check_pulumi() -> None:
    for name in (
        "is_input_type",
        "is_output_type",
        "input_type_py_to_pulumi_names",
        "output_type_types",
        "resource_types",
    ):
        if not callable(getattr(_pulumi_types, name, None)):
            raise _changed("pulumi", f"pulumi._types.{name}()")
    if not callable(getattr(_sync_await_module, "_sync_await", None)):
        raise _changed("pulumi", "pulumi.runtime.sync_await._sync_await()")
    if not callable(getattr(_settings, "set_root_resource", None)):
        raise _changed("pulumi", "pulumi.runtime.settings.set_root_resource()")
    for name in ("_special_sig_key", "_special_secret_sig"):
        if not isinstance(getattr(_rpc, name, None), str):
            raise _changed("pulumi", f"the secret signature pulumi.runtime.rpc.{name}")
    make_urn = getattr(_mocks.MockMonitor, "make_urn", None)
    if not callable(make_urn) or list(inspect.signature(make_urn).parameters) != [
        "self",
        "parent",
        "type_",
        "name",
    ]:
        raise _changed("pulumi", "MockMonitor.make_urn(self, parent, type_, name)")
    if not isinstance(getattr(pulumi.Resource, "pulumi_resource_name", None), property):
        raise _changed("pulumi", "the property Resource.pulumi_resource_name")


_check_pulumi()

# --- type metadata of provider classes (pulumi._types) --------------------------------------

is_input_type: Callable[[type], bool] = _pulumi_types.is_input_type
is_output_type: Callable[[type], bool] = _pulumi_types.is_output_type
input_type_py_to_pulumi_names: Callable[[type], dict[str, str]] = (
    _pulumi_types.input_type_py_to_pulumi_names
)
output_type_types: Callable[[type], dict[str, type]] = _pulumi_types.output_type_types
resource_types: Callable[[type], dict[str, type]] = _pulumi_types.resource_types

# --- running a program under mocks ----------------------------------------------------------

# The map key and value that mark a serialized secret.
SECRET_SIGNATURE: tuple[str, str] = (_rpc._special_sig_key, _rpc._special_secret_sig)
MockMonitor = _mocks.MockMonitor


def sync_await(awaitable: Awaitable[T]) -> T:
    """Run `awaitable` on the SDK's event loop, as the language host's entry point does."""
    result: T = _sync_await_module._sync_await(awaitable)
    return result


def clear_root_resource() -> None:
    """Forget the root stack `set_mocks` installs, so a program run registers its own."""
    _settings.set_root_resource(None)  # type: ignore[arg-type]


def resource_name(resource: pulumi.Resource) -> str:
    """The name a resource was constructed with."""
    return resource.pulumi_resource_name


# --- the policy pack's speed shim (pulumi_policy) -------------------------------------------


def policy_shim_enabled() -> bool:
    return os.environ.get(POLICY_SHIM_ENV, "1").strip().lower() not in ("0", "false", "off", "no")


def policy_module() -> ModuleType | None:
    """`pulumi_policy.policy` when it still has the globals the shim wraps, else None."""
    module = importlib.import_module("pulumi_policy.policy")
    json_format = getattr(module, "json_format", None)
    if not callable(getattr(json_format, "MessageToDict", None)):
        return None
    if not all(callable(getattr(module, name, None)) for name in POLICY_SHIM_GLOBALS[1:]):
        return None
    return module


def check_policy_sdk() -> None:
    """Raise unless pulumi_policy has what the pack and the shim expect."""
    if policy_module() is None:
        raise _changed(
            "pulumi-policy",
            "the pulumi_policy.policy globals " + ", ".join(POLICY_SHIM_GLOBALS),
        )


# --- provider packages ----------------------------------------------------------------------

_REGISTRY = re.compile(r'resource_modules="""(.*?)"""', re.S)


def provider_resource_tokens(package: str) -> list[str]:
    """Every resource type token a provider package (`pulumi_oci`) registers.

    The generated `__init__.py` of each provider passes its resource modules to
    `pulumi.runtime.register_resource_module` as a JSON literal; reading that literal is
    the only complete list short of importing every module.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise GuardrailsError(f"{package} is not installed")
    distribution = package.replace("_", "-")
    match = _REGISTRY.search(Path(spec.origin).read_text(encoding="utf-8"))
    if match is None:
        raise _changed(distribution, "its resource module registry in __init__.py")
    try:
        modules = json.loads(match.group(1))
        tokens = {token for module in modules for token in module["classes"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise _changed(distribution, "a readable resource module registry") from exc
    return sorted(tokens)
