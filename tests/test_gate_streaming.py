"""The gate sends each resource to the pack as the program registers it: the verdicts are
those of evaluating the finished record, and what is left after the program is small."""

from __future__ import annotations

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate import run_gate
from guardrails.tooling.preview import capture, load_program
from guardrails.tooling.record import CapturedResource
from tests.conftest import FIXTURES

pytestmark = pytest.mark.subprocess


def _verdicts(result) -> list[tuple[str, str, str, str]]:
    return sorted((f.policy, f.urn, f.level, f.message) for f in result.findings)


@pytest.mark.parametrize("program", ["flawed", "oke"])
def test_streamed_verdicts_equal_those_of_the_finished_record(program):
    streamed = run_gate(FIXTURES / program, "dev", stream=True)
    batch = run_gate(FIXTURES / program, "dev", stream=False)
    assert _verdicts(streamed) == _verdicts(batch)
    assert any(f.level == "mandatory" for f in streamed.findings)


def test_resources_arrive_while_the_program_runs_in_registration_order():
    seen: list[CapturedResource] = []
    captured = capture(load_program(FIXTURES / "flawed", "dev"), on_resource=seen.append)
    assert sorted(r.urn for r in seen) == [r.urn for r in captured.resources]
    assert {r.urn: r for r in seen} == captured.by_urn()  # the same records
    # a component registers before its children
    order = [r.urn for r in seen]
    tier = next(r for r in seen if r.type == "acme:data:DataTier")
    child = next(r for r in seen if r.parent == tier.urn)
    assert order.index(tier.urn) < order.index(child.urn)


def test_a_failing_receiver_stops_the_capture_with_its_error():
    def refuse(resource: CapturedResource) -> None:
        raise GuardrailsError(f"refused {resource.name}")

    with pytest.raises(GuardrailsError, match=r"^refused "):
        capture(load_program(FIXTURES / "flawed", "dev"), on_resource=refuse)


def test_remediation_is_not_streamed(tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(
        '{"oci-tagging-resource-required-tags": {"enforcementLevel": "remediate", '
        '"defaultValues": {"environment": "dev", "cost_center": "CC-101"}}}'
    )
    result = run_gate(FIXTURES / "flawed", "dev", policy_config_path=config)
    assert any(f.level == "remediated" for f in result.findings)
