"""`guardrails cost enforce` / `unfreeze` end to end: the real `oci` SDK against the fake OCI
API (signatures checked), a real moto server for SNS, a local HTTP server for Slack.

The dev stack file is copied to a temporary project with the fake's tenancy; spend comes as
the cost report's JSON. Every action is exercised, with a failed one, the production and
exempt guards, idempotence (a second --apply changes nothing), dry run (no change, no audit)
and the bad inputs (exit 2, no call that changes anything, no audit).
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from guardrails.tooling.cli import main
from tests.conftest import ROOT
from tests.fake_oci.state import ocid

MONTH = datetime.now(UTC).strftime("%Y-%m")
TODAY = datetime.now(UTC).date().isoformat()
DEV_COMPARTMENT = (
    "ocid1.compartment.oc1..aaaaaaaadevworkloads0000000000000000000000000000000000000000"
)
NS = "governance"
CHANGING = {
    "StopAutonomousDatabase",
    "InstanceAction",
    "UpdateAutonomousDatabase",
    "UpdateInstance",
    "CreateQuota",
    "DeleteQuota",
    "PublishMessage",
    "UpdateTopic",
}


def tags(cost_center: str, environment: str | None = "dev", **extra: str) -> dict[str, Any]:
    values = {"cost_center": cost_center, **extra}
    if environment:
        values["environment"] = environment
    return {NS: values}


class Slack:
    """A local stand-in for a Slack incoming webhook that records what was posted."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                outer.posts.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T0/B0/hook"


@pytest.fixture
def slack():
    hook = Slack()
    yield hook
    hook.server.shutdown()


class World:
    """The fake tenancy, a project copy, the OCI config file and the CLI runner."""

    def __init__(self, fake: Any, tmp: Path, slack: Slack) -> None:
        self.fake, self.tmp = fake, tmp
        self.audit = tmp / "audit.jsonl"
        fake.tags.define(NS, "cost_center", "environment", "owner", "cost_alerted", "cost_exempt")
        self.topic = fake.ons.add_topic("guardrails-dev-alarms", compartment_id=DEV_COMPARTMENT)
        self.slack_secret = fake.secrets.add_secret(slack.url)
        db = fake.database.add_autonomous_database
        self.dev_adb = db(
            compartment_id=DEV_COMPARTMENT, display_name="orders-dev", defined_tags=tags("CC-101")
        )
        self.prod_adb = db(
            compartment_id=DEV_COMPARTMENT,
            display_name="orders-prod",
            defined_tags=tags("CC-101", "prod"),
        )
        self.exempt_adb = db(
            compartment_id=DEV_COMPARTMENT,
            display_name="demo",
            defined_tags=tags("CC-101", cost_exempt="true"),
        )
        self.untagged_env = db(
            compartment_id=DEV_COMPARTMENT,
            display_name="legacy",
            defined_tags=tags("CC-101", environment=None),
        )
        self.stopped_adb = db(
            compartment_id=DEV_COMPARTMENT,
            display_name="idle",
            defined_tags=tags("CC-101"),
            lifecycle_state="STOPPED",
        )
        self.vm = fake.compute.add_instance(
            compartment_id=DEV_COMPARTMENT, display_name="web", defined_tags=tags("CC-101")
        )
        self.other_vm = fake.compute.add_instance(
            compartment_id=DEV_COMPARTMENT, display_name="search", defined_tags=tags("CC-202")
        )
        self.analytics = db(
            compartment_id=DEV_COMPARTMENT, display_name="analytics", defined_tags=tags("CC-303")
        )
        self.bucket = fake.search.add_resource(
            "Bucket",
            compartment_id=DEV_COMPARTMENT,
            display_name="logs",
            defined_tags=tags("CC-101"),
        )
        self.oci_config = fake.config_file(tmp, "oci-config")
        self.project = tmp / "project"
        shutil.copytree(ROOT / "stacks", self.project / "stacks")
        shutil.copy(ROOT / "Pulumi.yaml", self.project / "Pulumi.yaml")
        self.write_stack(
            {
                "costCenters": {
                    "CC-101": {"actions": ["notify", "tag", "stop"]},
                    "CC-202": {"actions": ["notify", "tag", "stop"]},
                    "CC-303": {
                        "actions": ["notify", "tag", "stop", "freeze"],
                        "freezeCompartments": ["dev-analytics"],
                    },
                },
                "slackWebhookSecretOcid": self.slack_secret,
            }
        )
        self.spend = tmp / "spend.json"
        self.write_spend(
            [
                {"costCenter": "CC-101", "actual": 2600.0, "forecast": 3100.0, "budget": 2500},
                {"costCenter": "CC-202", "actual": 100.0, "forecast": 400.0, "budget": 2000},
                {"costCenter": "CC-303", "actual": 900.0, "forecast": 1600.0, "budget": 1500},
                {"costCenter": None, "actual": 50.0, "forecast": 80.0, "budget": None},
            ]
        )

    def write_stack(self, enforcement: dict[str, Any], **changes: Any) -> None:
        path = self.project / "stacks" / "Pulumi.dev.yaml"
        doc = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
        doc["config"]["guardrails:tenancyOcid"] = self.fake.tenancy
        doc["config"]["guardrails:costEnforcement"] = enforcement
        for key, value in changes.items():
            if value is None:
                doc["config"].pop(f"guardrails:{key}", None)
            else:
                doc["config"][f"guardrails:{key}"] = value
        path.write_text(yaml.safe_dump(doc))

    def write_spend(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row.setdefault("currency", "USD")
        self.spend.write_text(json.dumps({"stack": "dev", "month": MONTH, "costCenters": rows}))

    def argv(self, command: str, *extra: str) -> list[str]:
        return [
            *("cost", command, "--stack", "dev", "--program", str(self.project)),
            *("--oci-config", str(self.oci_config), "--endpoint-url", self.fake.url),
            *("--audit-log", str(self.audit), *extra),
        ]

    def run(self, command: str, *extra: str, capsys: Any) -> tuple[int, Any, str]:
        argv = self.argv(command, "--format", "json", *extra)
        if command == "enforce" and "--spend" not in extra and "--source" not in extra:
            argv += ["--spend", str(self.spend)]
        code = main(argv)
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    def changing_calls(self) -> list[str]:
        return [c.operation for c in self.fake.state.calls if c.operation in CHANGING]

    def audit_lines(self) -> list[dict[str, Any]]:
        """Every record of the trail: intents and outcomes."""
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text().splitlines()]

    def audit_records(self) -> list[dict[str, Any]]:
        """The outcome records (one per action attempted), each after its intent."""
        lines = self.audit_lines()
        announced: set[str] = set()
        for record in lines:
            if record.get("record") == "intent":
                announced.add(record["intent"])
            elif record.get("record") == "outcome":
                assert record["intent"] in announced, "an outcome without an intent before it"
        return [r for r in lines if r.get("record") == "outcome"]


@pytest.fixture
def world(fake_oci, tmp_path, slack) -> World:
    return World(fake_oci, tmp_path, slack)


def steps_by(document: dict[str, Any], action: str, resource: str | None = None) -> list[dict]:
    return [
        s
        for s in document["steps"]
        if s["action"] == action and (resource is None or s["resource"] == resource)
    ]


def one(document: dict[str, Any], action: str, resource: str) -> dict[str, Any]:
    found = steps_by(document, action, resource)
    assert len(found) == 1, (action, resource, document["steps"])
    return found[0]


def test_dry_run_prints_the_plan_and_changes_nothing(world, capsys):
    code, doc, _ = world.run("enforce", capsys=capsys)
    assert code == 0 and doc["applied"] is False and doc["month"] == MONTH
    assert {s["cost_center"] for s in doc["steps"]} == {"CC-101", "CC-303"}  # CC-202 is fine
    stop = one(doc, "stop", world.dev_adb.id)
    assert stop["outcome"] == "planned"
    assert (
        stop["why"]
        == "OCI actual 2,600.00 USD is 104% of the 2,500.00 USD budget (rule ACTUAL 100%)"
    )
    assert one(doc, "stop", world.prod_adb.id)["detail"] == (
        "production resource (environment prod): never stopped"
    )
    assert (
        one(doc, "stop", world.exempt_adb.id)["detail"] == "exempt (governance.cost_exempt = true)"
    )
    assert one(doc, "stop", world.untagged_env.id)["detail"] == (
        "no governance.environment tag: treated as production, not stopped"
    )
    assert one(doc, "stop", world.stopped_adb.id)["detail"] == "already STOPPED"
    assert one(doc, "tag", world.bucket.id)["detail"].startswith("no tag update for Bucket")
    freeze = one(doc, "freeze", "guardrails-freeze-cc-303")
    assert freeze["statements"] == [
        "zero database quota adb-total-ecpu-count in compartment dev-analytics",
        "zero compute-core quotas in compartment dev-analytics",
    ]
    assert "forecast 1,600.00 USD is 107%" in freeze["why"]
    assert world.changing_calls() == [] and not world.audit.exists()
    assert world.fake.state.auth_failures == []


def test_apply_acts_guards_production_and_exempt_and_a_second_run_changes_nothing(
    world, slack, capsys
):
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0, doc
    adbs, vms = world.fake.database.autonomous_databases, world.fake.compute.instances
    assert adbs[world.dev_adb.id].lifecycle_state == "STOPPED"  # followed to its work request's end
    assert vms[world.vm.id].lifecycle_state == "STOPPED"  # followed until it stopped
    for untouched in (world.prod_adb, world.exempt_adb, world.untagged_env):
        assert adbs[untouched.id].lifecycle_state == "AVAILABLE"
    assert vms[world.other_vm.id].lifecycle_state == "RUNNING"  # CC-202 is within budget
    # tagged, other tags kept; the search-only bucket has no update call
    assert adbs[world.prod_adb.id].defined_tags == {
        NS: {"cost_center": "CC-101", "environment": "prod", "cost_alerted": TODAY}
    }
    assert vms[world.vm.id].defined_tags[NS]["cost_alerted"] == TODAY
    assert "cost_alerted" not in vms[world.other_vm.id].defined_tags[NS]
    # freeze: a quota in the root compartment
    (quota,) = world.fake.quotas.quotas.values()
    assert quota.name == "guardrails-freeze-cc-303" and quota.compartment_id == world.fake.tenancy
    assert (
        quota.statements[0]
        == "zero database quota adb-total-ecpu-count in compartment dev-analytics"
    )
    # notify: ONS (topic found by the stack's topic name) and Slack, one per cost center
    titles = sorted(title for _, title, _ in world.fake.ons.messages)
    assert titles == [
        "guardrails dev: cost center CC-101 crossed ACTUAL 100%",
        "guardrails dev: cost center CC-303 crossed FORECAST 100%",
    ]
    assert all(topic == world.topic.topic_id for topic, _, _ in world.fake.ons.messages)
    assert len(slack.posts) == 2 and "CC-101" in json.dumps(slack.posts)
    # the audit trail: one record per action carried out, none for skips
    records = world.audit_records()
    stop = next(r for r in records if r["action"] == "stop" and r["resource"] == world.dev_adb.id)
    assert stop["outcome"] == "done" and stop["cost_center"] == "CC-101"
    assert (stop["spend"], stop["budget"], stop["currency"]) == (2600.0, 2500.0, "USD")
    assert stop["rule"] == "ACTUAL 100%" and stop["month"] == MONTH
    assert set(stop) >= {
        "time",
        "stack",
        "cost_center",
        "spend",
        "budget",
        "action",
        "resource",
        "outcome",
    }
    assert {r["resource"] for r in records if r["action"] == "stop"} == {
        world.dev_adb.id,
        world.vm.id,
        world.analytics.id,
    }
    assert all(r["outcome"] == "done" for r in records)
    assert not any(slack.url in json.dumps(r) for r in records)  # the webhook is a credential

    before = len(world.fake.state.calls)
    changing_before = world.changing_calls()
    code, again, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    assert world.changing_calls() == changing_before, "the second run changed something"
    assert {s["outcome"] for s in again["steps"]} == {"skip"}
    notified = {
        s["cost_center"]: s["detail"]
        for s in steps_by(again, "notify", "ons:guardrails-dev-alarms")
    }
    assert notified == {
        "CC-101": "already notified for ACTUAL 100% this month",
        "CC-303": "already notified for FORECAST 100% this month",
    }
    assert one(again, "freeze", "guardrails-freeze-cc-303")["detail"].startswith("already frozen")
    assert one(again, "tag", world.dev_adb.id)["detail"] == f"already tagged cost_alerted = {TODAY}"
    assert len(world.audit_records()) == len(records)
    assert len(world.fake.state.calls) > before


def test_a_failed_action_is_recorded_the_rest_is_done_and_the_exit_code_is_1(world, capsys):
    world.fake.state.inject_fault(
        "StopAutonomousDatabase", 404, "NotAuthorizedOrNotFound", "Authorization failed.", times=-1
    )
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 1
    failed = one(doc, "stop", world.dev_adb.id)
    assert failed["outcome"] == "failed"
    assert failed["detail"] == "404 NotAuthorizedOrNotFound: Authorization failed."
    assert one(doc, "stop", world.vm.id)["outcome"] == "done"  # carried on past the failure
    assert world.fake.compute.instances[world.vm.id].lifecycle_state == "STOPPED"
    record = next(r for r in world.audit_records() if r["outcome"] == "failed")
    assert record["resource"] == world.dev_adb.id and "NotAuthorizedOrNotFound" in record["detail"]


def test_table_output_names_resource_action_and_why(world, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "500")
    argv = world.argv("enforce", "--spend", str(world.spend))
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"cost enforce dev {MONTH}: dry run: nothing changed; add --apply to do this" in out
    assert world.dev_adb.id in out and "orders-dev" in out
    assert "production resource (environment prod): never stopped" in out


def test_nothing_over_budget_is_exit_0_without_any_call(world, capsys):
    world.write_spend([{"costCenter": "CC-101", "actual": 10.0, "forecast": 20.0, "budget": 2500}])
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0 and doc["steps"] == []
    assert world.fake.state.calls == []


def test_unfreeze_lifts_the_quota_once(world, capsys):
    assert world.run("enforce", "--apply", capsys=capsys)[0] == 0
    code, doc, _ = world.run("unfreeze", capsys=capsys)
    assert code == 0 and one(doc, "unfreeze", "guardrails-freeze-cc-303")["outcome"] == "planned"
    assert len(world.fake.quotas.quotas) == 1
    code, doc, _ = world.run("unfreeze", "--apply", capsys=capsys)
    assert code == 0 and one(doc, "unfreeze", "guardrails-freeze-cc-303")["outcome"] == "done"
    assert world.fake.quotas.quotas == {}
    assert world.audit_records()[-1]["action"] == "unfreeze"
    code, doc, _ = world.run("unfreeze", "--apply", capsys=capsys)
    assert (
        one(doc, "unfreeze", "guardrails-freeze-cc-303")["detail"] == "not frozen (no such quota)"
    )


@pytest.mark.subprocess
def test_aws_spend_is_announced_on_sns(world, aws, capsys):
    sns = boto3.client("sns", endpoint_url=aws)
    sqs = boto3.client("sqs", endpoint_url=aws)
    topic = sns.create_topic(Name="budget-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    budgets = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"][
        "guardrails:budgets"
    ]
    budgets["costCenters"]["CC-101"]["awsMonthly"] = 1000  # the AWS budget comes from the stack
    world.write_stack(
        {"costCenters": {"CC-101": {"actions": ["notify", "stop"]}}, "awsSnsTopicArn": topic},
        budgets=budgets,
    )
    world.write_spend(
        [
            {
                "costCenter": "CC-101",
                "actual": 900.0,
                "forecast": 900.0,
                "budget": 1e9,  # what the file says is not what is enforced
                "provider": "aws",
            }
        ]
    )
    code, doc, _ = world.run(
        "enforce", "--apply", "--aws-endpoint-url", aws, "--aws-region", "eu-west-1", capsys=capsys
    )
    assert code == 0
    assert one(doc, "notify", f"sns:{topic}")["outcome"] == "done"
    assert one(doc, "stop", "-")["detail"] == "OCI action; AWS spend"
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "guardrails dev: cost center CC-101 crossed ACTUAL 80%"
    assert "month to date  900.00 USD (90% of budget)" in body["Message"]
    # nothing on OCI for AWS spend but the mark on the stack's topic (at most once)
    assert set(world.changing_calls()) == {"UpdateTopic"}


# --- bad input: exit 2, a message, nothing changed, no audit --------------------------------


@pytest.mark.parametrize(
    ("enforcement", "message"),
    [
        (
            {"costCenters": {"CC-999": {"actions": ["notify"]}}},
            "guardrails:costEnforcement: costCenters.CC-999: 'CC-999' is not one of "
            "governance.costCenters (CC-101, CC-202, CC-303)",
        ),
        (
            {"costCenters": {"CC-101": {"actions": ["notify", "delete"]}}},
            "guardrails:costEnforcement.costCenters.CC-101.actions[1]: must be one of notify, "
            "tag, stop, freeze (got 'delete')",
        ),
        (
            {"costCenters": {"CC-101": {"actions": ["freeze"]}}},
            "action freeze needs freezeCompartments (compartment names)",
        ),
    ],
    ids=["unknown cost center", "unknown action", "freeze without compartments"],
)
def test_bad_enforcement_config_is_exit_2_and_changes_nothing(world, capsys, enforcement, message):
    world.write_stack(enforcement)
    code, doc, err = world.run("enforce", "--apply", capsys=capsys)
    assert code == 2 and doc is None
    assert message in " ".join(err.split())
    assert world.fake.state.calls == [] and not world.audit.exists()


def _bad(world: World, capsys: Any, *extra: str) -> str:
    code, doc, err = world.run("enforce", "--apply", *extra, capsys=capsys)
    assert code == 2 and doc is None
    assert world.fake.state.calls == [] and not world.audit.exists()
    assert "Traceback" not in err
    return " ".join(err.split())


def test_spend_of_a_cost_center_the_stack_does_not_have(world, capsys):
    world.write_spend([{"costCenter": "CC-404", "actual": 1.0, "forecast": 1.0, "budget": 1}])
    assert f"{world.spend}: cost center 'CC-404' is not one of the stack's" in _bad(world, capsys)


def test_malformed_spend_file(world, capsys):
    world.spend.write_text("{not json")
    assert f"{world.spend}: not valid JSON" in _bad(world, capsys)
    world.write_spend([{"costCenter": "CC-101", "actual": -5, "forecast": 1.0, "budget": 10}])
    assert "costCenters[0].actual: must be >= 0 (got -5) (line 1, column 89)" in _bad(world, capsys)


def test_two_sources_of_oci_spend_are_refused(world, capsys, tmp_path):
    """The same rule as `cost report`: OCI spend from one source, never counted twice."""
    reports = tmp_path / "reports"
    reports.mkdir()
    message = _bad(world, capsys, "--source", "usage-api", "--reports", str(reports))
    assert "--source usage-api with --reports: OCI spend would be counted twice" in message
    message = _bad(world, capsys, "--source", "focus", "--reports", str(reports))
    assert "--source focus with --reports: OCI spend would be counted twice" in message


def test_missing_oci_config_and_profile(world, capsys, tmp_path):
    store = tmp_path / "cost.duckdb"
    argv = [
        "cost",
        "enforce",
        "--stack",
        "dev",
        "--program",
        str(world.project),
        "--audit-log",
        str(world.audit),
        "--store",
        str(store),
        "--oci-config",
        str(tmp_path / "missing"),
    ]
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"OCI config file {tmp_path / 'missing'} not found" in err
    assert not store.exists() and not world.audit.exists()
    assert "profile 'NOPE' not found" in _bad(world, capsys, "--profile", "NOPE")


def test_stack_without_enforcement_block(world, capsys):
    doc = yaml.safe_load((world.project / "stacks" / "Pulumi.dev.yaml").read_text())
    del doc["config"]["guardrails:costEnforcement"]
    (world.project / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(doc))
    assert "stack dev has no guardrails:costEnforcement block" in _bad(world, capsys)


def test_production_stack_needs_allow_prod_to_apply(world, capsys):
    world.write_stack(
        {"costCenters": {"CC-101": {"actions": ["notify"]}}}, environment="prod", offHours=None
    )
    message = _bad(world, capsys)
    assert "stack dev is a production stack (prod in ocid1.compartment." in message
    assert "): add --allow-prod to --apply" in message
    code, doc, _ = world.run("enforce", "--apply", "--allow-prod", capsys=capsys)
    assert code == 0 and one(doc, "notify", "ons:guardrails-dev-alarms")["outcome"] == "done"


def test_wrong_api_key_is_a_failed_run_not_a_traceback(world, capsys, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (world.tmp / "key.pem").write_bytes(pem)
    code, _, err = world.run("enforce", capsys=capsys)
    assert code == 2 and "NotAuthenticated" in err and "Traceback" not in err
    assert world.fake.state.auth_failures


def test_freeze_quota_name_is_a_valid_quota_name():
    from guardrails.tooling.cost.enforce.steps import freeze_quota_name

    assert freeze_quota_name("CC_1.x") == "guardrails-freeze-cc-1-x"
    assert ocid("quota")  # the fake makes quota OCIDs of this kind


def test_without_spend_file_the_cost_report_is_made_in_process(world, capsys):
    """The report API (Usage API through the fake) feeds the planner the same month to date."""
    import math

    from guardrails.tooling.cost.month import today_utc
    from tests.cost_data import full_month, usage_lines

    month = full_month(today_utc())
    world.fake.usage.add(usage_lines(month))
    truth = month.month_to_date()
    budgets = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"][
        "guardrails:budgets"
    ]
    budgets["costCenters"]["CC-101"]["monthly"] = math.floor(truth["CC-101"] / 2)
    for cc in ("CC-202", "CC-303"):
        budgets["costCenters"][cc]["monthly"] = math.ceil(truth[cc] * 10)
    world.write_stack({"costCenters": {"CC-101": {"actions": ["notify"]}}}, budgets=budgets)
    store = str(world.tmp / "cost.duckdb")
    code, doc, err = world.run(
        "enforce", "--month", month.label, "--source", "usage-api", "--store", store, capsys=capsys
    )
    assert code == 0, err
    (step,) = doc["steps"]
    assert step["cost_center"] == "CC-101" and step["action"] == "notify"
    assert step["spend"] == pytest.approx(truth["CC-101"], abs=0.02)
    assert step["rule"] == "ACTUAL 100%" and doc["month"] == month.label
    assert world.fake.state.calls_of("RequestSummarizedUsages")


def test_changes_carry_the_etag_of_the_fresh_read(world):
    """A tag write or stop after someone else changed the resource is refused (412), not
    applied over their change."""
    import oci

    from guardrails.tooling.cost.enforce.remediator import CloudRemediator
    from guardrails.tooling.cost.enforce.steps import CostResource
    from guardrails.tooling.oci_auth import OciAuth, credentials

    auth = OciAuth(config_file=world.oci_config, endpoint=world.fake.url)
    remediator = CloudRemediator(
        auth, credentials(auth), tenancy=world.fake.tenancy, compartment=DEV_COMPARTMENT
    )
    seen = CostResource(
        world.dev_adb.id, "AutonomousDatabase", "orders-dev", DEV_COMPARTMENT, "AVAILABLE"
    )
    fresh = remediator.refresh(seen)
    assert fresh.etag == world.fake.database.autonomous_databases[world.dev_adb.id].etag
    world.fake.database.autonomous_databases[world.dev_adb.id].changed()  # someone else
    with pytest.raises(oci.exceptions.ServiceError) as caught:
        remediator.tag(fresh, NS, "cost_alerted", TODAY)
    assert caught.value.status == 412
    with pytest.raises(oci.exceptions.ServiceError):
        remediator.stop(fresh)
    assert world.fake.database.autonomous_databases[world.dev_adb.id].lifecycle_state == "AVAILABLE"


def test_an_unwritable_audit_log_stops_the_run_before_any_change(world, capsys):
    world.audit = world.tmp / "spend.json" / "audit.jsonl"  # a file where a folder should be
    code, doc, err = world.run("enforce", "--apply", capsys=capsys)
    assert code == 2 and doc is None
    assert f"{world.tmp / 'spend.json'} is a file, not a directory" in err
    assert world.changing_calls() == []


# --- production is a property of the resource (issue 19) --------------------------------------


def test_a_stack_cannot_switch_production_off(world, capsys):
    """`productionEnvironments: []` in a dev stack never makes a prod-tagged database fair
    game: the organisation's production environments always count."""
    world.write_stack(
        {"costCenters": {"CC-101": {"actions": ["stop"]}}, "productionEnvironments": []}
    )
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    assert one(doc, "stop", world.prod_adb.id)["detail"] == (
        "production resource (environment prod): never stopped"
    )
    assert world.fake.database.autonomous_databases[world.prod_adb.id].lifecycle_state == (
        "AVAILABLE"
    )
    assert world.fake.database.autonomous_databases[world.dev_adb.id].lifecycle_state == ("STOPPED")


def test_a_database_in_a_production_compartment_is_never_stopped(world, capsys):
    """The organisation names its production compartments (guardrails-org.yaml); a database
    there is production whatever its tag says."""
    (world.project / "guardrails-org.yaml").write_text(
        f"productionCompartments: [{DEV_COMPARTMENT}]\n"
    )
    world.write_stack({"costCenters": {"CC-101": {"actions": ["stop"]}}})
    # the stack lives there too: it is a production stack now
    assert "add --allow-prod to --apply" in _bad(world, capsys)
    code, doc, _ = world.run("enforce", "--apply", "--allow-prod", capsys=capsys)
    assert code == 0
    assert one(doc, "stop", world.dev_adb.id)["detail"] == (
        f"production resource (in production compartment {DEV_COMPARTMENT}): never stopped"
    )
    assert world.changing_calls() == []


def test_a_malformed_organisation_file_is_refused(world, capsys):
    (world.project / "guardrails-org.yaml").write_text("productionCompartments: [nope]\n")
    message = _bad(world, capsys)
    assert (
        "guardrails-org.yaml: productionCompartments[0]: 'nope' is not a compartment OCID "
        "(line 1, column 26)"
    ) in message


# --- --spend is checked, not trusted (issue 19) ------------------------------------------------


def _spend_doc(world: World, **changes: Any) -> None:
    doc = json.loads(world.spend.read_text())
    doc.update(changes)
    world.spend.write_text(json.dumps(doc))


def test_a_report_of_another_stack_is_refused(world, capsys):
    _spend_doc(world, stack="prod")
    assert (
        f"{world.spend}: the report is for stack prod, not stack dev: enforce a report of this "
        "stack (guardrails cost report --stack dev --format json)"
    ) in _bad(world, capsys)


def test_a_report_that_does_not_say_its_stack_is_refused(world, capsys):
    doc = json.loads(world.spend.read_text())
    del doc["stack"]
    world.spend.write_text(json.dumps(doc))
    assert "the report is for no stack (it does not say), not stack dev" in _bad(world, capsys)


def test_a_report_of_another_tenancy_is_refused(world, capsys):
    other = "ocid1.tenancy.oc1.." + "b" * 60
    _spend_doc(world, tenancy=other)
    assert f"the report is of tenancy {other}, the stack's is {world.fake.tenancy}" in _bad(
        world, capsys
    )


def test_month_must_agree_with_the_report(world, capsys):
    assert f"--month 2026-01 does not match the report's month {MONTH}" in _bad(
        world, capsys, "--month", "2026-01"
    )


def test_budgets_come_from_the_stack_not_the_report(world, capsys):
    """A report whose budget was edited to 1e9 does not exempt the cost center: CC-101 spent
    2,600 of the stack's 2,500."""
    doc = json.loads(world.spend.read_text())
    for row in doc["costCenters"]:
        row["budget"] = 1e9 if row["budget"] else None
    world.spend.write_text(json.dumps(doc))
    world.write_stack({"costCenters": {"CC-101": {"actions": ["notify"]}}})
    code, out, _ = world.run("enforce", capsys=capsys)
    assert code == 0
    step = one(out, "notify", "ons:guardrails-dev-alarms")
    assert step["budget"] == 2500 and step["spend"] == 2600.0


def test_a_second_apply_with_an_earlier_months_report_does_nothing(world, capsys):
    _spend_doc(world, month="2020-01")
    world.write_stack({"costCenters": {"CC-101": {"actions": ["tag"]}}})
    code, _, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    value = world.fake.database.autonomous_databases[world.dev_adb.id].defined_tags[NS][
        "cost_alerted"
    ]
    assert value == f"2020-01 (alerted {TODAY})"
    changing = world.changing_calls()
    code, again, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0 and world.changing_calls() == changing
    assert {s["outcome"] for s in again["steps"]} == {"skip"}


# --- bounded network (issue 19) ----------------------------------------------------------------


def test_an_unreachable_endpoint_is_exit_2_naming_it_within_the_budget(world, capsys):
    import socket
    import time

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    argv = [a if a != world.fake.url else closed for a in world.argv("enforce", "--apply")]
    start = time.monotonic()
    code = main([*argv, "--spend", str(world.spend), "--timeout", "4"])
    elapsed = time.monotonic() - start
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert elapsed < 10, elapsed
    assert f"reading the tenancy failed, nothing was changed: Resource Search at {closed}" in err
    assert "within the 4 s budget" in err
    assert world.fake.state.calls == [] and not world.audit.exists()


def test_throttling_is_retried_within_the_budget(world, capsys):
    world.fake.state.inject_fault("SearchResources", 429, "TooManyRequests", "slow down", times=2)
    world.write_stack({"costCenters": {"CC-101": {"actions": ["tag"]}}})
    code, doc, err = world.run("enforce", capsys=capsys)
    assert code == 0, err
    assert len(world.fake.state.calls_of("SearchResources")) == 3
    assert err.count("waiting: Resource Search: 429 TooManyRequests; retrying in") == 2
    assert one(doc, "tag", world.dev_adb.id)["outcome"] == "planned"


def test_a_server_error_on_a_stop_is_not_retried(world, capsys):
    """A stop carries no idempotency key: an error after it may have taken effect is a failed
    step (the run goes on), never a second stop."""
    world.fake.state.inject_fault("StopAutonomousDatabase", 500, "InternalError", "oops")
    world.write_stack({"costCenters": {"CC-101": {"actions": ["stop"]}}})
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 1
    assert len(world.fake.state.calls_of("StopAutonomousDatabase")) == 1
    assert one(doc, "stop", world.dev_adb.id)["outcome"] == "failed"


# --- a run that died between announcing a change and hearing its answer ---------------------


def _drop_outcomes(world, keep: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Rewrite the trail without the outcomes `keep` rejects (as a run killed after those
    calls would have left it); returns the intents left unanswered."""
    lines = world.audit_lines()
    dropped = [r["intent"] for r in lines if r.get("record") == "outcome" and not keep(r)]
    world.audit.write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in lines
            if r.get("intent") not in dropped or r.get("record") == "intent"
        )
    )
    return dropped


def test_a_rerun_settles_unanswered_intents_from_the_resources_and_repeats_nothing(
    world, slack, capsys
):
    code, _, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    dev = world.dev_adb.id
    dropped = _drop_outcomes(
        world, lambda r: not (r["action"] in ("notify", "stop") and r["cost_center"] == "CC-101")
    )
    assert dropped
    messages, posts = len(world.fake.ons.messages), len(slack.posts)
    stops = [c for c in world.changing_calls() if c == "StopAutonomousDatabase"]
    code, _, err = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    assert [c for c in world.changing_calls() if c == "StopAutonomousDatabase"] == stops
    assert (len(world.fake.ons.messages), len(slack.posts)) == (messages, posts)  # at most once
    assert f"earlier run: stop {dev}: done (the resource is STOPPED)" in err
    assert "earlier run: notify" in err and "unknown (cannot be read back" in err
    settled = [r for r in world.audit_records() if r.get("reconciled")]
    assert {r["intent"] for r in settled} == set(dropped)
    from guardrails.tooling.acting.audit_trail import AuditLog

    assert AuditLog(world.audit).unresolved() == []


def test_notifications_are_marked_on_the_topic_and_a_lost_trail_sends_nothing_twice(
    world, slack, capsys
):
    code, _, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    month = next(r["month"] for r in world.audit_records() if r.get("month"))
    tags = world.fake.ons.topics[world.topic.topic_id].freeform_tags
    assert tags == {
        f"guardrails-notified-dev-{month}-CC-101": "ons=ACTUAL 100%;slack=ACTUAL 100%",
        f"guardrails-notified-dev-{month}-CC-303": "ons=FORECAST 100%;slack=FORECAST 100%",
    }
    messages, posts = len(world.fake.ons.messages), len(slack.posts)
    world.audit.unlink()  # the trail is lost (a CI cache expired)

    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)

    assert code == 0
    assert (len(world.fake.ons.messages), len(slack.posts)) == (messages, posts)
    skipped = [r for r in doc["steps"] if r["action"] == "notify"]
    assert skipped and all("(marked on the topic)" in r["detail"] for r in skipped), skipped


@pytest.mark.subprocess
def test_a_run_killed_between_mark_and_publish_never_sends_it(world, slack, capsys):
    import os
    import signal
    import subprocess
    import sys

    child: list[subprocess.Popen[str]] = []
    world.fake.state.on_call(
        "PublishMessage", "before", lambda: os.kill(child[0].pid, signal.SIGKILL)
    )
    child.append(subprocess.Popen(
        [sys.executable, "-m", "guardrails.tooling.cli",
         *world.argv("enforce", "--apply", "--spend", str(world.spend))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ))  # fmt: skip
    child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    assert world.fake.ons.messages == []
    world.audit.unlink()  # and the trail is lost too

    code, _, _ = world.run("enforce", "--apply", capsys=capsys)

    assert code == 0
    sent = [title for _, title, _ in world.fake.ons.messages]
    assert "guardrails dev: cost center CC-101 crossed ACTUAL 100%" not in sent  # at most once
    assert sent == ["guardrails dev: cost center CC-303 crossed FORECAST 100%"]


def test_an_intent_whose_call_never_happened_is_failed_and_the_change_is_made(world, slack, capsys):
    from guardrails.tooling.acting.audit_trail import AuditLog

    dev = world.dev_adb.id
    # a run killed after its intent, before the call went out
    AuditLog(world.audit).intent(
        "cost enforce",
        "stop",
        dev,
        stack="dev",
        month=MONTH,
        cost_center="CC-101",
        rule="ACTUAL 100%",
        resource_type="AutonomousDatabase",
    )
    code, _, err = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    assert f"earlier run: stop {dev}: failed (the resource is AVAILABLE)" in err
    assert world.changing_calls().count("StopAutonomousDatabase") == 2  # dev-orders and analytics
    assert world.fake.database.autonomous_databases[dev].lifecycle_state == "STOPPED"
    assert AuditLog(world.audit).unresolved() == []


def test_a_stop_whose_work_request_fails_is_a_failed_step_with_oci_s_message(world, slack, capsys):
    world.fake.database.fail_next(world.dev_adb.id, "InternalError", "The host could not stop")
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 1
    failed = one(doc, "stop", world.dev_adb.id)
    assert failed["outcome"] == "failed"
    assert failed["detail"].startswith("stop: work request ")
    assert failed["detail"].endswith(" FAILED: InternalError: The host could not stop")
    assert one(doc, "stop", world.vm.id)["outcome"] == "done"  # the rest is still done
    record = next(
        r
        for r in world.audit_records()
        if r["action"] == "stop" and r["resource"] == world.dev_adb.id
    )
    assert (record["status"], record["outcome"]) == ("failed", "failed")


# --- SIGKILL at a changing call, then a rerun --------------------------------------------------

KILLS = [
    ("StopAutonomousDatabase", "before"),
    ("StopAutonomousDatabase", "after"),
    ("UpdateAutonomousDatabase", "after"),
    ("PublishMessage", "after"),
    ("CreateQuota", "before"),
    ("CreateQuota", "after"),
    ("InstanceAction", "before"),
    ("InstanceAction", "after"),
    ("UpdateInstance", "after"),
    ("UpdateAutonomousDatabase", "before"),
    ("PublishMessage", "before"),
    ("UpdateTopic", "after"),
]


@pytest.mark.subprocess
@pytest.mark.parametrize(("operation", "when"), KILLS, ids=[f"{o}-{w}" for o, w in KILLS])
def test_a_run_killed_at_a_change_and_its_rerun(world, slack, capsys, operation, when):
    import os
    import signal
    import subprocess
    import sys

    from guardrails.tooling.acting.audit_trail import AuditLog

    argv = [*world.argv("enforce", "--format", "json", "--apply"), "--spend", str(world.spend)]
    child: list[subprocess.Popen[str]] = []
    world.fake.state.on_call(operation, when, lambda: os.kill(child[0].pid, signal.SIGKILL))
    child.append(
        subprocess.Popen(
            [sys.executable, "-m", "guardrails.tooling.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    unanswered = AuditLog(world.audit).unresolved()
    assert [i.action for i in unanswered] == [
        {
            "StopAutonomousDatabase": "stop",
            "UpdateAutonomousDatabase": "tag",
            "PublishMessage": "notify",
            "UpdateTopic": "notify",
            "CreateQuota": "freeze",
            "InstanceAction": "stop",
            "UpdateInstance": "tag",
        }[operation]
    ]  # fmt: skip  the change the kill interrupted was announced before it was sent
    code, _, err = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0, err
    assert AuditLog(world.audit).unresolved() == []  # every change has an outcome now
    done = [c for c in world.fake.state.calls if c.operation in CHANGING and c.status == 200]
    # tag updates and the topic's notification marks are rewritten, not repeated
    changed = [
        (c.operation, c.path)
        for c in done
        if c.operation not in ("UpdateAutonomousDatabase", "UpdateTopic")
    ]
    assert len(changed) == len(set(changed)), "a change was carried out twice"
    assert len(world.fake.quotas.quotas) == 1
    titles = [title for _, title, _ in world.fake.ons.messages]
    assert sorted(titles) == sorted(set(titles)), "a notification went out twice"
    # one per cost center crossing a rule, none repeated; one killed after its mark on the
    # topic and before it went out is never sent (at most once)
    unsent = operation == "UpdateTopic" or (operation, when) == ("PublishMessage", "before")
    assert len(titles) == (1 if unsent else 2), titles
    assert world.fake.compute.instances[world.vm.id].lifecycle_state in ("STOPPING", "STOPPED")
    adbs = world.fake.database.autonomous_databases
    assert adbs[world.dev_adb.id].lifecycle_state in ("STOPPING", "STOPPED")  # the plan, done
    assert adbs[world.prod_adb.id].lifecycle_state == "AVAILABLE"
    assert "earlier run: " in err


def test_an_instance_that_does_not_stop_is_a_failed_step(world, slack, capsys):
    from tests.fake_oci.lifecycle import Transition

    vm = world.fake.compute.instances[world.vm.id]

    def fails() -> None:  # OCI moves it to STOPPING, then back to RUNNING
        vm.transition = Transition(
            "STOPPED", 2, error=("InternalError", "x"), fallback_state="RUNNING"
        )

    world.fake.state.on_call("InstanceAction", "after", fails)
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 1
    failed = one(doc, "stop", world.vm.id)
    assert failed["outcome"] == "failed"
    assert failed["detail"] == f"stop: instance {world.vm.id} is RUNNING again: it did not stop"
    assert vm.lifecycle_state == "RUNNING"


def test_a_stop_whose_answer_is_lost_after_the_change_is_read_back_as_done(world, slack, capsys):
    from tests.fake_oci.server import OciError

    def lost() -> None:
        raise OciError(500, "InternalError", "the answer was lost on the way")

    world.fake.state.on_call("StopAutonomousDatabase", "after", lost)
    code, doc, _ = world.run("enforce", "--apply", capsys=capsys)
    assert code == 0
    stopped = [s for s in steps_by(doc, "stop") if s["type"] == "AutonomousDatabase"]
    lost_one = next(s for s in stopped if "the call failed" in s["detail"])
    assert lost_one["outcome"] == "done"
    assert lost_one["detail"] == (
        "the call failed (500 InternalError: the answer was lost on the way) but the resource "
        "shows it done"
    )
    assert world.changing_calls().count("StopAutonomousDatabase") == 2  # none sent twice


@pytest.mark.subprocess
@pytest.mark.parametrize("when", ["before", "after"])
def test_an_unfreeze_killed_at_its_delete_and_its_rerun(world, slack, capsys, when):
    import os
    import signal
    import subprocess
    import sys

    from guardrails.tooling.acting.audit_trail import AuditLog

    assert world.run("enforce", "--apply", capsys=capsys)[0] == 0
    assert len(world.fake.quotas.quotas) == 1
    child: list[subprocess.Popen[str]] = []
    world.fake.state.on_call("DeleteQuota", when, lambda: os.kill(child[0].pid, signal.SIGKILL))
    argv = world.argv("unfreeze", "--format", "json", "--apply")
    child.append(
        subprocess.Popen(
            [sys.executable, "-m", "guardrails.tooling.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    )
    child[0].communicate(timeout=120)
    assert child[0].returncode == -signal.SIGKILL
    (unanswered,) = AuditLog(world.audit).unresolved()
    assert (unanswered.command, unanswered.target) == ("cost unfreeze", "guardrails-freeze-cc-303")

    code, _, err = world.run("unfreeze", "--apply", capsys=capsys)
    assert code == 0, err
    settled = "done (quota gone)" if when == "after" else "failed (quota "
    assert f"earlier run: unfreeze guardrails-freeze-cc-303: {settled}" in err
    assert world.fake.quotas.quotas == {}
    assert AuditLog(world.audit).unresolved() == []
    deletes = [c for c in world.fake.state.calls_of("DeleteQuota") if c.status in (200, 204)]
    assert len(deletes) == 1, "the quota was deleted twice"
