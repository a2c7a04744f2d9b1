"""The import contracts (`[tool.importlinter]` in pyproject.toml, run by `make lint`) hold on
the tree, and fail on a copy of the tree with one deliberate violation of each kind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("guardrails", "components", "policies")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.mark.subprocess
def test_the_tree_keeps_every_contract(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("module", "line", "broken", "shown"),
    [
        (
            "guardrails/runtime/limits.py",
            "import guardrails.tooling.gate.report",
            "Two layers: tooling above components and the catalog",
            "guardrails.runtime.limits -> guardrails.tooling.gate.report",
        ),
        (
            "components/mql.py",
            "import policies.model",
            "Two layers: tooling above components and the catalog",
            "components.mql -> policies.model",
        ),
        (
            "policies/tag_rules.py",
            "import pulumi",
            "The rule catalog is plain Python",
            "policies.tag_rules -> pulumi",
        ),
        (
            "policies/model.py",
            "import guardrails.runtime.limits",
            "The rule catalog is plain Python",
            "policies.model -> guardrails.runtime.limits",
        ),
        (
            "guardrails/runtime/validation.py",
            "import guardrails.runtime.stack_schema",
            "No import cycles",
            "No cycles are allowed in guardrails.runtime",
        ),
    ],
)
def test_a_bad_import_breaks_its_contract(tmp_path, module, line, broken, shown):
    tree = _copy(tmp_path)
    path = tree / module
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "  # deliberate violation\n" + rest)
    result = _lint(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    broken_section = result.stdout.split("Broken contracts", 1)[1]
    assert broken in " ".join(broken_section.split()), result.stdout
    assert shown in result.stdout, result.stdout
