"""`guardrails check`: the whole gate on our stacks and on programs it has never seen."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from guardrails.tooling.cli import main
from tests.conftest import FIXTURES, STACKS

FLAWED = FIXTURES / "flawed"
FLAWED_RULES = {
    ("oci-database-adb-private-access", "data-db"),
    ("oci-database-adb-mtls-required", "data-db"),
    ("oci-objectstorage-bucket-no-public-access", "public-assets"),
    ("oci-tagging-resource-required-tags", "untagged-vcn"),
    ("oci-network-nsgrule-no-public-admin-ports", "bastion-ingress-1"),
    ("aws-lambda-layerpermission-no-public", "deps-public"),
}


def _check(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys, *args: str) -> tuple[int, dict]:
    code, out, err = _check(capsys, *args, "--format", "json")
    # stderr says which policy config and ledger were used, and nothing else
    assert err.startswith("policy config: ") and err.count("\n") == 1, err
    return code, json.loads(out)


@pytest.mark.subprocess
@pytest.mark.parametrize("stack", STACKS)
def test_our_stacks_have_no_mandatory_violation(capsys, stack):
    code, report = _json(capsys, "--stack", stack)
    assert code == 0, [v for v in report["violations"] if v["level"] == "mandatory"]
    assert report["summary"]["mandatory"] == 0
    assert report["resources"] > 50


@pytest.mark.subprocess
def test_flawed_program_fails_with_the_expected_rules(capsys):
    code, report = _json(capsys, "--program", str(FLAWED))
    assert code == 1
    found = {(v["policy"], v["name"]) for v in report["violations"] if v["level"] == "mandatory"}
    assert found == FLAWED_RULES
    # advisory: its dev database has no off-hours schedule
    assert report["summary"] == {
        "mandatory": 6,
        "advisory": 1,
        "remediated": 0,
        "unknown": 0,
        "suppressed": 0,
    }
    (advisory,) = [v for v in report["violations"] if v["level"] == "advisory"]
    assert (advisory["policy"], advisory["name"]) == (
        "oci-resourcescheduler-schedule-offhours-nonprod",
        "data-db",
    )
    assert report["passed"] is False
    ssh = next(v for v in report["violations"] if v["name"] == "bastion-ingress-1")
    assert (
        ssh["urn"]
        == "urn:pulumi:dev::flawed::oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule::bastion-ingress-1"
    )
    assert ssh["engine"] == "crossguard" and ssh["severity"] == "critical"
    assert ssh["source"]["file"] == "__main__.py"
    db = next(v for v in report["violations"] if v["name"] == "data-db")
    assert "acme:data:DataTier$oci:Database" in db["urn"]  # inside a third-party component


@pytest.mark.subprocess
def test_text_report(capsys):
    code, out, _ = _check(capsys, "--program", str(FLAWED))
    assert code == 1
    assert "CRITICAL (4)" in out and "HIGH (2)" in out
    assert "oci-network-nsgrule-no-public-admin-ports" in out
    assert out.rstrip().endswith("FAIL: 6 mandatory, 1 advisory, 0 suppressed")


def _ledger(tmp_path: Path, entries: list[dict]) -> Path:
    import yaml

    path = tmp_path / "suppressions.yaml"
    path.write_text(yaml.safe_dump({"suppressions": entries}))
    return path


@pytest.mark.subprocess
def test_suppressions_mark_expire_and_report_unused(capsys, tmp_path):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    ledger = _ledger(
        tmp_path,
        [
            {
                "rule": "oci-tagging-resource-required-tags",
                "resource": "urn:pulumi:dev::flawed::*::untagged-vcn",
                "reason": "Legacy VCN, tagged by the network team",
                "expires": future,
                "ticket": "NET-42",
            },
            {
                "rule": "aws-lambda-layerpermission-no-public",
                "resource": "urn:pulumi:dev::flawed::aws:lambda/layerVersionPermission:LayerVersionPermission::deps-public",
                "reason": "Public layer for the open-source SDK",
                "expires": past,
            },
            {
                "rule": "oci-objectstorage-bucket-no-public-access",
                "resource": "urn:pulumi:dev::flawed::*::no-such-bucket",
                "reason": "Bucket that does not exist any more",
                "expires": future,
            },
        ],
    )
    code, report = _json(capsys, "--program", str(FLAWED), "--suppressions", str(ledger))
    assert code == 1
    vcn = next(v for v in report["violations"] if v["name"] == "untagged-vcn")
    assert vcn["suppressed"] is True and vcn["suppression"]["ticket"] == "NET-42"
    layer = next(v for v in report["violations"] if v["name"] == "deps-public")
    assert layer["suppressed"] is False
    assert report["summary"] == {
        "mandatory": 5,
        "advisory": 1,
        "remediated": 0,
        "unknown": 0,
        "suppressed": 1,
    }
    assert [e["rule"] for e in report["suppressions"]["expired"]] == [
        "aws-lambda-layerpermission-no-public"
    ]
    assert [e["resource"] for e in report["suppressions"]["unused"]] == [
        "urn:pulumi:dev::flawed::*::no-such-bucket"
    ]


@pytest.mark.subprocess
def test_suppressing_every_mandatory_finding_passes(capsys, tmp_path):
    future = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    ledger = _ledger(
        tmp_path,
        [
            {
                "rule": rule,
                "resource": f"urn:pulumi:dev::flawed::*::{name}",
                "reason": "Accepted for the fixture test",
                "expires": future,
            }
            for rule, name in sorted(FLAWED_RULES)
        ],
    )
    code, out, _ = _check(capsys, "--program", str(FLAWED), "--suppressions", str(ledger))
    assert code == 0
    assert "PASS: 0 mandatory, 1 advisory, 6 suppressed" in out


BAD_LEDGERS = [
    (
        "suppressions: [1, 2]\n",
        "suppressions[0]: must be a mapping (got 1) (line 1, column 16)",
    ),
    ("other: []\n", "other: is not a known setting (line 1, column 1)"),
    (
        "suppressions:\n- {rule: oci-x-y-z, resource: 'urn:pulumi:*', reason: long enough reason, expires: 2030-01-01}\n",
        "suppressions[0].rule: unknown rule 'oci-x-y-z' (line 2, column 10)",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: short, expires: 2030-01-01}\n",
        "suppressions[0].reason: must be at least 10 characters (got 'short')",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: long enough reason, expires: soon}\n",
        "suppressions[0].expires: must be a date such as 2027-03-31 (got 'soon')",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: long enough reason}\n",
        "suppressions[0].expires: is required (line 2, column 3)",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: my-vcn, reason: long enough reason, expires: 2030-01-01}\n",
        "suppressions[0].resource: must be a Pulumi URN, a Terraform address or a glob over "
        "them (got 'my-vcn')",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: long enough reason, expires: 2030-01-01, owner: me}\n",
        "suppressions[0].owner: is not a known setting (line 2, column 121)",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: long enough reason, expires: 1700000000}\n",
        "suppressions[0].expires: must be a date such as 2027-03-31 (got 1700000000)",
    ),
    (
        "suppressions:\n- {rule: oci-tagging-resource-required-tags, resource: 'urn:pulumi:*', reason: long enough reason, expires: 2030-01-01 10:00:00}\n",
        "suppressions[0].expires: must be a date such as 2027-03-31 (got datetime.datetime(2030",
    ),
    ("[]\n", "must be a mapping (got []) (line 1, column 1)"),
    ("suppressions: [\n", "not valid YAML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_LEDGERS, ids=[m[:40] for _, m in BAD_LEDGERS])
def test_malformed_ledger_exits_2(capsys, tmp_path, text, message):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(text)
    output = tmp_path / "report.txt"
    code, out, err = _check(capsys, "--suppressions", str(ledger), "--output", str(output))
    assert code == 2
    assert message in err
    assert out == "" and not output.exists()  # nothing is reported or written


def test_every_problem_of_a_ledger_is_named_with_its_line(capsys, tmp_path):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "suppressions:\n"
        "  - rule: oci-tagging-resource-required-tags\n"
        "    resource: 'urn:pulumi:*'\n"
        "    reason: accepted until the vault exists\n"
        "    expires: 2030-01-01\n"
        "  - rule: oci-tagging-resource-required-tags\n"
        "    resource: 'urn:pulumi:*'\n"
        "    reason: short\n"
        "    expires: soon\n"
    )
    code, out, err = _check(capsys, "--suppressions", str(ledger))
    assert code == 2 and out == ""
    assert err == (
        f"error: {ledger}: suppressions[1].reason: must be at least 10 characters (got 'short') "
        "(line 8, column 13); suppressions[1].expires: must be a date such as 2027-03-31 "
        "(got 'soon') (line 9, column 14)\n"
    )


def test_a_numeric_ticket_is_kept_as_written(tmp_path):
    from guardrails.tooling.gate.ledger import load_ledger

    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "suppressions:\n- {rule: CKV_OCI_1, resource: 'urn:pulumi:*', reason: long enough reason, "
        "expires: '2030-01-01', ticket: 1234}\n"
    )
    (entry,) = load_ledger(ledger)
    assert (entry.ticket, entry.expires.isoformat()) == ("1234", "2030-01-01")


BAD_POLICY_CONFIGS = [
    ("[]", "expected a JSON object of policy names"),
    ("{not json", "not valid JSON"),
    ('{"oci-no-such-rule-x": "mandatory"}', "unknown policy 'oci-no-such-rule-x'"),
    (
        '{"all": "strict"}',
        "all: enforcement level must be one of advisory, mandatory, remediate, disabled (got 'strict')",
    ),
    (
        '{"oci-database-adb-backup-retention": {"minimumDays": "seven"}}',
        "oci-database-adb-backup-retention.minimumDays: 'seven' is not of type 'integer'",
    ),
    (
        '{"oci-database-adb-backup-retention": {"maximumDays": 3}}',
        "unknown property 'maximumDays' (known: minimumDays)",
    ),
    (
        '{"oci-tagging-resource-required-tags": {"requiredKeys": [1]}}',
        "oci-tagging-resource-required-tags.requiredKeys[0]: 1 is not of type 'string'",
    ),
    ('{"oci-tagging-resource-required-tags": 3}', "expected an enforcement level or an object"),
]


@pytest.mark.parametrize(
    ("text", "message"), BAD_POLICY_CONFIGS, ids=[m[:40] for _, m in BAD_POLICY_CONFIGS]
)
def test_malformed_policy_config_exits_2(capsys, tmp_path, text, message):
    config = tmp_path / "policy.json"
    config.write_text(text)
    code, out, err = _check(capsys, "--policy-config", str(config))
    assert code == 2
    assert message in err and out == ""


@pytest.mark.subprocess
def test_policy_config_can_make_a_stack_fail(capsys, tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(
        json.dumps(
            {
                "oci-objectstorage-bucket-customer-managed-key": "mandatory",
                "oci-tagging-resource-allowed-values": {
                    "allowedValues": {"cost_center": ["CC-101"]}
                },
            }
        )
    )
    code, report = _json(capsys, "--policy-config", str(config))
    assert code == 1
    mandatory = {
        (v["policy"], v["name"]) for v in report["violations"] if v["level"] == "mandatory"
    }
    assert ("oci-objectstorage-bucket-customer-managed-key", "adb-backups") in mandatory
    assert ("oci-tagging-resource-allowed-values", "adb-search") in mandatory  # CC-202


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "qa"], "error: unknown stack 'qa'"),
        (
            ["--program", str(FIXTURES / "raising")],
            "error: the program raised ValueError at __main__.py:",
        ),
        (
            ["--program", str(FIXTURES / "plain_oci"), "--stack", "nocompartment"],
            "error: Missing required configuration variable 'plain-oci:compartmentOcid'",
        ),
        (
            ["--suppressions", "/nonexistent/ledger.yaml"],
            "error: /nonexistent/ledger.yaml: suppression ledger not found",
        ),
    ],
)
def test_bad_inputs_exit_2(capsys, args, message):
    code, out, err = _check(capsys, *args)
    assert code == 2
    assert err.startswith(message) or f"\n{message}" in err, err
    assert out == ""


@pytest.mark.subprocess
def test_output_file_and_sarif(capsys, tmp_path):
    output = tmp_path / "gate.sarif"
    code, out, _ = _check(
        capsys, "--program", str(FLAWED), "--format", "sarif", "--output", str(output)
    )
    assert code == 1
    # the report goes to the file; the verdict line still to the console
    assert out == f"FAIL: 6 mandatory, 1 advisory, 0 suppressed (report: {output})\n"
    sarif = json.loads(output.read_text())
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "oci-network-nsgrule-no-public-admin-ports" in rules
    results = {r["ruleId"]: r for r in run["results"]}
    ssh = results["oci-network-nsgrule-no-public-admin-ports"]
    assert ssh["level"] == "error"
    assert rules[ssh["ruleIndex"]] == ssh["ruleId"]
    location = ssh["locations"][0]
    main_py = (FLAWED / "__main__.py").read_text().splitlines()
    line = location["physicalLocation"]["region"]["startLine"]
    assert "NetworkSecurityGroupSecurityRule(" in main_py[line - 1]
    assert (
        location["physicalLocation"]["artifactLocation"]["uri"]
        == "tests/fixtures/flawed/__main__.py"
    )
    assert ssh["properties"]["urn"].endswith("::bastion-ingress-1")
    assert location["logicalLocations"][0]["fullyQualifiedName"] == ssh["properties"]["urn"]
    # every result names a file (code scanning rejects the whole upload otherwise): a
    # finding without a line of its own is shown on the program's Pulumi.yaml
    files = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert files <= {"tests/fixtures/flawed/__main__.py", "tests/fixtures/flawed/Pulumi.yaml"}
