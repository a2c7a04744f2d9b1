"""The AWS side of the layer operations: one wrapper over the Lambda and CloudWatch clients
(boto3) that turns AWS errors into one-line errors, and the reads the operations share.

An AWS error says whether the call may have taken effect (`AwsCallError.maybe_applied`): a
refusal with an error code did not; a call that got no answer (read timeout, connection
closed) or a server error may have. The acting operations read the resource back before
they believe either.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
)

from guardrails.runtime.errors import GuardrailsError


class LayerOpsError(GuardrailsError):
    """An operation was refused before any change, or AWS refused a call."""


class AwsCallError(LayerOpsError):
    """One AWS call failed; `code` is AWS's error code (None: no answer)."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def maybe_applied(self) -> bool:
        """The request may have reached AWS and changed something: no answer, or a 5xx."""
        return self.code is None or (self.status is not None and self.status >= 500)

    @property
    def not_found(self) -> bool:
        return self.code in NOT_FOUND_CODES


NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ResourceNotFound"})
# Errors that carry no answer about the call's effect: the request was sent, the reply lost.
_NO_ANSWER = (ReadTimeoutError, ConnectionClosedError)


def aws_error(exc: ClientError | BotoCoreError, doing: str) -> AwsCallError:
    if isinstance(exc, BotoCoreError):  # no credentials, no connection, no answer, ...
        # A connection that could not be made sent nothing: a definite "not done".
        code = None if isinstance(exc, _NO_ANSWER) else type(exc).__name__
        return AwsCallError(f"{doing}: {exc}", code=code)
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = str(error.get("Code") or "error")
    return AwsCallError(
        f"{doing}: {code}: {error.get('Message', exc)}",
        code=code,
        status=int(status) if status else None,
    )


@dataclass(frozen=True)
class FunctionState:
    """What a rerun needs to know about a function: its layers, revision and tags."""

    name: str
    arn: str
    layers: tuple[str, ...]
    revision_id: str
    last_update: str
    """`Successful`, `InProgress` or `Failed` (Lambda's LastUpdateStatus)."""
    last_update_reason: str
    tags: dict[str, str]


class LambdaApi:
    """A Lambda and a CloudWatch client, with error mapping and paging."""

    def __init__(self, lambda_client: Any, cloudwatch_client: Any) -> None:
        self.lambda_ = lambda_client
        self.cloudwatch = cloudwatch_client

    @property
    def region(self) -> str:
        region: str = self.lambda_.meta.region_name
        return region

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

    def version_exists(self, name: str, version: int) -> bool:
        try:
            self.call(
                f"reading {name}:{version}",
                self.lambda_.get_layer_version,
                LayerName=name,
                VersionNumber=version,
            )
        except AwsCallError as exc:
            if exc.not_found:
                return False
            raise
        return True

    def policy(self, name: str, version: int) -> tuple[list[dict[str, Any]], str | None]:
        """The statements of a layer version's policy and its revision id (None: no policy)."""
        try:
            response = self.call(
                f"reading the policy of {name}:{version}",
                self.lambda_.get_layer_version_policy,
                LayerName=name,
                VersionNumber=version,
            )
        except AwsCallError as exc:
            if exc.not_found:
                return [], None
            raise
        statements: list[dict[str, Any]] = json.loads(response["Policy"]).get("Statement", [])
        return statements, response.get("RevisionId")

    def policy_statements(self, name: str, version: int) -> list[dict[str, Any]]:
        return self.policy(name, version)[0]

    def function(self, name: str) -> FunctionState:
        response = self.call(
            f"reading function {name}", self.lambda_.get_function, FunctionName=name
        )
        config = response["Configuration"]
        return FunctionState(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
            revision_id=config.get("RevisionId", ""),
            last_update=config.get("LastUpdateStatus", "Successful"),
            last_update_reason=config.get("LastUpdateStatusReason", ""),
            tags=dict(response.get("Tags") or {}),
        )

    def settled(
        self,
        name: str,
        *,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> FunctionState:
        """The function once its last update is no longer in progress (polled for at most
        `timeout` seconds): Lambda refuses a new update while one is in progress."""
        deadline = clock() + timeout
        delay = 0.25
        while True:
            state = self.function(name)
            if state.last_update != "InProgress":
                return state
            if clock() + delay > deadline:
                raise AwsCallError(
                    f"updating {name}: still in progress after {timeout:g} s", code=None
                )
            sleep(delay)
            delay = min(delay * 2, 5.0)

    def alarm_state(self, alarm: str) -> str:
        response = self.call(
            f"reading alarm {alarm}", self.cloudwatch.describe_alarms, AlarmNames=[alarm]
        )
        alarms = response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
        if not alarms:
            raise LayerOpsError(f"CloudWatch alarm {alarm!r} not found; rollout needs a guard")
        state: str = alarms[0]["StateValue"]
        return state
