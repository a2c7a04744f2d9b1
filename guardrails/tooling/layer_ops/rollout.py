"""Rollout: move the next batch of functions to a layer version, bake, roll back on ALARM.

A resumable state machine whose state lives on the functions (`rollout_state.py`):

1. Earlier intents without an outcome on the named functions are settled from their real
   state (`reconcile.py`).
2. An unfinished batch among the named functions (status pending, updated or baking) is
   dealt with before anything else: a batch of this version is resumed under its own id
   (the members not yet moved are moved, the batch is topped up to this run's percent, and
   the whole batch bakes again from the start, since nobody watched the alarm while the
   run was gone); a batch of another version, or any batch while the alarm is in ALARM, is
   rolled back to the versions its tags name, and then the run plans its own batch.
3. Otherwise the next batch is planned: a function counts as rolled out only when its tags
   say `promoted` for this version. A function already on the version without that (put
   there by hand or by a deploy) is never counted: it joins the batch and bakes with it,
   and is promoted only if the bake passes (it cannot be rolled back: what it ran before is
   not known).
4. Each member is tagged `pending` (with its previous version) and joins the rollback set
   before its update call is sent; after Lambda applied the new layers it is `updated`;
   when the whole batch is, `baking`; after the bake, `promoted`, or on ALARM, a failed
   call or Ctrl-C the rollback set is restored (`restore`: layers back, `rolled-back`).

Every call goes through the journal (intent, call, read back, outcome). A rollback holds
Ctrl-C until it is done: a half-restored batch is what it exists to prevent.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from guardrails.runtime.layer_builder.spec import MAX_LAYERS_PER_FUNCTION
from guardrails.runtime.tag_keys import ENVIRONMENT_KEY
from guardrails.runtime.validation import LAMBDA_FUNCTION_NAME, matches
from guardrails.tooling.acting.audit_trail import AuditLog, Intent, Status, audit_path
from guardrails.tooling.acting.production import ProductionPolicy
from guardrails.tooling.layer_ops.api import (
    AwsCallError,
    FunctionState,
    LambdaApi,
    LayerOpsError,
)
from guardrails.tooling.layer_ops.arns import (
    ALARM_NAME,
    check_region,
    parse_layer_version_arn,
    unversioned,
)
from guardrails.tooling.layer_ops.journal import Acted, Journal, NotApplied, Step, StepFailed
from guardrails.tooling.layer_ops.reconcile import Judge, arn_region, reconcile
from guardrails.tooling.layer_ops.rollout_state import (
    ROLLOUT_BATCH_TAG,
    ROLLOUT_LAYER_TAG,
    ROLLOUT_PREVIOUS_TAG,
    ROLLOUT_STATUS_TAG,
    Mark,
    Phase,
    read_mark,
)

__all__ = [
    "MAX_BAKE_SECONDS",
    "ROLLOUT_BATCH_TAG",
    "ROLLOUT_LAYER_TAG",
    "ROLLOUT_PREVIOUS_TAG",
    "ROLLOUT_STATUS_TAG",
    "FunctionChange",
    "RolloutResult",
    "check_bake_seconds",
    "production_reason",
    "rollout",
]

COMMAND = "layer rollout"
UPDATE, RESTORE, TAG = "update-function-layers", "restore-function-layers", "tag-function"
MAX_BAKE_SECONDS = 6 * 3600
"""The longest bake one run holds a terminal for; a longer watch is a later batch."""
DEFAULT_UPDATE_WAIT = 300.0


@dataclass
class FunctionChange:
    function: str
    arn: str
    before: list[str]
    after: list[str]
    moves: bool = True
    """False: already on the version before this batch; in it for the bake only."""
    phase: str = ""
    """The rollout state the function ended in (empty: dry run, nothing done to it)."""


@dataclass
class RolloutResult(Acted):
    layer_version_arn: str = ""
    batch_id: str = ""
    batch: list[FunctionChange] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    """Promoted on this version by an earlier batch."""
    pending_after: list[str] = field(default_factory=list)
    alarm: str = ""
    alarm_state: str | None = None
    rolled_back: bool = False
    applied: bool = False
    resumed: bool = False
    """The batch is an unfinished batch of an earlier run, resumed."""
    recovered: list[FunctionChange] = field(default_factory=list)
    """Members of an unfinished batch rolled back before anything else."""
    stuck: list[str] = field(default_factory=list)
    """Functions a rollback could not restore: still on the version, tags unfinished."""


def _same_layer(arn: str, other: str) -> bool:
    return unversioned(arn) == unversioned(other)


def _with_version(layers: Sequence[str], version: str) -> list[str]:
    """`layers` with the layer of `version` replaced in place (or appended)."""
    after = [version if _same_layer(a, version) else a for a in layers]
    return after if version in after else [*after, version]


def _without_version(layers: Sequence[str], version: str, previous: str | None) -> list[str]:
    """`layers` with `version` back to `previous` (or removed when it was added)."""
    if previous is None:
        return [a for a in layers if a != version]
    return [previous if a == version else a for a in layers]


def _previous_of(layers: Sequence[str], version: str) -> str | None:
    return next((a for a in layers if _same_layer(a, version) and a != version), None)


def _batch_id(now: datetime | None, percent: float) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{percent:g}pct"


@contextmanager
def _holding_interrupts() -> Iterator[list[int]]:
    """Ctrl-C is noted, not raised, while the block runs (main thread only)."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)


class _Run:
    """One rollout run's calls: tags, moves and restores through the journal."""

    def __init__(
        self,
        api: LambdaApi,
        journal: Journal | None,
        result: RolloutResult,
        say: Callable[[str], None],
        update_wait: float,
    ) -> None:
        self.api = api
        self.journal = journal
        self.result = result
        self.say = say
        self.update_wait = update_wait
        self.updates: dict[str, Step] = {}

    def _journal(self) -> Journal:
        if self.journal is None:  # pragma: no cover - a dry run never gets here
            raise LayerOpsError("a dry run changes nothing")
        return self.journal

    def tag(self, change: FunctionChange, mark: Mark) -> None:
        tags = mark.tags()
        self._journal().act(
            TAG,
            change.arn,
            send=lambda: self.api.call(
                f"tagging {change.function}",
                self.api.lambda_.tag_resource,
                Resource=change.arn,
                Tags=tags,
            ),
            verify=lambda: tags.items() <= self.api.function(change.function).tags.items(),
            function=change.function,
            batch=mark.batch,
            tags=tags,
        )
        change.phase = mark.phase.value

    def set_layers(
        self,
        action: str,
        change: FunctionChange,
        layers: list[str],
        state: FunctionState,
        batch: str,
    ) -> Step:
        """Update the function's layers (guarded by its revision id) and wait until Lambda
        applied them; the outcome is what the function reads back."""

        def verify() -> bool:
            current = self.api.settled(change.function, timeout=self.update_wait)
            if current.last_update == "Failed":
                raise NotApplied(
                    "Lambda reports the update failed: "
                    + (current.last_update_reason or "no reason given")
                )
            return list(current.layers) == layers

        kwargs = {"FunctionName": change.function, "Layers": layers}
        if state.revision_id:
            kwargs["RevisionId"] = state.revision_id
        return self._journal().act(
            action,
            change.arn,
            send=lambda: self.api.call(
                f"updating {change.function}",
                self.api.lambda_.update_function_configuration,
                **kwargs,
            ),
            verify=verify,
            key=state.revision_id or None,
            function=change.function,
            batch=batch,
            layers_before=list(state.layers),
            layers_after=layers,
        )

    def move(self, change: FunctionChange, version: str) -> None:
        state = self.api.settled(change.function, timeout=self.update_wait)
        if version in state.layers:
            return
        change.after = _with_version(state.layers, version)
        self.updates[change.function] = self.set_layers(
            UPDATE, change, change.after, state, self.result.batch_id
        )

    def restore(self, change: FunctionChange, version: str, batch: str) -> None:
        """Put one function back: layers as before the batch, tags `rolled-back`. Only
        what is needed: a function whose update never took effect just gets its tag."""
        state = self.api.settled(change.function, timeout=self.update_wait)
        mark = read_mark(state.tags)
        ours = mark is not None and mark.batch == batch and mark.version == version
        changed = False
        if version in state.layers:
            if not ours or mark is None or not mark.previous_known:
                raise LayerOpsError(
                    f"{change.function} is on {version} but its tags do not name the version "
                    "it replaced: restore its layers by hand"
                )
            restored = _without_version(state.layers, version, mark.previous)
            self.say(f"rolling back {change.function}")
            step = self.set_layers(RESTORE, change, restored, state, batch)
            if change.function in self.updates and self.journal is not None:
                self.journal.undone(self.updates[change.function], step)
            change.after, changed = restored, True
        if ours and mark is not None and mark.unfinished:
            self.tag(change, mark.to(Phase.ROLLED_BACK))
            changed = True
        change.phase = Phase.ROLLED_BACK.value if changed else "unchanged"

    def roll_back(self, members: Sequence[FunctionChange], version: str, batch: str) -> bool:
        """Restore every member (last moved first), whatever fails on the way; Ctrl-C waits
        until all are tried. Returns whether Ctrl-C was pressed meanwhile."""
        problems: list[str] = []
        with _holding_interrupts() as caught:
            for change in reversed(members):
                try:
                    self.restore(change, version, batch)
                except LayerOpsError as exc:
                    self.result.stuck.append(change.function)
                    problems.append(str(exc))
        if problems:
            message = "rollback incomplete, a rerun rolls back first: " + "; ".join(problems)
            self.result.error = f"{self.result.error}; {message}" if self.result.error else message
        return bool(caught)


def _judge(api: LambdaApi, functions: Sequence[str], intent: Intent) -> Judge | None:
    function = intent.details.get("function")
    if function not in functions or arn_region(intent.target) != api.region:
        return None
    if intent.action == TAG:
        tags = intent.details.get("tags")
        if not isinstance(tags, dict):
            return None

        def judge_tags() -> tuple[Status, str]:
            current = api.function(str(function)).tags
            if tags.items() <= current.items():
                return "done", "the function carries the tags"
            return "failed", "the function does not carry the tags: the call did not take effect"

        return judge_tags
    if intent.action in (UPDATE, RESTORE):
        before, after = intent.details.get("layers_before"), intent.details.get("layers_after")

        def judge_layers() -> tuple[Status, str]:
            layers = list(api.function(str(function)).layers)
            if layers == after:
                return "done", "the function has the new layers"
            if layers == before:
                return "failed", "the function has its old layers: the call did not take effect"
            return "unknown", f"the function has moved on since (layers now {layers})"

        return judge_layers
    return None


def check_bake_seconds(value: float) -> None:
    """The bake is the alarm's chance to fire: a number of seconds, bounded."""
    if not math.isfinite(value) or value < 0:
        raise LayerOpsError(f"--bake-seconds must be a number of seconds >= 0 (got {value})")
    if value > MAX_BAKE_SECONDS:
        raise LayerOpsError(
            f"--bake-seconds must be at most {MAX_BAKE_SECONDS} (6 hours: the longest one run "
            f"holds a terminal for; bake longer by rolling out the next batch later) (got {value})"
        )


def _check_arguments(
    layer_version_arn: str,
    functions: Sequence[str],
    percent: float,
    alarm: str,
    bake_seconds: float,
) -> None:
    parse_layer_version_arn(layer_version_arn)
    if not 0 < percent <= 100:
        raise LayerOpsError(f"--percent must be in (0, 100] (got {percent:g})")
    check_bake_seconds(bake_seconds)
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


def production_reason(state: FunctionState, policy: ProductionPolicy) -> str | None:
    """Why the function is production (the one production guard: its `environment` tag,
    none counting as production, or its account), or None."""
    account = state.arn.split(":")[4] if state.arn.count(":") >= 6 else None
    return policy.reason(
        environment=state.tags.get(ENVIRONMENT_KEY), account=account, tag=ENVIRONMENT_KEY
    )


def _refuse_production(
    states: dict[str, FunctionState], policy: ProductionPolicy, allow_prod: bool
) -> None:
    if allow_prod:
        return
    production = [
        f"{name}: {reason}"
        for name, state in states.items()
        if (reason := production_reason(state, policy))
    ]
    if production:
        raise LayerOpsError(
            "rollout refused, nothing was changed: production functions need --allow-prod\n"
            + "\n".join(f"  {p}" for p in production)
        )


def _unfinished_plan(
    states: dict[str, FunctionState], version: str, alarm_state: str
) -> tuple[list[FunctionChange], str | None]:
    """The members of unfinished batches, and the batch id to resume (None: roll them back)."""
    marks = {f: m for f, s in states.items() if (m := read_mark(s.tags)) and m.unfinished}
    members = [
        FunctionChange(
            f,
            states[f].arn,
            _without_version(states[f].layers, m.version, m.previous)
            if m.previous_known
            else list(states[f].layers),
            list(states[f].layers),
            phase=m.phase.value,
        )
        for f, m in marks.items()
    ]
    batches = {(m.batch, m.version) for m in marks.values()}
    if len(batches) == 1 and alarm_state != "ALARM":
        batch, batch_version = next(iter(batches))
        if batch_version == version:
            return members, batch
    return members, None


def rollout(
    api: LambdaApi,
    layer_version_arn: str,
    functions: Sequence[str],
    *,
    percent: float,
    alarm: str,
    bake_seconds: float = 300,
    apply: bool = False,
    log: AuditLog | None = None,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = lambda _: None,
    update_wait: float = DEFAULT_UPDATE_WAIT,
    now: datetime | None = None,
    policy: ProductionPolicy | None = None,
    allow_prod: bool = False,
) -> RolloutResult:
    """Resume, roll back or take the next batch of `functions` to the layer version.

    The batch tops the share of `functions` promoted on the new version up to `percent`;
    calling again with a higher percent continues the rollout. Other layers and their
    order are kept; a function that would exceed five layers stops the whole rollout
    before any change, and so does a production function (`policy`; the built-in one by
    default) unless `allow_prod`. Errors after a change are in `result.error` (with what was
    done and undone in `result.steps`), Ctrl-C in `result.interrupted`.
    """
    _check_arguments(layer_version_arn, functions, percent, alarm, bake_seconds)
    check_region(layer_version_arn, api.region)
    states = {f: api.function(f) for f in functions}
    _refuse_production(states, policy or ProductionPolicy(), allow_prod)
    result = RolloutResult(layer_version_arn=layer_version_arn, alarm=alarm)
    journal = None
    if apply:
        log = log or AuditLog(audit_path(None))
        # reconcile only reads and records; `states` stay what the functions are
        reconcile(log, (COMMAND,), lambda i: _judge(api, functions, i), result)
        journal = Journal(COMMAND, log, result)
    run = _Run(api, journal, result, say, update_wait)
    result.alarm_state = api.alarm_state(alarm)

    unfinished, resume = _unfinished_plan(states, layer_version_arn, result.alarm_state)
    resumed: list[FunctionChange] = []
    if resume is not None:
        # The earlier run's batch, completed as that run would have: same id, same members,
        # topped up below to this run's percent, baked once from the start.
        result.batch_id, result.resumed, resumed = resume, True, unfinished
    elif unfinished:
        result.recovered = unfinished
        if apply:
            for change in unfinished:
                mark = read_mark(states[change.function].tags)
                if mark is not None and run.roll_back([change], mark.version, mark.batch):
                    result.interrupted = True
            if result.interrupted or result.error:
                return result
            states.update({c.function: api.function(c.function) for c in unfinished})
        else:  # the plan below sees them as the rollback would leave them
            for change in unfinished:
                state = states[change.function]
                states[change.function] = FunctionState(
                    state.name,
                    state.arn,
                    tuple(change.before),
                    state.revision_id,
                    state.last_update,
                    state.last_update_reason,
                    {},
                )
    if result.alarm_state == "ALARM":
        message = f"alarm {alarm} is already in ALARM; fix that before rolling out"
        if result.changed:
            result.error = message
            return result
        raise LayerOpsError(message)

    result.batch_id = result.batch_id or _batch_id(now, percent)
    in_batch = {c.function for c in resumed}
    movers: list[FunctionChange] = []
    unbaked: list[FunctionChange] = []
    problems: list[str] = []
    for function in functions:
        state = states[function]
        mark = read_mark(state.tags)
        if function in in_batch:
            continue
        if layer_version_arn in state.layers:
            promoted = mark is not None and mark.version == layer_version_arn
            if promoted and mark is not None and mark.phase is Phase.PROMOTED:
                result.already.append(function)
            else:
                layers = list(state.layers)
                unbaked.append(FunctionChange(function, state.arn, layers, layers, moves=False))
            continue
        after = _with_version(state.layers, layer_version_arn)
        if len(after) > MAX_LAYERS_PER_FUNCTION:
            problems.append(
                f"{function} would have {len(after)} layers (Lambda allows "
                f"{MAX_LAYERS_PER_FUNCTION}): {', '.join(after)}"
            )
        movers.append(FunctionChange(function, state.arn, list(state.layers), after))
    if problems:
        message = "rollout refused, nothing was changed:\n" + "\n".join(f"  {p}" for p in problems)
        if result.changed:
            result.error = message
            return result
        raise LayerOpsError(message)
    target = math.ceil(len(functions) * percent / 100)
    size = max(0, target - len(result.already) - len(resumed) - len(unbaked))
    result.batch = resumed + unbaked + movers[:size]
    result.pending_after = [c.function for c in movers[size:]]
    if apply and result.batch:
        marks = {c.function: read_mark(states[c.function].tags) for c in resumed}
        marks |= {c.function: None for c in result.batch if c.function not in in_batch}
        _carry_out(run, result, marks, layer_version_arn, alarm, bake_seconds, sleep)
    return result


def _carry_out(
    run: _Run,
    result: RolloutResult,
    marks: dict[str, Mark | None],
    version: str,
    alarm: str,
    bake_seconds: float,
    sleep: Callable[[float], None],
) -> None:
    """Move, bake and promote the batch; on ALARM, a failure or Ctrl-C, roll it back.
    `marks` are the members' tags as read (None: not yet tagged for this batch)."""
    result.applied = True
    batch = result.batch_id
    movers = [c for c in result.batch if c.moves]
    rollback: list[FunctionChange] = []
    failed = False
    try:
        for change in movers:
            mark = marks.get(change.function)
            if mark is None:
                mark = Mark(batch, version, _previous_of(change.before, version), Phase.PENDING)
                rollback.append(change)  # before any call: even a lost tag call is undone
                run.tag(change, mark)
            else:
                rollback.append(change)
            run.move(change, version)
            if mark.phase is Phase.PENDING:
                run.tag(change, mark.to(Phase.UPDATED))
            marks[change.function] = mark
        for change in movers:
            mark = marks[change.function]
            if mark is not None and mark.phase is not Phase.BAKING:
                run.tag(change, mark.to(Phase.BAKING))
        for change in result.batch:
            if not change.moves:
                change.phase = "baking (not moved by this batch)"
        run.say(f"baking {len(result.batch)} function(s) for {bake_seconds:g} s")
        sleep(bake_seconds)
        result.alarm_state = run.api.alarm_state(alarm)
        failed = result.alarm_state == "ALARM"
    except (StepFailed, AwsCallError, LayerOpsError) as exc:
        result.error = str(exc)
        failed = True
    except KeyboardInterrupt:
        result.interrupted = True
        failed = True
    if failed:
        if rollback and run.roll_back(rollback, version, batch):
            result.interrupted = True
        result.rolled_back = bool(rollback)
        for change in result.batch:
            if not change.moves:
                change.phase = "not rolled back (was on the version before this batch)"
        return
    _promote(run, result, marks, version, batch)


def _promote(
    run: _Run,
    result: RolloutResult,
    marks: dict[str, Mark | None],
    version: str,
    batch: str,
) -> None:
    """Tag every member `promoted`; a tag that fails leaves that member `baking`, which the
    next run resumes with a new bake (nothing is rolled back: the bake passed)."""
    problems: list[str] = []
    for change in result.batch:
        mark = marks.get(change.function)
        if mark is None:  # on the version before the batch: what it replaced is not known
            mark = Mark(batch, version, None, Phase.BAKING, previous_known=False)
        try:
            run.tag(change, mark.to(Phase.PROMOTED))
        except LayerOpsError as exc:
            problems.append(str(exc))
        except KeyboardInterrupt:
            result.interrupted = True
            break
    if problems:
        result.error = (
            "the bake passed but some functions could not be tagged promoted (a rerun bakes "
            "them again): " + "; ".join(problems)
        )
