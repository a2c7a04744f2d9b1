"""The one place the tooling reads the files users hand it.

Every file a command reads (Pulumi.yaml, stack files, policy config, suppression ledger,
mocks file, plans, usage files, price books, saved estimates and reports, the OCI config)
goes through `read_text`, `read_json`, `read_yaml` (or `read_structured`) and `read_ini`,
so that what a user can get wrong is a `GuardrailsError` naming the file and the place
(exit 2), never a traceback and never a silent guess:

- a missing file, a folder, a FIFO or device (`--usage /dev/zero` would never end), a file
  that cannot be read;
- bytes that are not UTF-8 (line and column of the first one; a leading BOM is dropped;
  UTF-16 with a byte-order mark, as Windows PowerShell writes, is read);
- malformed YAML, JSON or INI, with its line and column;
- a key given twice in one mapping (YAML and JSON keep the last one silently; a policy
  setting or a usage quantity must not depend on which copy a parser keeps);
- NaN, Infinity or a number too large for a float (1e999) in JSON: Python reads them, but
  no report, gRPC message or comparison means anything with them;
- documents nested deeper than `MAX_DEPTH` levels (a plan nested 5,000 deep): the readers
  and the analyzer protocol behind them recurse;
- impossible dates in YAML (`2027-02-30`).

The fast path is the C parsers; the slower scans that find the position of a problem run
only when there is one.
"""

from __future__ import annotations

import configparser
import json
import math
import re
import stat
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

import yaml

from guardrails.runtime.errors import GuardrailsError

MAX_DEPTH = 100
"""Deepest nesting of lists and mappings a document may have. Real plans stay far below it
(modules in modules, nested blocks); past it the readers would recurse without end."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _line_column(data: str | bytes, offset: int) -> str:
    """`line L, column C` (1-based) of an offset into text, or into bytes (column in bytes)."""
    head = data[:offset]
    lines: list[str] | list[bytes] = (
        head.split(b"\n") if isinstance(head, bytes) else head.split("\n")
    )
    return f"line {len(lines)}, column {len(lines[-1]) + 1}"


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The file's bytes; GuardrailsError if it is missing, not a regular file or unreadable."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise GuardrailsError(f"{path}: {what} not found") from exc
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot be read: {exc.strerror}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise GuardrailsError(f"{path}: is a directory, expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise GuardrailsError(f"{path}: not a regular file, expected a {what}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise GuardrailsError(f"{path}: cannot be read: {exc.strerror}") from exc


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a leading byte-order mark dropped), or UTF-16 with its byte-order mark
    (what Windows PowerShell's `>` writes); GuardrailsError naming the first byte that is not
    UTF-8 and where it is."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise GuardrailsError(
                f"{source}: not UTF-16 text after its byte-order mark: bytes {exc.start}-"
                f"{exc.end} do not decode"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # utf-8-sig counts after the byte-order mark, which an editor does not show either
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        where = _line_column(data[bom:], exc.start)
        raise GuardrailsError(
            f"{source}: not UTF-8 text: byte 0x{data[bom + exc.start]:02x} at {where}"
        ) from exc


def read_text(path: Path, what: str = "file") -> str:
    """The file's text (UTF-8); GuardrailsError if it is missing, unreadable or not UTF-8."""
    return decode_text(read_bytes(path, what), str(path))


# --- JSON ---------------------------------------------------------------------------------


class _Problem(ValueError):
    """Raised by the decoder hooks; `_locate_json` then finds where it is."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Problem("duplicated key")
    return out


def _constant(name: str) -> float:
    raise _Problem(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Problem(f"number {text} is too large")
    return value


# strings, brackets, the constants Python accepts, and numbers with a fraction or exponent
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_JSON_TOKEN = re.compile(_STRING + r"|[\[\]{}]|NaN|-?Infinity|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_COLON = re.compile(r"\s*:")
_STRINGS = re.compile(_STRING)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _depth(text: str) -> int:
    """Deepest nesting of a JSON text that parsed (C-speed: strings and all but the brackets
    are removed by regular expressions)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _locate_json(text: str, max_depth: int) -> tuple[str, int] | None:
    """The first problem of a JSON text the C decoder refused or flagged, and its offset:
    a duplicated key, a constant or number that is not finite, or nesting past `max_depth`."""
    keys: list[set[str] | None] = []
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in "[{":
            if len(keys) >= max_depth:
                return f"nested deeper than {max_depth} levels", match.start()
            keys.append(set() if first == "{" else None)
        elif first in "]}":
            if keys:
                keys.pop()
        elif first == '"':
            frame = keys[-1] if keys else None
            if frame is not None and _COLON.match(text, match.end()):
                try:
                    key = json.loads(token)
                except ValueError:  # the decoder reports it
                    continue
                if key in frame:
                    return f"key {key!r} is given twice in one object", match.start()
                frame.add(key)
        elif token in ("NaN", "Infinity", "-Infinity"):
            return f"{token} is not a number JSON allows", match.start()
        elif not math.isfinite(float(token)):
            return f"number {token} is too large", match.start()
    return None


def parse_json(text: str, source: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Strict JSON: no duplicated keys, no NaN/Infinity, nothing nested past `max_depth`."""
    try:
        doc = json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float
        )
    except json.JSONDecodeError as exc:
        raise GuardrailsError(
            f"{source}: not valid JSON: {exc.msg} ({_line_column(text, exc.pos)})"
        ) from exc
    except (_Problem, RecursionError) as exc:
        found = _locate_json(text, max_depth)
        if found is None:  # not expected: say what the decoder said
            problem = (
                f"nested deeper than {max_depth} levels"
                if isinstance(exc, RecursionError)
                else str(exc)
            )
            raise GuardrailsError(f"{source}: not valid JSON: {problem}") from exc
        problem, offset = found
        raise GuardrailsError(
            f"{source}: not valid JSON: {problem} ({_line_column(text, offset)})"
        ) from exc
    if isinstance(doc, dict | list) and _depth(text) > max_depth:
        found = _locate_json(text, max_depth)
        assert found is not None
        problem, offset = found
        raise GuardrailsError(f"{source}: not valid JSON: {problem} ({_line_column(text, offset)})")
    return doc


def read_json(path: Path, what: str = "JSON file", *, max_depth: int = MAX_DEPTH) -> Any:
    return parse_json(read_text(path, what), str(path), max_depth=max_depth)


# --- YAML ---------------------------------------------------------------------------------

try:  # libyaml's parser: a stack file in 2 ms instead of 19
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """Safe YAML whose duplicated keys and impossible dates are errors with their position."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from exc

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        # before the merge keys (<<) are flattened in: a key may override a merged one
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicated = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base constructor reports it
                continue
            if duplicated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice in one mapping", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _deepest(node: yaml.Node, max_depth: int) -> yaml.Node | None:
    """The first node nested past `max_depth` (iterative: the tree may be deep)."""
    todo: list[tuple[yaml.Node, int]] = [(node, 0)]
    while todo:
        current, depth = todo.pop()
        if isinstance(current, yaml.MappingNode | yaml.SequenceNode):
            if depth >= max_depth:
                return current
            children: Iterator[yaml.Node] = (
                (v for pair in current.value for v in pair)
                if isinstance(current, yaml.MappingNode)
                else iter(current.value)
            )
            todo.extend((child, depth + 1) for child in reversed(list(children)))
    return None


def _object_depth(doc: Any) -> int:
    deepest, todo = 0, [(doc, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            deepest = max(deepest, depth)
            todo.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            todo.extend((v, depth + 1) for v in value)
    return deepest


def _too_deep(text: str, source: str, max_depth: int) -> GuardrailsError:
    where = ""
    try:
        node = yaml.compose(text, Loader=_Loader)
        deep = _deepest(node, max_depth) if node is not None else None
        if deep is not None:
            mark = deep.start_mark
            where = f" (line {mark.line + 1}, column {mark.column + 1})"
    except RecursionError:
        pass
    return GuardrailsError(
        f"{source}: not valid YAML: nested deeper than {max_depth} levels{where}"
    )


def parse_yaml(text: str, source: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Safe YAML with the checks above; `source` names the file in messages."""
    try:
        doc = yaml.load(text, Loader=_Loader)  # a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "malformed"
        raise GuardrailsError(f"{source}: not valid YAML: {_one_line(problem)}{where}") from exc
    except RecursionError as exc:
        raise _too_deep(text, source, max_depth) from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise GuardrailsError(f"{source}: not valid YAML: {_one_line(str(exc))}") from exc
    if _object_depth(doc) > max_depth:
        raise _too_deep(text, source, max_depth)
    return doc


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of a text (YAML, or JSON, which the composer reads as YAML) with the
    position of every value; None where it cannot be composed."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def read_yaml(path: Path, what: str = "YAML file") -> Any:
    return parse_yaml(read_text(path, what), str(path))


def read_structured(path: Path, what: str) -> Any:
    """JSON for `.json` files, YAML otherwise."""
    return read_json(path, what) if path.suffix == ".json" else read_yaml(path, what)


# --- INI ----------------------------------------------------------------------------------


def read_ini(path: Path, what: str = "INI file") -> configparser.ConfigParser:
    """An INI file (the OCI config) as ConfigParser reads it, strictly: a line outside a
    section, a section or key given twice, or a malformed line is an error with its line."""
    text = read_text(path, what)
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text, str(path))
    except configparser.MissingSectionHeaderError as exc:
        raise GuardrailsError(
            f"{path}: not a valid {what}: line {exc.lineno} is outside a [section]"
        ) from exc
    except configparser.DuplicateSectionError as exc:
        raise GuardrailsError(
            f"{path}: not a valid {what}: section [{exc.section}] is given twice "
            f"(line {exc.lineno})"
        ) from exc
    except configparser.DuplicateOptionError as exc:
        raise GuardrailsError(
            f"{path}: not a valid {what}: {exc.option!r} is given twice in [{exc.section}] "
            f"(line {exc.lineno})"
        ) from exc
    except configparser.ParsingError as exc:
        lines = ", ".join(str(number) for number, _ in exc.errors)
        raise GuardrailsError(f"{path}: not a valid {what}: cannot parse line {lines}") from exc
    except configparser.Error as exc:
        raise GuardrailsError(f"{path}: not a valid {what}: {_one_line(str(exc))}") from exc
    return parser
