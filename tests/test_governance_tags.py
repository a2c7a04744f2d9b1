"""GovernanceTags under Pulumi mocks."""

from __future__ import annotations

import pytest

from components import (
    GovernanceTagging,
    GovernanceTags,
    GovernanceTagsArgs,
    RequiredTagCompartment,
    TagGrant,
)
from guardrails.runtime.validation import ComponentArgumentError
from tests.conftest import COMPARTMENT, TENANCY, ocid

CCS = ["CC-101", "CC-202", "CC-303"]
TAGGING = GovernanceTagging("CC-101", "dev", "platform", cost_centers=tuple(CCS))


def _args(**overrides):
    args = {
        "compartment_id": TENANCY,
        "cost_centers": CCS,
        "required_in": [RequiredTagCompartment(COMPARTMENT, "CC-202", "dev")],
        "grants": [TagGrant("payments-engineers", "use", "autonomous-database-family", "CC-101")],
        "tagging": TAGGING,
    }
    return GovernanceTagsArgs(**(args | overrides))


def test_namespace_tags_validators_and_cost_tracking(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _args()))
    ns = rec.inputs("gov-namespace")
    assert ns["name"] == "governance" and ns["compartmentId"] == TENANCY
    cost_center = rec.inputs("gov-cost-center")
    assert cost_center["name"] == "cost_center"
    assert cost_center["isCostTracking"] is True
    assert cost_center["validator"] == {"validatorType": "ENUM", "values": CCS}
    environment = rec.inputs("gov-environment")
    assert environment["validator"] == {
        "validatorType": "ENUM",
        "values": ["dev", "staging", "prod"],
    }
    assert environment["isCostTracking"] is False
    owner = rec.inputs("gov-owner")
    assert "validator" not in owner and owner["isCostTracking"] is False
    # only one cost-tracking key: a tenancy has at most 10
    assert (
        sum(r.inputs.get("isCostTracking") is True for r in rec.of_type("oci:Identity/tag:Tag"))
        == 1
    )


def test_required_tag_defaults_per_compartment(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _args()))
    defaults = {r.name: r.inputs for r in rec.of_type("oci:Identity/tagDefault:TagDefault")}
    assert set(defaults) == {"gov-default-0-cost-center", "gov-default-0-environment"}
    assert defaults["gov-default-0-cost-center"] == {
        "compartmentId": COMPARTMENT,
        "tagDefinitionId": "gov-cost-center-preview-id",
        "value": "CC-202",
        "isRequired": True,
    }
    assert defaults["gov-default-0-environment"]["value"] == "dev"
    assert defaults["gov-default-0-environment"]["isRequired"] is True


def test_grant_statements_use_tag_conditions_and_policy_is_tagged(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _args()))
    policy = rec.inputs("gov-grants")
    assert policy["statements"] == [
        "Allow group payments-engineers to use autonomous-database-family in tenancy "
        "where target.resource.tag.governance.cost_center = 'CC-101'"
    ]
    assert policy["definedTags"] == TAGGING.defined_tags()


def test_children_are_parented_to_the_component(run_mocked):
    rec = run_mocked(lambda: GovernanceTags("gov", _args()))
    component = rec.named("gov")
    assert component.type == "guardrails:oci:GovernanceTags"
    assert {r.name for r in rec.children(component)} == {r.name for r in rec.resources} - {"gov"}


def test_existing_tags_mode_creates_no_namespace(run_mocked):
    ids = {"cost_center": ocid("tagdefinition", "cc"), "environment": ocid("tagdefinition", "env")}
    rec = run_mocked(lambda: GovernanceTags("gov", _args(existing_tag_ids=ids)))
    assert rec.of_type("oci:Identity/tagNamespace:TagNamespace") == []
    assert rec.of_type("oci:Identity/tag:Tag") == []
    assert rec.inputs("gov-default-0-cost-center")["tagDefinitionId"] == ids["cost_center"]


def test_helper_returns_map_and_rejects_unknown_values(run_mocked):
    def build():
        tags = GovernanceTags("gov", _args())
        assert tags.defined_tags("CC-303", "prod", "data") == {
            "governance.cost_center": "CC-303",
            "governance.environment": "prod",
            "governance.owner": "data",
        }
        with pytest.raises(
            ComponentArgumentError,
            match=r"cost_center must be one of CC-101, CC-202, CC-303 \(got 'CC-9'\)",
        ):
            tags.defined_tags("CC-9", "prod", "data")
        return tags

    run_mocked(build)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"compartment_id": "ocid1.vcn.oc1..aaaaaaaaaaaaaaaaaaaaaaaaaa"},
            "compartment_id must be ocid1.tenancy",
        ),
        ({"cost_centers": []}, "cost_centers must not be empty"),
        (
            {"cost_centers": ["CC-1", "CC-1"]},
            "cost_centers must not repeat a value \\(got 'CC-1' twice\\)",
        ),
        ({"cost_centers": ["CC 1"]}, r"cost_centers\[0\] must be a tag value: .* \(got 'CC 1'\)"),
        ({"namespace": "1bad"}, "namespace must be a tag namespace name"),
        (
            {"required_in": [RequiredTagCompartment(COMPARTMENT, "CC-9", "dev")]},
            r"required_in\[0\].cost_center must be one of",
        ),
        (
            {"required_in": [RequiredTagCompartment(COMPARTMENT, "CC-101", "qa")]},
            r"required_in\[0\].environment must be one of",
        ),
        (
            {"grants": [TagGrant("g", "own", "all-resources", "CC-101")]},
            r"grants\[0\].verb must be one of inspect, read, use, manage",
        ),
        (
            {"grants": [TagGrant("g", "use", "All Resources", "CC-101")]},
            r"grants\[0\].resources must be a resource type",
        ),
        (
            {"existing_tag_ids": {"cost_center": ocid("tagdefinition")}},
            "existing_tag_ids must name the environment tag",
        ),
    ],
)
def test_bad_arguments(run_mocked, overrides, message):
    with pytest.raises(ComponentArgumentError, match=f"GovernanceTags: {message}"):
        run_mocked(lambda: GovernanceTags("gov", _args(**overrides)))
    assert run_mocked.registered == []
