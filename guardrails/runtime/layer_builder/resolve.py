"""Resolve and install: the exact wheels pip picks for the target runtime and architecture,
then exactly those wheels (hash-checked, no bytecode) under `python/`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from guardrails.runtime.layer_builder.archive import walk_files
from guardrails.runtime.layer_builder.result import Distribution, LayerBuildError, ProgressSink
from guardrails.runtime.layer_builder.spec import LayerSpec, Runtime, platform_tags

# Lambda's own interpreter path; console scripts get it instead of the build machine's.
_LAMBDA_PYTHON = "/var/lang/bin/python{}"


def _pip_target_options(spec: LayerSpec) -> list[str]:
    runtime = spec.target
    options = ["--only-binary=:all:", "--implementation", "cp"]
    options += ["--python-version", runtime.dotted]
    for tag in platform_tags(runtime, spec.architecture):
        options += ["--platform", tag]
    return options


def _run_pip(args: list[str], what: str, on_line: Callable[[str], None] | None = None) -> None:
    command = [sys.executable, "-m", "pip", *args]
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    output: list[str] = []
    for line in process.stdout:
        output.append(line)
        if on_line is not None:
            on_line(line)
    if process.wait() != 0:
        errors = [line.strip() for line in output if "ERROR" in line] or [
            line.strip() for line in output[-5:]
        ]
        raise LayerBuildError(f"{what} failed: " + " | ".join(errors))


def resolve(spec: LayerSpec, work: Path, index_options: Sequence[str] = ()) -> list[Distribution]:
    """The exact wheels pip would install for the spec's runtime and architecture."""
    requirements = work / "requirements.in"
    requirements.write_text("\n".join(spec.requirements.lines) + "\n", encoding="utf-8")
    report = work / "resolution.json"
    _run_pip(
        [
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--report",
            str(report),
            "--target",
            str(work / "resolve-target"),
            *_pip_target_options(spec),
            *index_options,
            "-r",
            str(requirements),
        ],
        f"resolving requirements for {spec.runtime} {spec.architecture}",
    )
    installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    distributions = []
    for item in installs:
        info = item["download_info"]
        hashes = info.get("archive_info", {}).get("hashes", {})
        sha256 = hashes.get("sha256") or info.get("archive_info", {}).get("hash", "")
        distributions.append(
            Distribution(
                name=item["metadata"]["name"],
                version=item["metadata"]["version"],
                sha256=sha256.removeprefix("sha256="),
                url=info["url"],
            )
        )
    return sorted(distributions, key=lambda d: d.name.lower())


def install(
    spec: LayerSpec,
    distributions: Sequence[Distribution],
    target: Path,
    work: Path,
    index_options: Sequence[str],
    progress: ProgressSink,
) -> None:
    pinned = work / "requirements.lock"
    index_lines = [line for line in spec.requirements.lines if line.startswith("-")]
    pinned.write_text(
        "\n".join(
            index_lines + [f"{d.name}=={d.version} --hash=sha256:{d.sha256}" for d in distributions]
        )
        + "\n",
        encoding="utf-8",
    )
    progress.phase("installing", len(distributions))

    def on_line(line: str) -> None:
        if line.startswith(("Collecting ", "Processing ")):
            progress.advance()

    _run_pip(
        [
            "install",
            "--no-deps",
            "--require-hashes",
            "--no-compile",
            "--progress-bar",
            "off",
            "--target",
            str(target),
            *_pip_target_options(spec),
            *index_options,
            "-r",
            str(pinned),
        ],
        f"installing requirements for {spec.runtime} {spec.architecture}",
        on_line,
    )


def rewrite_shebangs(python: Path, runtime: Runtime) -> None:
    """Console scripts name the build machine's interpreter; point them at Lambda's."""
    scripts = python / "bin"
    if not scripts.is_dir():
        return
    shebang = f"#!{_LAMBDA_PYTHON.format(runtime.dotted)}\n".encode()
    for script in walk_files(scripts):
        data = script.read_bytes()
        if data.startswith(b"#!"):
            script.write_bytes(shebang + data.split(b"\n", 1)[-1])
