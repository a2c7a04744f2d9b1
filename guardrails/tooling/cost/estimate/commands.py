"""`guardrails cost estimate|diff|prices` once their command line is read: typed requests in,
the report out (to the console, or atomically to `--output` after the output guard)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_OK
from guardrails.tooling.cost.estimate.report import render_markdown, render_table
from guardrails.tooling.cost.estimate.run import estimate_programs, load_books
from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs, write_report
from guardrails.tooling.project import Project, default_program, load_project
from policies.pricing.prices import OCI_BOOK

FILE_WIDTH = 160
"""Width of a table written to a file."""


@dataclass(frozen=True)
class EstimateRequest:
    """`cost estimate`: which program and stacks, with which usage and prices, to where."""

    program: Path | None = None
    """None: found from the current folder up (`project.default_program`)."""
    stacks: tuple[str, ...] = ()
    """Empty: every stack with a settings file."""
    usage: Path | None = None
    price_book: Path | None = None
    format: str = "table"
    output: Path | None = None

    @property
    def program_dir(self) -> Path:
        return self.program or default_program()


@dataclass(frozen=True)
class DiffRequest:
    """`cost diff`: the estimate now against `base` (a git ref, or a saved estimate file)."""

    estimate: EstimateRequest
    base: str


@dataclass(frozen=True)
class PricesRequest:
    """`cost prices`: show the OCI price book, or refresh it first."""

    price_book: Path | None = None
    refresh: bool = False
    currency: str | None = None
    api_url: str | None = None
    format: str = "table"


def _stacks(project: Project, chosen: Sequence[str]) -> list[str]:
    stacks = list(chosen or project.stacks())
    if not stacks:
        raise GuardrailsError(f"{project.root}: no stack settings file (Pulumi.<stack>.yaml)")
    return stacks


def _inputs(request: EstimateRequest, project: Project | None) -> list[Input]:
    inputs = [
        Input("program", request.program_dir, program=True),
        Input("usage file", request.usage),
        Input("price book", request.price_book),
    ]
    if project is not None:
        inputs += [
            Input("program", project.main.parent, program=True),
            Input("stack settings folder", project.stack_config_dir, program=True),
        ]
    return inputs


def _guarded(request: EstimateRequest, extra: Sequence[Input] = ()) -> tuple[Project, list[str]]:
    """The project and stacks, once the output is known not to clash with any input."""
    output = [
        Output(
            "--output",
            request.output,
            REPORT_KINDS[request.format],
            what=f"{request.format} report",
        )
    ]
    guard_outputs(output, [*_inputs(request, None), *extra])
    project = load_project(request.program_dir)
    guard_outputs(output, [*_inputs(request, project), *extra])
    return project, _stacks(project, request.stacks)


@contextmanager
def _status(err: Console) -> Iterator[Callable[[str], None] | None]:
    """A status line on a terminal; nothing in logs and pipes."""
    with err.status("starting", spinner="dots") if err.is_terminal else nullcontext() as status:
        yield status.update if status is not None else None


def _estimate_doc(
    program: Path,
    stacks: Sequence[str],
    request: EstimateRequest,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from guardrails.tooling.cost.estimate.report import estimate_json

    books = load_books(request.price_book)
    costs = estimate_programs(
        program, stacks, usage_path=request.usage, books=books, progress=progress
    )
    doc = estimate_json(costs)
    if not costs:
        doc["currency"] = books[0].currency
    return doc


def _emit(text: str, output: Path | None, out: Console) -> None:
    if output is None:
        out.file.write(text)
    else:
        write_report(output, text)


def _table_text(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    render_table(doc, Console(file=buffer, width=FILE_WIDTH, emoji=False, color_system=None))
    return buffer.getvalue()


def run_estimate(request: EstimateRequest, out: Console, err: Console) -> int:
    project, stacks = _guarded(request)
    with _status(err) as say:
        doc = _estimate_doc(project.root, stacks, request, say)
    if request.format == "json":
        _emit(json.dumps(doc, indent=2) + "\n", request.output, out)
    elif request.format == "markdown":
        _emit(render_markdown(doc), request.output, out)
    elif request.output is not None:
        write_report(request.output, _table_text(doc))
    else:
        render_table(doc, out)
    return EXIT_OK


def _check_base(base: dict[str, Any], names: Sequence[str], currency: str, path: Path) -> None:
    """A saved estimate must be of the stacks diffed (`project/stack` names), in the book's
    currency: else every resource would read as added, or amounts in two currencies as a
    change. Checked before any program runs."""
    have = {p.get("name") for p in base["projects"] if isinstance(p, dict)}
    missing = [name for name in names if name not in have]
    if missing:
        held = ", ".join(sorted(str(h) for h in have)) or "no stack"
        raise GuardrailsError(
            f"--base {path}: an estimate of {held}, not of {', '.join(missing)}; save the base "
            "with `guardrails cost estimate --format json` for the same stacks"
        )
    if base.get("currency") != currency:
        raise GuardrailsError(
            f"--base {path}: amounts in {base.get('currency')}, the price book is in "
            f"{currency}; compare estimates in one currency"
        )


def run_diff(request: DiffRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.estimate.diff import (
        base_from_ref,
        diff_documents,
        load_estimate_file,
        render_diff_markdown,
    )

    estimate = request.estimate
    base_path = Path(request.base)
    base_file = base_path if base_path.is_file() else None
    project, stacks = _guarded(estimate, [Input("base estimate", base_file)])
    if base_file is not None:
        base = load_estimate_file(base_file)
        currency = load_books(estimate.price_book)[0].currency
        _check_base(base, [f"{project.name}/{s}" for s in stacks], currency, base_file)
    with _status(err) as say:
        if base_file is None:
            base = base_from_ref(
                project.root,
                request.base,
                stacks,
                lambda where, present: _estimate_doc(where, present, estimate, say),
            )
        current = _estimate_doc(project.root, stacks, estimate, say)
    doc = diff_documents(base, current)
    if estimate.format == "json":
        _emit(json.dumps(doc, indent=2) + "\n", estimate.output, out)
    else:
        _emit(render_diff_markdown(doc), estimate.output, out)
    return EXIT_OK


def run_prices(request: PricesRequest, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_table

    path = request.price_book or OCI_BOOK
    if request.currency is not None and not request.refresh:
        raise GuardrailsError("--currency applies to --refresh (the book is in one currency)")
    if request.api_url is not None and not request.refresh:
        raise GuardrailsError("--api-url applies to --refresh")
    if request.refresh:
        from guardrails.tooling.cost.estimate.price_refresh import (
            PRICE_LIST_URL,
            refresh_price_book,
        )

        guard_outputs([Output("--price-book", path, REPORT_KINDS["json"], what="price book")])
        result = refresh_price_book(
            path, request.currency or "USD", request.api_url or PRICE_LIST_URL
        )
        err.print(
            f"{path}: {len(result.updated)} parts updated from {result.items_read} price list "
            f"items ({result.currency})",
            markup=False,
        )
        for number, (old, new) in sorted(result.changed.items()):
            err.print(f"  {number}: {old:g} -> {new:g}", markup=False)
        for number in result.missing:
            err.print(
                f"warning: part {number} is not in the price list; its old price is kept",
                markup=False,
            )
    book, _ = load_books(path)
    if request.format == "json":
        from guardrails.tooling.inputs import read_text

        out.file.write(read_text(path, "price book"))
        return EXIT_OK
    rows = []
    for part in book.parts.values():
        tiers = "; ".join(
            f"{t.value:g}" + (f" ({t.lower:g}-{t.upper:g})" if t.upper is not None else
                              f" (from {t.lower:g})" if t.lower else "")
            for t in part.tiers
        )  # fmt: skip
        rows.append(
            {
                "part": part.number,
                "name": part.display_name,
                "metric": part.metric,
                "prices": tiers,
                "basis": part.basis,
            }
        )
    print_table(
        rows,
        ("part", "name", "metric", "prices", "basis"),
        out,
        title=f"OCI price book {book.date} ({book.currency}) - {book.source}",
        wrap=("name", "metric", "basis"),
    )
    return EXIT_OK
