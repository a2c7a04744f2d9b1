"""Reading Pulumi.yaml and stack files the way the CLI hands config to a program."""

from __future__ import annotations

import json

import pytest

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.project import CONFIG_SECRET_VALUE, load_project, load_stack_settings
from tests.conftest import ROOT, STACKS


def _project(tmp_path, pulumi_yaml: str, stack_yaml: str | None = None):
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    (tmp_path / "__main__.py").write_text("")
    if stack_yaml is not None:
        (tmp_path / "Pulumi.dev.yaml").write_text(stack_yaml)
    return load_project(tmp_path)


def test_our_project_layout():
    project = load_project(ROOT)
    assert project.name == "guardrails"
    assert project.main == ROOT / "stacks" / "__main__.py"
    assert project.stack_config_dir == ROOT / "stacks"
    assert set(STACKS) <= set(project.stacks())


def test_config_values_become_strings_and_secrets_placeholders(tmp_path):
    project = _project(
        tmp_path,
        "name: demo\nruntime: python\n",
        "config:\n"
        "  demo:count: 3\n"
        "  enabled: true\n"
        "  aws:region: eu-west-1\n"
        "  demo:token:\n    secure: AAABxyz\n"
        "  demo:nested:\n    plain: 1\n    inner:\n      secure: AAABabc\n",
    )
    settings = load_stack_settings(project, "dev")
    assert settings.config["demo:count"] == "3"
    assert settings.config["demo:enabled"] == "true"  # unqualified keys belong to the project
    assert settings.config["aws:region"] == "eu-west-1"
    assert settings.config["demo:token"] == CONFIG_SECRET_VALUE
    assert json.loads(settings.config["demo:nested"]) == {"plain": 1, "inner": CONFIG_SECRET_VALUE}
    assert settings.secret_keys == ["demo:nested", "demo:token"]
    assert "AAAB" not in json.dumps(settings.config)


@pytest.mark.parametrize(
    ("pulumi_yaml", "message"),
    [
        ("runtime: python\n", "`name` must be a non-empty string"),
        ("name: x\nruntime: go\n", "runtime is 'go'; only Python programs can be previewed"),
        ("name: x\nruntime: python\nmain: nowhere/\n", "program entry point"),
        ("name: [x\n", "not valid YAML"),
    ],
)
def test_bad_project_files(tmp_path, pulumi_yaml, message):
    with pytest.raises(GuardrailsError, match=message):
        _project(tmp_path, pulumi_yaml)


@pytest.mark.parametrize(
    ("stack_yaml", "message"),
    [
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("config: [1, 2]\n", "`config` must be a mapping of keys to values"),
    ],
)
def test_bad_stack_files(tmp_path, stack_yaml, message):
    project = _project(tmp_path, "name: demo\nruntime: python\n", stack_yaml)
    with pytest.raises(GuardrailsError, match=message):
        load_stack_settings(project, "dev")


def test_qualified_stack_names_use_the_last_part(tmp_path):
    project = _project(tmp_path, "name: demo\nruntime: python\n", "config: {}\n")
    assert load_stack_settings(project, "acme/demo/dev").stack == "acme/demo/dev"
    with pytest.raises(GuardrailsError, match="invalid stack name"):
        load_stack_settings(project, "a/b/c/dev")


# --- which program a command runs without --program --------------------------------------


def test_the_program_is_found_from_the_current_folder_up(tmp_path, monkeypatch):
    from guardrails.tooling.project import default_program

    (tmp_path / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
    (tmp_path / "infra" / "modules").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "infra" / "modules")
    assert default_program() == tmp_path


def test_without_a_project_here_or_above_the_command_says_so(tmp_path, monkeypatch, capsys):
    from guardrails.tooling.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["check", "--stack", "dev", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert err == (
        f"error: {tmp_path}: no Pulumi.yaml here or in a folder above: run the command in a "
        "Pulumi project or name one with --program DIR\n"
    )
    assert json.loads(out)["error"]["message"] == err.removeprefix("error: ").strip()


def test_a_command_run_in_another_project_judges_that_project(monkeypatch, capsys):
    """`guardrails check` in a user's program folder checks that program, never the
    guardrails project it was installed from (which would pass the wrong program)."""
    from guardrails.tooling.cli import main
    from guardrails.tooling.gate import program_gate
    from tests.conftest import FIXTURES

    seen = []

    def stop(request, *args, **kwargs):
        seen.append(request)
        raise SystemExit(0)

    monkeypatch.setattr(program_gate, "run_gate", stop)
    monkeypatch.chdir(FIXTURES / "plain_oci")
    with pytest.raises(SystemExit):
        main(["check"])
    capsys.readouterr()
    assert seen and seen[0].project.root == FIXTURES / "plain_oci"


def test_a_stack_config_problem_names_the_stack_file_and_the_line(tmp_path):
    """The commands that read a stack's config (cost, fleet, enforcement) say where in the
    stack file each problem is: in a YAML block, at the value; in JSON text, at the key."""
    import shutil

    from guardrails.runtime.stack_schema import StackConfigError
    from guardrails.tooling.project import load_stack_config

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    stack = tmp_path / "stacks" / "Pulumi.dev.yaml"
    lines = stack.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "computeCount: 2")
    lines[at] = lines[at].replace("computeCount: 2", "computeCount: 1")
    lines.append("  guardrails:fleet: '{\"days\": 0}'")
    stack.write_text("\n".join(lines) + "\n")
    with pytest.raises(StackConfigError) as err:
        load_stack_config(tmp_path, "dev")
    column = lines[at].index("1") + 1
    assert err.value.problems == [
        f"guardrails:databases.orders.computeCount: must be >= 2 (got 1) (line {at + 1}, "
        f"column {column})",
        f"guardrails:fleet.days: must be >= 1 (got 0) (line {len(lines)}, column 21)",
    ]
    assert str(err.value).startswith(f"invalid stack config ({stack}):\n")
