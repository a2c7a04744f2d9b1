"""The hand-off from the parent (`preview.capture`) to the preview runner child process
(`python -m guardrails.tooling.program.runner --request FILE --out FILE`).

The parent has read the project, the stack's settings and the mocks file once; the runner
reads none of them again. It runs the program from `workdir`, a temporary copy of the
program's folder, and reports positions relative to `program_root`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardrails.tooling.program.mock_answers import MockAnswers
from guardrails.tooling.program.mock_answers import from_json as mocks_from_json
from guardrails.tooling.program.mock_answers import to_json as mocks_to_json


@dataclass
class CaptureRequest:
    """What the parent hands the runner: the program, where its copy is, and the stack's
    config as already read (the runner reads no project or stack file of its own)."""

    project: str
    stack: str
    program_root: Path
    workdir: Path
    main: str
    config: dict[str, str]
    secret_keys: list[str]
    mocks: MockAnswers = field(default_factory=dict)
    mocks_source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "programRoot": str(self.program_root),
            "workdir": str(self.workdir),
            "main": self.main,
            "config": self.config,
            "secretKeys": self.secret_keys,
            "mocks": mocks_to_json(self.mocks),
            "mocksSource": self.mocks_source,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> CaptureRequest:
        return cls(
            project=doc["project"],
            stack=doc["stack"],
            program_root=Path(doc["programRoot"]),
            workdir=Path(doc["workdir"]),
            main=doc["main"],
            config=doc["config"],
            secret_keys=doc["secretKeys"],
            mocks=mocks_from_json(doc["mocks"]),
            mocks_source=doc["mocksSource"],
        )
