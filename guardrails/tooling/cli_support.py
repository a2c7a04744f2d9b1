"""What every `guardrails` command shares: exit codes, the parser, help layout, examples and
the exit-code epilog, and argument types that refuse what argparse would let through.

    sub = parser.add_subparsers(...)
    cmd = add_command(sub, "report", help="...", description="...",
                      failed="the spend is over budget",          # what exit 1 means here
                      example="guardrails cost report --stack prod")
    cmd.add_argument("--since", default="30d", help="start of the period")  # default shown
    cmd.add_argument("--timeout", type=seconds(maximum=86_400), default=60, help="...")

Help lines show each option's default once (`HelpFormatter`), and the epilog lists an
example and the exit codes. A bad command line is one `error:` line and exit 2, as every
other bad input. The top-level `guardrails` command maps GuardrailsError to 2, an unexpected
exception to 3 (a bug in guardrails; the trace goes to a file) and Ctrl-C to 130.
"""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from guardrails.runtime.errors import GuardrailsError, ProgramError

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_FAILED = EXIT_VIOLATIONS  # 1 also means an action failed (cost enforce, fleet, layer)
EXIT_ERROR = 2
EXIT_INTERNAL = 3  # a bug in guardrails (pytest's convention): CI can tell it from bad input
EXIT_INTERRUPTED = 130


class ArgumentParser(argparse.ArgumentParser):
    """A bad command line is one line on stderr and exit 2, like any other bad input (not
    argparse's usage block): `error: guardrails check: argument --format: invalid choice`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions and epilogs as written; every option with a help line shows its default
    once: the formatter adds `(default: X)` unless the help line already says what the
    default is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or action.default == []:
            return text
        if "default" in text:
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
    lines += [
        f"  2    {error}",
        "  3    internal error: a bug in guardrails (the message names the file with the trace)",
        "  130  interrupted (Ctrl-C)",
    ]
    return "\n".join(lines)


def add_command(
    subparsers: Any,
    name: str,
    *,
    help: str,
    example: str | Sequence[str],
    description: str | None = None,
    ok: str = "success",
    failed: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand with a description, defaults in its help lines, an example and the exit
    codes."""
    examples = [example] if isinstance(example, str) else list(example)
    block = "examples:" if len(examples) > 1 else "example:"
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=textwrap.fill(description or help[:1].upper() + help[1:] + ".", 88),
        epilog="\n".join([block, *(f"  {e}" for e in examples), "", exit_codes_epilog(ok, failed)]),
        formatter_class=HelpFormatter,
    )
    return parser


def deprecated_alias(parser: argparse.ArgumentParser, old: str, new: str, **kwargs: Any) -> None:
    """`old` as a hidden alias of `new` (same destination), kept for scripts written before
    the options had one name across commands; using it prints a warning."""

    class _Warn(argparse.Action):
        def __call__(
            self,
            parser: argparse.ArgumentParser,
            namespace: argparse.Namespace,
            values: Any,
            option_string: str | None = None,
        ) -> None:
            import sys

            sys.stderr.write(f"warning: {old} is deprecated; use {new}\n")
            setattr(namespace, self.dest, self.const if self.nargs == 0 else values)

    parser.add_argument(old, action=_Warn, help=argparse.SUPPRESS, **kwargs)


def number(
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    unit: str = "",
) -> Callable[[str], float]:
    """An argparse type for a finite number within bounds (`above`: exclusive lower bound):
    `--timeout nan` or `inf` is refused when the command line is read."""
    bounds = [
        f"> {above:g}" if above is not None else None,
        f">= {minimum:g}" if minimum is not None else None,
        f"<= {maximum:g}" if maximum is not None else None,
    ]
    wanted = "a number" + (f" of {unit}" if unit else "")
    wanted += "".join(f" {b}" for b in bounds if b)

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted} (got {text!r})") from None
        if (
            not math.isfinite(value)
            or (above is not None and value <= above)
            or (minimum is not None and value < minimum)
            or (maximum is not None and value > maximum)
        ):
            raise argparse.ArgumentTypeError(f"must be {wanted} (got {text})")
        return value

    parse.__name__ = "number"  # argparse names the type in messages
    return parse


def seconds(*, maximum: float, allow_zero: bool = False) -> Callable[[str], float]:
    """A number of seconds: finite, > 0 (>= 0 with `allow_zero`), at most `maximum`."""
    if allow_zero:
        return number(minimum=0, maximum=maximum, unit="seconds")
    return number(above=0, maximum=maximum, unit="seconds")


def exit_code_of(exc: BaseException) -> int:
    """2 for what the user can fix (GuardrailsError), 3 for anything else: a bug in guardrails."""
    return EXIT_ERROR if isinstance(exc, GuardrailsError) else EXIT_INTERNAL


def error_object(exc: BaseException) -> dict[str, Any]:
    """The `error` object of a JSON or SARIF report when a command could not run (exit 2 or,
    for a bug in guardrails, 3)."""
    doc: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, ProgramError):
        doc.update(type=exc.exc_type, location=exc.location, traceback=exc.traceback_text or None)
    return doc
