"""What the gate costs beyond the program it runs, what a program run costs per resource
(the SDK's mock runtime vs our recording), and `guardrails check --plan` against checkov
alone.

    make bench-gate                       # with run.py
    .venv/bin/python bench/gate/overhead.py --sizes 1000 5000

Program gate: per size, in one run, the program alone (`capture_program`, the preview's
child process) and the whole gate (`run_gate`) streaming registrations to the pack (the
default) and evaluating the finished record (`stream=False`); overhead = gate - program.
The three are run in turn `--repeat` times (rounds) and the medians compared: the same
program's wall time varies by up to 10-15 % from one run to the next on a 2-core VM, as
much as the target, so one run each says little. "per round" is each round's gate against
the program run just before it. CPU seconds beside wall seconds: on a machine busy with
other work, wall time says little about overlap, CPU time says what each part costs.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import write_program  # noqa: E402

from guardrails.tooling.gate.checkov_run import run_checkov  # noqa: E402
from guardrails.tooling.program.preview import capture_program  # noqa: E402
from guardrails.tooling.program.record import Capture  # noqa: E402
from policies.naming import terraform_type, to_terraform  # noqa: E402
from tests.gating import gate_plan, gate_program  # noqa: E402

BARE = Path(__file__).resolve().parent / "bare_program.py"
T = TypeVar("T")


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


def timed(fn: Callable[[], T]) -> tuple[float, float, float, T]:
    """(wall, own CPU, children's CPU) seconds of `fn()`, and its value."""
    self0, kids0 = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    start = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - start
    self1, kids1 = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    own = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
    kids = (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    return wall, own, kids, value


def bare_run(program: Path) -> tuple[float, float]:
    """(wall, CPU) of the program under the bare SDK, in a fresh process."""
    cmd = [sys.executable, str(BARE), str(program)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    wall, _, cpu, _ = timed(lambda: subprocess.run(cmd, check=True, capture_output=True, env=env))
    return wall, cpu


def _table(title: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _pct(gate: float, program: float) -> str:
    return f"{100 * (gate - program) / program:+.1f}%"


def measure(
    tmp: Path, sizes: list[int], run_checkov_too: bool, repeat: int, console: Console
) -> list[Table]:
    gate = _table(
        f"program gate: what the gate adds to the program run (median wall seconds of {repeat})",
        ("resources", "program", "gate (streamed)", "overhead", "per round", "after program",
         "gate (not streamed)", "overhead"),
    )  # fmt: skip
    cpu = _table(
        "CPU seconds: the SDK's mock runtime, our recording, the gate beyond the program",
        ("resources", "bare SDK", "capture", "ours in capture", "gate (all processes)",
         "gate beyond program"),
    )  # fmt: skip
    plan = _table(
        "guardrails check --plan vs checkov alone, same Terraform plan (wall seconds)",
        ("resources", "read", "policies", "plan gate", "per resource (ms)", "checkov alone",
         "checkov / plan gate"),
    )  # fmt: skip
    rows: dict[int, tuple[float, float]] = {}
    for size in sizes:
        program = tmp / f"p{size}"
        write_program(program, size)
        console.print(f"{size} resources, load average {os.getloadavg()[0]:.1f}", style="dim")
        _, bare_cpu = bare_run(program)
        prog_walls, prog_cpus, s_walls, s_cpus, afters, b_walls = [], [], [], [], [], []
        for _ in range(repeat):
            prog_wall, _, prog_cpu, captured = timed(lambda: capture_program(program, "dev"))  # noqa: B023
            s_wall, s_own, s_kids, streamed = timed(lambda: gate_program(program))  # noqa: B023
            b_wall, _, _, _ = timed(lambda: gate_program(program, stream=False))  # noqa: B023
            prog_walls.append(prog_wall)
            prog_cpus.append(prog_cpu)
            s_walls.append(s_wall)
            s_cpus.append(s_own + s_kids)
            afters.append(streamed.timings["total"] - streamed.timings["program"])
            b_walls.append(b_wall)
        n = len(captured.resources)
        prog_wall, s_wall, b_wall = _median(prog_walls), _median(s_walls), _median(b_walls)
        rounds = " ".join(_pct(s, p) for s, p in zip(s_walls, prog_walls, strict=True))
        gate.add_row(
            str(n), f"{prog_wall:.2f}", f"{s_wall:.2f}", _pct(s_wall, prog_wall), rounds,
            f"{_median(afters):.2f}", f"{b_wall:.2f}", _pct(b_wall, prog_wall),
        )  # fmt: skip
        prog_cpu, gate_cpu = _median(prog_cpus), _median(s_cpus)
        cpu.add_row(
            str(n), f"{bare_cpu:.2f}", f"{prog_cpu:.2f}",
            f"{100 * (prog_cpu - bare_cpu) / prog_cpu:.0f}%", f"{gate_cpu:.2f}",
            f"{100 * (gate_cpu - prog_cpu) / prog_cpu:+.0f}%",
        )  # fmt: skip
        rows[n] = (bare_cpu, prog_cpu)
        console.print(f"program gate measured at {n} resources", style="dim")
        doc = terraform_plan(captured)
        path = tmp / f"plan{size}.json"
        path.write_text(json.dumps(doc))
        count = len(doc["resource_changes"])
        g_wall, _, _, result = timed(lambda: gate_plan(path))  # noqa: B023
        c_text = "-"
        ratio = "-"
        if run_checkov_too:
            c_wall, _, _, report = timed(lambda: run_checkov(doc, custom_checks=False))  # noqa: B023
            if report.get("summary", {}).get("resource_count") != count:
                raise SystemExit(f"checkov scanned {report.get('summary')}, expected {count}")
            c_text, ratio = f"{c_wall:.2f}", f"{c_wall / g_wall:.2f}x"
        plan.add_row(
            str(count), f"{result.timings['read']:.2f}", f"{result.timings['policies']:.2f}",
            f"{g_wall:.2f}", f"{1000 * g_wall / count:.2f}", c_text, ratio,
        )  # fmt: skip
        console.print(f"plan gate measured at {count} resources", style="dim")
    if len(rows) >= 2:
        (n0, (b0, p0)), (n1, (b1, p1)) = sorted(rows.items())[0], sorted(rows.items())[-1]
        bare_ms, prog_ms = 1000 * (b1 - b0) / (n1 - n0), 1000 * (p1 - p0) / (n1 - n0)
        cpu.add_row(
            "per resource (ms)", f"{bare_ms:.2f}", f"{prog_ms:.2f}",
            f"{100 * (prog_ms - bare_ms) / prog_ms:.0f}%", "", "",
        )  # fmt: skip
    return [gate, cpu, plan]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--no-checkov", action="store_true", help="skip checkov alone")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of program and gates per size (median)"
    )
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=150)
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-overhead-") as tmp:
        for table in measure(Path(tmp), args.sizes, not args.no_checkov, args.repeat, console):
            console.print(table)
    console.print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end; "
        f"{args.repeat} rounds per size"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
