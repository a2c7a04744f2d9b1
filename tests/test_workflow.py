"""The PR preview workflow: valid for GitHub Actions, and consistent with this project.

actionlint downloads its binary at build time, which this machine cannot; the workflow is
validated against the GitHub Actions workflow schema that check-jsonschema ships instead,
and its commands are checked against our own CLI and Makefile here.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from guardrails.tooling.cli import _build_parser
from guardrails.tooling.project import load_project
from tests.conftest import ROOT, STACKS

WORKFLOW = ROOT / ".github" / "workflows" / "preview.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.mark.subprocess
def test_workflow_matches_the_github_actions_schema(tmp_path):
    check = Path(sys.executable).parent / "check-jsonschema"
    proc = subprocess.run(
        [str(check), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on:", "runs_on:", 1))
    proc = subprocess.run(
        [str(check), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1  # the validator does reject a broken workflow


def test_runs_on_pull_requests_for_every_stack():
    doc = _workflow()
    assert "pull_request" in doc[True]  # YAML 1.1 reads the `on` key as True
    stacks = load_project(ROOT).stacks()
    for job in ("gate", "pulumi-preview"):
        matrix = doc["jobs"][job]["strategy"]["matrix"]["stack"]
        assert sorted(matrix) == sorted(STACKS)
        assert set(matrix) <= set(stacks)


def test_gate_commands_are_valid_for_our_cli_and_makefile():
    steps = _workflow()["jobs"]["gate"]["steps"]
    script = "\n".join(s.get("run", "") for s in steps).replace("\\\n", " ")
    commands = [
        line.strip()
        for line in script.splitlines()
        if line.strip().startswith(".venv/bin/guardrails ")
    ]
    assert len(commands) == 1  # one gate run per stack writes both reports
    args = shlex.split(commands[0].replace('"$STACK"', "dev").replace("$STACK", "dev"))[1:]
    parsed = _build_parser().parse_args(args)
    assert parsed.command == "check" and parsed.stack == "dev" and parsed.checkov
    assert parsed.output_sarif == Path("gate-dev.sarif")
    assert parsed.output_text == Path("gate-dev.txt")
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"make ([^\n]+)", script):
        for name in target.split():
            assert re.search(
                rf"^{re.escape(name.replace('.venv/.installed', '$(STAMP)').replace('.venv-checkov/bin/checkov', '$(CHECKOV)'))}:",
                makefile,
                re.M,
            ), name
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert upload["if"] == "always()"
    assert upload["with"]["sarif_file"] == "gate-${{ matrix.stack }}.sarif"


def test_pulumi_preview_uses_the_policy_pack_when_credentials_exist():
    steps = _workflow()["jobs"]["pulumi-preview"]["steps"]
    action = next(s for s in steps if s.get("uses", "").startswith("pulumi/actions@"))
    assert action["with"]["command"] == "preview"
    assert action["with"]["policyPacks"] == "policies"
    assert action["with"]["comment-on-pr"] is True
    assert action["if"] == "env.PULUMI_ACCESS_TOKEN != ''"
    assert (ROOT / action["with"]["policyPacks"] / "PulumiPolicy.yaml").is_file()
