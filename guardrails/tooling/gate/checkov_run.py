"""Scan captured resources with checkov: export a Terraform-plan JSON, run checkov from its
own virtual environment (it pins `packaging<24`, Pulumi needs `>=26`), check that it
scanned every exported resource, and turn its failures into gate findings.

checkov's built-in checks become advisory findings (engine `checkov`); our catalog's custom
checks reach the same verdicts as the policy pack (tests prove the parity), so their
results are counted but not reported twice.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.gate.findings import Finding
from guardrails.tooling.gate.pack import PACK_DIR, Provider
from guardrails.tooling.program.record import UNKNOWN, Capture, CapturedResource
from policies.catalog import RULES_BY_ID
from policies.checkov import SEEN_CHECK_ID
from policies.naming import terraform_type, to_terraform

ROOT = PACK_DIR.parent
CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = ROOT / ".venv-checkov"
CHECKS_DIR = PACK_DIR / "checkov"
TIMEOUT_SECONDS = 1800
_TF_NAME = re.compile(r"[^A-Za-z0-9_-]")
_RUNNING: set[subprocess.Popen[str]] = set()


def stop_running() -> None:
    """End checkov runs still going (the gate was interrupted while a thread waits on one)."""
    for proc in list(_RUNNING):
        proc.kill()


def checkov_command() -> Path:
    """checkov's executable; `GUARDRAILS_CHECKOV` overrides the project's own environment."""
    override = os.environ.get("GUARDRAILS_CHECKOV")
    return Path(override) if override else CHECKOV_VENV / "bin" / "checkov"


def ensure_checkov(console: Console | None = None) -> Path:
    """Create checkov's virtual environment on first use and return the executable."""
    command = checkov_command()
    if command.exists():
        return command
    if os.environ.get("GUARDRAILS_CHECKOV"):
        raise GuardrailsError(f"GUARDRAILS_CHECKOV points at {command}, which does not exist")
    console = console or Console(stderr=True)
    with console.status(
        f"installing checkov {CHECKOV_VERSION} into {CHECKOV_VENV} (first use only)"
    ):
        steps = [
            ["python3", "-m", "venv", str(CHECKOV_VENV)],
            [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--quiet",
             "--disable-pip-version-check", f"checkov=={CHECKOV_VERSION}"],
        ]  # fmt: skip
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
                raise GuardrailsError(
                    f"could not install checkov: {tail[0] if tail else proc.returncode}"
                )
    return command


def _known(value: Any) -> Any:
    """Drop unknown values, as a Terraform plan leaves computed values out of `after`."""
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items() if v != UNKNOWN}
    if isinstance(value, list):
        return [_known(v) for v in value if v != UNKNOWN]
    return value


def _tf_name(name: str) -> str:
    return _TF_NAME.sub("_", name) or "resource"


def export_plan(
    capture: Capture, providers: Mapping[str, Provider | None]
) -> tuple[dict[str, Any], list[CapturedResource]]:
    """The captured custom resources as a Terraform plan (`planned_values`), URN as address.

    AWS provider `defaultTags` become `tags_all`, as in a Terraform plan; `protect` becomes
    `lifecycle.prevent_destroy`.
    """
    exported: list[CapturedResource] = []
    resources: list[dict[str, Any]] = []
    for r in capture.resources:
        tf_type = terraform_type(r.type)
        if not r.custom or r.type.startswith("pulumi:providers:") or tf_type is None:
            continue
        values = to_terraform(_known(r.inputs))
        provider = providers.get(r.urn)
        if r.package == "aws" and provider is not None:
            defaults = provider.props.get("defaultTags")
            if isinstance(defaults, str):
                defaults = json.loads(defaults)
            default_tags = defaults.get("tags", {}) if isinstance(defaults, dict) else {}
            if default_tags:
                values["tags_all"] = {**default_tags, **values.get("tags", {})}
        if r.protect:
            values["lifecycle"] = {"prevent_destroy": True}
        resources.append(
            {
                "address": r.urn,
                "mode": "managed",
                "type": tf_type,
                "name": _tf_name(r.name),
                "provider_name": f"registry.terraform.io/pulumi/{r.package}",
                "values": values,
            }
        )
        exported.append(r)
    plan = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": resources}},
    }
    return plan, exported


def run_checkov(plan: dict[str, Any], custom_checks: bool = True) -> dict[str, Any]:
    """Run checkov on the plan (built-in checks, plus ours unless `custom_checks` is false)
    and return its JSON report."""
    command = ensure_checkov()
    with tempfile.TemporaryDirectory(prefix="guardrails-checkov-") as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(plan), encoding="utf-8")
        cmd = [
            str(command), "-f", str(path), "--framework", "terraform_plan",
            "--skip-download", "-o", "json", "--compact",
        ]  # fmt: skip
        if custom_checks:
            cmd += ["--external-checks-dir", str(CHECKS_DIR)]
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
        with subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp,
            env=env,
        ) as proc:
            _RUNNING.add(proc)
            try:
                stdout, stderr = proc.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired as exc:
                proc.kill()
                raise GuardrailsError(f"checkov did not finish within {TIMEOUT_SECONDS} s") from exc
            finally:
                _RUNNING.discard(proc)
    if proc.returncode not in (0, 1):
        raise GuardrailsError(f"checkov failed (exit {proc.returncode}): {stderr.strip()[-300:]}")
    try:
        doc = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise GuardrailsError(f"checkov printed no JSON report: {stdout.strip()[:200]}") from exc
    if isinstance(doc, list):
        doc = next((d for d in doc if d.get("check_type") == "terraform_plan"), {})
    return doc if isinstance(doc, dict) else {}


def scan(
    capture: Capture, providers: Mapping[str, Provider | None]
) -> tuple[list[Finding], dict[str, Any]]:
    """checkov findings for the gate, and a summary (what was exported, read and checked)."""
    plan, exported = export_plan(capture, providers)
    unexported: dict[str, int] = {}
    for r in capture.resources:
        if r.custom and not r.type.startswith("pulumi:providers:") and r not in exported:
            unexported[r.type] = unexported.get(r.type, 0) + 1
    findings, summary = scan_plan(plan, len(exported), capture)
    summary["no_terraform_name"] = dict(sorted(unexported.items()))
    return findings, summary


def plan_resources(plan: Mapping[str, Any]) -> dict[str, str]:
    """Address -> Terraform type of every managed resource in a plan's `planned_values`."""
    out: dict[str, str] = {}
    modules = [(plan.get("planned_values") or {}).get("root_module") or {}]
    while modules:
        module = modules.pop()
        modules += module.get("child_modules") or []
        for r in module.get("resources") or []:
            if r.get("mode", "managed") == "managed" and "address" in r:
                out[str(r["address"])] = str(r.get("type", ""))
    return out


def scan_plan(
    plan: dict[str, Any], expected: int, capture: Capture
) -> tuple[list[Finding], dict[str, Any]]:
    """Run checkov on a Terraform plan (ours or Terraform's own) that holds `expected`
    resources. Its built-in failures become findings: on a captured resource (the plan's
    addresses are the capture's URNs) located as the gate locates its own, on a resource the
    catalog has no token for under its Terraform address and type, so that nothing checkov
    finds is lost. The summary says how many resources checkov read (it must read every one:
    a plan it misread would pass unchecked) and how many at least one of its own checks
    judged (the catalog's checks are the pack's verdicts again), naming the types none of its
    checks covers."""
    by_address = capture.by_urn()
    types = plan_resources(plan)
    report = run_checkov(plan) if expected else {}
    summary = report.get("summary", {})
    read = int(summary.get("resource_count", 0))
    if read != expected:
        raise GuardrailsError(
            f"checkov read {read} of the {expected} resources in the plan; "
            "the plan and checkov disagree, so its verdict cannot be trusted"
        )
    results = report.get("results", {})
    checked = {
        str(c.get("resource_address", ""))
        for kind in ("passed_checks", "failed_checks", "skipped_checks")
        for c in results.get(kind, [])
        if c.get("check_id") != SEEN_CHECK_ID and c.get("check_id") not in RULES_BY_ID
    }
    unchecked: dict[str, int] = {}
    for address, tf_type in types.items():
        if address not in checked:
            unchecked[tf_type] = unchecked.get(tf_type, 0) + 1
    findings = []
    custom_failed = outside_catalog = 0
    for check in results.get("failed_checks", []):
        if check["check_id"] in RULES_BY_ID:
            custom_failed += 1
            continue
        address = str(check.get("resource_address", ""))
        resource = by_address.get(address)
        finding = Finding(
            policy=check["check_id"],
            level="advisory",
            severity=str(check.get("severity") or "unspecified").lower(),
            urn=address,
            type=resource.type if resource else types.get(address, str(check.get("resource"))),
            name=resource.name if resource else address,
            message=check.get("check_name", check["check_id"]),
            engine="checkov",
        )
        if resource is None:
            outside_catalog += 1
        else:
            finding.source = resource.source
            finding.related = [s for s in resource.stack if s != resource.source]
            finding.component_path = capture.component_path(resource, by_address)
        findings.append(finding)
    return findings, {
        "version": summary.get("checkov_version"),
        "exported": expected,
        "scanned": read,
        "checked": len(checked & set(types)),
        "unchecked_types": dict(sorted(unchecked.items())),
        "builtin_failed": len(findings),
        "custom_failed": custom_failed,
        "outside_catalog": outside_catalog,
    }


def main() -> int:
    """`python -m guardrails.tooling.gate.checkov_run`: install checkov's environment if missing."""
    try:
        command = ensure_checkov()
    except GuardrailsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"checkov ready: {command}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
