"""Every catalog case judged in process by `Rule.evaluate` / `Rule.evaluate_stack`: the fast
loop (`-m "not subprocess"`) judges every rule, and a mutation of a rule's logic fails here
in milliseconds. The same cases go through the real pack process (test_policy_pack.py) and
checkov (test_checkov.py), which prove the adapters, not the rules."""

from __future__ import annotations

import pytest

from policies.catalog import RULES
from policies.model import Resource
from tests.policy_cases import CASES, STACK_CASES, Case, StackCase

BY_ID = {rule.id: rule for rule in RULES}


def _resource(captured, provider_props=None) -> Resource:
    return Resource(
        type=captured.type,
        name=captured.name,
        urn=captured.urn,
        props=captured.inputs,
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


@pytest.mark.parametrize("case", STACK_CASES, ids=[f"{c.rule}:{c.label}" for c in STACK_CASES])
def test_stack_rule_in_process(case: StackCase) -> None:
    found = BY_ID[case.rule].evaluate_stack([_resource(r) for r in case.resources])
    names = {r.urn: r.name for r in case.resources}
    assert sorted(names.get(urn or "", "<stack>") for urn, _ in found) == sorted(case.violating)
    assert all(case.message in message for _, message in found), found
    if case.messages:
        assert sorted(message for _, message in found) == sorted(case.messages)
