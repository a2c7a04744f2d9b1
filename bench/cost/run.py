"""Benchmark of `guardrails cost report` on generated classic cost reports (CSV.gz).

    make bench-cost                                  # 1 M and 10 M lines
    .venv/bin/python bench/cost/run.py --lines 1000000

For each size it writes one month of OCI cost-report lines (tests/cost_data.py, files of
1 M rows as OCI splits them, corrections included; cached under --data), then measures in
the same run, each in a fresh child process (wall time and peak RSS via wait4):

- floor: `gzip -dc FILES | wc -l`, decompression alone;
- guardrails: `guardrails cost report --stack prod --reports DIR --format json` on an empty
  store (load + report), then the same again on the unchanged files (second run);
- scan: DuckDB reading the files with our reader and keeping nothing (`count(*)`), the
  floor of any loader built on DuckDB's CSV reader (both cores);
- pandas: a plain pandas implementation of the same report (read_csv per file with the
  needed columns, drop corrected lines, groupby cost center and service), the baseline.

Python's bytecode is compiled before the runs (as `pip install` does) and the children may
write it (PYTHONDONTWRITEBYTECODE is dropped): a user's second run does not recompile
guardrails, and neither does the benchmark's.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from tests.cost_data import OCI_SERVICES, CostMonth, write_classic_reports  # noqa: E402

YEAR, MONTH = 2026, 10
PYTHON = sys.executable

PANDAS_REPORT = r"""
import sys
from pathlib import Path
import pandas as pd

files = sorted(Path(sys.argv[1]).glob("*.csv.gz"))
columns = ["lineItem/referenceNo", "lineItem/intervalUsageStart", "product/service",
           "cost/myCost", "cost/currencyCode", "lineItem/isCorrection",
           "lineItem/backreferenceNo", "tags/governance.cost_center"]
frames = [pd.read_csv(f, usecols=columns, dtype={"cost/myCost": "float64"}) for f in files]
lines = pd.concat(frames, ignore_index=True)
corrected = set(lines.loc[lines["lineItem/isCorrection"] == True, "lineItem/backreferenceNo"])
lines = lines[~lines["lineItem/referenceNo"].isin(corrected)]
lines["day"] = lines["lineItem/intervalUsageStart"].str.slice(0, 10)
lines["cc"] = lines["tags/governance.cost_center"].fillna("")
by_service = lines.groupby(["cc", "product/service"])["cost/myCost"].sum()
daily = lines.groupby(["cc", "day"])["cost/myCost"].sum()
month_to_date = lines.groupby("cc")["cost/myCost"].sum()
top = by_service.groupby(level=0, group_keys=False).nlargest(3)
print(month_to_date.round(2).to_dict(), len(daily), len(top))
"""

SCAN = r"""
import sys
from pathlib import Path
import duckdb
from guardrails.tooling.cost.sources.classic_reports import classic_shape
from guardrails.tooling.cost.sources.file_shape import path_list

files = sorted(Path(sys.argv[1]).glob("*.csv.gz"))
reader = classic_shape(files[0]).reader.replace("{files}", path_list(files))
print(duckdb.connect().execute(f"SELECT count(*) FROM {reader}").fetchone())
"""

CHILD_ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(ROOT),
}


def run_child(command: list[str] | str, *, shell: bool = False) -> tuple[float, float, str, float]:
    """Wall seconds, the child's own peak RSS in MB (wait4), its output and CPU seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        shell=shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=CHILD_ENV,
    )
    assert process.stdout is not None and process.stderr is not None
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{command} failed:\n{err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, out.decode(), usage.ru_utime + usage.ru_stime


def generate(lines: int, data: Path) -> list[Path]:
    """The files for `lines` lines, written by a child process (this one stays small: a
    child forked from a big parent would count the parent's pages in its peak RSS)."""
    folder = data / f"{lines}"
    if not (folder / ".complete").exists():
        subprocess.run(
            [PYTHON, __file__, "--generate", str(lines), "--data", str(data)],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    return sorted(folder.glob("*.csv.gz"))


def write_data(lines: int, data: Path) -> None:
    folder = data / f"{lines}"
    done = folder / ".complete"
    shutil.rmtree(folder, ignore_errors=True)
    month = CostMonth(YEAR, MONTH, 31)
    cells = len(month.oci)
    per_cell = max(1, round(lines / cells))
    print(f"generating {per_cell * cells:,} lines ({cells} cells x {per_cell}) in {folder}")
    write_classic_reports(month, folder, lines_per_cell=per_cell)
    done.write_text("")


def report_command(folder: Path, store: Path | None = None, *extra: str) -> list[str]:
    """`guardrails cost report` of the generated month over `folder` (DuckDB: into `store`)."""
    month = f"{YEAR}-{MONTH:02d}"
    command = [PYTHON, "-m", "guardrails.tooling.cli", "cost", "report", "--stack", "prod"]
    command += ["--program", str(ROOT)]
    command += ["--month", month, "--reports", str(folder), "--format", "json", *extra]
    return command + (["--store", str(store)] if store is not None else [])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "guardrails-bench-cost"
    )
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--generate", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate is not None:
        write_data(args.generate, args.data)
        return
    console = Console(width=170)
    table = Table(title="cost report on classic cost reports (CSV.gz)", title_justify="left")
    for column in (
        "lines",
        "files",
        "MB gz",
        "floor gzip|wc (s)",
        "guardrails (s)",
        "x floor",
        "CPU (s)",
        "peak MB",
        "2nd run (s)",
        "2nd CPU (s)",
        "scan only (s)",
        "pandas (s)",
        "pandas / ours",
        "pandas CPU (s)",
        "pandas peak MB",
    ):
        table.add_column(column, justify="right")
    subprocess.run(
        [PYTHON, "-m", "compileall", "-q", str(ROOT / "guardrails"), str(ROOT / "policies")],
        check=True,
        env=CHILD_ENV,
    )
    for lines in args.lines:
        files = generate(lines, args.data)
        folder = files[0].parent
        size = sum(f.stat().st_size for f in files) / 1e6
        floor, _, counted, _ = run_child(
            "gzip -dc " + " ".join(str(f) for f in files) + " | wc -l", shell=True
        )
        store = Path(tempfile.mkdtemp(prefix="bench-cost-")) / "cost.duckdb"
        report = report_command(folder, store)
        ours, ours_peak, _, ours_cpu = run_child(report)
        second, _, _, second_cpu = run_child(report)
        shutil.rmtree(store.parent, ignore_errors=True)
        scan, _, _, _ = run_child([PYTHON, "-c", SCAN, str(folder)])
        if args.skip_pandas:
            pandas, pandas_peak, pandas_cpu = float("nan"), float("nan"), float("nan")
        else:
            pandas, pandas_peak, _, pandas_cpu = run_child(
                [PYTHON, "-c", PANDAS_REPORT, str(folder)]
            )
        table.add_row(
            f"{int(counted) - len(files):,}",
            str(len(files)),
            f"{size:,.0f}",
            f"{floor:.2f}",
            f"{ours:.2f}",
            f"{ours / floor:.2f}x",
            f"{ours_cpu:.2f}",
            f"{ours_peak:,.0f}",
            f"{second:.2f}",
            f"{second_cpu:.2f}",
            f"{scan:.2f}",
            f"{pandas:.2f}",
            f"{pandas / ours:.1f}x",
            f"{pandas_cpu:.2f}",
            f"{pandas_peak:,.0f}",
        )
        console.print(f"{lines:,}: done", style="dim")
    console.print(table)
    console.print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"services per cell {len(OCI_SERVICES)}"
    )


if __name__ == "__main__":
    main()
