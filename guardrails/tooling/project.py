"""Read a Pulumi project (`Pulumi.yaml`) and one stack's settings (`Pulumi.<stack>.yaml`).

This is what the Pulumi CLI does before it starts a program: find the entry point, and turn
the stack's `config:` block into the flat `namespace:key -> string` map and the list of
secret keys that the language runtime hands to the program. Secure values cannot be
decrypted offline (and must never be), so they become a fixed placeholder and their keys
are marked secret, which is what `config.require_secret` needs to return a secret Output.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import compose_yaml, read_text, read_yaml

if TYPE_CHECKING:
    from guardrails.runtime.stack_schema import StackConfig


SECRET_PLACEHOLDER = "[secret]"
"""Stands for a secret value in captures and reports."""
CONFIG_SECRET_VALUE = "offline-preview-secret"
"""What a program reads for a `secure:` config value offline: a plain token, so that code
parsing config (JSON, numbers) still runs; the key is marked secret all the same."""
_STACK_NAME = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Project:
    """The parts of `Pulumi.yaml` that locate and run a program."""

    name: str
    root: Path
    main: Path
    stack_config_dir: Path
    runtime: str

    def stack_file(self, stack: str) -> Path:
        # `org/project/stack` names keep their settings in Pulumi.<stack>.yaml
        return self.stack_config_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"

    def stacks(self) -> list[str]:
        """Names of the stacks that have a settings file, sorted."""
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")]
            for p in self.stack_config_dir.glob("Pulumi.*.yaml")
        )


@dataclass(frozen=True)
class StackSettings:
    """A stack's config as the language runtime receives it."""

    stack: str
    path: Path
    config: dict[str, str]
    secret_keys: list[str] = field(default_factory=list)


def default_program() -> Path:
    """The program a command runs when `--program` is not given, found as `pulumi` finds
    it: the nearest folder holding Pulumi.yaml, from the current folder upward. A command run
    in another project acts on that project, never on one it was not pointed at."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise GuardrailsError(
        f"{here}: no Pulumi.yaml here or in a folder above: run the command in a Pulumi "
        "project or name one with --program DIR"
    )


def load_project(program_dir: Path) -> Project:
    """Read `Pulumi.yaml` in `program_dir`; raise GuardrailsError naming what is wrong."""
    root = program_dir.resolve()
    path = root / "Pulumi.yaml"
    if not path.is_file():
        raise GuardrailsError(f"{root}: no Pulumi.yaml here; is this a Pulumi project?")
    doc = read_yaml(path, "Pulumi project file")
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
        raise GuardrailsError(f"{path}: `name` must be a non-empty string")
    runtime = doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise GuardrailsError(
            f"{path}: runtime is {runtime_name!r}; only Python programs can be previewed"
        )
    main = root / str(doc.get("main") or ".")
    if main.is_dir():
        main = main / "__main__.py"
    if not main.is_file():
        raise GuardrailsError(f"{path}: program entry point {main} does not exist")
    config_dir = root / str(doc.get("stackConfigDir") or ".")
    return Project(
        name=doc["name"],
        root=root,
        main=main.resolve(),
        stack_config_dir=config_dir.resolve(),
        runtime="python",
    )


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _has_secure(value: Any) -> bool:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return True
        return any(_has_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secure(v) for v in value)
    return False


def _mask_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return CONFIG_SECRET_VALUE
        return {k: _mask_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secure(v) for v in value]
    return value


def _to_config_string(value: Any) -> str:
    """Render a YAML value the way the Pulumi CLI passes it to a program."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):  # YAML reads 2027-03-31 as a date; Pulumi passes the text
        return value.isoformat()
    return json.dumps(value, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a config value")


def load_stack_settings(project: Project, stack: str) -> StackSettings:
    """Read `Pulumi.<stack>.yaml`; raise GuardrailsError for a missing or malformed file."""
    parts = stack.split("/")
    if len(parts) > 3 or not all(_STACK_NAME.match(p) for p in parts):
        raise GuardrailsError(
            f"invalid stack name {stack!r}: "
            "use letters, digits, -, _ and ., as `dev` or `org/project/dev`"
        )
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise GuardrailsError(
            f"unknown stack {stack!r}: {path} does not exist (stacks with a settings file: {known})"
        )
    doc = read_yaml(path, "stack settings file") or {}
    if not isinstance(doc, dict):
        raise GuardrailsError(f"{path}: expected a mapping at the top level")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise GuardrailsError(f"{path}: `config` must be a mapping of keys to values")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        if not isinstance(key, str) or not key:
            raise GuardrailsError(f"{path}: config key {key!r} must be a non-empty string")
        qualified = _qualify(key, project.name)
        if _has_secure(value):
            secret_keys.append(qualified)
        try:
            config[qualified] = _to_config_string(_mask_secure(value))
        except (TypeError, ValueError) as exc:
            raise GuardrailsError(
                f"{path}: config {key}: not a value Pulumi can pass ({exc})"
            ) from exc
    return StackSettings(stack=stack, path=path, config=config, secret_keys=sorted(secret_keys))


def validated_stack(program_dir: Path, stack: str) -> tuple[StackSettings, StackConfig]:
    """The stack's settings and its validated `guardrails:*` config, read as `pulumi up`
    would; GuardrailsError (exit 2) with every problem's key path. The one place the
    commands (cost, fleet, enforcement) read a stack's config."""
    from guardrails.runtime.stack_schema import parse_stack_config  # pydantic: when asked

    project = load_project(program_dir)
    settings = load_stack_settings(project, stack)
    locate = _config_positions(settings.path, project.name)
    config = parse_stack_config(
        settings.config, set(settings.secret_keys), locate, str(settings.path)
    )
    return settings, config


def _config_positions(path: Path, project: str) -> Callable[[tuple[Any, ...]], str]:
    """Where a `guardrails:` key path is written in a stack file: ` (line L, column C)` of the
    value (the key itself when the value is JSON text, whose inside YAML does not see)."""
    from guardrails.runtime.stack_schema.problems import NAMESPACE
    from guardrails.tooling.documents import node_at, place

    root = compose_yaml(read_text(path, "stack settings file"))
    config = node_at(root, ("config",)) if root is not None else None

    def locate(loc: tuple[Any, ...]) -> str:
        if not isinstance(config, yaml.MappingNode) or not loc:
            return ""
        for key, value in config.value:
            if _qualify(str(key.value), project) == f"{NAMESPACE}:{loc[0]}":
                return place(node_at(value, loc[1:]))
        return ""

    return locate


def load_stack_config(program_dir: Path, stack: str) -> StackConfig:
    """`validated_stack`'s config alone."""
    return validated_stack(program_dir, stack)[1]
