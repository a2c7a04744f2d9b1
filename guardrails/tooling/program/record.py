"""What a program run under mocks leaves behind: the resources it declared, the data-source
calls it made, its stack outputs and what it printed or logged. This is the hand-off format
between the preview runner (child process) and everything built on it (the tree view, the
policy gate, exports).

Values the provider computes at create time (ids, ARNs, generated names) are unknown in a
preview; the record keeps them as `UNKNOWN`, the sentinel `pulumi preview --json` and the
policy SDK use, so rules see them as unknown rather than as a made-up value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""An input whose value is computed by the provider at create time (unknown in a preview)."""


def count_unknowns(value: Any) -> int:
    """How many values in a (nested) property map are unknown."""
    if value == UNKNOWN:
        return 1
    if isinstance(value, dict):
        return sum(count_unknowns(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_unknowns(v) for v in value)
    return 0


@dataclass(frozen=True)
class SourceLocation:
    """A line of Python. `file` is relative to the program's folder when `in_program`, else
    relative to the import root it was found under (e.g. `components/adb.py` in site-packages).
    """

    file: str
    line: int
    in_program: bool = True

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "inProgram": self.in_program}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> SourceLocation:
        return cls(doc["file"], int(doc["line"]), bool(doc.get("inProgram", True)))


@dataclass(frozen=True)
class CapturedResource:
    """One `RegisterResource` call, as the engine would have received it.

    `inputs` are the camelCase property values; secret values are replaced by a placeholder
    and their top-level property names listed in `secret_inputs`. `source` is where users act
    (the innermost line of `stack` inside the program); `stack` is the whole chain of source
    positions, from the program's entry point down to the line that declared the resource.
    """

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    inputs: dict[str, Any]
    provider: str | None = None
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    secret_inputs: list[str] = field(default_factory=list)
    source: SourceLocation | None = None
    stack: list[SourceLocation] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def short_type(self) -> str:
        """`AutonomousDatabase` for `oci:Database/autonomousDatabase:AutonomousDatabase`."""
        return self.type.rsplit(":", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["source"] = self.source.to_json() if self.source else None
        doc["stack"] = [s.to_json() for s in self.stack]
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CapturedResource:
        return cls(
            **{
                **doc,
                "source": SourceLocation.from_json(doc["source"]) if doc.get("source") else None,
                "stack": [SourceLocation.from_json(s) for s in doc.get("stack", [])],
            }
        )


@dataclass(frozen=True)
class CapturedInvoke:
    """A data-source call; `answer` says where its result came from (`mocks`, `placeholder`)."""

    token: str
    args: dict[str, Any]
    answer: str = "placeholder"


@dataclass(frozen=True)
class ProgramMessage:
    """One thing the program said: `stream` is stdout, stderr or log; `severity` is debug,
    info, warning or error (stdout is info, stderr a warning)."""

    stream: str
    severity: str
    text: str


@dataclass
class Capture:
    project: str
    stack: str
    program: str
    resources: list[CapturedResource] = field(default_factory=list)
    invokes: list[CapturedInvoke] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    messages: list[ProgramMessage] = field(default_factory=list)

    def counts_by_type(self) -> dict[str, int]:
        """Number of resources per type token, most frequent first, then by name."""
        counts = Counter(r.type for r in self.resources)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def by_urn(self) -> dict[str, CapturedResource]:
        return {r.urn: r for r in self.resources}

    def children_by_parent(self) -> dict[str | None, list[CapturedResource]]:
        """Resources grouped by their parent's URN, in capture order."""
        out: dict[str | None, list[CapturedResource]] = {}
        for r in self.resources:
            out.setdefault(r.parent, []).append(r)
        return out

    def component_path(
        self, resource: CapturedResource, by_urn: Mapping[str, CapturedResource] | None = None
    ) -> str:
        """`AutonomousDatabaseFleet adb -> AutonomousDatabase adb-orders`: the resource and
        the components it was declared in, outermost first. Callers locating many resources
        pass `by_urn()` once (building it per call made the gate quadratic in findings)."""
        by_urn = self.by_urn() if by_urn is None else by_urn
        chain = [resource]
        seen = {resource.urn}
        while (parent := by_urn.get(chain[0].parent or "")) is not None and parent.urn not in seen:
            seen.add(parent.urn)
            chain.insert(0, parent)
        return " -> ".join(f"{r.short_type} {r.name}" for r in chain)

    def unknown_values(self) -> int:
        """How many input values across all resources are unknown until create time."""
        return sum(count_unknowns(r.inputs) for r in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "program": self.program,
            "resources": [r.to_json() for r in self.resources],
            "invokes": [asdict(i) for i in self.invokes],
            "outputs": self.outputs,
            "messages": [asdict(m) for m in self.messages],
            "unknownValues": self.unknown_values(),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Capture:
        return cls(
            project=doc["project"],
            stack=doc["stack"],
            program=doc["program"],
            resources=[CapturedResource.from_json(r) for r in doc["resources"]],
            invokes=[CapturedInvoke(**i) for i in doc["invokes"]],
            outputs=doc["outputs"],
            messages=[ProgramMessage(**m) for m in doc.get("messages", [])],
        )
