"""Benchmark of the offline gate against checkov alone, on synthetic programs.

    make bench-gate            # 100, 1,000 and 5,000 resources
    .venv/bin/python bench/gate/run.py --sizes 100 1000

For each size it writes a Pulumi program of that many resources (buckets, databases, NSG
rules, alarms, SNS topics, made in loops), then measures in the same run:

- program: running it under the mock runtime (the preview's child process);
- policies: the real policy pack process, Configure + Analyze per resource + AnalyzeStack;
- gate: the whole `guardrails check` (program, policies, ledger, report);
- checkov alone: checkov with its built-in checks on the exported plan of the same resources
  (the baseline the gate is measured against);
- estimate: the cost estimate of the captured resources (catalog view, pricing, budgets), as
  `guardrails cost estimate` adds it after the program ran, and its share of the gate's time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
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

from guardrails.tooling.cost.estimate.run import (  # noqa: E402
    catalog_view,
    estimate_resources,
    load_books,
)
from guardrails.tooling.gate.checkov_run import export_plan, run_checkov  # noqa: E402
from guardrails.tooling.gate.pack import PolicyPackProcess, Provider  # noqa: E402
from guardrails.tooling.gate.policy_config import parse_policy_config  # noqa: E402
from guardrails.tooling.gate.providers import resolve_providers  # noqa: E402
from guardrails.tooling.program.preview import capture_program  # noqa: E402
from guardrails.tooling.program.record import Capture  # noqa: E402
from tests.gating import gate_program  # noqa: E402

T = TypeVar("T")

PROGRAM = """
import pulumi
import pulumi_aws as aws
import pulumi_oci as oci

N = int(pulumi.Config().require("groups"))
C = "ocid1.compartment.oc1..aaaaaaaabenchcompartment00000000000000000000000000000000000"
TAGS = {"governance.cost_center": "CC-101", "governance.environment": "dev"}
for i in range(N):
    oci.objectstorage.Bucket(f"bucket-{i}", compartment_id=C, namespace="ns", name=f"b{i}",
        access_type="NoPublicAccess" if i % 7 else "ObjectRead", versioning="Enabled", defined_tags=TAGS)
    db = oci.database.AutonomousDatabase(f"db-{i}", compartment_id=C, db_name=f"DB{i}",
        license_model="LICENSE_INCLUDED", whitelisted_ips=["10.0.0.0/8"], is_mtls_connection_required=True,
        secret_id="ocid1.vaultsecret.oc1..aaaaaaaabenchsecret000000000000000000", defined_tags=TAGS)
    oci.core.NetworkSecurityGroupSecurityRule(f"rule-{i}", network_security_group_id="nsg", direction="INGRESS",
        protocol="6", source="0.0.0.0/0" if i % 11 == 0 else "10.0.0.0/8", source_type="CIDR_BLOCK")
    oci.monitoring.Alarm(f"alarm-{i}", compartment_id=C, metric_compartment_id=C, namespace="oci_autonomous_database",
        query=db.id.apply(lambda id_: f'CpuUtilization[5m]{{resourceId = "{id_}"}}.mean() > 80'),
        severity="WARNING", display_name=f"cpu {i}", is_enabled=True, destinations=["topic"], defined_tags=TAGS)
    aws.sns.Topic(f"topic-{i}", kms_master_key_id="alias/aws/sns", tags={"cost_center": "CC-101", "environment": "dev"})
"""
PER_GROUP = 5


def write_program(directory: Path, resources: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    groups = max(1, resources // PER_GROUP)
    (directory / "Pulumi.dev.yaml").write_text(f'config:\n  bench:groups: "{groups}"\n')
    (directory / "__main__.py").write_text(PROGRAM)


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    samples: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), value


def policy_evaluation(
    capture: Capture, providers: dict[str, Provider | None]
) -> tuple[float, float]:
    """(pack start-up, Configure + Analyze per resource + AnalyzeStack) in seconds."""
    start = time.perf_counter()
    with PolicyPackProcess() as pack:
        started = time.perf_counter()
        pack.configure(parse_policy_config({}))
        pack.analyze_all(capture.resources, providers)
        pack.analyze_stack(capture.resources, providers)
        done = time.perf_counter()
    return started - start, done - started


def checkov_alone(plan: dict[str, Any]) -> float:
    """checkov's built-in checks only, on the same plan: the baseline."""
    start = time.perf_counter()
    report = run_checkov(plan, custom_checks=False)
    elapsed = time.perf_counter() - start
    scanned = report.get("summary", {}).get("resource_count")
    if scanned != len(plan["planned_values"]["root_module"]["resources"]):
        raise SystemExit(f"checkov scanned {scanned} resources, expected all")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (median)")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=140)
    table = Table(title="guardrails gate vs checkov alone (median of runs, seconds)")
    columns = (
        "resources",
        "program",
        "pack start",
        "policies",
        "per resource (ms)",
        "gate",
        "checkov alone",
        "gate / checkov",
        "estimate",
        "estimate / gate",
    )
    for column in columns:
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-") as tmp:
        for size in args.sizes:
            program = Path(tmp) / f"p{size}"
            write_program(program, size)
            program_s, capture = timed(lambda: capture_program(program, "dev"), args.repeat)  # noqa: B023
            providers = resolve_providers(capture, {})
            runs = [policy_evaluation(capture, providers) for _ in range(args.repeat)]
            start_s = statistics.median(r[0] for r in runs)
            policies_s = statistics.median(r[1] for r in runs)
            gate_s, _ = timed(lambda: gate_program(program), args.repeat)  # noqa: B023
            plan, _ = export_plan(capture, providers)
            checkov_s, _ = timed(lambda: checkov_alone(plan), args.repeat)  # noqa: B023
            books = load_books()
            estimate_s, _ = timed(
                lambda: estimate_resources(catalog_view(capture, {}), books),  # noqa: B023
                args.repeat,
            )
            n = len(capture.resources)
            table.add_row(
                str(n), f"{program_s:.2f}", f"{start_s:.2f}", f"{policies_s:.2f}", f"{1000 * policies_s / n:.3f}",
                f"{gate_s:.2f}", f"{checkov_s:.2f}", f"{gate_s / checkov_s:.2f}x",
                f"{estimate_s:.3f}", f"{100 * estimate_s / gate_s:.1f} %",
            )  # fmt: skip
            console.print(f"measured {n} resources", style="dim")
    console.print(table)
    console.print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
