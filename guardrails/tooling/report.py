"""Gate reports: a terminal view (rich tables), JSON (schema in docs/report-schema.md) and
SARIF 2.1.0 for GitHub code scanning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guardrails.tooling.gate import Finding, GateResult
from policies.catalog import RULES, RULES_BY_ID
from policies.model import SEVERITIES

REPORT_VERSION = 1
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def summary(result: GateResult) -> dict[str, int]:
    return {
        "mandatory": result.count("mandatory"),
        "advisory": result.count("advisory"),
        "suppressed": result.suppressed,
    }


def render_text(result: GateResult, console: Console) -> None:
    """One table per severity, a row per finding, then the ledger notes and the verdict."""
    capture = result.capture
    console.print(
        f"[bold]guardrails check[/] {escape(capture.project)} / stack {escape(capture.stack)}: "
        f"{len(capture.resources)} resources",
        highlight=False,
    )
    for severity in (*SEVERITIES, "unspecified"):
        rows = [f for f in result.findings if f.severity == severity]
        if not rows:
            continue
        table = Table(
            title=f"{severity.upper()} ({len(rows)})",
            title_style=_SEVERITY_STYLE.get(severity, ""),
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        table.add_column("resource", overflow="fold", ratio=2)
        table.add_column("policy / message", overflow="fold", ratio=4)
        table.add_column("level", no_wrap=True)
        for f in rows:
            level = (
                "[dim]suppressed[/]"
                if f.suppressed
                else ("[bold red]mandatory[/]" if f.level == "mandatory" else "advisory")
            )
            where = f"\n[dim]{escape(str(f.source))}[/]" if f.source else ""
            also = f"\n[dim]also checkov {escape(', '.join(f.also))}[/]" if f.also else ""
            table.add_row(
                f"{escape(f.name)}{where}",
                f"[bold]{escape(f.policy)}[/]\n{escape(f.message)}{also}",
                level,
            )
        console.print(table)
    for entry in result.expired_entries():
        what = f"#{entry.index} {entry.rule} {entry.resource} (expired {entry.expires})"
        console.print(f"[yellow]expired suppression[/] {escape(what)}", highlight=False)
    for entry in result.unused_entries():
        what = f"#{entry.index} {entry.rule} {entry.resource}"
        console.print(f"[yellow]unused suppression[/] {escape(what)}", highlight=False)
    if result.checkov:
        scanned, exported = result.checkov["scanned"], result.checkov["exported"]
        console.print(
            f"checkov: scanned {scanned} of {exported} exported resources", highlight=False
        )
    for note in (result.plan or {}).get("notes", []):
        console.print(f"[yellow]plan:[/] {escape(note)}", highlight=False)
    counts = summary(result)
    verdict = "[bold green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    console.print(
        f"{verdict}: {counts['mandatory']} mandatory, {counts['advisory']} advisory, "
        f"{counts['suppressed']} suppressed",
        highlight=False,
    )


def to_json(result: GateResult) -> dict[str, Any]:
    capture = result.capture
    return {
        "version": REPORT_VERSION,
        "stack": capture.stack,
        "project": capture.project,
        "program": capture.program,
        "resources": len(capture.resources),
        "passed": result.passed,
        "violations": [f.to_json() for f in result.findings],
        "summary": summary(result),
        "suppressions": {
            "expired": [s.to_json() for s in result.expired_entries()],
            "unused": [s.to_json() for s in result.unused_entries()],
        },
        "checkov": result.checkov,
        "plan": result.plan,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def _artifact_uri(result: GateResult, finding: Finding) -> str | None:
    if finding.source is None:
        return None
    path = Path(result.capture.program) / finding.source.file
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _sarif_rule(rule_id: str) -> dict[str, Any]:
    rule = RULES_BY_ID.get(rule_id)
    if rule is None:  # a checkov built-in check
        return {
            "id": rule_id,
            "shortDescription": {"text": rule_id},
            "properties": {"tags": ["checkov"]},
        }
    return {
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": rule.description},
        "defaultConfiguration": {
            "level": "error" if rule.enforcement == "mandatory" else "warning"
        },
        "help": {"text": rule.remediation_steps or rule.description},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[rule.severity],
            "tags": ["security", "guardrails", *rule.frameworks],
        },
    }


def to_sarif(result: GateResult) -> dict[str, Any]:
    rule_ids = sorted({f.policy for f in result.findings} | {r.id for r in RULES})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f.policy,
            "ruleIndex": index[f.policy],
            "level": "error" if f.level == "mandatory" else "warning",
            "message": {"text": f"{f.name} ({f.type}): {f.message}"},
            "partialFingerprints": {"guardrails/v1": f"{f.policy}:{f.urn}"},
            "properties": {
                "urn": f.urn,
                "resourceType": f.type,
                "engine": f.engine,
                "alsoReportedBy": [{"engine": "checkov", "check": c} for c in f.also],
                "severity": f.severity,
            },
        }
        uri = _artifact_uri(result, f)
        if uri is not None and f.source is not None:
            item["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": f.source.line},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.urn, "kind": "resource"}],
                }
            ]
        if f.suppression is not None:
            item["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": f.suppression.reason}
            ]
        results.append(item)
    return {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "guardrails",
                        "version": "0.1.0",
                        "rules": [_sarif_rule(r) for r in rule_ids],
                    }
                },
                "automationDetails": {"id": f"guardrails/{result.capture.stack}/"},
                "results": results,
            }
        ],
    }


def write(result: GateResult, fmt: str, console: Console, output: Path | None) -> None:
    if fmt == "text" and output is None:
        render_text(result, console)
        return
    if fmt == "text":
        with output.open("w", encoding="utf-8") as handle:  # type: ignore[union-attr]
            render_text(result, Console(file=handle, width=120, emoji=False, color_system=None))
        return
    doc = to_json(result) if fmt == "json" else to_sarif(result)
    text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if output is None:
        console.file.write(text)
    else:
        output.write_text(text, encoding="utf-8")
