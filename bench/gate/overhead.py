"""What the gate costs beyond the program it runs, what a program run costs per resource
(the SDK's mock runtime vs our recording), and `guardrails check --plan` against checkov
alone.

    make bench-gate                       # with run.py
    .venv/bin/python bench/gate/overhead.py --sizes 1000 5000

Program gate: per size, in one run, the program alone (`capture_program`, the preview's
child process) and the whole gate (`run_gate`) streaming registrations to the pack (the
default) and evaluating the finished record (`stream=False`); overhead = gate - program.

Plan gate: the program of run.py at each size is captured once and written as a Terraform
plan (`terraform show -json` shape: addresses `type.name`, `resource_changes` with
`after`/`after_unknown`, `configuration` references from the dependencies); then, in one
run, `run_plan_gate` (read, pack start, Analyze x N, AnalyzeStack, report) and checkov
alone (built-in checks) on the same file.

Program cost: the same program in a fresh process three ways: the bare SDK (the SDK's own
`MockMonitor` and an echoing `Mocks`, nothing recorded), our capture (`capture_program`), at
two sizes; the difference of sizes divided by the difference of resources is the cost per
resource without interpreter start and imports. Wall and CPU seconds (CPU is what the
process itself used, less sensitive to a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import write_program  # noqa: E402

from guardrails.tooling.checkov_scan import run_checkov  # noqa: E402
from guardrails.tooling.gate import run_gate  # noqa: E402
from guardrails.tooling.plans.check import run_plan_gate  # noqa: E402
from guardrails.tooling.preview import capture_program  # noqa: E402
from guardrails.tooling.record import Capture  # noqa: E402
from policies.naming import terraform_type, to_terraform  # noqa: E402

BARE = Path(__file__).resolve().parent / "bare_program.py"


def terraform_plan(capture: Capture) -> dict[str, Any]:
    """The captured custom resources as a Terraform 1.x plan, as `terraform show -json`
    writes it for a configuration declaring them."""
    addresses: dict[str, str] = {}
    resources, changes, config = [], [], []
    for r in capture.resources:
        tf_type = terraform_type(r.type)
        if not r.custom or tf_type is None or r.type.startswith("pulumi:providers:"):
            continue
        name = re.sub(r"[^A-Za-z0-9_-]", "_", r.name)
        addresses[r.urn] = f"{tf_type}.{name}"
    for r in capture.resources:
        address = addresses.get(r.urn)
        if address is None:
            continue
        tf_type, name = address.split(".", 1)
        values = to_terraform(r.inputs)
        base = {"address": address, "mode": "managed", "type": tf_type, "name": name}
        resources.append({**base, "provider_name": "registry.terraform.io/oracle/oci",
                          "schema_version": 0, "values": values, "sensitive_values": {}})  # fmt: skip
        changes.append({**base, "change": {"actions": ["create"], "before": None, "after": values,
                        "after_unknown": {"id": True}, "after_sensitive": {}}})  # fmt: skip
        refs = [addresses[d] for d in r.dependencies if d in addresses]
        expressions = {"depends_on_bench": {"references": [f"{a}.id" for a in refs] + refs}}
        config.append({**base, "expressions": expressions, "schema_version": 0})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def median_run(fn: Any, repeat: int) -> tuple[float, Any]:
    samples, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), value


def child_run(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def program_costs(tmp: Path, sizes: list[int], repeat: int, console: Console) -> Table:
    table = Table(title="program run under the mock runtime: SDK vs our recording (seconds)")
    for column in ("resources", "bare SDK wall", "bare SDK CPU", "capture wall", "capture CPU",
                   "recording CPU share"):  # fmt: skip
        table.add_column(column, justify="right")
    rows: dict[int, tuple[float, float, float, float]] = {}
    for size in sizes:
        program = tmp / f"cost{size}"
        write_program(program, size)
        capture_cmd = [sys.executable, "-m", "guardrails.tooling.capture", "--program",
                       str(program), "--stack", "dev", "--out", str(tmp / "c.json")]  # fmt: skip
        bare = [child_run([sys.executable, str(BARE), str(program)]) for _ in range(repeat)]
        ours = [child_run(capture_cmd) for _ in range(repeat)]
        n = len(json.loads((tmp / "c.json").read_text())["capture"]["resources"])
        row = (
            statistics.median(b[0] for b in bare), statistics.median(b[1] for b in bare),
            statistics.median(o[0] for o in ours), statistics.median(o[1] for o in ours),
        )  # fmt: skip
        rows[n] = row
        share = (row[3] - row[1]) / row[3]
        table.add_row(str(n), *(f"{v:.2f}" for v in row), f"{100 * share:.0f}%")
        console.print(f"program cost measured at {n} resources", style="dim")
    if len(rows) >= 2:
        (n0, r0), (n1, r1) = sorted(rows.items())[0], sorted(rows.items())[-1]
        per = [1000 * (r1[i] - r0[i]) / (n1 - n0) for i in range(4)]
        table.add_row(
            "per resource (ms)", *(f"{v:.2f}" for v in per),
            f"{100 * (per[3] - per[1]) / per[3]:.0f}%",
        )  # fmt: skip
    return table


def program_gate(tmp: Path, sizes: list[int], repeat: int, console: Console) -> Table:
    table = Table(title="program gate: overhead over the program run (seconds, wall)")
    for column in ("resources", "program", "gate (streamed)", "overhead", "after program",
                   "gate (not streamed)", "overhead"):  # fmt: skip
        table.add_column(column, justify="right")
    for size in sizes:
        program = tmp / f"g{size}"
        write_program(program, size)
        program_s, captured = median_run(lambda: capture_program(program, "dev"), repeat)  # noqa: B023
        streamed_s, streamed = median_run(lambda: run_gate(program, "dev"), repeat)  # noqa: B023
        batch_s, _ = median_run(lambda: run_gate(program, "dev", stream=False), repeat)  # noqa: B023
        after = streamed.timings["total"] - streamed.timings["program"]
        table.add_row(
            str(len(captured.resources)), f"{program_s:.2f}", f"{streamed_s:.2f}",
            f"{100 * (streamed_s - program_s) / program_s:+.1f}%", f"{after:.2f}",
            f"{batch_s:.2f}", f"{100 * (batch_s - program_s) / program_s:+.1f}%",
        )  # fmt: skip
        console.print(f"program gate measured at {len(captured.resources)} resources", style="dim")
    return table


def plan_gate(tmp: Path, sizes: list[int], repeat: int, console: Console) -> Table:
    table = Table(title="guardrails check --plan vs checkov alone, same Terraform plan (seconds)")
    for column in ("resources", "read", "policies", "plan gate", "per resource (ms)",
                   "checkov alone", "checkov / plan gate"):  # fmt: skip
        table.add_column(column, justify="right")
    for size in sizes:
        program = tmp / f"p{size}"
        write_program(program, size)
        plan = terraform_plan(capture_program(program, "dev"))
        path = tmp / f"plan{size}.json"
        path.write_text(json.dumps(plan))
        n = len(plan["resource_changes"])
        gate_s, result = median_run(lambda: run_plan_gate(path), repeat)  # noqa: B023
        checkov_s, report = median_run(lambda: run_checkov(plan, custom_checks=False), repeat)  # noqa: B023
        if report.get("summary", {}).get("resource_count") != n:
            raise SystemExit(f"checkov scanned {report.get('summary')}, expected {n} resources")
        table.add_row(
            str(n), f"{result.timings['read']:.2f}", f"{result.timings['policies']:.2f}",
            f"{gate_s:.2f}", f"{1000 * gate_s / n:.2f}", f"{checkov_s:.2f}",
            f"{checkov_s / gate_s:.2f}x",
        )  # fmt: skip
        console.print(f"plan gate measured at {n} resources", style="dim")
    return table


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    parser.add_argument(
        "--only",
        choices=("gate", "plan", "program"),
        nargs="+",
        default=("gate", "plan", "program"),
    )
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=140)
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-overhead-") as tmp:
        if "gate" in args.only:
            console.print(program_gate(Path(tmp), args.sizes, args.repeat, console))
        if "plan" in args.only:
            console.print(plan_gate(Path(tmp), args.sizes, args.repeat, console))
        if "program" in args.only:
            console.print(program_costs(Path(tmp), args.sizes, args.repeat, console))
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
