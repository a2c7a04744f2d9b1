"""The spend report as a terminal table, JSON, CSV or Markdown (the same data in each)."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from guardrails.tooling.cost.spend.report import CostCenterRow, CostReport

FORMATS = ("table", "json", "csv", "markdown")
CSV_COLUMNS = (
    "tagKey",
    "tagValue",
    "provider",
    "costCenter",
    "currency",
    "monthToDate",
    "budget",
    "percentUsed",
    "forecast",
    "forecastPercent",
    "apiForecast",
    "runOutDay",
    "topServices",
    "finding",
)


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _services(row: CostCenterRow, separator: str = ", ") -> str:
    return separator.join(f"{s.service} {s.cost:,.2f}" for s in row.top_services)


def _cells(row: CostCenterRow, with_api: bool, *, compact: bool = False) -> list[str]:
    """One row's cells; `compact` (the terminal table): services one per line."""
    money = _money
    cells = [
        f"{row.provider.upper()} {row.currency}".strip(),
        row.cost_center,
        money(row.month_to_date),
        money(row.budget),
        _percent(row.percent_used),
        money(row.forecast),
        _percent(row.forecast_percent),
    ]
    if with_api:
        cells.append(money(row.api_forecast))
    cells += [
        row.run_out_day.isoformat() if row.run_out_day else "",
        _services(row, "\n" if compact else ", "),
    ]
    return cells


NUMERIC = ("to date", "budget", "used", "forecast", "fcst", "API fcst")


def _headers(with_api: bool) -> list[str]:
    headers = ["spend", "cost center", "to date", "budget", "used", "forecast", "fcst"]
    if with_api:
        headers.append("API fcst")
    return [*headers, "runs out", "top services"]


def _title(report: CostReport) -> str:
    stack = f"stack {report.stack}, " if report.stack else ""
    return (
        f"spend {report.month} ({stack}by {report.group_by}, through "
        f"{report.through.isoformat()}, {report.cost_basis} cost, source {report.source})"
    )


def render_table(report: CostReport, console: Console) -> None:
    with_api = any(r.api_forecast is not None for r in report.rows)
    table = Table(title=_title(report), title_justify="left")
    for header in _headers(with_api):
        if header == "top services":
            table.add_column(header, overflow="fold", min_width=12)
        else:
            table.add_column(header, justify="right" if header in NUMERIC else "left")
    for row in report.rows:
        over = row.budget is not None and row.forecast >= row.budget
        spent = row.budget is not None and row.month_to_date >= row.budget
        style = "red" if row.finding or spent else "yellow" if over else None
        table.add_row(*_cells(row, with_api, compact=True), style=style)
    console.print(table)
    if report.anomalies:
        anomalies = Table(title="anomalous days", title_justify="left")
        for header in ("provider", "cost center", "day", "cost", "normal (median)", "threshold"):
            anomalies.add_column(header)
        for a in report.anomalies:
            anomalies.add_row(
                a.provider.upper(),
                a.cost_center,
                a.day.isoformat(),
                _money(a.cost),
                _money(a.baseline),
                _money(a.threshold),
            )
        console.print(anomalies)
    for finding in report.findings:
        console.print(f"[bold]finding:[/] {finding}", highlight=False)
    totals = [t for t in report.totals() if len(t.providers) > 1]
    if totals:
        table = Table(title=f"total per {report.group_by}, all providers", title_justify="left")
        for header in ("value", "currency", "to date", "forecast", "providers"):
            table.add_column(
                header, justify="right" if header in ("to date", "forecast") else "left"
            )
        for t in totals:
            table.add_row(
                t.tag_value,
                t.currency,
                _money(t.month_to_date),
                _money(t.forecast),
                ", ".join(p.upper() for p in t.providers),
            )
        console.print(table)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False)
    console.print(f"forecast: {report.forecast_method}", style="dim", highlight=False)
    console.print(f"anomalies: {report.anomaly_method}", style="dim", highlight=False)


def to_csv(report: CostReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for data in report.to_json()["rows"]:
        data["topServices"] = "; ".join(f"{s['service']}={s['cost']}" for s in data["topServices"])
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


def to_markdown(report: CostReport) -> str:
    with_api = any(r.api_forecast is not None for r in report.rows)
    headers = _headers(with_api)
    lines = [f"## {_title(report)}", "", "| " + " | ".join(headers) + " |"]
    lines.append("| " + " | ".join("---" for _ in headers) + " |")
    for row in report.rows:
        cells = [c.replace("|", "\\|") for c in _cells(row, with_api)]
        lines.append("| " + " | ".join(cells) + " |")
    if report.anomalies:
        lines += [
            "",
            "### Anomalous days",
            "",
            "| provider | cost center | day | cost | normal | threshold |",
            "| --- | --- | --- | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {a.provider.upper()} | {a.cost_center} | {a.day.isoformat()} | {_money(a.cost)} "
            f"| {_money(a.baseline)} | {_money(a.threshold)} |"
            for a in report.anomalies
        ]
    if report.findings:
        lines += ["", "### Findings", ""] + [f"- {f}" for f in report.findings]
    lines += ["", f"Forecast: {report.forecast_method}.", f"Anomalies: {report.anomaly_method}."]
    return "\n".join(lines) + "\n"


def render(report: CostReport, fmt: str, console: Console) -> str | None:
    """Print a table to the console, or return the text of the other formats."""
    if fmt == "table":
        render_table(report, console)
        return None
    if fmt == "json":
        return json.dumps(report.to_json(), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return to_csv(report)
    return to_markdown(report)
