"""The gate on a Pulumi program: run it offline under the mock runtime and send each resource
to the pack as the program registers it (`streaming.py`), as the engine does during
`pulumi preview`; checkov scans the record exported as a Terraform plan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from guardrails.tooling.gate.core import CheckovResult, Loaded, Say, judge
from guardrails.tooling.gate.evaluation import remediates
from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.gate.pack import PolicyPackProcess, Provider
from guardrails.tooling.gate.providers import provider_of
from guardrails.tooling.gate.settings import GateSettings
from guardrails.tooling.gate.streaming import StreamingAnalysis
from guardrails.tooling.program.preview import ProgramInputs, capture
from guardrails.tooling.program.record import ProgramMessage


@dataclass
class ProgramSubject:
    """A program as `load_program` read it, to be run under mocks."""

    inputs: ProgramInputs
    strict: bool = False
    on_messages: Callable[[list[ProgramMessage]], None] | None = None
    stream: bool = True
    """Analyze each resource as it registers (off: after the program, as for a plan)."""

    def load(
        self, pack: PolicyPackProcess, settings: GateSettings, say: Say, timings: dict[str, float]
    ) -> Loaded:
        inputs = self.inputs
        say(f"running {inputs.project.name} / {inputs.stack} under the mock runtime")
        streaming = self._streaming(pack, settings)
        start = time.perf_counter()
        captured = capture(
            inputs,
            strict=self.strict,
            on_messages=self.on_messages,
            on_resource=streaming.add if streaming is not None else None,
            on_stream_end=streaming.end if streaming is not None else None,
        )
        timings["program"] = time.perf_counter() - start

        def checkov_scan(providers: dict[str, Provider | None]) -> CheckovResult:
            from guardrails.tooling.gate.checkov_run import scan

            return scan(captured, providers)

        return Loaded(
            captured,
            inputs.settings.config,
            streamed=streaming.finish if streaming is not None else None,
            checkov_scan=checkov_scan,
            used={"mocks": str(inputs.mocks_path) if inputs.mocks_path else None},
        )

    def _streaming(
        self, pack: PolicyPackProcess, settings: GateSettings
    ) -> StreamingAnalysis | None:
        """Analysis while the program runs, unless a policy remediates: the engine asks for
        remediations before `Analyze`, and those change the inputs `Analyze` must see."""
        if not self.stream or remediates(settings.policy_config):
            return None
        inputs = self.inputs
        config, project, stack = inputs.settings.config, inputs.project.name, inputs.stack
        return StreamingAnalysis(
            pack,
            settings.policy_config,
            lambda r, seen: provider_of(r, seen, config, project, stack),
        )


def run_gate(
    inputs: ProgramInputs,
    settings: GateSettings,
    *,
    strict: bool = False,
    progress: Say | None = None,
    on_messages: Callable[[list[ProgramMessage]], None] | None = None,
    stream: bool = True,
) -> GateResult:
    """The gate on a program. Raises GuardrailsError for bad input (exit 2).

    `on_messages` gets what the program printed and logged; with `stream`, `policies` in
    the timings is what is left after the program: the last answers and `AnalyzeStack`."""
    return judge(ProgramSubject(inputs, strict, on_messages, stream), settings, progress)
