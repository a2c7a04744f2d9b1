"""Layer operations IaC cannot do: prune, share, unshare, rollout and usage (boto3).

AWS checks identifiers and limits only when a call is made (and moto, which the tests run
against, not at all), so every argument is validated here first, and a plan that would break
a limit fails as a whole before the first change. Changing operations build a plan and carry
it out only when `apply` is true; without it they say exactly what they would do.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.layer_builder.spec import MAX_LAYERS_PER_FUNCTION, statement_id
from guardrails.runtime.validation import (
    LAMBDA_FUNCTION_NAME,
    LAMBDA_LAYER_NAME,
    layer_principal_problem,
    matches,
)

_LAYER_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:"
    rf"(?P<name>{LAMBDA_LAYER_NAME.strip('^$')})(?::(?P<version>\d+))?$"
)
ALARM_NAME = r"^[^\x00-\x1f]{1,255}$"

ROLLOUT_BATCH_TAG = "guardrails:rollout-batch"
ROLLOUT_LAYER_TAG = "guardrails:layer-version"
ROLLOUT_STATUS_TAG = "guardrails:rollout-status"


class LayerOpsError(GuardrailsError):
    """An operation was refused before any change, or AWS refused a call."""


def _aws_error(exc: ClientError | BotoCoreError, doing: str) -> LayerOpsError:
    if isinstance(exc, BotoCoreError):  # no credentials, no connection, ...
        return LayerOpsError(f"{doing}: {exc}")
    error = exc.response.get("Error", {})
    return LayerOpsError(f"{doing}: {error.get('Code', 'error')}: {error.get('Message', exc)}")


def check_layer_name(value: str) -> str:
    """A layer name or unversioned layer ARN; returns the name."""
    arn = _LAYER_ARN.match(value)
    if arn and arn["version"] is None:
        return arn["name"]
    if matches(LAMBDA_LAYER_NAME, value):
        return value
    raise LayerOpsError(
        f"layer must be a name of letters, digits, - and _ (at most 140) or a layer ARN without"
        f" version (got {value!r})"
    )


def parse_layer_version_arn(value: str) -> tuple[str, str, int]:
    """(unversioned ARN, layer name, version) of a layer version ARN."""
    arn = _LAYER_ARN.match(value)
    if not arn or arn["version"] is None:
        raise LayerOpsError(
            "layer version ARN must look like "
            f"arn:aws:lambda:REGION:123456789012:layer:NAME:VERSION (got {value!r})"
        )
    return value.rsplit(":", 1)[0], arn["name"], int(arn["version"])


def _unversioned(arn: str) -> str:
    match = _LAYER_ARN.match(arn)
    return arn.rsplit(":", 1)[0] if match and match["version"] else arn


def check_principals(principals: Sequence[str], organization_id: str | None, public: bool) -> None:
    if not principals:
        raise LayerOpsError("give at least one principal (account id, account root ARN or '*')")
    problems = [
        problem
        for principal in principals
        if (problem := layer_principal_problem(principal, organization_id, public=public))
    ]
    if problems:
        raise LayerOpsError("refused principals:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class UsageRow:
    layer: str
    version: int | None
    function: str
    runtime: str
    memory: int
    architectures: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "version": self.version,
            "function": self.function,
            "runtime": self.runtime,
            "memory": self.memory,
            "architectures": list(self.architectures),
        }


@dataclass(frozen=True)
class PruneAction:
    version: int
    arn: str
    created: str
    action: str
    """`delete`, `keep (newest N)` or `keep (in use)`."""
    used_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShareAction:
    version_arn: str
    principal: str
    organization_id: str | None
    statement_id: str
    action: str
    """`add`, `already shared`, `remove` or `not shared`."""


@dataclass
class FunctionChange:
    function: str
    arn: str
    before: list[str]
    after: list[str]


@dataclass
class RolloutResult:
    layer_version_arn: str
    batch_id: str
    batch: list[FunctionChange]
    already: list[str]
    pending_after: list[str]
    alarm: str
    alarm_state: str | None = None
    rolled_back: bool = False
    applied: bool = False


class LayerOperations:
    """The layer operations over a Lambda and a CloudWatch client (boto3)."""

    def __init__(
        self,
        lambda_client: Any,
        cloudwatch_client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lambda = lambda_client
        self._cloudwatch = cloudwatch_client
        self._sleep = sleep

    def _call(self, doing: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise _aws_error(exc, doing) from exc

    def _functions(self) -> Iterable[dict[str, Any]]:
        paginator = self._lambda.get_paginator("list_functions")
        try:
            for page in paginator.paginate():
                yield from page["Functions"]
        except (ClientError, BotoCoreError) as exc:
            raise _aws_error(exc, "listing functions") from exc

    def usage(self, layer: str | None = None) -> list[UsageRow]:
        """Which functions use which layer versions (optionally of one layer)."""
        name = check_layer_name(layer) if layer else None
        rows = []
        for function in self._functions():
            for attached in function.get("Layers", []):
                arn = attached["Arn"]
                match = _LAYER_ARN.match(arn)
                if name and (not match or match["name"] != name):
                    continue
                rows.append(
                    UsageRow(
                        layer=_unversioned(arn),
                        version=int(match["version"]) if match and match["version"] else None,
                        function=function["FunctionName"],
                        runtime=function.get("Runtime", ""),
                        memory=function.get("MemorySize", 0),
                        architectures=tuple(function.get("Architectures", ["x86_64"])),
                    )
                )
        return sorted(rows, key=lambda r: (r.layer, r.version or 0, r.function))

    def _versions(self, name: str) -> list[dict[str, Any]]:
        paginator = self._lambda.get_paginator("list_layer_versions")
        versions: list[dict[str, Any]] = []
        try:
            for page in paginator.paginate(LayerName=name):
                versions += page["LayerVersions"]
        except (ClientError, BotoCoreError) as exc:
            raise _aws_error(exc, f"listing versions of layer {name}") from exc
        return sorted(versions, key=lambda v: v["Version"], reverse=True)

    def prune(
        self, layer: str, keep: int, *, force: bool = False, apply: bool = False
    ) -> list[PruneAction]:
        """Plan (and with `apply`, carry out) deleting all but the newest `keep` versions.

        A version still attached to a function is kept unless `force`: deleting it keeps the
        function running but blocks its next update that names the layer.
        """
        name = check_layer_name(layer)
        if isinstance(keep, bool) or keep < 1:
            raise LayerOpsError(f"--keep must be at least 1 (got {keep})")
        users: dict[int, list[str]] = {}
        for row in self.usage(name):
            if row.version is not None:
                users.setdefault(row.version, []).append(row.function)
        plan = []
        for index, version in enumerate(self._versions(name)):
            number = version["Version"]
            in_use = tuple(sorted(users.get(number, [])))
            if index < keep:
                action = f"keep (newest {keep})"
            elif in_use and not force:
                action = "keep (in use)"
            else:
                action = "delete"
            plan.append(
                PruneAction(
                    number,
                    version["LayerVersionArn"],
                    version.get("CreatedDate", ""),
                    action,
                    in_use,
                )
            )
        if apply:
            for item in plan:
                if item.action == "delete":
                    self._call(
                        f"deleting {item.arn}",
                        self._lambda.delete_layer_version,
                        LayerName=name,
                        VersionNumber=item.version,
                    )
        return plan

    def _policy_statements(self, name: str, version: int) -> list[dict[str, Any]]:
        try:
            response = self._lambda.get_layer_version_policy(LayerName=name, VersionNumber=version)
        except (ClientError, BotoCoreError) as exc:
            not_shared = isinstance(exc, ClientError) and (
                exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
            )
            if not_shared:
                return []
            raise _aws_error(exc, f"reading the policy of {name}:{version}") from exc
        statements: list[dict[str, Any]] = json.loads(response["Policy"]).get("Statement", [])
        return statements

    def _permission_plan(
        self,
        layer_version_arn: str,
        principals: Sequence[str],
        organization_id: str | None,
        public: bool,
        actions: tuple[str, str],
    ) -> tuple[str, int, list[ShareAction]]:
        """Layer name, version and one action per principal: `actions` = (when its statement
        exists, when it does not)."""
        _, name, version = parse_layer_version_arn(layer_version_arn)
        check_principals(principals, organization_id, public)
        existing = {s.get("Sid") for s in self._policy_statements(name, version)}
        plan = []
        for principal in principals:
            org = organization_id if principal == "*" else None
            sid = statement_id(principal, org)
            action = actions[0] if sid in existing else actions[1]
            plan.append(ShareAction(layer_version_arn, principal, org, sid, action))
        return name, version, plan

    def share(
        self,
        layer_version_arn: str,
        principals: Sequence[str],
        *,
        organization_id: str | None = None,
        public: bool = False,
        apply: bool = False,
    ) -> list[ShareAction]:
        name, version, plan = self._permission_plan(
            layer_version_arn, principals, organization_id, public, ("already shared", "add")
        )
        if apply:
            for item in plan:
                if item.action != "add":
                    continue
                kwargs: dict[str, Any] = {
                    "LayerName": name,
                    "VersionNumber": version,
                    "StatementId": item.statement_id,
                    "Action": "lambda:GetLayerVersion",
                    "Principal": item.principal,
                }
                if item.organization_id:
                    kwargs["OrganizationId"] = item.organization_id
                self._call(
                    f"sharing {layer_version_arn} with {item.principal}",
                    self._lambda.add_layer_version_permission,
                    **kwargs,
                )
        return plan

    def unshare(
        self,
        layer_version_arn: str,
        principals: Sequence[str],
        *,
        organization_id: str | None = None,
        apply: bool = False,
    ) -> list[ShareAction]:
        # Removing '*' is always allowed: that is the way out of public sharing.
        name, version, plan = self._permission_plan(
            layer_version_arn, principals, organization_id, True, ("remove", "not shared")
        )
        if apply:
            for item in plan:
                if item.action == "remove":
                    self._call(
                        f"removing {item.principal} from {layer_version_arn}",
                        self._lambda.remove_layer_version_permission,
                        LayerName=name,
                        VersionNumber=version,
                        StatementId=item.statement_id,
                    )
        return plan

    def _alarm_state(self, alarm: str) -> str:
        response = self._call(
            f"reading alarm {alarm}", self._cloudwatch.describe_alarms, AlarmNames=[alarm]
        )
        alarms = response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
        if not alarms:
            raise LayerOpsError(f"CloudWatch alarm {alarm!r} not found; rollout needs a guard")
        state: str = alarms[0]["StateValue"]
        return state

    def _plan_rollout(
        self, layer_version_arn: str, functions: Sequence[str]
    ) -> tuple[list[FunctionChange], list[str]]:
        """New layer lists for every function not yet on the version; errors as a whole."""
        unversioned = _unversioned(layer_version_arn)
        changes: list[FunctionChange] = []
        already: list[str] = []
        problems: list[str] = []
        for function in functions:
            config = self._call(
                f"reading function {function}",
                self._lambda.get_function_configuration,
                FunctionName=function,
            )
            before = [layer["Arn"] for layer in config.get("Layers", [])]
            if layer_version_arn in before:
                already.append(function)
                continue
            after = [layer_version_arn if _unversioned(a) == unversioned else a for a in before]
            if layer_version_arn not in after:
                after.append(layer_version_arn)
            if len(after) > MAX_LAYERS_PER_FUNCTION:
                problems.append(
                    f"{function} would have {len(after)} layers (Lambda allows "
                    f"{MAX_LAYERS_PER_FUNCTION}): {', '.join(after)}"
                )
            changes.append(FunctionChange(function, config["FunctionArn"], before, after))
        if problems:
            raise LayerOpsError(
                "rollout refused, nothing was changed:\n" + "\n".join(f"  {p}" for p in problems)
            )
        return changes, already

    def _set_layers(self, change: FunctionChange, layers: list[str], tags: dict[str, str]) -> None:
        self._call(
            f"updating {change.function}",
            self._lambda.update_function_configuration,
            FunctionName=change.function,
            Layers=layers,
        )
        self._call(
            f"waiting for {change.function} to update",
            self._lambda.get_waiter("function_updated_v2").wait,
            FunctionName=change.function,
            WaiterConfig={"Delay": 1, "MaxAttempts": 300},
        )
        self._tag(change, tags)

    def _tag(self, change: FunctionChange, tags: dict[str, str]) -> None:
        self._call(
            f"tagging {change.function}", self._lambda.tag_resource, Resource=change.arn, Tags=tags
        )

    def rollout(
        self,
        layer_version_arn: str,
        functions: Sequence[str],
        *,
        percent: float,
        alarm: str,
        bake_seconds: float = 300,
        apply: bool = False,
        now: datetime | None = None,
    ) -> RolloutResult:
        """Move the next batch of `functions` to the layer version, bake, roll back on ALARM.

        The batch tops the share of `functions` on the new version up to `percent`; calling
        again with a higher percent continues the rollout. Other layers and their order are
        kept; a function that would exceed five layers stops the whole rollout before any
        change.
        """
        parse_layer_version_arn(layer_version_arn)
        if not 0 < percent <= 100:
            raise LayerOpsError(f"--percent must be in (0, 100] (got {percent:g})")
        bad = [f for f in functions if not matches(LAMBDA_FUNCTION_NAME, f)]
        if bad or not functions:
            raise LayerOpsError(
                "functions must be Lambda function names (letters, digits, - and _): "
                + (", ".join(repr(b) for b in bad) or "none given")
            )
        if len(set(functions)) != len(functions):
            raise LayerOpsError("each function may be named once")
        if not matches(ALARM_NAME, alarm):
            raise LayerOpsError(f"--alarm must be a CloudWatch alarm name (got {alarm!r})")
        state = self._alarm_state(alarm)
        changes, already = self._plan_rollout(layer_version_arn, functions)
        target = math.ceil(len(functions) * percent / 100)
        batch = changes[: max(0, target - len(already))]
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        result = RolloutResult(
            layer_version_arn=layer_version_arn,
            batch_id=f"{stamp}-{percent:g}pct",
            batch=batch,
            already=already,
            pending_after=[c.function for c in changes[len(batch) :]],
            alarm=alarm,
            alarm_state=state,
        )
        if state == "ALARM":
            raise LayerOpsError(f"alarm {alarm} is already in ALARM; fix that before rolling out")
        if not apply or not batch:
            return result
        tags = {
            ROLLOUT_BATCH_TAG: result.batch_id,
            ROLLOUT_LAYER_TAG: layer_version_arn,
            ROLLOUT_STATUS_TAG: "baking",
        }
        done: list[FunctionChange] = []
        after_bake: str | None = None
        try:
            for change in batch:
                self._set_layers(change, change.after, tags)
                done.append(change)
            self._sleep(bake_seconds)
            after_bake = result.alarm_state = self._alarm_state(alarm)
        finally:
            # A failed update, an interrupted bake or the alarm firing: put the batch back.
            if after_bake in (None, "ALARM"):
                self._roll_back(done, layer_version_arn)
                result.rolled_back = True
        for change in done if not result.rolled_back else []:
            self._tag(change, {ROLLOUT_STATUS_TAG: "healthy"})
        result.applied = True
        return result

    def _roll_back(self, done: Sequence[FunctionChange], layer_version_arn: str) -> None:
        unversioned = _unversioned(layer_version_arn)
        for change in done:
            previous = [a for a in change.before if _unversioned(a) == unversioned]
            self._set_layers(
                change,
                change.before,
                {
                    ROLLOUT_STATUS_TAG: "rolled-back",
                    ROLLOUT_LAYER_TAG: previous[0] if previous else "none",
                },
            )
