"""Policy evaluation that overlaps the program run: each resource goes to the pack as the
program registers it, as the Pulumi engine sends `Analyze` while a preview runs.

    capture child: RegisterResource -> record -> JSON line on a pipe  (preview.capture)
    gate (relay thread): line -> provider -> Analyze (future, not waited for)
    program ends: wait for the answers, AnalyzeStack once over the whole record

The pack is connected and configured on the first registration (it started beside the
program and is ready long before a program has imported its provider SDKs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from guardrails.tooling.analyzer import Diagnostic, PolicyPackProcess, Provider
from guardrails.tooling.policy_config import PolicyConfig
from guardrails.tooling.record import Capture, CapturedResource

ProviderOf = Callable[[CapturedResource, Mapping[str, CapturedResource]], Provider | None]


class StreamingAnalysis:
    """`Analyze` per resource while the program runs; `finish` adds `AnalyzeStack`."""

    def __init__(
        self, pack: PolicyPackProcess, policy_config: PolicyConfig, provider_of: ProviderOf
    ) -> None:
        self.pack = pack
        self.policy_config = policy_config
        self.provider_of = provider_of
        self._registered: dict[str, CapturedResource] = {}
        self._answers: list[Callable[[], list[Diagnostic]]] = []
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
        provider = self.provider_of(resource, self._registered)
        self._answers.append(self.pack.analyze_async(resource, provider))

    @property
    def sent(self) -> int:
        return len(self._answers)

    def finish(
        self, capture: Capture, providers: Mapping[str, Provider | None]
    ) -> list[Diagnostic]:
        """The streamed resources' diagnostics, then `AnalyzeStack` over the final record."""
        self._connect()
        diagnostics = [d for answer in self._answers for d in answer()]
        return diagnostics + self.pack.analyze_stack(capture.resources, providers)
