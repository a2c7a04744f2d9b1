"""Burn-up charts of the spend report: per cost center, cumulative actual spend, the forecast
to the month's end and the budget line. A self-contained HTML file (inline SVG, no script,
no CDN) or a PNG (matplotlib, Agg backend)."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from pathlib import Path

from guardrails.runtime.atomic_write import atomic_file
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.spend.report import CostCenterRow, CostReport
from guardrails.tooling.outputs import write_report

CHART_SUFFIXES = (".html", ".png")
ACTUAL = "#1f5fa8"
FORECAST = "#e07b00"
BUDGET = "#c0392b"


@dataclass(frozen=True)
class Burnup:
    """One panel: cumulative points by day of month."""

    title: str
    currency: str
    actual: list[tuple[int, float]]
    forecast: list[tuple[int, float]]
    budget: float | None
    days: int
    run_out: int | None = None
    """Day of month the budget runs out (actual or forecast), if it does."""

    @property
    def top(self) -> float:
        values = [v for _, v in self.actual + self.forecast] + [self.budget or 0.0]
        return max([*values, 1.0]) * 1.08


def burnups(report: CostReport) -> list[Burnup]:
    panels = []
    for row in report.rows:
        panels.append(_burnup(row, report.month.days))
    return panels


def _burnup(row: CostCenterRow, days: int) -> Burnup:
    running = list(itertools.accumulate(v for _, v in row.daily))
    actual = [(0, 0.0)] + [(d.day, v) for (d, _), v in zip(row.daily, running, strict=True)]
    last_day, last = actual[-1]
    if row.forecast_daily:
        ahead = list(itertools.accumulate((v for _, v in row.forecast_daily), initial=last))
        forecast = [(last_day, last)] + [
            (d.day, v) for (d, _), v in zip(row.forecast_daily, ahead[1:], strict=True)
        ]
    else:
        forecast = []
    title = f"{row.provider.upper()} {row.cost_center}"
    run_out = row.run_out_day.day if row.run_out_day else None
    return Burnup(title, row.currency, actual, forecast, row.budget, days, run_out)


def write_chart(report: CostReport, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in CHART_SUFFIXES:
        raise GuardrailsError(f"--chart {path}: use a .html or .png file name")
    panels = burnups(report)
    if suffix == ".html":
        write_report(path, to_html(report, panels), "--chart")
    else:
        write_png(report, panels, path)


# -- HTML / SVG --------------------------------------------------------------------------

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP, PAD_RIGHT = 420, 260, 64, 34, 30, 14


def _svg(panel: Burnup) -> str:
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = panel.top

    def x(day: float) -> float:
        return PAD_LEFT + plot_w * day / panel.days

    def y(value: float) -> float:
        return PAD_TOP + plot_h * (1 - value / top)

    def path(points: list[tuple[int, float]]) -> str:
        return " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(panel.title)}">',
        f'<text x="{PAD_LEFT}" y="18" font-size="14" font-weight="bold">'
        f"{html.escape(panel.title)}</text>",
        f'<rect x="{PAD_LEFT}" y="{PAD_TOP}" width="{plot_w}" height="{plot_h}" '
        'fill="none" stroke="#bbb"/>',
    ]
    for i in range(5):
        value = top * i / 4
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{PAD_LEFT + plot_w}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#eee"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" font-size="10" '
            f'text-anchor="end">{value:,.0f}</text>'
        )
    for day in range(0, panel.days + 1, 5):
        parts.append(
            f'<text x="{x(day):.1f}" y="{HEIGHT - PAD_BOTTOM + 14}" font-size="10" '
            f'text-anchor="middle">{day}</text>'
        )
    if panel.budget is not None:
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{PAD_LEFT + plot_w}" y1="{y(panel.budget):.1f}" '
            f'y2="{y(panel.budget):.1f}" stroke="{BUDGET}" stroke-width="2"/>'
            f'<text x="{PAD_LEFT + plot_w - 4}" y="{y(panel.budget) - 4:.1f}" font-size="10" '
            f'fill="{BUDGET}" text-anchor="end">budget {panel.budget:,.0f}</text>'
        )
    if panel.run_out is not None:
        parts.append(
            f'<line x1="{x(panel.run_out):.1f}" x2="{x(panel.run_out):.1f}" y1="{PAD_TOP}" '
            f'y2="{PAD_TOP + plot_h}" stroke="{BUDGET}" stroke-dasharray="2 3"/>'
            f'<text x="{x(panel.run_out) - 4:.1f}" y="{PAD_TOP + 12}" font-size="10" '
            f'fill="{BUDGET}" text-anchor="end">runs out day {panel.run_out}</text>'
        )
    if panel.forecast:
        parts.append(
            f'<polyline points="{path(panel.forecast)}" fill="none" stroke="{FORECAST}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
    parts.append(
        f'<polyline points="{path(panel.actual)}" fill="none" stroke="{ACTUAL}" '
        'stroke-width="2.5"/>'
    )
    parts.append(
        f'<text x="{PAD_LEFT + plot_w / 2}" y="{HEIGHT - 6}" font-size="10" '
        f'text-anchor="middle">day of month ({html.escape(panel.currency)} cumulative)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def to_html(report: CostReport, panels: list[Burnup]) -> str:
    title = html.escape(
        f"Spend {report.month}" + (f", stack {report.stack}" if report.stack else "")
    )
    legend = (
        f'<p><span style="color:{ACTUAL}">&#9644; actual (cumulative)</span> &nbsp; '
        f'<span style="color:{FORECAST}">&#9476; forecast</span> &nbsp; '
        f'<span style="color:{BUDGET}">&#9644; budget</span> &nbsp; through '
        f"{report.through.isoformat()}, {html.escape(report.cost_basis)} cost</p>"
    )
    figures = "\n".join(
        f'<figure style="display:inline-block;margin:6px">{_svg(p)}</figure>' for p in panels
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{title}</title></head>\n<body style="font-family:sans-serif">'
        f'<h1 style="font-size:18px">{title}</h1>\n{legend}\n{figures}\n'
        f'<p style="color:#666;font-size:12px">Forecast: {html.escape(report.forecast_method)}'
        "</p>\n</body></html>\n"
    )


# -- PNG ---------------------------------------------------------------------------------


def write_png(report: CostReport, panels: list[Burnup], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, max(1, len(panels)))
    rows = max(1, -(-len(panels) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.6 * rows), squeeze=False)
    for axis, panel in zip(axes.flat, panels, strict=False):
        axis.plot(*zip(*panel.actual, strict=True), color=ACTUAL, linewidth=2.2, label="actual")
        if panel.forecast:
            axis.plot(
                *zip(*panel.forecast, strict=True),
                color=FORECAST,
                linewidth=2,
                linestyle="--",
                label="forecast",
            )
        if panel.budget is not None:
            axis.axhline(panel.budget, color=BUDGET, linewidth=1.6, label="budget")
        if panel.run_out is not None:
            axis.axvline(panel.run_out, color=BUDGET, linewidth=1, linestyle=":")
            axis.annotate(
                f"runs out day {panel.run_out}",
                (panel.run_out, panel.top * 0.04),
                xytext=(-4, 0),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color=BUDGET,
            )
        axis.set_title(panel.title, fontsize=11, fontweight="bold")
        axis.set_xlim(0, panel.days)
        axis.set_ylim(0, panel.top)
        axis.set_xlabel("day of month", fontsize=9)
        axis.set_ylabel(f"cumulative {panel.currency}", fontsize=9)
        axis.grid(alpha=0.3)
        axis.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
        axis.legend(fontsize=8, loc="upper left")
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    figure.suptitle(
        f"Spend {report.month}"
        + (f", stack {report.stack}" if report.stack else "")
        + f" (through {report.through.isoformat()})",
        fontsize=13,
    )
    figure.tight_layout()
    with atomic_file(path, binary=True) as handle:
        figure.savefig(handle, dpi=110, format="png")
    plt.close(figure)
