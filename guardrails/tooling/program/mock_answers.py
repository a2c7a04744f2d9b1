"""Data-source answers for programs we did not write: the `--mocks` file.

A real preview asks the cloud what a data source returns; offline, the answer comes from a
file (YAML or JSON; `--mocks FILE`, or `guardrails-mocks.yaml|yml|json` in the program's
folder). Its top level maps a function token to the answer, result fields in camelCase as
the engine sends them; or to a list of answers narrowed by the call's arguments:

    oci:ContainerEngine/getNodePoolOption:getNodePoolOption:
      kubernetesVersions: [v1.30.1]
    oci:Core/getImages:getImages:
      - when: {operatingSystem: Oracle Linux}
        answer: {images: [{id: "ocid1.image.oc1..aaaa", displayName: OL8}]}
      - answer: {images: []}          # no `when`: any other call

The file is read and its shape checked by the parent (`load_mock_answers`, exit 2 on a bad
file); the fields are checked against the provider's result class in the preview runner,
where the provider SDK is imported anyway (`check_answers`). Fields an answer leaves out get
the preview's placeholder values.
"""

from __future__ import annotations

import json
import re
import typing
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, RootModel

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.documents import parse_document, validate_document
from guardrails.tooling.inputs import read_text

CONVENTIONAL_NAMES = ("guardrails-mocks.yaml", "guardrails-mocks.yml", "guardrails-mocks.json")
_FUNCTION_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+/(?P<middle>\w+):(?P<function>\w+)$")


@dataclass(frozen=True)
class MockAnswer:
    when: dict[str, Any]
    answer: dict[str, Any]

    def matches(self, args: dict[str, Any]) -> bool:
        return all(args.get(k) == v for k, v in self.when.items())


MockAnswers = dict[str, list[MockAnswer]]


def find_mocks_file(program_root: Path) -> Path | None:
    """The conventional mocks file in the program's folder, if there is one."""
    return next((p for n in CONVENTIONAL_NAMES if (p := program_root / n).is_file()), None)


def _token(token: str) -> str:
    match = _FUNCTION_TOKEN.match(token)
    if match is None:
        raise ValueError(
            "is not a function token such as oci:Core/getImages:getImages "
            "(a provider's top-level functions: aws:index/getRegion:getRegion)"
        )
    function = match["function"]
    if match["middle"] != function[:1].lower() + function[1:]:
        module = token.split("/", 1)[0]
        raise ValueError(
            f"the middle segment {match['middle']!r} does not name the function "
            f"{function!r}; did you mean {module}/{function}:{function}?"
        )
    return token


def _answers(value: Any) -> Any:
    """One answer (a mapping) is a list of one entry without `when`."""
    if isinstance(value, dict):
        return [{"answer": value}]
    if not isinstance(value, list):
        raise ValueError(f"expected an answer (mapping) or a list of answers (got {value!r})")
    if not value:
        raise ValueError("expected an answer (mapping) or a list of answers (got [])")
    return value


class _Entry(BaseModel):
    """One answer of a list: `{when: {argument: value}, answer: {field: value}}`."""

    model_config = ConfigDict(extra="forbid")

    when: Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v)] = {}
    answer: dict[str, Any]


class _File(
    RootModel[
        dict[
            Annotated[str, AfterValidator(_token)],
            Annotated[list[_Entry], BeforeValidator(_answers)],
        ]
    ]
):
    """The file: function tokens to their answers."""


def parse_mock_answers(doc: Any, source: str, text: str | None = None) -> MockAnswers:
    """Check the file's shape (`text`, when given, places each problem on its line);
    GuardrailsError naming every problem."""
    if doc is None:
        return {}
    entries = validate_document(_File, doc, source, text).root
    return {t: [MockAnswer(e.when, e.answer) for e in listed] for t, listed in entries.items()}


def load_mock_answers(path: Path) -> MockAnswers:
    text = read_text(path, "mocks file")
    doc = parse_document(text, str(path), json=path.suffix == ".json")
    return parse_mock_answers(doc, str(path), text)


def to_json(answers: MockAnswers) -> dict[str, Any]:
    return {t: [{"when": a.when, "answer": a.answer} for a in e] for t, e in answers.items()}


def from_json(doc: dict[str, Any]) -> MockAnswers:
    return {t: [MockAnswer(a["when"], a["answer"]) for a in e] for t, e in doc.items()}


def _check_value(where: str, value: Any, typ: Any) -> None:
    """Check field names of nested output types (lists and maps of them too)."""
    from pulumi import _types as pulumi_types

    origin = typing.get_origin(typ)
    if origin is typing.Union:
        for arg in typing.get_args(typ):
            if arg is not type(None):
                _check_value(where, value, arg)
        return
    if origin in (list, abc.Sequence) and isinstance(value, list):
        (item,) = typing.get_args(typ) or (Any,)
        for i, v in enumerate(value):
            _check_value(f"{where}[{i}]", v, item)
        return
    if isinstance(typ, type) and pulumi_types.is_output_type(typ) and isinstance(value, dict):
        _check_fields(where, value, pulumi_types.output_type_types(typ))


def _check_fields(where: str, answer: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, value in answer.items():
        if key not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise GuardrailsError(f"{where}: unknown field {key!r} (fields: {known})")
        _check_value(f"{where}.{key}", value, fields[key])


def check_answers(answers: MockAnswers, source: str) -> None:
    """Check every answer against the provider's result class (in the preview runner)."""
    from pulumi import _types as pulumi_types

    from guardrails.tooling.program.provider_types import function_result_class

    for token, entries in answers.items():
        cls = function_result_class(token)
        if cls is None:
            raise GuardrailsError(
                f"{source}: {token}: no such data source in the installed provider SDKs"
            )
        fields = pulumi_types.output_type_types(cls)
        for i, entry in enumerate(entries):
            where = f"{source}: {token}" + (f"[{i}]" if len(entries) > 1 else "")
            _check_fields(where, entry.answer, fields)


def pick(answers: MockAnswers, token: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """The answer for one call, or None when the file has none for this token."""
    entries = answers.get(token)
    if not entries:
        return None
    for entry in entries:
        if entry.matches(args):
            return entry.answer
    shown = json.dumps(args, sort_keys=True, default=str)
    raise GuardrailsError(
        f"mocks file: no answer for {token} matches the call's arguments {shown}; "
        "add an entry without `when` or with matching `when` values"
    )


def unused_entries(answers: MockAnswers, calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The entries of the mocks file that answered none of the calls (token, arguments), as
    `token` or `token[i]`: a misspelt token or `when` is otherwise silently never used."""
    used: set[tuple[str, int]] = set()
    for token, args in calls:
        for index, entry in enumerate(answers.get(token, [])):
            if entry.matches(args):
                used.add((token, index))
                break
    unused = []
    for token, entries in answers.items():
        for index in range(len(entries)):
            if (token, index) not in used:
                unused.append(token if len(entries) == 1 else f"{token}[{index}]")
    return unused


def how_to_mock(tokens: list[str]) -> str:
    """The hint shown when a run failed and data sources got placeholder answers."""
    first = tokens[0]
    return (
        f"data sources answered with placeholders: {', '.join(tokens)}; give real answers in "
        f"guardrails-mocks.yaml next to Pulumi.yaml (or --mocks FILE), e.g. `{first}: "
        "{field: value}` with the result fields in camelCase"
    )
