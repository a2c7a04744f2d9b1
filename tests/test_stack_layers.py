"""Lambda layers in a stack: config schema, the stack program and the policy gate.

The checked-in stacks declare no layer (their gate needs no network); these tests give the
same program a stack file with layers built from the local test wheelhouse.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.program.preview import capture_program
from tests.conftest import ROOT
from tests.gating import gate_program
from tests.layer_wheels import HOST_ARCHITECTURE

RUNTIME = f"python3.{sys.version_info[1]}"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts"


def _project(tmp_path: Path, layers: dict[str, object]) -> Path:
    """A project running our stack program with the dev settings plus `layers`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    config = copy.deepcopy(settings["config"])
    config["guardrails:layers"] = layers
    (tmp_path / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "guardrails",
                "runtime": {"name": "python"},
                "main": str(ROOT / "stacks"),
                "stackConfigDir": ".",
            }
        )
    )
    (tmp_path / "Pulumi.layers.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def _layer(wheelhouse: Path, **overrides: object) -> dict[str, object]:
    return {
        "runtime": RUNTIME,
        "architecture": HOST_ARCHITECTURE,
        "requirements": ["tinypkg==1.0"],
        "strip": ["tests", "docs"],
        "findLinks": [str(wheelhouse)],
        "shares": [{"principal": "*", "organizationId": "o-abcdefghij"}],
        "alarms": {"functions": ["orders"], "topicArn": TOPIC, "durationMs": 3000},
    } | overrides


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """The program's layer builds cache under the test's own directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.subprocess
def test_a_stack_with_a_layer_builds_publishes_shares_and_alarms(wheelhouse, tmp_path):
    capture = capture_program(_project(tmp_path, {"deps": _layer(wheelhouse)}), "layers")
    by_type: dict[str, list[object]] = {}
    for resource in capture.resources:
        by_type.setdefault(resource.type, []).append(resource)
    (version,) = by_type["aws:lambda/layerVersion:LayerVersion"]
    assert version.inputs["layerName"] == "deps"
    assert version.inputs["compatibleRuntimes"] == [RUNTIME]
    assert version.inputs["skipDestroy"] is True
    assert len(version.inputs["sourceCodeHash"]) == 44
    assert len(by_type["aws:lambda/layerVersionPermission:LayerVersionPermission"]) == 1
    assert len(by_type["aws:cloudwatch/metricAlarm:MetricAlarm"]) == 3
    assert len(by_type["pulumi:providers:aws"]) == 1
    assert version.provider is not None and "pulumi:providers:aws" in version.provider
    zips = list((tmp_path / "cache" / "guardrails" / "layers").glob("*.zip"))
    assert version.inputs["code"] == f"<FileArchive {zips[0]}>"


@pytest.mark.subprocess
def test_the_gate_passes_a_governed_layer_and_fails_a_public_one(wheelhouse, tmp_path):
    governed = gate_program(_project(tmp_path / "ok", {"deps": _layer(wheelhouse)}), "layers")
    assert governed.passed, [f.policy for f in governed.findings if f.level == "mandatory"]
    public = {"deps": _layer(wheelhouse, shares=[{"principal": "*", "public": True}])}
    flawed = gate_program(_project(tmp_path / "public", public), "layers")
    assert not flawed.passed
    assert [f.policy for f in flawed.findings if f.level == "mandatory"] == [
        "aws-lambda-layerpermission-no-public"
    ]


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"runtime": "python3.9"}, "guardrails:layers.deps: unknown runtime 'python3.9'"),
        ({"requirements": ["tinypkg"]}, "'tinypkg' is not pinned"),
        ({"strip": ["dist-info"]}, "unknown strip option dist-info"),
        ({"shares": [{"principal": "*"}]}, "guardrails:layers.deps.shares[0]: principal '*'"),
        ({"shares": [{"principal": "42"}]}, "principal must be a 12-digit account id"),
        (
            {"alarms": {"functions": [], "topicArn": TOPIC}},
            "guardrails:layers.deps.alarms.functions",
        ),
        (
            {"alarms": {"functions": ["f"], "topicArn": "alerts"}},
            "alarms.topicArn: has an invalid format",
        ),
        ({"s3Bucket": "Not_A_Bucket"}, "guardrails:layers.deps.s3Bucket: has an invalid format"),
    ],
)
def test_bad_layer_config_names_the_key_path(wheelhouse, tmp_path, overrides, message):
    project = _project(tmp_path, {"deps": _layer(wheelhouse, **overrides)})
    with pytest.raises(GuardrailsError) as caught:
        capture_program(project, "layers")
    assert message in str(caught.value)
    assert not (tmp_path / "cache").exists()


@pytest.mark.subprocess
def test_a_bad_layer_name_is_a_config_error(wheelhouse, tmp_path):
    with pytest.raises(GuardrailsError, match=r"guardrails:layers\.bad name"):
        capture_program(_project(tmp_path, {"bad name": _layer(wheelhouse)}), "layers")
