"""Share and unshare a layer version: one `lambda:GetLayerVersion` statement per principal.

The statement id (`guardrails-<account>`, `guardrails-org-<id>`, `guardrails-public`) is
the idempotency key: AWS refuses a second statement with the same id, and a rerun reads
which ids are there. An added statement also carries the policy's revision id, so a policy
changed by someone else between our read and our call is refused, not overwritten. A
removal names its statement id only: removing one statement is safe whatever else changed
(and moto 5 compares the revision id of a removal as a list, refusing every one).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from guardrails.runtime.layer_builder.spec import statement_id
from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status, audit_path
from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.arns import (
    check_principals,
    check_region,
    parse_layer_version_arn,
)
from guardrails.tooling.layer_ops.journal import Acted, Journal, StepFailed
from guardrails.tooling.layer_ops.reconcile import Judge, reconcile

COMMANDS = ("layer share", "layer unshare")
ADD, REMOVE = "add-layer-permission", "remove-layer-permission"


@dataclass
class ShareAction:
    version_arn: str
    principal: str
    organization_id: str | None
    statement_id: str
    action: str
    """`add`, `already shared`, `remove` or `not shared`."""
    outcome: Status | None = None


@dataclass
class ShareResult(Acted):
    version_arn: str = ""
    plan: list[ShareAction] = field(default_factory=list)
    applied: bool = False


class _Policy:
    """A layer version's policy as last read: statement ids and revision id."""

    def __init__(self, api: LambdaApi, name: str, version: int) -> None:
        self.api, self.name, self.version = api, name, version
        self.sids: set[str] = set()
        self.revision: str | None = None
        self.read()

    def read(self) -> set[str]:
        statements, self.revision = self.api.policy(self.name, self.version)
        self.sids = {str(s.get("Sid")) for s in statements}
        return self.sids


def _settled(policy: _Policy, sid: str, adding: bool) -> bool:
    """Whether statement `sid` is there (when adding) or gone (when removing)."""
    return (sid in policy.read()) == adding


def check_public(principals: Sequence[str], organization_id: str | None, public: bool) -> None:
    """`--public` means principal '*' with no organisation: anything else contradicts it."""
    if not public:
        return
    if organization_id is not None:
        raise LayerOpsError(
            "--public shares with every AWS account and --organization-id with one "
            "organisation: give one of them"
        )
    if "*" not in principals:
        raise LayerOpsError(
            "--public applies to principal '*' only (got "
            + ", ".join(repr(p) for p in principals)
            + "): drop --public, or add --principal '*'"
        )


def _judge(api: LambdaApi, version_arn: str, intent: Intent) -> Judge | None:
    sid = intent.details.get("statement_id")
    if intent.target != version_arn or intent.action not in (ADD, REMOVE) or not sid:
        return None
    _, name, version = parse_layer_version_arn(version_arn)

    def judge() -> tuple[Status, str]:
        present = sid in _Policy(api, name, version).sids
        if present == (intent.action == ADD):
            return "done", f"statement {sid} is {'there' if present else 'gone'}"
        return "failed", f"statement {sid} is {'still there' if present else 'not there'}"

    return judge


def _plan(
    api: LambdaApi,
    layer_version_arn: str,
    principals: Sequence[str],
    organization_id: str | None,
    public: bool,
    actions: tuple[str, str],
    apply: bool,
    log: AuditLog | None,
) -> tuple[ShareResult, _Policy, AuditLog | None]:
    """The result with one action per principal: `actions` = (when its statement exists,
    when it does not); earlier intents on this version settled first when applying."""
    _, name, version = parse_layer_version_arn(layer_version_arn)
    check_region(layer_version_arn, api.region)
    check_principals(principals, organization_id, public)
    if len(set(principals)) != len(principals):
        raise LayerOpsError("each principal may be named once")
    result = ShareResult(version_arn=layer_version_arn)
    if apply:
        log = log or AuditLog(audit_path(None))
        reconcile(log, COMMANDS, lambda i: _judge(api, layer_version_arn, i), result)
    if not api.version_exists(name, version):
        raise LayerOpsError(
            f"layer version {layer_version_arn} does not exist (or is not visible to this "
            "account); nothing was changed"
        )
    policy = _Policy(api, name, version)
    for principal in principals:
        org = organization_id if principal == "*" else None
        sid = statement_id(principal, org)
        action = actions[0] if sid in policy.sids else actions[1]
        result.plan.append(ShareAction(layer_version_arn, principal, org, sid, action))
    return result, policy, log


def _carry_out(
    api: LambdaApi,
    result: ShareResult,
    policy: _Policy,
    log: AuditLog,
    command: str,
    wanted: str,
) -> None:
    """Make each `wanted` change of the plan; stop at the first that fails."""
    journal = Journal(command, log, result)
    result.applied = True
    adding = wanted == "add"
    for item in result.plan:
        if item.action != wanted:
            continue
        kwargs: dict[str, Any] = {
            "LayerName": policy.name,
            "VersionNumber": policy.version,
            "StatementId": item.statement_id,
        }
        if adding:
            kwargs |= {"Action": "lambda:GetLayerVersion", "Principal": item.principal}
            if policy.revision:
                kwargs["RevisionId"] = policy.revision
            if item.organization_id:
                kwargs["OrganizationId"] = item.organization_id
        method = (
            api.lambda_.add_layer_version_permission
            if adding
            else api.lambda_.remove_layer_version_permission
        )
        doing = (
            f"sharing {item.version_arn} with {item.principal}"
            if adding
            else f"removing {item.principal} from {item.version_arn}"
        )
        attempted = len(result.steps)
        try:
            step = journal.act(
                ADD if adding else REMOVE,
                item.version_arn,
                send=functools.partial(api.call, doing, method, **kwargs),
                verify=functools.partial(_settled, policy, item.statement_id, adding),
                key=item.statement_id,
                statement_id=item.statement_id,
                principal=item.principal,
                organization_id=item.organization_id,
                revision_id=policy.revision,
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


def share(
    api: LambdaApi,
    layer_version_arn: str,
    principals: Sequence[str],
    *,
    organization_id: str | None = None,
    public: bool = False,
    apply: bool = False,
    log: AuditLog | None = None,
) -> ShareResult:
    check_public(principals, organization_id, public)
    result, policy, log = _plan(
        api,
        layer_version_arn,
        principals,
        organization_id,
        public,
        ("already shared", "add"),
        apply,
        log,
    )
    if apply and log is not None:
        _carry_out(api, result, policy, log, "layer share", "add")
    return result


def unshare(
    api: LambdaApi,
    layer_version_arn: str,
    principals: Sequence[str],
    *,
    organization_id: str | None = None,
    apply: bool = False,
    log: AuditLog | None = None,
) -> ShareResult:
    # Removing '*' is always allowed: that is the way out of public sharing.
    result, policy, log = _plan(
        api,
        layer_version_arn,
        principals,
        organization_id,
        True,
        ("remove", "not shared"),
        apply,
        log,
    )
    if apply and log is not None:
        _carry_out(api, result, policy, log, "layer unshare", "remove")
    return result
