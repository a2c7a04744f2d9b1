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
