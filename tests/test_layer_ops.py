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
    audit = tmp_path / "audit.jsonl"
    prune = ["layer", "prune", *account.cli("--layer", "deps", "--keep", "2")]
    assert main([*prune, "--audit-log", str(audit)]) == 0  # a dry run writes no record
    assert not audit.exists()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert main([*prune, "--apply", "--audit-log", str(blocked / "audit.jsonl")]) == 2
    assert "a-file is a file, not a directory" in capsys.readouterr().err
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


def _rollout_cli(account, fleet, functions, *extra):
    return account.cli(
        "--layer-arn",
        fleet["new"],
        "--functions",
        *functions,
        "--percent",
        "100",
        "--alarm",
        "deps-errors",
        "--bake-seconds",
        "0",
        "--apply",
        *extra,
    )


@pytest.mark.parametrize(
    ("tags", "org", "reason"),
    [
        ({}, None, "fn-p: no environment tag: treated as production"),
        ({"environment": "prod"}, None, "fn-p: environment prod"),
        ({"environment": "live"}, "productionEnvironments: [live]\n", "fn-p: environment live"),
        (
            {"environment": "dev"},
            f'productionAccounts: ["{ACCOUNT}"]\n',
            f"fn-p: in production account {ACCOUNT}",
        ),
    ],
    ids=["untagged", "prod-tag", "org-environment", "org-account"],
)
def test_rollout_refuses_production_functions_and_changes_nothing(
    account, fleet, capsys, tmp_path, tags, org, reason
):
    account.function("fn-p", [fleet["first"], fleet["old"], fleet["last"]], tags=tags)
    if org is not None:
        (tmp_path / "guardrails-org.yaml").write_text(org)
    before = {f: account.layers_of(f) for f in ("fn-a", "fn-p")}
    audit = tmp_path / "audit.jsonl"
    argv = _rollout_cli(
        account, fleet, ["fn-a", "fn-p"], "--program", str(tmp_path), "--audit-log", str(audit)
    )
    assert main(["layer", "rollout", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: rollout refused, nothing was changed: production functions need --allow-prod\n"
    )
    assert f"\n  {reason}\n" in err
    # in a production account every function is production, tags or not
    assert ("fn-a:" in err) == (org is not None and "Accounts" in org)
    assert {f: account.layers_of(f) for f in ("fn-a", "fn-p")} == before
    assert ROLLOUT_STATUS_TAG not in account.tags_of("fn-a")
    assert not audit.exists() or "intent" not in audit.read_text()


def test_rollout_changes_production_functions_with_allow_prod(account, fleet, capsys, tmp_path):
    account.function("fn-p", [fleet["first"], fleet["old"], fleet["last"]], tags={})
    argv = _rollout_cli(account, fleet, ["fn-p"], "--program", str(tmp_path), "--allow-prod")
    assert main(["layer", "rollout", *argv]) == 0
    assert account.layers_of("fn-p") == [fleet["first"], fleet["new"], fleet["last"]]


def test_a_broken_org_settings_file_is_refused(account, fleet, capsys, tmp_path):
    (tmp_path / "guardrails-org.yaml").write_text('productionAccounts: ["12345"]\n')
    argv = _rollout_cli(account, fleet, ["fn-a"], "--program", str(tmp_path))
    assert main(["layer", "rollout", *argv]) == 2
    assert (
        "productionAccounts[0]: '12345' is not a 12-digit account id (line 1, column 22)"
        in capsys.readouterr().err
    )
    assert account.layers_of("fn-a") == [fleet["first"], fleet["old"], fleet["last"]]


def test_an_unreachable_endpoint_is_a_clear_error(aws, capsys, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    arguments = ["--aws-endpoint-url", "http://127.0.0.1:9", "--aws-region", REGION]
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


# --- refusals before any change (issue 19) -------------------------------------------------


def _no_change_in(account: Account, audit) -> None:
    assert not audit.exists() or all(
        json.loads(line).get("record") != "intent" for line in audit.read_text().splitlines()
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--principal", "*", "--organization-id", ORG, "--public"],
            "--public shares with every AWS account and --organization-id with one "
            "organisation: give one of them",
        ),
        (
            ["--principal", "210987654321", "--public"],
            "--public applies to principal '*' only (got '210987654321'): drop --public, or "
            "add --principal '*'",
        ),
        (
            ["--principal", "210987654321", "--principal", "210987654321"],
            "each principal may be named once",
        ),
    ],
)
def test_share_refuses_contradicting_options_and_grants_nothing(
    account, capsys, tmp_path, extra, message
):
    (arn,) = account.publish("deps")
    audit = tmp_path / "audit.jsonl"
    argv = ["layer", "share", *account.cli("--layer-arn", arn, *extra, "--apply")]
    assert main([*argv, "--audit-log", str(audit)]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == f"error: {message}" and out == ""
    assert account.statements("deps", 1) == []
    _no_change_in(account, audit)


@pytest.mark.parametrize(
    "command",
    [
        ["layer", "share", "--layer-arn", "{arn}", "--principal", "210987654321"],
        ["layer", "unshare", "--layer-arn", "{arn}", "--principal", "210987654321"],
        ["layer", "prune", "--layer", "{unversioned}", "--keep", "1"],
        [
            "layer", "rollout", "--layer-arn", "{arn}", "--functions", "fn-a",
            "--percent", "100", "--alarm", "deps-errors", "--bake-seconds", "0",
        ],
    ],
    ids=["share", "unshare", "prune", "rollout"],
)  # fmt: skip
def test_a_layer_arn_of_another_region_is_refused_before_any_call(account, capsys, command):
    (arn,) = account.publish("deps")
    account.function("fn-a", [arn])
    account.alarm("deps-errors")
    other = arn.replace(f":{REGION}:", ":us-east-1:")
    argv = [a.format(arn=other, unversioned=other.rsplit(":", 1)[0]) for a in command]
    assert (
        main([*argv, "--apply", "--aws-endpoint-url", account.endpoint, "--aws-region", REGION])
        == 2
    )
    err = capsys.readouterr().err
    assert err.strip() == (
        f"error: the layer ARN is in region us-east-1 but the AWS clients work in {REGION} "
        "(a layer is used and changed in its own region): add --region us-east-1, or name "
        f"the layer of {REGION}"
    )
    assert account.versions("deps") == [1]
    assert account.statements("deps", 1) == []
    assert account.layers_of("fn-a") == [arn]


def test_prune_of_a_layer_that_does_not_exist_says_so(account, capsys):
    account.publish("deps", 2)
    argv = ["layer", "prune", *account.cli("--layer", "depz", "--keep", "1", "--apply")]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: layer depz has no versions in {REGION}: no such layer (check the name and "
        "--region); nothing to prune"
    )
    assert account.versions("deps") == [1, 2]


def test_share_of_a_version_that_does_not_exist_says_so(account, capsys):
    (arn,) = account.publish("deps")
    missing = arn.rsplit(":", 1)[0] + ":7"
    argv = ["layer", "share", *account.cli("--layer-arn", missing, "--principal", "210987654321")]
    assert main([*argv, "--apply"]) == 2
    assert f"layer version {missing} does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("0", True), ("21600", True), ("21600.5", False), ("1e12", False), ("inf", False)],
)
def test_bake_seconds_are_bounded(account, capsys, value, accepted):
    from guardrails.tooling.layer_ops.rollout import MAX_BAKE_SECONDS, check_bake_seconds

    assert MAX_BAKE_SECONDS == 21600
    if accepted:
        check_bake_seconds(float(value))
        return
    argv = [
        "layer", "rollout",
        *account.cli(
            "--layer-arn", f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:2",
            "--functions", "fn-a", "--percent", "100", "--alarm", "deps-errors",
            "--bake-seconds", value, "--apply",
        ),
    ]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    if value == "inf":
        assert err == "error: --bake-seconds must be a number of seconds >= 0 (got inf)"
    else:
        assert err == (
            "error: --bake-seconds must be at most 21600 (6 hours: the longest one run holds a "
            "terminal for; bake longer by rolling out the next batch later) "
            f"(got {float(value)})"
        )


# --- the rollout state machine: what a rerun finds on the functions -------------------------


def _mark(account: Account, function: str, **tags: str) -> None:
    arn = account.awslambda.get_function_configuration(FunctionName=function)["FunctionArn"]
    account.awslambda.tag_resource(Resource=arn, Tags=tags)


def _move(account: Account, function: str, layers: list[str]) -> None:
    account.awslambda.update_function_configuration(FunctionName=function, Layers=layers)


def test_a_function_on_the_version_without_a_finished_bake_is_not_counted(account, fleet):
    _move(account, "fn-a", [fleet["first"], fleet["new"], fleet["last"]])  # by hand
    result = account.ops().rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=50, alarm="deps-errors", apply=True
    )
    assert result.already == []
    assert [(c.function, c.moves) for c in result.batch] == [("fn-a", False)]
    assert result.pending_after == ["fn-b"]
    tags = account.tags_of("fn-a")
    assert tags[ROLLOUT_STATUS_TAG] == "promoted"  # only after its bake passed
    assert tags[ROLLOUT_PREVIOUS_TAG] == "unknown"
    again = account.ops().rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=50, alarm="deps-errors", apply=True
    )
    assert again.already == ["fn-a"] and again.batch == []


def test_a_function_on_the_version_is_not_promoted_when_the_alarm_fires(account, fleet):
    _move(account, "fn-a", [fleet["first"], fleet["new"], fleet["last"]])

    def alarm_fires(_: float) -> None:
        account.set_alarm("deps-errors", "ALARM")

    result = account.ops(sleep=alarm_fires).rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors", apply=True
    )
    assert result.rolled_back
    assert [(c.function, c.phase) for c in result.batch] == [
        ("fn-a", "not rolled back (was on the version before this batch)"),
        ("fn-b", "rolled-back"),
    ]
    assert ROLLOUT_STATUS_TAG not in account.tags_of("fn-a")
    assert account.layers_of("fn-b") == [fleet["first"], fleet["old"], fleet["last"]]


def test_legacy_healthy_tags_count_as_promoted(account, fleet):
    _move(account, "fn-a", [fleet["first"], fleet["new"], fleet["last"]])
    _mark(account, "fn-a", **{ROLLOUT_LAYER_TAG: fleet["new"], ROLLOUT_STATUS_TAG: "healthy"})
    result = account.ops().rollout(fleet["new"], ["fn-a", "fn-b"], percent=50, alarm="deps-errors")
    assert result.already == ["fn-a"] and result.batch == []


def _half_done(account: Account, fleet: dict[str, str], version: str, phase: str) -> None:
    """fn-a left by a killed run: on `version`, tagged `phase` in batch B1."""
    _move(account, "fn-a", [fleet["first"], version, fleet["last"]])
    _mark(
        account,
        "fn-a",
        **{
            ROLLOUT_BATCH_TAG: "B1",
            ROLLOUT_LAYER_TAG: version,
            ROLLOUT_PREVIOUS_TAG: fleet["old"],
            ROLLOUT_STATUS_TAG: phase,
        },
    )


@pytest.mark.parametrize("phase", ["pending", "updated", "baking"])
def test_an_unfinished_batch_of_this_version_is_resumed_and_baked_again(account, fleet, phase):
    _half_done(account, fleet, fleet["new"], phase)
    slept: list[float] = []
    dry = account.ops().rollout(fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors")
    assert dry.resumed and dry.batch_id == "B1" and not dry.applied
    assert [c.function for c in dry.batch] == ["fn-a", "fn-b"]
    assert account.tags_of("fn-a")[ROLLOUT_STATUS_TAG] == phase  # a dry run changed nothing
    result = account.ops(sleep=slept.append).rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors", bake_seconds=30,
        apply=True,
    )  # fmt: skip
    assert result.resumed and result.batch_id == "B1" and slept == [30]
    for name in ("fn-a", "fn-b"):
        tags = account.tags_of(name)
        assert tags[ROLLOUT_STATUS_TAG] == "promoted" and tags[ROLLOUT_BATCH_TAG] == "B1"
        assert account.layers_of(name) == [fleet["first"], fleet["new"], fleet["last"]]


def test_an_unfinished_batch_is_rolled_back_when_the_alarm_is_firing(account, fleet):
    _half_done(account, fleet, fleet["new"], "baking")
    account.set_alarm("deps-errors", "ALARM")
    result = account.ops().rollout(
        fleet["new"], ["fn-a", "fn-b"], percent=100, alarm="deps-errors", apply=True
    )
    assert [c.function for c in result.recovered] == ["fn-a"]
    assert result.error == "alarm deps-errors is already in ALARM; fix that before rolling out"
    assert result.changed
    assert account.layers_of("fn-a") == [fleet["first"], fleet["old"], fleet["last"]]
    assert account.tags_of("fn-a")[ROLLOUT_STATUS_TAG] == "rolled-back"
    assert account.layers_of("fn-b") == [fleet["first"], fleet["old"], fleet["last"]]


def test_an_unfinished_batch_of_another_version_is_rolled_back_first(account, fleet, capsys):
    (third,) = account.publish("deps")  # deps:3
    _half_done(account, fleet, fleet["new"], "updated")
    arguments = account.cli(
        "--layer-arn", third, "--functions", "fn-a", "fn-b", "--percent", "100",
        "--alarm", "deps-errors", "--bake-seconds", "0",
    )  # fmt: skip
    assert main(["layer", "rollout", *arguments]) == 0  # the dry run says what it would do
    assert "unfinished batch would be rolled back first" in capsys.readouterr().out
    assert account.layers_of("fn-a")[1] == fleet["new"]
    assert main(["layer", "rollout", *arguments, "--apply"]) == 0
    assert "unfinished batch rolled back first" in capsys.readouterr().out
    for name in ("fn-a", "fn-b"):
        assert account.layers_of(name) == [fleet["first"], third, fleet["last"]]
        tags = account.tags_of(name)
        assert tags[ROLLOUT_STATUS_TAG] == "promoted"
        assert tags[ROLLOUT_PREVIOUS_TAG] == fleet["old"]  # fn-a went back to deps:1 first


def test_a_function_on_the_version_with_tags_of_an_older_guardrails_is_left_for_a_person(
    account, fleet
):
    _move(account, "fn-a", [fleet["first"], fleet["new"], fleet["last"]])
    # tags written before rollout-previous existed: nobody knows what fn-a ran before
    _mark(account, "fn-a", **{ROLLOUT_LAYER_TAG: fleet["new"], ROLLOUT_STATUS_TAG: "baking"})
    account.set_alarm("deps-errors", "ALARM")
    result = account.ops().rollout(
        fleet["new"], ["fn-a"], percent=100, alarm="deps-errors", apply=True
    )
    assert result.stuck == ["fn-a"]
    assert "restore its layers by hand" in (result.error or "")
    assert account.layers_of("fn-a")[1] == fleet["new"]


@pytest.mark.parametrize("command", ["prune", "share", "unshare"])
def test_a_layer_in_a_production_account_needs_allow_prod(account, capsys, tmp_path, command):
    deps = account.publish("deps", 3)
    (tmp_path / "guardrails-org.yaml").write_text(f'productionAccounts: ["{ACCOUNT}"]\n')
    argv = {
        "prune": ["layer", "prune", "--layer", "deps", "--keep", "1"],
        "share": ["layer", "share", "--layer-arn", deps[0], "--principal", "111122223333"],
        "unshare": ["layer", "unshare", "--layer-arn", deps[0], "--principal", "111122223333"],
    }[command]
    base = account.cli(*argv, "--apply", "--program", str(tmp_path))
    assert main(base) == 2
    err = capsys.readouterr().err
    assert f"is in production account {ACCOUNT} (guardrails-org.yaml productionAccounts); " in err
    assert "nothing was changed: add --allow-prod to act on it" in err
    assert account.versions("deps") == [1, 2, 3]
    assert account.statements("deps", 1) == []
    if command != "unshare":
        assert main([*base, "--allow-prod"]) == 0
        if command == "prune":
            assert account.versions("deps") == [3]
        else:
            assert [s["Sid"] for s in account.statements("deps", 1)] == ["guardrails-111122223333"]
