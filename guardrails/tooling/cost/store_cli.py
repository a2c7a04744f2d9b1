"""`guardrails cost store list|check|forget`: what a cost store holds, whether it adds up,
and taking files out of it.

Every command opens the store as a run does (`store_session`: under its lock, on a copy put
in place only on success), so a damaged store is told apart from one in use, and `forget`
either forgets all it was asked to or nothing. `forget` is a dry run until `--apply`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import EXIT_OK, EXIT_VIOLATIONS, add_command
from guardrails.tooling.cost import DEFAULT_STORE


def add_store_commands(commands: Any) -> None:
    store = add_command(
        commands,
        "store",
        help="what the local cost store holds; check it; forget files or months",
        example=[
            "guardrails cost store list",
            "guardrails cost store check",
            "guardrails cost store forget --month 2026-09 --apply",
        ],
        failed="check found the store inconsistent",
    )
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    listing = add_command(
        actions,
        "list",
        help="files, months, sources and lines in the store",
        example="guardrails cost store list --format json",
    )
    listing.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    check = add_command(
        actions,
        "check",
        help="check that the store adds up (sums against lines, references unique)",
        example="guardrails cost store check",
        failed="the store does not add up (each problem is listed)",
    )
    forget = add_command(
        actions,
        "forget",
        help="take files out of the store: the next run that names them reads them again",
        example=[
            "guardrails cost store forget --file reports/part-00001.csv.gz --apply",
            "guardrails cost store forget --month 2026-09 --apply",
        ],
    )
    what = forget.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--file",
        nargs="+",
        default=None,
        help="files by path (or, downloaded, object name) as `list` shows them",
    )
    what.add_argument(
        "--month", default=None, help="YYYY-MM: every file holding lines of that month"
    )
    forget.add_argument("--apply", action="store_true", help="forget (default: dry run)")
    for parser in (listing, check, forget):
        parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="cost store")
        parser.set_defaults(run=run_store)


def _rows(files: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": f.kind,
            "file": f.name,
            "months": " ".join(f.months),
            "lines": f.lines,
            "tenancy": " ".join(f.tenancies),
            "loaded": f.loaded_at.isoformat(timespec="seconds") if f.loaded_at else "",
            "sha256": f.sha256,
        }
        for f in files
    ]


def run_store(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.console import print_rows
    from guardrails.tooling.cost.month import parse_month, today_utc
    from guardrails.tooling.cost.store import store_session

    store_path = args.store.expanduser()
    if not store_path.exists():
        raise GuardrailsError(f"cost store {store_path}: no such store (a report run makes one)")
    month = str(parse_month(args.month, today_utc())) if getattr(args, "month", None) else None
    keep = args.store_command == "forget" and args.apply
    with store_session(store_path, keep=keep) as store:
        files = store.inventory()
        if args.store_command == "list":
            rows = _rows(files)
            if args.format == "json":
                out.file.write(json.dumps({"store": str(store_path), "files": rows}, indent=2))
                out.file.write("\n")
            else:
                columns = ("kind", "file", "months", "lines", "tenancy", "loaded")
                print_rows(rows, columns, args.format, out, title=f"cost store {store_path}")
            return EXIT_OK
        if args.store_command == "check":
            problems = store.problems()
            for problem in problems:
                out.print(f"problem: {problem}", highlight=False, soft_wrap=True)
            lines = sum(f.lines for f in files)
            verdict = "does not add up" if problems else "adds up"
            out.print(f"cost store {store_path}: {len(files)} file(s), {lines} line(s), {verdict}")
            return EXIT_VIOLATIONS if problems else EXIT_OK
        chosen = _chosen(files, args.file, month)
        verb = "forgotten" if args.apply else "would be forgotten (dry run; --apply to forget)"
        for f in chosen:
            out.print(f"{f.name}: {f.lines} line(s) {verb}", highlight=False, soft_wrap=True)
        if args.apply:
            store.forget([f.file_id for f in chosen])
        return EXIT_OK


def _chosen(files: list[Any], names: list[str] | None, month: str | None) -> list[Any]:
    if month is not None:
        chosen = [f for f in files if month in f.months]
        if not chosen:
            raise GuardrailsError(f"the store holds no lines of {month}")
        return chosen
    assert names is not None
    by_name = {f.name: f for f in files}
    chosen = []
    for name in names:
        found = by_name.get(name) or by_name.get(str(Path(name).resolve()))
        if found is None:
            raise GuardrailsError(f"{name}: not in the store (`guardrails cost store list`)")
        chosen.append(found)
    return chosen
