"""Estimate a program's stack: run it offline (as `preview`), turn the captured resources into
the catalog's view and price them with the shared estimator (policies.pricing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.providers import resolve_providers
from guardrails.tooling.inputs import read_json, read_yaml
from guardrails.tooling.program.preview import capture_program
from guardrails.tooling.program.record import Capture
from guardrails.tooling.project import load_project, load_stack_settings
from policies.budget_estimate import CostCenterBudget, stack_budgets
from policies.model import Resource
from policies.pricing.estimate import DEFAULT_NAMESPACE, USAGE_KEYS, StackEstimate, estimate_stack
from policies.pricing.prices import (
    AWS_BOOK,
    OCI_BOOK,
    PriceBook,
    PriceBookError,
    parse_price_book,
    read_price_book,
)
from policies.pricing.usage import NO_USAGE, Usage, UsageError, validate_usage


@dataclass
class StackCost:
    """A stack's estimate with what it was made from."""

    project: str
    stack: str
    program: str
    estimate: StackEstimate
    budgets: list[CostCenterBudget]


def read_oci_book(path: Path, flag: str = "--price-book") -> PriceBook:
    """An OCI price book read through the one input reader; GuardrailsError (exit 2) for a
    file that is not one, or a book of another provider."""
    try:
        book = parse_price_book(read_json(path, "price book"), str(path))
    except PriceBookError as exc:
        raise GuardrailsError(str(exc)) from exc
    if book.provider != "oci":
        raise GuardrailsError(
            f"{flag} {path}: a price book of provider {book.provider!r}; give an OCI price "
            f"book (the packaged one is {OCI_BOOK.name})"
        )
    return book


def load_books(oci_path: Path | None = None) -> tuple[PriceBook, PriceBook]:
    """The OCI book (given, else the packaged one) and the packaged AWS book."""
    try:
        aws = read_price_book(AWS_BOOK)
    except PriceBookError as exc:
        raise GuardrailsError(str(exc)) from exc
    return read_oci_book(oci_path or OCI_BOOK), aws


def catalog_view(capture: Capture, config: dict[str, str]) -> list[Resource]:
    """The captured resources as the policy pack sees them (provider inputs included)."""
    providers = resolve_providers(capture, config)
    out = []
    for r in capture.resources:
        provider = providers.get(r.urn)
        out.append(
            Resource(
                type=r.type,
                name=r.name,
                urn=r.urn,
                props=r.inputs,
                protect=r.protect,
                provider_props=provider.props if provider is not None else {},
                parent=r.parent,
                dependencies=tuple(r.dependencies),
            )
        )
    return out


def read_usage_file(path: Path | None) -> object:
    """The parsed usage file (validated against a stack later), or None."""
    if path is None:
        return None
    return read_yaml(path, "usage file")


def usage_for(doc: object, path: Path | None, resources: Sequence[Resource]) -> Usage:
    if path is None:
        return NO_USAGE
    try:
        return validate_usage(doc, [(r.name, r.type) for r in resources], USAGE_KEYS, str(path))
    except UsageError as exc:
        raise GuardrailsError(str(exc)) from exc


def estimate_resources(
    resources: Sequence[Resource],
    books: tuple[PriceBook, PriceBook],
    usage: Usage = NO_USAGE,
    namespace: str = DEFAULT_NAMESPACE,
) -> tuple[StackEstimate, list[CostCenterBudget]]:
    estimate = estimate_stack(resources, usage=usage, books=books, namespace=namespace)
    return estimate, stack_budgets(resources, namespace)


def estimate_programs(
    program: Path,
    stacks: Sequence[str],
    *,
    usage_path: Path | None = None,
    books: tuple[PriceBook, PriceBook] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[StackCost]:
    """Run `program` for each stack offline and price it. Raises GuardrailsError (exit 2).

    A usage file's resource names are checked against the resources of all the stacks
    together, so one file serves stacks that do not share every resource.
    """
    say = progress or (lambda _: None)
    project = load_project(program)
    settings = {stack: load_stack_settings(project, stack) for stack in stacks}  # fail fast
    doc = read_usage_file(usage_path)
    books = books or load_books()
    views = []
    for stack in stacks:
        say(f"running {project.name} / {stack} under the mock runtime")
        capture = capture_program(program, stack)
        views.append((capture, catalog_view(capture, settings[stack].config)))
    usage = usage_for(doc, usage_path, [r for _, resources in views for r in resources])
    out = []
    for capture, resources in views:
        say(f"pricing {len(resources)} resources of {capture.stack}")
        estimate, budgets = estimate_resources(resources, books, usage)
        out.append(StackCost(capture.project, capture.stack, capture.program, estimate, budgets))
    return out
