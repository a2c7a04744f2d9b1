"""The plan gate at scale: a `terraform show -json` plan of N resources (security groups,
S3 buckets, instances, subnets, SQS queues, OCI buckets and security lists in `for_each`
modules, provider `default_tags`, values known after apply) judged by
`guardrails check --plan` (read, the real policy pack, the whole catalog, report) against
checkov alone (built-in checks) on the same file, each in its own process: wall seconds and
peak memory (the gate's RSS includes the pack child).

    .venv/bin/python bench/gate/plan_scale.py --sizes 1000 15000 [--no-checkov]

The issue's target (17): 15,000 resources in at most 5 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.tooling.gate.checkov_run import ensure_checkov  # noqa: E402
from tests.tf_plans import TfPlan, aws_provider  # noqa: E402

DEFAULT_TAGS = {"cost_center": "CC-101", "environment": "dev"}
OCI_TAGS = {"governance.cost_center": "CC-101", "governance.environment": "dev"}


def _rule(port: int, cidr: str) -> dict[str, object]:
    return {"protocol": "tcp", "from_port": port, "to_port": port, "cidr_blocks": [cidr],
            "ipv6_cidr_blocks": [], "description": "rule", "prefix_list_ids": [],
            "security_groups": [], "self": False}  # fmt: skip


def build_plan(size: int) -> TfPlan:
    random.seed(size)
    plan = TfPlan(provider_config={"aws": aws_provider(default_tags=DEFAULT_TAGS)})
    for i in range(size):
        module = f'module.app["{i // 50}"]'
        kind = i % 7
        if kind == 0:
            values = {"name": f"sg-{i}", "description": "x" * 200, "vpc_id": "vpc-1",
                      "tags": {"Name": f"sg-{i}"},
                      "ingress": [_rule(p, "0.0.0.0/0" if p == 22 else "10.0.0.0/8")
                                  for p in (22, 443, 8080, 5432)],
                      "egress": [{**_rule(0, "0.0.0.0/0"), "protocol": "-1"}]}  # fmt: skip
            plan.add(
                "aws_security_group",
                "this",
                values,
                module=module,
                index=i,
                unknown={"id": True, "arn": True, "owner_id": True, "tags_all": True},
            )
        elif kind == 1:
            plan.add(
                "aws_s3_bucket",
                "this",
                {
                    "bucket": f"b-{i}",
                    "force_destroy": False,
                    "tags": {"Name": f"b-{i}", "team": "x" * 100},
                },
                module=module,
                index=i,
                unknown={"id": True, "arn": True, "tags_all": True, "region": True},
            )
        elif kind == 2:
            plan.add(
                "aws_instance",
                "this",
                {
                    "ami": "ami-123",
                    "instance_type": "t3.micro",
                    "user_data": "#!/bin/bash\n" + "echo hi\n" * 100,
                    "tags": None,
                    "metadata_options": [{"http_tokens": "required"}],
                    "root_block_device": [{"encrypted": True, "volume_size": 20}],
                },
                module=module,
                index=i,
                unknown={"id": True, "arn": True, "public_ip": True, "tags_all": True},
            )
        elif kind == 3:
            plan.add(
                "aws_subnet",
                "this",
                {
                    "vpc_id": "vpc-1",
                    "cidr_block": "10.0.0.0/24",
                    "map_public_ip_on_launch": i % 2 == 0,
                    "tags": None,
                },
                module=module,
                index=i,
                unknown={"id": True, "arn": True, "tags_all": True},
            )
        elif kind == 4:
            policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "sqs:*"}] * 5})
            plan.add(
                "aws_sqs_queue",
                "this",
                {"name": f"q-{i}", "policy": policy, "tags": None},
                module=module,
                index=i,
                unknown={"id": True, "arn": True, "url": True, "tags_all": True},
            )
        elif kind == 5:
            plan.add(
                "oci_objectstorage_bucket",
                "this",
                {
                    "name": f"ob-{i}",
                    "namespace": "ns",
                    "compartment_id": "ocid1.compartment.oc1..aaaa",
                    "access_type": "NoPublicAccess",
                    "versioning": "Enabled",
                    "kms_key_id": "k",
                    "defined_tags": OCI_TAGS,
                },
                module=module,
                index=i,
                unknown={"id": True, "bucket_id": True, "etag": True},
            )
        else:
            rules = [{"protocol": "6", "source": "0.0.0.0/0", "tcp_options": [{"min": p, "max": p}]}
                     for p in (443, 80, 22)]  # fmt: skip
            plan.add(
                "oci_core_security_list",
                "this",
                {
                    "compartment_id": "c",
                    "vcn_id": "v",
                    "ingress_security_rules": rules,
                    "defined_tags": OCI_TAGS,
                },
                module=module,
                index=i,
                unknown={"id": True},
            )
    return plan


_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], capture_output=True).returncode
wall = time.perf_counter() - start
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def _timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB of the command and its children (a fresh measuring
    process each time, so one run's peak is not another's), exit code."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 15000])
    parser.add_argument("--no-checkov", action="store_true")
    args = parser.parse_args()
    checkov = None if args.no_checkov else str(ensure_checkov())
    table = Table(title=f"plan gate at scale ({platform.machine()}, {platform.python_version()})")
    for column in ("resources", "plan MB", "gate s", "gate peak MB", "gate exit",
                   "checkov alone s", "checkov peak MB"):  # fmt: skip
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="guardrails-bench-") as tmp:
        for size in args.sizes:
            path = build_plan(size).write(Path(tmp) / f"plan-{size}.json")
            mb = path.stat().st_size / 1e6
            out = Path(tmp) / f"report-{size}.json"
            gate = _timed([sys.executable, "-m", "guardrails.tooling.cli", "check", "--plan",
                           str(path), "--format", "json", "--output", str(out)])  # fmt: skip
            row = [str(size), f"{mb:.0f}", f"{gate[0]:.1f}", f"{gate[1]:.0f}", str(gate[2])]
            if checkov:
                alone = _timed(
                    [
                        checkov,
                        "-f",
                        str(path),
                        "--framework",
                        "terraform_plan",
                        "--skip-download",
                        "-o",
                        "json",
                        "--compact",
                        "--quiet",
                    ]
                )
                row += [f"{alone[0]:.1f}", f"{alone[1]:.0f}"]
            else:
                row += ["-", "-"]
            table.add_row(*row)
    Console().print(table)
    print("peak MB: the largest resident set of the command or any of its child processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
