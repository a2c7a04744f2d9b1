"""Offline preview: run a program under mocks in a child process and show what it would create.

`capture_program` is the entry point the policy gate builds on; `render_preview` is the
terminal view of `guardrails preview`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.outputs import Input
from guardrails.tooling.program.mock_answers import (
    MockAnswers,
    find_mocks_file,
    how_to_mock,
    load_mock_answers,
    unused_entries,
)
from guardrails.tooling.program.record import UNKNOWN, Capture, CapturedResource, ProgramMessage
from guardrails.tooling.program.request import CaptureRequest
from guardrails.tooling.project import Project, StackSettings, load_project, load_stack_settings

CAPTURE_TIMEOUT_SECONDS = 600
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv*", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".hypothesis", "*.egg-info",
)  # fmt: skip


@dataclass(frozen=True)
class ProgramInputs:
    """A program's project file, one stack's settings and its data-source answers, each read
    once per command; everything after (capture, gate, reports) works from this."""

    project: Project
    settings: StackSettings
    mocks: MockAnswers = field(default_factory=dict)
    mocks_path: Path | None = None

    @property
    def stack(self) -> str:
        return self.settings.stack

    def files(self) -> list[Input]:
        """What a run reads, for the output guard: the project and stack files, the mocks
        file, and the program's folders (whose source files the program may read)."""
        project = self.project
        return [
            Input("program", project.root, program=True),
            Input("program", project.main.parent, program=True),
            Input("stack settings folder", project.stack_config_dir, program=True),
            Input("Pulumi project file", project.root / "Pulumi.yaml"),
            Input("stack settings file", self.settings.path),
            Input("data-source answers file", self.mocks_path),
        ]


def load_program(program_dir: Path, stack: str, mocks_path: Path | None = None) -> ProgramInputs:
    """Read and check Pulumi.yaml, the stack file and the mocks file (given, or the
    conventional one in the program's folder). GuardrailsError for anything wrong."""
    project = load_project(program_dir)
    settings = load_stack_settings(project, stack)
    path = mocks_path or find_mocks_file(project.root)
    mocks = load_mock_answers(path) if path is not None else {}
    return ProgramInputs(project, settings, mocks, path)


MAX_COPIED_FILES = 20_000


def _refuse_large(folder: Path) -> None:
    """A program folder is small; refuse to copy a whole tree (`main: /x.py` would copy /)."""
    count = 0
    for _dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not _NOT_COPIED(_dirpath, [d])]
        count += len(filenames)
        if count > MAX_COPIED_FILES:
            raise GuardrailsError(
                f"{folder}: over {MAX_COPIED_FILES} files; the preview runs a copy of the "
                "program's folder, so point `main` in Pulumi.yaml at the program's own folder"
            )


def _copy_program(project: Project, into: Path) -> tuple[Path, str]:
    """Copy the program's folder, so that whatever it writes stays away from the user's
    files. Returns the copy's root and the entry point relative to it."""
    source = project.root if project.main.is_relative_to(project.root) else project.main.parent
    _refuse_large(source)
    workdir = into / (source.name or "program")
    try:
        shutil.copytree(source, workdir, symlinks=True, ignore=_NOT_COPIED)
    except (OSError, shutil.Error) as exc:
        raise GuardrailsError(f"{source}: cannot copy the program to run it: {exc}") from exc
    return workdir, project.main.relative_to(source).as_posix()


def _raise_error(err: dict[str, Any]) -> NoReturn:
    hint = f" ({how_to_mock(err['placeholders'])})" if err.get("placeholders") else ""
    if err["user_error"]:
        raise GuardrailsError(err["message"] + hint)
    raise ProgramError(
        err["message"] + hint,
        exc_type=err["type"],
        location=err["location"],
        traceback_text=err["traceback"],
    )


def _relay(
    stream: int,
    on_resource: Callable[[CapturedResource], None],
    on_end: Callable[[], None] | None,
) -> BaseException | None:
    """Read the runner's resource lines until it closes the stream, then call `on_end`;
    what `on_resource` or `on_end` raised first (the rest is drained, so the runner never
    blocks on a full pipe)."""
    failed: BaseException | None = None
    with os.fdopen(stream, encoding="utf-8") as lines:
        for line in lines:
            if failed is None:
                try:
                    on_resource(CapturedResource.from_json(json.loads(line)))
                except BaseException as exc:
                    failed = exc
    if failed is None and on_end is not None:
        try:
            on_end()
        except BaseException as exc:
            failed = exc
    return failed


def _run_runner(
    cmd: list[str],
    env: dict[str, str],
    cwd: Path,
    on_resource: Callable[[CapturedResource], None] | None,
    on_end: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the preview runner; with `on_resource`, relay its registrations as they happen
    (and call `on_end` when the program has registered its last one)."""
    if on_resource is None:
        return subprocess.run(
            cmd,
            check=False,
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            cwd=cwd,
            timeout=CAPTURE_TIMEOUT_SECONDS,
        )
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            [*cmd, "--stream-fd", str(write_end)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=env,
            cwd=cwd,
            pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="guardrails-relay") as pool:
        relayed = pool.submit(_relay, read_end, on_resource, on_end)
        try:
            stdout, stderr = proc.communicate(timeout=CAPTURE_TIMEOUT_SECONDS)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        failed = relayed.result()
    if failed is not None:
        raise failed
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def capture(
    inputs: ProgramInputs,
    *,
    strict: bool = False,
    on_messages: Callable[[list[ProgramMessage]], None] | None = None,
    on_resource: Callable[[CapturedResource], None] | None = None,
    on_stream_end: Callable[[], None] | None = None,
) -> Capture:
    """Run the program with the stack's config under Pulumi mocks, in a fresh process and a
    temporary copy of its folder, as `pulumi preview` would (computed values unknown).

    `on_resource` is told of each resource as the program registers it, from another thread,
    while the program still runs (the gate evaluates them meanwhile), and `on_stream_end`
    when the program has ended, before the runner writes its record and exits.

    `on_messages` is given what the program printed and logged, also when it failed, before
    any error is raised. Raises ProgramError when the program raises, GuardrailsError for a
    bad mocks file or (with `strict`) a warning or error logged through Pulumi.
    """
    project = inputs.project
    with tempfile.TemporaryDirectory(prefix="guardrails-run-") as tmp:
        workdir, main = _copy_program(project, Path(tmp))
        request = CaptureRequest(
            project=project.name,
            stack=inputs.stack,
            program_root=project.root,
            workdir=workdir,
            main=main,
            config=inputs.settings.config,
            secret_keys=inputs.settings.secret_keys,
            mocks=inputs.mocks,
            mocks_source=str(inputs.mocks_path or ""),
        )
        request_path = Path(tmp) / "request.json"
        request_path.write_text(json.dumps(request.to_json()), encoding="utf-8")
        out = Path(tmp) / "capture.json"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PULUMI_PREVIEW_OFFLINE": "1"}
        cmd = [
            sys.executable, "-m", "guardrails.tooling.program.runner",
            "--request", str(request_path), "--out", str(out),
        ]  # fmt: skip
        try:
            proc = _run_runner(cmd, env, Path(tmp), on_resource, on_stream_end)
        except subprocess.TimeoutExpired as exc:
            raise GuardrailsError(
                f"the program did not finish within {CAPTURE_TIMEOUT_SECONDS} s"
            ) from exc
        if not out.is_file():
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise GuardrailsError(
                "the preview runner failed before it could report: "
                + (detail[-1] if detail else f"exit code {proc.returncode}")
            )
        doc = json.loads(out.read_text(encoding="utf-8"))
    # Output written below Python (child processes of the program) reaches the pipes.
    raw = [
        ProgramMessage(stream, severity, line)
        for stream, severity, text in (
            ("stdout", "info", proc.stdout),
            ("stderr", "warning", proc.stderr),
        )
        for line in text.splitlines()
        if line.strip()
    ]
    messages = (doc["error"] if "error" in doc else doc["capture"]).get("messages", [])
    said = [ProgramMessage(**m) for m in messages] + raw
    if "error" not in doc and inputs.mocks:
        said += _unused_mocks(inputs, doc["capture"].get("invokes", []))
    if on_messages is not None:
        on_messages(said)
    if "error" in doc:
        _raise_error(doc["error"])
    result = Capture.from_json(doc["capture"])
    result.messages = said
    # Raw stderr is the program's business (libraries write there); Pulumi's own log is not.
    # `pulumi.log.error` alone does not fail `pulumi preview` either (pulumi#5085).
    logged = [
        m for m in said if m.stream in ("log", "mocks") and m.severity in ("warning", "error")
    ]
    if strict and logged:
        raise GuardrailsError(
            f"--strict: {len(logged)} warning(s) or error(s) logged by the program or the "
            f"Pulumi SDK, first: {logged[0].text}"
        )
    return result


def _unused_mocks(inputs: ProgramInputs, invokes: list[dict[str, Any]]) -> list[ProgramMessage]:
    """A warning per mocks-file entry that answered no call (`--strict` fails on it)."""
    calls = [(str(i["token"]), dict(i.get("args") or {})) for i in invokes]
    return [
        ProgramMessage(
            "mocks",
            "warning",
            f"{inputs.mocks_path}: {entry} answered no data-source call of the program "
            "(a misspelt token or `when`?)",
        )
        for entry in unused_entries(inputs.mocks, calls)
    ]


def capture_program(
    program_dir: Path, stack: str, *, mocks_path: Path | None = None, strict: bool = False
) -> Capture:
    """`load_program` and `capture` in one call (for tests and benchmarks)."""
    return capture(load_program(program_dir, stack, mocks_path), strict=strict)


_COMPUTED = "(known after create)"
_KEY_INPUTS = 4
_VALUE_WIDTH = 60


def _short(value: Any) -> str:
    if value == UNKNOWN:
        return _COMPUTED
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace(f'"{UNKNOWN}"', _COMPUTED)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def key_inputs(resource: CapturedResource, limit: int = _KEY_INPUTS) -> str:
    """A one-line summary of the inputs that identify a resource (tags left out)."""
    shown = []
    for key in sorted(resource.inputs):
        if key in ("definedTags", "freeformTags", "tags", "tagsAll"):
            continue
        shown.append(f"{key}={_short(resource.inputs[key])}")
        if len(shown) == limit:
            break
    return ", ".join(shown)


def _label(resource: CapturedResource) -> str:
    flags = " [bold yellow](protected)[/]" if resource.protect else ""
    return f"[bold]{escape(resource.name)}[/] [cyan]{escape(resource.type)}[/]{flags}"


def render_preview(capture: Capture, console: Console) -> None:
    """Print the resource tree, the counts per type, data-source calls and stack outputs."""
    root = Tree(f"[bold]{escape(capture.project)}[/] / stack [bold]{escape(capture.stack)}[/]")
    by_urn = capture.by_urn()
    children = capture.children_by_parent()

    def add(node: Tree, parent: str | None) -> None:
        for child in children.get(parent, []):
            branch = node.add(_label(child))
            summary = key_inputs(child)
            if summary and child.custom:
                branch.add(f"[dim]{escape(summary)}[/]")
            add(branch, child.urn)

    # Parents that are not resources of their own (the root stack) count as the top.
    top_parents = {r.parent for r in capture.resources if r.parent not in by_urn}
    for parent in sorted(top_parents, key=lambda p: p or ""):
        add(root, parent)
    console.print(root)

    table = Table(title="Resources per type", show_lines=False)
    table.add_column("type")
    table.add_column("count", justify="right")
    for typ, count in capture.counts_by_type().items():
        table.add_row(escape(typ), str(count))
    table.add_row("[bold]total[/]", f"[bold]{len(capture.resources)}[/]")
    console.print(table)
    unknown = capture.unknown_values()
    if unknown:
        console.print(
            f"{unknown} input values are known only after create (computed by the provider), "
            "as in `pulumi preview`",
            markup=False,
        )

    if capture.invokes:
        sources = []
        for answer in ("mocks", "placeholder"):
            tokens = sorted({i.token for i in capture.invokes if i.answer == answer})
            if tokens:
                sources.append(
                    f"{'mocks file' if answer == 'mocks' else 'placeholders'}: " + ", ".join(tokens)
                )
        console.print(
            f"data-source calls answered offline: {len(capture.invokes)} ({'; '.join(sources)})",
            markup=False,
        )
    if capture.outputs:
        outputs = Table(title="Stack outputs")
        outputs.add_column("output")
        outputs.add_column("value")
        for key in sorted(capture.outputs):
            outputs.add_row(escape(key), escape(_short(capture.outputs[key])))
        console.print(outputs)


def messages_printer(console: Console, verbose: bool) -> Callable[[list[ProgramMessage]], None]:
    """A callback showing what the program said: warnings and errors, or all with -v."""

    def show(messages: list[ProgramMessage]) -> None:
        for m in messages:
            if verbose or m.severity in ("warning", "error"):
                label = {"log": f"program {m.severity}", "mocks": "warning"}.get(
                    m.stream, f"program {m.stream}"
                )
                console.print(f"[dim]{label}:[/] {escape(m.text)}", highlight=False, soft_wrap=True)

    return show


@dataclass(frozen=True)
class PreviewRequest:
    """What `guardrails preview` was asked to do."""

    program: Path | None = None
    """None: found from the current folder up (`project.default_program`)."""
    stack: str = "dev"
    mocks: Path | None = None
    strict: bool = False
    verbose: bool = False
    as_json: bool = False


def run_preview(request: PreviewRequest, out: Console, err: Console) -> int:
    """Run the program and show what it registered (JSON with `as_json`, carrying the error
    when the run fails). 0, or GuardrailsError (exit 2)."""
    from guardrails.tooling.cli_support import EXIT_OK, error_object
    from guardrails.tooling.project import default_program

    inputs = load_program(request.program or default_program(), request.stack, request.mocks)
    if inputs.mocks_path is not None:
        err.print(
            f"data-source answers: {escape(str(inputs.mocks_path))}",
            highlight=False,
            soft_wrap=True,
        )
    try:
        result = capture(
            inputs, strict=request.strict, on_messages=messages_printer(err, request.verbose)
        )
    except GuardrailsError as exc:
        if request.as_json:  # the requested format, carrying the error
            out.file.write(json.dumps({"error": error_object(exc)}, indent=2) + "\n")
        raise
    if request.as_json:
        out.file.write(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        render_preview(result, out)
    return EXIT_OK
