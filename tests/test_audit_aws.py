"""`guardrails audit --cloud aws` end to end against a real moto server: boto3's own calls,
the real policy pack process, reports and exit codes; every rule that applies to a live AWS
type has a live case asserting its message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from guardrails.tooling.cli import main
from tests.aws_faults import FaultProxy, serving

pytestmark = pytest.mark.subprocess  # the real policy pack process and moto

REGION = "eu-west-1"
TAGS = [{"Key": "cost_center", "Value": "CC-101"}, {"Key": "environment", "Value": "dev"}]
READ = ("Get", "Describe", "List")


@pytest.fixture
def aws_args(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    return ["--cloud", "aws", "--endpoint-url", aws, "--region", REGION]


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def audit(args: list[str], *extra: str) -> tuple[int, dict[str, Any]]:
    out = Path("r.json")
    code = main(["audit", *args, "--format", "json", "--output", str(out), *extra])
    return code, json.loads(out.read_text())


def by_rule(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for v in report["violations"]:
        if not v["suppressed"] and v["level"] != "unknown":
            found.setdefault(v["policy"], {})[v["name"]] = v["message"]
    return found


def test_done_when_untagged_bucket_and_ssh_open_to_the_world(aws: str, aws_args: list[str]) -> None:
    s3, ec2 = client(aws, "s3"), client(aws, "ec2")
    s3.create_bucket(
        Bucket="untagged-logs", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    group = ec2.create_security_group(GroupName="bastion", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )  # fmt: skip

    code, report = audit(aws_args)

    assert code == 1
    found = by_rule(report)
    assert found["aws-tagging-resource-required-tags"]["untagged-logs"] == (
        "missing tags cost_center, environment (provider defaultTags count); add them to tags or "
        "to the provider's defaultTags"
    )
    assert found["aws-ec2-securitygroup-no-public-admin-ports"] == {
        "bastion": "ingress[0]: ingress from 0.0.0.0/0 to 22; allow a specific CIDR (or a "
        "bastion, or SSM Session Manager) instead"
    }
    assert report["live"]["cloud"] == "aws" and report["live"]["scope"] == "123456789012"
    assert all(op.split(":")[1].startswith(READ) for op in report["live"]["apiCalls"])


def test_every_rule_on_a_live_aws_type_has_a_live_case(aws: str, aws_args: list[str]) -> None:
    s3, ec2, sns = client(aws, "s3"), client(aws, "ec2"), client(aws, "sns")
    where = {"LocationConstraint": REGION}
    for name in ("good-bucket", "bad-bucket"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=where)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": TAGS})
    s3.create_bucket(Bucket="qa-bucket", CreateBucketConfiguration=where)
    s3.put_bucket_tagging(Bucket="qa-bucket", Tagging={"TagSet": [
        {"Key": "cost_center", "Value": "CC-101"}, {"Key": "environment", "Value": "qa"}]})  # fmt: skip
    for blocked in ("good-bucket", "qa-bucket"):
        s3.put_public_access_block(Bucket=blocked, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True})  # fmt: skip
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    ec2.create_tags(Resources=[subnet], Tags=[*TAGS, {"Key": "Name", "Value": "bad-subnet"}])
    quiet = sns.create_topic(Name="bad-topic", Tags=TAGS)["TopicArn"]
    heard = sns.create_topic(Name="good-topic", Tags=TAGS,
                             Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]  # fmt: skip
    sns.subscribe(TopicArn=heard, Protocol="email", Endpoint="ops@example.com")
    cw = client(aws, "cloudwatch")
    common = {"MetricName": "Errors", "Namespace": "AWS/Lambda", "Statistic": "Sum",
              "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
              "ComparisonOperator": "GreaterThanThreshold", "Tags": TAGS}  # fmt: skip
    cw.put_metric_alarm(AlarmName="good-alarm", AlarmActions=[heard], **common)
    cw.put_metric_alarm(AlarmName="quiet-alarm", AlarmActions=[quiet], **common)
    cw.put_metric_alarm(AlarmName="bad-alarm", **common)
    lam = client(aws, "lambda")
    zipped = {"ZipFile": b"PK\x05\x06" + bytes(18)}
    lam.publish_layer_version(LayerName="good-layer", Content=zipped,
                              CompatibleRuntimes=["python3.12"])  # fmt: skip
    lam.publish_layer_version(
        LayerName="bad-layer", Content=zipped, CompatibleRuntimes=["python3.7"]
    )
    lam.publish_layer_version(LayerName="bare-layer", Content=zipped)
    lam.add_layer_version_permission(LayerName="bad-layer", VersionNumber=1, StatementId="all",
                                     Action="lambda:GetLayerVersion", Principal="*")  # fmt: skip
    rds = client(aws, "rds")
    rds.create_db_instance(DBInstanceIdentifier="bad-db", DBInstanceClass="db.t3.micro",
                           Engine="postgres", MasterUsername="admin", MasterUserPassword="x" * 12,
                           AllocatedStorage=20, PubliclyAccessible=True, Tags=TAGS)  # fmt: skip

    code, report = audit(aws_args)

    assert code == 1
    found = by_rule(report)
    assert found["aws-s3-bucket-public-access-block"] == {
        "bad-bucket": "bucket bad-bucket has no public access block; add an "
        "s3.BucketPublicAccessBlock for it with blockPublicAcls, blockPublicPolicy, "
        "ignorePublicAcls and restrictPublicBuckets set to true"
    }
    # the default VPC's subnets map public IPs too (as in AWS): real findings
    assert found["aws-ec2-subnet-no-public-ip-on-launch"]["bad-subnet"] == (
        "every instance launched in the subnet gets a public IP "
        "(mapPublicIpOnLaunch=true); set it to false and use a NAT gateway or a load balancer"
    )
    assert found["aws-sns-topic-kms-encrypted"] == {
        "bad-topic": "topic is not encrypted with KMS (kmsMasterKeyId)"
    }
    assert found["aws-sns-topic-has-subscription"] == {
        "bad-topic": "topic bad-topic notifies nobody: no subscription (used by quiet-alarm); "
        "subscribe an email, Slack or PagerDuty endpoint"
    }
    assert found["aws-cloudwatch-alarm-has-actions"] == {
        "bad-alarm": "alarm has no alarmActions: nobody is notified; add an SNS topic ARN to "
        "alarmActions"
    }
    assert found["aws-lambda-layerversion-runtimes-supported"] == {
        "bad-layer": "compatibleRuntimes lists deprecated runtimes: python3.7; build the layer "
        "for a supported runtime"
    }
    assert found["aws-lambda-layerversion-runtimes-declared"] == {
        "bare-layer": "compatibleRuntimes is not declared; list the runtimes the layer was "
        "built for"
    }
    assert found["aws-lambda-layerpermission-no-public"] == {
        "bad-layer": "layer version shared with every AWS account (principal * without "
        "organizationId)"
    }
    assert found["aws-rds-instance-not-public"] == {
        "bad-db": "the database has a public endpoint (publiclyAccessible=true); set it to false "
        "and reach it from inside the VPC"
    }
    assert found["aws-tagging-resource-allowed-values"] == {
        "qa-bucket": "tag values not allowed: environment='qa' (allowed: dev, staging, prod)"
    }
    assert not [n for rule in found.values() for n in rule if n.startswith("good-")], found


@pytest.fixture
def proxied(aws: str, aws_args: list[str]) -> Iterator[tuple[FaultProxy, list[str]]]:
    """The audit's calls through the fault-injecting proxy in front of moto."""
    with serving(aws) as proxy:
        yield proxy, [a if a != aws else proxy.url for a in aws_args]


def test_a_refused_service_is_a_note_and_the_audit_incomplete(
    aws: str, proxied: tuple[FaultProxy, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    proxy, args = proxied
    client(aws, "sns").create_topic(Name="alerts", Tags=TAGS)
    proxy.fail("ListTopics", status=403, code="AuthorizationError", message="not allowed", times=99)
    # moto's default VPC (subnets with public IPs, an untagged group) is not this test's point
    Path("policy.json").write_text(json.dumps({
        "aws-tagging-resource-required-tags": "disabled",
        "aws-ec2-subnet-no-public-ip-on-launch": "disabled",
    }))  # fmt: skip
    args = [*args, "--policy-config", "policy.json"]

    code, report = audit(args)

    assert code == 2, report["violations"]
    assert "audit incomplete: 1 read(s) refused" in capsys.readouterr().err
    assert report["live"]["notes"] == [
        f"aws sns in {REGION}: ListTopics AuthorizationError: not allowed; topics not read"
    ]
    assert "aws:sns/topic:Topic" not in report["live"]["types"]
    code, report = audit(args, "--allow-incomplete")
    assert code == 0
    changing = [
        c
        for c in proxy.calls
        if c.method not in ("GET", "HEAD") and not c.operation.startswith(READ)
    ]  # REST reads (S3, EKS) are GETs the proxy does not name
    assert proxy.calls and not changing, changing


def test_a_throttling_storm_is_ridden_out_within_the_budget(
    aws: str, proxied: tuple[FaultProxy, list[str]]
) -> None:
    proxy, args = proxied
    client(aws, "ec2").create_security_group(GroupName="web", Description="w")
    proxy.storm("DescribeSecurityGroups", times=2)

    code, report = audit(args)

    assert code == 1  # the default VPC's subnets and the untagged group: real findings
    assert "web" in by_rule(report)["aws-tagging-resource-required-tags"]
    assert len(proxy.of("DescribeSecurityGroups")) == 3
    assert report["live"]["complete"] is True


def test_aws_options_that_do_not_apply_are_refused(
    aws_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", *aws_args, "--compartment", "ocid1.compartment.oc1..aaaa"]) == 2
    assert "--cloud aws: --compartment applies to OCI" in capsys.readouterr().err
    assert main(["audit", "--cloud", "aws", "--region", "Frankfurt"]) == 2
    assert "--region 'Frankfurt': not a region name" in capsys.readouterr().err


def test_the_readme_s_iam_policy_allows_every_call_the_audit_makes() -> None:
    from guardrails.tooling.audit.aws_reader import IAM_ACTIONS
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The live audit") : readme.index("## Cost before deploy")]
    missing = [a for a in sorted(set(IAM_ACTIONS.values())) if f'"{a}"' not in section]
    assert not missing, missing
