"""The `guardrails` command line.

Exit codes (every command): 0 success (for `check`: no unsuppressed mandatory violation),
1 violations found or an action failed, 2 bad input or could not run (one line on stderr
names the cause), 3 an internal error, that is a bug in guardrails (one line naming the file
that holds its trace), 130 interrupted (Ctrl-C; child processes are ended). Whatever a
library makes of Ctrl-C (DuckDB raises its own exception, a child process dies of the
signal) is still 130: the SIGINT handler notes that it fired.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape

from guardrails.runtime.errors import GuardrailsError, ProgramError
from guardrails.tooling.audit.cli import add_audit_command
from guardrails.tooling.cli_support import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_VIOLATIONS,
    ArgumentParser,
    HelpFormatter,
    add_command,
    exit_codes_epilog,
)
from guardrails.tooling.cost.enforce.cli import add_enforce_commands
from guardrails.tooling.cost.estimate.cli import add_estimate_commands
from guardrails.tooling.cost.spend.cli import add_spend_commands
from guardrails.tooling.cost.store_cli import add_store_commands
from guardrails.tooling.fleet.cli import add_fleet_parser
from guardrails.tooling.gate.cli import add_check_command
from guardrails.tooling.layer_ops.cli import add_layer_parser
from guardrails.tooling.program.cli import add_preview_command

__all__ = ["EXIT_ERROR", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_VIOLATIONS", "main"]


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


def _build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="guardrails",
        description="Governed OCI and AWS building blocks on Pulumi: offline preview, "
        "policy gate, cost governance, Lambda layer and database fleet operations.",
        epilog="example:\n  guardrails check --stack prod\n\n"
        + exit_codes_epilog(failed="violations found, or an action failed"),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_preview_command(sub)
    add_check_command(sub)
    add_audit_command(sub)
    add_layer_parser(sub)
    cost = add_command(
        sub,
        "cost",
        help="cost governance: spend against budgets, and estimates before deploy",
        description="Cost governance: what each cost center spends against the budgets the "
        "stack declares, and what a stack will cost before it is deployed.",
        example=["guardrails cost report --stack prod", "guardrails cost estimate --stack dev"],
        failed="an action failed (cost enforce, cost unfreeze)",
    )
    cost_commands = cost.add_subparsers(dest="cost_command", required=True, metavar="COMMAND")
    add_spend_commands(cost_commands)
    add_enforce_commands(cost_commands)
    add_estimate_commands(cost_commands)
    add_store_commands(cost_commands)
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


def _internal_error(console: Console, exc: BaseException) -> int:
    """Exit 3 with a short message and where the full trace went (never 1 or 2, never a
    trace on the console)."""
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
    return EXIT_INTERNAL


@contextmanager
def _noting_interrupts() -> Iterator[threading.Event]:
    """An event set when SIGINT arrives (which still raises KeyboardInterrupt), so that an
    interrupt a library turned into its own exception is still reported as one."""
    fired = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        fired.set()
        signal.default_int_handler(signum, frame)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: nothing to install
        yield fired
        return
    try:
        yield fired
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted(err: Console) -> int:
    # Child processes (program runner, policy pack, checkov) are ended on the way out.
    err.print("interrupted", highlight=False)
    return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    out = Console(emoji=False)
    err = Console(stderr=True, emoji=False)
    run = args.run  # every command sets it: set_defaults(run=...)
    with _noting_interrupts() as interrupted:
        try:
            code: int = run(args, out, err)
            return code
        except KeyboardInterrupt:
            return _interrupted(err)
        except BrokenPipeError:
            # stdout closed early (`guardrails ... | head`): nothing more can be said there
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            err.print("error: standard output was closed before the report ended")
            return EXIT_ERROR
        except GuardrailsError as exc:
            if interrupted.is_set():
                return _interrupted(err)
            _report_error(err, exc)
            return EXIT_ERROR
        except Exception as exc:
            if interrupted.is_set():
                return _interrupted(err)
            return _internal_error(err, exc)


if __name__ == "__main__":
    sys.exit(main())
