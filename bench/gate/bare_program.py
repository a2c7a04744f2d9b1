"""Run a Pulumi program under the SDK's own mock runtime and record nothing: the floor an
offline gate on a program cannot go under (preview semantics, as the capture runs it). `bench/gate/overhead.py` compares it with our
capture (`python -m guardrails.tooling.program.runner`), which runs the same program the same way
plus the recording monitor.

    python bench/gate/bare_program.py PROGRAM_DIR [STACK]
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import settings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from guardrails.tooling.project import load_project, load_stack_settings  # noqa: E402


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return {}


def main() -> int:
    program = Path(sys.argv[1])
    stack = sys.argv[2] if len(sys.argv) > 2 else "dev"
    project = load_project(program)
    config = load_stack_settings(project, stack)
    os.chdir(project.main.parent)
    sys.path.insert(0, str(project.main.parent))
    pulumi.runtime.set_all_config(config.config, config.secret_keys)
    pulumi.runtime.set_mocks(EchoMocks(), project=project.name, stack=stack, preview=True)
    settings.set_root_resource(None)  # type: ignore[arg-type]
    main_py = str(project.main)
    _sync_await(run_in_stack(lambda: runpy.run_path(main_py, run_name="__main__")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
