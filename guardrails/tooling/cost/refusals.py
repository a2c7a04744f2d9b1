"""What loading cost data refuses, in the words both engines use: a cost no real line has,
a tag set that is not a JSON object, a copy of a file already counted, a provider in two
currencies. Each names the file and, where the file is on this machine, its line (found by
reading the file again: only on this error path)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.sources.file_shape import (
    MAX_LINE_AMOUNT,
    FileShape,
    bad_amount,
    first_line_where,
)


def _local(path: Path) -> bool:
    """A file this process can read again (not an object-storage URI Spark read)."""
    return "://" not in str(path) and path.exists()


def refuse_bad_amount(shape: FileShape, path: Path) -> None:
    """Non-finite costs (NaN, infinity) and magnitudes no real line has."""
    if _local(path):
        for column in shape.amount_columns:
            found = first_line_where(path, column, bad_amount)
            if found is not None:
                raise GuardrailsError(
                    f"{path}: line {found[0]}: {column} {found[1]!r} is not a cost a line "
                    f"can have (a finite number of at most {MAX_LINE_AMOUNT:g})"
                )
    raise GuardrailsError(f"{path}: a cost is not finite or larger than {MAX_LINE_AMOUNT:g}")


def _not_an_object(value: str | None) -> bool:
    text = (value or "").strip()
    if text in ("", "NULL"):
        return False
    try:
        return not isinstance(json.loads(text), dict)
    except ValueError:
        return True


def refuse_bad_tags(shape: FileShape, path: Path) -> None:
    """A tag set that is not a JSON object (`{not json`, `[1,2,3]`)."""
    assert shape.tags_column is not None
    found = first_line_where(path, shape.tags_column, _not_an_object) if _local(path) else None
    where = f"line {found[0]}: " if found else ""
    value = f" {found[1]!r}" if found else ""
    raise GuardrailsError(
        f"{path}: {where}{shape.tags_column}{value} is not a JSON object of tag keys and values"
    )


def refuse_repeated_references(
    first: str,
    second: str,
    lines: int,
    remedy: str = "(`guardrails cost store forget` removes a loaded file)",
) -> None:
    """Line references are unique across files: a file repeating another's is a copy or an
    edited copy, which would count twice. Which one is right is the user's call."""
    raise GuardrailsError(
        f"{second}: {lines} line(s) repeat the line references of {first} "
        f"(a copy or an edited copy: its spend would count twice); load one of them {remedy}"
    )


def refuse_mixed_currencies(
    kind: str, mixed: Sequence[tuple[str, str]], remedy: str = "(a store per tenancy: --store)"
) -> None:
    """One provider's spend in several currencies cannot be added up."""
    if mixed:
        what = "; ".join(f"{p.upper()} lines in {c}" for p, c in mixed)
        raise GuardrailsError(
            f"wrong currency mix in the {kind} data: {what}; one provider's spend must "
            f"be in one currency {remedy}"
        )
