"""Terminal output for the layer commands: the build summary table."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from guardrails.runtime.layer_builder.build import BuildResult


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.2f} MB"


def render_build(result: BuildResult, console: Console) -> None:
    """The build's summary as a two-column table, or as `label: value` lines when a hash or
    a path would not fit the width unbroken (a pipe or a CI log is 80 columns)."""
    rows: list[tuple[str, str]] = []
    rows.append(("target", f"{result.runtime} {result.architecture}"))
    names = ", ".join(f"{d.name}=={d.version}" for d in result.distributions)
    rows.append(("distributions", names))
    rows.append(("cache", ("hit " if result.cache_hit else "miss ") + result.cache_key))
    rows.append(
        (
            "installed (unzipped)",
            f"{megabytes(result.installed.bytes)}, {result.installed.files} files",
        )
    )
    for option, stripped in sorted(result.stripped.items()):
        unit = "shared objects" if option == "so" else "files"
        kept = (
            f"; {len(stripped.kept)} left unstripped, strip would break them"
            if stripped.kept
            else ""
        )
        rows.append(
            (f"stripped {option}", f"-{megabytes(stripped.bytes)} ({stripped.files} {unit}{kept})")
        )
    bytecode = result.bytecode
    if result.uncompiled:
        bytecode += f" ({len(result.uncompiled)} sources did not compile, shipped as source)"
    rows.append(("bytecode", bytecode))
    rows.append(
        ("final (unzipped)", f"{megabytes(result.final.bytes)}, {result.final.files} files")
    )
    upload = "through S3 (over 50 MB)" if result.needs_s3 else "direct upload"
    rows.append(("zipped", f"{megabytes(result.zipped_bytes)}, {upload}"))
    rows.append(("sha256", result.sha256))
    rows.append(("source_code_hash", result.source_code_hash))
    rows += [("allowed finding", f"{f.path}: {f.what}") for f in result.allowed_findings]
    title = f"layer {result.zip_path}"
    label = max(len(name) for name, _ in rows)
    token = max(len(word) for _, value in rows for word in value.split() or [""])
    if label + token + 7 > console.width:
        console.print(title, markup=False, highlight=False, soft_wrap=True)
        for name, value in rows:
            console.print(f"  {name}: {value}", markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(escape(name), escape(value))
    console.print(table)
