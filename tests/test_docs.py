"""docs/architecture.md's layout table says where things live: every module of `guardrails/`,
`components/` and `policies/` is named in the row of its folder, and every module a row
names exists there, so the table cannot drift from the tree unnoticed."""

from __future__ import annotations

import re

from tests.conftest import ROOT

ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("guardrails", "components", "policies")
_ROW = re.compile(r"^\| `(?P<folder>(?:guardrails|components|policies)[\w/]*/)` \|(?P<text>.*)$")
_MODULE = re.compile(r"`(?P<name>[\w/]+\.py)`")


def _rows() -> dict[str, str]:
    rows = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            rows[match["folder"]] = match["text"]
    return rows


def _modules(folder: str) -> set[str]:
    """The Python modules directly in a folder that its row must name (`__init__.py` only
    when it defines a function or class; a row may still name one that holds constants)."""
    out = set()
    for file in (ROOT / folder).glob("*.py"):
        defines = re.search(r"^(def|class) ", file.read_text(encoding="utf-8"), re.M)
        if file.name != "__init__.py" or defines:
            out.add(file.name)
    return out


def _named(text: str) -> set[str]:
    return {m["name"].rsplit("/", 1)[-1] for m in _MODULE.finditer(text) if "/" not in m["name"]}


def test_every_package_folder_has_a_row():
    rows = _rows()
    folders = {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for package in PACKAGES
        for init in (ROOT / package).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    # policies/checkov/ is named in the policies/ row (it runs in checkov's environment);
    # guardrails/ itself holds only the two layers
    unlisted = folders - set(rows) - {"policies/checkov/", "guardrails/"}
    assert sorted(unlisted) == []


def test_each_row_names_the_modules_of_its_folder_and_only_those():
    problems = []
    for folder, text in _rows().items():
        present, named = _modules(folder), _named(text)
        problems += [f"{folder}{name}: not in its row" for name in sorted(present - named)]
        gone = [name for name in sorted(named - present) if not (ROOT / folder / name).is_file()]
        problems += [f"{folder}{name}: named, but no such file" for name in gone]
    assert problems == []
