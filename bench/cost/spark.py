"""Benchmark of `guardrails cost report --engine spark` beside the DuckDB engine, on the
generated classic cost reports of bench/cost/run.py (the same files, cached under --data).

    .venv/bin/python bench/cost/spark.py --lines 1000000
    flock /tmp/guardrails-heavy.lock .venv/bin/python bench/cost/spark.py --lines 1000000 10000000

For each size and core count (1: pinned to one CPU with taskset and `local[1]` / DuckDB on
that CPU; 2: both cores, `local[2]`), each engine runs `cost report --stack prod --reports
DIR --format json` in a fresh child process (the DuckDB engine on an empty store: load and
report; Spark: JVM start, read, report), measuring wall time, CPU time and peak RSS of the
child's whole process tree: `/proc` is sampled every 0.1 s for every descendant (the JVM
that PySpark starts is one, and nobody waits for it, so wait4 alone would miss it): CPU is the
sum of each process's last user + system time (what a process spends in its last 0.1 s may
be missed), peak memory the largest sum of the tree's resident sets seen. Lines per second
per core is lines / wall / cores. Both engines' JSON rows are compared (to the cent) in the
same run.
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
from run import CHILD_ENV, generate, report_command  # noqa: E402

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(pid: int) -> list[int]:
    """The pid and all its descendants, from /proc (gone ones are skipped)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo += [int(c) for c in handle.read().split()]
        except OSError:
            continue
    return found


def _sample(pid: int) -> tuple[float, int] | None:
    """(user + system seconds, resident bytes) of one process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS, int(fields[21]) * _PAGE


def run_tree(command: list[str]) -> tuple[float, float, str, float]:
    """Wall seconds, the tree's peak resident MB, the output and the tree's CPU seconds."""
    import subprocess
    import threading
    import time

    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CHILD_ENV
    )
    cpu: dict[int, float] = {}
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            resident = 0
            for pid in _tree(process.pid):
                sample = _sample(pid)
                if sample is not None:
                    cpu[pid] = max(cpu.get(pid, 0.0), sample[0])
                    resident += sample[1]
            peak = max(peak, resident)
            done.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = process.communicate()
    done.set()
    watcher.join()
    elapsed = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{command} failed:\n{err.decode()[-2000:]}")
    return elapsed, peak / 2**20, out.decode(), sum(cpu.values())


def report(folder: Path, engine: str, cores: int, store: Path) -> list[str]:
    pinned = ["taskset", "-c", "0"] if cores == 1 else []
    if engine == "spark":
        spark = ("--engine", "spark", "--spark-master", f"local[{cores}]")
        return [*pinned, *report_command(folder, None, *spark)]
    return [*pinned, *report_command(folder, store)]


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
                wall, peak, out, cpu = run_tree(report(folder, engine, cores, store))
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
