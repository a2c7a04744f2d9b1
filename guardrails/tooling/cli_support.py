"""What every `guardrails` command shares: exit codes, help layout and the exit-code epilog.

    sub = parser.add_subparsers(...)
    cmd = add_command(sub, "report", help="...", description="...",
                      failed="the spend is over budget")   # what exit 1 means here
    cmd.add_argument("--since", default="30d", help="start of the period")  # default shown

Help lines show each option's default (`HelpFormatter`), and the epilog lists the exit
codes. The top-level `guardrails` command maps GuardrailsError to 2, Ctrl-C to 130 and any
other exception to 2 with the trace written to a file (never 1: 1 means violations only).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from guardrails.runtime.errors import ProgramError

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_FAILED = EXIT_VIOLATIONS  # 1 also means an action failed (cost enforce, fleet, layer)
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; every option with a help line shows its default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or action.default == []:
            return text
        return super()._get_help_string(action)


def exit_codes_epilog(
    ok: str = "success",
    failed: str | None = None,
    error: str = "bad input or could not run (one line on stderr says why)",
) -> str:
    """The `exit codes:` block of a command's help."""
    lines = ["exit codes:", f"  0    {ok}"]
    if failed:
        lines.append(f"  1    {failed}")
    lines += [f"  2    {error}", "  130  interrupted (Ctrl-C)"]
    return "\n".join(lines)


def add_command(
    subparsers: Any,
    name: str,
    *,
    help: str,
    description: str | None = None,
    ok: str = "success",
    failed: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand with a description, defaults in its help lines and the exit codes."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(description or help[:1].upper() + help[1:] + ".", 88),
        epilog=exit_codes_epilog(ok, failed),
        formatter_class=HelpFormatter,
    )
    return parser


def error_object(exc: BaseException) -> dict[str, Any]:
    """The `error` object of a JSON or SARIF report when a command could not run (exit 2)."""
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ProgramError):
        doc.update(type=exc.exc_type, location=exc.location, traceback=exc.traceback_text or None)
    return doc
