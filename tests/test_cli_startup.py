"""What `guardrails` loads before a command runs: each command group registers its arguments
without importing what its commands need, so `guardrails cost report` does not pay for
Pulumi's runtime, checkov, the `oci` SDK or the layer builder, and `guardrails check` does not
pay for DuckDB or the stack schema. `cost enforce` loads what it needs (the `oci` SDK, the
stack schema) but never the Pulumi SDKs: its alert rules live in `guardrails.runtime`.
(How long start-up takes is measured in bench/cost.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

HEAVY = (
    "duckdb",
    "pydantic",
    "pulumi",
    "pulumi_oci",
    "pulumi_policy",
    "grpc",
    "oci",
    "boto3",
    "checkov",
    "packaging.requirements",
    "urllib.request",
    "jsonschema",
    "guardrails.runtime.stack_schema",
    "guardrails.tooling.gate.program_gate",
    "guardrails.tooling.cost.store",
)

PROBE = """
import json, sys
import guardrails.tooling.cli as cli
cli._build_parser()
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.subprocess
def test_building_the_parser_imports_no_command_machinery():
    loaded = _modules_after(PROBE)
    assert [name for name in HEAVY if name in loaded] == []


@pytest.mark.subprocess
def test_the_probe_sees_a_heavy_import():
    """The probe can fail: importing the cost store shows up as DuckDB."""
    loaded = _modules_after(
        PROBE.replace("cli._build_parser()", "import guardrails.tooling.cost.store")
    )
    assert "duckdb" in loaded


PULUMI = ("pulumi", "pulumi_oci", "pulumi_aws", "pulumi_policy", "components")

ENFORCE_PROBE = """
import json, sys
import guardrails.tooling.cli as cli
args = cli._build_parser().parse_args(["cost", "enforce", "--stack", "dev"])
import guardrails.tooling.cost.enforce.run
import guardrails.tooling.cost.enforce.steps
import guardrails.tooling.cost.enforce.remediator
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.subprocess
def test_cost_enforce_runs_without_the_pulumi_sdks():
    loaded = _modules_after(ENFORCE_PROBE)
    assert "guardrails.tooling.cost.enforce.steps" in loaded  # the probe got that far
    assert [name for name in PULUMI if name in loaded] == []
