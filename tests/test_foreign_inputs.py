"""No silent passes on plans and programs written elsewhere (issue 17): Terraform names from
the providers' own table, every plan format Terraform writes, tags as Terraform computes
them, suppression patterns over `count`/`for_each` addresses, data sources of a provider's
top module, mock entries that answer nothing, and messages in the subject's terms."""

from __future__ import annotations

import datetime as dt
import json
from importlib import metadata
from pathlib import Path

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.diagnostics import TERRAFORM_UNKNOWN, unknown_message
from guardrails.tooling.gate.ledger import Suppression
from guardrails.tooling.plans import UNKNOWN, read_plan
from guardrails.tooling.program.messages import stringified_values
from guardrails.tooling.program.mock_answers import parse_mock_answers, unused_entries
from guardrails.tooling.program.provider_types import function_result_class
from policies.naming import TERRAFORM_TYPES, pulumi_token, terraform_type
from tests.tf_plans import TfPlan, aws_provider

# --- names from the providers ------------------------------------------------------------------


def test_the_table_records_its_source_and_the_installed_sdk_versions():
    doc = json.loads(TERRAFORM_TYPES.read_text())
    for provider, dist in (("aws", "pulumi-aws"), ("oci", "pulumi-oci")):
        data = doc["providers"][provider]
        # a provider upgrade makes this fail: regenerate the table for the new version
        assert data["sdk"] == f"{dist} {metadata.version(dist)}", provider
        assert data["source"].startswith(("bridge-metadata.json", "provider/resources.go"))
        assert all(tf.startswith(f"{provider}_") for tf in data["resources"].values())
        # every Terraform name leads back to one of the tokens carrying it
        for tf, token in data["terraform"].items():
            assert data["resources"][token] == tf


@pytest.mark.parametrize(
    ("token", "terraform"),
    [
        ("aws:ec2/instance:Instance", "aws_instance"),
        ("aws:ec2/securityGroup:SecurityGroup", "aws_security_group"),
        ("aws:ec2/securityGroupRule:SecurityGroupRule", "aws_security_group_rule"),
        ("aws:ec2/subnet:Subnet", "aws_subnet"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/internetGateway:InternetGateway", "aws_internet_gateway"),
        ("aws:ec2/routeTable:RouteTable", "aws_route_table"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
        ("aws:elb/loadBalancer:LoadBalancer", "aws_elb"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template"),
        ("aws:cloudtrail/trail:Trail", "aws_cloudtrail"),
        ("aws:apigateway/restApi:RestApi", "aws_api_gateway_rest_api"),
        ("oci:FileStorage/fileSystem:FileSystem", "oci_file_storage_file_system"),
        ("oci:Budget/rule:Rule", "oci_budget_alert_rule"),
        ("oci:Core/instance:Instance", "oci_core_instance"),
    ],
)
def test_names_the_token_spelling_does_not_give(token: str, terraform: str):
    assert terraform_type(token) == terraform
    assert pulumi_token(terraform) == token


# --- plan formats and encodings ----------------------------------------------------------------


def _one_topic(plan: TfPlan) -> TfPlan:
    plan.add(
        "aws_sns_topic",
        "alerts",
        {"name": "alerts", "tags": {"cost_center": "CC-101", "environment": "dev"}},
        unknown={"arn": True, "tags_all": True},
    )
    return plan


@pytest.mark.parametrize(
    ("version", "terraform"), [("0.1", "0.14.11"), ("0.2", "1.0.11"), ("1.0", "1.1.9"),
                               ("1.2", "1.9.5")],
)  # fmt: skip
def test_every_plan_format_terraform_has_written_is_read(tmp_path, version, terraform):
    plan = _one_topic(TfPlan(format_version=version, terraform_version=terraform))
    read = read_plan(plan.write(tmp_path / "plan.json"))
    assert [r.urn for r in read.capture.resources] == ["aws_sns_topic.alerts"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_and_bom_plans_are_read(tmp_path, encoding):
    path = tmp_path / "plan.json"
    text = json.dumps(_one_topic(TfPlan()).document())
    if encoding in ("utf-16-le", "utf-16-be"):  # PowerShell writes the byte-order mark
        bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
        path.write_bytes(bom + text.encode(encoding))
    else:
        path.write_text(text, encoding=encoding)
    assert [r.type for r in read_plan(path).capture.resources] == ["aws:sns/topic:Topic"]


def test_a_binary_plan_file_is_refused_with_the_command_that_converts_it(tmp_path):
    path = tmp_path / "plan.out"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(GuardrailsError) as err:
        read_plan(path)
    assert str(err.value) == (
        f"{path}: this is Terraform's binary plan file; give guardrails its JSON: "
        "terraform show -json plan.out > plan.json"
    )


# --- tags as Terraform computes them -----------------------------------------------------------


def _inputs(plan: TfPlan, tmp_path: Path) -> dict[str, dict]:
    read = read_plan(plan.write(tmp_path / "plan.json"))
    return {r.urn: r.inputs for r in read.capture.resources}


def test_an_untagged_aws_resource_without_default_tags_has_no_tags(tmp_path):
    plan = TfPlan(provider_config={"aws": aws_provider()})
    plan.add("aws_sqs_queue", "jobs", {"name": "jobs", "tags": None},
             unknown={"arn": True, "tags_all": True})  # fmt: skip
    inputs = _inputs(plan, tmp_path)["aws_sqs_queue.jobs"]
    assert inputs["tags"] == {} and inputs["tagsAll"] == {}


def test_default_tags_count_as_terraform_merges_them(tmp_path):
    defaults = {"cost_center": "CC-101", "environment": "dev"}
    plan = TfPlan(provider_config={"aws": aws_provider(default_tags=defaults)})
    plan.add("aws_sqs_queue", "jobs", {"name": "jobs", "tags": {"environment": "staging"}},
             unknown={"arn": True, "tags_all": True})  # fmt: skip
    inputs = _inputs(plan, tmp_path)["aws_sqs_queue.jobs"]
    assert inputs["tagsAll"] == {"cost_center": "CC-101", "environment": "staging"}


def test_default_tags_from_a_root_variable_use_the_plans_value(tmp_path):
    plan = TfPlan(
        provider_config={"aws": aws_provider(tags_ref="var.default_tags")},
        variables={"default_tags": {"value": {"cost_center": "CC-202", "environment": "prod"}}},
    )
    plan.add("aws_sqs_queue", "jobs", {"name": "jobs", "tags": None},
             unknown={"tags_all": True})  # fmt: skip
    assert _inputs(plan, tmp_path)["aws_sqs_queue.jobs"]["tagsAll"] == {
        "cost_center": "CC-202",
        "environment": "prod",
    }


def test_default_tags_computed_from_something_unknown_stay_unknown(tmp_path):
    plan = TfPlan(provider_config={"aws": aws_provider(tags_ref="data.external.tags.result")})
    plan.add("aws_sqs_queue", "jobs", {"name": "jobs", "tags": None},
             unknown={"tags_all": True})  # fmt: skip
    assert _inputs(plan, tmp_path)["aws_sqs_queue.jobs"]["tagsAll"] == UNKNOWN


def test_a_tag_from_an_unknown_reference_stays_unknown(tmp_path):
    plan = TfPlan(provider_config={"aws": aws_provider()})
    plan.add(
        "aws_sqs_queue",
        "jobs",
        {"name": "jobs", "tags": {"cost_center": "CC-101"}},
        unknown={"tags": {"environment": True}, "tags_all": True},
        expressions={"tags": {"references": ["random_pet.env.id", "random_pet.env"]}},
    )
    inputs = _inputs(plan, tmp_path)["aws_sqs_queue.jobs"]
    assert inputs["tags"]["environment"] == UNKNOWN and inputs["tagsAll"] == UNKNOWN


def test_module_resources_use_the_provider_passed_down(tmp_path):
    plan = TfPlan(provider_config={"aws": aws_provider(default_tags={"cost_center": "CC-1"})})
    plan.add("aws_sqs_queue", "jobs", {"name": "jobs", "tags": None},
             unknown={"tags_all": True}, module='module.queues["a"]',
             provider_key="queues:aws")  # fmt: skip
    inputs = _inputs(plan, tmp_path)['module.queues["a"].aws_sqs_queue.jobs']
    assert inputs["tagsAll"] == {"cost_center": "CC-1"}


def test_oci_tags_the_configuration_does_not_set_are_missing_not_unknown(tmp_path):
    plan = TfPlan()
    plan.add(
        "oci_objectstorage_bucket",
        "logs",
        {"name": "logs", "namespace": "ns", "compartment_id": "c"},
        unknown={"defined_tags": True, "freeform_tags": True},
    )
    plan.add(
        "oci_objectstorage_bucket",
        "data",
        {"name": "data", "namespace": "ns", "compartment_id": "c"},
        unknown={"defined_tags": True},
        expressions={"name": {"constant_value": "data"},
                     "defined_tags": {"references": ["local.tags"]}},
    )  # fmt: skip
    inputs = _inputs(plan, tmp_path)
    assert inputs["oci_objectstorage_bucket.logs"]["definedTags"] == {}
    assert inputs["oci_objectstorage_bucket.logs"]["freeformTags"] == {}
    assert inputs["oci_objectstorage_bucket.data"]["definedTags"] == UNKNOWN


def test_unknown_values_of_a_terraform_plan_are_said_in_terraforms_terms():
    message = (
        "can't run policy 'p' from policy pack 'guardrails' during preview: string value at "
        ".subnetId can't be known during preview"
    )
    assert unknown_message(message, TERRAFORM_UNKNOWN) == (
        "not decided offline: `subnetId` is known only after apply in this Terraform plan; the "
        "rule decides on a plan made once it is known (after the apply that creates what it "
        "depends on)"
    )


# --- suppression patterns ------------------------------------------------------------------------


def _entry(resource: str) -> Suppression:
    return Suppression("aws-ec2-securitygroup-no-public-admin-ports", resource, "reason given",
                       dt.date(2099, 1, 1))  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "address", "matches"),
    [
        ("aws_route53_zone.example[*]", "aws_route53_zone.example[0]", True),
        ("aws_route53_zone.example[*]", 'aws_route53_zone.example["a"]', True),
        ("aws_route53_zone.example[*]", "aws_route53_zone.example", False),
        ("aws_route53_zone.example[*]", "aws_route53_zone.examplex", False),
        ('module.sg["*"].aws_security_group.bad', 'module.sg["web"].aws_security_group.bad', True),
        ('module.sg["*"].aws_security_group.bad', "module.sg[0].aws_security_group.bad", False),
        ("module.sg[?].aws_security_group.bad", "module.sg[1].aws_security_group.bad", True),
        ("aws_security_group.bad", "aws_security_group.bad", True),
        ("urn:pulumi:dev::shop::*::web-sg", "urn:pulumi:dev::shop::aws:ec2/x:X::web-sg", True),
    ],
)
def test_suppression_patterns_read_brackets_and_quotes_literally(pattern, address, matches):
    assert (
        _entry(pattern).matches("aws-ec2-securitygroup-no-public-admin-ports", address) is matches
    )


# --- mocks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
    ],
)
def test_data_sources_of_a_providers_top_module_have_their_result_class(token):
    cls = function_result_class(token)
    assert cls is not None and cls.__module__.startswith("pulumi_aws.")


def test_a_token_whose_middle_segment_is_wrong_is_refused():
    with pytest.raises(GuardrailsError) as err:
        parse_mock_answers(
            {"oci:Identity/getAvailabilityDomain:getAvailabilityDomains": {}}, "mocks.yaml"
        )
    assert str(err.value) == (
        "mocks.yaml: oci:Identity/getAvailabilityDomain:getAvailabilityDomains: the middle "
        "segment 'getAvailabilityDomain' does not name the function 'getAvailabilityDomains'; "
        "did you mean oci:Identity/getAvailabilityDomains:getAvailabilityDomains?"
    )


def test_mock_entries_that_answer_no_call_are_named():
    answers = parse_mock_answers(
        {
            "aws:index/getRegion:getRegion": {"name": "eu-west-1"},
            "oci:Core/getImages:getImages": [
                {"when": {"operatingSystem": "Oracle Linux"}, "answer": {"images": []}},
                {"when": {"operatingSystem": "Windows"}, "answer": {"images": []}},
            ],
            "aws:index/getPartition:getPartition": {"partition": "aws"},
        },
        "mocks.yaml",
    )
    calls = [
        ("aws:index/getRegion:getRegion", {}),
        ("oci:Core/getImages:getImages", {"operatingSystem": "Oracle Linux", "shape": "x"}),
    ]
    assert unused_entries(answers, calls) == [
        "oci:Core/getImages:getImages[1]",
        "aws:index/getPartition:getPartition",
    ]


# --- messages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "values"),
    [
        ('pulumi.export("m", f"name: {bucket.bucket}")', ["bucket.bucket"]),
        ('url = f"https://{lb.dns_name}:{port}/"', ["lb.dns_name", "port"]),
        ("name = str(vcn.id)", ["vcn.id"]),
        ("x = (", []),
        ("pulumi.export('n', 1)", []),
    ],
)
def test_output_warnings_name_the_value(line, values):
    assert stringified_values(line) == values
