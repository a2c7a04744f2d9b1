"""The recording engine: Pulumi's own mock runtime, answering registrations and data-source
calls as the engine would in a preview, and recording every registration request whole
(parent, provider, protect, the declaring chain) as a `CapturedResource`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc

from guardrails.runtime import pulumi_compat
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.program.masking import mask_properties, unknowns_as_sentinel
from guardrails.tooling.program.mock_answers import MockAnswers, pick
from guardrails.tooling.program.placeholders import (
    PLACEHOLDER_ID,
    placeholder_answer,
    resource_outputs,
)
from guardrails.tooling.program.record import STACK_TYPE, CapturedInvoke, CapturedResource
from guardrails.tooling.program.source_map import SourceMapper, primary_source, source_chain


class RecordingMocks(pulumi.runtime.Mocks):
    """Answer registrations and data-source calls as the engine would.

    With `preview=True` (the offline preview and gate) a created resource reports its
    inputs and nothing else, and no id: everything the provider computes is unknown, so
    `apply` on it does not run, as in `pulumi preview`. With `preview=False` (component
    tests) inputs are echoed and every other output gets a well-formed placeholder.
    Data sources answer from `answers` (a mocks file) or with placeholders.
    """

    def __init__(self, answers: MockAnswers | None = None, *, preview: bool = False) -> None:
        self.invokes: list[CapturedInvoke] = []
        self.answers = answers or {}
        self.preview = preview
        self.error: GuardrailsError | None = None

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        if self.preview:
            return args.resource_id or "", unknowns_as_sentinel(dict(args.inputs))
        resource_id = args.resource_id or f"{args.name}-{PLACEHOLDER_ID}"
        return resource_id, resource_outputs(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        masked, _ = mask_properties(args.args)
        try:
            given = pick(self.answers, args.token, dict(args.args))
        except GuardrailsError as exc:
            self.error = self.error or exc
            raise
        self.invokes.append(
            CapturedInvoke(
                token=args.token, args=masked, answer="placeholder" if given is None else "mocks"
            )
        )
        answer = placeholder_answer(args.token)
        answer.update(given or {})
        return answer


class RecordingMonitor(pulumi_compat.MockMonitor):
    """The SDK's mock monitor, plus a record of every registration request."""

    def __init__(
        self, mocks: RecordingMocks, program_root: Path, copy_root: Path | None = None
    ) -> None:
        super().__init__(mocks)
        self.program_root = program_root
        self.mapper = SourceMapper(program_root, copy_root)
        self.recorded: list[CapturedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._stack_urn: str | None = None
        self.on_record: Callable[[CapturedResource], None] | None = None
        """Told of each resource as it registers (the gate streams them to the pack)."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack's type out of its children's URNs; the SDK's mock
        # monitor does not. Policies, suppressions and reports key on URNs, so match the engine.
        if parent and parent == self._stack_urn:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        if request.type == STACK_TYPE:
            self._stack_urn = self.make_urn("", request.type, request.name)
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        inputs, secret = mask_properties(rpc.deserialize_properties(request.object))
        chain = source_chain(request, self.mapper)
        self.recorded.append(
            CapturedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent or None,
                inputs=inputs,
                provider=request.provider or None,
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                dependencies=sorted(set(request.dependencies)),
                secret_inputs=secret,
                source=primary_source(chain),
                stack=chain,
            )
        )
        if self.on_record is not None:
            self.on_record(self.recorded[-1])
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self._stack_urn:
            outputs = rpc.deserialize_properties(request.outputs)
            self.stack_outputs, _ = mask_properties(outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]
