"""The governance tag map and the one shared tag-merging function."""

from __future__ import annotations

import pytest

from components.tagging import GovernanceTagging, governance_defined_tags, merge_defined_tags
from guardrails.runtime.validation import ComponentArgumentError

CCS = ("CC-101", "CC-202")


def test_defined_tag_map_uses_namespace_and_keys():
    assert governance_defined_tags("CC-101", "dev", "platform", cost_centers=CCS) == {
        "governance.cost_center": "CC-101",
        "governance.environment": "dev",
        "governance.owner": "platform",
    }
    assert (
        governance_defined_tags("CC-101", "prod", "x", cost_centers=CCS, namespace="finops")[
            "finops.environment"
        ]
        == "prod"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cost_center": "CC-999"}, "cost_center must be one of CC-101, CC-202 (got 'CC-999')"),
        ({"environment": "qa"}, "environment must be one of dev, staging, prod (got 'qa')"),
        ({"owner": "  "}, "owner must not be empty"),
    ],
)
def test_defined_tag_map_rejects_values_outside_the_enum(kwargs, message):
    args = {"cost_center": "CC-101", "environment": "dev", "owner": "platform"} | kwargs
    with pytest.raises(
        ComponentArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        governance_defined_tags(**args, cost_centers=CCS)


def test_merge_keeps_caller_tags_and_adds_governance():
    merged = merge_defined_tags({"governance.cost_center": "CC-101"}, {"ops.tier": "gold"})
    assert merged == {"governance.cost_center": "CC-101", "ops.tier": "gold"}


def test_merge_accepts_the_same_value_twice():
    assert merge_defined_tags({"g.k": "v"}, {"g.k": "v"}) == {"g.k": "v"}


def test_merge_refuses_to_contradict_governance():
    with pytest.raises(
        ComponentArgumentError,
        match="set by governance to 'CC-101'; it cannot be overridden with 'CC-202'",
    ):
        merge_defined_tags(
            {"governance.cost_center": "CC-101"}, {"governance.cost_center": "CC-202"}
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cost_center": "CC-999"}, "cost_center must be one of CC-101, CC-202 (got 'CC-999')"),
        ({"environment": "qa"}, "environment must be one of dev, staging, prod (got 'qa')"),
        ({"owner": ""}, "owner must not be empty"),
        ({"cost_centers": ()}, "cost_centers must not be empty"),
    ],
)
def test_a_tagging_outside_the_allowed_values_fails_at_construction(kwargs, message):
    args = {"cost_center": "CC-101", "environment": "dev", "owner": "platform"}
    args |= {"cost_centers": CCS} | kwargs
    with pytest.raises(ComponentArgumentError) as caught:
        GovernanceTagging(**args)
    assert str(caught.value) == f"governance tags: {message}"


def test_tagging_for_another_cost_center_validates_it():
    tagging = GovernanceTagging("CC-101", "dev", "platform", cost_centers=CCS)
    assert tagging.for_cost_center("CC-202").defined_tags()["governance.cost_center"] == "CC-202"
    with pytest.raises(ComponentArgumentError, match="cost_center must be one of"):
        tagging.for_cost_center("CC-404")


def test_aws_tags_carry_the_same_ownership():
    tagging = GovernanceTagging("CC-202", "staging", "search", cost_centers=CCS)
    assert tagging.aws_tags() == {
        "cost_center": "CC-202",
        "environment": "staging",
        "owner": "search",
    }
