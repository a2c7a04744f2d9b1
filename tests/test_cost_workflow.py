"""The PR workflow posts the cost change of every stack with a valid `guardrails cost diff`."""

from __future__ import annotations

import shlex

import yaml

from guardrails.tooling.cli import _build_parser
from guardrails.tooling.project import load_project
from tests.conftest import ROOT


def test_cost_job_posts_a_markdown_diff_for_every_stack():
    job = yaml.safe_load((ROOT / ".github" / "workflows" / "preview.yml").read_text())["jobs"][
        "cost"
    ]
    assert sorted(job["strategy"]["matrix"]["stack"]) == load_project(ROOT).stacks()
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    [step] = [s for s in job["steps"] if "guardrails cost diff" in s.get("run", "")]
    assert step["env"]["BASE_REF"] == "origin/${{ github.base_ref }}"
    command = next(line for line in step["run"].splitlines() if "guardrails cost diff" in line)
    words = shlex.split(command.replace("$STACK", "dev").replace("$BASE_REF", "origin/main"))
    args = _build_parser().parse_args(words[1:])
    assert (args.command, args.cost_command, args.stack, args.format) == (
        "cost",
        "diff",
        ["dev"],
        "markdown",
    )
    assert 'cat "cost-$STACK.md" >> "$GITHUB_STEP_SUMMARY"' in step["run"]
