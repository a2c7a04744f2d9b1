"""The one production guard: the organisation's production environments and compartments,
which no single stack can switch off (issue 19)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.acting.production import (
    ProductionPolicy,
    production_policy,
    read_org_settings,
)
from tests.conftest import ROOT, ocid

PROD_COMPARTMENT = (
    "ocid1.compartment.oc1..aaaaaaaaprodworkloads000000000000000000000000000000000000000"
)


def test_the_builtin_environments_always_count():
    policy = ProductionPolicy().with_environments([])
    assert policy.reason(environment="prod") == "environment prod"
    assert policy.reason(environment=None) == "no environment tag: treated as production"
    assert policy.reason(environment="dev") is None
    assert policy.with_environments(["live"]).reason(environment="live") == "environment live"


def test_compartments_and_accounts(tmp_path: Path):
    compartment = ocid("compartment", "payments")
    org = tmp_path / "guardrails-org.yaml"
    org.write_text(
        "productionEnvironments: [production]\n"
        f"productionCompartments: [{compartment}]\n"
        "productionAccounts: ['123456789012']\n"
    )
    policy = read_org_settings(org)
    assert policy.environments == {"prod", "production"}
    assert policy.reason(environment="dev", compartment=compartment) == (
        f"in production compartment {compartment}"
    )
    assert policy.reason(environment="dev", account="123456789012") == (
        "in production account 123456789012"
    )
    assert policy.reason(environment="dev", account="210987654321") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "productionCompartments: [nope]\n",
            "productionCompartments[0]: 'nope' is not a compartment OCID (line 1, column 26)",
        ),
        (
            "productionAccounts: ['12345']\n",
            "productionAccounts[0]: '12345' is not a 12-digit account id (line 1, column 22)",
        ),
        (
            "productionAccounts: [012345670123]\n",
            "productionAccounts[0]: write account ids in quotes: YAML read this one as the "
            "number 1402433619 (and reads one with a leading zero and no 8 or 9 as an octal",
        ),
        (
            "productionEnvironments: prod\n",
            "productionEnvironments: must be a list (got 'prod') (line 1, column 25)",
        ),
        ("productionEnvironments: ['']\n", "productionEnvironments[0]: must not be empty"),
        ("prodEnvs: [prod]\n", "prodEnvs: is not a known setting (line 1, column 1)"),
        ("- prod\n", "must be a mapping (got ['prod']) (line 1, column 1)"),
    ],
)
def test_a_malformed_organisation_file_is_a_clear_error(tmp_path: Path, content: str, message: str):
    org = tmp_path / "guardrails-org.yaml"
    org.write_text(content)
    with pytest.raises(GuardrailsError) as err:
        read_org_settings(org)
    assert str(err.value).startswith(f"{org}: ") and message in str(err.value)


def test_the_compartments_of_production_stacks_are_production(tmp_path: Path):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    policy = production_policy(tmp_path)
    assert PROD_COMPARTMENT in policy.compartments
    assert policy.reason(environment="dev", compartment=PROD_COMPARTMENT) == (
        f"in production compartment {PROD_COMPARTMENT}"
    )
