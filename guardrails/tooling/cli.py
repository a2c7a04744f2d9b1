"""The `guardrails` command line.

Exit codes: 0 success (for `check`: no unsuppressed mandatory violation), 1 at least one
unsuppressed mandatory violation, 2 usage, config or program error (with a message naming
the cause).
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.layer_ops.cli import add_layer_parser, run_layer
from guardrails.tooling.plans.cli import add_plan_option, run_plan_check
from guardrails.tooling.preview import capture_program, render_preview

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_ERROR = 2

DEFAULT_PROGRAM = Path(__file__).resolve().parents[2]


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

    check = sub.add_parser(
        "check",
        help="the policy gate: run the program offline and evaluate every resource",
    )
    check.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    check.add_argument("--program", type=Path, default=None, help="folder holding Pulumi.yaml")
    check.add_argument(
        "--policy-config", type=Path, default=None, help="Pulumi --policy-pack-config JSON file"
    )
    check.add_argument(
        "--suppressions",
        type=Path,
        default=None,
        help="suppression ledger (default: policies/suppressions.yaml)",
    )
    add_plan_option(check)
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--output", "-o", type=Path, default=None, help="write the report here")
    check.add_argument(
        "--checkov", action="store_true", help="also scan the exported plan with checkov"
    )
    add_layer_parser(sub)
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


def _check(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.gate import DEFAULT_LEDGER, run_gate
    from guardrails.tooling.report import write

    if args.suppressions is not None and not args.suppressions.is_file():
        raise GuardrailsError(f"{args.suppressions}: suppression ledger not found")
    if args.plan is not None:
        return run_plan_check(args, out, err)
    # A status line in a terminal only; logs and pipes get the report alone.
    with err.status("starting", spinner="dots") if err.is_terminal else nullcontext() as status:
        result = run_gate(
            args.program or DEFAULT_PROGRAM,
            args.stack,
            policy_config_path=args.policy_config,
            ledger_path=args.suppressions or DEFAULT_LEDGER,
            checkov=args.checkov,
            progress=status.update if status is not None else None,
        )
    write(result, args.format, out, args.output)
    return EXIT_OK if result.passed else EXIT_VIOLATIONS


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    out = Console(emoji=False)
    err = Console(stderr=True, emoji=False)
    if args.command in ("check", "layer"):
        try:
            return (_check if args.command == "check" else run_layer)(args, out, err)
        except GuardrailsError as exc:
            _report_error(err, exc)
            return EXIT_ERROR
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
