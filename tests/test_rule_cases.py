"""Every catalog case judged in process by `Rule.evaluate` / `Rule.evaluate_stack`: the fast
loop (`-m "not subprocess"`) judges every rule, and a mutation of a rule's logic fails here
in milliseconds. The same cases go through the real pack process (test_policy_pack.py) and
checkov (test_checkov.py), which prove the adapters, not the rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from guardrails.tooling.program.record import UNKNOWN
from policies.catalog import RULES
from policies.model import Resource
from tests.policy_cases import CASES, STACK_CASES, Case, StackCase

BY_ID = {rule.id: rule for rule in RULES}


class UnknownValueError(Exception):
    """What the policy SDK raises on reading a value known only after apply (matched by
    name: `policies.model.is_unknown_error`)."""


class _Known(Mapping[str, Any]):
    """Inputs as the policy SDK hands them over: reading a value known only after apply
    raises, at any depth, so a rule judges unknowns in process as it does in the pack."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        return _known(self._values[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class _KnownList(Sequence[Any]):
    def __init__(self, values: Sequence[Any]) -> None:
        self._values = values

    def __getitem__(self, index: Any) -> Any:
        return _known(self._values[index])

    def __len__(self) -> int:
        return len(self._values)


def _known(value: Any) -> Any:
    if value == UNKNOWN:
        raise UnknownValueError("value can't be known during preview")
    if isinstance(value, Mapping):
        return _Known(value)
    if isinstance(value, list | tuple):
        return _KnownList(value)
    return value


def _resource(captured, provider_props=None) -> Resource:
    return Resource(
        type=captured.type,
        name=captured.name,
        urn=captured.urn,
        props=_Known(captured.inputs),
        protect=captured.protect,
        provider_props=provider_props or {},
        parent=captured.parent,
        dependencies=tuple(captured.dependencies),
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule}:{c.label}" for c in CASES])
def test_resource_rule_in_process(case: Case) -> None:
    messages = BY_ID[case.rule].evaluate(_resource(case.resource, case.provider_props))
    assert bool(messages) is case.violates, messages
    for message in messages:
        assert case.message in message, message
    if case.messages:
        assert messages == list(case.messages)


@pytest.mark.parametrize("case", STACK_CASES, ids=[f"{c.rule}:{c.label}" for c in STACK_CASES])
def test_stack_rule_in_process(case: StackCase) -> None:
    found = BY_ID[case.rule].evaluate_stack([_resource(r) for r in case.resources])
    names = {r.urn: r.name for r in case.resources}
    assert sorted(names.get(urn or "", "<stack>") for urn, _ in found) == sorted(case.violating)
    assert all(case.message in message for _, message in found), found
    if case.messages:
        assert sorted(message for _, message in found) == sorted(case.messages)


# --- remediation, in process: what the pack's `remediate` level would set -------------------

REQUIRED = BY_ID["oci-tagging-resource-required-tags"]
VCN = "oci:Core/vcn:Vcn"


def _remediated(props: dict, **config: object) -> dict | None:
    assert REQUIRED.remediate is not None
    resource = Resource(type=config.pop("type", VCN), name="v", urn="urn:v", props=props)  # type: ignore[arg-type]
    return REQUIRED.remediate(resource, REQUIRED.settings(config))


def test_remediation_fills_only_missing_required_keys_that_have_a_default() -> None:
    fixed = _remediated(
        {"cidrBlocks": ["10.0.0.0/16"], "definedTags": {"governance.cost_center": "CC-101",
                                                       "other.key": "x"}},
        defaultValues={"environment": "dev", "cost_center": "CC-999", "owner": "ops"},
    )  # fmt: skip
    assert fixed == {
        "cidrBlocks": ["10.0.0.0/16"],
        # cost_center kept (present), environment added (required, default), owner not
        # (not required), other namespaces kept
        "definedTags": {"governance.cost_center": "CC-101", "other.key": "x",
                        "governance.environment": "dev"},
    }  # fmt: skip


def test_remediation_fills_an_empty_value_and_honours_the_namespace() -> None:
    fixed = _remediated(
        {"definedTags": {"finance.environment": "", "governance.environment": "prod"}},
        namespace="finance",
        defaultValues={"environment": "dev", "cost_center": "CC-1"},
    )
    assert fixed == {
        "definedTags": {"finance.environment": "dev", "governance.environment": "prod",
                        "finance.cost_center": "CC-1"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("props", "config"),
    [
        ({"definedTags": {"governance.cost_center": "CC-1", "governance.environment": "dev"}},
         {"defaultValues": {"environment": "prod"}}),  # nothing missing
        ({}, {}),  # no defaults configured
        ({}, {"defaultValues": {"owner": "ops"}}),  # a default for a key that is not required
        ({}, {"defaultValues": {"environment": "dev"},
              "type": "oci:Identity/tagNamespace:TagNamespace"}),  # an exempt type
    ],
)  # fmt: skip
def test_remediation_that_changes_nothing_returns_none(props: dict, config: dict) -> None:
    assert _remediated(props, **config) is None


def test_remediation_with_no_defined_tags_at_all() -> None:
    assert _remediated({"name": "x"}, defaultValues={"environment": "dev"}) == {
        "name": "x",
        "definedTags": {"governance.environment": "dev"},
    }
