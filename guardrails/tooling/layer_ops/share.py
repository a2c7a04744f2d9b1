"""Share and unshare a layer version: one `lambda:GetLayerVersion` statement per principal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from guardrails.runtime.layer_builder.spec import statement_id
from guardrails.tooling.layer_ops.api import LambdaApi
from guardrails.tooling.layer_ops.arns import check_principals, parse_layer_version_arn


@dataclass(frozen=True)
class ShareAction:
    version_arn: str
    principal: str
    organization_id: str | None
    statement_id: str
    action: str
    """`add`, `already shared`, `remove` or `not shared`."""


def _permission_plan(
    api: LambdaApi,
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
    existing = {s.get("Sid") for s in api.policy_statements(name, version)}
    plan = []
    for principal in principals:
        org = organization_id if principal == "*" else None
        sid = statement_id(principal, org)
        action = actions[0] if sid in existing else actions[1]
        plan.append(ShareAction(layer_version_arn, principal, org, sid, action))
    return name, version, plan


def share(
    api: LambdaApi,
    layer_version_arn: str,
    principals: Sequence[str],
    *,
    organization_id: str | None = None,
    public: bool = False,
    apply: bool = False,
) -> list[ShareAction]:
    name, version, plan = _permission_plan(
        api, layer_version_arn, principals, organization_id, public, ("already shared", "add")
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
            api.call(
                f"sharing {layer_version_arn} with {item.principal}",
                api.lambda_.add_layer_version_permission,
                **kwargs,
            )
    return plan


def unshare(
    api: LambdaApi,
    layer_version_arn: str,
    principals: Sequence[str],
    *,
    organization_id: str | None = None,
    apply: bool = False,
) -> list[ShareAction]:
    # Removing '*' is always allowed: that is the way out of public sharing.
    name, version, plan = _permission_plan(
        api, layer_version_arn, principals, organization_id, True, ("remove", "not shared")
    )
    if apply:
        for item in plan:
            if item.action == "remove":
                api.call(
                    f"removing {item.principal} from {layer_version_arn}",
                    api.lambda_.remove_layer_version_permission,
                    LayerName=name,
                    VersionNumber=version,
                    StatementId=item.statement_id,
                )
    return plan
