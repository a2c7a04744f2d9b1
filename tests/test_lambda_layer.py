"""LambdaLayer under Pulumi's mock runtime, built from the local test wheelhouse."""

from __future__ import annotations

import re
import sys

import pytest

from components.lambda_layer import LambdaLayer, LambdaLayerArgs, LayerAlarms, LayerShare
from components.tagging import GovernanceTagging
from guardrails.runtime.layer_builder.build import LayerBuildError
from guardrails.runtime.validation import ComponentArgumentError
from tests.layer_wheels import HOST_ARCHITECTURE

RUNTIME = f"python3.{sys.version_info[1]}"
TAGGING = GovernanceTagging("CC-101", "dev", "platform", cost_centers=("CC-101",))
TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts"
ORG = "o-abcdefghij"


@pytest.fixture
def unbuilt_layer_args(tmp_path):
    """Arguments for a layer that is refused before anything is built (no wheelhouse)."""

    def make(**overrides):
        args = {
            "layer_name": "deps",
            "runtime": RUNTIME,
            "architecture": HOST_ARCHITECTURE,
            "tagging": TAGGING,
            "requirements": ["tinypkg==1.0"],
            "cache_dir": str(tmp_path / "cache"),
            "index_options": ["--no-index"],
        }
        return LambdaLayerArgs(**(args | overrides))

    return make


@pytest.fixture
def layer_args(unbuilt_layer_args, wheelhouse):
    def make(**overrides):
        index = {"index_options": ["--no-index", "--find-links", str(wheelhouse)]}
        return unbuilt_layer_args(**(index | overrides))

    return make


@pytest.mark.subprocess
def test_publishes_a_layer_version_with_its_hash_runtimes_and_skip_destroy(
    run_mocked, layer_args, tmp_path
):
    rec = run_mocked(lambda: LambdaLayer("deps", layer_args()))
    component = rec.value
    version = rec.inputs("deps-version")
    assert version["layerName"] == "deps"
    assert version["sourceCodeHash"] == component.build.source_code_hash
    assert version["compatibleRuntimes"] == [RUNTIME]
    assert version["compatibleArchitectures"] == [HOST_ARCHITECTURE]
    assert version["skipDestroy"] is True
    # Pulumi reads the zip from the content-addressed cache entry.
    assert component.build.zip_path.parent == tmp_path / "cache"
    assert version["code"] == f"<FileArchive {component.build.zip_path}>"
    assert "s3Bucket" not in version
    assert rec.named("deps-version").parent == rec.named("deps").urn
    assert rec.of_type("aws:s3/bucketObjectv2:BucketObjectv2") == []


@pytest.mark.subprocess
def test_build_dir_keeps_a_named_copy_of_the_zip(run_mocked, layer_args, tmp_path):
    rec = run_mocked(lambda: LambdaLayer("deps", layer_args(build_dir=str(tmp_path / "build"))))
    assert rec.value.build.zip_path == tmp_path / "build" / "deps.zip"
    assert rec.inputs("deps-version")["code"] == f"<FileArchive {tmp_path / 'build' / 'deps.zip'}>"


@pytest.mark.subprocess
def test_unchanged_inputs_publish_nothing_new(run_mocked, layer_args, tmp_path):
    first = run_mocked(lambda: LambdaLayer("deps", layer_args()))
    first_inputs = first.inputs("deps-version")
    second = run_mocked(lambda: LambdaLayer("deps", layer_args()))
    assert second.value.build.cache_hit
    assert second.inputs("deps-version") == first_inputs
    # Even without the cache, the rebuilt zip has the same hash.
    rebuilt = run_mocked(
        lambda: LambdaLayer("deps", layer_args(cache_dir=str(tmp_path / "other-cache")))
    )
    assert not rebuilt.value.build.cache_hit
    assert rebuilt.inputs("deps-version")["sourceCodeHash"] == first_inputs["sourceCodeHash"]


@pytest.mark.subprocess
def test_changed_requirements_change_the_hash(run_mocked, layer_args):
    one = run_mocked(lambda: LambdaLayer("deps", layer_args()))
    other = run_mocked(lambda: LambdaLayer("deps", layer_args(requirements=["tinydep==2.0"])))
    assert (
        one.inputs("deps-version")["sourceCodeHash"]
        != other.inputs("deps-version")["sourceCodeHash"]
    )


@pytest.mark.subprocess
def test_a_zip_over_50_mb_goes_through_s3(run_mocked, layer_args):
    rec = run_mocked(
        lambda: LambdaLayer(
            "big",
            layer_args(
                requirements=["bigpkg==1.0"],
                bytecode="none",
                s3_bucket="artifacts",
                extra_tags={"app": "orders"},
            ),
        )
    )
    build = rec.value.build
    assert build.needs_s3
    obj = rec.inputs("big-archive")
    assert obj["bucket"] == "artifacts"
    assert obj["key"] == f"lambda-layers/deps/{build.sha256}.zip"
    assert obj["tags"]["cost_center"] == "CC-101"
    assert obj["tags"]["app"] == "orders"
    version = rec.inputs("big-version")
    assert (version["s3Bucket"], version["s3Key"]) == ("artifacts", obj["key"])
    assert "code" not in version


@pytest.mark.subprocess
def test_a_zip_over_50_mb_without_a_bucket_is_refused(run_mocked, layer_args):
    with pytest.raises(ComponentArgumentError) as caught:
        run_mocked(
            lambda: LambdaLayer("big", layer_args(requirements=["bigpkg==1.0"], bytecode="none"))
        )
    assert re.search(
        r"LambdaLayer: s3_bucket is needed: the layer zip is 52\.\d MB, over the 50 MB",
        str(caught.value),
    )
    assert run_mocked.registered == []


@pytest.mark.subprocess
def test_shares_are_one_permission_per_principal(run_mocked, layer_args):
    shares = [
        LayerShare("210987654321"),
        LayerShare("arn:aws:iam::111122223333:root"),
        LayerShare("*", organization_id=ORG),
    ]
    rec = run_mocked(lambda: LambdaLayer("deps", layer_args(shares=shares)))
    permissions = rec.of_type("aws:lambda/layerVersionPermission:LayerVersionPermission")
    by_name = {p.name: p.inputs for p in permissions}
    assert set(by_name) == {"deps-210987654321", "deps-111122223333", f"deps-org-{ORG}"}
    org = by_name[f"deps-org-{ORG}"]
    assert (org["principal"], org["organizationId"]) == ("*", ORG)
    assert org["action"] == "lambda:GetLayerVersion"
    assert org["statementId"] == f"guardrails-org-{ORG}"
    assert "organizationId" not in by_name["deps-210987654321"]
    assert all(p.parent == rec.named("deps").urn for p in permissions)


@pytest.mark.subprocess
def test_public_share_needs_the_explicit_flag(run_mocked, layer_args):
    rec = run_mocked(lambda: LambdaLayer("deps", layer_args(shares=[LayerShare("*", public=True)])))
    assert rec.inputs("deps-public")["principal"] == "*"


@pytest.mark.parametrize(
    ("share", "message"),
    [
        (LayerShare("*"), "principal '*' shares the layer with every AWS account"),
        (LayerShare("1234"), "principal must be a 12-digit account id"),
        (LayerShare("*", organization_id="o-1"), "organization id must look like o-xxxxxxxxxx"),
        (LayerShare("210987654321", organization_id=ORG), "goes with principal '*' only"),
    ],
)
def test_bad_shares_are_refused_before_anything_is_built(
    run_mocked, unbuilt_layer_args, share, message, tmp_path
):
    with pytest.raises(ComponentArgumentError, match=re.escape(message)):
        run_mocked(lambda: LambdaLayer("deps", unbuilt_layer_args(shares=[share])))
    assert run_mocked.registered == []
    assert not (tmp_path / "cache").exists()


@pytest.mark.subprocess
def test_alarms_watch_errors_throttles_and_duration_of_each_function(run_mocked, layer_args):
    alarms = LayerAlarms(["orders", "billing"], TOPIC, duration_threshold_ms=3000)
    rec = run_mocked(lambda: LambdaLayer("deps", layer_args(alarms=alarms)))
    metric_alarms = rec.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(metric_alarms) == 6
    errors = rec.inputs("deps-orders-errors-alarm")
    assert errors["metricName"] == "Errors"
    assert errors["dimensions"] == {"FunctionName": "orders"}
    assert errors["alarmActions"] == [TOPIC]
    duration = rec.inputs("deps-billing-duration-alarm")
    assert (duration["statistic"], duration["threshold"]) == ("Maximum", 3000)
    assert rec.named("deps-orders-errors").parent == rec.named("deps").urn


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"layer_name": "deps:1"}, "layer_name must be 1-140 letters"),
        ({"requirements": ["tinypkg"]}, "'tinypkg' is not pinned"),
        ({"requirements": []}, "requirements or requirements_file: give exactly one"),
        ({"runtime": "python3.8"}, "unknown runtime 'python3.8'"),
        ({"architecture": "arm"}, "unknown architecture 'arm'"),
        ({"alarms": LayerAlarms([], TOPIC)}, "alarms.function_names must not be empty"),
        ({"alarms": LayerAlarms(["bad name"], TOPIC)}, "must hold Lambda function names"),
        ({"upload_via_s3": True}, "s3_bucket is needed when upload_via_s3 is true"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_declared(
    run_mocked, layer_args, overrides, message
):
    with pytest.raises(ComponentArgumentError, match=message):
        run_mocked(lambda: LambdaLayer("deps", layer_args(**overrides)))
    assert run_mocked.registered == []


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("leaky==1.0", "layer would publish credentials"),
        ("hugepkg==1.0", "over Lambda's limit of 262.1 MB"),
    ],
)
def test_a_refused_build_stops_the_program_and_publishes_nothing(
    run_mocked, layer_args, tmp_path, package, message
):
    with pytest.raises(LayerBuildError, match=message):
        run_mocked(lambda: LambdaLayer("deps", layer_args(requirements=[package], bytecode="none")))
    assert run_mocked.registered == []
    assert not (tmp_path / "cache").exists()
