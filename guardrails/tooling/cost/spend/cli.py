"""`guardrails cost report` (and the other spend commands' registration).

    guardrails cost report --stack prod [--month 2026-11]
        [--source usage-api | --reports [DIR|FILE ...] | --focus FILE ...]
        [--format table|json|csv|markdown] [--output FILE] [--chart FILE.html|FILE.png]
        [--tag KEY] [--store PATH] [--profile NAME]
        [--engine duckdb|spark [--spark-master URL | --spark-remote sc://HOST:PORT]
         [--from-table URI]]
    guardrails cost load --engine spark --into URI [--reports ...] [--focus ...]

Exit codes: 0 the report was made, 2 bad input or the source could not be read (one line,
nothing written: no store created, no output or chart file).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cli_options import add_oci_access_options, oci_access
from guardrails.tooling.cli_support import EXIT_OK, add_command
from guardrails.tooling.cost import DEFAULT_STORE
from guardrails.tooling.cost.spend.output import FORMATS

if TYPE_CHECKING:
    from guardrails.tooling.cost.spark.session import SparkOptions
    from guardrails.tooling.cost.spend.build import SpendSource
    from guardrails.tooling.cost.spend.report import CostReport


def add_report_parser(commands: Any) -> None:
    report = add_command(
        commands,
        "report",
        help="spend per cost center against the stack's budgets, forecast, anomalies",
        description="Month-to-date spend per cost center (or --tag) against the budgets of "
        "the stack file, the forecast to the month's end, the day the budget runs out, top "
        "services, untagged spend and anomalous days.",
        example=[
            "guardrails cost report --stack prod",
            "guardrails cost report --stack prod --reports ./reports --chart burnup.html",
        ],
    )
    report.add_argument("--stack", "-s", default=None, help="stack whose budgets to compare")
    report.add_argument(
        "--program",
        type=Path,
        default=None,
        help="folder holding Pulumi.yaml (default: found from here up, as pulumi does)",
    )
    report.add_argument("--month", default=None, help="YYYY-MM (default: this month, UTC)")
    add_spend_source_arguments(report)
    report.add_argument("--format", choices=FORMATS, default="table", help="output format")
    report.add_argument("--output", "-o", type=Path, default=None, help="write the report here")
    report.add_argument(
        "--chart", type=Path, default=None, help="burn-up chart: FILE.html or FILE.png"
    )
    report.add_argument("--tag", default=None, help="group by this tag key instead of cost_center")
    report.add_argument(
        "--basis",
        choices=("billed", "effective"),
        default="billed",
        help="cost basis: billed (as invoiced) or effective (after discounts and credits)",
    )
    report.add_argument(
        "--api-forecast", action="store_true", help="also show the Usage API's own forecast"
    )
    report.add_argument("--store", type=Path, default=DEFAULT_STORE, help="cost store")
    report.add_argument("--download-dir", type=Path, default=None, help="where bling downloads go")
    add_engine_arguments(report)
    report.add_argument(
        "--from-table",
        default=None,
        metavar="URI",
        help="Spark: also read this Parquet table of normalised lines (cost load --into)",
    )
    add_oci_access_options(report)
    report.set_defaults(run=run_report)


def add_engine_arguments(parser: Any) -> None:
    """Which engine computes the spend, and where Spark runs."""
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="duckdb: the local store (default); spark: computed where the data is",
    )
    parser.add_argument(
        "--spark-master",
        default=None,
        metavar="URL",
        help="Spark master: local[*] (default), local[N], spark://HOST:PORT, yarn, k8s://...",
    )
    parser.add_argument(
        "--spark-remote",
        default=None,
        metavar="sc://HOST:PORT",
        help="a Spark Connect endpoint to run the query on",
    )


def location(text: str) -> Path | str:
    """A cost file or folder: a local path, or an object-storage URI (Spark reads those)."""
    from guardrails.tooling.cost.sources.inputs import is_uri

    return text if is_uri(text) else Path(text)


def spark_options(args: argparse.Namespace, *spark_only: str) -> SparkOptions:
    """--spark-master and --spark-remote (and the command's other Spark-only options),
    refused with --engine duckdb: they would be ignored."""
    from guardrails.tooling.cost.spark.session import SparkOptions, check_options

    given = [
        option
        for option in ("--spark-master", "--spark-remote", *spark_only)
        if getattr(args, option.lstrip("-").replace("-", "_")) is not None
    ]
    if args.engine != "spark" and given:
        raise GuardrailsError(f"{given[0]} needs --engine spark (the DuckDB engine is local)")
    options = SparkOptions(master=args.spark_master, remote=args.spark_remote)
    check_options(options)
    return options


def add_spend_source_arguments(parser: Any) -> None:
    """Where spend comes from: `cost report` and `cost enforce` (which makes a report) alike."""
    parser.add_argument(
        "--source",
        choices=("usage-api", "reports", "focus"),
        default=None,
        help="OCI spend from the Usage API (default), cost reports or FOCUS files",
    )
    parser.add_argument(
        "--reports",
        nargs="*",
        type=location,
        default=None,
        metavar="PATH",
        help="classic cost reports (CSV.gz files or folders); none: download from bling",
    )
    parser.add_argument(
        "--focus",
        nargs="+",
        type=location,
        default=None,
        metavar="FILE",
        help="FOCUS 1.0-1.2 files or folders (CSV, CSV.gz, Parquet; OCI's or AWS's)",
    )
    parser.add_argument(
        "--any-tenancy",
        action="store_true",
        help="use cost files of another OCI tenancy than the stack's tenancyOcid",
    )


def add_spend_commands(commands: Any) -> None:
    """Register `cost report` and `cost load`."""
    add_report_parser(commands)
    add_load_parser(commands)


def add_load_parser(commands: Any) -> None:
    load = add_command(
        commands,
        "load",
        help="append cost files to a table of normalised lines that Spark reports read",
        description="Read classic cost reports and FOCUS files (local or object storage) "
        "with Spark and append their lines, checked and normalised, to a Parquet table "
        "partitioned by month; files the table holds already are skipped. A scheduled job "
        "runs it; `cost report --engine spark --from-table URI` reads the table.",
        example=[
            "guardrails cost load --engine spark --into oci://costs@myns/lines "
            "--reports oci://ocid1.tenancy.oc1..aaa@bling/reports/cost-csv/",
        ],
    )
    load.add_argument(
        "--into", required=True, metavar="URI", help="the table (a folder or object prefix)"
    )
    load.add_argument(
        "--reports",
        nargs="+",
        type=location,
        default=None,
        metavar="PATH",
        help="classic cost reports (CSV.gz files, folders or URIs)",
    )
    load.add_argument(
        "--focus",
        nargs="+",
        type=location,
        default=None,
        metavar="PATH",
        help="FOCUS files (CSV, CSV.gz, Parquet; files, folders or URIs)",
    )
    add_engine_arguments(load)
    load.set_defaults(run=run_load, engine="spark")


def run_load(args: argparse.Namespace, out: Console, err: Console) -> int:
    from guardrails.tooling.cost.sources.inputs import is_uri
    from guardrails.tooling.cost.spark.inputs import spark_inputs
    from guardrails.tooling.cost.spark.session import spark_session
    from guardrails.tooling.cost.spark.table import load_into

    if args.engine != "spark":
        raise GuardrailsError(
            "cost load --engine duckdb: the DuckDB store is loaded by `cost report` itself "
            "(--store); cost load appends to a table for Spark"
        )
    options = spark_options(args)
    if not args.reports and not args.focus:
        raise GuardrailsError("cost load: name cost files to load (--reports, --focus)")
    into = args.into if is_uri(args.into) else str(Path(args.into).resolve())
    named = [str(p) for p in (*(args.reports or ()), *(args.focus or ()))]
    if any(n.rstrip("/") == into.rstrip("/") for n in named):
        raise GuardrailsError(f"--into {args.into}: is one of the inputs")
    spark = spark_session(options)
    files = spark_inputs(spark, args.reports or (), args.focus or ())
    summary = load_into(spark, files, into)
    for note in summary.notes:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if summary.skipped:
        err.print(
            f"skipped {len(summary.skipped)} file(s) the table holds already", highlight=False
        )
    out.print(
        f"loaded {len(summary.loaded)} file(s), {summary.lines} line(s) into {args.into}",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def spend_source(
    args: argparse.Namespace, *, api_forecast: bool = False, download_dir: Path | None = None
) -> SpendSource:
    """Where spend comes from, as `add_spend_source_arguments` read it; `cost report` adds
    its own --api-forecast and --download-dir."""
    from guardrails.tooling.cost.spend.build import SpendSource

    kind = args.source
    if kind is None:
        kind = "reports" if args.reports is not None else "focus" if args.focus else "usage-api"
    if kind == "focus" and args.reports:
        raise GuardrailsError(
            "--source focus with --reports: OCI spend would be counted twice; pick one source"
        )
    if kind == "usage-api" and args.reports:
        raise GuardrailsError(
            "--source usage-api with --reports: OCI spend would be counted twice; pick one"
        )
    return SpendSource(
        kind=kind,
        reports=tuple(args.reports or ()),
        focus=tuple(args.focus or ()),
        auth=oci_access(args),
        api_forecast=api_forecast,
        download_dir=download_dir,
        any_tenancy=args.any_tenancy,
    )


def guard_report_outputs(args: argparse.Namespace) -> None:
    """--output, --chart, --store and --download-dir against every input of the report."""
    from guardrails.tooling.oci_auth import DEFAULT_CONFIG
    from guardrails.tooling.outputs import REPORT_KINDS, Input, Output, guard_outputs
    from guardrails.tooling.project import default_program

    chart_kinds = REPORT_KINDS["html"] | REPORT_KINDS["png"]
    outputs = [
        Output("--output", args.output, REPORT_KINDS[args.format], f"{args.format} report"),
        Output("--chart", args.chart, chart_kinds, what="chart"),
        Output(
            "--store",
            args.store,
            REPORT_KINDS["duckdb"],
            what="cost store",
            default=args.store == DEFAULT_STORE,
        ),
        Output("--download-dir", args.download_dir, what="download", folder=True),
    ]
    files = [p for p in (*(args.reports or ()), *(args.focus or ())) if isinstance(p, Path)]
    inputs = [
        *(Input("cost file", path) for path in files),
        Input("program", (args.program or default_program()) if args.stack else None, program=True),
        Input("OCI config file", (args.oci_config or DEFAULT_CONFIG).expanduser()),
    ]
    guard_outputs(outputs, inputs)


def run_report(args: argparse.Namespace, out: Console, err: Console) -> int:
    # What only the report needs (DuckDB, the stack schema) is imported when it runs: every
    # other command starts without it.
    from guardrails.tooling.console import RichProgress
    from guardrails.tooling.cost.month import parse_month, today_utc
    from guardrails.tooling.cost.spend.build import SpendRequest, build_report
    from guardrails.tooling.cost.spend.chart import CHART_SUFFIXES
    from guardrails.tooling.cost.spend.output import render
    from guardrails.tooling.outputs import write_report
    from guardrails.tooling.project import default_program, load_stack_config

    today = today_utc()
    month = parse_month(args.month, today)
    guard_report_outputs(args)
    if args.chart is not None and args.chart.suffix.lower() not in CHART_SUFFIXES:
        raise GuardrailsError(f"--chart {args.chart}: use a .html or .png file name")
    options = spark_options(args, "--from-table")
    source = spend_source(args, api_forecast=args.api_forecast, download_dir=args.download_dir)
    config = (
        load_stack_config(args.program or default_program(), args.stack) if args.stack else None
    )
    request = SpendRequest(
        stack=args.stack,
        config=config,
        source=source,
        month=month,
        tag_key=args.tag,
        basis=args.basis,
        store=args.store,
        today=today,
        engine=args.engine,
        spark=options,
        table=args.from_table,
    )
    printed: list[str] = []

    def deliver(report: CostReport) -> None:
        """Render and write every output before the store keeps the run's load."""
        if args.output is not None:
            if args.format == "table":
                buffer = io.StringIO()
                render(report, "table", Console(file=buffer, width=160, emoji=False))
                text = buffer.getvalue()
            else:
                text = render(report, args.format, out) or ""
            write_report(args.output, text)
        else:
            with out.capture() as captured:
                text = render(report, args.format, out) or ""
            printed.append(captured.get() + text)
        if args.chart is not None:
            from guardrails.tooling.cost.spend.chart import write_chart

            write_chart(report, args.chart)

    with RichProgress(err) as progress:
        report = build_report(request, progress if err.is_terminal else None, deliver)
    for text in printed:
        out.file.write(text)
    if args.format != "table":  # the table shows its notes; machine formats have them too
        for note in report.notes:
            err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if args.output is not None:
        err.print(f"report written to {args.output}", highlight=False)
    if args.chart is not None:
        err.print(f"chart written to {args.chart}", highlight=False)
    return EXIT_OK
