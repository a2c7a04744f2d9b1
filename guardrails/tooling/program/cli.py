"""`guardrails preview`, and the program options `preview` and `check` share. Registering
the command imports nothing heavy: the preview runner is imported when the command runs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_OK, add_command

if TYPE_CHECKING:
    from guardrails.tooling.program.record import ProgramMessage


def add_program_options(parser: argparse.ArgumentParser) -> None:
    """--stack, --program, --mocks, --strict, --verbose."""
    parser.add_argument("--stack", "-s", default="dev", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: the guardrails project)",
    )
    parser.add_argument(
        "--mocks",
        type=Path,
        default=None,
        metavar="FILE",
        help="data-source answers, YAML or JSON (default: guardrails-mocks.yaml|yml|json in "
        "the program's folder, else placeholders); see README 'Programs we did not write'",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) on a warning or error logged through Pulumi (pulumi.log, or the "
        "SDK's own, such as an Output in an f-string)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="show all the program printed and logged (default: warnings and errors only)",
    )


def messages_printer(console: Console, verbose: bool) -> Callable[[list[ProgramMessage]], None]:
    """A callback showing what the program said: warnings and errors, or all with -v."""

    def show(messages: list[ProgramMessage]) -> None:
        for m in messages:
            if verbose or m.severity in ("warning", "error"):
                label = f"program {m.stream}" if m.stream != "log" else f"program {m.severity}"
                console.print(f"[dim]{label}:[/] {escape(m.text)}", highlight=False, soft_wrap=True)

    return show


def add_preview_command(sub: Any) -> None:
    preview = add_command(
        sub,
        "preview",
        help="run a Pulumi program under the mock runtime and show what it would create",
        description="Run a Pulumi Python program offline, as `pulumi preview` would (values "
        "the provider computes are unknown), in a temporary copy of its folder, and show the "
        "resource tree, counts per type, data-source calls and stack outputs.",
    )
    add_program_options(preview)
    preview.add_argument(
        "--json", action="store_true", help="print the captured resources as JSON instead"
    )
    preview.set_defaults(run=run_preview)


def run_preview(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cli_support import error_object
    from guardrails.tooling.program.preview import capture, load_program, render_preview
    from guardrails.tooling.project import DEFAULT_PROGRAM

    inputs = load_program(args.program or DEFAULT_PROGRAM, args.stack, args.mocks)
    if inputs.mocks_path is not None:
        err.print(
            f"data-source answers: {escape(str(inputs.mocks_path))}",
            highlight=False,
            soft_wrap=True,
        )
    try:
        result = capture(
            inputs, strict=args.strict, on_messages=messages_printer(err, args.verbose)
        )
    except GuardrailsError as exc:
        if args.json:  # the requested format, carrying the error
            sys.stdout.write(json.dumps({"error": error_object(exc)}, indent=2) + "\n")
        raise
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        render_preview(result, out)
    return EXIT_OK
