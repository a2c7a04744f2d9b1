"""Terminal pieces every command shares: the progress bar, a countdown, and rows printed
as a table, CSV or JSON (the same data for people and for scripts).

Tables never cut an id, a name or an amount, on a terminal, in a pipe or in a CI log (rich
assumes 80 columns there): `print_table` keeps such columns whole and lets only free-text
columns wrap, and when even that does not fit the width, prints one block per row instead
(the layout the gate's report uses on a narrow terminal).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class RichProgress:
    """Phases of long work as one progress bar; silent when not writing to a terminal."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<26}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def phase(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


def countdown(console: Console) -> Callable[[float], None]:
    """A `sleep` that shows the time left as a bar in a terminal (the rollout's bake)."""

    def sleep(seconds: float) -> None:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("baking before reading the alarm", total=seconds)
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                time.sleep(min(1.0, left))
                progress.update(task, completed=seconds - max(0.0, end - time.monotonic()))

    return sleep


_CELL_PADDING = 3  # rich's separator and padding per column
_MIN_WRAPPED = 16  # narrowest a wrapping column may get


def _fits(
    rows: Sequence[Sequence[str]], columns: Sequence[str], wrap: set[str], width: int
) -> bool:
    needed = 4  # the table's edges
    for index, column in enumerate(columns):
        longest = max([len(column), *(len(line) for r in rows for line in r[index].split("\n"))])
        needed += _CELL_PADDING + (min(longest, _MIN_WRAPPED) if column in wrap else longest)
    return needed <= width


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    console: Console,
    *,
    title: str = "",
    wrap: Sequence[str] = (),
    right: Sequence[str] = (),
    group: bool = False,
) -> None:
    """Rows (plain text) as a table whose cells are never cut: only the `wrap` columns (free
    text) may wrap; if the others do not fit the console's width, one block per row (its
    first column, then `column: value` lines). `right`: right-aligned columns (amounts);
    `group`: rows with the first cell of the row before show it once (a resource's parts)."""
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    if not cells or _fits(cells, columns, set(wrap), console.width):
        table = Table(title=escape(title) if title else None, title_justify="left")
        for column in columns:
            table.add_column(
                escape(column),
                justify="right" if column in right else "left",
                no_wrap=column not in wrap,
                overflow="fold" if column in wrap else "ignore",
            )
        previous = None
        for row_cells in cells:
            first = "" if group and row_cells[0] == previous else row_cells[0]
            previous = row_cells[0]
            table.add_row(escape(first), *(escape(c) for c in row_cells[1:]))
        console.print(table)
        return
    if title:
        console.print(title, markup=False, highlight=False, soft_wrap=True)
    previous = None
    for row_cells in cells:
        if not (group and row_cells[0] == previous):
            console.print(f"  {row_cells[0]}", markup=False, highlight=False, soft_wrap=True)
        elif group:
            console.print("    --", markup=False, highlight=False)
        previous = row_cells[0]
        for column, value in zip(columns[1:], row_cells[1:], strict=True):
            if value:
                console.print(
                    f"    {column}: {value}", markup=False, highlight=False, soft_wrap=True
                )


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    console: Console,
    *,
    title: str = "",
    wrap: Sequence[str] = (),
) -> None:
    """Rows as a table, CSV or JSON: the same data for people and for scripts."""
    if fmt == "json":
        console.file.write(json.dumps(list(rows), indent=2, sort_keys=True, default=str) + "\n")
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([_cell(row.get(column)) for column in columns] for row in rows)
        console.file.write(buffer.getvalue())
        return
    print_table(rows, columns, console, title=title, wrap=wrap)


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
