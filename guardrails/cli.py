"""The `guardrails` command line.

Exit codes: 0 success, 2 usage, config or program error (with a message naming the cause).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from guardrails.errors import GuardrailsError, ProgramError
from guardrails.preview import capture_program, render_preview

EXIT_OK = 0
EXIT_ERROR = 2

DEFAULT_PROGRAM = Path(__file__).resolve().parent.parent


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrails",
        description="Governed OCI and AWS building blocks on Pulumi: offline preview and checks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    preview = sub.add_parser(
        "preview",
        help="run a Pulumi program under the mock runtime and show what it would create",
    )
    preview.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    preview.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: the guardrails project)",
    )
    preview.add_argument(
        "--json", action="store_true", help="print the captured resources as JSON instead"
    )
    return parser


def _report_error(console: Console, exc: GuardrailsError) -> None:
    if isinstance(exc, ProgramError):
        where = f" at {exc.location}" if exc.location else ""
        message = f"the program raised {exc.exc_type}{where}: {exc}"
    else:
        message = str(exc)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if isinstance(exc, ProgramError) and exc.traceback_text:
        # Plain text: a traceback must not be re-wrapped to the terminal width.
        console.file.write("Traceback (program frames):\n" + exc.traceback_text)


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    out = Console(emoji=False)
    err = Console(stderr=True, emoji=False)
    program = args.program or DEFAULT_PROGRAM
    try:
        capture = capture_program(program, args.stack)
    except GuardrailsError as exc:
        _report_error(err, exc)
        return EXIT_ERROR
    if args.json:
        sys.stdout.write(json.dumps(capture.to_json(), indent=2, sort_keys=True) + "\n")
    else:
        render_preview(capture, out)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
