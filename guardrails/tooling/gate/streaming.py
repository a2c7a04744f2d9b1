"""Policy evaluation that overlaps the program run: each resource goes to the pack as the
program registers it, as the Pulumi engine sends `Analyze` while a preview runs.

    capture child: RegisterResource -> record -> JSON line on a pipe  (preview.capture)
    gate (relay thread): line -> provider -> Analyze (future, not waited for)
    program ends (the child closes the pipe): AnalyzeStack over the streamed resources in
      URN order (future), while the child writes its record and exits
    gate: wait for the answers; AnalyzeStack's if the final record holds the same resources
      and providers, else AnalyzeStack again over the final record

The pack is connected and configured on the first registration (it started beside the
program and is ready long before a program has imported its provider SDKs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.pack import Diagnostic, Encoded, PolicyPackProcess, Provider, encode
from guardrails.tooling.gate.policy_config import PolicyConfig
from guardrails.tooling.program.record import Capture, CapturedResource

ProviderOf = Callable[[CapturedResource, Mapping[str, CapturedResource]], Provider | None]
# `Analyze` calls in flight while the program runs: one evaluated, one waiting to be. More
# only keep more of the pack's four gRPC workers awake fighting over its GIL, and those
# threads then take turns on the core the program runs on (docs/benchmarks.md, issue 12).
STREAMING_IN_FLIGHT = 2
ANSWER_TIMEOUT_SECONDS = 120.0


class StreamingAnalysis:
    """`Analyze` per resource while the program runs, `AnalyzeStack` as soon as it ends;
    `finish` collects them."""

    def __init__(
        self, pack: PolicyPackProcess, policy_config: PolicyConfig, provider_of: ProviderOf
    ) -> None:
        self.pack = pack
        self.policy_config = policy_config
        self.provider_of = provider_of
        self._registered: dict[str, CapturedResource] = {}
        self._encoded: list[Encoded] = []
        self._answers: list[Callable[[], list[Diagnostic]]] = []
        self._stack: tuple[list[Encoded], Callable[[], list[Diagnostic]]] | None = None
        self._in_flight = threading.BoundedSemaphore(STREAMING_IN_FLIGHT)
        self._connected = False
        self._lock = threading.Lock()

    def _connect(self) -> None:
        with self._lock:
            if not self._connected:
                self.pack.connect()
                self.pack.configure(self.policy_config)
                self._connected = True

    def add(self, resource: CapturedResource) -> None:
        """One registration (called from the relay thread, in registration order)."""
        self._connect()
        self._registered[resource.urn] = resource
        encoded = encode(resource, self.provider_of(resource, self._registered))
        self._encoded.append(encoded)
        if not self._in_flight.acquire(timeout=ANSWER_TIMEOUT_SECONDS):
            raise GuardrailsError(
                f"the policy pack did not answer within {ANSWER_TIMEOUT_SECONDS:.0f} s"
            )
        self._answers.append(self.pack.analyze_async(encoded, self._in_flight.release))

    def end(self) -> None:
        """The program registered its last resource (called from the relay thread): send
        `AnalyzeStack` now, in the final record's order (URN), so that the pack evaluates
        the stack while the runner writes the record and exits."""
        if self._encoded:
            ordered = sorted(self._encoded, key=lambda e: e.resource.urn)
            self._stack = (ordered, self.pack.analyze_stack_async(ordered))

    @property
    def sent(self) -> int:
        return len(self._answers)

    def finish(
        self, capture: Capture, providers: Mapping[str, Provider | None]
    ) -> list[Diagnostic]:
        """The streamed resources' diagnostics, then `AnalyzeStack`'s over the final record."""
        self._connect()
        diagnostics = [d for answer in self._answers for d in answer()]
        if self._stack is not None and _same_stack(self._stack[0], capture, providers):
            return diagnostics + self._stack[1]()
        return diagnostics + self.pack.analyze_stack(capture.resources, providers)


def _same_stack(
    sent: Sequence[Encoded], capture: Capture, providers: Mapping[str, Provider | None]
) -> bool:
    """Whether the `AnalyzeStack` sent at the stream's end is the one the final record
    asks for: the same resources in the same order, each with the same provider."""
    return len(sent) == len(capture.resources) and all(
        e.resource == r and e.provider == providers.get(r.urn)
        for e, r in zip(sent, capture.resources, strict=True)
    )
