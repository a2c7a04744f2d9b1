"""Run a Pulumi Python program under Pulumi's mock runtime and record what it declares.

This module is the child-process side of the offline preview: `python -m
guardrails.tooling.capture` runs exactly one program and writes a JSON document (see
`guardrails.tooling.record.Capture`). A fresh process per run is deliberate: the Pulumi SDK
keeps the event loop and the root stack in module state that leaks between runs (pulumi#6561,
#8280).

The program runs the way the Pulumi language host runs it: working directory and `sys.path` set
to the program's folder, config and secret keys from the stack file, the entry point executed by
`runpy` inside `run_in_stack`. The engine is replaced by `RecordingMonitor`, a subclass of the
SDK's own `MockMonitor` that also keeps what `Mocks.new_resource` is not shown (parent,
provider, protect, source position).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import runpy
import sys
import traceback
import typing
from collections import abc
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_in_stack

from guardrails.runtime import pulumi_compat
from guardrails.tooling.project import SECRET_PLACEHOLDER, load_project, load_stack_settings
from guardrails.tooling.provider_types import function_result_class, resource_output_types
from guardrails.tooling.record import (
    STACK_TYPE,
    Capture,
    CapturedInvoke,
    CapturedResource,
    SourceLocation,
)

_SECRET_SIG = pulumi_compat.SECRET_SIGNATURE
_PLACEHOLDER_ID = "preview-id"
PLACEHOLDER_ACCOUNT = "123456789012"
_MAX_DEPTH = 3


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]


def _mask_secrets(value: Any) -> tuple[Any, bool]:
    """Return `value` with secrets replaced by the placeholder, and whether any were found."""
    if _is_secret(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, dict):
        found = False
        masked: dict[str, Any] = {}
        for k, v in value.items():
            masked[k], hit = _mask_secrets(v)
            found = found or hit
        return masked, found
    if isinstance(value, list):
        items = [_mask_secrets(v) for v in value]
        return [v for v, _ in items], any(hit for _, hit in items)
    return _jsonable(value), False


def _jsonable(value: Any) -> Any:
    """Resource references and other SDK objects become strings in the record."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pulumi.Resource):
        return f"<resource {pulumi_compat.resource_name(value)}>"
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        # Stable across runs: what it points at, never the object's address.
        source = getattr(value, "path", None) or getattr(value, "uri", None)
        return f"<{type(value).__name__} {source}>" if source else f"<{type(value).__name__}>"
    return str(value)


def _mask_properties(props: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    masked: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in props.items():
        masked[key], hit = _mask_secrets(value)
        if hit:
            secret.append(key)
    return masked, sorted(secret)


def _source_location(request: Any, program_root: Path) -> SourceLocation | None:
    pos = request.sourcePosition
    if not pos.uri:
        return None
    path = Path(unquote(urlparse(pos.uri).path))
    try:
        shown = str(path.relative_to(program_root))
    except ValueError:
        shown = str(path)
    return SourceLocation(file=shown, line=int(pos.line))


# --- data sources ---------------------------------------------------------------------------


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _placeholder(name: str, typ: Any, depth: int = 0) -> Any:
    """A well-formed but empty value for one field of a data-source result."""
    origin = typing.get_origin(typ)
    if origin is typing.Union:
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return _placeholder(name, args[0], depth) if args else None
    if origin in (list, abc.Sequence) or typ is list:
        return []
    if origin in (dict, abc.Mapping) or typ is dict:
        return {}
    if typ is str:
        if name == "id":
            return _PLACEHOLDER_ID
        # Version strings are numeric (Lambda layer and function versions, OCI object
        # versions); programs convert them, e.g. to a LayerVersionPermission's version_number.
        return "1" if name == "version" else f"preview-{_kebab(name)}"
    if typ is bool:
        return False
    if typ in (int, float):
        return 0
    if isinstance(typ, type) and pulumi_compat.is_output_type(typ) and depth < _MAX_DEPTH:
        return _placeholder_result(typ, depth + 1)
    return None


def _placeholder_result(cls: type, depth: int = 0) -> dict[str, Any]:
    return _placeholders(pulumi_compat.output_type_types(cls), depth)


def _placeholders(types: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    return {name: _placeholder(name, typ, depth) for name, typ in types.items()}


@functools.cache
def _resource_placeholders(token: str) -> dict[str, Any]:
    # Scalars, empty lists and maps only: nested objects would multiply the SDK's
    # serialization work per resource for values no program in practice reads offline.
    placeholders = _placeholders(resource_output_types(token), depth=_MAX_DEPTH)
    return {k: v for k, v in placeholders.items() if v is not None}


def resource_outputs(token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """What a created resource would report: its inputs, and for every other output property
    a well-formed placeholder (an ARN for AWS `arn`), so dependent resources get values."""
    outputs = {
        k: (v.copy() if isinstance(v, list | dict) else v)
        for k, v in _resource_placeholders(token).items()
    }
    if "arn" in outputs and token.startswith("aws:"):
        service = token.split(":")[1].split("/", maxsplit=1)[0]
        outputs["arn"] = f"arn:aws:{service}:us-east-1:{PLACEHOLDER_ACCOUNT}:{name}"
    outputs.update(inputs)
    return outputs


def placeholder_answer(token: str) -> dict[str, Any]:
    """The answer the preview gives to a data-source call: empty lists, placeholder strings."""
    cls = function_result_class(token)
    return _placeholder_result(cls) if cls is not None else {}


# --- the recording engine -------------------------------------------------------------------


class RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs (so `apply` sees real values) and answer data sources."""

    def __init__(self) -> None:
        self.invokes: list[CapturedInvoke] = []

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id = args.resource_id or f"{args.name}-{_PLACEHOLDER_ID}"
        return resource_id, resource_outputs(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        masked, _ = _mask_properties(args.args)
        self.invokes.append(CapturedInvoke(token=args.token, args=masked))
        return placeholder_answer(args.token)


class RecordingMonitor(pulumi_compat.MockMonitor):
    """The SDK's mock monitor, plus a record of every registration request."""

    def __init__(self, mocks: RecordingMocks, program_root: Path) -> None:
        super().__init__(mocks)
        self.program_root = program_root
        self.recorded: list[CapturedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._stack_urn: str | None = None

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
        inputs, secret = _mask_properties(rpc.deserialize_properties(request.object))
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
                source=_source_location(request, self.program_root),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self._stack_urn:
            outputs = rpc.deserialize_properties(request.outputs)
            self.stack_outputs, _ = _mask_properties(outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def _program_frames(exc: BaseException, program_root: Path) -> list[traceback.FrameSummary]:
    """The frames of the traceback (and of its causes) that lie in the program's own folder."""
    frames: list[traceback.FrameSummary] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain = [
            f
            for f in traceback.extract_tb(current.__traceback__)
            if Path(f.filename).is_absolute() and Path(f.filename).is_relative_to(program_root)
        ]
        frames = chain + frames
        current = current.__cause__ or current.__context__
    return frames


def _describe_failure(exc: BaseException, program_root: Path) -> tuple[str | None, str]:
    """Where in the program it failed (`file:line`) and the program's part of the traceback."""
    frames = _program_frames(exc, program_root)
    if not frames:
        return None, ""
    last = frames[-1]
    location = f"{Path(last.filename).relative_to(program_root)}:{last.lineno}"
    text = "".join(traceback.format_list(frames))
    return location, text


def run_program(program_dir: Path, stack: str) -> Capture:
    """Run the program in this process (call it from a fresh process) and return the record."""
    project = load_project(program_dir)
    stack_settings = load_stack_settings(project, stack)

    os.chdir(project.main.parent)
    sys.path.insert(0, str(project.main.parent))
    pulumi.runtime.set_all_config(stack_settings.config, stack_settings.secret_keys)

    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks, project.root)
    pulumi.runtime.set_mocks(
        mocks, project=project.name, stack=stack, preview=False, monitor=monitor
    )
    # set_mocks installs a root stack for unit tests; a program run gets its own, as under
    # the language host, so that `pulumi.export` reaches the registered stack outputs.
    pulumi_compat.clear_root_resource()
    main = str(project.main)

    def program() -> None:
        runpy.run_path(main, run_name="__main__")

    pulumi_compat.sync_await(run_in_stack(program))
    return Capture(
        project=project.name,
        stack=stack,
        program=str(project.root),
        # Registration order depends on event-loop scheduling; URN order does not.
        resources=sorted(monitor.recorded, key=lambda r: r.urn),
        invokes=mocks.invokes,
        outputs=monitor.stack_outputs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guardrails.tooling.capture")
    parser.add_argument("--program", required=True, type=Path)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    program_root = args.program.resolve()
    try:
        capture = run_program(args.program, args.stack)
        doc: dict[str, Any] = {"capture": capture.to_json()}
    except BaseException as exc:
        from guardrails.runtime.errors import GuardrailsError

        # RunError is Pulumi's "clean exit with a message"; ours are user errors as well.
        user_error = isinstance(exc, GuardrailsError | pulumi.RunError)
        location, frames = (None, "") if user_error else _describe_failure(exc, program_root)
        doc = {
            "error": {
                "type": type(exc).__name__,
                "message": str(exc) or type(exc).__name__,
                "user_error": user_error,
                "location": location,
                "traceback": frames,
            }
        }
    args.out.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
