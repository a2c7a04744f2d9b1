"""Terminal output for the layer commands: the build summary table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from guardrails.runtime.layer_builder.build import BuildResult


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.2f} MB"


def render_build(result: BuildResult, console: Console) -> None:
    table = Table(title=f"layer {result.zip_path}", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("target", f"{result.runtime} {result.architecture}")
    table.add_row(
        "distributions",
        ", ".join(f"{d.name}=={d.version}" for d in result.distributions),
    )
    table.add_row("cache", ("hit " if result.cache_hit else "miss ") + result.cache_key)
    table.add_row(
        "installed (unzipped)",
        f"{megabytes(result.installed.bytes)}, {result.installed.files} files",
    )
    for option, stripped in sorted(result.stripped.items()):
        unit = "shared objects" if option == "so" else "files"
        kept = (
            f"; {len(stripped.kept)} left unstripped, strip would break them"
            if stripped.kept
            else ""
        )
        table.add_row(
            f"stripped {option}",
            f"-{megabytes(stripped.bytes)} ({stripped.files} {unit}{kept})",
        )
    bytecode = result.bytecode
    if result.uncompiled:
        bytecode += f" ({len(result.uncompiled)} sources did not compile, shipped as source)"
    table.add_row("bytecode", bytecode)
    table.add_row(
        "final (unzipped)", f"{megabytes(result.final.bytes)}, {result.final.files} files"
    )
    upload = "through S3 (over 50 MB)" if result.needs_s3 else "direct upload"
    table.add_row("zipped", f"{megabytes(result.zipped_bytes)}, {upload}")
    table.add_row("sha256", result.sha256)
    table.add_row("source_code_hash", result.source_code_hash)
    for finding in result.allowed_findings:
        table.add_row("allowed finding", f"{finding.path}: {finding.what}")
    console.print(table)
