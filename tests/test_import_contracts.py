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


# The command-line layer: each command group's cli.py (and cost/store_cli.py) reads arguments
# and builds a typed request; the run layer below never sees argparse. What both layers share
# (exit codes, the access dataclasses) is in cli_support.py and cli_options.py, which the run
# layer may import. Entry points with a command line of their own: the preview runner child,
# the catalog-data generator, and the Spark application file (which calls the command line).
COMMAND_LINE_HELPERS = {"guardrails.tooling.cli_support", "guardrails.tooling.cli_options"}
OWN_COMMAND_LINES = {
    "guardrails.tooling.program.runner",
    "guardrails.tooling.catalog_data.terraform_types",
    "guardrails.tooling.spark_job",
}


def _is_command_line(module: str) -> bool:
    return module.endswith((".cli", "_cli"))


def _command_line_imports(package_root: Path) -> list[str]:
    import grimp

    graph = grimp.build_graph("guardrails", cache_dir=None)
    found = []
    for module in sorted(graph.modules):
        if _is_command_line(module) or module in OWN_COMMAND_LINES | COMMAND_LINE_HELPERS:
            continue
        imported = graph.find_modules_directly_imported_by(module)
        found += [f"{module} -> {m}" for m in sorted(imported) if _is_command_line(m)]
        source = graph_file(package_root, module).read_text(encoding="utf-8")
        if "argparse" in source:
            found.append(f"{module} uses argparse")
    return found


def graph_file(root: Path, module: str) -> Path:
    path = root.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def test_the_run_layer_never_sees_the_command_line():
    assert _command_line_imports(ROOT) == []


@pytest.mark.subprocess
def test_a_run_module_importing_a_command_line_module_is_found(tmp_path):
    tree = _copy(tmp_path)
    run = tree / "guardrails/tooling/cost/enforce/run.py"
    run.write_text(
        run.read_text() + "\nfrom guardrails.tooling.cost.spend.cli import spend_source\n"
    )
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from tests.test_import_contracts import _command_line_imports; "
        "print(_command_line_imports(Path(sys.argv[1])))"
    )
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{ROOT}"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tree)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['guardrails.tooling.cost.enforce.run -> guardrails.tooling.cost.spend.cli']"
    )
