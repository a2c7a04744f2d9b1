"""How one cost file becomes rows of the store: its header, its reader and its SQL.

Every source file (a classic cost report or a FOCUS file) is read by DuckDB itself, with the
columns named up front (no sniffing), so a file is parsed once, in DuckDB's threads. A
`FileShape` says which SQL turns the file's columns into the store's line columns:
`provider, day, service, currency, billed, effective, ref, back, tagset`, and which SQL lists
its distinct tag sets (`tagset, tags` as a JSON object text). Files with the same shape are
read in one query.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
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
class FileShape:
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
    amount_columns: tuple[str, ...] = ()
    """The file's own names of its cost columns (checked line by line on a bad amount)."""
    tags_column: str | None = None
    """The file's own name of a column holding the tag set as JSON (FOCUS `Tags`)."""
    note: str | None = None
    """What a reader of the report should know about this file (e.g. no tags at all)."""
    tenancy: str = "NULL::VARCHAR"
    """Expression: the OCI tenancy a line belongs to (NULL for other providers' lines)."""
    columns: tuple[str, ...] = ()
    """The file's columns, in order (a reader other than the shape's own types them)."""
    nulls: tuple[str, ...] = ("",)
    """Texts that mean no value in the file's CSV."""


MAX_LINE_AMOUNT = 1e12
"""No real cost line is this large (in any currency): a larger one is a broken export."""


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
        # utf-8-sig: a byte-order mark is not part of the first column's name
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
                first = handle.readline()
                handle.read(1 << 16)  # a truncated or corrupt stream fails here, not mid-load
        else:
            with path.open(encoding="utf-8-sig", newline="") as handle:
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


def require_columns(
    path: Path | str, header: Sequence[str], required: Sequence[str], what: str
) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise GuardrailsError(
            f"{path}: not a {what}: missing required column(s) {', '.join(missing)}"
        )


def csv_reader(header: Sequence[str], numeric: Sequence[str], nulls: Sequence[str] = ("",)) -> str:
    """read_csv with every column typed up front (VARCHAR unless numeric); `nulls` are the
    texts that mean no value."""
    columns = ", ".join(
        f"{literal(c)}: {literal('DOUBLE' if c in numeric else 'VARCHAR')}" for c in header
    )
    null_list = "[" + ", ".join(literal(n) for n in nulls) + "]"
    return (
        "read_csv({files}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', filename = true, nullstr = {null_list}, columns = {{{columns}}})"
    )


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV or CSV.gz file, the header being line 1."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, row


def first_line_where(
    path: Path, column: str, bad: Callable[[str | None], bool]
) -> tuple[int, str | None] | None:
    """The first line (number, value) whose `column` value is `bad`: for messages only, on
    the error path (a Parquet file's "line" is its row number, from 1)."""
    if path.suffix.lower() == ".parquet":
        import duckdb

        con = duckdb.connect()
        try:
            rows = con.execute(
                f"SELECT file_row_number + 1, CAST({quote(column)} AS VARCHAR) FROM "
                f"read_parquet({literal(str(path))}, file_row_number = true) ORDER BY 1"
            ).fetchall()
        finally:
            con.close()
        return next(((int(n), v) for n, v in rows if bad(v)), None)
    return next(((n, row.get(column)) for n, row in _csv_rows(path) if bad(row.get(column))), None)


def bad_amount(value: str | None) -> bool:
    """A cost text that is not a finite number no larger than MAX_LINE_AMOUNT."""
    if value is None or value.strip() in ("", "NULL"):
        return False
    try:
        amount = float(value)
    except ValueError:
        return True
    return not math.isfinite(amount) or abs(amount) > MAX_LINE_AMOUNT


_CSV_ERROR = re.compile(r"CSV Error on Line: (\d+)")
_COLUMN = re.compile(r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to')
_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def duckdb_words(text: str) -> str | None:
    """Our words for DuckDB's CSV error (file, line, column, value), or None when the
    text is not one."""
    line = _CSV_ERROR.search(text)
    where = _FILE.search(text)
    if line is None or where is None:
        return None
    if column := _COLUMN.search(text):
        what = f"column {column.group(1)}: {column.group(2)!r} is not a number"
    elif count := _COUNT.search(text):
        what = f"{count.group(2)} fields where the header has {count.group(1)} columns"
    elif "unterminated quote" in text:
        what = "a quoted value that never ends"
    else:
        what = "not valid CSV"
    return f"{where.group(1).strip()}: line {line.group(1)}: {what}"
