"""What guardrails assumes about the Pulumi SDKs, checked against the installed versions.

Every private name goes through `guardrails.runtime.pulumi_compat`. These tests fail loudly,
naming the SDK and its version, when an SDK upgrade breaks an assumption or leaves the
bounds in pyproject.toml; the pack's speed shim is feature-detected and can be turned off.
"""

from __future__ import annotations

import importlib.metadata
import sys
import tomllib

import pulumi_policy.policy
import pytest
from packaging.requirements import Requirement

from guardrails.runtime import pulumi_compat
from guardrails.runtime.pulumi_compat import PulumiSdkChanged
from policies.crossguard import decode_each_request_once
from tests.conftest import ROOT

SDKS = ("pulumi", "pulumi-oci", "pulumi-aws", "pulumi-policy")


def _requirements() -> dict[str, Requirement]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    parsed = [Requirement(r) for r in doc["project"]["dependencies"]]
    return {r.name: r for r in parsed}


@pytest.mark.parametrize("sdk", SDKS)
def test_installed_sdks_are_within_the_bounds_the_suite_has_seen(sdk):
    requirement = _requirements()[sdk]
    version = importlib.metadata.version(sdk)
    assert any(s.operator == "<" for s in requirement.specifier), f"{sdk} needs an upper bound"
    assert requirement.specifier.contains(version), (
        f"{sdk} {version} is outside {requirement.specifier}: run the suite on it, then move "
        "the bound in pyproject.toml"
    )


def test_every_assumption_holds_on_the_installed_sdks():
    pulumi_compat._check_pulumi()
    pulumi_compat.check_policy_sdk()
    assert pulumi_compat.policy_module() is pulumi_policy.policy
    assert "oci:Identity/tag:Tag" in pulumi_compat.provider_resource_tokens("pulumi_oci")
    assert "aws:lambda/layerVersion:LayerVersion" in pulumi_compat.provider_resource_tokens(
        "pulumi_aws"
    )
    from pulumi_oci.identity import TagArgs

    assert pulumi_compat.is_input_type(TagArgs)
    assert "tagNamespaceId" in pulumi_compat.input_type_py_to_pulumi_names(TagArgs).values()


@pytest.mark.parametrize(
    ("module", "name", "missing"),
    [
        ("pulumi.runtime.settings", "set_root_resource", "set_root_resource()"),
        ("pulumi.runtime.sync_await", "_sync_await", "sync_await._sync_await()"),
        ("pulumi.runtime.rpc", "_special_secret_sig", "the secret signature"),
        ("pulumi._types", "resource_types", "pulumi._types.resource_types()"),
    ],
)
def test_a_missing_pulumi_name_is_a_clear_error_naming_the_version(
    monkeypatch, module, name, missing
):
    monkeypatch.delattr(sys.modules[module], name)
    with pytest.raises(PulumiSdkChanged) as caught:
        pulumi_compat._check_pulumi()
    version = importlib.metadata.version("pulumi")
    assert str(caught.value).startswith(f"pulumi {version} no longer provides ")
    assert missing in str(caught.value)
    assert "install a version within the bounds in pyproject.toml" in str(caught.value)


def test_a_changed_make_urn_signature_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(pulumi_compat.MockMonitor, "make_urn", lambda self, parent, t, n, x: "")
    with pytest.raises(
        PulumiSdkChanged, match=r"MockMonitor.make_urn\(self, parent, type_, name\)"
    ):
        pulumi_compat._check_pulumi()


def test_the_speed_shim_is_skipped_when_pulumi_policy_changed(monkeypatch):
    monkeypatch.setattr(pulumi_policy.policy, "unknown_checking_proxy", None)
    assert pulumi_compat.policy_module() is None
    assert decode_each_request_once() is False
    version = importlib.metadata.version("pulumi-policy")
    with pytest.raises(PulumiSdkChanged, match=f"pulumi-policy {version} no longer provides"):
        pulumi_compat.check_policy_sdk()


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_the_speed_shim_can_be_turned_off(monkeypatch, value):
    monkeypatch.setenv(pulumi_compat.POLICY_SHIM_ENV, value)
    before = pulumi_policy.policy.unknown_checking_proxy
    assert decode_each_request_once() is False
    assert pulumi_policy.policy.unknown_checking_proxy is before


def test_a_provider_without_its_registry_is_a_clear_error(tmp_path, monkeypatch):
    package = tmp_path / "pulumi_fakeprovider"
    package.mkdir()
    (package / "__init__.py").write_text("# no resource module registry here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PulumiSdkChanged) as caught:
        pulumi_compat.provider_resource_tokens("pulumi_fakeprovider")
    assert str(caught.value).startswith(
        "pulumi-fakeprovider (version unknown) no longer provides its resource module registry"
    )
