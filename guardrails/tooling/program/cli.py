"""`guardrails preview`, and the program options `preview` and `check` share. Registering
the command imports nothing heavy: the preview runner is imported when the command runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.tooling.cli_support import add_command


def add_program_options(parser: argparse.ArgumentParser) -> None:
    """--stack, --program, --mocks, --strict, --verbose."""
    parser.add_argument(
        "--stack", "-s", default=None, help="stack name, Pulumi.<stack>.yaml (default: dev)"
    )
    parser.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: found from here up, as pulumi does)",
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


def program_options_given(args: argparse.Namespace) -> list[str]:
    """The program options given on the command line that change what a program run judges
    (for commands that also take something else than a program)."""
    given = [("--stack", args.stack), ("--program", args.program), ("--mocks", args.mocks)]
    return [flag for flag, value in given if value is not None] + (
        ["--strict"] if args.strict else []
    )


def add_preview_command(sub: Any) -> None:
    preview = add_command(
        sub,
        "preview",
        help="run a Pulumi program under the mock runtime and show what it would create",
        description="Run a Pulumi Python program offline, as `pulumi preview` would (values "
        "the provider computes are unknown), in a temporary copy of its folder, and show the "
        "resource tree, counts per type, data-source calls and stack outputs.",
        example=[
            "guardrails preview --stack prod",
            "guardrails preview --program ../my-program --stack dev --json",
        ],
    )
    add_program_options(preview)
    preview.add_argument(
        "--json", action="store_true", help="print the captured resources as JSON instead"
    )
    preview.set_defaults(run=_run)


def _run(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.program.preview import PreviewRequest, run_preview

    request = PreviewRequest(
        program=args.program,
        stack=args.stack or "dev",
        mocks=args.mocks,
        strict=args.strict,
        verbose=args.verbose,
        as_json=args.json,
    )
    return run_preview(request, out, err)
