"""Layer operations IaC cannot do, over boto3 clients: usage, prune, share, unshare, rollout.

Each operation lives in its own module (`usage.py`, `prune.py`, `share.py`, `rollout.py`,
over `api.py`, the identifier checks in `arns.py`, the journal of changes in `journal.py`
and the settling of earlier runs in `reconcile.py`); `LayerOperations` binds them to one
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
from guardrails.tooling.layer_ops.prune import PruneResult
from guardrails.tooling.layer_ops.rollout import RolloutResult
from guardrails.tooling.layer_ops.share import ShareResult
from guardrails.tooling.layer_ops.usage import UsageRow

__all__ = ["LayerOperations", "LayerOpsError"]


class LayerOperations:
    """The layer operations over a Lambda and a CloudWatch client (boto3); each method is the
    operation's function with the clients (and, for rollout, the bake's sleep and the lines
    it says while rolling back) bound."""

    usage: functools.partial[list[UsageRow]]
    prune: functools.partial[PruneResult]
    share: functools.partial[ShareResult]
    unshare: functools.partial[ShareResult]
    rollout: functools.partial[RolloutResult]

    def __init__(
        self,
        lambda_client: Any,
        cloudwatch_client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        say: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.api = LambdaApi(lambda_client, cloudwatch_client)
        self.usage = functools.partial(usage.usage, self.api)
        self.prune = functools.partial(prune.prune, self.api)
        self.share = functools.partial(share.share, self.api)
        self.unshare = functools.partial(share.unshare, self.api)
        self.rollout = functools.partial(rollout.rollout, self.api, sleep=sleep, say=say)
