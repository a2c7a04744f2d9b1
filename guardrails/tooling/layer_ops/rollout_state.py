"""Where a rollout keeps its state: on each function, as tags, so that a rerun reads it from
the resource (never from our log alone), whatever happened to the run that wrote it.

    guardrails:rollout-batch     the batch id, e.g. 20261201T101500Z-25pct
    guardrails:layer-version     the layer version ARN the batch rolls out
    guardrails:rollout-previous  the version of the same layer it replaced ("none": added;
                                 "unknown": the function was on the version before the batch)
    guardrails:rollout-status    pending -> updated -> baking -> promoted | rolled-back

`pending` is written before the function's layers change (with the previous version, so a
rerun can roll it back), `updated` once Lambda has applied the new layers, `baking` when
the whole batch is on the version and the bake starts, `promoted` when the alarm stayed
quiet through the bake, `rolled-back` when the function is back on its previous layers.
A function in `pending`, `updated` or `baking` belongs to an unfinished batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ROLLOUT_BATCH_TAG = "guardrails:rollout-batch"
ROLLOUT_LAYER_TAG = "guardrails:layer-version"
ROLLOUT_PREVIOUS_TAG = "guardrails:rollout-previous"
ROLLOUT_STATUS_TAG = "guardrails:rollout-status"
NO_PREVIOUS = "none"
UNKNOWN_PREVIOUS = "unknown"


class Phase(StrEnum):
    PENDING = "pending"
    UPDATED = "updated"
    BAKING = "baking"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"


UNFINISHED = frozenset({Phase.PENDING, Phase.UPDATED, Phase.BAKING})
# Written by guardrails before the state machine: a batch that passed its bake.
_LEGACY = {"healthy": Phase.PROMOTED}


@dataclass(frozen=True)
class Mark:
    """A function's rollout state, as its tags say."""

    batch: str
    version: str
    previous: str | None
    """The version of the same layer the batch replaced (None: the layer was added)."""
    phase: Phase
    previous_known: bool = True
    """False for tags written before the previous version was kept (no rollback possible)."""

    def tags(self) -> dict[str, str]:
        return {
            ROLLOUT_BATCH_TAG: self.batch,
            ROLLOUT_LAYER_TAG: self.version,
            ROLLOUT_PREVIOUS_TAG: (self.previous or NO_PREVIOUS)
            if self.previous_known
            else UNKNOWN_PREVIOUS,
            ROLLOUT_STATUS_TAG: self.phase.value,
        }

    def to(self, phase: Phase) -> Mark:
        return Mark(self.batch, self.version, self.previous, phase, self.previous_known)

    @property
    def unfinished(self) -> bool:
        return self.phase in UNFINISHED


def read_mark(tags: dict[str, str]) -> Mark | None:
    """The rollout state in `tags`, or None when there is none (or it is not ours)."""
    status = tags.get(ROLLOUT_STATUS_TAG)
    version = tags.get(ROLLOUT_LAYER_TAG)
    if status is None or version is None:
        return None
    try:
        phase = _LEGACY.get(status) or Phase(status)
    except ValueError:
        return None
    previous = tags.get(ROLLOUT_PREVIOUS_TAG)
    return Mark(
        tags.get(ROLLOUT_BATCH_TAG, ""),
        version,
        None if previous in (None, NO_PREVIOUS, UNKNOWN_PREVIOUS) else previous,
        phase,
        previous not in (None, UNKNOWN_PREVIOUS),
    )
