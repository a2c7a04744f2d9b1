"""The layer commands under faults: a fault-injecting proxy in front of the real moto server
(`tests/aws_faults.py`) and SIGKILL of the command before and after each changing call,
each followed by a rerun.

For every case: nothing done twice (no change moto carried out twice), nothing done
without an intent record already synced when the call arrived, every change with an outcome
after the rerun, the resources as planned, the exit code, and the wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from guardrails.tooling.acting.audit_trail import AuditLog
from guardrails.tooling.cli import main
from guardrails.tooling.layer_ops.rollout_state import (
    ROLLOUT_BATCH_TAG,
    ROLLOUT_STATUS_TAG,
)
from tests.aws_faults import Call, FaultProxy, serving
from tests.layer_scene import Account
from tests.moto_server import CREDENTIALS, REGION

pytestmark = pytest.mark.subprocess  # the moto server, and the command as a child process

BUDGET = 20.0
"""--timeout of every run here: the AWS budget a run may spend."""
STARTUP = 10.0
"""What a child process may take beyond the budget to start and import on a busy machine."""


@pytest.fixture
def account(aws: str) -> Account:
    return Account(aws)


@pytest.fixture
def fault_proxy(aws: str) -> Iterator[FaultProxy]:
    with serving(aws) as proxy:
        yield proxy


# --- what every case asserts --------------------------------------------------------------


def _records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _matches(call: Call, record: dict[str, Any]) -> bool:
    """Whether `record` (an intent) announces the change `call` made."""
    body = json.loads(call.body or b"{}")
    target = call.target
    action = record.get("action")
    if call.operation == "DeleteLayerVersion":
        name, version = target.split("/")[3], target.split("/")[5]
        return action == "delete-layer-version" and record["target"].endswith(
            f":layer:{name}:{version}"
        )
    if call.operation == "AddLayerVersionPermission":
        return action == "add-layer-permission" and record.get("statement_id") == body.get(
            "StatementId"
        )
    if call.operation == "RemoveLayerVersionPermission":
        return action == "remove-layer-permission" and record.get("statement_id") == unquote(
            target.rsplit("/", 1)[1]
        )
    if call.operation == "TagResource":
        return (
            action == "tag-function"
            and record["target"] == target.split("/tags/", 1)[1]
            and record.get("tags") == body.get("Tags")
        )
    if call.operation == "UpdateFunctionConfiguration":
        return (
            action in ("update-function-layers", "restore-function-layers")
            and record.get("function") == target.split("/")[3]
            and record.get("layers_after") == body.get("Layers")
        )
    raise AssertionError(f"a change the layer commands never make: {call.operation}")


def assert_journal(audit: Path, proxy: FaultProxy) -> None:
    """Nothing done twice, nothing without an intent synced before it, every intent with an
    outcome, and each change's outcome `done`."""
    changes = proxy.changes()
    twice = Counter((c.operation, c.target, c.body) for c in changes)
    assert [k for k, n in twice.items() if n > 1] == [], "a change was carried out twice"
    records = _records(audit)
    outcomes: dict[str, list[str]] = {}
    for record in records:
        if record.get("record") == "outcome":
            outcomes.setdefault(record["intent"], []).append(record["status"])
    for call in changes:
        announced = [
            r
            for r in records[: call.audit_lines]
            if r.get("record") == "intent" and _matches(call, r)
        ]
        assert announced, f"{call.operation} {call.target} had no intent record before it"
        assert any("done" in outcomes.get(r["intent"], []) for r in announced), (
            f"{call.operation} {call.target}: no outcome `done` for its intent"
        )
    assert AuditLog(audit).unresolved() == [], "intents without outcome after the rerun"


# --- running the command as a child process ------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GUARDRAILS_"))}
    return {
        **env,
        **CREDENTIALS,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "GUARDRAILS_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
    }


def run_child(proxy: FaultProxy, tmp_path: Path, argv: list[str], *, victim: bool = False) -> Run:
    command = [
        sys.executable,
        "-m",
        "guardrails.tooling.cli",
        *argv,
        "--aws-endpoint-url",
        proxy.url,
        "--aws-region",
        REGION,
        "--timeout",
        f"{BUDGET:g}",
    ]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if victim:
        proxy.victim = process.pid
    out, err = process.communicate(timeout=BUDGET * 3 + STARTUP)
    return Run(process.returncode, out, err, time.monotonic() - started)


# --- the scenarios -------------------------------------------------------------------------


@dataclass
class Scenario:
    setup: Callable[[Account], dict[str, Any]]
    argv: Callable[[dict[str, Any]], list[str]]
    kill_points: list[tuple[str, int]]
    """(operation, n-th call) of every changing call an uninterrupted run makes."""
    planned: Callable[[Account, dict[str, Any]], None]
    """Asserts the resources are as an uninterrupted run leaves them."""


def _prune_setup(account: Account) -> dict[str, Any]:
    return {"arns": account.publish("deps", 3)}


def _prune_planned(account: Account, scene: dict[str, Any]) -> None:
    assert account.versions("deps") == [3]


SHARED = ("210987654321", "111122223333")


def _share_setup(account: Account) -> dict[str, Any]:
    (arn,) = account.publish("deps")
    return {"arn": arn}


def _share_planned(account: Account, scene: dict[str, Any]) -> None:
    sids = [s["Sid"] for s in account.statements("deps", 1)]
    assert sorted(sids) == sorted(f"guardrails-{a}" for a in SHARED)  # each exactly once


def _unshare_setup(account: Account) -> dict[str, Any]:
    (arn,) = account.publish("deps")
    for principal in SHARED:
        account.awslambda.add_layer_version_permission(
            LayerName="deps",
            VersionNumber=1,
            StatementId=f"guardrails-{principal}",
            Action="lambda:GetLayerVersion",
            Principal=principal,
        )
    return {"arn": arn}


def _unshare_planned(account: Account, scene: dict[str, Any]) -> None:
    assert [s["Sid"] for s in account.statements("deps", 1)] == [f"guardrails-{SHARED[1]}"]


def _rollout_setup(account: Account) -> dict[str, Any]:
    deps = account.publish("deps", 2)
    (first,) = account.publish("first")
    for name in ("fn-a", "fn-b"):
        account.function(name, [first, deps[0]])
    account.alarm("deps-errors")
    return {"old": deps[0], "new": deps[1], "first": first}


def _rollout_argv(scene: dict[str, Any]) -> list[str]:
    return [
        "layer",
        "rollout",
        "--layer-arn",
        scene["new"],
        "--functions",
        "fn-a",
        "fn-b",
        "--percent",
        "100",
        "--alarm",
        "deps-errors",
        "--bake-seconds",
        "0",
        "--apply",
    ]


def _rollout_planned(account: Account, scene: dict[str, Any]) -> None:
    batches = set()
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [scene["first"], scene["new"]]
        tags = account.tags_of(name)
        assert tags[ROLLOUT_STATUS_TAG] == "promoted"
        batches.add(tags[ROLLOUT_BATCH_TAG])
    assert len(batches) == 1, "the rerun finished the batch the killed run started"


SCENARIOS = {
    "prune": Scenario(
        _prune_setup,
        lambda _: ["layer", "prune", "--layer", "deps", "--keep", "1", "--apply"],
        [("DeleteLayerVersion", 1), ("DeleteLayerVersion", 2)],
        _prune_planned,
    ),
    "share": Scenario(
        _share_setup,
        lambda s: (
            ["layer", "share", "--layer-arn", s["arn"], "--apply"]
            + [x for a in SHARED for x in ("--principal", a)]
        ),
        [("AddLayerVersionPermission", 1), ("AddLayerVersionPermission", 2)],
        _share_planned,
    ),
    "unshare": Scenario(
        _unshare_setup,
        lambda s: [
            "layer",
            "unshare",
            "--layer-arn",
            s["arn"],
            "--principal",
            SHARED[0],
            "--apply",
        ],
        [("RemoveLayerVersionPermission", 1)],
        _unshare_planned,
    ),
    "rollout": Scenario(
        _rollout_setup,
        _rollout_argv,
        # pending, update, updated for fn-a then fn-b; baking a, b; promoted a, b
        [("TagResource", n) for n in range(1, 9)]
        + [("UpdateFunctionConfiguration", 1), ("UpdateFunctionConfiguration", 2)],
        _rollout_planned,
    ),
}

KILLS = [
    pytest.param(name, operation, nth, after, id=f"{name}-{operation}-{nth}-{when}")
    for name, scenario in SCENARIOS.items()
    for operation, nth in scenario.kill_points
    for after, when in ((False, "before"), (True, "after"))
]


@pytest.mark.parametrize(("name", "operation", "nth", "after"), KILLS)
def test_a_killed_run_and_its_rerun(account, fault_proxy, tmp_path, name, operation, nth, after):
    scenario = SCENARIOS[name]
    scene = scenario.setup(account)
    argv = scenario.argv(scene)
    fault_proxy.audit = tmp_path / "audit.jsonl"
    fault_proxy.kill(operation, nth, after=after)

    killed = run_child(fault_proxy, tmp_path, argv, victim=True)
    assert killed.code == -9 and fault_proxy.killed.is_set(), killed.err
    done = fault_proxy.of(operation)[nth - 1]
    assert done.changed == after  # killed before the call reached moto, or after it acted

    fault_proxy.rules.clear()
    fault_proxy.victim = None
    rerun = run_child(fault_proxy, tmp_path, argv)
    assert rerun.code == 0, rerun.err
    assert rerun.seconds < BUDGET + STARTUP
    scenario.planned(account, scene)
    assert_journal(fault_proxy.audit, fault_proxy)
    # The rerun settled what the killed run left open, from the resource's state.
    reconciled = [r for r in _records(fault_proxy.audit) if r.get("reconciled")]
    assert [r["status"] for r in reconciled] == (["done"] if after else ["failed"])


# --- faults answered by the proxy, the command in this process ----------------------------


def _cli(proxy: FaultProxy, *argv: str) -> list[str]:
    return [
        *argv,
        "--aws-endpoint-url",
        proxy.url,
        "--aws-region",
        REGION,
        "--timeout",
        f"{BUDGET:g}",
    ]


def _timed(argv: list[str]) -> tuple[int, float]:
    started = time.monotonic()
    code = main(argv)
    return code, time.monotonic() - started


def _by_status(audit: Path, action: str) -> dict[str, list[str]]:
    """Target -> the outcome statuses of `action`'s intents, in order."""
    records = _records(audit)
    targets = {r["intent"]: r["target"] for r in records if r.get("record") == "intent"}
    found: dict[str, list[str]] = {}
    for record in records:
        if record.get("record") == "outcome" and record["action"] == action:
            found.setdefault(targets[record["intent"]], []).append(record["status"])
    return found


def test_prune_that_fails_after_a_deletion_is_exit_1_with_a_record_of_each(
    account, fault_proxy, tmp_path, capsys
):
    account.publish("deps", 4)
    audit = fault_proxy.audit = tmp_path / "audit.jsonl"
    fault_proxy.fail(
        "DeleteLayerVersion", 2, status=403, code="AccessDeniedException", message="denied"
    )
    code, seconds = _timed(
        [
            *_cli(fault_proxy, "layer", "prune", "--layer", "deps", "--keep", "1", "--apply"),
            "--format",
            "json",
        ]
    )
    assert code == 1 and seconds < BUDGET
    captured = capsys.readouterr()
    assert "AccessDeniedException: denied (after changes: see the audit log)" in captured.err
    assert account.versions("deps") == [1, 2, 4]  # v3 deleted, v2 refused, v1 not attempted
    statuses = _by_status(audit, "delete-layer-version")
    assert {t.rsplit(":", 1)[1]: s for t, s in statuses.items()} == {
        "3": ["done"],
        "2": ["failed"],
    }
    summary = _records(audit)[-1]
    assert summary["record"] == "summary" and summary["exit"] == 1
    assert [(p["version"], p["outcome"]) for p in summary["result"]["plan"]] == [
        (4, None),
        (3, "done"),
        (2, "failed"),
        (1, None),
    ]
    assert_journal(audit, fault_proxy)  # failed intents are settled too
    rows = json.loads(captured.out)
    assert [(r["version"], r["outcome"]) for r in rows] == [
        (4, ""),
        (3, "done"),
        (2, "failed"),
        (1, "not attempted"),
    ]


def test_prune_refused_at_its_first_deletion_is_exit_2_and_says_nothing_changed(
    account, fault_proxy, tmp_path, capsys
):
    account.publish("deps", 2)
    audit = fault_proxy.audit = tmp_path / "audit.jsonl"
    fault_proxy.fail(
        "DeleteLayerVersion", 1, status=403, code="AccessDeniedException", message="denied"
    )
    argv = _cli(fault_proxy, "layer", "prune", "--layer", "deps", "--keep", "1", "--apply")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "deleting deps:1: AccessDeniedException: denied" in err
    assert "after changes" not in err
    assert account.versions("deps") == [1, 2]
    [(target, statuses)] = _by_status(audit, "delete-layer-version").items()
    assert target.endswith(":layer:deps:1") and statuses == ["failed"]
    assert fault_proxy.changes() == []


def test_rollout_rolled_back_after_a_409_is_exit_1_with_what_was_done_and_undone(
    account, fault_proxy, tmp_path, capsys
):
    scene = _rollout_setup(account)
    audit = fault_proxy.audit = tmp_path / "audit.jsonl"
    fault_proxy.fail(
        "UpdateFunctionConfiguration",
        2,
        status=409,
        code="ResourceConflictException",
        message="An update is in progress for resource: fn-b",
    )
    code, seconds = _timed(_cli(fault_proxy, *_rollout_argv(scene)))
    assert code == 1 and seconds < BUDGET
    out, err = capsys.readouterr()
    assert "ResourceConflictException: An update is in progress" in err
    assert "after changes: see the audit log" in err
    assert "ROLLED BACK" in out
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [scene["first"], scene["old"]]
        assert account.tags_of(name)[ROLLOUT_STATUS_TAG] == "rolled-back"
    updates = _by_status(audit, "update-function-layers")
    assert sorted(updates.values()) == [["done", "undone"], ["failed"]]
    restores = _by_status(audit, "restore-function-layers")
    assert list(restores.values()) == [["done"]]  # fn-a only: fn-b's layers never changed
    assert _records(audit)[-1]["exit"] == 1
    assert_journal(audit, fault_proxy)


def test_a_failed_tag_after_a_successful_update_is_rolled_back(
    account, fault_proxy, tmp_path, capsys
):
    scene = _rollout_setup(account)
    audit = fault_proxy.audit = tmp_path / "audit.jsonl"
    # fn-a: tag pending (1), update, tag updated (2): refused
    fault_proxy.fail("TagResource", 2, status=403, code="AccessDeniedException", message="no")
    assert main(_cli(fault_proxy, *_rollout_argv(scene))) == 1
    assert "AccessDeniedException: no" in capsys.readouterr().err
    assert account.layers_of("fn-a") == [scene["first"], scene["old"]]
    assert account.tags_of("fn-a")[ROLLOUT_STATUS_TAG] == "rolled-back"
    assert ROLLOUT_STATUS_TAG not in account.tags_of("fn-b")  # never joined
    assert_journal(audit, fault_proxy)


def test_ctrl_c_during_the_bake_rolls_back_records_it_and_exits_130(
    account, fault_proxy, tmp_path, capsys, monkeypatch
):
    from guardrails.tooling import console

    def interrupted(_console: object) -> Callable[[float], None]:
        def sleep(_: float) -> None:
            raise KeyboardInterrupt

        return sleep

    monkeypatch.setattr(console, "countdown", interrupted)
    scene = _rollout_setup(account)
    audit = fault_proxy.audit = tmp_path / "audit.jsonl"
    assert main(_cli(fault_proxy, *_rollout_argv(scene))) == 130
    out, err = capsys.readouterr()
    assert "interrupted: the batch was rolled back; what was done is in the audit log" in err
    assert "INTERRUPTED, rolled back" in out
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [scene["first"], scene["old"]]
    updates = _by_status(audit, "update-function-layers")
    assert sorted(updates.values()) == [["done", "undone"], ["done", "undone"]]
    summary = _records(audit)[-1]
    assert summary["exit"] == 130 and summary["result"]["interrupted"]
    assert_journal(audit, fault_proxy)
