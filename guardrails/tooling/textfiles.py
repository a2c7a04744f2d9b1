"""Reading the files users hand us, and checking where reports go, with one-line errors.

Every file the CLI reads (Pulumi.yaml, stack files, policy config, suppression ledger, mocks
file) goes through `read_text`/`read_yaml`/`read_json`, so a byte that is not UTF-8, an
impossible date (`2027-02-30`), a directory where a file belongs or malformed YAML/JSON is a
`GuardrailsError` naming the file and the place, never a traceback.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from guardrails.runtime.errors import GuardrailsError


def read_text(path: Path, what: str = "file") -> str:
    """The file's text (UTF-8); GuardrailsError if it is missing, unreadable or not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise GuardrailsError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise GuardrailsError(f"{path}: is a directory, expected a {what}") from exc
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot be read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GuardrailsError(
            f"{path}: not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line}"
        ) from exc


try:  # libyaml's parser: a stack file in 2 ms instead of 19
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """Safe YAML whose impossible dates are errors with their position, not ValueErrors."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "malformed"
        raise GuardrailsError(f"{source}: not valid YAML: {_one_line(problem)}{where}") from exc
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise GuardrailsError(f"{source}: not valid YAML: {_one_line(str(exc))}") from exc


def read_yaml(path: Path, what: str = "YAML file") -> Any:
    return parse_yaml(read_text(path, what), str(path))


def read_json(path: Path, what: str = "JSON file") -> Any:
    text = read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise GuardrailsError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    except RecursionError as exc:
        raise GuardrailsError(f"{path}: not valid JSON: nested too deeply") from exc


def read_structured(path: Path, what: str) -> Any:
    """JSON for `.json` files, YAML otherwise."""
    return read_json(path, what) if path.suffix == ".json" else read_yaml(path, what)


def check_output_path(path: Path, what: str = "report", *, create_parents: bool = False) -> None:
    """Refuse an output path that cannot be written, before any work is done. With
    `create_parents`, missing folders are fine (the writer creates them) as long as the
    nearest existing one is a writable folder."""
    if path.is_dir():
        raise GuardrailsError(f"--output {path}: is a directory; give a file name for the {what}")
    parent = path.parent
    while create_parents and not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.exists():
        raise GuardrailsError(f"--output {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise GuardrailsError(f"--output {path}: {parent} is a file, not a directory")
    try:
        if path.is_file():
            with path.open("a", encoding="utf-8"):  # opens for writing, changes nothing
                pass
        else:
            fd, probe = tempfile.mkstemp(dir=parent, prefix=".guardrails-probe-")
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise GuardrailsError(f"--output {path}: not writable: {exc.strerror}") from exc
