"""Offline preview: run a program under mocks in a child process and show what it would create.

`capture_program` is the entry point the policy gate builds on; `render_preview` is the
terminal view of `guardrails preview`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.project import load_project, load_stack_settings
from guardrails.tooling.record import Capture, CapturedResource

CAPTURE_TIMEOUT_SECONDS = 600


def capture_program(program_dir: Path, stack: str) -> Capture:
    """Run `program_dir` with `stack`'s config under Pulumi mocks in a fresh process.

    Raises GuardrailsError for a missing project or stack file and ProgramError when the
    program itself raises (invalid config included).
    """
    # Fail fast, with the parent's clear message, before paying for a child process.
    project = load_project(program_dir)
    load_stack_settings(project, stack)
    with tempfile.TemporaryDirectory(prefix="guardrails-capture-") as tmp:
        out = Path(tmp) / "capture.json"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PULUMI_PREVIEW_OFFLINE": "1"}
        cmd = [
            sys.executable, "-m", "guardrails.tooling.capture",
            "--program", str(project.root), "--stack", stack, "--out", str(out),
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd,
                check=False,
                capture_output=True,
                text=True,
                env=env,
                timeout=CAPTURE_TIMEOUT_SECONDS,
            )
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
    if "error" in doc:
        err = doc["error"]
        if err["user_error"]:
            raise GuardrailsError(err["message"])
        raise ProgramError(
            err["message"],
            exc_type=err["type"],
            location=err["location"],
            traceback_text=err["traceback"],
        )
    return Capture.from_json(doc["capture"])


_KEY_INPUTS = 4
_VALUE_WIDTH = 60


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
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

    if capture.invokes:
        console.print(
            f"data-source calls answered offline: {len(capture.invokes)} "
            f"({', '.join(sorted({i.token for i in capture.invokes}))})",
            markup=False,
        )
    if capture.outputs:
        outputs = Table(title="Stack outputs")
        outputs.add_column("output")
        outputs.add_column("value")
        for key in sorted(capture.outputs):
            outputs.add_row(escape(key), escape(_short(capture.outputs[key])))
        console.print(outputs)
