"""`fleet status` reports: a terminal table (rich), JSON, Markdown, and a self-contained HTML
page with per-database CPU and storage charts over the window (inline SVG, no scripts, no
external files), plus the printed form of lifecycle plans and their outcome."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape

from guardrails.tooling.console import print_table
from guardrails.tooling.fleet.executor import Outcome
from guardrails.tooling.fleet.lifecycle import Plan
from guardrails.tooling.fleet.metrics import CPU, SESSIONS, STORAGE, MetricStats, Series
from guardrails.tooling.fleet.status import DatabaseStatus, FleetStatus

FORMATS = ("table", "json", "markdown")


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}{unit}" if float(value).is_integer() else f"{value:.1f}{unit}"


def _money(value: float) -> str:
    sign = "+" if value > 0 else ("-" if value < 0 else "")
    return f"{sign}${abs(value):,.2f}"


def _stats(stats: MetricStats | None, unit: str = " %") -> str:
    if stats is None:
        return "n/a"
    return f"{stats.mean:.0f}/{stats.p95:.0f}/{stats.max:.0f}{unit}"


def _row(d: DatabaseStatus) -> dict[str, str]:
    db = d.database
    metrics = d.metrics
    backup = "-"
    if d.last_backup and d.last_backup.time:
        backup = f"{d.last_backup.time:%m-%d %H:%M}"
    elif d.last_backup:
        backup = "none"
    name = d.ref if d.managed else f"{d.ref} (unmanaged)"
    if db is None:
        return {"database": name, "state": "NOT FOUND"}
    used = f"{db.storage_used_tbs:.2f}" if db.storage_used_tbs is not None else "?"
    return {
        "database": name,
        "state": db.lifecycle_state,
        "workload": db.workload,
        "license": "BYOL" if db.license_model == "BRING_YOUR_OWN_LICENSE" else "LI",
        "ecpu": _num(db.ecpu),
        "auto-scaling": "on" if db.auto_scaling else "off",
        "storage TB used/alloc": f"{used}/{_num(db.storage_tbs)}",
        "retention / last backup": f"{_num(db.backup_retention_days)}d / {backup}",
        "CPU mean/p95/max": _stats(metrics.stats(CPU) if metrics else None),
        "storage mean/p95/max": _stats(metrics.stats(STORAGE) if metrics else None),
        "sessions mean/p95/max": _stats(metrics.stats(SESSIONS) if metrics else None, ""),
        "drift": str(len(d.drift)) if d.drift else "-",
    }


COLUMNS = (
    "database",
    "state",
    "workload",
    "license",
    "ecpu",
    "auto-scaling",
    "storage TB used/alloc",
    "retention / last backup",
    "CPU mean/p95/max",
    "storage mean/p95/max",
    "sessions mean/p95/max",
    "drift",
)


def _title(status: FleetStatus) -> str:
    return (
        f"fleet {status.stack} ({status.environment}): {len(status.databases)} databases, "
        f"metrics over {status.window} at {status.interval}"
    )


def render_table(status: FleetStatus, out: Console) -> None:
    """The fleet as a table (names, states and amounts never cut: one block per database
    when the table does not fit), drift, recommendations and read errors."""
    print_table([_row(d) for d in status.databases], COLUMNS, out, title=_title(status))
    drifted = [d for d in status.databases if d.drift]
    if drifted:
        out.print("[bold]drift from the stack file[/]")
        for d in drifted:
            for drift in d.drift:
                out.print(f"  {escape(d.ref)}: {escape(drift.describe())}", highlight=False)
    recs = [(d, r) for d in status.databases for r in d.recommendations]
    if recs:
        rows = [
            {
                "database": d.ref,
                "rule": r.rule,
                "action": r.action,
                "why": r.reason,
                "per month": _money(r.monthly_cost_change),
                "command": r.command or "stack file / console",
            }
            for d, r in recs
        ]
        print_table(
            rows,
            ("database", "rule", "action", "why", "per month", "command"),
            out,
            title="recommendations (list prices, 730 h/month)",
            wrap=("action", "why"),
            right=("per month",),
        )
        out.print(f"total monthly effect: {_money(status.monthly_cost_change)}", highlight=False)
    else:
        out.print("no recommendations", highlight=False)
    for d in status.databases:
        for error in d.errors:
            out.print(f"[red]error[/] {escape(d.ref)}: {escape(error)}", highlight=False)


def render_json(status: FleetStatus) -> str:
    return json.dumps(status.to_json(), indent=2, sort_keys=True) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|")


def render_markdown(status: FleetStatus) -> str:
    lines = [f"# {_title(status)}", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    for d in status.databases:
        row = _row(d)
        lines.append("| " + " | ".join(_md(row.get(c, "")) for c in COLUMNS) + " |")
    drift = [(d, x) for d in status.databases for x in d.drift]
    if drift:
        lines += ["", "## Drift from the stack file", ""]
        lines += [f"- **{_md(d.ref)}** {_md(x.describe())}" for d, x in drift]
    recs = [(d, r) for d in status.databases for r in d.recommendations]
    lines += ["", "## Recommendations", ""]
    if recs:
        lines.append("| database | rule | action | why | per month | command |")
        lines.append("|---|---|---|---|---|---|")
        for d, r in recs:
            command = f"`{r.command}`" if r.command else "stack file / console"
            cells = (d.ref, r.rule, r.action, r.reason, _money(r.monthly_cost_change), command)
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines += ["", f"Total monthly effect: {_money(status.monthly_cost_change)}"]
    else:
        lines.append("None.")
    lines += ["", f"Prices: {status.prices_source}", ""]
    return "\n".join(lines)


# --- HTML with inline SVG charts -----------------------------------------------------------

_W, _H, _PAD = 560, 160, 34


def _polyline(series: Series, start: datetime, end: datetime, color: str) -> str:
    span = max((end - start).total_seconds(), 1)
    points = []
    for t, v in series.points:
        x = _PAD + (t - start).total_seconds() / span * (_W - 2 * _PAD)
        y = _H - _PAD / 2 - min(max(v, 0), 100) / 100 * (_H - _PAD)
        points.append(f"{x:.1f},{y:.1f}")
    return (
        f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(points)}"/>'
    )


def svg_chart(
    title: str, series: Series | None, start: datetime, end: datetime, threshold: float
) -> str:
    """A 0-100 % line chart of one metric with its threshold, as an inline <svg>."""
    top, bottom = _PAD / 2, _H - _PAD / 2

    def y_of(v: float) -> float:
        return bottom - v / 100 * (bottom - top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{html.escape(title)}">',
        f'<text x="{_PAD}" y="12" font-size="12">{html.escape(title)}</text>',
    ]
    for v in (0, 50, 100):
        parts.append(
            f'<line x1="{_PAD}" x2="{_W - _PAD}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="2" y="{y_of(v) + 4:.1f}" font-size="10">{v}%</text>'
        )
    parts.append(
        f'<line x1="{_PAD}" x2="{_W - _PAD}" y1="{y_of(threshold):.1f}" '
        f'y2="{y_of(threshold):.1f}" stroke="#c00" stroke-dasharray="4 3"/>'
    )
    if series is not None and series.points:
        parts.append(_polyline(series, start, end, "#1f6fb2"))
    else:
        parts.append(f'<text x="{_W / 2 - 30}" y="{_H / 2}" font-size="12">no data</text>')
    parts.append(
        f'<text x="{_PAD}" y="{_H - 2}" font-size="10">{start:%Y-%m-%d %H:%M}</text>'
        f'<text x="{_W - _PAD - 90}" y="{_H - 2}" font-size="10">{end:%Y-%m-%d %H:%M} UTC</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(status: FleetStatus) -> str:
    rows = [[_row(d).get(c, "") for c in COLUMNS] for d in status.databases]
    sections = [
        f"<h1>{html.escape(_title(status))}</h1>",
        _html_table(COLUMNS, rows),
    ]
    for d in status.databases:
        sections.append(f"<h2>{html.escape(d.ref)}{'' if d.managed else ' (unmanaged)'}</h2>")
        if d.database is None:
            sections.append("<p>declared in the stack file but not running</p>")
        else:
            series = d.metrics.series if d.metrics else {}
            sections.append(
                '<div class="charts">'
                + svg_chart(
                    f"{d.ref}: CpuUtilization (%)",
                    series.get(CPU),
                    status.start,
                    status.end,
                    status.cpu_high,
                )
                + svg_chart(
                    f"{d.ref}: StorageUtilization (%)",
                    series.get(STORAGE),
                    status.start,
                    status.end,
                    status.storage_high,
                )
                + "</div>"
            )
        if d.drift:
            items = "".join(f"<li>{html.escape(x.describe())}</li>" for x in d.drift)
            sections.append(f"<p>Drift from the stack file:</p><ul>{items}</ul>")
        if d.recommendations:
            sections.append(
                _html_table(
                    ("rule", "action", "why", "per month", "command"),
                    [
                        (
                            r.rule,
                            r.action,
                            r.reason,
                            _money(r.monthly_cost_change),
                            r.command or "stack file / console",
                        )
                        for r in d.recommendations
                    ],
                )
            )
        for error in d.errors:
            sections.append(f'<p class="error">{html.escape(error)}</p>')
    sections.append(
        f"<p>Total monthly effect of the recommendations: "
        f"{html.escape(_money(status.monthly_cost_change))}. "
        f"Prices: {html.escape(status.prices_source)}.</p>"
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;font-size:13px;text-align:left}"
        ".charts svg{margin-right:1em;border:1px solid #eee}.error{color:#b00}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(_title(status))}</title><style>{style}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


# --- lifecycle plans ------------------------------------------------------------------------


def render_plan(plan: Plan, out: Console, *, applied: bool) -> None:
    db = plan.member.database
    where = f" ({db.id}, {db.lifecycle_state})" if db else ""
    head = "plan" if applied else "dry run: nothing changed; add --apply to do this"
    out.print(f"{plan.command} {escape(plan.ref)}{escape(where)}: {head}", highlight=False)
    for number, step in enumerate(plan.steps, 1):
        out.print(
            f"  {number}. {escape(step.summary)} -> waits for {step.target_state}",
            highlight=False,
        )
        if step.request:
            request = json.dumps(step.request, sort_keys=True)
            out.print(f"     request: {escape(request)}", highlight=False, soft_wrap=True)
    for note in plan.notes:
        out.print(f"  note: {escape(note)}", highlight=False)
    if plan.stack_change:
        out.print("  stack-file change:", highlight=False)
        for line in plan.stack_change.splitlines():
            out.print(f"    {escape(line)}", highlight=False)


def render_outcome(plan: Plan, outcome: Outcome, out: Console) -> None:
    for line in outcome.recovered:
        out.print(f"[yellow]read back[/]: {escape(line)}", highlight=False, soft_wrap=True)
    if outcome.ok:
        made = ", ".join(f"{k} {v}" for k, v in outcome.created.items())
        tail = f"; created {made}" if made else ""
        out.print(
            f"done: {escape(plan.ref)} is {outcome.final_state}{escape(tail)}", highlight=False
        )
        return
    out.print(
        f"[red]{outcome.status}[/]: {escape(outcome.error_code or '')}: "
        f"{escape(outcome.error_message or '')} "
        f"(opc-request-id {escape(outcome.request_id or 'n/a')})",
        highlight=False,
        soft_wrap=True,
    )
    if outcome.steps_done:
        out.print(f"  completed before: {escape('; '.join(outcome.steps_done))}", highlight=False)
