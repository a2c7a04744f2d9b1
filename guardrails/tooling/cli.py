"""The `guardrails` command line.

Exit codes (every command): 0 success (for `check`: no unsuppressed mandatory violation),
1 violations found or an action failed, 2 bad input or could not run (one line on stderr
names the cause; an unexpected internal error is 2 too, with the file holding its trace),
130 interrupted (Ctrl-C; child processes are ended).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.cli_support import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_VIOLATIONS,
    HelpFormatter,
    add_command,
    exit_codes_epilog,
)
from guardrails.tooling.cost.enforce_cli import add_enforce_commands
from guardrails.tooling.cost.estimate_cli import add_estimate_commands
from guardrails.tooling.cost.spend_cli import add_spend_commands
from guardrails.tooling.fleet.cli import add_fleet_parser
from guardrails.tooling.layer_ops.cli import add_layer_parser
from guardrails.tooling.plans.cli import add_plan_option, run_plan_check
from guardrails.tooling.project import DEFAULT_PROGRAM

if TYPE_CHECKING:
    from guardrails.tooling.record import ProgramMessage

__all__ = ["EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_VIOLATIONS", "main"]


def version() -> str:
    from importlib import metadata  # 30 ms: only for --version and crash reports

    try:
        return metadata.version("guardrails")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0.1.0"


class _VersionAction(argparse.Action):
    """`--version`, looking the version up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        sys.stdout.write(f"guardrails {version()}\n")
        parser.exit()


def _add_program_options(parser: argparse.ArgumentParser) -> None:
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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guardrails",
        description="Governed OCI and AWS building blocks on Pulumi: offline preview, "
        "policy gate and Lambda layer operations.",
        epilog=exit_codes_epilog(failed="violations found, or an action failed"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    preview = add_command(
        sub,
        "preview",
        help="run a Pulumi program under the mock runtime and show what it would create",
        description="Run a Pulumi Python program offline, as `pulumi preview` would (values "
        "the provider computes are unknown), in a temporary copy of its folder, and show the "
        "resource tree, counts per type, data-source calls and stack outputs.",
    )
    _add_program_options(preview)
    preview.add_argument(
        "--json", action="store_true", help="print the captured resources as JSON instead"
    )
    preview.set_defaults(run=_preview)

    check = add_command(
        sub,
        "check",
        help="the policy gate: run the program offline and evaluate every resource",
        description="The policy gate: run the program offline (as `guardrails preview`), send "
        "every resource to the guardrails policy pack as the Pulumi engine would, optionally "
        "scan the exported plan with checkov, apply the suppression ledger, and decide.",
        ok="no unsuppressed mandatory violation",
        failed="at least one unsuppressed mandatory violation",
    )
    _add_program_options(check)
    check.add_argument(
        "--policy-config",
        type=Path,
        default=None,
        help="Pulumi --policy-pack-config JSON file (default: guardrails-policy-config.json "
        "in the program's folder, else the catalog's levels)",
    )
    check.add_argument(
        "--suppressions",
        type=Path,
        default=None,
        help="suppression ledger (default: guardrails-suppressions.yaml in the program's "
        "folder; for the guardrails project policies/suppressions.yaml)",
    )
    check.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="report format"
    )
    check.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the report to this file (default: the console); the verdict line "
        "still goes to the console",
    )
    add_plan_option(check)
    check.add_argument(
        "--checkov", action="store_true", help="also scan the exported plan with checkov"
    )
    check.set_defaults(run=_check)
    add_layer_parser(sub)
    cost = add_command(
        sub,
        "cost",
        help="cost governance: spend against budgets, and estimates before deploy",
        description="Cost governance: what each cost center spends against the budgets the "
        "stack declares, and what a stack will cost before it is deployed.",
    )
    cost_commands = cost.add_subparsers(dest="cost_command", required=True, metavar="COMMAND")
    add_spend_commands(cost_commands)
    add_enforce_commands(cost_commands)
    add_estimate_commands(cost_commands)
    add_fleet_parser(sub)
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


def _messages_printer(console: Console, verbose: bool) -> Callable[[list[ProgramMessage]], None]:
    """A callback showing what the program said: warnings and errors, or all with -v."""

    def show(messages: list[ProgramMessage]) -> None:
        for m in messages:
            if verbose or m.severity in ("warning", "error"):
                label = f"program {m.stream}" if m.stream != "log" else f"program {m.severity}"
                console.print(f"[dim]{label}:[/] {escape(m.text)}", highlight=False, soft_wrap=True)

    return show


def _preview(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.preview import capture, load_program, render_preview
    from guardrails.tooling.report import error_object

    inputs = load_program(args.program or DEFAULT_PROGRAM, args.stack, args.mocks)
    if inputs.mocks_path is not None:
        err.print(
            f"data-source answers: {escape(str(inputs.mocks_path))}",
            highlight=False,
            soft_wrap=True,
        )
    try:
        result = capture(
            inputs, strict=args.strict, on_messages=_messages_printer(err, args.verbose)
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


def _check(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.gate import default_ledger, default_policy_config, run_gate
    from guardrails.tooling.preview import load_program
    from guardrails.tooling.report import error_report, write
    from guardrails.tooling.textfiles import check_output_path

    if args.output is not None:
        check_output_path(args.output)  # before any work; nothing else can carry the error
    if args.plan is not None:
        return run_plan_check(args, out, err)
    program = args.program or DEFAULT_PROGRAM
    try:
        if args.suppressions is not None and not args.suppressions.is_file():
            raise GuardrailsError(f"{args.suppressions}: suppression ledger not found")
        inputs = load_program(program, args.stack, args.mocks)
        policy_config = args.policy_config or default_policy_config(inputs.project.root)
        ledger = args.suppressions or default_ledger(inputs.project.root)
        err.print(
            f"policy config: {escape(str(policy_config or 'the catalog levels'))}; "
            f"suppressions: {escape(str(ledger or 'none'))}"
            + (
                f"; data-source answers: {escape(str(inputs.mocks_path))}"
                if inputs.mocks_path
                else ""
            ),
            highlight=False,
            soft_wrap=True,
        )
        # A status line in a terminal only; logs and pipes get the report alone.
        spinner = err.status("starting", spinner="dots") if err.is_terminal else nullcontext()
        with spinner as status:
            result = run_gate(
                program,
                args.stack,
                policy_config_path=policy_config,
                ledger_path=ledger,
                checkov=args.checkov,
                strict=args.strict,
                progress=status.update if status is not None else None,
                on_messages=_messages_printer(err, args.verbose),
                inputs=inputs,
            )
    except Exception as exc:  # a report in the requested format, whatever went wrong
        text = error_report(exc, args.format, args.output, args.stack, program)
        if text is not None:
            out.file.write(text)
        raise
    write(result, args.format, out, args.output)
    return EXIT_OK if result.passed else EXIT_VIOLATIONS


def _internal_error(console: Console, exc: BaseException) -> int:
    """Exit 2 with a short message and where the full trace went (never 1, never a trace)."""
    fd, name = tempfile.mkstemp(prefix="guardrails-crash-", suffix=".txt")
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(f"guardrails {version()} {dt.datetime.now(dt.UTC).isoformat()}\n")
        handle.write(f"argv: {sys.argv!r}\n\n")
        handle.write("".join(traceback.format_exception(exc)))
    console.print(
        f"[bold red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
        f"(a bug in guardrails; full trace in {escape(name)})",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    out = Console(emoji=False)
    err = Console(stderr=True, emoji=False)
    run = args.run  # every command sets it: set_defaults(run=...)
    try:
        code: int = run(args, out, err)
        return code
    except GuardrailsError as exc:
        _report_error(err, exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        # Child processes (program runner, policy pack, checkov) are ended on the way out.
        err.print("interrupted", highlight=False)
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _internal_error(err, exc)


if __name__ == "__main__":
    sys.exit(main())
