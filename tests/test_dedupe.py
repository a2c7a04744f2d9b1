"""One finding per problem: checkov built-ins a catalog rule confirms fold into the rule's
finding; obsolete checkov checks are turned off by the shipped configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.checkov_run import CHECKOV_VENV
from guardrails.tooling.gate.dedupe import (
    CHECKOV_SETTINGS,
    COVERED_BY,
    Obsolete,
    load_checkov_settings,
    one_finding_per_problem,
)
from guardrails.tooling.gate.findings import Finding
from guardrails.tooling.program.record import Capture
from policies.catalog import RULES, RULES_BY_ID
from tests.conftest import ROOT
from tests.policy_cases import CLUSTER, SECURITY_LIST, cluster, res

LIST_RULE = "oci-network-securitylist-no-public-admin-ports"


def _finding(policy: str, urn: str, engine: str = "crossguard", level: str = "") -> Finding:
    return Finding(
        policy=policy,
        level=level or ("mandatory" if engine == "crossguard" else "advisory"),
        severity="critical",
        urn=urn,
        type=SECURITY_LIST,
        name=urn.rsplit("::", 1)[-1],
        message="m",
        engine=engine,
    )


def _capture(*resources) -> Capture:
    return Capture(project="p", stack="dev", program=".", resources=list(resources))


def test_a_confirmed_checkov_failure_folds_into_the_rule_finding():
    findings = [
        _finding(LIST_RULE, "urn:a"),
        _finding("CKV_OCI_19", "urn:a", "checkov"),
        _finding("CKV_OCI_20", "urn:a", "checkov"),
        _finding("CKV_OCI_17", "urn:a", "checkov"),  # covered by no rule
        _finding("CKV_OCI_19", "urn:b", "checkov"),  # the rule did not fire on b
    ]
    summary: dict = {}
    out = one_finding_per_problem(findings, _capture(), summary, obsolete=[])
    assert [(f.policy, f.urn, f.also) for f in out] == [
        (LIST_RULE, "urn:a", ("CKV_OCI_19", "CKV_OCI_20")),
        ("CKV_OCI_17", "urn:a", ()),
        ("CKV_OCI_19", "urn:b", ()),
    ]
    assert out[0].to_json()["engines"] == ["crossguard", "checkov"]
    assert out[0].to_json()["also"] == ["CKV_OCI_19", "CKV_OCI_20"]
    assert out[1].to_json()["engines"] == ["checkov"]
    assert summary == {"obsolete_skipped": 0, "merged": 2}


def test_a_rule_that_could_not_run_confirms_nothing():
    rule = "oci-objectstorage-bucket-customer-managed-key"
    findings = [_finding(rule, "urn:a", level="unknown"), _finding("CKV_OCI_9", "urn:a", "checkov")]
    out = one_finding_per_problem(findings, _capture(), None, obsolete=[])
    assert [(f.policy, f.also) for f in out] == [(rule, ()), ("CKV_OCI_9", ())]


@pytest.mark.parametrize(
    ("version", "kept"), [("v1.31.1", False), ("1.25.0", False), ("v1.24.1", True), (None, True)]
)
def test_pod_security_policy_check_is_obsolete_from_kubernetes_1_25(version, kept):
    props = cluster()
    if version is None:
        del props["kubernetesVersion"]
    else:
        props["kubernetesVersion"] = version
    oke = res(CLUSTER, props, name="oke")
    findings = [_finding("CKV2_OCI_6", oke.urn, "checkov")]
    summary: dict = {}
    out = one_finding_per_problem(findings, _capture(oke), summary)  # the shipped settings
    assert (len(out) == 1) is kept
    assert summary["obsolete_skipped"] == (0 if kept else 1)


def test_an_entry_without_when_is_obsolete_everywhere():
    out = one_finding_per_problem(
        [_finding("CKV_OCI_7", "urn:a", "checkov")],
        _capture(),
        None,
        obsolete=[Obsolete("CKV_OCI_7", "object events are collected by the audit service")],
    )
    assert out == []


def test_shipped_settings():
    [entry] = load_checkov_settings()
    assert (entry.check, entry.input, entry.at_least) == (
        "CKV2_OCI_6",
        "kubernetesVersion",
        (1, 25),
    )
    assert "PodSecurityPolicy" in entry.reason
    assert CHECKOV_SETTINGS == ROOT / "policies" / "checkov.yaml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("obsolete: {}", "expected a mapping with an `obsolete` list"),
        ("obsolete: [{check: CKV_OCI_7}]", "obsolete[0]: needs a check and a reason"),
        (
            "obsolete: [{check: CKV_OCI_7, reason: r, when: {input: kubernetesVersion}}]",
            "obsolete[0]: when needs an input and a version atLeast",
        ),
        ("obsolete: [", "not valid YAML"),
    ],
)
def test_malformed_settings_are_clear_errors(tmp_path: Path, text: str, message: str):
    path = tmp_path / "checkov.yaml"
    path.write_text(text)
    with pytest.raises(GuardrailsError) as err:
        load_checkov_settings(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_mapped_checks_exist_in_the_installed_checkov_and_are_documented():
    sources = CHECKOV_VENV.glob("lib/python3*/site-packages/checkov/terraform/checks/**/*")
    text = "\n".join(p.read_text(errors="replace") for p in sources if p.suffix in (".py", ".json"))
    docs = (ROOT / "docs" / "policies.md").read_text()
    assert COVERED_BY, "no rule lists the checkov checks it covers"
    for check, rules in COVERED_BY.items():
        assert f'"{check}"' in text, f"{check} is not a check of the installed checkov"
        for rule in rules:
            assert check in RULES_BY_ID[rule].checkov_ids
            assert f"`{check}`" in docs, f"{check} missing from docs/policies.md"
    assert all(r.id in RULES_BY_ID for r in RULES)
