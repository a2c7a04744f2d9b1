"""The AWS side of the layer operations: one wrapper over the Lambda and CloudWatch clients
(boto3) that turns AWS errors into one-line `LayerOpsError`s, and the reads they share.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from guardrails.runtime.errors import GuardrailsError


class LayerOpsError(GuardrailsError):
    """An operation was refused before any change, or AWS refused a call."""


def aws_error(exc: ClientError | BotoCoreError, doing: str) -> LayerOpsError:
    if isinstance(exc, BotoCoreError):  # no credentials, no connection, ...
        return LayerOpsError(f"{doing}: {exc}")
    error = exc.response.get("Error", {})
    return LayerOpsError(f"{doing}: {error.get('Code', 'error')}: {error.get('Message', exc)}")


class LambdaApi:
    """A Lambda and a CloudWatch client, with error mapping and paging."""

    def __init__(self, lambda_client: Any, cloudwatch_client: Any) -> None:
        self.lambda_ = lambda_client
        self.cloudwatch = cloudwatch_client

    def call(self, doing: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, doing) from exc

    def functions(self) -> Iterable[dict[str, Any]]:
        paginator = self.lambda_.get_paginator("list_functions")
        try:
            for page in paginator.paginate():
                yield from page["Functions"]
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, "listing functions") from exc

    def versions(self, name: str) -> list[dict[str, Any]]:
        paginator = self.lambda_.get_paginator("list_layer_versions")
        versions: list[dict[str, Any]] = []
        try:
            for page in paginator.paginate(LayerName=name):
                versions += page["LayerVersions"]
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"listing versions of layer {name}") from exc
        return sorted(versions, key=lambda v: v["Version"], reverse=True)

    def policy_statements(self, name: str, version: int) -> list[dict[str, Any]]:
        try:
            response = self.lambda_.get_layer_version_policy(LayerName=name, VersionNumber=version)
        except (ClientError, BotoCoreError) as exc:
            not_shared = isinstance(exc, ClientError) and (
                exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
            )
            if not_shared:
                return []
            raise aws_error(exc, f"reading the policy of {name}:{version}") from exc
        statements: list[dict[str, Any]] = json.loads(response["Policy"]).get("Statement", [])
        return statements

    def alarm_state(self, alarm: str) -> str:
        response = self.call(
            f"reading alarm {alarm}", self.cloudwatch.describe_alarms, AlarmNames=[alarm]
        )
        alarms = response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
        if not alarms:
            raise LayerOpsError(f"CloudWatch alarm {alarm!r} not found; rollout needs a guard")
        state: str = alarms[0]["StateValue"]
        return state
