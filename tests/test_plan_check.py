"""`guardrails check --plan`: the whole catalog, stack rules included, on plans other tools
wrote, through the real policy pack process; same reports, ledger and exit codes."""

from __future__ import annotations

import json
import subprocess

import pytest

from guardrails.tooling.cli import main
from guardrails.tooling.gate.checkov_run import CHECKS_DIR, ensure_checkov
from policies.catalog import RULES_BY_ID
from tests.conftest import FIXTURES

pytestmark = pytest.mark.subprocess

PLANS = FIXTURES / "plans"
TF_FLAWED = PLANS / "terraform_flawed.json"
TF_MODULES = PLANS / "terraform_modules.json"
PREVIEW = PLANS / "pulumi_preview.json"


def _json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json"])
    out, err = capsys.readouterr()
    assert err.startswith("policy config: the catalog levels; suppressions: "), err
    return code, json.loads(out)


def _mandatory(report: dict) -> set[tuple[str, str]]:
    return {(v["policy"], v["name"]) for v in report["violations"] if v["level"] == "mandatory"}


def _hcl_failures() -> set[tuple[str, str]]:
    """The catalog's checkov checks on the HCL the flawed plan was made from."""
    proc = subprocess.run(
        [str(ensure_checkov()), "-d", str(FIXTURES / "terraform" / "flawed"),
         "--external-checks-dir", str(CHECKS_DIR), "--skip-download", "-o", "json",
         "--compact", "--framework", "terraform"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    return {
        (c["check_id"], c["resource"])
        for c in report["results"]["failed_checks"]
        if c["check_id"] in RULES_BY_ID
    }


def test_terraform_plan_of_the_hcl_fixture(capsys):
    code, report = _json(capsys, "--plan", str(TF_FLAWED))
    assert code == 1
    mandatory = _mandatory(report)
    # The stack rule that checkov's per-resource checks cannot run:
    assert ("oci-network-subnet-prohibit-public-ip", "oci_core_subnet.web") in mandatory
    [subnet] = [v for v in report["violations"] if v["policy"].endswith("prohibit-public-ip")]
    assert subnet["message"] == (
        "subnet oci_core_subnet.web allows public IPs on its VNICs (prohibitPublicIpOnVnic is "
        "not true) and routes to an internet gateway through route table "
        "oci_core_route_table.public; set prohibitPublicIpOnVnic=true, or route through a NAT "
        "gateway"
    )
    # The same verdicts as the catalog's checkov checks on the HCL, except where the plan
    # does not know a value yet (versioning is computed by the provider):
    hcl = _hcl_failures()
    advisory = {RULES_BY_ID[p].enforcement == "advisory" for p, _ in hcl}
    assert advisory == {True, False}
    unknown_in_plan = {
        ("oci-objectstorage-bucket-versioning-enabled", "oci_objectstorage_bucket.public")
    }
    expected = {k for k in hcl if RULES_BY_ID[k[0]].enforcement == "mandatory"} - unknown_in_plan
    assert mandatory == expected | {
        ("oci-network-subnet-prohibit-public-ip", "oci_core_subnet.web")
    }
    [versioning] = [
        v
        for v in report["violations"]
        if v["policy"] == "oci-objectstorage-bucket-versioning-enabled"
    ]
    assert versioning["level"] == "unknown"
    assert versioning["message"].startswith(
        "not decided offline: `versioning` is known only after apply in this Terraform plan"
    )
    assert report["plan"]["tool"] == "terraform" and report["plan"]["resources"] == 11
    assert "not-a-real-password" not in json.dumps(report)


def test_terraform_plan_with_modules(capsys):
    code, report = _json(capsys, "--plan", str(TF_MODULES))
    assert code == 1
    web = 'module.network["web"].oci_core_subnet.this'
    assert _mandatory(report) == {
        ("oci-objectstorage-bucket-no-public-access", 'oci_objectstorage_bucket.logs["audit"]'),
        ("oci-network-subnet-prohibit-public-ip", f"{web}[0]"),
        ("oci-network-subnet-prohibit-public-ip", f"{web}[1]"),
        ("oci-containerengine-cluster-private-api-endpoint", "oci_containerengine_cluster.oke"),
    }
    unknown_key = [
        v
        for v in report["violations"]
        if v["policy"] == "oci-objectstorage-bucket-customer-managed-key"
    ]
    assert {v["level"] for v in unknown_key} == {"unknown"}  # a key made in the same plan
    assert all("`kmsKeyId`" in v["message"] for v in unknown_key)
    assert report["plan"]["unmapped_types"] == {"random_id": 1}


def test_pulumi_preview(capsys):
    code, report = _json(capsys, "--plan", str(PREVIEW))
    assert code == 1
    assert _mandatory(report) == {
        ("oci-network-nsgrule-no-public-admin-ports", "kube-api"),
        ("oci-network-subnet-prohibit-public-ip", "edge-public"),  # inside a component
        ("oci-containerengine-cluster-private-api-endpoint", "oke"),
    }
    names = {v["name"] for v in report["violations"]}
    assert "alerts" not in names  # tagged through the AWS provider's defaultTags
    assert "orders" in names and not any(  # protect=True reached the pack
        v["policy"] == "oci-database-adb-production-protected" for v in report["violations"]
    )
    assert report["project"] == "shop" and report["stack"] == "dev"
    assert "--show-sames" in report["plan"]["notes"][0]


def test_checkov_on_the_same_plans(capsys):
    code, report = _json(capsys, "--plan", str(TF_FLAWED), "--checkov")
    assert code == 1
    assert report["checkov"]["scanned"] == report["checkov"]["exported"] == 11
    builtin = {(v["policy"], v["name"]) for v in report["violations"] if v["engine"] == "checkov"}
    assert ("CKV_OCI_7", "oci_objectstorage_bucket.public") in builtin
    # one finding per problem: checkov's port-22 and public-bucket checks fold into ours
    also = {(v["policy"], v["name"]): v["also"] for v in report["violations"] if v["also"]}
    assert also == {
        ("oci-network-securitylist-no-public-admin-ports", "oci_core_security_list.open"): [
            "CKV_OCI_19"
        ],
        ("oci-objectstorage-bucket-no-public-access", "oci_objectstorage_bucket.public"): [
            "CKV_OCI_10"
        ],
        ("oci-objectstorage-bucket-customer-managed-key", "oci_objectstorage_bucket.public"): [
            "CKV_OCI_9"
        ],
    }
    # versioning is unknown in the plan: our rule could not run, checkov's finding stays
    assert ("CKV_OCI_8", "oci_objectstorage_bucket.public") in builtin
    # PodSecurityPolicy on Kubernetes v1.31: obsolete, turned off by policies/checkov.yaml
    assert not any(p == "CKV2_OCI_6" for p, _ in builtin)
    assert report["checkov"]["obsolete_skipped"] == 1
    assert report["checkov"]["merged"] == 3
    code, report = _json(capsys, "--plan", str(PREVIEW), "--checkov")
    assert code == 1
    assert report["checkov"]["scanned"] == report["checkov"]["exported"] == 10


def test_suppressions_and_text_report(capsys, tmp_path):
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(
        "suppressions:\n"
        "  - rule: oci-network-subnet-prohibit-public-ip\n"
        '    resource: "module.network*.oci_core_subnet.this*"\n'
        "    reason: Public web tier behind the WAF, reviewed\n"
        "    expires: 2099-01-01\n"
        "  - rule: oci-objectstorage-bucket-no-public-access\n"
        "    resource: 'oci_objectstorage_bucket.logs[\"audit\"]'\n"
        "    reason: Audit bucket is read by the external auditor\n"
        "    expires: 2099-01-01\n"
        "  - rule: oci-containerengine-cluster-private-api-endpoint\n"
        "    resource: oci_containerengine_cluster.oke\n"
        "    reason: API allow-listed by NSG, ticket reviewed\n"
        "    expires: 2099-01-01\n"
    )
    code = main(["check", "--plan", str(TF_MODULES), "--suppressions", str(ledger)])
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert "guardrails check terraform / stack terraform_modules: 14 resources" in out
    assert "PASS: 0 mandatory" in out
    assert "4 suppressed" in out
    assert "plan: 1 resources of 1 Terraform types have no Pulumi token" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--plan", "/nonexistent/plan.json"],
            "error: /nonexistent/plan.json: plan file not found",
        ),
        (["--plan", str(FIXTURES / "flawed" / "Pulumi.yaml")], "not valid JSON"),
        (
            ["--plan", str(PREVIEW), "--program", str(FIXTURES / "flawed")],
            "error: --plan judges a plan file; --program applies to a program run",
        ),
        (
            ["--plan", str(PREVIEW), "--stack", "prod"],
            "error: --plan judges a plan file; --stack applies to a program run",
        ),
        (
            ["--plan", str(PREVIEW), "-s", "dev", "--mocks", "m.yaml", "--strict"],
            "error: --plan judges a plan file; --stack, --mocks, --strict apply to a program run",
        ),
    ],
)
def test_bad_plan_inputs_exit_2_and_write_nothing(capsys, tmp_path, args, message):
    output = tmp_path / "report.txt"
    code = main(["check", *args, "--output", str(output)])
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err, err
    assert out == "" and not output.exists()
