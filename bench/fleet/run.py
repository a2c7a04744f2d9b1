"""Benchmark of `guardrails fleet status` against the fake OCI API.

    make bench-fleet
    .venv/bin/python bench/fleet/run.py --sizes 10 25 50 --runs 3

The fake OCI API server (tests/fake_oci: signature verification, the database, work request
and monitoring routes) runs in a child process, seeded with N Autonomous Databases in one
compartment, each with a week of CPU, storage and sessions datapoints (busy, idle, steady,
growing patterns) and a backup. A generated project (Pulumi.yaml and a stack file declaring
the N databases) is read by the real command, `guardrails fleet status --days 7 --format
json`, run in this process with the real `oci` SDK. For each fleet size it reports, median
of `--runs`:

- API calls the command made, by operation, and per database;
- wall time with metric queries one at a time (`concurrency: 1`, the baseline: what a
  plain loop over the SDK does) and with the default bounded pool (`concurrency: 8`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.tooling.cli import main  # noqa: E402

COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaabenchfleet0000000000000000000000000000000000000000000"
CPU_PATTERNS = ("busy", "idle", "steady", "low", "nightly")
STORAGE_PATTERNS = ("flat", "growing", "flat", "full", "flat")


def _serve(size: int, conn: Connection) -> None:
    """The child: start the fake, seed `size` databases, answer call counts until told to stop."""
    from datetime import UTC, datetime, timedelta

    from tests.fake_oci.fixture import FakeOci, start_server

    server = start_server()
    fake = FakeOci(server)
    tags = {"governance": {"environment": "dev", "cost_center": "CC-101", "owner": "bench"}}
    for i in range(size):
        adb = fake.database.add_autonomous_database(
            compartment_id=COMPARTMENT,
            display_name=f"db{i:03d}",
            db_name=f"BENCH{i:03d}",
            compute_count=4.0,
            is_auto_scaling_enabled=False,
            backup_retention_period_in_days=7,
            defined_tags=tags,
        )
        fake.monitoring.set_pattern(
            adb.id,
            CpuUtilization=CPU_PATTERNS[i % 5],
            StorageUtilization=STORAGE_PATTERNS[i % 5],
            Sessions=20 + i % 7,
        )
        fake.database.add_backup(adb.id, time_ended=datetime.now(UTC) - timedelta(hours=5))
    key = server.api_key
    conn.send((server.url, key.private_pem, key.user, key.tenancy, key.fingerprint))
    while True:
        message = conn.recv()
        if message == "stop":
            break
        with fake.state.lock:
            counts = Counter(c.operation for c in fake.state.calls)
            fake.state.calls.clear()
        conn.send(dict(counts))
    server.stop()


def _project(root: Path, size: int, concurrency: int) -> None:
    """Pulumi.yaml and a `bench` stack file declaring `size` databases (from the dev stack)."""
    import yaml

    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "stacks" / "__main__.py").write_text("")
    (root / "Pulumi.yaml").write_text(
        "name: guardrails\nruntime: python\nmain: stacks/\nstackConfigDir: stacks\n"
    )
    dev = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    dev["guardrails:compartmentOcid"] = COMPARTMENT
    dev["guardrails:databases"] = {
        f"db{i:03d}": {
            "dbName": f"BENCH{i:03d}",
            "displayName": f"db{i:03d}",
            "workload": "OLTP",
            "licenseModel": "LICENSE_INCLUDED",
            "computeCount": 4,
            "storageTbs": 1,
            "backupRetentionDays": 7,
        }
        for i in range(size)
    }
    dev["guardrails:fleet"] = {"concurrency": concurrency}
    (root / "stacks" / "Pulumi.bench.yaml").write_text(yaml.safe_dump({"config": dev}))


def _config(root: Path, url_key: tuple[str, str, str, str, str]) -> Path:
    _, pem, user, tenancy, fingerprint = url_key
    (root / "key.pem").write_text(pem)
    config = root / "oci-config"
    config.write_text(
        f"[DEFAULT]\nuser={user}\nfingerprint={fingerprint}\ntenancy={tenancy}\n"
        f"region=eu-frankfurt-1\nkey_file={root / 'key.pem'}\n"
    )
    return config


def _status(root: Path, config: Path, url: str) -> tuple[float, dict[str, Any]]:
    out = io.StringIO()
    argv = ["fleet", "status", "--program", str(root), "--stack", "bench", "--days", "7"]
    argv += ["--format", "json", "--oci-config", str(config), "--endpoint-url", url]
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"fleet status exited {code}")
    return elapsed, json.loads(out.getvalue())


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def bench(sizes: list[int], runs: int, console: Console) -> None:
    table = Table(title=f"guardrails fleet status --days 7 ({_machine()})")
    for column in (
        "databases",
        "API calls",
        "per database",
        "by operation",
        "one at a time (s)",
        "concurrency 8 (s)",
        "speed-up",
    ):
        table.add_column(column, justify="right")
    ctx = multiprocessing.get_context("spawn")
    for size in sizes:
        parent, child = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(size, child), daemon=True)
        process.start()
        url_key = parent.recv()
        times: dict[int, list[float]] = {1: [], 8: []}
        counts: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as tmp:
            config = _config(Path(tmp), url_key)
            for concurrency in (1, 8):
                root = Path(tmp) / f"c{concurrency}"
                _project(root, size, concurrency)
                for _ in range(runs):
                    elapsed, doc = _status(root, config, url_key[0])
                    assert len(doc["databases"]) == size
                    times[concurrency].append(elapsed)
                    parent.send("count")
                    counts = parent.recv()
        parent.send("stop")
        process.join(10)
        total = sum(counts.values())
        base, fast = statistics.median(times[1]), statistics.median(times[8])
        table.add_row(
            str(size),
            str(total),
            f"{(total - counts.get('ListAutonomousDatabases', 0)) / size:g}",
            ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
            f"{base:.2f}",
            f"{fast:.2f}",
            f"{base / fast:.1f}x",
        )
    console.print(table)


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bench(args.sizes, args.runs, Console(width=200))


if __name__ == "__main__":
    run()
