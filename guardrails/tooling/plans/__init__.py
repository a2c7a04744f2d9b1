"""Plans written by other tools, read into the capture record the gate evaluates.

    terraform show -json plan.out > plan.json   ->  terraform.read_terraform_plan
    pulumi preview --json --show-sames > p.json ->  pulumi_preview.read_pulumi_preview

Both become a `PlanFile`: a `Capture` (Pulumi type tokens, camelCase inputs, URNs or
Terraform addresses, dependencies), so the whole catalog, stack rules included, runs on them
through the real policy pack process (`plans.check.run_plan_gate`). Values a plan does not
know yet carry Pulumi's unknown sentinel: the pack reports a rule that needs one as "can't
run during preview" (advisory), exactly as under `pulumi preview`, never as a violation.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import read_json
from guardrails.tooling.program.record import UNKNOWN, Capture, count_unknowns

__all__ = ["UNKNOWN", "PlanFile", "read_plan"]


@dataclass
class PlanFile:
    """A plan read into the capture record, with what the reader could not carry over."""

    path: Path
    tool: Literal["terraform", "pulumi"]
    capture: Capture
    config: dict[str, str] = field(default_factory=dict)
    """Stack config for default providers (Pulumi previews; `<pkg>:<key>` keys)."""
    unmapped: dict[str, int] = field(default_factory=dict)
    """Resource types without a Pulumi token in the catalog's naming table, and how many."""
    notes: list[str] = field(default_factory=list)
    checkov_plan: dict[str, Any] | None = None
    """What checkov scans: the Terraform plan itself (None: export the capture)."""
    checkov_resources: int = 0
    """How many resources checkov must report scanned on `checkov_plan`."""

    def summary(self) -> dict[str, Any]:
        unknown = sum(1 for r in self.capture.resources if count_unknowns(r.inputs))
        return {
            "file": str(self.path),
            "tool": self.tool,
            "resources": len(self.capture.resources),
            "with_unknown_values": unknown,
            "unmapped_types": dict(sorted(self.unmapped.items())),
            "notes": list(self.notes),
        }


def read_plan(path: Path) -> PlanFile:
    """Read a Terraform plan or a Pulumi preview, whichever the file is. GuardrailsError
    (exit 2) for a missing, unreadable or unrecognised file."""
    from guardrails.tooling.plans.pulumi_preview import read_pulumi_preview
    from guardrails.tooling.plans.terraform import read_terraform_plan

    with suppress(OSError), path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            raise GuardrailsError(
                f"{path}: this is Terraform's binary plan file; give guardrails its JSON: "
                f"terraform show -json {path.name} > plan.json"
            )
    doc = read_json(path, "plan file")
    if isinstance(doc, dict) and ("planned_values" in doc or "resource_changes" in doc):
        return read_terraform_plan(doc, path)
    if isinstance(doc, dict) and isinstance(doc.get("steps"), list):
        return read_pulumi_preview(doc, path)
    raise GuardrailsError(
        f"{path}: neither a Terraform plan (terraform show -json: planned_values or "
        "resource_changes) nor a Pulumi preview (pulumi preview --json: steps)"
    )
