"""Benchmark of `guardrails audit --cloud oci` against the fake OCI API.

    make bench-audit
    .venv/bin/python bench/audit/run.py --sizes 1000 10000 --workers 1 8

The fake OCI API server (tests/fake_oci: signature verification, Resource Search and the
services' read routes) runs in a child process, seeded with N resources in one compartment:
per 100, 40 VCNs (tags only: judged on the search summary), 20 buckets, 20 security lists,
10 subnets and 10 alarms (one read each). The real command runs in this process with the
real `oci` SDK and the real policy pack process, writing its JSON report. For each size it
reports wall time, API calls by operation and per resource, with reads one at a time
(`--workers 1`, the baseline: a plain loop over the SDK) and with the bounded pool.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MIX = (("Vcn", 40), ("Bucket", 20), ("SecurityList", 20), ("Subnet", 10), ("Alarm", 10))


def _serve(size: int, conn: Connection) -> None:
    from tests.fake_oci.fixture import FakeOci, start_server
    from tests.fake_oci.state import ocid

    server = start_server()
    fake = FakeOci(server)
    compartment = ocid("compartment", "bench")
    tags = {"governance": {"environment": "dev", "cost_center": "CC-101"}}
    g = fake.governed
    g.add("Compartment", compartment_id=fake.tenancy, display_name="bench", id=compartment,
          defined_tags=tags)  # fmt: skip
    vcn = ocid("vcn", "bench")
    count = 0
    while count < size - 1:
        for kind, share in MIX:
            for _ in range(share):
                if count >= size - 1:
                    break
                extra: dict[str, Any] = {}
                if kind == "SecurityList":
                    extra = {"vcnId": vcn, "ingressSecurityRules": [
                        {"source": "10.0.0.0/8", "protocol": "6",
                         "tcpOptions": {"destinationPortRange": {"min": 22, "max": 22}}}]}  # fmt: skip
                elif kind == "Subnet":
                    extra = {"vcnId": vcn, "prohibitPublicIpOnVnic": True}
                elif kind == "Alarm":
                    extra = {"isEnabled": True, "destinations": []}
                g.add(kind, compartment_id=compartment, display_name=f"{kind.lower()}-{count}",
                      defined_tags=tags, **extra)  # fmt: skip
                count += 1
    conn.send((fake.url, fake.api_key.private_pem, fake.api_key.user,
               fake.api_key.fingerprint, fake.api_key.tenancy))  # fmt: skip
    conn.recv()  # until the benchmark is done
    server.stop()


def _audit(url: str, config: Path, workers: int, out: Path) -> tuple[float, dict[str, Any], int]:
    from guardrails.tooling.cli import main

    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["audit", "--cloud", "oci", "--oci-config", str(config), "--endpoint-url", url,
                     "--workers", str(workers), "--format", "json", "--output", str(out)])  # fmt: skip
    wall = time.perf_counter() - start
    return wall, json.loads(out.read_text()), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    console = Console()
    table = Table(title="guardrails audit --cloud oci against the fake OCI API")
    for column in ("resources", "workers", "wall s", "read s", "judge s", "API calls",
                   "calls/resource", "resources/s", "exit"):  # fmt: skip
        table.add_column(column, justify="right")
    notes: list[str] = []
    for size in args.sizes:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.Process(target=_serve, args=(size, child), daemon=True)
        server.start()
        url, pem, user, fingerprint, tenancy = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            key = Path(tmp) / "key.pem"
            key.write_text(pem)
            config = Path(tmp) / "config"
            config.write_text(f"[DEFAULT]\nuser={user}\nfingerprint={fingerprint}\n"
                              f"tenancy={tenancy}\nregion=eu-frankfurt-1\nkey_file={key}\n")  # fmt: skip
            for workers in args.workers:
                wall, report, code = _audit(url, config, workers, Path(tmp) / "r.json")
                live = report["live"]
                timings = report["timings"]
                table.add_row(f"{live['resources']:,}", str(workers), f"{wall:.1f}",
                              f"{timings.get('read', 0):.1f}", f"{timings.get('policies', 0):.1f}",
                              f"{live['totalApiCalls']:,}", f"{live['callsPerResource']:.2f}",
                              f"{live['resources'] / wall:,.0f}", str(code))  # fmt: skip
                notes.append(f"{size} x {workers}: {json.dumps(live['apiCalls'])}")
        parent.send("done")
        server.join(timeout=30)
    console.print(table)
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True)
    console.print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
                  f"{platform.python_version()}", highlight=False)  # fmt: skip


if __name__ == "__main__":
    main()
