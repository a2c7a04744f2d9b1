"""Read a `pulumi preview --json` digest into the capture record.

The digest (`display.PreviewDigest`) holds `config`, `steps[]` and `changeSummary`; each
step has `op`, `urn` and, unless the resource goes away, `newState` (`apitype.ResourceV3`:
type, urn, custom, parent, inputs, protect, provider, dependencies, retainOnDelete). Inputs
keep Pulumi's unknown sentinel for values computed later and `[secret]` for secrets (the
digest never carries a secret's value). Unchanged resources are only in the digest with
`--show-sames`; without it the stack rules see the changed resources alone, which the
report says.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.plans import PlanFile
from guardrails.tooling.program.record import STACK_TYPE, Capture, CapturedResource
from guardrails.tooling.project import SECRET_PLACEHOLDER

# Steps after which the resource no longer exists, or that only read an existing one.
_GONE = frozenset(
    {"delete", "delete-replaced", "discard", "discard-replaced", "read", "read-replacement",
     "read-discard", "refresh", "remove-pending-replace"}
)  # fmt: skip
_URN_PREFIX = "urn:pulumi:"


def _has_secret(value: Any) -> bool:
    if isinstance(value, str):
        return value == SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _split_urn(urn: str, path: Path) -> tuple[str, str, str]:
    """(stack, project, name) of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    parts = urn[len(_URN_PREFIX) :].split("::") if urn.startswith(_URN_PREFIX) else []
    if len(parts) < 4:
        raise GuardrailsError(f"{path}: step with a malformed URN {urn!r}")
    return parts[0], parts[1], parts[-1]


def _resource(state: Mapping[str, Any], path: Path) -> CapturedResource:
    urn = str(state.get("urn", ""))
    _, _, name = _split_urn(urn, path)
    inputs = state.get("inputs") or {}
    if not isinstance(inputs, dict) or not isinstance(state.get("type"), str):
        raise GuardrailsError(f"{path}: step {urn} has no type or no input object")
    return CapturedResource(
        urn=urn,
        type=state["type"],
        name=name,
        custom=bool(state.get("custom", True)),
        parent=state.get("parent") or None,
        inputs=inputs,
        provider=state.get("provider") or None,
        protect=bool(state.get("protect", False)),
        retain_on_delete=bool(state.get("retainOnDelete", False)),
        dependencies=sorted({str(d) for d in state.get("dependencies") or []}),
        secret_inputs=sorted(k for k, v in inputs.items() if _has_secret(v)),
    )


def read_pulumi_preview(doc: Mapping[str, Any], path: Path) -> PlanFile:
    """The resources a preview ends with, as a capture (see the module docstring)."""
    by_urn: dict[str, CapturedResource] = {}
    same_steps = 0
    for step in doc["steps"]:
        if not isinstance(step, dict):
            raise GuardrailsError(f"{path}: a step is not a JSON object")
        state = step.get("newState")
        if step.get("op") in _GONE or not isinstance(state, dict):
            continue
        same_steps += step.get("op") == "same"
        if state.get("type") == STACK_TYPE:
            continue
        # A replacement shows as several steps of one URN; the last state is the outcome.
        by_urn[str(state.get("urn"))] = _resource(state, path)
    urns = list(by_urn) or [str(s.get("urn", "")) for s in doc["steps"] if isinstance(s, dict)]
    stack, project = _split_urn(urns[0], path)[:2] if urns and urns[0] else (path.stem, "pulumi")
    config = {str(k): v for k, v in (doc.get("config") or {}).items() if isinstance(v, str)}
    notes = []
    unchanged = int((doc.get("changeSummary") or {}).get("same", 0) or 0)
    if unchanged and not same_steps:
        notes.append(
            f"{unchanged} unchanged resources are not in the file (run pulumi preview --json "
            "--show-sames): stack rules saw only the changed ones"
        )
    capture = Capture(
        project=project,
        stack=stack,
        program=str(path),
        resources=sorted(by_urn.values(), key=lambda r: r.urn),
    )
    return PlanFile(path=path, tool="pulumi", capture=capture, config=config, notes=notes)
