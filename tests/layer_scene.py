"""The scene for layer operation tests: real boto3 clients on the moto server, helpers to
publish layers, create functions and alarms, and read back what the commands did."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import boto3

from guardrails.tooling.layer_ops.ops import LayerOperations
from tests.moto_server import REGION

ACCOUNT = "123456789012"  # moto's default account
ORG = "o-abcdefghij"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/mod.py", "X = 1\n")
    return buffer.getvalue()


class Account:
    """Real boto3 clients on the moto server, with helpers to set the scene."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.awslambda = boto3.client("lambda", region_name=REGION, endpoint_url=endpoint)
        self.cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=endpoint)
        iam = boto3.client("iam", region_name=REGION, endpoint_url=endpoint)
        self.role = iam.create_role(
            RoleName="fn-role",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]

    def ops(self, sleep: Callable[[float], None] = lambda _: None) -> LayerOperations:
        return LayerOperations(self.awslambda, self.cloudwatch, sleep=sleep)

    def publish(self, layer: str, count: int = 1) -> list[str]:
        return [
            self.awslambda.publish_layer_version(
                LayerName=layer, Content={"ZipFile": _zip()}, CompatibleRuntimes=["python3.12"]
            )["LayerVersionArn"]
            for _ in range(count)
        ]

    def function(
        self,
        name: str,
        layers: list[str],
        memory: int = 256,
        tags: dict[str, str] | None = None,
    ) -> None:
        """A function; tagged `environment: dev` unless `tags` says otherwise (an untagged
        function is production to the acting commands)."""
        self.awslambda.create_function(
            Tags={"environment": "dev"} if tags is None else tags,
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role,
            Handler="app.handler",
            Code={"ZipFile": _zip()},
            MemorySize=memory,
            Layers=layers,
        )

    def layers_of(self, function: str) -> list[str]:
        config = self.awslambda.get_function_configuration(FunctionName=function)
        return [layer["Arn"] for layer in config.get("Layers", [])]

    def tags_of(self, function: str) -> dict[str, str]:
        arn = self.awslambda.get_function_configuration(FunctionName=function)["FunctionArn"]
        tags: dict[str, str] = self.awslambda.list_tags(Resource=arn)["Tags"]
        return tags

    def versions(self, layer: str) -> list[int]:
        listed = self.awslambda.list_layer_versions(LayerName=layer)["LayerVersions"]
        return sorted(v["Version"] for v in listed)

    def statements(self, layer: str, version: int) -> list[dict[str, object]]:
        try:
            policy = self.awslambda.get_layer_version_policy(LayerName=layer, VersionNumber=version)
        except self.awslambda.exceptions.ResourceNotFoundException:
            return []
        statements: list[dict[str, object]] = json.loads(policy["Policy"])["Statement"]
        return statements

    def alarm(self, name: str, state: str = "OK") -> None:
        self.cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="Errors",
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        self.set_alarm(name, state)

    def set_alarm(self, name: str, state: str) -> None:
        self.cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")

    def cli(self, *arguments: str) -> list[str]:
        return [*arguments, "--aws-endpoint-url", self.endpoint, "--aws-region", REGION]
