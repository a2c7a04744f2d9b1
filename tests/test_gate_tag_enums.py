"""The gate checks tag values against the ENUM validators the same stack declares, so a
program that uses the components as documented, with a value its tag namespace does not
allow, fails the gate (`oci-tagging-stack-allowed-values`)."""

from __future__ import annotations

import json

import pytest

from guardrails.tooling.cli import main
from tests.conftest import FIXTURES

MESSAGE = (
    "defined tag values not allowed by the tag definitions' ENUM validators: "
    "governance.cost_center='CC-303' (allowed: CC-101)"
)


@pytest.mark.subprocess
def test_a_value_outside_the_stacks_tag_enum_fails_the_gate(capsys):
    code = main(["check", "--program", str(FIXTURES / "tag_enum"), "--format", "json"])
    out, err = capsys.readouterr()
    # stderr names the policy config and ledger used (none in this program's folder)
    assert err == "policy config: the catalog levels; suppressions: none\n", err
    report = json.loads(out)
    assert code == 1
    mandatory = [v for v in report["violations"] if v["level"] == "mandatory"]
    assert {(v["policy"], v["name"]) for v in mandatory} == {
        ("oci-tagging-stack-allowed-values", "alarms-topic"),
        ("oci-tagging-stack-allowed-values", "alarms-email-1"),
    }
    assert all(v["message"].endswith(MESSAGE) for v in mandatory), mandatory
