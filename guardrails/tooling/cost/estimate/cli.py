"""`guardrails cost estimate|diff|prices`: cost before deploy on the command line.

    guardrails cost estimate [--stack prod] [--program DIR] [--usage FILE]
                             [--format table|json|markdown] [--output FILE]
    guardrails cost diff --base REF|FILE [--stack ...] [--format markdown|json|table]
    guardrails cost prices [--refresh] [--currency EUR]

Exit codes: 0 done, 2 bad input or could not run (nothing written).

The estimator runs programs through the gate's machinery (capture, providers), so its
modules are imported when a command runs, not when `guardrails` builds its parser: every
other command (`cost report` first) would otherwise pay for Pulumi's runtime at start-up.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_OK, add_command
from guardrails.tooling.project import DEFAULT_PROGRAM, load_project
from policies.pricing.prices import OCI_BOOK


def _program(args: argparse.Namespace) -> Path:
    if args.program is not None:
        return Path(args.program)
    return DEFAULT_PROGRAM


def _stacks(program: Path, chosen: Sequence[str] | None) -> list[str]:
    stacks = list(chosen or load_project(program).stacks())
    if not stacks:
        raise GuardrailsError(f"{program}: no stack settings file (Pulumi.<stack>.yaml)")
    return stacks


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        "-s",
        action="append",
        help="stack to estimate (repeat for several; default: every stack with a settings file)",
    )
    parser.add_argument("--program", type=Path, default=None, help="folder holding Pulumi.yaml")
    parser.add_argument(
        "--usage", type=Path, default=None, help="usage file (YAML) for usage-based prices"
    )
    parser.add_argument(
        "--price-book",
        type=Path,
        default=None,
        help="OCI price book JSON (default: the packaged, dated snapshot)",
    )
    parser.add_argument("--output", "-o", type=Path, default=None, help="write the report here")


def add_estimate_commands(cost_subparsers: Any) -> None:
    """Register `estimate`, `diff` and `prices` under `guardrails cost`."""
    estimate = add_command(
        cost_subparsers,
        "estimate",
        help="monthly cost of a program's stacks per resource and cost center",
    )
    _common(estimate)
    estimate.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format"
    )
    estimate.set_defaults(run=run_estimate)

    diff = add_command(
        cost_subparsers,
        "diff",
        help="cost of the working tree against a git ref or a saved JSON estimate",
    )
    _common(diff)
    diff.add_argument(
        "--base", required=True, help="git ref of the program, or a saved estimate JSON file"
    )
    diff.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="output format"
    )
    diff.set_defaults(run=run_diff)

    prices = add_command(
        cost_subparsers,
        "prices",
        help="show the OCI price book, or refresh it from Oracle's price list API",
    )
    prices.add_argument("--refresh", action="store_true", help="update the book from the API")
    prices.add_argument("--currency", default=None, help="currency of the refreshed book (USD)")
    prices.add_argument("--api-url", default=None, help=argparse.SUPPRESS)
    prices.add_argument("--price-book", type=Path, default=None, help="book to show or update")
    prices.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    prices.set_defaults(run=run_prices)


def _estimate_doc(
    program: Path,
    stacks: Sequence[str],
    usage: Path | None,
    book: Path | None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from guardrails.tooling.cost.estimate.report import estimate_json
    from guardrails.tooling.cost.estimate.run import estimate_programs, load_books

    books = load_books(book)
    costs = estimate_programs(program, stacks, usage_path=usage, books=books, progress=progress)
    if not costs:
        doc = estimate_json([])
        doc["currency"] = books[0].currency
        return doc
    return estimate_json(costs)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise GuardrailsError(f"{output}: cannot write the report ({exc.strerror})") from exc


def _check_inputs(args: argparse.Namespace) -> None:
    if args.usage is not None and not args.usage.is_file():
        raise GuardrailsError(f"{args.usage}: usage file not found")
    if args.price_book is not None and not args.price_book.is_file():
        raise GuardrailsError(f"{args.price_book}: price book not found")


@contextmanager
def _status(err: Console) -> Iterator[Callable[[str], None] | None]:
    """A status line on a terminal; nothing in logs and pipes."""
    with err.status("starting", spinner="dots") if err.is_terminal else nullcontext() as status:
        yield status.update if status is not None else None


def run_estimate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.report import render_markdown, render_table

    _check_inputs(args)
    program = _program(args)
    stacks = _stacks(program, args.stack)
    with _status(err) as say:
        doc = _estimate_doc(program, stacks, args.usage, args.price_book, say)
    if args.format == "json":
        _emit(json.dumps(doc, indent=2) + "\n", args.output)
    elif args.format == "markdown":
        _emit(render_markdown(doc), args.output)
    elif args.output is not None:
        with args.output.open("w", encoding="utf-8") as handle:
            render_table(doc, Console(file=handle, width=160, emoji=False))
    else:
        render_table(doc, out)
    return EXIT_OK


def run_diff(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.diff import (
        base_from_ref,
        diff_documents,
        load_estimate_file,
        render_diff_markdown,
    )

    _check_inputs(args)
    program = _program(args)
    stacks = _stacks(program, args.stack)
    base_path = Path(args.base)
    with _status(err) as say:
        if base_path.is_file():
            base = load_estimate_file(base_path)
        else:
            base = base_from_ref(
                program,
                args.base,
                stacks,
                lambda where, present: _estimate_doc(
                    where, present, args.usage, args.price_book, say
                ),
            )
        current = _estimate_doc(program, stacks, args.usage, args.price_book, say)
    doc = diff_documents(base, current)
    if args.format == "json":
        _emit(json.dumps(doc, indent=2) + "\n", args.output)
    else:
        _emit(render_diff_markdown(doc), args.output)
    return EXIT_OK


def run_prices(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.run import load_books

    path = args.price_book or OCI_BOOK
    if args.price_book is not None and not path.is_file():
        raise GuardrailsError(f"{path}: price book not found")
    if args.currency is not None and not args.refresh:
        raise GuardrailsError("--currency applies to --refresh (the book is in one currency)")
    if args.refresh:
        from guardrails.tooling.cost.estimate.price_refresh import (
            PRICE_LIST_URL,
            refresh_price_book,
        )

        result = refresh_price_book(path, args.currency or "USD", args.api_url or PRICE_LIST_URL)
        out.print(
            f"{path}: {len(result.updated)} parts updated from {result.items_read} price list "
            f"items ({result.currency})",
            markup=False,
        )
        for number, (old, new) in sorted(result.changed.items()):
            out.print(f"  {number}: {old:g} -> {new:g}", markup=False)
        for number in result.missing:
            err.print(
                f"warning: part {number} is not in the price list; its old price is kept",
                markup=False,
            )
    book, _ = load_books(path)
    if args.format == "json":
        sys.stdout.write(path.read_text(encoding="utf-8"))
        return EXIT_OK
    table = Table(title=f"OCI price book {book.date} ({book.currency}) - {book.source}")
    for column in ("part", "name", "metric", "prices", "basis"):
        table.add_column(column)
    for part in book.parts.values():
        tiers = "; ".join(
            f"{t.value:g}" + (f" ({t.lower:g}-{t.upper:g})" if t.upper is not None else
                              f" (from {t.lower:g})" if t.lower else "")
            for t in part.tiers
        )  # fmt: skip
        table.add_row(
            *(escape(x) for x in (part.number, part.display_name, part.metric, tiers, part.basis))
        )
    out.print(table)
    return EXIT_OK
