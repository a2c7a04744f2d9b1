"""What changed since the last audit (`guardrails audit --baseline LAST.json`): the findings
that are new, and those the last report had that are gone (fixed, deleted or suppressed
since). A finding is known by its rule and resource (the live URN holds the resource's id).

The earlier report is checked with pydantic: a file that is not an audit's JSON report (a
gate report, another cloud's audit, a report that carries an error) is refused, exit 2, and
nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.findings import GateResult
from guardrails.tooling.inputs import read_json


class _Finding(BaseModel):
    model_config = ConfigDict(extra="ignore")

    policy: str
    urn: str
    name: str = ""
    level: str
    suppressed: bool = False
    message: str = ""


class _Live(BaseModel):
    model_config = ConfigDict(extra="ignore")

    cloud: str
    scope: str


class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore")

    violations: list[_Finding]
    live: _Live
    error: Any = None


def load_baseline(path: Path, cloud: str) -> list[dict[str, Any]]:
    """The open findings (not suppressed) of an earlier audit report of `cloud`."""
    doc = read_json(path, "baseline report")
    try:
        report = _Report.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the report"
        raise GuardrailsError(
            f"{path}: not a `guardrails audit` JSON report ({where}: {first['msg']})"
        ) from None
    if report.error is not None:
        raise GuardrailsError(f"{path}: that audit did not run (its report carries an error)")
    if report.live.cloud != cloud:
        raise GuardrailsError(
            f"{path}: an audit of {report.live.cloud}, not {cloud}; compare like with like"
        )
    return [f.model_dump() for f in report.violations if not f.suppressed]


def compare(result: GateResult, baseline: list[dict[str, Any]]) -> dict[str, Any]:
    """New findings (keys `policy`+`urn` not in the baseline) and resolved ones."""
    known = {(f["policy"], f["urn"]) for f in baseline}
    now = {(f.policy, f.urn) for f in result.findings if not f.suppressed}
    new = sorted(now - known)
    resolved = [f for f in baseline if (f["policy"], f["urn"]) not in now]
    return {
        "new": [{"policy": p, "urn": u} for p, u in new],
        "resolved": [
            {"policy": f["policy"], "urn": f["urn"], "name": f["name"], "message": f["message"]}
            for f in resolved
        ],
    }
