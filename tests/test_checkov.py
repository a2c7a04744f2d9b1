"""The catalog as checkov custom checks: on Terraform HCL, on our exported plans, and in
parity with the policy pack. Runs the real checkov from its own virtual environment."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.gate.checkov_run import CHECKS_DIR, ensure_checkov, export_plan, run_checkov
from guardrails.tooling.gate.pack import PACK_DIR, PolicyPackProcess, Provider
from guardrails.tooling.gate.policy_config import parse_policy_config
from guardrails.tooling.program.record import Capture
from policies.catalog import RULES_BY_ID
from tests.conftest import FIXTURES
from tests.gating import analyze
from tests.policy_cases import CASES

TERRAFORM = FIXTURES / "terraform"


def _checkov_dir(directory) -> dict:
    proc = subprocess.run(
        [
            str(ensure_checkov()),
            "-d",
            str(directory),
            "--external-checks-dir",
            str(CHECKS_DIR),
            "--skip-download",
            "-o",
            "json",
            "--compact",
            "--framework",
            "terraform",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def _ours(report: dict, key: str) -> set[tuple[str, str]]:
    return {
        (c["check_id"], c["resource"])
        for c in report["results"][key]
        if c["check_id"] in RULES_BY_ID
    }


@pytest.mark.subprocess
def test_custom_checks_pass_compliant_terraform():
    report = _checkov_dir(TERRAFORM / "compliant")
    assert report["summary"]["resource_count"] == 6
    assert _ours(report, "failed_checks") == set()
    passed = _ours(report, "passed_checks")
    assert (
        "oci-database-adb-production-protected",
        "oci_database_autonomous_database.orders",
    ) in passed
    assert (
        "aws-lambda-layerpermission-no-public",
        "aws_lambda_layer_version_permission.org",
    ) in passed
    assert {
        ("oci-containerengine-cluster-private-api-endpoint", "oci_containerengine_cluster.private"),
        ("oci-network-nsgrule-no-public-admin-ports", "oci_core_network_security_group_security_rule.kube_api"),
        ("oci-network-ingress-no-public-nodeports", "oci_core_network_security_group_security_rule.kube_api"),
    } <= passed  # fmt: skip


@pytest.mark.subprocess
def test_custom_checks_fail_flawed_terraform():
    report = _checkov_dir(TERRAFORM / "flawed")
    assert _ours(report, "failed_checks") == {
        ("oci-objectstorage-bucket-no-public-access", "oci_objectstorage_bucket.public"),
        ("oci-objectstorage-bucket-versioning-enabled", "oci_objectstorage_bucket.public"),
        ("oci-objectstorage-bucket-customer-managed-key", "oci_objectstorage_bucket.public"),
        ("oci-database-adb-private-access", "oci_database_autonomous_database.open"),
        ("oci-database-adb-mtls-required", "oci_database_autonomous_database.open"),
        ("oci-database-adb-license-explicit", "oci_database_autonomous_database.open"),
        ("oci-database-adb-vault-password", "oci_database_autonomous_database.open"),
        ("oci-tagging-resource-allowed-values", "oci_database_autonomous_database.open"),
        ("oci-network-securitylist-no-public-admin-ports", "oci_core_security_list.open"),
        ("oci-tagging-resource-required-tags", "oci_core_security_list.open"),
        ("aws-lambda-layerpermission-no-public", "aws_lambda_layer_version_permission.public"),
        ("aws-lambda-layerversion-runtimes-supported", "aws_lambda_layer_version.old"),
        ("oci-containerengine-cluster-private-api-endpoint", "oci_containerengine_cluster.public"),
        ("oci-network-nsgrule-no-public-admin-ports", "oci_core_network_security_group_security_rule.kube_api"),
        ("oci-network-ingress-no-public-nodeports", "oci_core_security_list.nodeports"),
    }  # fmt: skip
    failed = {c["check_id"]: c for c in report["results"]["failed_checks"]}
    assert failed["oci-database-adb-private-access"]["severity"] == "CRITICAL"


@pytest.mark.subprocess
def test_gate_and_checkov_reach_the_same_verdicts():
    """Parity: every case through the policy pack and through checkov's custom checks."""
    cases = [c for c in CASES if c.checkov]
    resources = [
        dataclasses.replace(
            c.resource, name=f"case{i}", urn=f"{c.resource.urn.rsplit('::', 1)[0]}::case{i}"
        )
        for i, c in enumerate(cases)
    ]
    capture = Capture(project="cases", stack="dev", program=str(FIXTURES), resources=resources)
    plan, exported = export_plan(capture, {})
    assert len(exported) == len(resources)
    report = run_checkov(plan)
    assert report["summary"]["resource_count"] == len(resources)
    checkov_failed = {
        (c["check_id"], c["resource_address"])
        for c in report["results"]["failed_checks"]
        if c["check_id"] in RULES_BY_ID
    }
    checkov_details = {
        (c["check_id"], c["resource_address"]): c.get("details") or []
        for c in report["results"]["failed_checks"]
    }

    with PolicyPackProcess(PACK_DIR) as pack:
        pack.configure(parse_policy_config({}))
        pack_failed = {
            (d.policy, r.urn)
            for r in resources
            for d in analyze(pack, r, None)
            if d.policy in RULES_BY_ID
        }

    for case, resource in zip(cases, resources, strict=True):
        key = (case.rule, resource.urn)
        assert (key in checkov_failed) is case.violates, f"checkov: {case.rule}: {case.label}"
        assert (key in pack_failed) is case.violates, f"pack: {case.rule}: {case.label}"
        if case.violates:
            details = checkov_details[key]
            assert any(case.message in d for d in details), f"checkov: {case.rule}: {case.label}"
    assert checkov_failed == pack_failed


def test_export_counts_provider_default_tags_and_protect():
    from tests.policy_cases import ADB, SNS, adb, res

    capture = Capture(
        project="p", stack="dev", program=".",
        resources=[res(SNS, {"kmsMasterKeyId": "k", "tags": {"owner": "x"}}, name="t"), res(ADB, adb(), name="db", protect=True)],
    )  # fmt: skip
    provider = Provider(
        "pulumi:providers:aws",
        "urn:p",
        "default",
        {"defaultTags": '{"tags": {"cost_center": "CC-1", "environment": "dev"}}'},
    )
    plan, _ = export_plan(capture, {capture.resources[0].urn: provider})
    topic, db = plan["planned_values"]["root_module"]["resources"]
    assert topic["type"] == "aws_sns_topic" and topic["address"] == capture.resources[0].urn
    assert topic["values"]["tags_all"] == {
        "cost_center": "CC-1",
        "environment": "dev",
        "owner": "x",
    }
    assert topic["values"]["kms_master_key_id"] == "k"
    assert db["type"] == "oci_database_autonomous_database"
    assert db["values"]["lifecycle"] == {"prevent_destroy": True}
    assert db["values"]["defined_tags"]["governance.cost_center"] == "CC-101"  # data keys untouched


@pytest.mark.subprocess
def test_gate_with_checkov_on_the_dev_stack(capsys):
    assert main(["check", "--stack", "dev", "--checkov", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["checkov"]["scanned"] == report["checkov"]["exported"] > 30
    assert report["summary"]["mandatory"] == 0
    assert all(v["level"] == "advisory" for v in report["violations"] if v["engine"] == "checkov")


@pytest.mark.subprocess
def test_gate_with_checkov_on_flawed_program(capsys):
    assert (
        main(["check", "--program", str(FIXTURES / "flawed"), "--checkov", "--format", "json"]) == 1
    )
    report = json.loads(capsys.readouterr().out)
    # checkov's own port-22 check agrees: one finding naming both engines
    on_ssh_rule = {v["policy"]: v for v in report["violations"] if v["name"] == "bastion-ingress-1"}
    assert "CKV_OCI_22" not in on_ssh_rule
    ssh = on_ssh_rule["oci-network-nsgrule-no-public-admin-ports"]
    assert ssh["engines"] == ["crossguard", "checkov"] and ssh["also"] == ["CKV_OCI_22"]
    assert report["checkov"]["merged"] >= 1
    assert report["checkov"]["custom_failed"] == report["summary"]["mandatory"]


def test_missing_checkov_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("GUARDRAILS_CHECKOV", "/nonexistent/checkov")
    assert main(["check", "--checkov"]) == 2
    out, err = capsys.readouterr()
    assert "GUARDRAILS_CHECKOV points at /nonexistent/checkov, which does not exist" in err
    assert out == ""


@pytest.mark.parametrize("rule", sorted(r for r in RULES_BY_ID if not RULES_BY_ID[r].is_stack_rule))
def test_every_resource_rule_has_a_checkov_check(rule):
    from policies.naming import terraform_types

    assert terraform_types(RULES_BY_ID[rule].resource_types), rule
