"""The gate sends each resource to the pack as the program registers it, and the stack as
soon as the program ends: the verdicts are those of evaluating the finished record, and what
is left after the program is small."""

from __future__ import annotations

from dataclasses import replace

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.pack import PACK_DIR, Diagnostic, PolicyPackProcess
from guardrails.tooling.gate.policy_config import parse_policy_config
from guardrails.tooling.gate.providers import provider_of, resolve_providers
from guardrails.tooling.gate.streaming import StreamingAnalysis
from guardrails.tooling.program.preview import capture, load_program
from guardrails.tooling.program.record import Capture, CapturedResource
from tests.conftest import FIXTURES
from tests.gating import gate_program

pytestmark = pytest.mark.subprocess


def _verdicts(result) -> list[tuple[str, str, str, str]]:
    return sorted((f.policy, f.urn, f.level, f.message) for f in result.findings)


@pytest.mark.parametrize("program", ["flawed", "oke"])
def test_streamed_verdicts_equal_those_of_the_finished_record(program):
    streamed = gate_program(FIXTURES / program, "dev", stream=True)
    batch = gate_program(FIXTURES / program, "dev", stream=False)
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
    result = gate_program(FIXTURES / "flawed", "dev", policy_config=config)
    assert any(f.level == "remediated" for f in result.findings)


def _streamed(program: str) -> tuple[StreamingAnalysis, PolicyPackProcess, Capture, dict]:
    """A program streamed to a started pack, as the gate does; the caller closes the pack."""
    inputs = load_program(FIXTURES / program, "dev")
    config = parse_policy_config({})
    pack = PolicyPackProcess(PACK_DIR)
    pack.start()
    settings = inputs.settings.config
    streaming = StreamingAnalysis(
        pack, config, lambda r, seen: provider_of(r, seen, settings, inputs.project.name, "dev")
    )
    captured = capture(inputs, on_resource=streaming.add, on_stream_end=streaming.end)
    return streaming, pack, captured, resolve_providers(captured, settings)


STACK_RULE = "oci-tagging-stack-allowed-values"


def _flagged(diagnostics: list[Diagnostic]) -> set[str | None]:
    return {d.urn for d in diagnostics if d.policy == STACK_RULE}


def test_the_stack_is_analyzed_when_the_program_ends_not_again(monkeypatch):
    streaming, pack, captured, providers = _streamed("tag_enum")
    try:
        monkeypatch.setattr(pack, "analyze_stack", lambda *a: pytest.fail("analyzed again"))
        flagged = _flagged(streaming.finish(captured, providers))
    finally:
        pack.close()
    names = {r.urn: r.name for r in captured.resources}
    assert {names.get(u or "") for u in flagged} == {"alarms-topic", "alarms-email-1"}


def test_a_final_record_unlike_the_stream_is_analyzed_again():
    streaming, pack, captured, providers = _streamed("tag_enum")
    # In the final record the topic carries an allowed cost center: the stack analysis sent
    # when the stream ended (which saw CC-303) is not the final record's.
    topic = next(r for r in captured.resources if r.name == "alarms-topic")
    tags = {**topic.inputs["definedTags"], "governance.cost_center": "CC-101"}
    fixed = replace(topic, inputs={**topic.inputs, "definedTags": tags})
    final = replace(captured, resources=[fixed if r is topic else r for r in captured.resources])
    try:
        flagged = _flagged(streaming.finish(final, providers))
    finally:
        pack.close()
    email = next(r for r in captured.resources if r.name == "alarms-email-1")
    assert flagged == {email.urn}
