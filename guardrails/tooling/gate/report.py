"""Gate reports: a terminal view (rich tables), JSON (schema in docs/report-schema.md) and
SARIF 2.1.0 for GitHub code scanning, any number of them from one gate run
(`write_reports`). When the gate could not run (exit 2, or 3 for a bug in guardrails),
`write_error_reports` writes the JSON and SARIF ones with an `error` object instead of
findings.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_support import error_object, exit_code_of
from guardrails.tooling.gate.findings import LEVELS, Finding, GateResult
from guardrails.tooling.outputs import REPORT_KINDS, Output, write_report
from guardrails.tooling.program.record import SourceLocation
from policies.catalog import RULES, RULES_BY_ID
from policies.model import SEVERITIES

REPORT_VERSION = 1
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def summary(result: GateResult) -> dict[str, int]:
    counts = {level: result.count(level) for level in LEVELS}
    return {**counts, "suppressed": result.suppressed}


def verdict(result: GateResult) -> str:
    """The one line that decides: PASS/FAIL and the counts (rich markup)."""
    counts = summary(result)
    word = "[bold green]PASS[/]" if result.passed else "[bold red]FAIL[/]"
    extra = "".join(f", {counts[k]} {k}" for k in ("remediated", "unknown") if counts[k])
    return (
        f"{word}: {counts['mandatory']} mandatory, {counts['advisory']} advisory, "
        f"{counts['suppressed']} suppressed{extra}"
    )


def _level_cell(f: Finding) -> str:
    if f.suppressed:
        return "[dim]suppressed[/]"
    return {"mandatory": "[bold red]mandatory[/]", "unknown": "[yellow]unknown[/]"}.get(
        f.level, f.level
    )


def _where(f: Finding) -> str:
    """Where to act, and the component path when the resource sits inside components."""
    parts = [str(f.source)] if f.source else []
    if not parts and "::live::" in f.urn:  # a live resource: its id in the account
        parts.append(f.urn.rsplit("::", 1)[-1])
    if " -> " in f.component_path:
        parts.append(f.component_path)
    return " · ".join(parts)


_LEVEL_WIDTH = len("suppressed")
_MIN_MESSAGE = 30
_PADDING = 10


def _fits_as_table(rows: list[Finding], width: int) -> bool:
    """Whether names and policy ids fit unbroken beside a message column."""
    name = max(len(f.name) for f in rows)
    policy = max(len(f.policy) for f in rows)
    return name + policy + _LEVEL_WIDTH + _MIN_MESSAGE + _PADDING <= width


def _message(finding: Finding) -> str:
    """The message, naming the checkov checks that reported the same problem."""
    return finding.message + (f" (also checkov {', '.join(finding.also)})" if finding.also else "")


def _render_rows(title: str, style: str, rows: list[Finding], console: Console) -> None:
    if _fits_as_table(rows, console.width):
        table = Table(title=title, title_style=style, title_justify="left", box=box.SIMPLE_HEAD)
        # Names and rule ids are copied into ledgers and searches: never broken.
        table.add_column("resource", no_wrap=True)
        table.add_column("policy", no_wrap=True)
        table.add_column("level", no_wrap=True)
        table.add_column("message", overflow="fold", ratio=1)
        for f in rows:
            where = _where(f)
            message = escape(_message(f)) + (f"\n[dim]{escape(where)}[/]" if where else "")
            table.add_row(escape(f.name), f"[bold]{escape(f.policy)}[/]", _level_cell(f), message)
        console.print(table)
        return
    # Too narrow for a table: one finding per block, long tokens on lines of their own.
    console.print(f"[{style}]{escape(title)}[/]" if style else escape(title), highlight=False)
    for f in rows:
        console.print(f"  {_level_cell(f)} [bold]{escape(f.policy)}[/]", soft_wrap=True)
        console.print(f"    {escape(f.name)}", soft_wrap=True, highlight=False)
        where = _where(f)
        if where:
            console.print(f"    [dim]{escape(where)}[/]", soft_wrap=True, highlight=False)
        console.print(f"    {escape(_message(f))}", highlight=False)


def render_text(result: GateResult, console: Console) -> None:
    """One table per severity, a row per finding, then the ledger notes and the verdict."""
    capture = result.capture
    if result.live is not None:
        console.print(
            f"[bold]guardrails audit[/] {escape(live_title(result.live))}", highlight=False
        )
    else:
        console.print(
            f"[bold]guardrails check[/] {escape(capture.project)} / stack "
            f"{escape(capture.stack)}: {len(capture.resources)} resources",
            highlight=False,
        )
    for severity in (*SEVERITIES, "unspecified"):
        rows = [f for f in result.findings if f.severity == severity]
        if rows:
            title = f"{severity.upper()} ({len(rows)})"
            _render_rows(title, _SEVERITY_STYLE.get(severity, ""), rows, console)
    for entry in result.expired_entries():
        what = f"#{entry.index} {entry.rule} {entry.resource} (expired {entry.expires})"
        console.print(f"[yellow]expired suppression[/] {escape(what)}", highlight=False)
    for entry in result.unused_entries():
        what = f"#{entry.index} {entry.rule} {entry.resource}"
        console.print(f"[yellow]unused suppression[/] {escape(what)}", highlight=False)
    if result.checkov:
        for line in checkov_lines(result.checkov):
            console.print(escape(line), highlight=False, soft_wrap=True)
    placeholders = sorted({i.token for i in capture.invokes if i.answer == "placeholder"})
    if placeholders:
        console.print(
            escape(
                "data sources answered with placeholders (no cloud offline; real answers in "
                f"guardrails-mocks.yaml or --mocks): {', '.join(placeholders)}"
            ),
            highlight=False,
            soft_wrap=True,
        )
    unknown_values = capture.unknown_values()
    if unknown_values:
        console.print(
            f"{unknown_values} input values are computed by the provider at create time "
            "(unknown offline, as in `pulumi preview`)",
            highlight=False,
        )
    for note in (result.plan or {}).get("notes", []):
        console.print(f"[yellow]plan:[/] {escape(note)}", highlight=False)
    if result.live is not None:
        for line in live_lines(result.live):
            console.print(escape(line), highlight=False, soft_wrap=True)
    console.print(verdict(result), highlight=False)


def live_title(live: dict[str, Any]) -> str:
    """`OCI ocid1.tenancy...: 1,204 resources in eu-frankfurt-1`."""
    regions = ", ".join(live.get("regions") or []) or "its region"
    return (
        f"{str(live.get('cloud', '')).upper()} {live.get('scope', '')}: "
        f"{live.get('resources', 0):,} resources in {regions}"
    )


def live_lines(live: dict[str, Any]) -> list[str]:
    """What the audit read and could not read or judge, one line each."""
    lines = [
        f"read with {live.get('totalApiCalls', 0):,} read-only API calls "
        f"({live.get('callsPerResource', 0)} per resource)"
    ]
    declared = live.get("declared")
    if declared:
        lines.append(
            f"stack {declared['stack']}: {declared['declared']} governed resources declared"
            + (
                "; names known only after deploy (not matched): "
                + ", ".join(f"{t} ({n})" for t, n in declared["namesKnownOnlyAfterDeploy"].items())
                if declared.get("namesKnownOnlyAfterDeploy")
                else ""
            )
        )
    since = live.get("since")
    if since:
        lines.append(
            f"since {since['baseline']}: {len(since['new'])} new finding(s), "
            f"{len(since['resolved'])} resolved"
        )
        lines += [f"new: {f['policy']} on {f['urn'].rsplit('::', 1)[-1]}" for f in since["new"]]
        lines += [f"resolved: {f['policy']} on {f['name']}" for f in since["resolved"]]
    lines += [f"could not read: {note}" for note in live.get("notes", [])]
    lines += [f"not judged: {line}" for line in live.get("notJudgedResources", [])]
    lines += [
        f"rule not run on a live account: {rule} ({why})"
        for rule, why in sorted((live.get("notJudged") or {}).items())
    ]
    if live.get("notes"):
        lines.append(
            f"INCOMPLETE: {len(live['notes'])} read(s) refused; what they would have shown is "
            "not judged"
        )
    return lines


def _types(counts: dict[str, int]) -> str:
    return ", ".join(f"{t} ({n})" if n > 1 else t for t, n in counts.items())


def checkov_lines(summary: dict[str, Any]) -> list[str]:
    """What checkov judged: resources its checks covered out of those it read, and the types
    it has no check for or that have no Terraform name (a note, not an error)."""
    lines = [
        f"checkov: {summary.get('checked', 0)} of {summary['scanned']} resources checked "
        f"by at least one check ({summary.get('builtin_failed', 0)} built-in failures"
        + (
            f", {summary['outside_catalog']} on types the catalog does not judge"
            if summary.get("outside_catalog")
            else ""
        )
        + ")"
    ]
    if summary.get("unchecked_types"):
        lines.append(f"checkov has no check for: {_types(summary['unchecked_types'])}")
    if summary.get("no_terraform_name"):
        lines.append(
            "not exported to checkov (no Terraform name in the providers' table): "
            + _types(summary["no_terraform_name"])
        )
    return lines


def to_json(result: GateResult) -> dict[str, Any]:
    capture = result.capture
    return {
        "version": REPORT_VERSION,
        "stack": capture.stack,
        "project": capture.project,
        "program": capture.program,
        "resources": len(capture.resources),
        "unknownValues": capture.unknown_values(),
        "placeholderDataSources": sorted(
            {i.token for i in capture.invokes if i.answer == "placeholder"}
        ),
        "passed": result.passed,
        "error": None,
        "inputs": result.inputs,
        "violations": [f.to_json() for f in result.findings],
        "summary": summary(result),
        "suppressions": {
            "expired": [s.to_json() for s in result.expired_entries()],
            "unused": [s.to_json() for s in result.unused_entries()],
        },
        "checkov": result.checkov,
        "plan": result.plan,
        "live": result.live,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def repository_root(program: Path) -> Path:
    """The Git work tree holding the program (SARIF paths are relative to it), else the
    program's own folder; never the working directory."""
    for folder in (program, *program.parents):
        if (folder / ".git").exists():
            return folder
    return program


def _artifact_uri(program: Path, source: SourceLocation) -> str:
    path = program / source.file
    base = repository_root(program)
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return source.file


def _physical(program: Path, source: SourceLocation) -> dict[str, Any]:
    if source.in_program:
        artifact: dict[str, Any] = {"uri": _artifact_uri(program, source)}
    else:  # installed code: relative to its import root, never an absolute path
        artifact = {"uri": source.file, "uriBaseId": "PYTHON_PACKAGES"}
    return {"artifactLocation": artifact, "region": {"startLine": source.line}}


def _relative(path: Path) -> str:
    base = repository_root(path.resolve().parent)
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.name


def sarif_anchor(result: GateResult) -> str:
    """The file a finding without a line of its own is shown on (GitHub code scanning needs a
    file for every result): the audited stack's file, the plan file, the program's
    Pulumi.yaml."""
    if result.live is not None:
        return _relative(Path(str(result.live.get("anchor") or "Pulumi.yaml")))
    if result.plan is not None and result.plan.get("file"):
        return _relative(Path(str(result.plan["file"])))
    return _relative(Path(result.capture.program) / "Pulumi.yaml")


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
    anchor = sarif_anchor(result)
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
        program = Path(result.capture.program)
        location: dict[str, Any] = {
            "logicalLocations": [{"fullyQualifiedName": f.urn, "kind": "resource"}]
        }
        if f.source is not None and f.source.in_program:
            location["physicalLocation"] = _physical(program, f.source)
        else:  # code scanning rejects the whole file for one result without a file
            location["physicalLocation"] = {
                "artifactLocation": {"uri": anchor},
                "region": {"startLine": 1},
            }
        item["locations"] = [location]
        related = [
            s
            for s in ([f.source] if f.source else []) + f.related
            if s != (f.source if f.source and f.source.in_program else None)
        ]
        if related:
            item["relatedLocations"] = [
                {"id": i, "physicalLocation": _physical(program, s)} for i, s in enumerate(related)
            ]
        if f.component_path:
            item["properties"]["componentPath"] = f.component_path
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


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


FORMATS = ("text", "json", "sarif")
TEXT_WIDTH = 120
"""Width of a text report written to a file (a terminal report takes the terminal's)."""


@dataclass(frozen=True)
class ReportTarget:
    """One report of a gate run: its format, and its file (None: the console)."""

    format: str
    path: Path | None = None
    flag: str = "--output"
    """The option that named the file, for messages."""


def report_outputs(targets: Sequence[ReportTarget]) -> list[Output]:
    """The report files asked for, as the output guard checks them."""
    return [
        Output(t.flag, t.path, REPORT_KINDS[t.format], what=f"{t.format} report")
        for t in targets
        if t.path
    ]


def _text(result: GateResult) -> str:
    buffer = io.StringIO()
    render_text(result, Console(file=buffer, width=TEXT_WIDTH, emoji=False, color_system=None))
    return buffer.getvalue()


def _md(text: str) -> str:
    """A table cell: pipes escaped, lines joined."""
    return " ".join(text.replace("|", "\\|").split())


def to_markdown(result: GateResult) -> str:
    """The report as GitHub-flavoured Markdown (a job summary, an issue, a chat post)."""
    clean = verdict(result).replace("[bold green]", "**").replace("[bold red]", "**")
    clean = clean.replace("[/]", "**")
    if result.live is not None:
        title = f"guardrails audit: {live_title(result.live)}"
    else:
        title = f"guardrails check: {result.capture.project} / stack {result.capture.stack}"
    out = [f"# {_md(title)}", "", clean, ""]
    shown = [f for f in result.findings if not f.suppressed]
    if shown:
        out += [
            "| level | severity | rule | resource | where | message |",
            "|---|---|---|---|---|---|",
        ]
        out += [
            f"| {f.level} | {f.severity} | `{f.policy}` | {_md(f.name)} | {_md(_where(f))} | "
            f"{_md(_message(f))} |"
            for f in shown
        ]
        out.append("")
    if result.suppressed:
        out += [f"{result.suppressed} finding(s) suppressed by the ledger.", ""]
    if result.live is not None:
        out += ["## What was read", ""] + [f"- {_md(line)}" for line in live_lines(result.live)]
        out.append("")
    return "\n".join(out)


def _document(result: GateResult, fmt: str) -> str:
    if fmt == "text":
        return _text(result)
    if fmt == "markdown":
        return to_markdown(result)
    return _dump(to_json(result) if fmt == "json" else to_sarif(result))


def write_reports(result: GateResult, targets: Sequence[ReportTarget], console: Console) -> None:
    """Each report to its file (atomically) or the console; when any went to a file, the
    verdict line still goes to the console, naming the files."""
    files = []
    for target in targets:
        if target.path is None:
            if target.format == "text":
                render_text(result, console)
            else:
                console.file.write(_document(result, target.format))
            continue
        write_report(target.path, _document(result, target.format), target.flag)
        files.append(str(target.path))
    if files:
        label = "report" if len(files) == 1 else "reports"
        console.print(
            f"{verdict(result)} ({label}: {escape(', '.join(files))})",
            highlight=False,
            soft_wrap=True,
        )


def error_document(exc: BaseException, fmt: str, stack: str, program: Path) -> str | None:
    """A JSON or SARIF report that carries the error; None for text (the error line on
    stderr is the report)."""
    if fmt in ("text", "markdown"):
        return None
    error = error_object(exc)
    doc: dict[str, Any]
    if fmt == "json":
        doc = {
            "version": REPORT_VERSION,
            "stack": stack,
            "program": str(program),
            "passed": False,
            "error": error,
            "violations": [],
        }
    else:
        doc = {
            "$schema": _SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "guardrails", "version": "0.1.0", "rules": []}},
                    "automationDetails": {"id": f"guardrails/{stack}/"},
                    "invocations": [
                        {
                            "executionSuccessful": False,
                            "exitCode": exit_code_of(exc),
                            "toolExecutionNotifications": [
                                {"level": "error", "message": {"text": error["message"]}}
                            ],
                        }
                    ],
                    "results": [],
                    "properties": {"error": error},
                }
            ],
        }
    return _dump(doc)


def write_error_reports(
    exc: BaseException,
    targets: Sequence[ReportTarget],
    console: Console,
    stack: str,
    program: Path,
) -> None:
    """The error in every JSON or SARIF report asked for: files written, the console one
    printed. A report that cannot be written is left out (the error line says why the run
    failed; a second error would hide it)."""
    for target in targets:
        text = error_document(exc, target.format, stack, program)
        if text is None:
            continue
        if target.path is None:
            console.file.write(text)
            continue
        with suppress(GuardrailsError):
            write_report(target.path, text, target.flag)
