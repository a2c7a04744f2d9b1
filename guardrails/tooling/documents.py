"""The documents users hand the tooling, checked against their pydantic models.

`inputs.py` makes sure a file is readable text that parses; this module checks what it says:
`load_document(path, Model, what)` reads a JSON or YAML file and validates it, and
`validate_document` validates a document already parsed. Every problem the model finds is
named with its key path and, when the text is at hand, its line, after the file's name, on
the one line every error of the command line is:

    policies/suppressions.yaml: suppressions[2].reason: must be at least 10 characters (got
    'short') (line 13, column 13); suppressions[2].expires: must be a date such as 2027-03-31
    (got 'soon') (line 14, column 14)

so a user can fix a file without reading guardrails' source, and nothing runs on a document
that did not validate (GuardrailsError, exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

from guardrails.runtime.errors import GuardrailsError
from guardrails.runtime.stack_schema.problems import KeyedProblems, describe, key_path
from guardrails.tooling.inputs import compose_yaml, parse_json, parse_yaml, read_text

T = TypeVar("T")

SHOWN = 5
"""How many problems of one document an error names (a file with more has a bigger issue)."""

_KEY = "[key]"
"""The last part of a pydantic location that points at a mapping's key, not its value."""


def node_at(root: yaml.Node, loc: tuple[Any, ...]) -> yaml.Node:
    """The deepest node of a composed document along a pydantic location (a key's own node
    when the location ends at a mapping key, the mapping when a required key is missing)."""
    node = root
    for index, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode) and part != _KEY:
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                return node
            at_key = loc[index + 1 : index + 2] == (_KEY,)
            node = found[0] if at_key else found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


def _shown(part: Any) -> Any:
    """A key as a path shows it: quoted when it is empty, padded or not printable (a key
    `"\\n"` must not break the one-line error)."""
    if isinstance(part, str) and (not part or part != part.strip() or not part.isprintable()):
        return repr(part)
    return part


def _position(root: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    """` (line L, column C)` of the value at `loc` in the composed document, or "" when it
    cannot be told (no text, or a JSON text YAML does not read: the path still names it)."""
    if root is None:
        return ""
    return place(node_at(root, loc))


def place(node: yaml.Node) -> str:
    """` (line L, column C)` where a node starts."""
    mark = node.start_mark
    return f" (line {mark.line + 1}, column {mark.column + 1})"


def problems(exc: ValidationError, text: str | None = None) -> list[str]:
    """Every error of a validation as `key.path: problem (line L, column C)`."""
    # JSON is YAML to the composer, which keeps the position of every value
    root = compose_yaml(text) if text is not None else None
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":  # placed on the key, not its value
            loc += (_KEY,)
        keyed = (error.get("ctx") or {}).get("error")
        found = keyed.problems if isinstance(keyed, KeyedProblems) else [("", describe(error))]
        for sub, problem in found:
            where = key_path([_shown(part) for part in loc if part != _KEY])
            where = f"{where}.{sub}" if where and sub else where or sub
            place = f"{where}: " if where else ""
            lines.append(f"{place}{problem}{_position(root, loc)}")
    return lines


def validate_document(kind: type[T], doc: Any, source: str, text: str | None = None) -> T:
    """`doc` validated as `kind` (a pydantic model, or a type pydantic reads);
    GuardrailsError naming the file and the problems on one line (`; ` between them, the
    first `SHOWN` and how many more)."""
    try:
        return TypeAdapter(kind).validate_python(doc)
    except ValidationError as exc:
        found = problems(exc, text)
    more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise GuardrailsError(f"{source}: " + "; ".join(found[:SHOWN]) + more)


def parse_document(text: str, source: str, *, json: bool) -> Any:
    """A document's text parsed strictly (inputs.py's readers)."""
    return parse_json(text, source) if json else parse_yaml(text, source)


def load_document(path: Path, kind: type[T], what: str) -> T:
    """A JSON (`.json`) or YAML file validated as `kind`: GuardrailsError (exit 2) naming the
    file, and the line of each problem, for a file that is unreadable, malformed or invalid."""
    text = read_text(path, what)
    doc = parse_document(text, str(path), json=path.suffix == ".json")
    return validate_document(kind, doc, str(path), text)
