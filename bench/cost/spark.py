"""Benchmark of `guardrails cost report --engine spark` beside the DuckDB engine, on the
generated classic cost reports of bench/cost/run.py (the same files, cached under --data).

    .venv/bin/python bench/cost/spark.py --lines 1000000
    flock /tmp/guardrails-heavy.lock .venv/bin/python bench/cost/spark.py --lines 1000000 10000000

For each size and core count (1: pinned to one CPU with taskset and `local[1]` / DuckDB on
that CPU; 2: both cores, `local[2]`), each engine runs `cost report --stack prod --reports
DIR --format json` in a fresh child process (the DuckDB engine on an empty store: load and
report; Spark: JVM start, read, report), measuring wall time, CPU time and peak RSS of the
child and its waited-for descendants (the JVM) via wait4. Lines per second per core is
lines / wall / cores. Both engines' JSON rows are compared (to the cent) in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from run import MONTH, PYTHON, YEAR, generate, run_child  # noqa: E402


def report(folder: Path, engine: str, cores: int, store: Path) -> list[str]:
    command = [
        *(["taskset", "-c", "0"] if cores == 1 else []),
        PYTHON,
        "-m",
        "guardrails.tooling.cli",
        "cost",
        "report",
        "--stack",
        "prod",
        "--month",
        f"{YEAR}-{MONTH:02d}",
        "--reports",
        str(folder),
        "--format",
        "json",
    ]
    if engine == "spark":
        return [*command, "--engine", "spark", "--spark-master", f"local[{cores}]"]
    return [*command, "--store", str(store)]


def rows(text: str) -> list[tuple[str, str, float]]:
    return [(r["provider"], r["costCenter"], r["monthToDate"]) for r in json.loads(text)["rows"]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "guardrails-bench-cost"
    )
    args = parser.parse_args()
    console = Console(width=150)
    table = Table(title="cost report: DuckDB engine vs Spark engine (local)", title_justify="left")
    for column in (
        "lines",
        "cores",
        "engine",
        "wall (s)",
        "CPU (s)",
        "peak MB",
        "lines/s/core",
        "same rows",
    ):
        table.add_column(column, justify="right")
    for lines in args.lines:
        files = generate(lines, args.data)
        folder = files[0].parent
        for cores in args.cores:
            outputs: dict[str, str] = {}
            for engine in ("duckdb", "spark"):
                store = Path(tempfile.mkdtemp(prefix="bench-spark-")) / "cost.duckdb"
                wall, peak, out, cpu = run_child(report(folder, engine, cores, store))
                shutil.rmtree(store.parent, ignore_errors=True)
                outputs[engine] = out
                same = "" if engine == "duckdb" else str(rows(out) == rows(outputs["duckdb"]))
                table.add_row(
                    f"{lines:,}",
                    str(cores),
                    engine,
                    f"{wall:.2f}",
                    f"{cpu:.2f}",
                    f"{peak:,.0f}",
                    f"{lines / wall / cores:,.0f}",
                    same,
                )
                console.print(
                    f"{lines:,} lines, {cores} core(s), {engine}: {wall:.2f} s", style="dim"
                )
    console.print(table)
    console.print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


if __name__ == "__main__":
    main()
