"""The governance tags every resource carries: the one way tag maps are built and merged.

A `GovernanceTagging` is who owns what a component creates. It is built with the allowed
values of the namespace's ENUM validators (the cost centers, the environments), so a value
outside them fails when the `GovernanceTagging` is constructed, before any resource exists
and long before OCI would refuse it. `GovernanceTags.defined_tags` (the component) and every
component's children get their maps from `governance_defined_tags`, and `merge_defined_tags`
is the one function that stamps them.

Tags are merged in plain Python at construction time, not in a Pulumi transform: under the
mock runtime (unit tests, the offline gate) transforms are recorded but never run, and a
policy reads literal tag maps far more reliably than values computed at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from guardrails.runtime.limits import ENVIRONMENTS
from guardrails.runtime.tag_keys import (
    COST_CENTER_KEY,
    DEFAULT_NAMESPACE,
    ENVIRONMENT_KEY,
    OWNER_KEY,
)
from guardrails.runtime.validation import ComponentArgumentError, check_not_empty, check_one_of


def governance_defined_tags(
    cost_center: str,
    environment: str,
    owner: str,
    *,
    cost_centers: Sequence[str],
    namespace: str = DEFAULT_NAMESPACE,
    environments: Sequence[str] = ENVIRONMENTS,
) -> dict[str, str]:
    """The OCI defined-tag map for one owner, e.g. `{"governance.cost_center": "CC-101", ...}`.

    Values outside the tags' ENUM validators (`cost_centers`, `environments`) are refused here,
    before OCI refuses them.
    """
    check_not_empty("governance tags", "cost_centers", cost_centers)
    check_one_of("governance tags", COST_CENTER_KEY, cost_center, cost_centers)
    check_one_of("governance tags", ENVIRONMENT_KEY, environment, environments)
    if not owner.strip():
        raise ComponentArgumentError("governance tags", OWNER_KEY, "must not be empty")
    return {
        f"{namespace}.{COST_CENTER_KEY}": cost_center,
        f"{namespace}.{ENVIRONMENT_KEY}": environment,
        f"{namespace}.{OWNER_KEY}": owner,
    }


@dataclass(frozen=True)
class GovernanceTagging:
    """Who owns what a component creates: the values stamped on every child it makes.

    `cost_centers` are the allowed values of the namespace's `cost_center` tag (its ENUM
    validator, as given to `GovernanceTags`); construction refuses a cost center, environment
    or owner the tags would not accept.
    """

    cost_center: str
    environment: str
    owner: str
    namespace: str = DEFAULT_NAMESPACE
    cost_centers: tuple[str, ...] = field(kw_only=True)

    def __post_init__(self) -> None:
        self.defined_tags()

    def defined_tags(self) -> dict[str, str]:
        return governance_defined_tags(
            self.cost_center,
            self.environment,
            self.owner,
            namespace=self.namespace,
            cost_centers=self.cost_centers,
        )

    def aws_tags(self) -> dict[str, str]:
        """The same ownership as AWS tags (activate `cost_center` as a cost allocation tag)."""
        return {
            COST_CENTER_KEY: self.cost_center,
            ENVIRONMENT_KEY: self.environment,
            OWNER_KEY: self.owner,
        }

    def for_cost_center(self, cost_center: str) -> GovernanceTagging:
        """The same owner for another of the allowed cost centers (validated)."""
        return replace(self, cost_center=cost_center)


def merge_defined_tags(
    governance: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Governance tags plus a caller's own defined tags.

    A caller may add tags but not contradict a governance tag: a different value for a
    governance key is an error rather than a silent override either way.
    """
    merged = dict(extra or {})
    for key, value in governance.items():
        if key in merged and merged[key] != value:
            raise ComponentArgumentError(
                "governance tags",
                key,
                f"is set by governance to {value!r}; it cannot be overridden with {merged[key]!r}",
            )
        merged[key] = value
    return dict(sorted(merged.items()))


def merge_aws_tags(
    tagging: GovernanceTagging, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """AWS counterpart of `merge_defined_tags`."""
    return merge_defined_tags(tagging.aws_tags(), extra)
