"""Benchmark of layer builds: plain pip, the common "optimized" recipe, and guardrails.

    make bench-layers
    .venv/bin/python bench/layers/run.py --sets light --runs 5

For two reference dependency sets (light: requests and urllib3; heavy: pandas with numpy) it
builds, in the same run and for the same target (this interpreter's Python version, this
machine's architecture):

- plain pip: `pip install -t python/` then zip (what SAM and Klayers do; pip writes timestamp
  bytecode, the zip keeps the files' dates);
- optimized recipe: the same, then delete `*.pyc`, `__pycache__`, `*.dist-info` and `tests`;
- guardrails (defaults): `build_layer` with nothing stripped, checked-hash bytecode;
- guardrails (slim): `build_layer` with `--strip tests,docs,so`.

For each it reports zipped and unzipped size, file count, the cold import time of the
top-level modules in a fresh interpreter from the unzipped layer (median of several runs,
with the layer read-only as on Lambda: PYTHONDONTWRITEBYTECODE), whether
`importlib.metadata.version()` works for every distribution, and whether a second build is
byte-identical. The layer is unzipped keeping the zip's dates, as `unzip` does.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.runtime.layer_builder.build import build_layer  # noqa: E402
from guardrails.runtime.layer_builder.spec import ARCHITECTURES, LayerSpec, parse_requirements  # noqa: E402

SETS: dict[str, tuple[list[str], list[str]]] = {
    "light": (["requests==2.32.3", "urllib3==2.2.3"], ["requests", "urllib3"]),
    "heavy": (["pandas==2.2.3", "numpy==2.2.6"], ["pandas", "numpy"]),
}
RUNTIME = f"python3.{sys.version_info[1]}"
ARCHITECTURE = next(a for a, m in ARCHITECTURES.items() if m == platform.machine())


@dataclass
class Row:
    dependency_set: str
    method: str
    zipped: int
    unzipped: int
    files: int
    import_ms: float
    metadata_ok: str
    identical: bool
    build_s: float


def _pip(*args: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "-q",
            *args,
        ],
        check=True,
    )


def _zip_as_is(root: Path, destination: Path) -> None:
    """How plain recipes zip: directory walk order, the files' own dates and modes."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory, _, files in os.walk(root):
            for name in files:
                path = Path(directory, name)
                archive.write(path, path.relative_to(root).as_posix())


def _plain(requirements: list[str], work: Path, recipe: bool) -> Path:
    python = work / "layer" / "python"
    _pip("install", "--no-warn-conflicts", "--target", str(python), *requirements)
    if recipe:
        for path in sorted(python.rglob("*"), reverse=True):
            if not path.exists():
                continue
            if path.is_dir() and (
                path.name in ("__pycache__", "tests") or path.name.endswith(".dist-info")
            ):
                shutil.rmtree(path)
            elif path.is_file() and path.suffix == ".pyc":
                path.unlink()
    destination = work / "layer.zip"
    _zip_as_is(work / "layer", destination)
    return destination


def _ours(requirements: list[str], work: Path, strip: frozenset[str]) -> Path:
    spec = LayerSpec(parse_requirements(requirements), RUNTIME, ARCHITECTURE, strip=strip)
    destination = work / "layer.zip"
    build_layer(spec, destination, use_cache=False)
    return destination


def _extract(archive_path: Path, target: Path) -> None:
    with zipfile.ZipFile(archive_path) as archive:
        archive.extractall(target)
        for info in archive.infolist():
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(target / info.filename, (stamp, stamp))


def _child(layer: Path, code: str) -> subprocess.CompletedProcess[str]:
    # -S: not this environment's site-packages, only the layer (and the standard library).
    env = {**os.environ, "PYTHONPATH": str(layer / "python"), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-S", "-s", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _import_ms(layer: Path, modules: list[str], runs: int) -> float:
    code = (
        "import time; t = time.perf_counter()\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print((time.perf_counter() - t) * 1000)\n"
        + "".join(
            f"assert {m}.__file__.startswith({str(layer)!r}), {m}.__file__\n" for m in modules
        )
    )
    times = []
    for _ in range(runs):
        result = _child(layer, code)
        if result.returncode:
            raise RuntimeError(result.stderr)
        times.append(float(result.stdout))
    return statistics.median(times)


def _metadata(layer: Path, distributions: list[str]) -> str:
    code = (
        "import importlib.metadata as m\nok = 0\n"
        f"for name in {distributions!r}:\n"
        "    try:\n        m.version(name); ok += 1\n    except m.PackageNotFoundError: pass\n"
        "print(ok)"
    )
    ok = int(_child(layer, code).stdout)
    return f"{ok}/{len(distributions)}"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def measure(
    name: str,
    method: str,
    build: Callable[[Path], Path],
    modules: list[str],
    runs: int,
    distributions: list[str] | None,
) -> tuple[Row, list[str]]:
    """Build twice, then measure the first build; `distributions` defaults to its own."""
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        started = time.perf_counter()
        archive = build(Path(first))
        build_s = time.perf_counter() - started
        time.sleep(1.1)  # a rebuild a moment later, as CI would do it
        identical = _sha(archive) == _sha(build(Path(second)))
        layer = Path(first) / "opt"
        _extract(archive, layer)
        files = [p for p in layer.rglob("*") if p.is_file()]
        if distributions is None:
            distributions = sorted(
                p.name.split("-")[0] for p in (layer / "python").glob("*.dist-info")
            )
        row = Row(
            dependency_set=name,
            method=method,
            zipped=archive.stat().st_size,
            unzipped=sum(p.stat().st_size for p in files),
            files=len(files),
            import_ms=_import_ms(layer, modules, runs),
            metadata_ok=_metadata(layer, distributions),
            identical=identical,
            build_s=build_s,
        )
        return row, distributions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--runs", type=int, default=7, help="import timings per layer (median)")
    args = parser.parse_args()
    console = Console() if sys.stdout.isatty() else Console(width=170)
    rows: list[Row] = []
    for name in args.sets:
        requirements, modules = SETS[name]
        methods: list[tuple[str, Callable[[Path], Path]]] = [
            ("plain pip", lambda w, r=requirements: _plain(r, w, recipe=False)),
            ("optimized recipe", lambda w, r=requirements: _plain(r, w, recipe=True)),
            ("guardrails (defaults)", lambda w, r=requirements: _ours(r, w, frozenset())),
            (
                "guardrails (strip tests,docs,so)",
                lambda w, r=requirements: _ours(r, w, frozenset({"tests", "docs", "so"})),
            ),
        ]
        # Metadata is checked against plain pip's distributions (it keeps every dist-info).
        distributions: list[str] | None = None
        for method, build in methods:
            console.print(f"[dim]{name}: {method}...[/]")
            row, distributions = measure(name, method, build, modules, args.runs, distributions)
            rows.append(row)
    render(rows, console)


def render(rows: list[Row], console: Console) -> None:
    table = Table(
        title=f"Layer builds for {RUNTIME} {ARCHITECTURE} on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores (baseline: plain pip)",
        title_justify="left",
    )
    for column in (
        "set",
        "method",
        "zipped MB",
        "unzipped MB",
        "vs plain",
        "files",
        "cold import ms",
        "vs plain",
        "metadata",
        "rebuild identical",
        "build s",
    ):
        table.add_column(column, justify="left" if column in ("set", "method") else "right")
    baseline = {r.dependency_set: r for r in rows if r.method == "plain pip"}
    for row in rows:
        base = baseline[row.dependency_set]
        table.add_row(
            row.dependency_set,
            row.method,
            f"{row.zipped / 1e6:.2f}",
            f"{row.unzipped / 1e6:.2f}",
            f"{(row.unzipped / base.unzipped - 1) * 100:+.0f}%",
            str(row.files),
            f"{row.import_ms:.1f}",
            f"{row.import_ms / base.import_ms:.2f}x",
            row.metadata_ok,
            "yes" if row.identical else "no",
            f"{row.build_s:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
