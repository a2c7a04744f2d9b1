"""Layer operations IaC cannot do, over boto3 clients: usage, prune, share, unshare, rollout.

Each operation lives in its own module (`usage.py`, `prune.py`, `share.py`, `rollout.py`,
over `api.py` and the identifier checks in `arns.py`); this class binds them to one pair of
clients for the CLI. Every argument is validated before the first call, and a plan that
would break a limit fails as a whole before the first change. Changing operations build a
plan and carry it out only when `apply` is true; without it they say what they would do.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from guardrails.tooling.layer_ops import prune, rollout, share, usage
from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.prune import PruneAction
from guardrails.tooling.layer_ops.rollout import RolloutResult
from guardrails.tooling.layer_ops.share import ShareAction
from guardrails.tooling.layer_ops.usage import UsageRow

__all__ = ["LayerOperations", "LayerOpsError"]


class LayerOperations:
    """The layer operations over a Lambda and a CloudWatch client (boto3)."""

    def __init__(
        self,
        lambda_client: Any,
        cloudwatch_client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api = LambdaApi(lambda_client, cloudwatch_client)
        self._sleep = sleep

    def usage(self, layer: str | None = None) -> list[UsageRow]:
        return usage.usage(self._api, layer)

    def prune(
        self, layer: str, keep: int, *, force: bool = False, apply: bool = False
    ) -> list[PruneAction]:
        return prune.prune(self._api, layer, keep, force=force, apply=apply)

    def share(
        self,
        layer_version_arn: str,
        principals: Sequence[str],
        *,
        organization_id: str | None = None,
        public: bool = False,
        apply: bool = False,
    ) -> list[ShareAction]:
        return share.share(
            self._api,
            layer_version_arn,
            principals,
            organization_id=organization_id,
            public=public,
            apply=apply,
        )

    def unshare(
        self,
        layer_version_arn: str,
        principals: Sequence[str],
        *,
        organization_id: str | None = None,
        apply: bool = False,
    ) -> list[ShareAction]:
        return share.unshare(
            self._api, layer_version_arn, principals, organization_id=organization_id, apply=apply
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
        return rollout.rollout(
            self._api,
            layer_version_arn,
            functions,
            percent=percent,
            alarm=alarm,
            bake_seconds=bake_seconds,
            apply=apply,
            sleep=self._sleep,
            now=now,
        )
