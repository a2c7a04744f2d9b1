"""Rollout: move the next batch of functions to a layer version, bake, roll back on ALARM."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from guardrails.runtime.layer_builder.spec import MAX_LAYERS_PER_FUNCTION
from guardrails.runtime.validation import LAMBDA_FUNCTION_NAME, matches
from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.arns import ALARM_NAME, parse_layer_version_arn, unversioned

ROLLOUT_BATCH_TAG = "guardrails:rollout-batch"
ROLLOUT_LAYER_TAG = "guardrails:layer-version"
ROLLOUT_STATUS_TAG = "guardrails:rollout-status"


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


def _plan_rollout(
    api: LambdaApi, layer_version_arn: str, functions: Sequence[str]
) -> tuple[list[FunctionChange], list[str]]:
    """New layer lists for every function not yet on the version; errors as a whole."""
    same_layer = unversioned(layer_version_arn)
    changes: list[FunctionChange] = []
    already: list[str] = []
    problems: list[str] = []
    for function in functions:
        config = api.call(
            f"reading function {function}",
            api.lambda_.get_function_configuration,
            FunctionName=function,
        )
        before = [layer["Arn"] for layer in config.get("Layers", [])]
        if layer_version_arn in before:
            already.append(function)
            continue
        after = [layer_version_arn if unversioned(a) == same_layer else a for a in before]
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


def _set_layers(
    api: LambdaApi, change: FunctionChange, layers: list[str], tags: dict[str, str]
) -> None:
    api.call(
        f"updating {change.function}",
        api.lambda_.update_function_configuration,
        FunctionName=change.function,
        Layers=layers,
    )
    api.call(
        f"waiting for {change.function} to update",
        api.lambda_.get_waiter("function_updated_v2").wait,
        FunctionName=change.function,
        WaiterConfig={"Delay": 1, "MaxAttempts": 300},
    )
    _tag(api, change, tags)


def _tag(api: LambdaApi, change: FunctionChange, tags: dict[str, str]) -> None:
    api.call(f"tagging {change.function}", api.lambda_.tag_resource, Resource=change.arn, Tags=tags)


def rollout(
    api: LambdaApi,
    layer_version_arn: str,
    functions: Sequence[str],
    *,
    percent: float,
    alarm: str,
    bake_seconds: float = 300,
    apply: bool = False,
    sleep: Callable[[float], None] = time.sleep,
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
    state = api.alarm_state(alarm)
    changes, already = _plan_rollout(api, layer_version_arn, functions)
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
            _set_layers(api, change, change.after, tags)
            done.append(change)
        sleep(bake_seconds)
        after_bake = result.alarm_state = api.alarm_state(alarm)
    finally:
        # A failed update, an interrupted bake or the alarm firing: put the batch back.
        if after_bake in (None, "ALARM"):
            _roll_back(api, done, layer_version_arn)
            result.rolled_back = True
    for change in done if not result.rolled_back else []:
        _tag(api, change, {ROLLOUT_STATUS_TAG: "healthy"})
    result.applied = True
    return result


def _roll_back(api: LambdaApi, done: Sequence[FunctionChange], layer_version_arn: str) -> None:
    same_layer = unversioned(layer_version_arn)
    for change in done:
        previous = [a for a in change.before if unversioned(a) == same_layer]
        _set_layers(
            api,
            change,
            change.before,
            {
                ROLLOUT_STATUS_TAG: "rolled-back",
                ROLLOUT_LAYER_TAG: previous[0] if previous else "none",
            },
        )
