"""The governance tags every resource carries, and the one function that stamps them.

Tags are merged in plain Python at construction time, not in a Pulumi transform: under the
mock runtime (unit tests, the offline gate) transforms are recorded but never run, and a
policy reads literal tag maps far more reliably than values computed at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from guardrails.runtime.validation import ENVIRONMENTS, ComponentArgumentError, check_one_of

DEFAULT_NAMESPACE = "governance"
COST_CENTER_KEY = "cost_center"
ENVIRONMENT_KEY = "environment"
OWNER_KEY = "owner"
COST_ALERTED_KEY = "cost_alerted"
"""Written by `guardrails cost enforce` (the date a budget alert rule was crossed)."""
COST_EXEMPT_KEY = "cost_exempt"
"""`true` on a resource that `guardrails cost enforce` must never stop."""


def governance_defined_tags(
    cost_center: str,
    environment: str,
    owner: str,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    cost_centers: Sequence[str] | None = None,
    environments: Sequence[str] = ENVIRONMENTS,
) -> dict[str, str]:
    """The OCI defined-tag map for one owner, e.g. `{"governance.cost_center": "CC-101", ...}`.

    Values outside the tag's ENUM validator are refused here, before OCI refuses them.
    """
    if cost_centers is not None:
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
    """Who owns what a component creates: the values stamped on every child it makes."""

    cost_center: str
    environment: str
    owner: str
    namespace: str = DEFAULT_NAMESPACE
    cost_centers: tuple[str, ...] | None = None

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
        self.defined_tags()  # same validation as the OCI map
        return {
            COST_CENTER_KEY: self.cost_center,
            ENVIRONMENT_KEY: self.environment,
            OWNER_KEY: self.owner,
        }

    def for_cost_center(self, cost_center: str) -> GovernanceTagging:
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
