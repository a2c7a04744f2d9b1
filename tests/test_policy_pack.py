"""Every rule, through the real policy pack process over Pulumi's analyzer protocol."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from guardrails.tooling.gate.pack import PACK_DIR, Diagnostic, PolicyPackProcess, Provider
from guardrails.tooling.gate.policy_config import parse_policy_config
from policies.catalog import RULES
from tests.gating import analyze
from tests.policy_cases import CASES, STACK_CASES, VCN, Case, StackCase, res

PROVIDER = "urn:pulumi:dev::cases::pulumi:providers:aws::default"


@pytest.fixture(scope="module")
def pack():
    with PolicyPackProcess(PACK_DIR) as process:
        process.configure(parse_policy_config({}))
        yield process


def _provider(case: Case) -> Provider | None:
    if not case.provider_props:
        return None
    return Provider("pulumi:providers:aws", PROVIDER, "default", case.provider_props)


def test_every_rule_has_cases_that_pass_and_fail():
    for rule in RULES:
        if rule.is_stack_rule:
            cases = [c for c in STACK_CASES if c.rule == rule.id]
            assert any(c.violating for c in cases) and any(not c.violating for c in cases), rule.id
        else:
            cases = [c for c in CASES if c.rule == rule.id]
            assert any(c.violates for c in cases) and any(not c.violates for c in cases), rule.id


def test_every_violating_case_names_its_message():
    for case in CASES:
        assert bool(case.message) is case.violates, (case.rule, case.label)
    for stack_case in STACK_CASES:
        named = bool(stack_case.message or stack_case.messages)
        assert named is bool(stack_case.violating), stack_case.label


@pytest.mark.subprocess
def test_pack_reports_the_catalog(pack):
    info = pack.info()
    assert info.name == "guardrails"
    assert sorted(p.name for p in info.policies) == sorted(r.id for r in RULES)
    by_name = {p.name: p for p in info.policies}
    retention = json_format.MessageToDict(by_name["oci-database-adb-backup-retention"].configSchema)
    assert retention["properties"]["minimumDays"] == {
        "type": "integer",
        "description": "Minimum backup retention in days",
        "minimum": 1,
        "default": 7,
    }


@pytest.mark.subprocess
@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.label}" for c in CASES])
def test_resource_rule(pack, case: Case):
    diagnostics = [
        d for d in analyze(pack, case.resource, _provider(case)) if d.policy == case.rule
    ]
    assert bool(diagnostics) is case.violates, [d.message for d in diagnostics]
    for d in diagnostics:
        assert case.message in d.message, d.message  # fires for the reason the case is about
        assert d.urn == case.resource.urn
        assert d.level == next(r.enforcement for r in RULES if r.id == case.rule)


@pytest.mark.subprocess
@pytest.mark.parametrize("case", STACK_CASES, ids=[f"{c.rule}:{c.label}" for c in STACK_CASES])
def test_stack_rule(pack, case: StackCase):
    diagnostics = [d for d in pack.analyze_stack(case.resources, {}) if d.policy == case.rule]
    names = {r.urn: r.name for r in case.resources}
    assert sorted(names.get(d.urn or "", "<stack>") for d in diagnostics) == sorted(case.violating)
    assert all(case.message in d.message for d in diagnostics), [d.message for d in diagnostics]
    if case.messages:
        # the pack prefixes the rule description to the message
        assert sorted(d.message.split("\n", 1)[-1] for d in diagnostics) == sorted(case.messages)


@pytest.mark.subprocess
def test_configured_properties_change_verdicts():
    config = parse_policy_config(
        {
            "oci-database-adb-backup-retention": {"minimumDays": 30},
            "oci-tagging-resource-allowed-values": {"allowedValues": {"environment": ["prod"]}},
            "oci-objectstorage-bucket-customer-managed-key": "disabled",
            "oci-database-adb-license-explicit": "advisory",
        }
    )
    adb = next(
        c for c in CASES if c.rule == "oci-database-adb-backup-retention" and c.label == "14 days"
    ).resource
    bucket = next(
        c for c in CASES if c.rule == "oci-objectstorage-bucket-customer-managed-key" and c.violates
    ).resource
    unlicensed = next(
        c for c in CASES if c.rule == "oci-database-adb-license-explicit" and c.violates
    ).resource
    with PolicyPackProcess(PACK_DIR) as pack:
        pack.configure(config)
        assert {d.policy for d in analyze(pack, adb, None)} >= {
            "oci-database-adb-backup-retention",
            "oci-tagging-resource-allowed-values",
        }
        assert "oci-objectstorage-bucket-customer-managed-key" not in {
            d.policy for d in analyze(pack, bucket, None)
        }
        levels = {d.policy: d.level for d in analyze(pack, unlicensed, None)}
        assert levels["oci-database-adb-license-explicit"] == "advisory"


def test_all_sets_every_level():
    config = parse_policy_config(
        {"all": "advisory", "oci-objectstorage-bucket-no-public-access": "mandatory"}
    )
    assert config["oci-database-adb-private-access"][0] == "advisory"
    assert config["oci-objectstorage-bucket-no-public-access"][0] == "mandatory"
    assert config["oci-objectstorage-bucket-customer-managed-key"][0] == "advisory"


@pytest.mark.subprocess
def test_remediation_adds_missing_default_tags(pack):
    from pulumi.runtime.proto import analyzer_pb2

    from guardrails.tooling.gate.pack import _struct

    with PolicyPackProcess(PACK_DIR) as remediating:
        remediating.configure(
            parse_policy_config(
                {
                    "oci-tagging-resource-required-tags": {
                        "enforcementLevel": "remediate",
                        "defaultValues": {"environment": "dev", "cost_center": "CC-101"},
                    }
                }
            )
        )
        vcn = res(VCN, {"cidrBlocks": ["10.0.0.0/16"], "definedTags": {"ops.tier": "gold"}})
        response = remediating.stub.Remediate(
            analyzer_pb2.AnalyzeRequest(
                type=vcn.type, properties=_struct(vcn.inputs), urn=vcn.urn, name=vcn.name
            )
        )
    [remediation] = [
        r for r in response.remediations if r.policyName == "oci-tagging-resource-required-tags"
    ]
    props = json.loads(json_format.MessageToJson(remediation.properties))
    assert props["definedTags"] == {
        "ops.tier": "gold",
        "governance.environment": "dev",
        "governance.cost_center": "CC-101",
    }
    assert props["cidrBlocks"] == ["10.0.0.0/16"]


@pytest.mark.subprocess
def test_the_pack_without_its_speed_shim_reaches_the_same_verdicts(pack, monkeypatch):
    monkeypatch.setenv("GUARDRAILS_POLICY_SHIM", "0")  # read by the pack process at start
    with PolicyPackProcess(PACK_DIR) as plain:
        plain.configure(parse_policy_config({}))
        for case in CASES[::5]:
            with_shim = analyze(pack, case.resource, _provider(case))
            without = analyze(plain, case.resource, _provider(case))
            assert _verdicts(without) == _verdicts(with_shim), case.label
        for stack_case in STACK_CASES:
            with_shim = pack.analyze_stack(stack_case.resources, {})
            without = plain.analyze_stack(stack_case.resources, {})
            assert _verdicts(without) == _verdicts(with_shim), stack_case.label


def _verdicts(diagnostics: list[Diagnostic]) -> list[tuple[str, str | None, str]]:
    return sorted((d.policy, d.urn, d.message) for d in diagnostics)


@pytest.mark.subprocess
def test_admin_ports_are_configurable():
    from tests.policy_cases import NSG_RULE, nsg_rule, port

    rule = "oci-network-nsgrule-no-public-admin-ports"
    ssh = res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(22)), name="ssh")
    web = res(NSG_RULE, nsg_rule(source="0.0.0.0/0", tcpOptions=port(8000, 8443)), name="web")
    with PolicyPackProcess(PACK_DIR) as pack:
        pack.configure(parse_policy_config({rule: {"adminPorts": [8443, 9000]}}))
        assert [d for d in analyze(pack, ssh, None) if d.policy == rule] == []
        [finding] = [d for d in analyze(pack, web, None) if d.policy == rule]
    assert "\ningress from 0.0.0.0/0 to 8443; allow a specific CIDR" in finding.message


def test_admin_ports_must_be_integers():
    from guardrails.runtime.errors import GuardrailsError

    with pytest.raises(GuardrailsError, match=r"adminPorts\[0\]: '22' is not of type 'integer'"):
        parse_policy_config(
            {"oci-network-securitylist-no-public-admin-ports": {"adminPorts": ["22"]}}
        )
