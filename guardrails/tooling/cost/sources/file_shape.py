"""How one cost file becomes rows of the store: its header, its reader and its SQL.

Every source file (a classic cost report or a FOCUS file) is read by DuckDB itself, with the
columns named up front (no sniffing), so a file is parsed once, in DuckDB's threads. A
`FilePlan` says which SQL turns the file's columns into the store's line columns:
`provider, day, service, currency, billed, effective, ref, back, tagset`, and which SQL lists
its distinct tag sets (`tagset, tags` as a JSON object text). Files with the same plan are
read in one query.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.errors import GuardrailsError

LINE_COLUMNS = (
    "provider",
    "day",
    "service",
    "currency",
    "billed",
    "effective",
    "ref",
    "back",
    "tagset",
)


@dataclass(frozen=True)
class FilePlan:
    """The SQL that reads files of one shape into the store."""

    kind: str
    """'classic' or 'focus': which source the lines count for."""
    signature: tuple[str, ...]
    """Files with equal signatures are read by one query."""
    reader: str
    """A DuckDB table function call with `{files}` for the list of paths; it must add a
    `filename` column."""
    lines: tuple[str, ...]
    """Expressions over the reader giving LINE_COLUMNS, in order (`day` as YYYY-MM-DD
    text: the store casts it once per sum, not once per line)."""
    tag_columns: tuple[str, ...]
    """Expressions holding tag values (distinct combinations become tag sets)."""
    tags: str
    """Expression over the tag columns: the tag set as JSON object text."""
    tagset: str
    """Expression over the tag columns: the tag set's 64-bit id."""


def quote(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def path_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(literal(str(p)) for p in paths) + "]"


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV or CSV.gz file; GuardrailsError when it cannot be read."""
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
                first = handle.readline()
                handle.read(1 << 16)  # a truncated or corrupt stream fails here, not mid-load
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                first = handle.readline()
    except FileNotFoundError:
        raise GuardrailsError(f"{path}: no such file") from None
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        what = "gzip-compressed CSV" if path.name.endswith(".gz") else "CSV"
        raise GuardrailsError(f"{path}: not a readable {what} ({exc})") from None
    header = next(csv.reader(io.StringIO(first)), [])
    if not header or not any(header):
        raise GuardrailsError(f"{path}: empty file, no header line")
    return header


def require_columns(path: Path, header: Sequence[str], required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise GuardrailsError(
            f"{path}: not a {what}: missing required column(s) {', '.join(missing)}"
        )


def csv_reader(header: Sequence[str], numeric: Sequence[str]) -> str:
    """read_csv with every column typed up front (VARCHAR unless numeric)."""
    columns = ", ".join(
        f"{literal(c)}: {literal('DOUBLE' if c in numeric else 'VARCHAR')}" for c in header
    )
    return (
        "read_csv({files}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', filename = true, columns = {{{columns}}})"
    )
