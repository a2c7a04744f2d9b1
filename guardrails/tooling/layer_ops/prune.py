"""Prune: delete all but the newest versions of a layer, keeping versions still in use."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status, audit_path
from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.arns import LAYER_ARN, check_layer_name, check_region
from guardrails.tooling.layer_ops.journal import Acted, Journal, StepFailed
from guardrails.tooling.layer_ops.reconcile import Judge, arn_region, reconcile
from guardrails.tooling.layer_ops.usage import usage

COMMAND = "layer prune"
DELETE = "delete-layer-version"


@dataclass
class PruneAction:
    version: int
    arn: str
    created: str
    action: str
    """`delete`, `keep (newest N)` or `keep (in use)`."""
    used_by: tuple[str, ...] = ()
    outcome: Status | None = None
    """What became of a `delete` once applied (None: dry run, or not attempted)."""


@dataclass
class PruneResult(Acted):
    layer: str = ""
    plan: list[PruneAction] = field(default_factory=list)
    applied: bool = False


def _gone(api: LambdaApi, name: str, version: int) -> bool:
    return not api.version_exists(name, version)


def _judge(api: LambdaApi, name: str, intent: Intent) -> Judge | None:
    match = LAYER_ARN.match(intent.target)
    if intent.action != DELETE or not match or match["name"] != name or not match["version"]:
        return None
    if arn_region(intent.target) != api.region:
        return None
    version = int(match["version"])

    def judge() -> tuple[Status, str]:
        if api.version_exists(name, version):
            return "failed", "the version still exists: the deletion did not take effect"
        return "done", "the version is gone"

    return judge


def prune(
    api: LambdaApi,
    layer: str,
    keep: int,
    *,
    force: bool = False,
    apply: bool = False,
    log: AuditLog | None = None,
) -> PruneResult:
    """Plan (and with `apply`, carry out) deleting all but the newest `keep` versions.

    A version still attached to a function is kept unless `force`: deleting it keeps the
    function running but blocks its next update that names the layer. Deletions stop at
    the first one that fails; the result says which were done.
    """
    name = check_layer_name(layer)
    check_region(layer, api.region)
    if isinstance(keep, bool) or keep < 1:
        raise LayerOpsError(f"--keep must be at least 1 (got {keep})")
    result = PruneResult(layer=name)
    if apply:
        log = log or AuditLog(audit_path(None))
        reconcile(log, (COMMAND,), lambda intent: _judge(api, name, intent), result)
    versions = api.versions(name)
    if not versions:
        raise LayerOpsError(
            f"layer {name} has no versions in {api.region}: no such layer (check the name "
            "and --region); nothing to prune"
        )
    users: dict[int, list[str]] = {}
    for row in usage(api, name):
        if row.version is not None:
            users.setdefault(row.version, []).append(row.function)
    for index, version in enumerate(versions):
        number = version["Version"]
        in_use = tuple(sorted(users.get(number, [])))
        if index < keep:
            action = f"keep (newest {keep})"
        elif in_use and not force:
            action = "keep (in use)"
        else:
            action = "delete"
        result.plan.append(
            PruneAction(
                number, version["LayerVersionArn"], version.get("CreatedDate", ""), action, in_use
            )
        )
    if apply and log is not None:
        result.applied = True
        _delete(api, Journal(COMMAND, log, result), name, result)
    return result


def _delete(api: LambdaApi, journal: Journal, name: str, result: PruneResult) -> None:
    for item in result.plan:
        if item.action != "delete":
            continue
        number = item.version
        attempted = len(result.steps)
        try:
            step = journal.act(
                DELETE,
                item.arn,
                send=functools.partial(
                    api.call,
                    f"deleting {name}:{number}",
                    api.lambda_.delete_layer_version,
                    LayerName=name,
                    VersionNumber=number,
                ),
                verify=functools.partial(_gone, api, name, number),
                layer=name,
                version=number,
                used_by=list(item.used_by),
            )
            item.outcome = step.status
        except StepFailed as exc:
            item.outcome = exc.step.status
            result.error = str(exc)
            return
        except KeyboardInterrupt:
            item.outcome = result.steps[-1].status if len(result.steps) > attempted else None
            result.interrupted = True
            return
