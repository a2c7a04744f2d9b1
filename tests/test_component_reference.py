"""The component reference in README.md matches the code: every input a table lists is a
field of the component's Args dataclass (and every field is listed), and every output it
lists is a typed attribute of the component that `register_outputs` registers.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re

import pulumi
import pytest

import components
from tests.conftest import ROOT

_SECTION = re.compile(r"^### `(?P<name>\w+)` \(`(?P<path>components/\w+\.py)`\)\n", re.M)
_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


def _sections() -> dict[str, tuple[str, str]]:
    readme = (ROOT / "README.md").read_text()
    reference = readme.split("## Component reference", 1)[1].split("\n## ", 1)[0]
    found = list(_SECTION.finditer(reference))
    out = {}
    for match, following in zip(found, [*found[1:], None], strict=True):
        end = following.start() if following else len(reference)
        out[match["name"]] = (match["path"], reference[match.end() : end])
    return out


SECTIONS = _sections()


def _readme_inputs(text: str) -> set[str]:
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in _NAME.findall(row.split("|")[1])}


def _readme_outputs(text: str) -> list[str]:
    match = re.search(r"Outputs?:\s+((?:`\w+`(?:,\s+)?)+)", text)
    assert match, "the section names no outputs"
    return _NAME.findall(match[1])


def _class_node(path: str, name: str) -> ast.ClassDef:
    tree = ast.parse((ROOT / path).read_text())
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _registered(node: ast.ClassDef) -> dict[str, ast.expr]:
    calls = [
        n
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "register_outputs"
    ]
    assert len(calls) == 1, "register_outputs must be called once"
    outputs = calls[0].args[0]
    assert isinstance(outputs, ast.Dict)
    return {
        k.value: v
        for k, v in zip(outputs.keys, outputs.values, strict=True)
        if isinstance(k, ast.Constant)
    }


def test_every_exported_component_has_a_reference_section():
    exported = {
        name
        for name in components.__all__
        if inspect.isclass(cls := getattr(components, name))
        and issubclass(cls, pulumi.ComponentResource)
    }
    assert exported == set(SECTIONS)


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_readme_inputs_are_the_args_fields(name):
    path, text = SECTIONS[name]
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    fields = {f.name for f in dataclasses.fields(getattr(module, f"{name}Args"))}
    listed = _readme_inputs(text)
    assert listed - fields == set(), f"README lists inputs {name}Args does not have"
    assert fields - listed == set(), f"{name}Args has inputs README does not list"


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_readme_outputs_are_typed_registered_attributes(name):
    path, text = SECTIONS[name]
    node = _class_node(path, name)
    annotated = {
        s.target.id
        for s in node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    registered = _registered(node)
    outputs = _readme_outputs(text)
    assert sorted(registered) == sorted(outputs), "README outputs differ from register_outputs"
    for output in outputs:
        assert output in annotated, f"{name}.{output} is not a typed attribute"
        value = registered[output]
        assert (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id == "self"
            and value.attr == output
        ), f"register_outputs must register {name}.{output} itself"
