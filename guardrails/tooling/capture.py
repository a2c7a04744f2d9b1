"""Run a Pulumi Python program under Pulumi's mock runtime and record what it declares.

This module is the child-process side of the offline preview: `python -m
guardrails.tooling.capture --request R --out O` runs exactly one program, as the parent
described it in a `CaptureRequest` (config already read, a temporary copy of the program's
folder to run in, data-source answers), and writes a JSON document (see
`guardrails.tooling.record.Capture`), or an error record. A fresh process per run is
deliberate: the Pulumi SDK keeps the event loop and the root stack in module state that leaks
between runs (pulumi#6561, #8280).

The program runs the way the Pulumi language host runs it: working directory and `sys.path` set
to the program's folder, config and secret keys from the stack file, the entry point executed by
`runpy` inside `run_in_stack`, in preview mode (values the provider computes are unknown and
`apply` on them does not run, as in `pulumi preview`). The engine is replaced by
`RecordingMonitor`, a subclass of the SDK's own `MockMonitor` that also keeps what
`Mocks.new_resource` is not shown (parent, provider, protect, the declaring chain), and the
engine's log by a handler that keeps what the program and the SDK say.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import io
import json
import logging
import os
import re
import runpy
import sys
import sysconfig
import traceback
import typing
from collections import abc
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pulumi
import pulumi.runtime
from pulumi import output as pulumi_output
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_in_stack

from guardrails.runtime import pulumi_compat
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.capture_request import CaptureRequest
from guardrails.tooling.mock_answers import MockAnswers, check_answers, pick
from guardrails.tooling.project import SECRET_PLACEHOLDER
from guardrails.tooling.provider_types import function_result_class, resource_output_types
from guardrails.tooling.record import (
    STACK_TYPE,
    UNKNOWN,
    Capture,
    CapturedInvoke,
    CapturedResource,
    ProgramMessage,
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
    if isinstance(value, pulumi_output.Unknown):
        return UNKNOWN
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


def _machinery_dirs() -> tuple[Path, ...]:
    """Frames in these places are the runtime's, not the program's (stdlib, SDK, runner, and
    the compatibility module the runner awaits the program through)."""
    return (
        Path(sysconfig.get_paths()["stdlib"]).resolve(),
        Path(pulumi.__file__).resolve().parent,
        Path(__file__).resolve().parent,
        Path(pulumi_compat.__file__).resolve(),
    )


_MACHINERY = _machinery_dirs()


@functools.cache
def _frame_path(uri: str) -> Path | None:
    if not uri:
        return None
    path = Path(unquote(urlparse(uri).path))
    if not path.is_absolute() or any(path.resolve().is_relative_to(d) for d in _MACHINERY):
        return None
    return path


class SourceMapper:
    """Turns absolute file names into program-relative ones.

    The program runs in a temporary copy of its folder (`copy_root`); positions in the copy
    and in the original folder are both "in the program" and shown relative to it. Anything
    else (an installed package) is shown relative to the import root it was found under,
    never as an absolute path of the install.
    """

    def __init__(self, program_root: Path, copy_root: Path | None = None) -> None:
        self.roots = [r for r in (copy_root, program_root) if r is not None]
        self.program_root = program_root

    def locate(self, path: Path, line: int) -> SourceLocation:
        for root in self.roots:
            if path.is_relative_to(root):
                return SourceLocation(path.relative_to(root).as_posix(), line, True)
        bases = [Path(p) for p in sys.path if p and path.is_relative_to(p)]
        if bases:
            base = max(bases, key=lambda b: len(b.parts))
            return SourceLocation(path.relative_to(base).as_posix(), line, False)
        return SourceLocation(path.name, line, False)

    def original(self, filename: str) -> str:
        """The user's own path for a file of the temporary copy (for tracebacks)."""
        path = Path(filename)
        if len(self.roots) == 2 and path.is_relative_to(self.roots[0]):
            return str(self.program_root / path.relative_to(self.roots[0]))
        return filename

    def in_program(self, filename: str) -> bool:
        path = Path(filename)
        return path.is_absolute() and any(path.is_relative_to(r) for r in self.roots)


def source_chain(request: Any, mapper: SourceMapper) -> list[SourceLocation]:
    """The declaring chain of a registration, outermost (the program's entry point) first."""
    frames = [(f.pc.uri, f.pc.line) for f in request.stackTrace.frames]
    if not frames and request.sourcePosition.uri:
        frames = [(request.sourcePosition.uri, request.sourcePosition.line)]
    chain = []
    for uri, line in frames:  # topmost (the declaring line) first
        path = _frame_path(uri)
        if path is not None:
            chain.append(mapper.locate(path, int(line)))
    return list(reversed(chain))


def primary_source(chain: list[SourceLocation]) -> SourceLocation | None:
    """Where users act: the innermost position inside the program, else the declaring line."""
    inside = [s for s in chain if s.in_program]
    return inside[-1] if inside else (chain[-1] if chain else None)


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


def _unknowns_as_sentinel(value: Any) -> Any:
    """The SDK's `Unknown` objects as the wire sentinel (what the engine echoes in a preview)."""
    if isinstance(value, pulumi_output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unknowns_as_sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns_as_sentinel(v) for v in value]
    return value


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
            return args.resource_id or "", _unknowns_as_sentinel(dict(args.inputs))
        resource_id = args.resource_id or f"{args.name}-{_PLACEHOLDER_ID}"
        return resource_id, resource_outputs(args.typ, args.name, dict(args.inputs))

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        masked, _ = _mask_properties(args.args)
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
        inputs, secret = _mask_properties(rpc.deserialize_properties(request.object))
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
            self.stack_outputs, _ = _mask_properties(outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


class _MessageLog(logging.Handler):
    """Keeps what the program logs through `pulumi.log` (the mock engine's logger)."""

    _SEVERITY: typing.ClassVar[dict[int, str]] = {
        logging.INFO: "info",
        logging.WARNING: "warning",
        logging.ERROR: "error",
    }

    def __init__(self, messages: list[ProgramMessage], mapper: SourceMapper) -> None:
        super().__init__(logging.DEBUG)
        self.messages = messages
        self.mapper = mapper

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.INFO:  # the SDK's own chatter; `pulumi up` hides it too
            return
        severity = self._SEVERITY.get(record.levelno, "error")
        text = clean_message(record.getMessage())
        if severity != "info":
            # The SDK's warnings (an Output in an f-string) do not say where: the program's
            # innermost frame on the stack is the line that caused it.
            here = [f for f in traceback.extract_stack() if self.mapper.in_program(f.filename)]
            if here:
                where = Path(self.mapper.original(here[-1].filename))
                text += f" (at {where.relative_to(self.mapper.program_root)}:{here[-1].lineno})"
        self.messages.append(ProgramMessage("log", severity, text))


_OUTPUT_STR = re.compile(
    r"Calling __str__ on an Output\[T\] is not supported\..*?more details\."
    r"(?:\s*This function may throw in a future version of Pulumi\.)?",
    re.DOTALL,
)
_OBJECT_AT = re.compile(r"<(?:pulumi\.output\.)?(\w+(?:\.\w+)*) object at 0x[0-9a-fA-F]+>")


def clean_message(text: str) -> str:
    """Drop `<pulumi.output.Output object at 0x7f...>` noise, and the SDK's many-line text
    for an Output turned into a string, from messages users read."""
    text = _OUTPUT_STR.sub(
        "Calling __str__ on an Output[T] is not supported (read its value inside .apply)", text
    )
    return _OBJECT_AT.sub(lambda m: f"<{m.group(1).rsplit('.', 1)[-1]}>", text)


def _program_frames(exc: BaseException, mapper: SourceMapper) -> list[traceback.FrameSummary]:
    """The frames of the traceback (and of its causes) that lie in the program's own folder,
    with the user's own file names (not the temporary copy's)."""
    frames: list[traceback.FrameSummary] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain = [
            traceback.FrameSummary(
                mapper.original(f.filename), f.lineno, f.name, line=f.line, lookup_line=False
            )
            for f in traceback.extract_tb(current.__traceback__)
            if mapper.in_program(f.filename)
        ]
        frames = chain + frames
        current = current.__cause__ or current.__context__
    return frames


def _describe_failure(exc: BaseException, mapper: SourceMapper) -> tuple[str | None, str]:
    """Where in the program it failed (`file:line`) and the program's part of the traceback."""
    frames = _program_frames(exc, mapper)
    if not frames:
        return None, ""
    last = frames[-1]
    location = f"{Path(last.filename).relative_to(mapper.program_root)}:{last.lineno}"
    text = "".join(traceback.format_list(frames))
    return location, text


def run_program(
    request: CaptureRequest,
    messages: list[ProgramMessage],
    mocks: RecordingMocks,
    on_record: Callable[[CapturedResource], None] | None = None,
) -> Capture:
    """Run the program in this process (call it from a fresh process) and return the record."""
    if request.mocks:
        check_answers(request.mocks, request.mocks_source)
    main = request.workdir / request.main
    os.chdir(main.parent)
    sys.path.insert(0, str(main.parent))
    pulumi.runtime.set_all_config(request.config, request.secret_keys)

    monitor = RecordingMonitor(mocks, request.program_root, request.workdir)
    monitor.on_record = on_record
    logger = logging.getLogger("guardrails.program")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_MessageLog(messages, monitor.mapper))
    pulumi.runtime.set_mocks(
        mocks,
        project=request.project,
        stack=request.stack,
        preview=True,
        monitor=monitor,
        logger=logger,
    )
    # set_mocks installs a root stack for unit tests; a program run gets its own, as under
    # the language host, so that `pulumi.export` reaches the registered stack outputs.
    pulumi_compat.clear_root_resource()

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    pulumi_compat.sync_await(run_in_stack(program))
    return Capture(
        project=request.project,
        stack=request.stack,
        program=str(request.program_root),
        # Registration order depends on event-loop scheduling; URN order does not.
        resources=sorted(monitor.recorded, key=lambda r: r.urn),
        invokes=mocks.invokes,
        outputs=monitor.stack_outputs,
        messages=messages,
    )


def _stream_messages(stream: str, text: str, severity: str) -> list[ProgramMessage]:
    return [ProgramMessage(stream, severity, line) for line in text.splitlines() if line.strip()]


class _ExitWithoutTeardown:
    """The runner's last exit handler: once the record is written and every other exit
    handler (the program's, the SDK's) has run, end the process without the interpreter's
    teardown of the program's objects. Freeing them one by one took 1.3 s after a run of
    1,000 resources, longer than anything the gate does after the program. Not with
    Pulumi's tracing on (`TRACEPARENT`): the SDK registered its span exporter's handler
    when it was imported, before this one, so it runs after it."""

    code = 2  # could not run (standards: exit codes), until `main` has written the record

    @classmethod
    def install(cls) -> None:
        if not os.environ.get("TRACEPARENT"):
            atexit.register(cls.exit)  # registered before the program's: runs after them

    @classmethod
    def exit(cls) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(cls.code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m guardrails.tooling.capture")
    parser.add_argument("--request", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument(
        "--stream-fd", type=int, default=None, help="write each resource as a JSON line here"
    )
    args = parser.parse_args(argv)
    _ExitWithoutTeardown.install()
    stream = os.fdopen(args.stream_fd, "w", encoding="utf-8") if args.stream_fd else None
    request = CaptureRequest.from_json(json.loads(args.request.read_text(encoding="utf-8")))
    mapper = SourceMapper(request.program_root, request.workdir)
    messages: list[ProgramMessage] = []
    mocks = RecordingMocks(request.mocks, preview=True)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            capture = run_program(request, messages, mocks, _streamer(stream))
        capture.messages = (
            _stream_messages("stdout", stdout.getvalue(), "info")
            + _stream_messages("stderr", stderr.getvalue(), "warning")
            + messages
        )
        doc: dict[str, Any] = {"capture": capture.to_json()}
    except BaseException as exc:
        error = mocks.error or exc
        # RunError is Pulumi's "clean exit with a message"; ours are user errors as well.
        user_error = isinstance(error, GuardrailsError | pulumi.RunError)
        location, frames = (None, "") if user_error else _describe_failure(error, mapper)
        doc = {
            "error": {
                "type": type(error).__name__,
                "message": clean_message(str(error)) or type(error).__name__,
                "user_error": user_error,
                "location": location,
                "traceback": frames,
                "placeholders": sorted(
                    {i.token for i in mocks.invokes if i.answer == "placeholder"}
                ),
                "messages": [
                    asdict(m)
                    for m in _stream_messages("stdout", stdout.getvalue(), "info")
                    + _stream_messages("stderr", stderr.getvalue(), "warning")
                    + messages
                ],
            }
        }
    finally:
        if stream is not None:
            stream.close()  # the reader sees the end before the final record is written
    args.out.write_text(json.dumps(doc, sort_keys=True), encoding="utf-8")
    _ExitWithoutTeardown.code = 0
    return 0


def _streamer(stream: typing.TextIO | None) -> Callable[[CapturedResource], None] | None:
    """One JSON line per resource, flushed as it registers, for the gate to evaluate while
    the program runs (`preview.capture(on_resource=...)`)."""
    if stream is None:
        return None

    def write(resource: CapturedResource) -> None:
        stream.write(json.dumps(resource.to_json()) + "\n")
        stream.flush()

    return write


if __name__ == "__main__":
    sys.exit(main())
