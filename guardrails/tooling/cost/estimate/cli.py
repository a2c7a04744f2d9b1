"""`guardrails cost estimate|diff|prices`: cost before deploy on the command line.

    guardrails cost estimate [--stack prod] [--program DIR] [--usage FILE]
                             [--format table|json|markdown] [--output FILE]
    guardrails cost diff --base REF|FILE [--stack ...] [--format markdown|json]
    guardrails cost prices [--refresh] [--currency EUR]

This module reads the command line into typed requests; `commands.py` runs them. The
estimator runs programs through the gate's machinery (capture, providers), so it is imported
when a command runs, not when `guardrails` builds its parser: every other command
(`cost report` first) would otherwise pay for Pulumi's runtime at start-up.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.tooling.cli_support import add_command


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        "-s",
        action="append",
        help="stack to estimate (repeat for several; default: every stack with a settings file)",
    )
    parser.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: found from here up, as pulumi does)",
    )
    parser.add_argument(
        "--usage", type=Path, default=None, help="usage file (YAML) for usage-based prices"
    )
    parser.add_argument(
        "--price-book",
        type=Path,
        default=None,
        help="OCI price book JSON (default: the packaged, dated snapshot)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the report to this file (default: the console)",
    )


def add_estimate_commands(cost_subparsers: Any) -> None:
    """Register `estimate`, `diff` and `prices` under `guardrails cost`."""
    estimate = add_command(
        cost_subparsers,
        "estimate",
        help="monthly cost of a program's stacks per resource and cost center",
        example=[
            "guardrails cost estimate --stack prod",
            "guardrails cost estimate --stack dev --usage usage.yaml --format json -o dev.json",
        ],
    )
    _common(estimate)
    estimate.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format"
    )
    estimate.set_defaults(run=_run_estimate)

    diff = add_command(
        cost_subparsers,
        "diff",
        help="cost of the working tree against a git ref or a saved JSON estimate",
        example=[
            "guardrails cost diff --base origin/main --stack prod",
            "guardrails cost diff --base dev.json --stack dev --format json",
        ],
    )
    _common(diff)
    diff.add_argument(
        "--base",
        required=True,
        help="git ref of the program, or a saved `cost estimate --format json` file of the "
        "same stacks",
    )
    diff.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="output format"
    )
    diff.set_defaults(run=_run_diff)

    prices = add_command(
        cost_subparsers,
        "prices",
        help="show the OCI price book, or refresh it from Oracle's price list API",
        example=["guardrails cost prices", "guardrails cost prices --refresh --currency EUR"],
    )
    prices.add_argument("--refresh", action="store_true", help="update the book from the API")
    prices.add_argument(
        "--currency", default=None, help="currency of the refreshed book (default: USD)"
    )
    prices.add_argument(
        "--api-url",
        default=None,
        help="price list API to refresh from, e.g. a mirror (default: Oracle's public API)",
    )
    prices.add_argument(
        "--price-book",
        type=Path,
        default=None,
        help="book to show or update (default: the packaged snapshot)",
    )
    prices.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format"
    )
    prices.set_defaults(run=_run_prices)


def estimate_request(args: argparse.Namespace) -> Any:
    from guardrails.tooling.cost.estimate.commands import EstimateRequest

    return EstimateRequest(
        program=args.program,
        stacks=tuple(args.stack or ()),
        usage=args.usage,
        price_book=args.price_book,
        format=args.format,
        output=args.output,
    )


def _run_estimate(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.commands import run_estimate

    return run_estimate(estimate_request(args), out, err)


def _run_diff(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.commands import DiffRequest, run_diff

    return run_diff(DiffRequest(estimate_request(args), args.base), out, err)


def _run_prices(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.commands import PricesRequest, run_prices

    request = PricesRequest(
        price_book=args.price_book,
        refresh=args.refresh,
        currency=args.currency,
        api_url=args.api_url,
        format=args.format,
    )
    return run_prices(request, out, err)
