"""Prune: delete all but the newest versions of a layer, keeping versions still in use."""

from __future__ import annotations

from dataclasses import dataclass

from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.arns import check_layer_name
from guardrails.tooling.layer_ops.usage import usage


@dataclass(frozen=True)
class PruneAction:
    version: int
    arn: str
    created: str
    action: str
    """`delete`, `keep (newest N)` or `keep (in use)`."""
    used_by: tuple[str, ...] = ()


def prune(
    api: LambdaApi, layer: str, keep: int, *, force: bool = False, apply: bool = False
) -> list[PruneAction]:
    """Plan (and with `apply`, carry out) deleting all but the newest `keep` versions.

    A version still attached to a function is kept unless `force`: deleting it keeps the
    function running but blocks its next update that names the layer.
    """
    name = check_layer_name(layer)
    if isinstance(keep, bool) or keep < 1:
        raise LayerOpsError(f"--keep must be at least 1 (got {keep})")
    users: dict[int, list[str]] = {}
    for row in usage(api, name):
        if row.version is not None:
            users.setdefault(row.version, []).append(row.function)
    plan = []
    for index, version in enumerate(api.versions(name)):
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
                api.call(
                    f"deleting {item.arn}",
                    api.lambda_.delete_layer_version,
                    LayerName=name,
                    VersionNumber=item.version,
                )
    return plan
