"""Layer operations (usage, prune, share, unshare, rollout) against a real moto server."""

from __future__ import annotations

import json
import re

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.layer_ops.ops import LayerOpsError
from guardrails.tooling.layer_ops.rollout import (
    ROLLOUT_BATCH_TAG,
    ROLLOUT_LAYER_TAG,
    ROLLOUT_PREVIOUS_TAG,
    ROLLOUT_STATUS_TAG,
)
from tests.layer_scene import ACCOUNT, ORG, Account
from tests.moto_server import REGION

# every test here talks to the moto server (a child process)
pytestmark = pytest.mark.subprocess


@pytest.fixture
def account(aws: str) -> Account:
    return Account(aws)


# --- usage -----------------------------------------------------------------------------


def test_usage_lists_functions_per_layer_version(account):
    deps = account.publish("deps", 2)
    other = account.publish("other")
    account.function("orders", [deps[0], other[0]], memory=512)
    account.function("billing", [deps[1]])
    account.function("plain", [])
    rows = account.ops().usage()
    assert [(r.layer.rsplit(":", 1)[1], r.version, r.function, r.memory) for r in rows] == [
        ("deps", 1, "orders", 512),
        ("deps", 2, "billing", 256),
        ("other", 1, "orders", 512),
    ]
    assert {r.runtime for r in rows} == {"python3.12"}
    only = account.ops().usage("deps")
    assert {r.function for r in only} == {"orders", "billing"}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_usage_cli_formats(account, capsys, fmt):
    deps = account.publish("deps")
    account.function("orders", deps)
    assert main(["layer", "usage", "--format", fmt, *account.cli()]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        (row,) = json.loads(out)
        assert (row["function"], row["version"], row["memory"]) == ("orders", 1, 256)
    elif fmt == "csv":
        lines = out.splitlines()
        assert lines[0] == "layer,version,function,runtime,memory,architectures"
        assert lines[1].endswith(":layer:deps,1,orders,python3.12,256,x86_64")
    else:
        assert "orders" in out and "python3.12" in out and "layer usage" in out


def test_usage_refuses_a_malformed_layer_name(account):
    with pytest.raises(LayerOpsError, match="layer must be a name of letters"):
        account.ops().usage("deps:3")


# --- prune -----------------------------------------------------------------------------


def test_prune_is_a_dry_run_by_default_and_keeps_versions_in_use(account):
    arns = account.publish("deps", 5)
    account.function("orders", [arns[1]])  # version 2 in use
    plan = account.ops().prune("deps", keep=2).plan
    assert [(p.version, p.action, p.used_by) for p in plan] == [
        (5, "keep (newest 2)", ()),
        (4, "keep (newest 2)", ()),
        (3, "delete", ()),
        (2, "keep (in use)", ("orders",)),
        (1, "delete", ()),
    ]
    assert account.versions("deps") == [1, 2, 3, 4, 5]


def test_prune_apply_deletes_only_the_planned_versions(account):
    arns = account.publish("deps", 5)
    account.function("orders", [arns[1]])
    account.ops().prune("deps", keep=2, apply=True)
    assert account.versions("deps") == [2, 4, 5]
    assert account.layers_of("orders") == [arns[1]]


def test_prune_force_also_deletes_versions_in_use(account):
    arns = account.publish("deps", 3)
    account.function("orders", [arns[0]])
    plan = account.ops().prune("deps", keep=1, force=True, apply=True).plan
    assert [p.action for p in plan] == ["keep (newest 1)", "delete", "delete"]
    assert plan[2].used_by == ("orders",)
    assert account.versions("deps") == [3]


@pytest.mark.parametrize(
    ("layer", "keep", "message"),
    [
        ("deps", 0, "--keep must be at least 1 (got 0)"),
        ("deps/../x", 2, "layer must be a name of letters"),
        ("arn:aws:lambda:eu-west-1:123456789012:layer:deps:3", 2, "layer ARN without version"),
    ],
)
def test_prune_refuses_bad_arguments_and_deletes_nothing(account, layer, keep, message):
    account.publish("deps", 3)
    with pytest.raises(LayerOpsError, match=re.escape(message)):
        account.ops().prune(layer, keep=keep, apply=True)
    assert account.versions("deps") == [1, 2, 3]


def test_prune_cli_says_it_is_a_dry_run(account, capsys):
    account.publish("deps", 3)
    assert main(["layer", "prune", *account.cli("--layer", "deps", "--keep", "1")]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing changed; add --apply" in out
    assert out.count("delete") == 2
    assert account.versions("deps") == [1, 2, 3]
    assert main(["layer", "prune", *account.cli("--layer", "deps", "--keep", "1", "--apply")]) == 0
    assert account.versions("deps") == [3]


def test_applied_changes_are_audited_and_an_unwritable_log_changes_nothing(
    account, capsys, tmp_path
):
    account.publish("deps", 3)
    audit = tmp_path / "trail" / "audit.jsonl"
    prune = ["layer", "prune", *account.cli("--layer", "deps", "--keep", "2")]
    assert main([*prune, "--audit-log", str(audit)]) == 0  # a dry run writes no record
    assert not audit.exists()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert main([*prune, "--apply", "--audit-log", str(blocked / "audit.jsonl")]) == 2
    assert "the audit log is not writable; nothing was done" in capsys.readouterr().err
    assert account.versions("deps") == [1, 2, 3]
    assert main([*prune, "--apply", "--audit-log", str(audit)]) == 0
    assert account.versions("deps") == [2, 3]
    intent, outcome, summary = [json.loads(line) for line in audit.read_text().splitlines()]
    assert intent["record"] == "intent" and intent["command"] == "layer prune"
    assert intent["action"] == "delete-layer-version" and intent["version"] == 1
    assert intent["target"].endswith(":layer:deps:1")
    assert outcome["record"] == "outcome" and outcome["intent"] == intent["intent"]
    assert outcome["status"] == "done"
    assert summary["record"] == "summary" and summary["exit"] == 0
    assert [p["version"] for p in summary["result"]["plan"] if p["action"] == "delete"] == [1]
    assert all(r["actor"] and r["time"] for r in (intent, outcome, summary))


# --- share / unshare -------------------------------------------------------------------


def test_share_grants_accounts_and_an_organisation_per_statement(account):
    (arn,) = account.publish("deps")
    plan = (
        account.ops().share(arn, ["210987654321", f"arn:aws:iam::{ACCOUNT}:root"], apply=True).plan
    )
    assert [p.action for p in plan] == ["add", "add"]
    account.ops().share(arn, ["*"], organization_id=ORG, apply=True)
    statements = {s["Sid"]: s for s in account.statements("deps", 1)}
    assert set(statements) == {
        "guardrails-210987654321",
        f"guardrails-{ACCOUNT}",
        f"guardrails-org-{ORG}",
    }
    # moto keeps the request's OrganizationId as sent (AWS turns it into a Condition).
    org_statement = json.dumps(statements[f"guardrails-org-{ORG}"])
    assert ORG in org_statement and '"*"' in org_statement
    again = account.ops().share(arn, ["210987654321"], apply=True).plan
    assert [p.action for p in again] == ["already shared"]


def test_share_is_a_dry_run_by_default(account):
    (arn,) = account.publish("deps")
    plan = account.ops().share(arn, ["210987654321"]).plan
    assert [p.action for p in plan] == ["add"]
    assert account.statements("deps", 1) == []


@pytest.mark.parametrize(
    ("principals", "org", "message"),
    [
        (["12345"], None, "principal must be a 12-digit account id"),
        (["arn:aws:iam::123456789012:user/bob"], None, "principal must be a 12-digit account id"),
        (["*"], None, "principal '*' shares the layer with every AWS account"),
        (["*"], "org-123", "organization id must look like o-xxxxxxxxxx"),
        (["210987654321"], ORG, "an organization id goes with principal '*' only"),
    ],
)
def test_share_refuses_bad_principals_and_grants_nothing(account, principals, org, message):
    (arn,) = account.publish("deps")
    with pytest.raises(LayerOpsError, match=re.escape(message)):
        account.ops().share(arn, ["210987654321", *principals], organization_id=org, apply=True)
    assert account.statements("deps", 1) == []


def test_share_needs_a_principal(account):
    (arn,) = account.publish("deps")
    with pytest.raises(LayerOpsError, match="give at least one principal"):
        account.ops().share(arn, [], apply=True)


def test_public_sharing_needs_the_explicit_flag(account, capsys):
    (arn,) = account.publish("deps")
    arguments = ["layer", "share", *account.cli("--layer-arn", arn, "--principal", "*", "--apply")]
    assert main(arguments) == 2
    assert "add an organization id, or set public explicitly" in capsys.readouterr().err
    assert account.statements("deps", 1) == []
    assert main([*arguments, "--public"]) == 0
    (statement,) = account.statements("deps", 1)
    assert statement["Sid"] == "guardrails-public"
    assert "Condition" not in statement


def test_share_refuses_a_malformed_layer_version_arn(account):
    with pytest.raises(LayerOpsError, match="layer version ARN must look like"):
        account.ops().share("arn:aws:lambda:eu-west-1:123456789012:layer:deps", ["210987654321"])


def test_unshare_removes_only_the_named_principals(account):
    (arn,) = account.publish("deps")
    account.ops().share(arn, ["210987654321", "111122223333"], apply=True)
    dry = account.ops().unshare(arn, ["210987654321", "444455556666"]).plan
    assert [p.action for p in dry] == ["remove", "not shared"]
    assert len(account.statements("deps", 1)) == 2
    account.ops().unshare(arn, ["210987654321"], apply=True)
    assert [s["Sid"] for s in account.statements("deps", 1)] == ["guardrails-111122223333"]


# --- rollout ---------------------------------------------------------------------------


@pytest.fixture
def fleet(account):
    """Four functions on deps:1 between two other layers; deps:2 to roll out; an alarm."""
    deps = account.publish("deps", 2)
    (first,) = account.publish("first")
    (last,) = account.publish("last")
    for name in ("fn-a", "fn-b", "fn-c", "fn-d"):
        account.function(name, [first, deps[0], last])
    account.alarm("deps-errors")
    return {"old": deps[0], "new": deps[1], "first": first, "last": last}


def test_rollout_moves_a_batch_keeping_other_layers_and_tags_it(account, fleet):
    functions = ["fn-a", "fn-b", "fn-c", "fn-d"]
    result = account.ops().rollout(
        fleet["new"], functions, percent=50, alarm="deps-errors", apply=True
    )
    assert [c.function for c in result.batch] == ["fn-a", "fn-b"]
    assert result.pending_after == ["fn-c", "fn-d"]
    assert not result.rolled_back and result.alarm_state == "OK"
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [fleet["first"], fleet["new"], fleet["last"]]
        tags = account.tags_of(name)
        assert tags[ROLLOUT_LAYER_TAG] == fleet["new"]
        assert tags[ROLLOUT_BATCH_TAG] == result.batch_id
        assert tags[ROLLOUT_STATUS_TAG] == "promoted"
        assert tags[ROLLOUT_PREVIOUS_TAG] == fleet["old"]
    for name in ("fn-c", "fn-d"):
        assert account.layers_of(name) == [fleet["first"], fleet["old"], fleet["last"]]
    # A higher percent continues where the last batch stopped.
    rest = account.ops().rollout(
        fleet["new"], functions, percent=100, alarm="deps-errors", apply=True
    )
    assert [c.function for c in rest.batch] == ["fn-c", "fn-d"]
    assert rest.already == ["fn-a", "fn-b"]


def test_rollout_rolls_the_batch_back_when_the_alarm_fires(account, fleet):
    def alarm_fires(_: float) -> None:
        account.set_alarm("deps-errors", "ALARM")

    result = account.ops(sleep=alarm_fires).rollout(
        fleet["new"], ["fn-a", "fn-b", "fn-c"], percent=34, alarm="deps-errors", apply=True
    )
    assert [c.function for c in result.batch] == ["fn-a", "fn-b"]
    assert result.rolled_back and result.alarm_state == "ALARM"
    for name in ("fn-a", "fn-b", "fn-c"):
        assert account.layers_of(name) == [fleet["first"], fleet["old"], fleet["last"]]
    for name in ("fn-a", "fn-b"):
        tags = account.tags_of(name)
        assert tags[ROLLOUT_STATUS_TAG] == "rolled-back"
        assert tags[ROLLOUT_LAYER_TAG] == fleet["new"]
        assert tags[ROLLOUT_PREVIOUS_TAG] == fleet["old"]
    assert ROLLOUT_STATUS_TAG not in account.tags_of("fn-c")


def test_rollout_is_a_dry_run_by_default(account, fleet):
    result = account.ops().rollout(fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors")
    assert [c.function for c in result.batch] == ["fn-a", "fn-b"]
    assert not result.applied
    assert account.layers_of("fn-a")[1] == fleet["old"]


def test_rollout_refuses_a_sixth_layer_and_changes_nothing(account, fleet):
    extra = [account.publish(f"extra{i}")[0] for i in range(5)]
    account.function("fn-full", extra)
    with pytest.raises(LayerOpsError) as caught:
        account.ops().rollout(
            fleet["new"], ["fn-a", "fn-full"], percent=100, alarm="deps-errors", apply=True
        )
    assert "rollout refused, nothing was changed" in str(caught.value)
    assert "fn-full would have 6 layers (Lambda allows 5)" in str(caught.value)
    assert account.layers_of("fn-a")[1] == fleet["old"]
    assert account.layers_of("fn-full") == extra


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"percent": 0}, r"--percent must be in \(0, 100\] \(got 0\)"),
        ({"percent": 150}, r"--percent must be in \(0, 100\]"),
        ({"functions": ["fn a"]}, "functions must be Lambda function names"),
        ({"functions": ["fn-a", "fn-a"]}, "each function may be named once"),
        ({"alarm": "missing"}, "CloudWatch alarm 'missing' not found"),
        (
            {"layer_version_arn": "arn:aws:lambda:eu-west-1:12:layer:deps:2"},
            "layer version ARN must look like",
        ),
    ],
)
def test_rollout_refuses_bad_arguments_and_changes_nothing(account, fleet, change, message):
    arguments = {
        "layer_version_arn": fleet["new"],
        "functions": ["fn-a", "fn-b"],
        "percent": 100,
        "alarm": "deps-errors",
        **change,
    }
    with pytest.raises(LayerOpsError, match=message):
        account.ops().rollout(apply=True, **arguments)
    assert account.layers_of("fn-a")[1] == fleet["old"]


def test_rollout_waits_for_a_quiet_alarm_before_starting(account, fleet):
    account.set_alarm("deps-errors", "ALARM")
    with pytest.raises(LayerOpsError, match="already in ALARM"):
        account.ops().rollout(fleet["new"], ["fn-a"], percent=100, alarm="deps-errors", apply=True)
    assert account.layers_of("fn-a")[1] == fleet["old"]


def test_rollout_cli_reports_the_batch(account, fleet, capsys):
    arguments = account.cli(
        "--layer-arn",
        fleet["new"],
        "--functions",
        "fn-a",
        "fn-b",
        "--percent",
        "50",
        "--alarm",
        "deps-errors",
        "--bake-seconds",
        "0",
        "--apply",
    )
    assert main(["layer", "rollout", *arguments]) == 0
    out = capsys.readouterr().out
    assert "done, alarm deps-errors is OK" in out
    assert "still to roll out: fn-b" in out
    assert account.layers_of("fn-a")[1] == fleet["new"]


def test_an_unreachable_endpoint_is_a_clear_error(aws, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    arguments = ["--endpoint-url", "http://127.0.0.1:9", "--region", REGION]
    assert main(["layer", "usage", *arguments]) == 2
    assert "listing functions: Could not connect to the endpoint URL" in capsys.readouterr().err


def test_an_interrupted_bake_rolls_the_batch_back(account, fleet):
    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    result = account.ops(sleep=interrupted).rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors", apply=True
    )
    assert result.interrupted and result.rolled_back
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [fleet["first"], fleet["old"], fleet["last"]]
        assert account.tags_of(name)[ROLLOUT_STATUS_TAG] == "rolled-back"
