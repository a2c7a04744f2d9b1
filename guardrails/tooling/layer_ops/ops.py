"""Layer operations IaC cannot do, over boto3 clients: usage, prune, share, unshare, rollout.

Each operation lives in its own module (`usage.py`, `prune.py`, `share.py`, `rollout.py`,
over `api.py` and the identifier checks in `arns.py`); `LayerOperations` binds them to one
pair of clients for the CLI. Every argument is validated before the first call, and a plan
that would break a limit fails as a whole before the first change. Changing operations build
a plan and carry it out only when `apply` is true; without it they say what they would do.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from guardrails.tooling.layer_ops import prune, rollout, share, usage
from guardrails.tooling.layer_ops.api import LambdaApi, LayerOpsError
from guardrails.tooling.layer_ops.prune import PruneAction
from guardrails.tooling.layer_ops.rollout import RolloutResult
from guardrails.tooling.layer_ops.share import ShareAction
from guardrails.tooling.layer_ops.usage import UsageRow

__all__ = ["LayerOperations", "LayerOpsError"]


class LayerOperations:
    """The layer operations over a Lambda and a CloudWatch client (boto3); each method is the
    operation's function with the clients (and, for rollout, the bake's sleep) bound."""

    usage: functools.partial[list[UsageRow]]
    prune: functools.partial[list[PruneAction]]
    share: functools.partial[list[ShareAction]]
    unshare: functools.partial[list[ShareAction]]
    rollout: functools.partial[RolloutResult]

    def __init__(
        self,
        lambda_client: Any,
        cloudwatch_client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        api = LambdaApi(lambda_client, cloudwatch_client)
        self.usage = functools.partial(usage.usage, api)
        self.prune = functools.partial(prune.prune, api)
        self.share = functools.partial(share.share, api)
        self.unshare = functools.partial(share.unshare, api)
        self.rollout = functools.partial(rollout.rollout, api, sleep=sleep)
