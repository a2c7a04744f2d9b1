"""`guardrails audit --cloud oci` end to end: the real `oci` SDK against the fake OCI API
(Resource Search, each service's reads, signed requests), the real policy pack process, the
reports and exit codes. Seeded with a compliant and a violating resource of every type the
audit reads; every rule that applies to a live OCI type has a live case asserting its
message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.subprocess  # the real policy pack process

from guardrails.tooling.cli import main
from tests.fake_oci.fixture import FakeOci
from tests.fake_oci.state import ocid

APPS = ocid("compartment", "apps")
TEAM = ocid("compartment", "team")  # under APPS
OTHER = ocid("compartment", "other")
VCN = ocid("vcn", "main")
READS = ("Get", "List", "Search", "Summarize")


def tags(env: str = "dev", cost_center: str | None = "CC-101") -> dict[str, dict[str, str]]:
    values = {"environment": env}
    if cost_center:
        values["cost_center"] = cost_center
    return {"governance": values}


def port(low: int, high: int | None = None) -> dict[str, Any]:
    return {"destinationPortRange": {"min": low, "max": high or low}}


@pytest.fixture
def oci_args(fake_oci: FakeOci, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The OCI access options for the fake, and the compartments of a small tenancy."""
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    key = tmp_path / "key.pem"
    key.write_text(fake_oci.api_key.private_pem)
    config = tmp_path / "config"
    config.write_text(
        "[DEFAULT]\n"
        f"user={fake_oci.api_key.user}\n"
        f"fingerprint={fake_oci.api_key.fingerprint}\n"
        f"tenancy={fake_oci.api_key.tenancy}\n"
        "region=eu-frankfurt-1\n"
        f"key_file={key}\n"
    )
    g = fake_oci.governed
    for parent, name, oid in (
        (fake_oci.tenancy, "apps", APPS),
        (APPS, "team", TEAM),
        (fake_oci.tenancy, "other", OTHER),
    ):
        g.add("Compartment", compartment_id=parent, display_name=name, id=oid,
              defined_tags=tags("prod"))  # fmt: skip
    return ["--cloud", "oci", "--oci-config", str(config), "--endpoint-url", fake_oci.url]


def audit(args: list[str], *extra: str) -> tuple[int, dict[str, Any]]:
    out = Path("r.json")
    code = main(["audit", *args, "--format", "json", "--output", str(out), *extra])
    return code, json.loads(out.read_text())


def findings(report: dict[str, Any], policy: str) -> dict[str, str]:
    """name -> message of the unsuppressed findings of one rule."""
    return {
        v["name"]: v["message"]
        for v in report["violations"]
        if v["policy"] == policy and not v["suppressed"]
    }


def test_done_when_public_bucket_untagged_adb_and_open_security_list(
    fake_oci: FakeOci, oci_args: list[str]
) -> None:
    g = fake_oci.governed
    g.add(
        "Bucket",
        compartment_id=APPS,
        display_name="public-logs",
        defined_tags=tags(),
        publicAccessType="ObjectRead",
        versioning="Enabled",
        kmsKeyId=ocid("key", "k"),
    )
    fake_oci.database.add_autonomous_database(
        compartment_id=TEAM, display_name="orders", defined_tags=tags(cost_center=None)
    )
    g.add("SecurityList", compartment_id=APPS, display_name="web", defined_tags=tags(),
          vcnId=VCN, ingressSecurityRules=[
              {"source": "0.0.0.0/0", "protocol": "6", "tcpOptions": port(22)}])  # fmt: skip

    code, report = audit(oci_args)

    assert code == 1
    assert findings(report, "oci-objectstorage-bucket-no-public-access") == {
        "public-logs": "accessType is ObjectRead; use NoPublicAccess"
    }
    assert findings(report, "oci-tagging-resource-required-tags")["orders"] == (
        "missing defined tags governance.cost_center; add them to definedTags"
    )
    assert findings(report, "oci-network-securitylist-no-public-admin-ports") == {
        "web": "ingressSecurityRules[0]: ingress from 0.0.0.0/0 to 22; allow a specific CIDR (or "
        "a bastion) instead"
    }
    live = report["live"]
    assert live["cloud"] == "oci" and live["complete"] is True
    assert live["types"]["oci:ObjectStorage/bucket:Bucket"] == 1
    # read-only by construction: the fake saw nothing but reads
    operations = {c.operation for c in fake_oci.state.calls}
    assert operations and all(op.startswith(READS) for op in operations), operations
    assert not fake_oci.state.unrouted


def test_a_compliant_tenancy_passes_and_says_what_it_read(
    fake_oci: FakeOci, oci_args: list[str]
) -> None:
    g = fake_oci.governed
    g.add("Bucket", compartment_id=APPS, display_name="logs", defined_tags=tags(),
          versioning="Enabled", kmsKeyId=ocid("key", "k"))  # fmt: skip
    g.add("SecurityList", compartment_id=APPS, display_name="web", defined_tags=tags(),
          vcnId=VCN, ingressSecurityRules=[
              {"source": "10.0.0.0/16", "protocol": "6", "tcpOptions": port(22)}])  # fmt: skip

    code, report = audit(oci_args)

    assert code == 0, report["violations"]
    assert report["passed"] is True
    assert report["live"]["resources"] >= 5  # three compartments, the bucket, the list
    assert report["live"]["notJudged"]["oci-database-adb-production-protected"].startswith(
        "reads Pulumi's protect option"
    )


def test_compartment_scope_takes_the_subtree_only(fake_oci: FakeOci, oci_args: list[str]) -> None:
    g = fake_oci.governed
    for where, name in ((TEAM, "in-team"), (OTHER, "elsewhere")):
        g.add("Bucket", compartment_id=where, display_name=name, publicAccessType="ObjectRead")

    code, report = audit(oci_args, "--compartment", APPS)

    assert code == 1
    public = findings(report, "oci-objectstorage-bucket-no-public-access")
    assert set(public) == {"in-team"}
    assert report["live"]["scope"] == APPS
