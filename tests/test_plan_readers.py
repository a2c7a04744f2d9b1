"""Reading plans written by other tools into the capture record: Terraform's
`terraform show -json` (modules, count, for_each, unknown and sensitive values, references)
and Pulumi's `pulumi preview --json` (components, providers, unknowns, secrets, replacements)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi.runtime.rpc import UNKNOWN as PULUMI_UNKNOWN

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.plans import UNKNOWN, read_plan
from policies.naming import pulumi_token, terraform_type
from tests.conftest import FIXTURES

PLANS = FIXTURES / "plans"


@pytest.fixture(scope="module")
def modules():
    plan = read_plan(PLANS / "terraform_modules.json")
    return plan, plan.capture.by_urn()


@pytest.fixture(scope="module")
def preview():
    plan = read_plan(PLANS / "pulumi_preview.json")
    return plan, plan.capture.by_urn()


def test_unknown_is_pulumis_sentinel():
    assert UNKNOWN == PULUMI_UNKNOWN


def test_terraform_types_map_through_the_providers_naming_table():
    assert pulumi_token("oci_core_subnet") == "oci:Core/subnet:Subnet"
    assert pulumi_token("oci_containerengine_cluster") == "oci:ContainerEngine/cluster:Cluster"
    assert pulumi_token("oci_budget_alert_rule") == "oci:Budget/rule:Rule"
    assert pulumi_token("oci_file_storage_file_system") == "oci:FileStorage/fileSystem:FileSystem"
    assert pulumi_token("aws_sns_topic") == "aws:sns/topic:Topic"
    # names the token's spelling does not give
    assert terraform_type("aws:ec2/instance:Instance") == "aws_instance"
    assert terraform_type("aws:ec2/securityGroup:SecurityGroup") == "aws_security_group"
    assert terraform_type("aws:rds/instance:Instance") == "aws_db_instance"
    assert pulumi_token("aws_db_instance") == "aws:rds/instance:Instance"
    # pulumi-aws 7 renamed s3.BucketV2 to s3.Bucket (which aliases it): both are aws_s3_bucket,
    # and a plan's aws_s3_bucket becomes the current token
    assert terraform_type("aws:s3/bucketV2:BucketV2") == "aws_s3_bucket"
    assert terraform_type("aws:s3/bucket:Bucket") == "aws_s3_bucket"
    assert pulumi_token("aws_s3_bucket") == "aws:s3/bucket:Bucket"
    assert terraform_type("aws:ec2/noSuchThing:NoSuchThing") is None


def test_terraform_addresses_with_modules_count_and_for_each(modules):
    plan, by_urn = modules
    assert plan.tool == "terraform"
    assert sorted(by_urn) == [
        "aws_sns_topic.alerts",
        'module.network["db"].oci_core_route_table.this',
        'module.network["db"].oci_core_subnet.this[0]',
        'module.network["db"].oci_core_subnet.this[1]',
        'module.network["web"].oci_core_route_table.this',
        'module.network["web"].oci_core_subnet.this[0]',
        'module.network["web"].oci_core_subnet.this[1]',
        "oci_containerengine_cluster.oke",
        "oci_core_internet_gateway.igw",
        "oci_core_vcn.main",
        "oci_database_autonomous_database.orders",
        "oci_kms_key.logs",
        'oci_objectstorage_bucket.logs["app"]',
        'oci_objectstorage_bucket.logs["audit"]',
    ]  # no data source, no deleted bucket, no random_id
    assert plan.unmapped == {"random_id": 1}
    assert plan.checkov_resources == 15  # every managed resource of planned_values
    assert "have no Pulumi token" in plan.notes[0]
    subnet = by_urn['module.network["web"].oci_core_subnet.this[1]']
    assert subnet.type == "oci:Core/subnet:Subnet"
    assert subnet.name == subnet.urn
    assert subnet.inputs["prohibitPublicIpOnVnic"] is False
    assert subnet.inputs["definedTags"]["governance.cost_center"] == "CC-101"  # data keys kept


def test_terraform_unknown_values_carry_the_sentinel(modules):
    _, by_urn = modules
    bucket = by_urn['oci_objectstorage_bucket.logs["audit"]']
    assert bucket.inputs["kmsKeyId"] == UNKNOWN
    assert "id" not in bucket.inputs
    cluster = by_urn["oci_containerengine_cluster.oke"]
    assert cluster.inputs["endpointConfig"] == [
        {"isPublicIpEnabled": True, "nsgIds": None, "subnetId": UNKNOWN}
    ]


def test_terraform_sensitive_values_are_masked(modules):
    _, by_urn = modules
    db = by_urn["oci_database_autonomous_database.orders"]
    assert db.inputs["adminPassword"] == "[secret]"
    assert db.secret_inputs == ["adminPassword"]
    assert "Secr3t" not in json.dumps([r.inputs for r in by_urn.values()])


def test_terraform_dependencies_follow_references_through_modules(modules):
    _, by_urn = modules
    web = 'module.network["web"]'
    assert by_urn[f"{web}.oci_core_subnet.this[0]"].dependencies == [
        f"{web}.oci_core_route_table.this",
        "oci_core_vcn.main",  # var.vcn_id, set by the module call
    ]
    assert by_urn[f"{web}.oci_core_route_table.this"].dependencies == [
        "oci_core_internet_gateway.igw",  # var.igw_id
        "oci_core_vcn.main",
    ]
    # module.network["web"].subnet_ids: the output's references, in that module instance only
    assert by_urn["oci_containerengine_cluster.oke"].dependencies == [
        f"{web}.oci_core_subnet.this[0]",
        f"{web}.oci_core_subnet.this[1]",
        "oci_core_vcn.main",
    ]
    assert by_urn['oci_objectstorage_bucket.logs["app"]'].dependencies == ["oci_kms_key.logs"]


def test_pulumi_preview_steps_become_resources(preview):
    plan, by_urn = preview
    assert plan.tool == "pulumi"
    assert (plan.capture.project, plan.capture.stack) == ("shop", "dev")
    types = sorted({r.type for r in by_urn.values()})
    assert "pulumi:pulumi:Stack" not in types
    assert "acme:network:Network" in types and "pulumi:providers:aws" in types
    assert not any(r.name == "old-public" for r in by_urn.values())  # deleted
    subnet = next(r for r in by_urn.values() if r.name == "edge-public")
    assert subnet.parent == "urn:pulumi:dev::shop::acme:network:Network::edge"
    assert subnet.urn.endswith("acme:network:Network$oci:Core/subnet:Subnet::edge-public")
    assert subnet.inputs["routeTableId"] == UNKNOWN
    assert any(d.endswith("::edge-public-rt") for d in subnet.dependencies)
    assert (
        subnet.provider == "urn:pulumi:dev::shop::pulumi:providers:oci::default_3_1_0::" + UNKNOWN
    )
    component = next(r for r in by_urn.values() if r.type == "acme:network:Network")
    assert component.custom is False


def test_pulumi_preview_replacement_secrets_and_protect(preview):
    plan, by_urn = preview
    [db] = [r for r in by_urn.values() if r.name == "orders"]  # three steps, one resource
    assert db.inputs["dbName"] == "ORDERS2"
    assert db.protect is True
    assert db.inputs["adminPassword"] == "[secret]"
    assert db.secret_inputs == ["adminPassword"]
    assert plan.config == {"aws:region": "eu-central-1", "shop:dbPassword": "[secret]"}
    assert plan.notes == [
        "3 unchanged resources are not in the file (run pulumi preview --json --show-sames): "
        "stack rules saw only the changed ones"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        (
            '{"resources": []}',
            "neither a Terraform plan (terraform show -json: planned_values or "
            "resource_changes) nor a Pulumi preview (pulumi preview --json: steps)",
        ),
        ("[1, 2]", "neither a Terraform plan"),
        (
            '{"format_version": "2.0", "planned_values": {}}',
            "Terraform plan format 2.0 is not one guardrails reads (0.1 from Terraform "
            "0.12-0.15, 0.2 from 1.0, 1.x from 1.1 on)",
        ),
        (
            '{"steps": [{"op": "create", "newState": {"urn": "x", "type": "t"}}]}',
            "malformed URN 'x'",
        ),
        ('{"steps": ["create"]}', "a step is not a JSON object"),
        (
            '{"steps": [{"op": "create", "newState": {"urn": "urn:pulumi:d::p::t::n", "inputs": 1}}]}',
            "step urn:pulumi:d::p::t::n has no type or no input object",
        ),
    ],
)
def test_bad_plan_files_are_clear_errors(tmp_path: Path, content: str, message: str):
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(GuardrailsError) as err:
        read_plan(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_missing_plan_file(tmp_path: Path):
    with pytest.raises(GuardrailsError, match=r"plan\.json: plan file not found"):
        read_plan(tmp_path / "plan.json")
