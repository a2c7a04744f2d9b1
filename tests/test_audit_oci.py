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

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli import main
from tests.conftest import ROOT
from tests.fake_oci.fixture import FakeOci
from tests.fake_oci.state import ocid

pytestmark = pytest.mark.subprocess  # the real policy pack process

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
    config = fake_oci.config_file(tmp_path)
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


def seed_every_type(fake: FakeOci) -> None:
    """A violating resource of every type the audit reads (named `bad-*`), beside compliant
    ones (`good-*`)."""
    g, t = fake.governed, tags()
    key, subnet_private = ocid("key", "cmk"), ocid("subnet", "private")
    # tags
    ns = g.add("TagNamespace", compartment_id=fake.tenancy, display_name="governance")
    g.add(
        "Tag",
        compartment_id=fake.tenancy,
        display_name="cost_center",
        tagNamespaceId=ns["id"],
        validator={"validatorType": "ENUM", "values": ["CC-101", "CC-102"]},
    )
    g.add("Vcn", compartment_id=APPS, display_name="good-vcn", defined_tags=t)
    g.add(
        "Vcn",
        compartment_id=APPS,
        display_name="bad-vcn-env",
        defined_tags={"governance": {"environment": "qa", "cost_center": "CC-101"}},
    )
    g.add(
        "Vcn",
        compartment_id=APPS,
        display_name="bad-vcn-cc",
        defined_tags=tags(cost_center="CC-999"),
    )
    # Autonomous Databases
    db = fake.database
    db.add_autonomous_database(
        compartment_id=APPS,
        display_name="good-adb",
        defined_tags=tags("prod"),
        subnet_id=subnet_private,
        backup_retention_period_in_days=30,
    )
    db.add_autonomous_database(
        compartment_id=APPS, display_name="bad-adb-open", defined_tags=tags("prod")
    )
    db.add_autonomous_database(
        compartment_id=APPS,
        display_name="bad-adb-list",
        defined_tags=tags("prod"),
        whitelisted_ips=["0.0.0.0/0"],
        is_mtls_connection_required=False,
        backup_retention_period_in_days=3,
    )
    # buckets
    g.add(
        "Bucket",
        compartment_id=APPS,
        display_name="good-bucket",
        defined_tags=t,
        versioning="Enabled",
        kmsKeyId=key,
    )
    g.add(
        "Bucket",
        compartment_id=APPS,
        display_name="bad-bucket",
        defined_tags=t,
        publicAccessType="ObjectReadWithoutList",
    )
    # streaming
    g.add(
        "StreamPool",
        compartment_id=APPS,
        display_name="good-pool",
        defined_tags=t,
        customEncryptionKey={"kmsKeyId": key, "keyState": "ACTIVE"},
        privateEndpointSettings={"subnetId": subnet_private},
        isPrivate=True,
    )
    g.add("StreamPool", compartment_id=APPS, display_name="bad-pool", defined_tags=t)
    # network
    gateway = g.add("InternetGateway", compartment_id=APPS, display_name="good-igw", defined_tags=t)
    public_rt = g.add(
        "RouteTable",
        compartment_id=APPS,
        display_name="good-public-rt",
        defined_tags=t,
        vcnId=VCN,
        routeRules=[
            {
                "destination": "0.0.0.0/0",
                "destinationType": "CIDR_BLOCK",
                "networkEntityId": gateway["id"],
            }
        ],
    )
    g.add(
        "Subnet",
        compartment_id=APPS,
        display_name="good-subnet",
        defined_tags=t,
        vcnId=VCN,
        routeTableId=public_rt["id"],
        prohibitPublicIpOnVnic=True,
        cidrBlock="10.0.1.0/24",
    )
    g.add(
        "Subnet",
        compartment_id=APPS,
        display_name="bad-subnet",
        defined_tags=t,
        vcnId=VCN,
        routeTableId=public_rt["id"],
        prohibitPublicIpOnVnic=False,
        cidrBlock="10.0.2.0/24",
    )
    g.add(
        "SecurityList",
        compartment_id=APPS,
        display_name="bad-seclist-nodeports",
        defined_tags=t,
        vcnId=VCN,
        ingressSecurityRules=[
            {"source": "0.0.0.0/0", "protocol": "6", "tcpOptions": port(30000, 32767)}
        ],
    )
    g.add(
        "NetworkSecurityGroup",
        compartment_id=APPS,
        display_name="bad-nsg",
        defined_tags=t,
        vcnId=VCN,
        securityRules=[
            {
                "direction": "INGRESS",
                "protocol": "6",
                "source": "0.0.0.0/0",
                "sourceType": "CIDR_BLOCK",
                "tcpOptions": port(3389),
            },
            {
                "direction": "INGRESS",
                "protocol": "6",
                "source": "10.0.0.0/8",
                "sourceType": "CIDR_BLOCK",
                "tcpOptions": port(22),
            },
        ],
    )
    g.add(
        "ClustersCluster",
        compartment_id=APPS,
        display_name="good-oke",
        defined_tags=t,
        vcnId=VCN,
        endpointConfig={"subnetId": subnet_private, "isPublicIpEnabled": False},
    )
    g.add(
        "ClustersCluster",
        compartment_id=APPS,
        display_name="bad-oke",
        defined_tags=t,
        vcnId=VCN,
        endpointConfig={"subnetId": subnet_private, "isPublicIpEnabled": True},
    )
    for name, ip in (("good-vm", None), ("bad-vm", "203.0.113.7")):
        vm = fake.compute.add_instance(compartment_id=APPS, display_name=name, defined_tags=t)
        g.attach_vnic(vm.id, compartment_id=APPS, public_ip=ip)
    # IAM
    g.add(
        "Policy",
        compartment_id=fake.tenancy,
        display_name="good-policy",
        defined_tags=t,
        statements=["Allow group Administrators to manage all-resources in tenancy"],
    )
    g.add(
        "Policy",
        compartment_id=fake.tenancy,
        display_name="bad-policy",
        defined_tags=t,
        statements=["Allow group Developers to manage all-resources in tenancy"],
    )
    # alarms and topics
    quiet = g.add("OnsTopic", compartment_id=APPS, display_name="bad-topic", defined_tags=t)
    heard = g.add("OnsTopic", compartment_id=APPS, display_name="good-topic", defined_tags=t)
    g.add(
        "OnsSubscription",
        compartment_id=APPS,
        display_name="ops@example.com",
        defined_tags=t,
        topicId=heard["id"],
        protocol="EMAIL",
        endpoint="ops@example.com",
    )
    g.add(
        "Alarm",
        compartment_id=APPS,
        display_name="good-alarm",
        defined_tags=t,
        isEnabled=True,
        destinations=[heard["id"]],
        severity="CRITICAL",
        namespace="oci_autonomous_database",
        query="CpuUtilization[1m].mean() > 90",
        metricCompartmentId=APPS,
    )
    g.add(
        "Alarm",
        compartment_id=APPS,
        display_name="bad-alarm-off",
        defined_tags=t,
        isEnabled=False,
        destinations=[quiet["id"]],
        severity="CRITICAL",
        namespace="oci_autonomous_database",
        query="CpuUtilization[1m].mean() > 90",
        metricCompartmentId=APPS,
    )
    g.add(
        "Alarm",
        compartment_id=APPS,
        display_name="bad-alarm-nobody",
        defined_tags=t,
        isEnabled=True,
        destinations=[],
        severity="CRITICAL",
        namespace="oci_autonomous_database",
        query="CpuUtilization[1m].mean() > 90",
        metricCompartmentId=APPS,
    )
    # budgets and schedules
    g.add(
        "Budget",
        compartment_id=fake.tenancy,
        display_name="good-budget",
        defined_tags=t,
        amount=500,
        resetPeriod="MONTHLY",
        targetType="COMPARTMENT",
        targets=[fake.tenancy],
        alertRules=[
            {
                "displayName": "forecast-90",
                "type": "FORECAST",
                "threshold": 90,
                "thresholdType": "PERCENTAGE",
                "recipients": "ops@example.com",
                "definedTags": t,
            }
        ],
    )
    g.add(
        "Budget",
        compartment_id=fake.tenancy,
        display_name="bad-budget",
        defined_tags=t,
        amount=100,
        resetPeriod="MONTHLY",
        targetType="COMPARTMENT",
        targets=[APPS],
        alertRules=[],
    )
    db.add_autonomous_database(
        compartment_id=TEAM,
        display_name="bad-adb-dev-always-on",
        defined_tags=tags("dev"),
        subnet_id=subnet_private,
        backup_retention_period_in_days=30,
    )
    db.add_autonomous_database(
        compartment_id=TEAM,
        display_name="good-adb-dev-nightly",
        defined_tags=tags("staging"),
        subnet_id=subnet_private,
        backup_retention_period_in_days=30,
    )
    g.add("Schedule", compartment_id=TEAM, display_name="good-offhours", defined_tags=t,
          action="STOP_RESOURCE", recurrenceType="CRON", recurrenceDetails="0 20 * * 1-5",
          resourceFilters=[{"attribute": "DEFINED_TAGS", "value": [
              {"namespace": "governance", "tagKey": "environment", "value": "staging"}]}])  # fmt: skip


def test_every_rule_on_a_live_oci_type_has_a_live_case(
    fake_oci: FakeOci, oci_args: list[str]
) -> None:
    seed_every_type(fake_oci)

    code, report = audit(oci_args)

    assert code == 1
    by_rule: dict[str, dict[str, str]] = {}
    for v in report["violations"]:
        by_rule.setdefault(v["policy"], {})[v["name"]] = v["message"]
    assert by_rule == EXPECTED_OCI
    assert not [v for v in report["violations"] if v["name"].startswith("good-")]
    assert report["live"]["complete"] is True
    assert report["live"]["callsPerResource"] <= 2, report["live"]["apiCalls"]


ADMIN_HINT = "allow a specific CIDR (or a bastion) instead"
EXPECTED_OCI: dict[str, dict[str, str]] = {
    "oci-budget-budget-has-alert-rule": {
        "bad-budget": "budget bad-budget has no alert rule; add a budget Rule for it"
    },
    "oci-compute-instance-no-public-ip": {
        "bad-vm": "the instance's primary VNIC gets a public IP (createVnicDetails.assignPublicIp"
        "=true); set it to false and reach the instance through a bastion or a load balancer"
    },
    "oci-containerengine-cluster-private-api-endpoint": {
        "bad-oke": "the Kubernetes API endpoint has a public IP (endpointConfig.isPublicIpEnabled="
        "true); reach it through a bastion or VPN instead"
    },
    "oci-database-adb-backup-retention": {
        "bad-adb-list": "backup retention 3 days is below 7 days; set "
        "backupRetentionPeriodInDays to at least 7"
    },
    "oci-database-adb-mtls-required": {
        "bad-adb-open": "reachable through an IP allow-list without isMtlsConnectionRequired=true",
        "bad-adb-list": "reachable through an IP allow-list without isMtlsConnectionRequired=true",
    },
    "oci-database-adb-private-access": {
        "bad-adb-open": "reachable from the whole internet: no private endpoint (subnetId) and no "
        "IP allow-list; set subnetId (private endpoint) or whitelistedIps",
        "bad-adb-list": "IP allow-list opens the database to the whole internet (0.0.0.0/0); list "
        "specific CIDRs or use a private endpoint (subnetId)",
    },
    "oci-identity-policy-no-tenancy-admin": {
        "bad-policy": "grants manage all-resources in tenancy to group Developers: Allow group "
        "Developers to manage all-resources in tenancy; only Administrators may, scope it to a "
        "compartment"
    },
    "oci-monitoring-alarm-enabled": {"bad-alarm-off": "alarm is disabled; set isEnabled to true"},
    "oci-monitoring-alarm-has-destination": {
        "bad-alarm-nobody": "alarm has no destination; add a notification topic to destinations"
    },
    "oci-network-ingress-no-public-nodeports": {
        "bad-seclist-nodeports": "ingressSecurityRules[0]: ingress from 0.0.0.0/0 to the "
        "Kubernetes NodePort range 30000-32767 (TCP 30000-32767); expose services through a "
        "load balancer instead"
    },
    "oci-network-nsgrule-no-public-admin-ports": {
        "bad-nsg/000001": f"ingress from 0.0.0.0/0 to 3389; {ADMIN_HINT}"
    },
    "oci-network-subnet-prohibit-public-ip": {
        "bad-subnet": "subnet bad-subnet allows public IPs on its VNICs (prohibitPublicIpOnVnic is "
        "not true) and routes to an internet gateway through route table good-public-rt; set "
        "prohibitPublicIpOnVnic=true, or route through a NAT gateway"
    },
    "oci-objectstorage-bucket-customer-managed-key": {
        "bad-bucket": "encrypted with an Oracle-managed key; set kmsKeyId to a customer-managed key"
    },
    "oci-objectstorage-bucket-no-public-access": {
        "bad-bucket": "accessType is ObjectReadWithoutList; use NoPublicAccess"
    },
    "oci-objectstorage-bucket-versioning-enabled": {
        "bad-bucket": "versioning is Disabled; set it to Enabled"
    },
    "oci-ons-topic-has-subscription": {
        "bad-topic": "topic bad-topic notifies nobody: no subscription (used by bad-alarm-off); "
        "subscribe an email, Slack or PagerDuty endpoint"
    },
    "oci-resourcescheduler-schedule-offhours-nonprod": {
        "bad-adb-dev-always-on": "non-production Autonomous Database (environment dev, cost "
        "center CC-101) has no off-hours STOP_RESOURCE schedule selecting it; add an "
        "OffHoursSchedule (guardrails:offHours)"
    },
    "oci-streaming-streampool-customer-managed-key": {
        "bad-pool": "stream pool uses an Oracle-managed key; set customEncryptionKey.kmsKeyId"
    },
    "oci-streaming-streampool-private-endpoint": {
        "bad-pool": "stream pool has a public endpoint; set privateEndpointSettings.subnetId"
    },
    "oci-tagging-resource-allowed-values": {
        "bad-vcn-env": "defined tag values not allowed: environment='qa' (allowed: dev, staging, "
        "prod)"
    },
    "oci-tagging-stack-allowed-values": {
        "bad-vcn-cc": "defined tag values not allowed by the tag definitions' ENUM validators: "
        "governance.cost_center='CC-999' (allowed: CC-101, CC-102)"
    },
}
"""Every rule that applies to a live OCI type, on the `bad-*` resources of seed_every_type."""


def test_a_refused_read_is_reported_unknown_and_the_audit_incomplete(
    fake_oci: FakeOci, oci_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_oci.governed.add("Bucket", compartment_id=APPS, display_name="logs", defined_tags=tags())
    fake_oci.state.inject_fault("GetBucket", 403, "NotAuthorized", "not allowed", times=-1)

    code, report = audit(oci_args)

    assert code == 2  # nothing mandatory found, but not everything could be read
    assert "audit incomplete: 1 read(s) refused" in capsys.readouterr().err
    unknown = {v["policy"]: v["message"] for v in report["violations"] if v["level"] == "unknown"}
    assert unknown["oci-objectstorage-bucket-no-public-access"] == (
        "not decided: `accessType` was not returned by the cloud API for this resource (the "
        "audit's notes say why); the rule could not judge it"
    )
    assert report["live"]["complete"] is False
    assert report["live"]["notes"][0].startswith("Bucket logs (ocid1.bucket.")
    assert "403 NotAuthorized: not allowed" in report["live"]["notes"][0]

    code, report = audit(oci_args, "--allow-incomplete")
    assert code == 0 and report["live"]["complete"] is False


def test_throttling_is_retried_within_the_budget(fake_oci: FakeOci, oci_args: list[str]) -> None:
    fake_oci.governed.add("Bucket", compartment_id=APPS, display_name="logs", defined_tags=tags(),
                          publicAccessType="ObjectRead")  # fmt: skip
    fake_oci.state.inject_fault("GetBucket", 429, "TooManyRequests", "slow down", times=2)

    code, report = audit(oci_args)

    assert code == 1
    assert set(findings(report, "oci-objectstorage-bucket-no-public-access")) == {"logs"}
    assert len(fake_oci.state.calls_of("GetBucket")) == 3


def test_an_endpoint_that_keeps_failing_stops_the_audit_within_its_timeout(
    fake_oci: FakeOci, oci_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_oci.state.inject_fault("SearchResources", 503, "ServiceUnavailable", "down", times=-1)

    code = main(["audit", *oci_args, "--timeout", "2"])

    assert code == 2
    err = capsys.readouterr().err
    assert "SearchResources" in err and "within the 2 s budget (last: 503" in err, err
    assert "Traceback" not in err


def test_bad_compartment_options_are_refused_before_any_call(
    fake_oci: FakeOci, oci_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", *oci_args, "--compartment", "ocid1.bucket.oc1..aaaa"]) == 2
    assert "not a compartment or tenancy OCID" in capsys.readouterr().err
    missing = ocid("compartment", "nowhere")
    assert main(["audit", *oci_args, "--compartment", missing]) == 2
    assert f"--compartment {missing}: not found in the tenancy" in capsys.readouterr().err
    assert main(["audit", *oci_args, "--aws-profile", "x"]) == 2
    assert not [c for c in fake_oci.state.calls if not c.operation.startswith(READS)]


def test_declared_against_deployed_for_the_dev_stack(
    fake_oci: FakeOci, oci_args: list[str]
) -> None:
    dev = "ocid1.compartment.oc1..aaaaaaaadevworkloads0000000000000000000000000000000000000000"
    fake_oci.governed.add("Compartment", compartment_id=fake_oci.tenancy, display_name="dev",
                          id=dev, defined_tags=tags())  # fmt: skip
    fake_oci.database.add_autonomous_database(
        compartment_id=dev, display_name="orders-dev", defined_tags=tags(), subnet_id=ocid("subnet")
    )
    fake_oci.governed.add("Bucket", compartment_id=dev, display_name="console-made",
                          defined_tags=tags(), versioning="Enabled", kmsKeyId=ocid("key"))  # fmt: skip

    code, report = audit(oci_args, "--stack", "dev", "--program", str(ROOT))

    assert code == 1
    missing = [
        v["message"] for v in report["violations"] if v["policy"] == "oci-stack-resource-deployed"
    ]
    assert (
        "stack dev declares AutonomousDatabase 'search-dev' but the account has none by that name: "
        "deleted or renamed outside Pulumi (run `pulumi refresh`), or never deployed"
    ) in missing
    assert not [m for m in missing if "'orders-dev'" in m]  # it is there
    assert findings(report, "oci-stack-resource-declared") == {
        "console-made": "Bucket 'console-made' is in stack dev's compartments but the stack does "
        "not declare it: made in the console or by a script; import it (`pulumi import`) or "
        "remove it"
    }
    declared = report["live"]["declared"]
    assert declared["stack"] == "dev" and declared["declared"] > 10
    assert dev in declared["scopes"]


def test_the_ledger_suppresses_live_findings_by_urn_and_every_report_comes_from_one_run(
    fake_oci: FakeOci, oci_args: list[str]
) -> None:
    g = fake_oci.governed
    for name in ("public-a", "public-b"):
        g.add("Bucket", compartment_id=APPS, display_name=name, defined_tags=tags(),
              publicAccessType="ObjectRead", versioning="Enabled", kmsKeyId=ocid("key"))  # fmt: skip
    Path("ledger.yaml").write_text(
        "suppressions:\n"
        "  - rule: oci-objectstorage-bucket-no-public-access\n"
        "    resource: 'urn:pulumi:oci-*::live::oci:ObjectStorage/bucket:Bucket::*'\n"
        "    reason: the website buckets are public on purpose\n"
        "    expires: 2099-01-01\n"
    )

    code = main(["audit", *oci_args, "--suppressions", "ledger.yaml", "--output-json", "a.json",
                 "--output-sarif", "a.sarif", "--output-markdown", "a.md", "--format", "text",
                 "--output", "a.txt"])  # fmt: skip

    assert code == 0
    report = json.loads(Path("a.json").read_text())
    public = [v for v in report["violations"] if v["policy"].endswith("no-public-access")]
    assert len(public) == 2 and all(v["suppressed"] for v in public)
    sarif = json.loads(Path("a.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"oci-objectstorage-bucket-no-public-access"}
    names = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in results}
    assert all("::live::" in n for n in names)
    # GitHub code scanning rejects a whole file when one result names no file
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        "Pulumi.yaml"
    }
    markdown = Path("a.md").read_text()
    assert markdown.startswith("# guardrails audit: OCI ")
    assert "2 finding(s) suppressed by the ledger." in markdown
    assert "## What was read" in markdown
    text = Path("a.txt").read_text()
    assert text.startswith("guardrails audit OCI ") and "read with " in text


def test_a_baseline_says_what_is_new_and_what_was_resolved(
    fake_oci: FakeOci, oci_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    g = fake_oci.governed
    old = g.add("Bucket", compartment_id=APPS, display_name="old-public", defined_tags=tags(),
                publicAccessType="ObjectRead", versioning="Enabled", kmsKeyId=ocid("key"))  # fmt: skip
    assert main(["audit", *oci_args, "--output-json", "monday.json"]) == 1
    g.records["Bucket"].pop(old["id"])  # fixed (deleted) since
    g.add("Bucket", compartment_id=APPS, display_name="new-public", defined_tags=tags(),
          publicAccessType="ObjectRead", versioning="Enabled", kmsKeyId=ocid("key"))  # fmt: skip
    capsys.readouterr()

    code, report = audit(oci_args, "--baseline", "monday.json")

    assert code == 1
    since = report["live"]["since"]
    assert since["baseline"] == "monday.json"
    assert [(f["policy"], f["urn"].rsplit("::", 1)[-1]) for f in since["new"]] == [
        ("oci-objectstorage-bucket-no-public-access", next(iter(g.records["Bucket"])))
    ]
    assert [(f["policy"], f["name"]) for f in since["resolved"]] == [
        ("oci-objectstorage-bucket-no-public-access", "old-public")
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('{"violations": []}', "not a `guardrails audit` JSON report (live: Field required)"),
        ('{"violations": [], "live": {"cloud": "aws", "scope": "1"}}', "an audit of aws, not oci"),
        ('{"violations": [], "live": {"cloud": "oci", "scope": "t"}, "error": {"m": 1}}',
         "that audit did not run"),
        ("[1, 2", "b.json: not valid JSON"),
    ],
)  # fmt: skip
def test_a_bad_baseline_is_refused_before_any_call(
    fake_oci: FakeOci, oci_args: list[str], capsys: pytest.CaptureFixture[str],
    content: str, error: str,
) -> None:  # fmt: skip
    Path("b.json").write_text(content)
    assert main(["audit", *oci_args, "--baseline", "b.json", "--output-json", "out.json"]) == 2
    assert error in capsys.readouterr().err
    assert fake_oci.state.calls == []  # refused before any call
    assert not Path("out.json").exists() or _error_report("out.json")


def _error_report(path: str) -> bool:
    """A JSON report asked for still gets written, carrying the error (as `check`)."""
    doc = json.loads(Path(path).read_text())
    return doc["passed"] is False and doc["error"] is not None and doc["violations"] == []


def test_model_inputs_keep_users_tag_keys_and_flatten_defined_tags() -> None:
    import oci

    from guardrails.tooling.audit.oci_models import model_inputs

    budget = oci.budget.models.Budget(
        display_name="b", reset_period="MONTHLY", freeform_tags={"team_name": "data"},
        defined_tags={"governance": {"cost_center": "CC-101"}},
    )  # fmt: skip
    inputs = model_inputs(budget)
    assert inputs["freeformTags"] == {"team_name": "data"}  # not camel-cased
    assert inputs["definedTags"] == {"governance.cost_center": "CC-101"}
    assert inputs["resetPeriod"] == "MONTHLY" and inputs["displayName"] == "b"


def test_an_api_key_that_cannot_be_read_is_one_clear_line(fake_oci: FakeOci, tmp_path: Path):
    """The one signer of a run is made once (`oci_auth.with_signer`); a key file that is not
    a PEM key is exit 2 naming the config and profile, before any call."""
    from guardrails.tooling.oci_auth import OciAuth, credentials, with_signer

    config = fake_oci.config_file(tmp_path)
    (tmp_path / "key.pem").write_text("not a key\n")
    auth = OciAuth(config_file=config)
    with pytest.raises(GuardrailsError) as err:
        with_signer(credentials(auth), auth)
    assert str(err.value).startswith(f"OCI config {config} [DEFAULT]: the API key cannot be read: ")
    assert fake_oci.state.calls == []
