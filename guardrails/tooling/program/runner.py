"""Run a Pulumi Python program under Pulumi's mock runtime and record what it declares.

This module is the child-process side of the offline preview: `python -m
guardrails.tooling.program.runner --request R --out O` runs exactly one program, as the parent
described it in a `CaptureRequest` (config already read, a temporary copy of the program's
folder to run in, data-source answers), and writes a JSON document (see
`guardrails.tooling.program.record.Capture`), or an error record. A fresh process per run is
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
import io
import json
import logging
import os
import runpy
import sys
import typing
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.stack import run_in_stack

from guardrails.runtime import pulumi_compat
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.program.messages import MessageLog, clean_message, stream_messages
from guardrails.tooling.program.mock_answers import check_answers
from guardrails.tooling.program.mocks import RecordingMocks, RecordingMonitor
from guardrails.tooling.program.record import Capture, CapturedResource, ProgramMessage
from guardrails.tooling.program.request import CaptureRequest
from guardrails.tooling.program.source_map import SourceMapper, describe_failure


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
    logger.addHandler(MessageLog(messages, monitor.mapper))
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
    parser = argparse.ArgumentParser(prog="python -m guardrails.tooling.program.runner")
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
            stream_messages("stdout", stdout.getvalue(), "info")
            + stream_messages("stderr", stderr.getvalue(), "warning")
            + messages
        )
        doc: dict[str, Any] = {"capture": capture.to_json()}
    except BaseException as exc:
        error = mocks.error or exc
        # RunError is Pulumi's "clean exit with a message"; ours are user errors as well.
        user_error = isinstance(error, GuardrailsError | pulumi.RunError)
        location, frames = (None, "") if user_error else describe_failure(error, mapper)
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
                    for m in stream_messages("stdout", stdout.getvalue(), "info")
                    + stream_messages("stderr", stderr.getvalue(), "warning")
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
