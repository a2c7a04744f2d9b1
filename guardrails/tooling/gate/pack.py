"""Run a policy pack the way the Pulumi engine does, and talk to it over Pulumi's analyzer
gRPC protocol (`Configure`, `Analyze` per resource, `AnalyzeStack` once).

The pack is its own process: `python <pack>/__main__.py` prints the port it listens on.
"""

from __future__ import annotations

import gc
import os
import select
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

import policies
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.program.record import CapturedResource

PACK_DIR = Path(policies.__file__).resolve().parent
"""The guardrails policy pack (the `policies` package), as `pulumi preview --policy-pack`
loads it."""

START_TIMEOUT_SECONDS = 60.0
BATCH_IN_FLIGHT = 64
"""`Analyze` calls in flight when a finished record is evaluated (`analyze_all`)."""
LEVELS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}
_LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
_SEVERITY_NAMES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}


@dataclass(frozen=True)
class Diagnostic:
    """One violation the pack reported."""

    policy: str
    level: str
    severity: str
    urn: str | None
    message: str


@dataclass(frozen=True)
class Remediation:
    """What one policy's `remediate` did to a resource: its new properties (None if it
    could not run, `diagnostic` then says why)."""

    policy: str
    properties: dict[str, Any] | None
    diagnostic: str


@dataclass(frozen=True)
class Provider:
    type: str
    urn: str
    name: str
    props: Mapping[str, Any]


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(dict(values), struct)
    return struct


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector over a burst of requests.

    Each request is a handful of acyclic protobuf objects; with the collector running, a
    caller holding a large capture (5,000 resources) pays for walking it again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class PolicyPackProcess:
    """A running policy pack and a client for it; use as a context manager."""

    def __init__(self, pack_dir: Path = PACK_DIR, python: str = sys.executable) -> None:
        self.pack_dir = pack_dir
        self.python = python
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        self.connect()
        return self

    def start(self) -> None:
        """Start the pack process without waiting for it (it starts while other work runs)."""
        main = self.pack_dir / "__main__.py"
        if not main.is_file():
            raise GuardrailsError(f"{self.pack_dir}: not a Python policy pack (no __main__.py)")
        self._proc = subprocess.Popen(
            [self.python, str(main)],
            cwd=self.pack_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def connect(self) -> None:
        """Wait for the started pack to print its port, then connect to it."""
        port = self._read_port()
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_SECONDS)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def _read_port(self) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], START_TIMEOUT_SECONDS)
        line = self._proc.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.close()
            stderr = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
            last = stderr.strip().splitlines()[-1:] or ["no output"]
            raise GuardrailsError(f"the policy pack in {self.pack_dir} did not start: {last[0]}")
        return int(line)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        assert self._stub is not None, "use PolicyPackProcess as a context manager"
        return self._stub

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        info: analyzer_pb2.AnalyzerInfo = self.stub.GetAnalyzerInfo(empty_pb2.Empty())
        return info

    def configure(self, config: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        """Per policy: (enforcement level, properties), as `--policy-pack-config` gives them."""
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in config.items():
            request.policyConfig[name].CopyFrom(
                analyzer_pb2.PolicyConfig(
                    enforcementLevel=LEVELS[level],  # type: ignore[arg-type]
                    properties=_struct(props),
                )
            )
        self.stub.Configure(request)

    def remediate(self, resource: CapturedResource, provider: Provider | None) -> list[Remediation]:
        """`Remediate`: the engine asks this before `Analyze` when a policy's level is
        `remediate`; each remediation's properties replace the resource's inputs."""
        response = self.stub.Remediate(_request(encode(resource, provider)))
        return [
            Remediation(
                policy=r.policyName,
                properties=(
                    json_format.MessageToDict(r.properties) if r.HasField("properties") else None
                ),
                diagnostic=r.diagnostic,
            )
            for r in response.remediations
        ]

    def analyze_async(
        self, encoded: Encoded, on_done: Callable[[], None] | None = None
    ) -> Callable[[], list[Diagnostic]]:
        """Send `Analyze` without waiting; call the result to wait for its diagnostics.
        `on_done` is called (from a gRPC thread) when the answer has arrived."""
        future = self.stub.Analyze.future(_request(encoded))
        if on_done is not None:
            future.add_done_callback(lambda _: on_done())
        return lambda: _diagnostics(future.result(), encoded.resource.urn)

    def analyze_all(
        self, resources: Sequence[CapturedResource], providers: Mapping[str, Provider | None]
    ) -> list[Diagnostic]:
        """`Analyze` for every resource, several calls in flight at once (as the engine
        analyzes resources while they register), results in resource order."""
        return self.analyze_encoded([encode(r, providers.get(r.urn)) for r in resources])

    def analyze_encoded(self, encoded: Sequence[Encoded]) -> list[Diagnostic]:
        """`analyze_all` over resources already encoded (for `AnalyzeStack` too)."""
        pending: deque[tuple[Encoded, Any]] = deque()
        diagnostics: list[Diagnostic] = []
        with _collector_paused():
            for item in encoded:
                pending.append((item, self.stub.Analyze.future(_request(item))))
                if len(pending) >= BATCH_IN_FLIGHT:
                    done, future = pending.popleft()
                    diagnostics += _diagnostics(future.result(), done.resource.urn)
            for done, future in pending:
                diagnostics += _diagnostics(future.result(), done.resource.urn)
        return diagnostics

    def analyze_stack(
        self, resources: Sequence[CapturedResource], providers: Mapping[str, Provider | None]
    ) -> list[Diagnostic]:
        return self.analyze_stack_async([encode(r, providers.get(r.urn)) for r in resources])()

    def analyze_stack_async(self, encoded: Sequence[Encoded]) -> Callable[[], list[Diagnostic]]:
        """Send `AnalyzeStack` over the resources in this order without waiting; call the
        result to wait for its diagnostics."""
        with _collector_paused():
            request = analyzer_pb2.AnalyzeStackRequest(
                resources=[_stack_resource(e) for e in encoded]
            )
            future = self.stub.AnalyzeStack.future(request)
        return lambda: _diagnostics(future.result(), None)


@dataclass(frozen=True)
class Encoded:
    """A resource and its provider as the analyzer protocol carries them, converted once:
    the gate sends the same messages in `Analyze` while the program runs and in
    `AnalyzeStack` at its end."""

    resource: CapturedResource
    provider: Provider | None
    properties: struct_pb2.Struct
    provider_message: analyzer_pb2.AnalyzerProviderResource | None


def encode(resource: CapturedResource, provider: Provider | None) -> Encoded:
    return Encoded(resource, provider, _struct(resource.inputs), _provider(provider))


def _fields(encoded: Encoded) -> dict[str, Any]:
    """What `Analyze` and `AnalyzeStack` both carry of a resource."""
    resource = encoded.resource
    return {
        "type": resource.type,
        "properties": encoded.properties,
        "urn": resource.urn,
        "name": resource.name,
        "options": _options(resource),
        "provider": encoded.provider_message,
    }


def _request(encoded: Encoded) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(**_fields(encoded))


def _stack_resource(encoded: Encoded) -> analyzer_pb2.AnalyzerResource:
    resource = encoded.resource
    return analyzer_pb2.AnalyzerResource(
        **_fields(encoded),
        parent=resource.parent or "",
        dependencies=resource.dependencies,
    )


def _options(resource: CapturedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=resource.protect, parent=resource.parent or ""
    )


def _provider(provider: Provider | None) -> analyzer_pb2.AnalyzerProviderResource | None:
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        type=provider.type, properties=_struct(provider.props), urn=provider.urn, name=provider.name
    )


def _diagnostics(
    response: analyzer_pb2.AnalyzeResponse, default_urn: str | None
) -> list[Diagnostic]:
    return [
        Diagnostic(
            policy=d.policyName,
            level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
            severity=_SEVERITY_NAMES.get(d.severity, "unspecified"),
            urn=d.urn or default_urn,
            message=d.message,
        )
        for d in response.diagnostics
    ]
