"""What a program run under mocks leaves behind: the resources it declared, the data-source
calls it made and its stack outputs. This is the hand-off format between the preview runner
(child process) and everything built on it (the tree view, the policy gate, exports).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class CapturedResource:
    """One `RegisterResource` call, as the engine would have received it.

    `inputs` are the camelCase property values; secret values are replaced by a placeholder
    and their top-level property names listed in `secret_inputs`.
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

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]


@dataclass(frozen=True)
class CapturedInvoke:
    token: str
    args: dict[str, Any]


@dataclass
class Capture:
    project: str
    stack: str
    program: str
    resources: list[CapturedResource] = field(default_factory=list)
    invokes: list[CapturedInvoke] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Capture:
        resources = [
            CapturedResource(
                **{
                    **r,
                    "source": SourceLocation(**r["source"]) if r.get("source") else None,
                }
            )
            for r in doc["resources"]
        ]
        return cls(
            project=doc["project"],
            stack=doc["stack"],
            program=doc["program"],
            resources=resources,
            invokes=[CapturedInvoke(**i) for i in doc["invokes"]],
            outputs=doc["outputs"],
        )
